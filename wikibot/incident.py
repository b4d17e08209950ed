"""The incident a post-mortem is about: validated from a webhook body, a Jira payload, the form or the CLI.

All four ways in produce the same ``Incident``; validation errors are collected per field so the
webhook can answer ``{"error": ..., "fields": {...}}`` and the form can show them beside inputs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from wikibot.errors import WikibotError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SEVERITY = re.compile(r"^(?:sev|p)?[\s_-]*([0-5])$", re.IGNORECASE)
# How Jira priorities map onto incident severities when a Jira rule sends the issue.
JIRA_PRIORITY_SEVERITY = {"highest": "SEV-1", "high": "SEV-2", "medium": "SEV-3", "low": "SEV-4", "lowest": "SEV-4"}


_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


def incident_label(incident_id: str) -> str | None:
    """``incident-<id>``, the label on an incident's page and its Jira issues (lower case, ``[a-z0-9-]``)."""
    slug = _NOT_LABEL.sub("-", incident_id.lower()).strip("-")
    return f"incident-{slug}"[:255] if slug else None


class InvalidInput(WikibotError):
    """Input that cannot make a post-mortem; ``fields`` maps each bad field to what is wrong."""

    exit_code = 2

    def __init__(self, fields: dict[str, str], message: str = "invalid input") -> None:
        super().__init__(message + ": " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.summary = message
        self.fields = fields


class Incident(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    incident_id: str
    title: str
    severity: str | None = None
    lead: str | None = None
    started_at: datetime | None = None
    summary: str | None = None
    channel_url: str | None = None

    @field_validator("incident_id")
    @classmethod
    def _incident_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("letters, digits and . _ : - only, at most 64 characters")
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        value = " ".join(_CONTROL.sub(" ", value).split())
        if not value:
            raise ValueError("required")
        if len(value) > 200:
            raise ValueError("at most 200 characters")
        return value

    @field_validator("severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        match = _SEVERITY.match(str(value).strip())
        if not match:
            raise ValueError("use SEV-1 … SEV-5 (or 1 … 5)")
        return f"SEV-{match.group(1)}"

    @field_validator("lead", "channel_url", "summary", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("lead")
    @classmethod
    def _lead(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 128 or _CONTROL.search(value)):
            raise ValueError("an account id or a name, at most 128 characters")
        return value

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str | None) -> str | None:
        if value is not None and len(value) > 20000:
            raise ValueError("at most 20000 characters")
        return value

    @field_validator("channel_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and (not re.match(r"^https?://[^\s/]+\S*$", value) or len(value) > 2000):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("started_at", mode="before")
    @classmethod
    def _started_at(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value.strip()):
            return value.strip() + "T00:00:00Z"
        return value

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)

    def incident_date(self, today: date) -> date:
        return self.started_at.astimezone(UTC).date() if self.started_at else today

    @property
    def label(self) -> str:
        """The Confluence label that marks this incident's page (CQL-searchable: our idempotency key)."""
        return incident_label(self.incident_id) or "incident-unnamed"

    @property
    def severity_label(self) -> str | None:
        return f"sev-{self.severity[-1]}" if self.severity else None


def parse_incident(data: Any) -> Incident:
    """Validate a webhook/form/CLI payload, or a Jira issue webhook, into an ``Incident``."""
    if not isinstance(data, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    if "issue" in data:
        if not isinstance(data["issue"], dict):
            raise InvalidInput({"issue": "must be a Jira issue object"})
        data = _from_jira(data["issue"])
    try:
        return Incident.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"]) or "body"
            message = "required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
            if error["type"] == "string_type":
                message = "must be a string"
            fields.setdefault(name, message)
        raise InvalidInput(fields) from None


def _from_jira(issue: dict[str, Any]) -> dict[str, Any]:
    """A Jira issue webhook / automation "send web request" payload → our fields."""
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    priority = fields.get("priority") if isinstance(fields.get("priority"), dict) else {}
    assignee = fields.get("assignee") if isinstance(fields.get("assignee"), dict) else {}
    severity = JIRA_PRIORITY_SEVERITY.get(str(priority.get("name", "")).lower())
    return {
        "incident_id": issue.get("key"),
        "title": fields.get("summary"),
        "severity": severity,
        "lead": assignee.get("accountId"),
        "started_at": fields.get("created"),
        "summary": fields.get("description") if isinstance(fields.get("description"), str) else None,
    }
