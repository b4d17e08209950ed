"""Page Properties: the key/value tables of ``details`` macros, read as Confluence's Page Properties
Report shows them.

Keys run down the first column, or across a first row of ``th`` cells; a row that is one cell across
the table is a title, and a key spanning several rows (rowspan) has the values of all of them.

Pure: lxml elements in, plain values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree

from wikibot.pages.markup import macro_name
from wikibot.pages.reading import USER
from wikibot.pages.rows import EMPTY, Cell, read_cell
from wikibot.pages.tables import Table, Tables, outermost_tables
from wikibot.pages.text import reader_text


def read_properties(elements: Iterable[etree._Element], tables: Tables) -> tuple[dict[str, str], dict[str, str]]:
    """Page Properties (key -> value as reader text) and those whose value mentions a user (key ->
    that user's id): the ``details`` macros' tables, the first value of a key winning.

    ``elements``: the page's macros in document order, among any other elements (the reader passes
    the elements it collected in its one pass over the tree)."""
    properties: dict[str, str] = {}
    users: dict[str, str] = {}
    for macro in elements:
        if macro_name(macro) != "details":
            continue
        for element in outermost_tables(macro):
            for key, reading in _key_values(tables.layout(element)):
                if key and key not in properties:
                    properties[key] = reading.text
                    mentioned = reading.found(USER)
                    if mentioned:
                        users[key] = mentioned[0]
    return properties, users


def _key_values(table: Table) -> Iterator[tuple[str, Cell]]:
    """Page Properties pairs: keys down the first column, or (all-``th`` first row) across the top.

    A row that is one cell across the table is a title ("Incident details"), not a key; a key that
    spans several rows (rowspan) has the values of all of them ("Duration": outage, degraded).
    """
    rows = [row for row in table.rows if not table.is_separator(row)]
    header = rows[0] if rows else None
    if header is not None and all(cell.tag == "th" for cell in header.cells) and table.columns > 1:
        values = rows[1] if len(rows) > 1 else None
        for column in range(table.columns):
            key_cell = header.cell_starting_at(column)
            cell = values.cell_starting_at(column) if values is not None else None
            yield (reader_text(key_cell) if key_cell is not None else ""), \
                read_cell(cell) if cell is not None else EMPTY
        return
    pairs: list[tuple[str, list[Cell]]] = []
    for row in rows:
        first = row.slot_at(0) if row.merged else None
        if first is not None and not first.here and pairs:  # the key above spans this row too
            pairs[-1][1].extend(read_cell(cell) for cell in row.cells)
        elif len(row.cells) >= 2:
            pairs.append((reader_text(row.cells[0]), [read_cell(row.cells[1])]))
    for key, found in pairs:
        yield key, found[0] if len(found) == 1 else _joined(found)


def _joined(found: list[Cell]) -> Cell:
    """The cells of one value as one (a key spanning rows)."""
    return Cell(" ".join(c.text for c in found if c.text), [f for c in found for f in c.facts],
                any(c.objects for c in found), all(c.plain for c in found))
