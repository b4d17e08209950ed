"""Reading a page: sections, action items, deferred items, Page Properties and the timeline.

The page is cut into *units* in document order: headings, blocks (elements without a heading inside)
and loose text. Containers that hold a heading (layouts, a macro body) are opened so that the heading
and the blocks around it land in the right section; everything else is read as a whole. Every heading,
at any level, also sets a *scope* until the next heading of the same or a higher level: "Action items",
"If we have time" (deferred) or "Timeline". A "Nice to have" sub-heading under "Action items" therefore
yields deferred items, not action items, and an "Action items" sub-heading works under any parent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from lxml import etree

from wikibot.pages import cells
from wikibot.pages.identity import fingerprint, row_position, task_position
from wikibot.pages.model import (
    ActionItem,
    DeferredItem,
    PageModel,
    Section,
    SectionStatus,
    TableShape,
    TableSpot,
    TaskSpot,
)
from wikibot.pages.tables import Row, Table, header_row_elements, layout, outermost_tables, unnested
from wikibot.pages.text import USER, Reading, collapse, macro_name, read, reader_text
from wikibot.pages.tree import DEFAULT_MAX_BYTES, ac, parse_fragment

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TASK = ac("task")
_MACROS = (ac("structured-macro"), ac("macro"))
_DEFERRED_WORDS = ("if we have time", "nice to have", "nice-to-have", "aspirational")


def parse_page(body: str, *, instructions: Iterable[str] = (),
               max_bytes: int = DEFAULT_MAX_BYTES) -> PageModel:
    """Read a storage-format body (``body.storage.value``) into a :class:`PageModel`.

    ``instructions``: guidance texts of wikibot's own template; a section whose only text is one of
    them (whitespace and case ignored) is a ``placeholder``. Raises :class:`PageParseError` for
    anything that is not a well-formed page of at most ``max_bytes`` bytes.
    """
    root = parse_fragment(body, max_bytes=max_bytes)
    return _PageReader(root, instructions).model()


def scope_of(title: str) -> str | None:
    """What a heading announces: "deferred", "action", "timeline" or nothing."""
    lowered = title.lower()
    if any(word in lowered for word in _DEFERRED_WORDS):
        return "deferred"
    if "action item" in lowered:
        return "action"
    if "timeline" in lowered:
        return "timeline"
    return None


def _units(root: etree._Element) -> Iterator[tuple[str, etree._Element | str]]:
    """("heading" | "block" | "text", value) in document order (see the module docstring)."""
    headings = [h for h in root.iter(*_HEADINGS) if next(h.iterancestors("table"), None) is None]
    heading_set = set(headings)
    containers: set[etree._Element] = set()
    for heading in headings:
        for ancestor in heading.iterancestors():
            if ancestor in containers:
                break
            containers.add(ancestor)
    stack: list[tuple[str, etree._Element | str]] = [("open", root)]
    while stack:
        kind, value = stack.pop()
        if kind != "open":
            yield kind, value
            continue
        if value.text:
            yield "text", value.text
        for child in reversed(value):
            if child.tail:
                stack.append(("text", child.tail))
            if child in heading_set:
                stack.append(("heading", child))
            else:
                stack.append(("open" if child in containers else "block", child))


class _SectionBuilder:
    """Collects a section's parts; decides its status with a walk that stops once the answer is known.

    The section's text is read only if someone asks for it (see :class:`Section`).
    """

    def __init__(self, title: str, level: int, limit: int) -> None:
        self.title = title
        self.level = level
        self.limit = limit
        self.parts: list[etree._Element | str] = []
        self.probe = Reading()

    def add_block(self, block: etree._Element) -> None:
        self.parts.append(block)
        if not self.probe.stopped:
            read(block, into=self.probe, header_rows=header_row_elements, limit=self.limit)

    def add_text(self, text: str, *, counts: bool = True) -> None:
        self.parts.append(text)
        probe = self.probe
        if counts and not probe.stopped:
            probe.pieces.append(text)
            probe.status_pieces.append(text)
            if not text.isspace():
                probe.visible += len(text)
                probe.stopped = probe.visible > self.limit

    def build(self, instructions: frozenset[str]) -> Section:
        return Section(self.title, self._status(instructions), self.level,
                       partial(_section_text, tuple(self.parts)))

    def _status(self, instructions: frozenset[str]) -> SectionStatus:
        probe = self.probe
        if probe.objects or probe.stopped:
            return "filled"
        text = probe.status_text.casefold()
        if not text:
            return "placeholder" if probe.placeholder else "empty"
        if text in instructions or (instructions and all(
                line.casefold() in instructions for line in probe.status_lines)):
            return "placeholder"
        return "filled"


def _section_text(parts: tuple[etree._Element | str, ...]) -> str:
    reading = Reading()
    for part in parts:
        if isinstance(part, str):
            reading.pieces.append(part)
        else:
            read(part, into=reading)
    return reading.lines


class _PageReader:
    def __init__(self, root: etree._Element, instructions: Iterable[str]) -> None:
        self.root = root
        self.instructions = frozenset(filter(None, (collapse(s).casefold() for s in instructions)))
        # Past this many visible characters a section cannot be a template instruction any more.
        self.limit = 4 * sum(map(len, self.instructions)) + 16 if self.instructions else 0
        self.items: list[ActionItem] = []
        self.deferred: list[DeferredItem] = []
        self.timeline_blocks: list[etree._Element] = []
        self._action_tables = 0
        self._tasks = 0
        self._table_ordinals: dict[etree._Element, int] | None = None
        self._task_ordinals: dict[etree._Element, int] | None = None

    def model(self) -> PageModel:
        sections = self._sections()
        properties, users = self._properties()
        return PageModel(sections, self.items, self.deferred, properties, users,
                         partial(_timeline_rows, tuple(self.timeline_blocks)))

    def _sections(self) -> list[Section]:
        units = list(_units(self.root))
        levels = [int(value.tag[1]) for kind, value in units if kind == "heading"]
        top = min(levels, default=0)
        builders: list[_SectionBuilder] = []
        scopes: list[tuple[int, str | None]] = []
        for kind, value in units:
            if kind == "heading":
                level, title = int(value.tag[1]), reader_text(value)
                while scopes and scopes[-1][0] >= level:
                    scopes.pop()
                scopes.append((level, scope_of(title)))
                if level == top:
                    builders.append(_SectionBuilder(title, level, self.limit))
                elif builders:
                    builders[-1].add_text(f"\n{title}\n", counts=False)
                continue
            if kind == "text":
                if builders:
                    builders[-1].add_text(value)
                continue
            if builders:
                builders[-1].add_block(value)
            scope = next((s for _, s in reversed(scopes) if s is not None), None)
            if scope == "action":
                self._action_block(value)
            elif scope == "deferred":
                self._deferred_block(value)
            elif scope == "timeline":
                self.timeline_blocks.append(value)
        return [builder.build(self.instructions) for builder in builders]

    # -- action items -------------------------------------------------------------------------

    def _action_block(self, block: etree._Element) -> None:
        for element in unnested(block, _TASK):
            if element.tag == "table":
                self._action_table(element)
            else:
                self._action_task(element)

    def _ordinal(self, element: etree._Element) -> int:
        """Index of a table (or task) among all tables (tasks) of the body, as the editor counts them."""
        if element.tag == "table":
            if self._table_ordinals is None:
                self._table_ordinals = {t: i for i, t in enumerate(self.root.iter("table"))}
            return self._table_ordinals[element]
        if self._task_ordinals is None:
            self._task_ordinals = {t: i for i, t in enumerate(self.root.iter(_TASK))}
        return self._task_ordinals[element]

    def _action_table(self, element: etree._Element) -> None:
        table = layout(element)
        columns = cells.map_columns(table.headers)
        if columns.get("summary") is None:
            return
        self._action_tables += 1
        header = table.header_row
        shape = TableShape(
            ordinal=self._ordinal(element),
            header_rows=tuple(row.index for row in table.rows if row.header),
            header_tag="th" if header is None or all(c.tag == "th" for c in header.cells) else "td",
            pads=tuple(row.free_columns_before(table.columns) for row in table.rows),
            has_ticket_column=columns.get("ticket") is not None,
            separators=tuple(row.index for row in table.rows if not row.header and table.is_separator(row)),
        )
        for number, row in enumerate(table.data_rows, start=1):
            item = self._row_item(table, row, columns, shape, row_position(self._action_tables, number))
            if item is not None:
                self.items.append(item)

    def _row_item(self, table: Table, row: Row, columns: cells.Columns, shape: TableShape,
                  position: str) -> ActionItem | None:
        if table.is_separator(row):
            return None
        readings: dict[etree._Element, Reading] = {}

        def field(name: str) -> tuple[Reading, etree._Element | None, bool]:
            column = columns.get(name)
            slot = row.slot_at(column) if column is not None else None
            if slot is None or slot.start != column:
                return Reading(), None, False
            if slot.cell not in readings:
                readings[slot.cell] = read(slot.cell)
            return readings[slot.cell], slot.cell, slot.here

        column = columns.get("summary")
        summary_cell = row.cell_starting_at(column) if column is not None else None
        summary = read(summary_cell, summary=True).text if summary_cell is not None else ""
        if not summary and not any(r.text or r.objects for r in map(read, row.cells)):
            return None
        owner = field("owner")[0]
        ticket, ticket_cell, ticket_here = field("ticket")
        status, status_cell, status_here = field("status")
        spot = TableSpot(
            table=shape,
            row=row.index,
            ticket_cell=row.cells.index(ticket_cell) if ticket_here else None,
            ticket_cell_empty=not (ticket.text or ticket.objects),
            ticket_spans_rows=ticket_cell is not None and not ticket_here,
            status_cell=row.cells.index(status_cell) if status_here and columns.status_writable else None,
            status_lozenge=status_cell is not None and any(
                macro_name(m) == "status" for m in status_cell.iter(*_MACROS)),
        )
        return ActionItem(
            summary=summary, owner=cells.owner_of(owner), due=cells.due_of(field("due")[0]),
            priority=field("priority")[0].text or None, jira_key=cells.ticket_of(ticket),
            done=cells.done_of(status), status=(status.text or None) if status_cell is not None else None,
            owner_is_user=bool(owner.found(USER)), kind="row", position=position,
            fingerprint=fingerprint(summary), spot=spot,
        )

    def _action_task(self, task: etree._Element) -> None:
        self._tasks += 1
        task_id = state = ""
        body = None
        for child in task:
            if child.tag == ac("task-id"):
                task_id = "".join(child.itertext()).strip()
            elif child.tag == ac("task-status"):
                state = "".join(child.itertext()).strip().lower()
            elif child.tag == ac("task-body"):
                body = child
        reading = read(body, summary=True) if body is not None else Reading()
        summary, users = reading.text, reading.found(USER)
        self.items.append(ActionItem(
            summary=summary, owner=users[0] if users else None,
            due=cells.due_of(reading), priority=None,
            jira_key=cells.ticket_of(reading), done=(state == "complete") if state else None,
            status=state or None, owner_is_user=bool(users), kind="task",
            position=task_position(task_id, self._tasks), fingerprint=fingerprint(summary),
            spot=TaskSpot(self._ordinal(task)),
        ))

    # -- deferred items, timeline, properties ---------------------------------------------------

    def _deferred_block(self, block: etree._Element) -> None:
        for element in unnested(block, "li", _TASK):
            if element.tag == "table":
                table = layout(element)
                column = cells.map_columns(table.headers).get("summary")
                texts = [_text_at(row, column, summary=True)
                         for row in table.data_rows if not table.is_separator(row)]
            else:
                body = element if element.tag == "li" else element.find(ac("task-body"))
                texts = [read(body, summary=True).text if body is not None else ""]
            self.deferred.extend(DeferredItem(text) for text in texts if text)

    def _properties(self) -> tuple[dict[str, str], dict[str, str]]:
        properties: dict[str, str] = {}
        users: dict[str, str] = {}
        for macro in self.root.iter(*_MACROS):
            if macro_name(macro) != "details":
                continue
            for element in outermost_tables(macro):
                for key, reading in _key_values(layout(element)):
                    if key and key not in properties:
                        properties[key] = reading.text
                        mentioned = reading.found(USER)
                        if mentioned:
                            users[key] = mentioned[0]
        return properties, users


def _timeline_rows(blocks: tuple[etree._Element, ...]) -> list[dict[str, str]]:
    """Rows of the timeline tables: column name (or "column N") -> cell text; empty rows skipped."""
    rows = []
    for block in blocks:
        for element in outermost_tables(block):
            table = layout(element)
            names = [name or f"column {i + 1}" for i, name in
                     enumerate(table.headers or [""] * table.columns)]
            for row in table.data_rows:
                entry = {name: _text_at(row, column) for column, name in enumerate(names)}
                if any(entry.values()):
                    rows.append(entry)
    return rows


def _text_at(row: Row, column: int | None, *, summary: bool = False) -> str:
    """Text of the cell starting at ``column`` (a colspan continuation has none)."""
    cell = row.cell_starting_at(column) if column is not None else None
    return read(cell, summary=summary).text if cell is not None else ""


def _key_values(table: Table) -> Iterator[tuple[str, Reading]]:
    """Page Properties pairs: keys down the first column, or (all-``th`` first row) across the top."""
    header = table.header_row
    if header is not None and all(cell.tag == "th" for cell in header.cells) and table.columns > 1:
        values = next(iter(table.data_rows), None)
        for column, key in enumerate(table.headers):
            cell = values.cell_starting_at(column) if values is not None else None
            yield key, read(cell) if cell is not None else Reading()
        return
    for row in table.rows:
        if len(row.cells) >= 2:
            yield reader_text(row.cells[0]), read(row.cells[1])
