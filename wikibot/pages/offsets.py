"""Character offsets of tables, rows, cells and tasks in the original body text.

The editor must not re-serialise the page (that would reorder attributes, rewrite entities and drop
CDATA wrappers), so it splices the original string. This module finds where to splice with one regex
pass over markup, skipping CDATA, comments and processing instructions, and keeping a stack of open
elements. It only runs on bodies that :func:`wikibot.pages.tree.parse_fragment` accepted, so the
markup is known to be well-formed; it still raises :class:`EditError` rather than guess if it is not.

Rows and cells are attributed with the same structural rule as :mod:`wikibot.pages.tables`, and tables
and tasks are numbered in document order of their start tags, as ``lxml``'s ``iter()`` numbers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wikibot.pages.errors import EditError

_MARKUP = re.compile(
    r"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>"
    r"|<(/?)([^\s/>!?][^\s/>]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>",
    re.S,
)
_ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
_FALLBACK = "ac:adf-fallback"


@dataclass(slots=True)
class Span:
    """An element's extent: ``start``..``open_end`` is the start tag, ``close_start``..``end`` the end tag.

    A self-closing element has ``open_end == close_start == end``.
    """

    name: str
    start: int
    open_end: int
    close_start: int = -1
    end: int = -1

    @property
    def self_closing(self) -> bool:
        return self.open_end == self.end


@dataclass(slots=True)
class RowSpan:
    span: Span
    cells: list[Span] = field(default_factory=list)


@dataclass(slots=True)
class TableSpan:
    span: Span
    rows: list[RowSpan] = field(default_factory=list)
    colgroup: Span | None = None


@dataclass(slots=True)
class TaskSpan:
    span: Span
    body: Span | None = None


@dataclass(slots=True)
class ListItemSpan:
    """A ``<li>``: where its own content ends (before a nested list) and its last paragraph before that."""

    span: Span
    nested_list: int | None = None
    """Start of its first child ``ul``/``ol``, if any."""
    last_paragraph: Span | None = None
    """Its last child ``p`` before ``nested_list``."""

    @property
    def content_end(self) -> int:
        return self.nested_list if self.nested_list is not None else self.span.close_start


@dataclass(slots=True)
class Index:
    tables: list[TableSpan]
    tasks: list[TaskSpan]
    items: list[ListItemSpan] = field(default_factory=list)
    """Every ``<li>`` of the body, in document order."""


def scan(body: str) -> Index:
    """Locate every table (with its own rows and cells), task (with its body) and list item in ``body``."""
    index = Index([], [], [])
    # Open elements: (name, span, the TableSpan/RowSpan/TaskSpan it is, if any).
    stack: list[tuple[str, Span, object]] = []
    hidden = 0  # open <ac:adf-fallback> elements: what is inside them the reader never sees (tree.py)
    for match in _MARKUP.finditer(body):
        name = match.group(2)
        if name is None:
            continue
        if match.group(1):
            if not stack or stack[-1][0] != name:
                raise EditError(f"unbalanced </{name}> at offset {match.start()}")
            _, span, _ = stack.pop()
            span.close_start, span.end = match.start(), match.end()
            hidden -= name == _FALLBACK
            continue
        span = Span(name, match.start(), match.end())
        record = _record(name, span, stack, index) if not hidden else None
        if match.group(4):
            span.close_start = span.end = match.end()
            continue
        hidden += name == _FALLBACK
        stack.append((name, span, record))
    if stack:
        raise EditError(f"<{stack[-1][0]}> is never closed")
    return index


def _record(name: str, span: Span, stack: list[tuple[str, Span, object]], index: Index) -> object:
    parent = stack[-1] if stack else None
    if name == "table":
        table = TableSpan(span)
        index.tables.append(table)
        return table
    if name == "ac:task":
        task = TaskSpan(span)
        index.tasks.append(task)
        return task
    if name == "li":
        item = ListItemSpan(span)
        index.items.append(item)
        return item
    if parent is None:
        return None
    owner = parent[2]
    if isinstance(owner, ListItemSpan):
        if name in ("ul", "ol") and owner.nested_list is None:
            owner.nested_list = span.start
        elif name == "p" and owner.nested_list is None:
            owner.last_paragraph = span
        return None
    if name == "tr":
        if parent[0] in _ROW_GROUPS and len(stack) > 1:
            owner = stack[-2][2] if stack[-2][0] == "table" else None
        if isinstance(owner, TableSpan):
            row = RowSpan(span)
            owner.rows.append(row)
            return row
    elif name in ("td", "th") and isinstance(owner, RowSpan):
        owner.cells.append(span)
    elif name == "colgroup" and isinstance(owner, TableSpan) and owner.colgroup is None:
        owner.colgroup = span
    elif name == "ac:task-body" and isinstance(owner, TaskSpan) and owner.body is None:
        owner.body = span
    return None
