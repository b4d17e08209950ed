"""What a cell means: column names mapped to fields, and owner, due date, ticket and done values.

Teams name columns differently ("Owner", "Who", "Assignee"; "Due", "Target date", "When"), so columns
are mapped by meaning. A header is first matched as a whole phrase, then word by word from the last
word, because in English the last word carries the meaning: "Action owner" is an owner column,
"Jira ticket" a ticket column, "Ticket status" a status column.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Sequence
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
              "担当", "担当者"),
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
    :func:`line_action`), else a written date in the text."""
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


# -- an action written as one line of text (a list item) ------------------------------------------

_DATE_TEXT = (r"\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"
              r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}")
_NAME = r"@[\w.-]+|[^\W\d_][\w.'\u2019-]*(?:\s+[^\W\d_][\w.'\u2019-]*){0,3}"


def _ends_with_digit(text: str) -> bool:
    """The text ends with a digit, ignoring trailing whitespace and one closing bracket."""
    text = text.rstrip()
    if text[-1:] in (")", "]"):
        text = text[:-1].rstrip()
    return text[-1:].isdigit()


Start = Callable[[str], int]
"""Where in a (collapsed) line a trailing pattern can start, or -1 when it cannot match at all: a
pattern anchored at the end is searched from there, not from every position of the line."""


def _from_last(needle: str, *others: str, before: int = 0, test: Callable[[str, int], bool] | None = None) -> Start:
    """From ``before`` characters ahead of the last ``needle`` (or of ``others``), if ``test`` holds
    for the text and that position: a pattern that starts at a needle that nothing after it may
    contain (an owner name holds no dash, bracket, colon or "@"; a ticket key one hyphen)."""
    def start(text: str) -> int:
        found = text.rfind(needle)
        for other in others:
            found = max(found, text.rfind(other))
        if found < 0 or (test is not None and not test(text, found)):
            return -1
        return max(found - before, 0)
    return start


_DATE_AT_END = re.compile(rf"(?:{_DATE_TEXT})\s*[)\]]?\s*$")


def _due_start(text: str) -> int:
    """Where a trailing due date's label can start: up to 30 characters (separator, label, "on")
    before the date that ends the line, found first (dates are at most 24 characters)."""
    if not _ends_with_digit(text):
        return -1
    date = _DATE_AT_END.search(text, max(len(text) - 26, 0))
    return max(date.start() - 30, 0) if date is not None else -1


_OWNER_LABELS = ("owner", "assignee", "who", "verantwortlich", "zust\u00e4ndig", "responsable", "encargado",
                 "respons\u00e1vel")


def _owner_label_start(text: str) -> int:
    """Where an "owner: Name" part can start: just before the owner label that ends at the last colon
    (a name holds no colon), or -1 without one."""
    colon = text.rfind(":")
    if colon < 0:
        return -1
    before = text[max(colon - 18, 0):colon]
    lowered = before.lower()
    if len(lowered) != len(before):  # (a few letters lower-case to two: offsets would not match)
        return max(colon - 24, 0)
    found = max(lowered.rfind(label) for label in _OWNER_LABELS)
    return max(colon - len(before) + found - 3, 0) if found >= 0 else -1


def _ticket_start(text: str) -> int:
    """Where a trailing ticket key can start: before the upper-case project key that ends at the last
    hyphen (a key's number holds none), if the line ends with a digit."""
    hyphen = text.rfind("-")
    if hyphen < 0 or not _ends_with_digit(text):
        return -1
    start = hyphen
    while start > 0 and text[start - 1] in _KEY_CHARS:
        start -= 1
    return max(start - 3, 0)


_KEY_CHARS = frozenset(string.ascii_uppercase + string.digits + "_")


def _ends_in(chars: str) -> Callable[[str, int], bool]:
    return lambda text, _: text.rstrip()[-1:] in chars and bool(text.strip())


def _ends_with(chars: str) -> Start:
    def start(text: str) -> int:
        last = text.rstrip()[-1:]
        return 0 if last and last in chars else -1
    return start


_OWNER_ELSEWHERE = r"verantwortlich|zust\u00e4ndig|responsable|encargado|respons\u00e1vel"
_DUE_ELSEWHERE = (r"f\u00e4llig(?:\s+(?:am|bis))?|bis(?:\s+zum)?|\u00e9ch\u00e9ance|avant\s+le|pour\s+le"
                  r"|d['\u2019]ici\s+le|para\s+el|antes\s+del|fecha\s+l\u00edmite|plazo|prazo|at\u00e9")
"""The owner and due-date labels of German, French, Spanish and Portuguese pages (as their section names)."""

# Trailing parts of a one-line action, each with where it can start (a cheap test that must hold for
# the pattern to match at all, and the part of the line to search: a list item's text is searched
# with all of them, up to four times, and most match nothing).
_TRAILING: tuple[tuple[str, Start, re.Pattern[str]], ...] = (
    ("due", _due_start,
     re.compile(rf"(?:\s*[,;:(\[\u2014\u2013]\s*|\s+-\s+|\s+)(?:(?:due|by|until|before|target|eta|deadline|{_DUE_ELSEWHERE})"
                rf"(?:\s+date)?\s*:?\s*)?(?:on\s+)?(?:{_DATE_TEXT})\s*[)\]]?\s*$", re.I)),
    ("name", _from_last("\u2014", "\u2013", " -", before=1),  # (the text is collapsed: "\s-" is " -")
     re.compile(rf"\s*(?:[\u2014\u2013]|\s-)\s*(?:owner\s*:?\s*)?(?P<name>{_NAME})\s*$")),
    ("person", _from_last("(", before=1, test=_ends_in(")")),
     re.compile(rf"\s*\(\s*(?:owner\s*:?\s*)?(?P<name>{_NAME})\s*\)\s*$")),
    ("name", _owner_label_start,
     re.compile(rf"\s*[,;]?\s*\b(?:owner|assignee|who|{_OWNER_ELSEWHERE})\s*:\s*(?P<name>{_NAME})\s*\)?\s*$", re.I)),
    ("name", _from_last("@", before=1), re.compile(r"\s+(?P<name>@[\w.-]+)\s*$")),
    ("ticket", _ticket_start,
     re.compile(rf"\s*[(\[]?\s*{KEY_PATTERN}\s*[)\]]?\s*$")),
    ("junk", _ends_with("([)],;:|\u2014\u2013-"),
     re.compile(r"(?:\s*(?:\(\s*\)|\[\s*\]|[(\[,;:|\u2014\u2013-]))+\s*$")),
)
_LABEL_WORDS = frozenset({
    "owner", "owners", "assignee", "due", "date", "by", "on", "deadline", "eta", "until", "before", "who", "when",
    "target", "to", "ticket", "jira", "issue", "bug", "key", "verantwortlich", "zust\u00e4ndig", "responsable",
    "encargado", "f\u00e4llig", "am", "bis", "zum", "\u00e9ch\u00e9ance", "le", "el", "del", "l\u00edmite", "plazo",
    "respons\u00e1vel", "prazo", "at\u00e9"})


def _ends_with_label(text: str) -> int:
    """The last word (before a colon) is one that ends a label of :data:`_BARE_LABEL` (0), else -1:
    one set lookup instead of searching every item with the pattern."""
    tail = text.rstrip(" :")
    word = tail[tail.rfind(" ") + 1:]
    if not word.isalpha():  # ("(owner", "x,due": what else may come right before a label)
        word = _BEFORE_LABEL.split(word)[-1]
    return 0 if word.lower() in _LABEL_WORDS else -1


_BEFORE_LABEL = re.compile(r"[,;(\[\u2014\u2013:]")


_BARE_LABEL = ("label", _ends_with_label,
               re.compile(r"(?:(?:\s*[,;(\[\u2014\u2013]\s*|\s+-\s+|\s+)(?:(?:owners?|assignee|due(?:\s+(?:date|by|on))?"
                          rf"|deadline|eta|by|until|before|{_OWNER_ELSEWHERE}|{_DUE_ELSEWHERE})\s*:?|(?:who|when|target"
                          r"(?:\s+date)?|assigned\s+to|ticket|jira|issue|bug|key)\s*:))+\s*$", re.I))
"""Labels left bare once the mention, ``<time>`` or Jira macro after them was read out of the text
("Owner: , due", "by"): taken off only then, and words that are also plain English ("who", "bug")
only with their colon, so that "Find out who @ana" or "File a bug <jira>" keep their last word."""
def tidied(summary: str) -> str:
    """A summary without what objects read out of it leave behind ("Cap retries (<jira>)", "@ana: Fix"):
    empty brackets, a dangling separator, a leading colon."""
    summary = _LEADING.sub("", summary) if summary[:1] in _LEADING_CHARS else summary
    junk = _TRAILING[-1][2].search(summary) if summary.rstrip()[-1:] in _TRAILING_ENDS else None
    return (summary[:junk.start()] if junk is not None and junk.start() else summary).strip()


def _nothing_trails(text: str, dropped: bool) -> bool:
    """No trailing part can match (every start of :data:`_TRAILING` and :data:`_BARE_LABEL` is -1),
    tested at once: most lines end with a plain word and hold no dash, colon or "@"."""
    return (text.rstrip()[-1:] not in _TRAILING_ENDS and ":" not in text and "@" not in text and " -" not in text
            and "\u2014" not in text and "\u2013" not in text and (not dropped or _ends_with_label(text) < 0))


_TRAILING_ENDS = frozenset("0123456789()[],;:|\u2014\u2013-") | {""}
_LEADING = re.compile(r"^[\s:,;|\u2014\u2013-]+")
_LEADING_CHARS = " :,;|\u2014\u2013-"
_LEADING_MENTION = re.compile(r"@([\w.-]*\w)\s*(?:[:,\u2014\u2013]\s*|\s-\s*|\s)(?=\S)")
"""What a leading mention leaves in front of the action ("@ana: Fix the proxy")."""
_DROPPED = (*_TRAILING[:-1], _BARE_LABEL, _TRAILING[-1])
_PERSON_WORD = re.compile(r"[^\W\d_]\.|[^\W\d_][^\W\d_A-Z]*(?:[-'\u2019][^\W\d_][^\W\d_A-Z]*)*")
NO_OWNER = frozenset({"tbd", "tba", "tbc", "n/a", "na", "none", "unknown", "nobody", "unassigned", "?"})
_CHECKBOX = re.compile(r"^\s*(?:\[(?P<box>[ xX\u2713\u2714]?)\]|(?P<mark>[\u2705\u2714\u2611\u2612\u2610]))\s*")


def _is_name(text: str, *, person: bool) -> bool:
    """Capitalised words ("Priya Raman", "Payments SRE"); with ``person``, also each word lower-case after
    its first letter, so "(RabbitMQ)" or "(SQL)" after an action is not taken for its owner."""
    if text.startswith("@"):
        return True
    words = text.split()
    if not words or not all(word[0].isupper() for word in words):
        return False
    if not person:
        return True
    return len(words) <= 3 and all(_PERSON_WORD.fullmatch(word) for word in words)


@dataclass(frozen=True, slots=True)
class LineAction:
    """What one line of text says about an action: its summary, owner, due date and done state."""

    summary: str
    owner: str | None
    due: str | None
    done: bool | None


def left_out(reading: Facts) -> bool:
    """Whether a summary reading left a mention, a date or a Jira macro out of its text (they are the
    item's owner, due date and ticket): what :func:`line_action` calls ``dropped``."""
    return any(kind in (USER, TIME, JIRA) for kind, _ in reading.facts)


def line_action(text: str, *, dropped: bool = False) -> LineAction:
    """Split "Add an alert — Ana, due 2026-12-03" into summary, owner and date.

    The owner is a trailing "— Name", "(Name)", "owner: Name" or "@name", or a leading "@name"; the date an ISO (or
    written-out) date at the end (one only: "issued 2026-01-05, due 2026-12-01" keeps the first, and
    "by Sprint 12, 2026" is no date); a "[x]"/"[ ]" or tick mark in front says done. Trailing parts are
    taken off the summary, so adding an owner or a date later does not change the item's identity.
    ``dropped``: the line's mentions, dates or Jira macros were read out of ``text`` (they are the
    owner, the due date and the ticket), so labels they leave bare at the end ("Owner: @ana due
    <time>") and punctuation at the start ("@ana: Fix ...") are taken off too.
    """
    done = None
    box = _CHECKBOX.match(text)
    if box:
        mark = box.group("box") if box.group("box") is not None else box.group("mark")
        done = mark not in (" ", "", "\u2610")
        text = text[box.end():]
    if dropped and text[:1] in _LEADING_CHARS:
        text = _LEADING.sub("", text)
    due = owner = None
    lead = _LEADING_MENTION.match(text) if text[:1] == "@" else None
    if lead is not None:  # "@ana: rotate the keys", the mention typed as text
        owner, text = lead.group(1), text[lead.end():]
    summary = text
    if _nothing_trails(text, dropped):
        return LineAction(text.strip(), owner, None, done)
    for _ in range(4):
        before = summary
        for kind, start_of, pattern in _DROPPED if dropped else _TRAILING:
            if kind == "due" and due is not None:
                continue
            start = start_of(summary)
            if start < 0:
                continue
            match = pattern.search(summary, start)
            if match is None or match.start() == 0:
                continue
            if kind == "due":
                due = parse_date(match.group(0))
                if due is None:
                    continue
            elif kind in ("name", "person"):
                name = match.group("name").strip()
                if name.lower() in NO_OWNER or not _is_name(name, person=kind == "person"):
                    continue
                owner = owner or name.lstrip("@")
            summary = summary[:match.start()]
        if summary == before:
            break
    return LineAction(summary.strip() or text.strip(), owner, due, done)
