"""An action written as one line of text (a list item, a task, a summary cell): "Add an alert — Ana,
due 2026-12-03" split into its summary, owner, due date and done state.

Pure: strings in, :class:`LineAction` out. The trailing parts are searched from where they can start
(each pattern has a cheap test that says where, or that it cannot match), because every list item of
every page goes through :func:`line_action`.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from wikibot.pages.cells import parse_date
from wikibot.pages.markup import KEY_PATTERN
from wikibot.pages.reading import JIRA, TIME, USER, Facts

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
_LEADING = re.compile(r"^(?:[\s:,;|]|[\u2014\u2013-]+(?=\s|$))+")
"""Leading junk: separators, and dashes before a space ("- Fix", typed as a bullet; what "@ana — fix"
leaves once the mention is read out). A dash on a word is the word's: "--no-verify is banned"."""
_LEADING_CHARS = " :,;|\u2014\u2013-"
_LEADING_MENTION = re.compile(r"@([\w.-]*\w)\s*(?:[:,\u2014\u2013]\s*|\s-\s*|\s)(?=\S)")
"""What a leading mention leaves in front of the action ("@ana: Fix the proxy")."""
_DROPPED = (*_TRAILING[:-1], _BARE_LABEL, _TRAILING[-1])
_PERSON_WORD = re.compile(r"[^\W\d_]\.|[^\W\d_][^\W\d_A-Z]*(?:[-'\u2019][^\W\d_][^\W\d_A-Z]*)*")
NO_OWNER = frozenset({"tbd", "tba", "tbc", "n/a", "na", "none", "unknown", "nobody", "unassigned", "?"})
_GROUP_MENTIONS = frozenset({"here", "channel", "everyone", "all", "oncall", "on-call", "team"})
"""Mentions of many people ("@here: rotate the keys", pasted from Slack): no owner."""
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
    Separators and bullet dashes at the start ("- Fix ...", or what "@ana: Fix ..." leaves once the
    mention is read out) are taken off whether or not anything was read out of the line: wikibot writing
    the ticket into a task or list item must not change its summary.
    ``dropped``: the line's mentions, dates or Jira macros were read out of ``text`` (they are the
    owner, the due date and the ticket), so labels they leave bare at the end ("Owner: @ana due
    <time>") are taken off too.
    """
    done = None
    box = _CHECKBOX.match(text)
    if box:
        mark = box.group("box") if box.group("box") is not None else box.group("mark")
        done = mark not in (" ", "", "\u2610")
        text = text[box.end():]
    if text[:1] in _LEADING_CHARS:
        text = _LEADING.sub("", text)
    due = owner = None
    lead = _LEADING_MENTION.match(text) if text[:1] == "@" else None
    if lead is not None and lead.group(1).lower() not in _GROUP_MENTIONS:  # "@ana: rotate the keys", typed
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
                if name.lower() in NO_OWNER or name.lstrip("@").lower() in _GROUP_MENTIONS \
                        or not _is_name(name, person=kind == "person"):
                    continue
                owner = owner or name.lstrip("@")
            summary = summary[:match.start()]
        if summary == before:
            break
    return LineAction(summary.strip() or text.strip(), owner, due, done)
