"""Writing Jira keys and statuses back into a page, touching nothing else.

Every edit is a splice of the original text at offsets found by :mod:`wikibot.pages.offsets`: bytes
outside the touched cells stay identical (attribute order, entities, CDATA, macro ids, whitespace),
so Confluence shows a one-cell diff in the page history. Rules:

* The body may have changed since the items were parsed (someone saved meanwhile): items are found
  again with :func:`wikibot.pages.identity.locate`; one that cannot be found raises
  :class:`ItemNotFound` and nothing is written.
* A ticket cell that already holds the same key is left alone (edits are idempotent); one that holds a
  *different* key is never overwritten: the edit is skipped and reported as a :class:`TicketConflict`.
* A ticket cell with other text ("TBD") keeps it; the macro is added after it. An empty cell is
  replaced (which also drops template placeholders).
* A table without a Ticket column gets one: a "Ticket" header and a new last cell in every row.
* A task gets the macro at the end of its body (also a task in a table cell); a list item at the end
  of its own text, before any nested list.
* Statuses are mirrored only into a "Status"-like column; a yes/no "Done" column, tasks and list items
  are left to people (no-op).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from wikibot.pages.cells import is_jira_key
from wikibot.pages.errors import EditError, PageParseError, TicketConflict
from wikibot.pages.identity import locate
from wikibot.pages.model import ActionItem, ListSpot, TableShape, TableSpot, TaskSpot
from wikibot.pages.offsets import Index, RowSpan, Span, scan
from wikibot.pages.read import read_page
from wikibot.pages.tree import DEFAULT_MAX_BYTES

_EMPTY_CELL = "<td><p /></td>"
_SELF_CLOSE = re.compile(r"\s*/>\Z")
_DONE = ("done", "closed", "resolved", "complete", "fixed")
_ACTIVE = ("progress", "review", "testing")

Splice = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Edit:
    """What to write for one item: a Jira key, a Jira status, or both (None: leave as is)."""

    item: ActionItem
    jira_key: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class EditResult:
    """The new body, and the edits left undone with the reason (conflicts, unsupported layouts)."""

    body: str
    changed: bool
    skipped: list[EditError] = field(default_factory=list)
    jira_keys: frozenset[str] = frozenset()
    """The Jira keys the action items of ``body`` carry (read with the items' own section names)."""


def jira_macro(key: str, *, server: str | None = None, server_id: str | None = None) -> str:
    """The storage format of a single-issue Jira macro, as the Confluence editor writes it."""
    params = ""
    if server:
        params += f'<ac:parameter ac:name="server">{escape(server)}</ac:parameter>'
    if server_id:
        params += f'<ac:parameter ac:name="serverId">{escape(server_id)}</ac:parameter>'
    return (f'<ac:structured-macro ac:name="jira" ac:schema-version="1">{params}'
            f'<ac:parameter ac:name="key">{key}</ac:parameter></ac:structured-macro>')


def status_lozenge(status: str) -> str:
    """A status macro for a Jira status, coloured the way Jira colours its categories."""
    lowered = status.lower()
    colour = ("Green" if any(w in lowered for w in _DONE)
              else "Blue" if any(w in lowered for w in _ACTIVE) else "Grey")
    return (f'<ac:structured-macro ac:name="status" ac:schema-version="1">'
            f'<ac:parameter ac:name="colour">{colour}</ac:parameter>'
            f'<ac:parameter ac:name="title">{escape(status)}</ac:parameter></ac:structured-macro>')


def set_ticket(body: str, item: ActionItem, key: str, *, server: str | None = None,
               server_id: str | None = None) -> str:
    """Put a Jira macro for ``key`` in the item's ticket cell (or task); raise if it cannot be done."""
    result = apply_edits(body, [Edit(item, key, None)], server=server, server_id=server_id)
    if result.skipped:
        raise result.skipped[0]
    return result.body


def set_status(body: str, item: ActionItem, status: str) -> str:
    """Mirror a Jira status into the item's Status column; a no-op when its table has none."""
    result = apply_edits(body, [Edit(item, None, status)])
    if result.skipped:
        raise result.skipped[0]
    return result.body


def apply_edits(body: str, edits: Iterable[Edit | tuple[ActionItem, str | None, str | None]], *,
                server: str | None = None, server_id: str | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> EditResult:
    """Apply all edits of one page in one pass, so sync saves the page once.

    Raises :class:`ItemNotFound` (nothing written) when an item is no longer on the page, and
    :class:`EditError` for an invalid key; per-item problems are returned in ``skipped``.
    """
    merged: dict[str, Edit] = {}
    for raw in edits:
        edit = raw if isinstance(raw, Edit) else Edit(*raw)
        if edit.jira_key is not None and not is_jira_key(edit.jira_key):
            raise EditError(f"not a Jira issue key: {edit.jira_key!r}")
        previous = merged.get(edit.item.identity)
        if previous is not None:
            edit = Edit(edit.item, edit.jira_key or previous.jira_key, edit.status or previous.status)
        merged[edit.item.identity] = edit
    wanted = [e for e in merged.values() if e.jira_key or e.status]
    if not wanted:
        return EditResult(body, False)
    names = wanted[0].item.read_with
    items = read_page(body, names=names, max_bytes=max_bytes).action_items
    current = locate([e.item for e in wanted], items)
    planner = _Planner(body, server, server_id)
    for edit, item in zip(wanted, current, strict=True):
        if edit.jira_key:
            planner.ticket(item, edit.jira_key)
        if edit.status:
            planner.status(item, edit.status)
    new_body = planner.result()
    if new_body != body:
        try:
            items = read_page(new_body, names=names,
                              max_bytes=max(max_bytes, len(new_body.encode("utf-8")))).action_items
        except PageParseError as exc:  # a bug here must never reach Confluence
            raise EditError(f"edit would produce an unreadable page: {exc}") from None
    keys = frozenset(item.jira_key for item in items if item.jira_key)
    return EditResult(new_body, new_body != body, planner.skipped, keys)


def _content(body: str, span: Span, content: str) -> Splice:
    """Replace an element's content, turning ``<td/>`` into ``<td>content</td>`` if needed."""
    if span.self_closing:
        open_tag = _SELF_CLOSE.sub(">", body[span.start:span.end])
        return span.start, span.end, f"{open_tag}{content}</{span.name}>"
    return span.open_end, span.close_start, content


_COLSPAN = re.compile(r"""\scolspan\s*=\s*(["'])\s*(\d+)\s*\1""")


def _widen(body: str, cell: Span, extra: int) -> Splice:
    """Make a cell span ``extra`` more columns, rewriting only its start tag's colspan."""
    tag = body[cell.start:cell.open_end]
    match = _COLSPAN.search(tag)
    if match:
        new = f"{tag[:match.start(2)]}{int(match.group(2)) + extra}{tag[match.end(2):]}"
    else:
        name_end = len(cell.name) + 1
        new = f'{tag[:name_end]} colspan="{1 + extra}"{tag[name_end:]}'
    return cell.start, cell.open_end, new


def _append(body: str, span: Span, content: str) -> Splice:
    """Add content at the end of an element."""
    if span.self_closing:
        return _content(body, span, content)
    return span.close_start, span.close_start, content


class _Planner:
    """Collects the splices of one batch and applies them in one pass over the text."""

    def __init__(self, body: str, server: str | None, server_id: str | None) -> None:
        self.body = body
        self.server, self.server_id = server, server_id
        self.splices: list[Splice] = []
        self.skipped: list[EditError] = []
        self.new_columns: dict[int, tuple[TableShape, dict[int, str]]] = {}
        self._index: Index | None = None

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = scan(self.body)
        return self._index

    def _macro(self, key: str) -> str:
        return jira_macro(key, server=self.server, server_id=self.server_id)

    def ticket(self, item: ActionItem, key: str) -> None:
        if item.jira_key == key:
            return
        if item.jira_key is not None:
            self.skipped.append(TicketConflict(item.identity, item.jira_key, key))
            return
        spot = item.spot
        if isinstance(spot, TaskSpot):
            task = self.index.tasks[spot.ordinal]
            if task.body is None:
                self.splices.append(_append(self.body, task.span,
                                            f"<ac:task-body>{self._macro(key)}</ac:task-body>"))
            else:
                self.splices.append(_append(self.body, task.body, " " + self._macro(key)))
        elif isinstance(spot, ListSpot):
            self.splices.append(self._after_list_item(spot, key))
        elif not spot.table.has_ticket_column:
            if not spot.table.header_rows:
                self.skipped.append(EditError(f"action item {item.identity}: its table has no header "
                                              "row to name a Ticket column"))
                return
            self.new_columns.setdefault(spot.table.ordinal, (spot.table, {}))[1][spot.row] = key
        elif spot.ticket_cell is None:
            reason = "spans several rows" if spot.ticket_spans_rows else "is missing"
            self.skipped.append(EditError(f"action item {item.identity}: its ticket cell {reason}"))
        else:
            cell = self._row(spot).cells[spot.ticket_cell]
            macro = f"<p>{self._macro(key)}</p>"
            self.splices.append(_content(self.body, cell, macro) if spot.ticket_cell_empty
                                else _append(self.body, cell, macro))

    def _after_list_item(self, spot: ListSpot, key: str) -> Splice:
        """The macro at the end of the item's own text: inside its last paragraph if that ends it."""
        entry = self.index.items[spot.ordinal]
        end = entry.content_end
        paragraph = entry.last_paragraph
        if paragraph is not None and not paragraph.self_closing and not self.body[paragraph.end:end].strip():
            end = paragraph.close_start
        return end, end, " " + self._macro(key)

    def status(self, item: ActionItem, status: str) -> None:
        spot = item.spot
        if not isinstance(spot, TableSpot) or spot.status_cell is None:
            return
        if (item.status or "").casefold() == status.strip().casefold():
            return
        text = status_lozenge(status) if spot.status_lozenge else escape(status)
        self.splices.append(_content(self.body, self._row(spot).cells[spot.status_cell], f"<p>{text}</p>"))

    def _row(self, spot: TableSpot) -> RowSpan:
        table = self.index.tables[spot.table.ordinal]
        if len(table.rows) != len(spot.table.pads):
            raise EditError("page structure changed while editing; re-read the page")
        return table.rows[spot.row]

    def _column_splices(self, shape: TableShape, keys: dict[int, str]) -> None:
        table = self.index.tables[shape.ordinal]
        if len(table.rows) != len(shape.pads):
            raise EditError("page structure changed while editing; re-read the page")
        label_row = shape.header_rows[-1]
        for index, row in enumerate(table.rows):
            if index in shape.separators and len(row.cells) == 1:
                self.splices.append(_widen(self.body, row.cells[0], shape.pads[index] + 1))
                continue
            if index in shape.header_rows:
                tag = shape.header_tag
                label = "<p><strong>Ticket</strong></p>" if index == label_row else "<p />"
                new = f"<{tag}><p /></{tag}>" * shape.pads[index] + f"<{tag}>{label}</{tag}>"
            else:
                content = f"<p>{self._macro(keys[index])}</p>" if index in keys else "<p />"
                new = _EMPTY_CELL * shape.pads[index] + f"<td>{content}</td>"
            self.splices.append(_append(self.body, row.span, new))
        if table.colgroup is not None and not table.colgroup.self_closing:
            self.splices.append(_append(self.body, table.colgroup, "<col />"))

    def result(self) -> str:
        for shape, keys in self.new_columns.values():
            self._column_splices(shape, keys)
        if not self.splices:
            return self.body
        parts, cursor = [], 0
        for start, end, text in sorted(self.splices, key=lambda s: (s[0], s[1])):
            if start < cursor:
                raise EditError("overlapping edits in one cell; re-read the page")
            parts.append(self.body[cursor:start])
            parts.append(text)
            cursor = end
        parts.append(self.body[cursor:])
        return "".join(parts)


# -- Page Properties ---------------------------------------------------------------------------------
class PropertyConflict(EditError):
    """The property already holds a value a person wrote; it is not overwritten."""

    def __init__(self, key: str, current: str) -> None:
        super().__init__(f"“{key}” already says “{current}”")
        self.key, self.current = key, current


def set_property(body: str, key: str, value: str, *, after: str | None = None) -> str:
    """Write ``value`` (storage format) as the Page Properties (details macro) value of ``key``.

    A splice like every edit here: only that value cell changes, or, when no details table has a
    ``key`` row, one row is added after the ``after`` row (else after the last row of the first
    details table). An empty cell (editor placeholders count as empty) is filled; a cell already
    holding exactly ``value`` is left as is; any other content is a person's and raises
    :class:`PropertyConflict`. Raises :class:`EditError` when the page has no Page Properties table.
    """
    import html as _html

    from wikibot.pages.tree import ac, parse_fragment

    def plain(markup: str) -> str:
        markup = re.sub(r"<ac:placeholder\b.*?</ac:placeholder>|<ac:placeholder\b[^>]*/>", "", markup, flags=re.S)
        dates = " ".join(re.findall(r"""<time\b[^>]*\bdatetime=["']([^"']*)["']""", markup))
        text = " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", markup)).replace("\xa0", " ").split())
        return " ".join(filter(None, (text, dates))) or ("(a mention or link)" if "<ri:" in markup else "")

    def same_key(markup: str, name: str) -> bool:
        def norm(text: str) -> str:
            return " ".join(re.sub(r"[^\w\s]", "", text.casefold()).split())
        return norm(plain(markup)) == norm(name)

    root = parse_fragment(body)
    details = [i for i, table in enumerate(root.iter("table"))
               if any(a.tag == ac("structured-macro") and (a.get(ac("name")) or "").lower() == "details"
                      for a in table.iterancestors())]
    if not details:
        raise EditError(f"the page has no Page Properties table to hold “{key}”: add the row by hand")
    index = scan(body)
    tables = [index.tables[i] for i in details]

    def inner(span: Span) -> str:
        return "" if span.self_closing else body[span.open_end:span.close_start]

    for table in tables:
        for row in table.rows:
            if len(row.cells) >= 2 and same_key(inner(row.cells[0]), key):
                cell = row.cells[1]
                if inner(cell) == f"<p>{value}</p>" or inner(cell) == value:
                    return body
                current = plain(inner(cell))
                if current:
                    raise PropertyConflict(key, current)
                start, end, text = _content(body, cell, f"<p>{value}</p>")
                return body[:start] + text + body[end:]
    anchor = next((row for table in tables for row in table.rows
                   if after and len(row.cells) >= 2 and same_key(inner(row.cells[0]), after)), None)
    if anchor is None:
        anchor = next((table.rows[-1] for table in tables if table.rows), None)
    if anchor is None:
        raise EditError(f"the Page Properties table has no rows to add “{key}” after")
    tag = anchor.cells[0].name if anchor.cells else "th"
    new_row = f"<tr><{tag}><p>{escape(key)}</p></{tag}><td><p>{value}</p></td></tr>"
    new_body = body[:anchor.span.end] + new_row + body[anchor.span.end:]
    parse_fragment(new_body, max_bytes=max(DEFAULT_MAX_BYTES, len(new_body.encode("utf-8"))))
    return new_body
