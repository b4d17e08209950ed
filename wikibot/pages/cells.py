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
from functools import lru_cache

from wikibot.pages.markup import BROWSE, KEY_PATTERN
from wikibot.pages.reading import JIRA, LINK, TASK, TIME, USER, Facts
from wikibot.pages.tables import normalise_header

FIELDS = ("summary", "owner", "due", "priority", "ticket", "status")

_PHRASES = {
    "summary": ("action", "action item", "action items", "actions", "description", "item", "items", "what",
                "task", "tasks", "to do", "todo", "summary", "follow up", "followup", "follow ups", "remediation",
                "next step", "next steps"),
    "owner": ("owner", "owners", "assignee", "who", "responsible", "assigned to", "dri"),
    "due": ("due", "due date", "due by", "when", "target date", "target", "deadline", "eta", "by when"),
    "priority": ("priority", "severity", "p", "prio", "sev"),
    "ticket": ("ticket", "jira", "issue", "link", "tracking", "bug", "jira ticket", "jira issue",
               "issue key", "key", "tracking ticket", "tickets"),
    "status": ("status", "done", "state", "complete", "completed", "done?"),
}
_PHRASES_ELSEWHERE = {  # German, French, Spanish, Portuguese and Japanese pages name the same columns
    "summary": ("maßnahme", "maßnahmen", "aufgabe", "aufgaben", "beschreibung", "was", "action corrective",
                "tâche", "acción", "acciones", "tarea", "descripción", "qué", "ação", "ações", "tarefa",
                "descrição", "対応内容", "内容", "タスク", "アクション"),
    "owner": ("verantwortlich", "verantwortliche", "zuständig", "wer", "responsable", "qui", "quién", "responsável",
              "encargado", "担当", "担当者"),
    "due": ("fällig", "fällig am", "fällig bis", "termin", "frist", "bis wann", "wann", "échéance",
            "date limite", "date d échéance", "quand", "fecha límite", "fecha", "plazo", "cuándo", "prazo",
            "data limite", "quando", "期限", "期日"),
    "priority": ("priorität", "priorité", "prioridad", "prioridade", "優先度"),
    "ticket": ("チケット",),
    "status": ("erledigt", "statut", "état", "fait", "estado", "hecho", "situação", "concluído", "ステータス", "状態"),
}
_WORDS = {
    "action": "summary", "item": "summary", "description": "summary", "task": "summary",
    "actions": "summary", "items": "summary", "tasks": "summary",
    "owner": "owner", "assignee": "owner", "responsible": "owner",
    "due": "due", "date": "due", "deadline": "due",
    "priority": "priority", "severity": "priority",
    "ticket": "ticket", "jira": "ticket", "issue": "ticket", "bug": "ticket", "link": "ticket",
    "status": "status", "done": "status", "state": "status",
}
_PHRASE_FIELD = {phrase: name for table in (_PHRASES, _PHRASES_ELSEWHERE) for name, phrases in table.items()
                 for phrase in phrases}
_DONE_COLUMNS = frozenset({"done", "complete", "completed", "erledigt", "fait", "hecho", "concluído"})
_DONE_VALUES = frozenset({"done", "complete", "completed", "closed", "resolved", "fixed", "yes", "y",
                          "true", "\u2714", "\u2713", "\u2705", "\u2611", "x",
                          "erledigt", "abgeschlossen", "ja", "fait", "terminé", "oui", "hecho", "completado", "sí",
                          "concluído", "feito", "sim", "完了", "対応済み", "済"})

_KEY = re.compile(rf"(?<![\w-])({KEY_PATTERN})(?![\w-])")
_FULL_KEY = re.compile(rf"{KEY_PATTERN}\Z")

_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
    ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
    ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
_ISO = re.compile(r"(?<!\d)(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?!\d)")
_DAY_MONTH_YEAR = re.compile(r"(?<!\w)(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})(?!\d)")
_MONTH_DAY_YEAR = re.compile(r"(?<!\w)([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_FOUR_DIGITS = re.compile(r"\d{4}")


@dataclass(frozen=True, slots=True)
class Columns:
    """Which logical column holds which field; ``status_writable`` is False for a yes/no "Done" column.

    ``actions``: whether the table holds action items at all: it has no header row (rows under an
    Action items heading are actions), or a header names the action, or names an owner or a due date
    beside an unnamed column. A metrics table ("Metric", "Before", "After") does not.
    """

    fields: dict[str, int]
    status_writable: bool
    actions: bool = True

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


def field_of_label(label: str) -> str | None:
    """The field a line's label gives ("Owner: Ana", "Fecha: 2026-12-01" under an action item): owner
    and due by every phrase that names such a column, except "target" (a line's "Target: 99.9 %" is a
    goal); ticket only by the words that cannot mean anything else ("Issue: the retry loop has no
    cap" under an action is an item of its own, not its ticket)."""
    text = normalise_header(label)
    field = _PHRASE_FIELD.get(text)
    if field in ("owner", "due") and text != "target":
        return field
    return "ticket" if text in _TICKET_LABELS else None


_TICKET_LABELS = frozenset({"ticket", "jira", "jira ticket", "tracking ticket", "チケット"})


def map_columns(headers: Sequence[str]) -> Columns:
    """Map header names to fields (see :func:`_map_columns`); tables of the same headers recur across
    pages, so the answer is kept per distinct header row."""
    return _map_columns(tuple(headers))


@lru_cache(maxsize=1024)
def _map_columns(headers: tuple[str, ...]) -> Columns:
    """Map header names to fields; the first column wins a field, and summary falls back to the first
    unnamed column (headerless tables: column 0)."""
    fields: dict[str, int] = {}
    for column, header in enumerate(headers):
        name = field_of_header(header)
        if name is not None and name not in fields:
            fields[name] = column
    actions = not headers or "summary" in fields or "owner" in fields or "due" in fields
    if "summary" not in fields:
        taken = set(fields.values())
        free = [column for column in range(max(len(headers), 1)) if column not in taken]
        if free:
            fields["summary"] = free[0]
    status = fields.get("status")
    writable = status is not None and normalise_header(headers[status]) not in _DONE_COLUMNS
    return Columns(fields, writable, actions)


def owner_of(reading: Facts) -> str | None:
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


@lru_cache(maxsize=4096)
def parse_date(text: str) -> str | None:
    """An unambiguous written date as YYYY-MM-DD: ISO (or Y/M/D), "3 Dec 2026", "Dec 3, 2026".

    Purely numeric day/month forms (03/04/2026) are None: whether that is March or April is a team
    convention we cannot see, and guessing would move deadlines by months. Kept per distinct text:
    due dates and the cells that hold them recur across rows and pages.
    """
    if len(text) == 10 and text[4] == "-" == text[7] and text.isascii() and text[:4].isdigit() \
            and text[5:7].isdigit() and text[8:].isdigit():
        return _date(text[:4], int(text[5:7]), text[8:])  # a <time datetime>: what _ISO would match
    if _FOUR_DIGITS.search(text) is None:
        return None  # every form has a four-digit year; one cheap scan instead of three expensive ones
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


def due_of(reading: Facts, *, written: str | None = None) -> str | None:
    """A ``<time datetime>`` (date part), else ``written`` (the date that ends a line: see
    :func:`wikibot.pages.lines.line_action`), else a written date in the text."""
    for value in reading.found(TIME):
        date = parse_date(value)
        if date:
            return date
    return written or parse_date(reading.text)


def ticket_of(reading: Facts, *, plain_text: bool = True) -> str | None:
    """A Jira macro's key, else a ``/browse/KEY-1`` link, else (if allowed) a plain ``KEY-1`` in the text."""
    for key in reading.found(JIRA):
        if _FULL_KEY.match(key.strip().upper()):
            return key.strip().upper()
    for link in reading.found(LINK):
        match = BROWSE.search(link)
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


def done_of(reading: Facts) -> bool | None:
    """A task checkbox in the cell, else Done/Complete/Closed/Yes/tick versus any other text; empty: None."""
    tasks = reading.found(TASK)
    if tasks:
        return tasks[0] == "complete"
    text = reading.text.lower().strip(" .!")
    if not text:
        return None
    return text in _DONE_VALUES
