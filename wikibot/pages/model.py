"""The page model: plain, immutable values read from one page body.

Items also carry *where* they live in that body (:class:`TableSpot`/:class:`TaskSpot`), which the
editor uses after re-reading a body; those locations are internal, excluded from equality and from
``to_dict()``, and meaningless for any other body.

``Section.text`` and ``PageModel.timeline`` are computed on first use: most callers (the CLI, sync)
never need them, and reading every cell and paragraph of a long page costs more than the rest of the
model together. Until then the model keeps the parsed tree alive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, TypedDict

from wikibot.pages.names import BUILTIN, SectionNames
from wikibot.pages.wording import fingerprint

SectionStatus = Literal["filled", "empty", "placeholder"]
ItemKind = Literal["row", "task", "list"]
UnrecognisedKind = Literal["table", "text", "macro"]


class PageDict(TypedDict):
    """The shape of :meth:`PageModel.to_dict` (the ``wikibot parse --json`` contract)."""

    sections: list[dict[str, str]]
    action_items: list[dict[str, object]]
    deferred: list[dict[str, str]]
    properties: dict[str, str]
    unrecognised: list[dict[str, str]]


def _nothing() -> str:
    return ""


@dataclass(frozen=True)
class Section:
    """A section: its heading as a person names it, the template section it stands for, its status and
    its reader text.

    ``title`` is the heading without leading numbering or emoji and without a trailing colon; ``name``
    is the template section it stands for through the synonym table and ``postmortem.section_aliases``
    ("Follow-ups" → "Action items"), else the title itself. Compare sections by ``name``.
    """

    title: str
    status: SectionStatus
    level: int
    name: str = ""
    text_source: Callable[[], str] = field(default=_nothing, repr=False, compare=False)
    prose_source: Callable[[], str] = field(default=_nothing, repr=False, compare=False)

    @cached_property
    def text(self) -> str:
        """Plain reader text, one line per block (for audits of the wording)."""
        return self.text_source()

    @cached_property
    def prose(self) -> str:
        """The reader text without code (code/noformat macros, ``<code>``, ``<pre>``): what people wrote
        as sentences, where blameful wording is looked for."""
        return self.prose_source() if self.prose_source is not _nothing else self.text


@dataclass(frozen=True, slots=True)
class TableShape:
    """What the editor needs to add a Ticket column to a table without shifting any column."""

    ordinal: int
    """Index of the table among all ``<table>`` elements of the body, in document order."""
    header_rows: tuple[int, ...]
    header_tag: str
    pads: tuple[int, ...]
    """Per own row: empty cells to add before the new cell so it lands in the last column."""
    has_ticket_column: bool
    separators: tuple[int, ...] = ()
    """Own rows that are one cell spanning the table (group labels such as "Short term"): a new
    column widens that cell instead of adding one, so the row stays a label, not an item."""


@dataclass(frozen=True, slots=True)
class TableSpot:
    """An action item that is a table row: own-row index and physical cell indexes in that row."""

    table: TableShape
    row: int
    ticket_cell: int | None
    ticket_cell_empty: bool
    ticket_spans_rows: bool
    status_cell: int | None
    status_lozenge: bool


@dataclass(frozen=True, slots=True)
class TaskSpot:
    """An action item that is an ``ac:task``: its index among all tasks of the body."""

    ordinal: int


@dataclass(frozen=True, slots=True)
class ListSpot:
    """An action item that is a list item: its index among all ``<li>`` elements of the body."""

    ordinal: int


Spot = TableSpot | TaskSpot | ListSpot


@dataclass(frozen=True)
class ActionItem:
    """One action item (a table row, a task or a list item) of the "Action items" section.

    ``identity`` is ``f"{position}-{fingerprint[:8]}"``: short, made of ``[A-Za-z0-9-]`` only, so it
    can be a Jira label or part of a remote-link ``globalId``. ``position`` is ``t<table>r<row>``
    (1-based action table and data row), ``task-<ac:task-id>`` or ``l<list>i<item>`` (1-based list under
    Action items and item in it, nested items counted in document order); ``fingerprint`` hashes the
    normalised summary. To find an item again in a later version of the page, match by exact identity,
    then by fingerprint, then by the Jira key it already carries, then by position if the summary is
    still similar (see :func:`wikibot.pages.identity.locate`).
    """

    summary: str
    owner: str | None
    due: str | None
    priority: str | None
    jira_key: str | None
    done: bool | None
    status: str | None
    """The Status/Done cell's text as written (None without such a column)."""
    owner_is_user: bool
    """True when ``owner`` is a user id from a mention, False when it is plain text."""
    kind: ItemKind
    position: str
    spot_source: Callable[[], Spot] = field(repr=False, compare=False)
    """Works out :attr:`spot` (see there)."""
    read_with: SectionNames = field(default=BUILTIN, repr=False, compare=False)
    """The section names the page was read with: the editor re-reads a body with the same ones."""
    due_written: str | None = field(default=None, compare=False)
    """What the Due cell says when it holds text but no date wikibot can read ("next week",
    "2026-02-30", "17.09.2026"): the audit quotes it instead of calling the item undated."""

    @property
    def spot(self) -> Spot:
        """Where the item lives in the body it was read from; worked out when asked, because only the
        editor asks (an audit of thousands of pages never does)."""
        return self.spot_source()

    @cached_property
    def fingerprint(self) -> str:
        """The hash of the summary's words (:func:`wikibot.pages.wording.fingerprint`), worked out on
        first use: sync and the editor match items by it, an audit of thousands of pages never asks."""
        return fingerprint(self.summary)

    @property
    def identity(self) -> str:
        return f"{self.position}-{self.fingerprint[:8]}"

    def to_dict(self) -> dict[str, object]:
        return {"summary": self.summary, "owner": self.owner, "due": self.due,
                "priority": self.priority, "jira_key": self.jira_key, "done": self.done}


@dataclass(frozen=True, slots=True)
class DeferredItem:
    """An entry of an "If we have time" / "Nice to have" section; never an action item."""

    summary: str


@dataclass(frozen=True, slots=True)
class Unrecognised:
    """Content under an Action items heading that was not read as action items.

    ``kind``: "table" (no column names the action), "text" (prose outside any table, task or list),
    "macro" (a list or text inside a macro wikibot does not open). ``text``: the start of its reader
    text, to quote in a finding. ``section``: the heading it is under, as written.
    """

    section: str
    kind: UnrecognisedKind
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"section": self.section, "kind": self.kind, "text": self.text}


def _no_rows() -> list[dict[str, str]]:
    return []


@dataclass(frozen=True)
class PageModel:
    """Everything wikibot reads from one post-mortem page."""

    sections: list[Section]
    action_items: list[ActionItem]
    deferred: list[DeferredItem]
    properties: dict[str, str]
    """Page Properties (``details`` macro): key as shown -> value as reader text."""
    property_users: dict[str, str]
    """Page Properties whose value mentions a user: key -> that user's id."""
    timeline_source: Callable[[], list[dict[str, str]]] = field(default=_no_rows, repr=False, compare=False)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    """What under Action items was not read as items (see :class:`Unrecognised`); the audit reports it."""

    @cached_property
    def timeline(self) -> list[dict[str, str]]:
        """Rows of the "Timeline" table(s): column header -> cell text."""
        return self.timeline_source()

    def section(self, title_part: str) -> Section | None:
        """The first section whose title or name contains ``title_part`` (case-insensitive)."""
        wanted = title_part.lower()
        return next((s for s in self.sections if wanted in s.title.lower() or wanted in s.name.lower()), None)

    def to_dict(self) -> PageDict:
        """The ``wikibot parse --json`` contract: exactly these keys, nothing else."""
        return {
            "sections": [{"title": s.title, "name": s.name, "status": s.status} for s in self.sections],
            "action_items": [item.to_dict() for item in self.action_items],
            "deferred": [{"summary": d.summary} for d in self.deferred],
            "properties": dict(self.properties),
            "unrecognised": [u.to_dict() for u in self.unrecognised],
        }
