"""The incident a post-mortem is about: validated from a webhook body, a Jira payload, the form or the CLI.

All four ways in produce the same ``Incident``; validation errors are collected per field so the
webhook can answer ``{"error": ..., "fields": {...}}`` and the form can show them beside inputs.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from wikibot.errors import WikibotError
from wikibot.status import ExitStatus
from wikibot.xmlchars import clean, require_clean

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# "2026-12-01 14:05", "2026-12-01T14:05:30+01:00", "2026-12-01 14:05 Europe/Paris", "... UTC": what people type.
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*"
                        r"(Z|UTC|GMT|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*)?)?$",
                        re.IGNORECASE)
# Incidents before Unix time or after 2999 are typing mistakes, and outside this range the
# debrief date (start + up to 90 days) could overflow ``datetime``.
_EARLIEST, _LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)
_SEVERITY = re.compile(r"^(?:sev|p)?[\s_-]*([0-5])$", re.IGNORECASE)
# How Jira priorities map onto incident severities when a Jira rule sends the issue.
JIRA_PRIORITY_SEVERITY = {"highest": "SEV-1", "high": "SEV-2", "medium": "SEV-3", "low": "SEV-4", "lowest": "SEV-4"}


def normalise_severity(value: object) -> str | None:
    """``SEV-<n>`` for a severity as people write it (``SEV-2``, ``sev2``, ``P2``, ``2``); None for none.

    One spelling, so ``postmortem.templates`` keys and incidents meet however either was written."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    match = _SEVERITY.match(str(value).strip())
    if not match:
        raise ValueError("use SEV-0 … SEV-5 (or 0 … 5)")
    return f"SEV-{match.group(1)}"


_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


def incident_label(incident_id: str) -> str | None:
    """``incident-<id>``, the label on an incident's page and its Jira issues (lower case, ``[a-z0-9-]``)."""
    slug = _NOT_LABEL.sub("-", incident_id.lower()).strip("-")
    return f"incident-{slug}"[:255] if slug else None


class InvalidInput(WikibotError):
    """Input that cannot make a post-mortem; ``fields`` maps each bad field to what is wrong."""

    exit_code = ExitStatus.USAGE

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
    # Whether ``started_at`` was given with a time of day (a bare date is shown as a date only).
    started_at_has_time: bool = False
    summary: str | None = None
    channel_url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _time_given(cls, data: Any) -> Any:
        if isinstance(data, dict):
            raw = data.get("started_at")
            has_time = isinstance(raw, datetime) or (isinstance(raw, str) and bool(re.search(r"\d:\d", raw)))
            data = {**data, "started_at_has_time": has_time}
        return data

    @field_validator("incident_id", "channel_url", "severity", "started_at", mode="before")
    @classmethod
    def _exact_text(cls, value: Any) -> Any:
        """Values whose meaning changes if a character is dropped: refuse XML-forbidden characters."""
        return require_clean(value) if isinstance(value, str) else value

    @field_validator("title", "lead", "summary", mode="before")
    @classmethod
    def _free_text(cls, value: Any, info: ValidationInfo) -> Any:
        """Free text: drop XML-forbidden characters (nothing a reader could see is lost).

        In a title a control character separates words, so it becomes a space first.
        """
        if not isinstance(value, str):
            return value
        return clean(_CONTROL.sub(" ", value) if info.field_name == "title" else value)

    @field_validator("incident_id")
    @classmethod
    def _incident_id(cls, value: str) -> str:
        # The exact id is the incident's identity: only trimmed (done by the model) and NFC-normalised.
        value = unicodedata.normalize("NFC", value)
        if not value:  # an empty form field, as a blank title is
            raise ValueError("required")
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
        return normalise_severity(value)

    @field_validator("lead", "channel_url", "summary", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("lead")
    @classmethod
    def _lead(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 128 or _CONTROL.search(value)):
            raise ValueError("an account id or a name, at most 128 characters")
        return value or None

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str | None) -> str | None:
        if value is not None and len(value) > 20000:
            raise ValueError("at most 20000 characters")
        return value or None

    @field_validator("channel_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/]+\S*$", value, re.ASCII) or _CONTROL.search(value) or len(value) > 2000:
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("started_at", mode="before")
    @classmethod
    def _started_at(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            return _parse_moment(value.strip())
        return value

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        try:
            in_range = _EARLIEST <= value <= _LATEST
        except OverflowError:  # an offset that moves 0001-01-01 or 9999-12-31 out of datetime's range
            in_range = False
        if not in_range:
            raise ValueError("must be between 1970 and 2999")
        return value

    def incident_date(self, today: date) -> date:
        """The day the incident started where it started (the date shown beside its local time)."""
        return self.started_at.date() if self.started_at else today

    def started_text(self) -> str | None:
        """``2026-12-01 14:05 UTC+01:00`` (or ``... Europe/Paris (UTC+01:00)``): the start as the page shows it."""
        if self.started_at is None or not self.started_at_has_time:
            return None
        moment = self.started_at
        clock = moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
        offset = moment.utcoffset() or timedelta(0)
        sign, minutes = ("-" if offset < timedelta(0) else "+"), abs(int(offset.total_seconds())) // 60
        utc = "UTC" if not minutes else f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        zone = moment.tzinfo.key if isinstance(moment.tzinfo, ZoneInfo) else None
        return f"{moment.date().isoformat()} {clock} " + (f"{zone} ({utc})" if zone and zone != "UTC" else utc)

    @property
    def label(self) -> str:
        """The Confluence label that marks this incident's page (CQL-searchable: our idempotency key)."""
        return incident_label(self.incident_id) or "incident-unnamed"

    @property
    def severity_label(self) -> str | None:
        return f"sev-{self.severity[-1]}" if self.severity else None


def _parse_moment(text: str) -> Any:
    """A typed date or date and time → ``datetime``; what does not match is left to pydantic's ISO parser."""
    match = _DATE_TIME.match(text)
    if match is None:
        return text
    day, clock, zone = match.groups()
    if clock is None:
        return f"{day}T00:00:00+00:00"
    try:
        moment = datetime.fromisoformat(f"{day}T{'0' if clock[1] == ':' else ''}{clock}")
    except ValueError:
        return text  # pydantic reports it as not a valid datetime
    if zone is None or zone.upper() in ("Z", "UTC", "GMT"):
        return moment.replace(tzinfo=UTC)
    if zone[0] in "+-":
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        if hours > 23 or minutes > 59:
            raise ValueError("the UTC offset must be between -23:59 and +23:59")
        delta = timedelta(hours=hours, minutes=minutes)
        return moment.replace(tzinfo=timezone(-delta if zone[0] == "-" else delta))
    try:
        return moment.replace(tzinfo=ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r} (use an offset like +01:00 or a name like "
                         "Europe/Paris)") from None


def parse_incident(data: Any) -> Incident:
    """Validate a webhook/form/CLI payload, or a Jira issue webhook, into an ``Incident``."""
    if not isinstance(data, dict):
        raise InvalidInput({"body": "must be a JSON object"})
    names: dict[str, str] = {}
    if "issue" in data:
        if not isinstance(data["issue"], dict):
            raise InvalidInput({"issue": "must be a Jira issue object"})
        data, names = _from_jira(data["issue"]), JIRA_FIELD_NAMES
    try:
        # null is "not given": a required field sent as null is missing, not "must be a string".
        return Incident.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"]) or "body"
            name = names.get(name, name)
            message = "required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
            if error["type"] == "string_type":
                message = "must be a string"
            fields.setdefault(name, message)
        raise InvalidInput(fields) from None


def _object(value: object) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else (a payload's shape is never trusted)."""
    return value if isinstance(value, dict) else {}


# Where each field of a Jira payload came from, so an error names what the sender wrote.
JIRA_FIELD_NAMES = {"incident_id": "issue.key", "title": "issue.fields.summary", "lead": "issue.fields.assignee",
                    "started_at": "issue.fields.created", "summary": "issue.fields.description"}


def _from_jira(issue: dict[str, Any]) -> dict[str, Any]:
    """A Jira issue webhook / automation "send web request" payload → our fields."""
    fields = _object(issue.get("fields"))
    priority = _object(fields.get("priority"))
    assignee = _object(fields.get("assignee"))
    severity = JIRA_PRIORITY_SEVERITY.get(str(priority.get("name", "")).lower())
    return {
        "incident_id": issue.get("key"),
        "title": fields.get("summary"),
        "severity": severity,
        "lead": assignee.get("accountId") or assignee.get("name"),  # Data Center names people by username
        "started_at": fields.get("created"),
        "summary": fields.get("description") if isinstance(fields.get("description"), str) else None,
    }
