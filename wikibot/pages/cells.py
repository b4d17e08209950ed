"""What a cell means: column names mapped to fields, and owner, due date, ticket and done values.

Teams name columns differently ("Owner", "Who", "Assignee"; "Due", "Target date", "When"), so columns
are mapped by meaning. A header is first matched as a whole phrase, then word by word from the last
word, because in English the last word carries the meaning: "Action owner" is an owner column,
"Jira ticket" a ticket column, "Ticket status" a status column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from wikibot.pages.tables import normalise_header
from wikibot.pages.text import JIRA, LINK, TASK, TIME, USER, Reading

FIELDS = ("summary", "owner", "due", "priority", "ticket", "status")

_PHRASES = {
    "summary": ("action", "action item", "action items", "description", "item", "what", "task",
                "summary", "follow up", "followup", "remediation"),
    "owner": ("owner", "owners", "assignee", "who", "responsible", "assigned to", "dri"),
    "due": ("due", "due date", "due by", "when", "target date", "target", "deadline", "eta", "by when"),
    "priority": ("priority", "severity", "p", "prio", "sev"),
    "ticket": ("ticket", "jira", "issue", "link", "tracking", "bug", "jira ticket", "jira issue",
               "issue key", "key", "tracking ticket", "tickets"),
    "status": ("status", "done", "state", "complete", "completed", "done?"),
}
_WORDS = {
    "action": "summary", "item": "summary", "description": "summary", "task": "summary",
    "owner": "owner", "assignee": "owner", "responsible": "owner",
    "due": "due", "date": "due", "deadline": "due",
    "priority": "priority", "severity": "priority",
    "ticket": "ticket", "jira": "ticket", "issue": "ticket", "bug": "ticket", "link": "ticket",
    "status": "status", "done": "status", "state": "status",
}
_PHRASE_FIELD = {phrase: name for name, phrases in _PHRASES.items() for phrase in phrases}
_DONE_COLUMNS = frozenset({"done", "complete", "completed"})
_DONE_VALUES = frozenset({"done", "complete", "completed", "closed", "resolved", "fixed", "yes", "y",
                          "true", "\u2714", "\u2713", "\u2705", "\u2611", "x"})

KEY_PATTERN = r"[A-Z][A-Z0-9_]+-[1-9][0-9]*"
_KEY = re.compile(rf"(?<![\w-])({KEY_PATTERN})(?![\w-])")
_BROWSE = re.compile(rf"/browse/({KEY_PATTERN})(?![\w-])")
_FULL_KEY = re.compile(rf"{KEY_PATTERN}\Z")

_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
_ISO = re.compile(r"(?<!\d)(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(r"(?<!\w)(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})(?!\d)")
_MONTH_DAY_YEAR = re.compile(r"(?<!\w)([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")


@dataclass(frozen=True, slots=True)
class Columns:
    """Which logical column holds which field; ``status_writable`` is False for a yes/no "Done" column."""

    fields: dict[str, int]
    status_writable: bool

    def get(self, name: str) -> int | None:
        return self.fields.get(name)


def field_of_header(header: str) -> str | None:
    """The field a column header names, or None ("Type", "Notes")."""
    text = normalise_header(header)
    if not text:
        return None
    if text in _PHRASE_FIELD:
        return _PHRASE_FIELD[text]
    for word in reversed(text.split()):
        if word in _WORDS:
            return _WORDS[word]
    return None


def map_columns(headers: Sequence[str]) -> Columns:
    """Map header names to fields; the first column wins a field, and summary falls back to the first
    unnamed column (headerless tables: column 0)."""
    fields: dict[str, int] = {}
    for column, header in enumerate(headers):
        name = field_of_header(header)
        if name is not None and name not in fields:
            fields[name] = column
    if "summary" not in fields:
        taken = set(fields.values())
        free = [column for column in range(max(len(headers), 1)) if column not in taken]
        if free:
            fields["summary"] = free[0]
    status = fields.get("status")
    writable = status is not None and normalise_header(headers[status]) not in _DONE_COLUMNS
    return Columns(fields, writable)


def owner_of(reading: Reading) -> str | None:
    """The first mentioned user's id (account id, user key, user name), else the text."""
    users = reading.found(USER)
    return users[0] if users else (reading.text or None)


def _date(year: str, month: int | None, day: str) -> str | None:
    if month is None:
        return None
    try:
        return dt.date(int(year), month, int(day)).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """An unambiguous written date as YYYY-MM-DD: ISO (or Y/M/D), "3 Dec 2026", "Dec 3, 2026".

    Purely numeric day/month forms (03/04/2026) are None: whether that is March or April is a team
    convention we cannot see, and guessing would move deadlines by months.
    """
    match = _ISO.search(text)
    if match:
        return _date(match.group(1), int(match.group(2)), match.group(3))
    match = _DAY_MONTH_YEAR.search(text)
    if match:
        return _date(match.group(3), _MONTHS.get(match.group(2).lower()), match.group(1))
    match = _MONTH_DAY_YEAR.search(text)
    if match:
        return _date(match.group(3), _MONTHS.get(match.group(1).lower()), match.group(2))
    return None


def due_of(reading: Reading) -> str | None:
    """A ``<time datetime>`` (date part), else a written date in the text."""
    for value in reading.found(TIME):
        date = parse_date(value)
        if date:
            return date
    return parse_date(reading.text)


def ticket_of(reading: Reading, *, plain_text: bool = True) -> str | None:
    """A Jira macro's key, else a ``/browse/KEY-1`` link, else (if allowed) a plain ``KEY-1`` in the text."""
    for key in reading.found(JIRA):
        if _FULL_KEY.match(key.strip().upper()):
            return key.strip().upper()
    for link in reading.found(LINK):
        match = _BROWSE.search(link)
        if match:
            return match.group(1)
    if plain_text:
        match = _KEY.search(reading.text)
        if match:
            return match.group(1)
    return None


def is_jira_key(key: str) -> bool:
    """Whether ``key`` looks like a Jira issue key (``OPS-17``)."""
    return bool(_FULL_KEY.match(key))


def done_of(reading: Reading) -> bool | None:
    """A task checkbox in the cell, else Done/Complete/Closed/Yes/tick versus any other text; empty: None."""
    tasks = reading.found(TASK)
    if tasks:
        return tasks[0] == "complete"
    text = reading.text.lower().strip(" .!")
    if not text:
        return None
    return text in _DONE_VALUES
