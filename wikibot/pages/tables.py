"""Table structure: own rows and cells, header rows, and the logical column grid.

Columns are found by laying cells out the way a browser does (``colspan`` widens a cell, ``rowspan``
carries it into the rows below), so merged cells and tables nested inside cells never shift a column.

"Own" rows and cells follow one structural rule that :mod:`wikibot.pages.offsets` applies to the raw
text as well: a row belongs to a table when it is its child or the child of its
``thead``/``tbody``/``tfoot``; a cell belongs to a row when it is its child. Both sides therefore
count the same rows and cells, which is what lets the editor splice the right cell.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from wikibot.pages.reading import collapse, text_content
from wikibot.pages.text import reader_text, shortcut

ROW_GROUPS = frozenset({"thead", "tbody", "tfoot"})
CELL_TAGS = ("td", "th")
CELLS = frozenset(CELL_TAGS)
_MAX_COLUMNS = 1000  # HTML's colspan limit; also bounds the grid a hostile page can make us build
_BOLD = ("strong", "b")


def own_rows(table: etree._Element) -> list[etree._Element]:
    """The table's rows, not those of tables nested in its cells."""
    return _rows_and_heads(table)[0]


def _rows_and_heads(table: etree._Element) -> tuple[list[etree._Element], list[int]]:
    """The own rows and the indexes of those in a ``thead``, in one pass over the table's children."""
    rows: list[etree._Element] = []
    heads: list[int] = []
    for child in table:
        tag = child.tag
        if tag == "tr":
            rows.append(child)
        elif tag in ROW_GROUPS:
            start = len(rows)
            rows.extend(child.iterchildren("tr"))
            if tag == "thead":
                heads.extend(range(start, len(rows)))
    return rows, heads


def own_cells(row: etree._Element) -> list[etree._Element]:
    """The row's ``td``/``th`` children (matched by libxml2: a long table has thousands of cells)."""
    return list(row.iterchildren(*CELL_TAGS))


def _span(cell: etree._Element, attr: str, limit: int) -> int:
    value = cell.get(attr)
    if value is None:
        return 1
    value = value.strip()
    return min(max(int(value), 1), limit) if value.isdigit() else 1


def _is_bold(cell: etree._Element) -> bool:
    """All of the cell's reader text is inside ``strong``/``b`` (a header row written with ``td``).

    A cell of inline markup only (the usual ``<td><p><strong>Owner</strong></p></td>``) has the text
    libxml2 gives for it and for each of its bold elements, without walking them.
    """
    found = shortcut(cell)
    inline = isinstance(found, str)
    text = _squeezed(collapse(found) if isinstance(found, str) else reader_text(cell))
    if not text:
        return True
    outer = [el for el in cell.iter(*_BOLD) if not any(a.tag in _BOLD for a in el.iterancestors(*_BOLD))]
    bold_text = _collapsed_text if inline else reader_text
    return "".join(_squeezed(bold_text(el)) for el in outer) == text


def _collapsed_text(element: etree._Element) -> str:
    return collapse(text_content(element))


def _squeezed(text: str) -> str:
    """The text without any whitespace."""
    return "".join(text.split())


def header_row_indexes(rows: list[etree._Element]) -> list[int]:
    """Indexes of header rows: ``thead`` rows, else a first row of ``th`` or of bold-only ``td``."""
    return _header_rows(rows, [i for i, row in enumerate(rows) if row.getparent().tag == "thead"])


def _header_rows(rows: list[etree._Element], heads: list[int]) -> list[int]:
    """:func:`header_row_indexes`, the ``thead`` rows already known."""
    if heads or not rows:
        return heads
    return [0] if _is_header(rows[0]) else []


def _is_header(row: etree._Element) -> bool:
    """Whether a first row (no ``thead``) names the columns: all ``th``, or all bold ``td``."""
    cells = own_cells(row)
    if not cells:
        return False
    if all(cell.tag == "th" for cell in cells):
        return True
    return any(reader_text(cell) for cell in cells) and all(_is_bold(cell) for cell in cells)


def _header_rows_alone(table: etree._Element) -> list[etree._Element]:
    """The header rows of ``table`` (as :func:`_header_rows`) without listing all of its rows: a
    section's status needs them for every table, and most tables are never laid out."""
    heads: list[etree._Element] = []
    first = None
    for child in table:
        tag = child.tag
        if tag == "tr":
            if first is None:
                first = child
        elif tag in ROW_GROUPS:
            if tag == "thead":
                heads.extend(child.iterchildren("tr"))
            if first is None:
                first = next(child.iterchildren("tr"), None)
    if heads or first is None:
        return heads
    return [first] if _is_header(first) else []


class Slot(NamedTuple):
    """A cell placed in the grid: columns ``start``..``end - 1``; ``here`` is False when carried by rowspan."""

    start: int
    end: int
    cell: etree._Element
    here: bool


class Row:
    """One own row of a table with its cells laid out on the logical grid.

    Most rows have no merged cells and nothing carried into them: their grid is their cells in order,
    and it is not built unless asked for (``slots=None``), since a row is usually looked up a few times.
    """

    __slots__ = ("element", "index", "cells", "header", "carries", "_slots", "_starts")

    def __init__(self, element: etree._Element, index: int, cells: list[etree._Element], slots: list[Slot] | None,
                 header: bool, carries: bool = False, starts: list[int] | None = None) -> None:
        self.element = element
        self.index = index
        self.cells = cells
        self.header = header
        self.carries = carries
        """Cells of rows above reach into this row (rowspan)."""
        self._slots = slots
        self._starts = starts if starts is not None or slots is None else [slot.start for slot in slots]

    @property
    def slots(self) -> list[Slot]:
        """The row's slots, sorted by ``start``."""
        if self._slots is None:
            return [Slot(column, column + 1, cell, True) for column, cell in enumerate(self.cells)]
        return self._slots

    @property
    def merged(self) -> bool:
        """Whether the row's grid is not simply its cells in order (merged or carried cells)."""
        return self._slots is not None

    @property
    def width(self) -> int:
        if self._slots is None:
            return len(self.cells)
        return max((slot.end for slot in self._slots), default=0)

    def slot_at(self, column: int) -> Slot | None:
        if self._slots is None:
            return Slot(column, column + 1, self.cells[column], True) if 0 <= column < len(self.cells) else None
        starts = self._starts
        assert starts is not None  # (always given with the slots)
        index = bisect_right(starts, column) - 1
        if index >= 0 and column < self._slots[index].end:
            return self._slots[index]
        return None

    def cell_starting_at(self, column: int) -> etree._Element | None:
        """The cell whose first column is ``column`` (a colspan continuation is not a new value)."""
        if self._slots is None:
            return self.cells[column] if 0 <= column < len(self.cells) else None
        slot = self.slot_at(column)
        return slot.cell if slot is not None and slot.start == column else None

    def free_columns_before(self, limit: int) -> int:
        """How many grid positions after this row's last own cell are free, up to ``limit``."""
        if self._slots is None:
            return max(limit - len(self.cells), 0)
        if not self.carries:  # only own cells, in order: everything after the last one is free
            slots = self._slots
            return max(limit - (slots[-1].end if slots else 0), 0)
        last = max((slot.end for slot in self.slots if slot.here), default=0)
        taken = sum(min(slot.end, limit) - max(slot.start, last)
                    for slot in self.slots if slot.end > last and slot.start < limit)
        return max(limit - last - taken, 0)


@dataclass(slots=True)
class Table:
    """A table laid out on its logical grid."""

    element: etree._Element
    rows: list[Row]
    columns: int
    headers: list[str] = field(default_factory=list)

    header_row: Row | None = None
    """The last header row: the one naming the columns when ``thead`` holds several."""
    data_rows: list[Row] = field(default_factory=list)

    def __post_init__(self) -> None:
        heads = [row for row in self.rows if row.header]
        self.header_row = heads[-1] if heads else None
        self.data_rows = [row for row in self.rows if not row.header]

    def is_separator(self, row: Row) -> bool:
        """A single cell spanning the whole table: a group label ("Short term"), not a data row."""
        if self.columns < 2 or len(row.cells) != 1:
            return False
        own = next(slot for slot in row.slots if slot.here)
        return own.start == 0 and own.end >= self.columns


class Tables:
    """The header rows and layouts of one page's tables, each worked out once: a section's status and
    its action items both need the header rows of the same table."""

    def __init__(self) -> None:
        self._rows: dict[etree._Element, tuple[list[etree._Element], list[int]]] = {}
        self._heads: dict[etree._Element, list[etree._Element]] = {}

    def _rows_and_header_indexes(self, table: etree._Element) -> tuple[list[etree._Element], list[int]]:
        found = self._rows.get(table)
        if found is None:
            rows, thead = _rows_and_heads(table)
            alone = self._heads.get(table)
            if alone is None:
                heads = _header_rows(rows, thead)
            else:  # (found already for a status: the same rows, without reading the first row again)
                known = set(alone)
                heads = [i for i, row in enumerate(rows) if row in known]
            found = self._rows[table] = (rows, heads)
        return found

    def header_rows(self, table: etree._Element) -> list[etree._Element]:
        """The header rows of ``table`` (the reader-text walk mutes them when deciding a status)."""
        found = self._rows.get(table)
        if found is not None:
            rows, heads = found
            return [rows[i] for i in heads]
        alone = self._heads.get(table)
        if alone is None:
            alone = self._heads[table] = _header_rows_alone(table)
        return alone

    def layout(self, table: etree._Element) -> Table:
        """:func:`layout`, sharing the header rows."""
        return _layout(table, *self._rows_and_header_indexes(table))


def layout(table: etree._Element) -> Table:
    """Lay the table's own rows out on a grid (at most 1000 columns) and read its header names."""
    elements, thead = _rows_and_heads(table)
    return _layout(table, elements, _header_rows(elements, thead))


_SPANS = etree.XPath("boolean(descendant::*/@colspan) or boolean(descendant::*/@rowspan)")
"""Whether anything in a table has a colspan or rowspan (nested tables too, which only sends their
parent to the general layout): one test in C, cheaper than two lookups per cell in a long table."""
_LONG = 8


def _layout(table: etree._Element, elements: list[etree._Element], header_indexes: list[int]) -> Table:
    heads = set(header_indexes)
    if len(elements) > _LONG and _SPANS(table):
        return _grid_layout(table, elements, heads)
    rows = []
    width = 0
    for index, element in enumerate(elements):
        cells = own_cells(element)
        if len(cells) > _MAX_COLUMNS or (len(elements) <= _LONG and any(
                cell.get("colspan") is not None or cell.get("rowspan") is not None for cell in cells)):
            return _grid_layout(table, elements, heads)
        width = max(width, len(cells))
        rows.append(Row(element, index, cells, None, index in heads))
    return _named(Table(table, rows, width))  # no merged cells: every row's grid is its cells


def _named(table: Table) -> Table:
    """The table with its column names read from its header row."""
    header = table.header_row
    if header is not None:
        if not header.merged:
            table.headers = [reader_text(cell) for cell in header.cells] + [""] * (table.columns - len(header.cells))
            return table
        table.headers = [""] * table.columns
        for slot in header.slots:
            if slot.here:
                table.headers[slot.start] = reader_text(slot.cell)
    return table


def _grid_layout(table: etree._Element, elements: list[etree._Element], heads: set[int]) -> Table:
    """The general layout: cells placed on the grid one by one, rowspans carried into the rows below."""
    width = 0
    carried: list[tuple[int, int, etree._Element, int]] = []  # start, end, cell, rows still to cover
    rows = []
    for index, element in enumerate(elements):
        slots = [Slot(start, end, cell, False) for start, end, cell, _ in carried]
        remaining = len(elements) - index
        next_carried = [(s, e, c, left - 1) for s, e, c, left in carried if left > 1]
        column, taken = 0, 0  # taken: carried slots already stepped over (both sorted by column)
        starts = [start for start, _, _, _ in carried]
        cells = own_cells(element)
        pending = len(carried)
        for cell in cells:
            while taken < pending and carried[taken][0] <= column:
                column = max(column, carried[taken][1])
                taken += 1
            if cell.get("colspan") is None:
                span = 1 if column < _MAX_COLUMNS else 0
            else:
                span = min(_span(cell, "colspan", _MAX_COLUMNS), _MAX_COLUMNS - column)
            if span <= 0:
                break
            slots.append(Slot(column, column + span, cell, True))
            starts.append(column)
            if cell.get("rowspan") is not None:
                rowspan = _span(cell, "rowspan", remaining)
                if rowspan > 1:
                    next_carried.append((column, column + span, cell, rowspan - 1))
            column += span
        if carried:
            slots.sort(key=lambda slot: slot.start)
            starts.sort()
            width = max(width, max(slot.end for slot in slots))
        else:
            width = max(width, column)  # the end of the last own cell
        rows.append(Row(element, index, cells, slots, index in heads, bool(carried), starts))
        carried = sorted(next_carried, key=lambda entry: entry[0])
    return _named(Table(table, rows, width))


def unnested(block: etree._Element, *tags: str) -> Iterator[etree._Element]:
    """Tables and ``tags`` elements of ``block`` (itself included) in document order, skipping anything
    inside a table already yielded: a nested table is part of its cell, a task in a cell is that row's
    checkbox, a list in a cell is that cell's text. Linear in the size of the block."""
    inside: set[etree._Element] = set()
    for element in block.iter("table", *tags):
        if element in inside:
            continue
        if element.tag == "table":
            inside.update(element.iter("table", *tags))
        yield element


def outermost_tables(block: etree._Element) -> list[etree._Element]:
    """Tables in ``block`` (itself included) that are not nested inside another table."""
    return list(unnested(block))


_NOT_ALNUM = re.compile(r"[\W_]+")
"""What ``str.isalnum`` rejects (a word character is exactly isalnum() or the underscore)."""


def normalise_header(text: str) -> str:
    """Lower-case words only: "Due date:" and "due  DATE" name the same column."""
    return collapse(_NOT_ALNUM.sub(" ", text.lower()))
