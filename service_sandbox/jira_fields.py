"""Validate the ``fields``/``update``/``properties`` of issue create, edit and transition bodies.

One validator per settable field, shared by create, bulk create, edit and transitions, so the same
bad value gets the same 400 (``errors.<field>``) everywhere, worded as Jira Cloud words it. The
result, :class:`IssueInput`, names database columns, so the store never sees request keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service_sandbox import datacenter
from service_sandbox import jira_catalog as catalog
from service_sandbox.jira_http import NOT_AN_OBJECT, USER_NOT_FOUND, JiraError, sandbox_store

MAX_SUMMARY = 255
MAX_TEXT = 32767
TEXT_TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
MAX_LABEL = 255
MAX_PROPERTY_KEY = 255
MAX_PROPERTY_BYTES = 32768
NOT_SETTABLE = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."


class FieldError(ValueError):
    """One field's value is unacceptable; the message goes to ``errors.<field>``."""


@dataclass
class IssueInput:
    """A validated create/edit: column values, the resulting label set, properties to store."""

    columns: dict[str, Any] = field(default_factory=dict)
    labels: list[str] | None = None
    properties: list[tuple[str, str]] = field(default_factory=list)
    project_id: str | None = None


UserCheck = Callable[[str], bool]
ProjectLookup = Callable[[Any], "str | None"]


def parse_create(body: Any, find_project: ProjectLookup, user_exists: UserCheck, caller: str) -> IssueInput:
    """Validate a create body; defaults reporter to the caller and priority to Medium, like Jira."""
    fields, update = _sections(body)
    result, errors = _collect(fields, update, user_exists, current_labels=[], creating=True)
    if "project" not in fields:
        errors["project"] = "Specify a valid project ID or key"
    else:
        result.project_id = find_project(fields["project"])
        if result.project_id is None:
            errors["project"] = "Specify a valid project ID or key"
    if "issuetype" not in fields and "issuetype_id" not in result.columns:
        errors.setdefault("issuetype", "Specify an issue type")
    if not result.columns.get("summary") and "summary" not in errors:
        errors["summary"] = "You must specify a summary of the issue."
    result.properties = _properties(body)
    if errors:
        raise JiraError(400, [], errors)
    result.columns.setdefault("priority_id", catalog.DEFAULT_PRIORITY.id)
    result.columns.setdefault("reporter", caller)
    return result


def parse_edit(body: Any, current_labels: list[str], user_exists: UserCheck) -> IssueInput:
    """Validate an edit (or a transition's fields/update). Unknown top-level keys such as the
    ``notifyUsers`` that atlassian-python-api 5.0.5 wrongly puts in the body are ignored."""
    fields, update = _sections(body)
    result, errors = _collect(fields, update, user_exists, current_labels, creating=False)
    result.properties = _properties(body)
    if errors:
        raise JiraError(400, [], errors)
    return result


def _sections(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(body, dict):
        raise JiraError(400, [NOT_AN_OBJECT])
    fields = body.get("fields") or {}
    update = body.get("update") or {}
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise JiraError(400, ["'fields' and 'update' must be JSON objects."])
    return fields, update


def _collect(fields: dict[str, Any], update: dict[str, Any], user_exists: UserCheck,
             current_labels: list[str], creating: bool) -> tuple[IssueInput, dict[str, str]]:
    result, errors = IssueInput(), {}
    labels = list(current_labels)
    validators = _validators(user_exists)
    for name, value in fields.items():
        try:
            if name == "project" and creating:
                continue
            if name == "labels":
                labels = _labels(value)
                result.labels = labels
            elif name in validators:
                _apply(result, validators[name], value)
            else:
                raise FieldError(NOT_SETTABLE.format(name))
        except FieldError as exc:
            errors[name] = str(exc)
    for name, operations in update.items():
        try:
            if name in fields:
                raise FieldError(f"Field '{name}' cannot be set in both 'fields' and 'update'.")
            if not isinstance(operations, list) or not all(isinstance(op, dict) and len(op) == 1
                                                             for op in operations):
                raise FieldError(f"The update operations for '{name}' must be a list of single-verb objects.")
            if name == "labels":
                labels = _label_operations(labels, operations)
                result.labels = labels
            elif name in validators:
                for operation in operations:
                    (verb, value), = operation.items()
                    if verb != "set":
                        raise FieldError(f"Operation '{verb}' is not supported by field '{name}'.")
                    _apply(result, validators[name], value)
            else:
                raise FieldError(NOT_SETTABLE.format(name))
        except FieldError as exc:
            errors[name] = str(exc)
    return result, errors


def _apply(result: IssueInput, validator: Callable[[Any], tuple[str, Any]], value: Any) -> None:
    column, checked = validator(value)
    result.columns[column] = checked


# -- one validator per field ---------------------------------------------------------------------
def _validators(user_exists: UserCheck) -> dict[str, Callable[[Any], tuple[str, Any]]]:
    return {
        "summary": lambda v: ("summary", _summary(v)),
        "description": lambda v: ("description", _description(v)),
        "issuetype": lambda v: ("issuetype_id", _reference(catalog.ISSUE_TYPES, v, "Specify a valid issue type")),
        "priority": lambda v: ("priority_id", _reference(catalog.PRIORITIES, v, "The priority selected is invalid.")),
        "assignee": lambda v: ("assignee", _user(v, user_exists, nullable=True)),
        "reporter": lambda v: ("reporter", _user(v, user_exists, nullable=False)),
        "duedate": lambda v: ("duedate", _duedate(v)),
    }


def _summary(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError("You must specify a summary of the issue.")
    if not isinstance(value, str):
        raise FieldError("Operation value must be a string")
    if java_length(value.strip(_JAVA_TRIMMED)) > MAX_SUMMARY:
        raise FieldError("Summary must be less than 255 characters.")
    if "\n" in value or "\r" in value:
        raise FieldError("The summary is invalid because it contains newline characters.")
    return value


_JAVA_TRIMMED = "".join(chr(c) for c in range(33))  # what Java's String.trim() removes (U+0000-U+0020)


def java_length(text: str) -> int:
    """A string's length as Jira measures it: Java's ``String.length()``, in UTF-16 code units, so a
    character outside the BMP (an emoji) counts twice. Jira's ``SummarySystemField.validateParams``
    trims the summary, then refuses it when ``summary.length() > MAX_LEN`` (255) under
    ``errors.summary`` ("Summary must be less than 255 characters.")."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _description(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise FieldError("Operation value must be a string")
    return checked_text(value) or None


def checked_text(value: str | None) -> str | None:
    """Jira's limit on a multi-line text field (description, comment body): 32,767 characters, else 400
    under the field's name. The wording is Jira's as public clients quote its answer, e.g.
    ``"errors":{"description":"The entered text is too long. It exceeds the allowed limit of 32,767
    characters."}`` (a flaky-test filer that truncates its logs to stay under it; the Atlassian.NET SDK
    notes Jira 7 answers the same), and the same under ``comment`` for a comment body."""
    if value is not None and len(value) > MAX_TEXT:
        raise FieldError(TEXT_TOO_LONG)
    return value


def _reference(items: tuple, value: Any, message: str) -> str:
    found = catalog.by_reference(items, value)
    if found is None:
        raise FieldError(message)
    return found.id


def _user(value: Any, user_exists: UserCheck, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if datacenter.enabled():  # Data Center names people: {"name": "jdoe"} (notes §7)
        try:
            return datacenter.jira_user_reference(value, sandbox_store())
        except ValueError as exc:
            raise FieldError(str(exc)) from None
    account_id = value.get("accountId", value.get("id")) if isinstance(value, dict) else None
    if not isinstance(account_id, str):
        raise FieldError("Specify the user by 'accountId' (Jira Cloud does not accept usernames).")
    if not user_exists(account_id):
        raise FieldError(USER_NOT_FOUND)
    return account_id


def _duedate(value: Any) -> str | None:
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise FieldError(f"Error parsing date string: {value}") from None


def _label(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise FieldError("A label must be a non-empty string.")
    if any(ch.isspace() for ch in value):
        raise FieldError(f"The label '{value}' contains spaces which is invalid.")
    if len(value) > MAX_LABEL:
        raise FieldError(f"The label '{value}' exceeds the maximum length for a single label of "
                         f"{MAX_LABEL} characters.")
    return value


def _labels(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldError("data was not an array")
    return sorted({_label(v) for v in value})


def _label_operations(labels: list[str], operations: list[dict[str, Any]]) -> list[str]:
    """Apply ``add``/``remove``/``set`` verbs in order, as Jira's edit does."""
    current = set(labels)
    for operation in operations:
        (verb, value), = operation.items()
        if verb == "add":
            current.add(_label(value))
        elif verb == "remove":
            current.discard(value)
        elif verb == "set":
            current = set(_labels(value))
        else:
            raise FieldError(f"Operation '{verb}' is not supported by field 'labels'.")
    return sorted(current)


def _properties(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The ``properties`` list of a create/edit body: ``[{"key": .., "value": ..}]``."""
    entries = body.get("properties") or []
    if not isinstance(entries, list):
        raise JiraError(400, ["'properties' must be a list of {key, value} objects."])
    if not all(isinstance(entry, dict) for entry in entries):
        raise JiraError(400, ["Each entry of 'properties' must be a {key, value} object."])
    return [checked_property(entry.get("key"), json.dumps(entry.get("value"))) for entry in entries]


def checked_property(key: Any, value_json: str) -> tuple[str, str]:
    """Enforce Jira's limits on an issue property: key ≤ 255 characters, value ≤ 32 KB of JSON."""
    if not isinstance(key, str) or not key:
        raise JiraError(400, ["The property key must be a non-empty string."])
    if len(key) > MAX_PROPERTY_KEY:
        raise JiraError(400, [f"The property key is too long: the maximum is {MAX_PROPERTY_KEY} characters."])
    if len(value_json.encode()) > MAX_PROPERTY_BYTES:
        raise JiraError(400, [f"The property '{key}' exceeds the maximum size of {MAX_PROPERTY_BYTES} bytes."])
    return key, value_json
