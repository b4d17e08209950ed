"""The page model's shortcuts give what the general code they stand in for gives (issue 17).

Reading a page fast means not walking most of it: cells and headings of inline markup or one lone
object are read without the walk, tables without merged cells are laid out without a grid, a
section's status finds a table's header rows without listing all its rows. Each shortcut is checked
here against the general code, on every element of the realistic pages in ``tests/corpus`` and of
a few hundred generated pages (``tests/storage_fuzz.py``), with hand-written shapes at the edges.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests import storage_fuzz
from wikibot.pages import parse_page
from wikibot.pages.lines import _DROPPED, _TRAILING, _nothing_trails
from wikibot.pages.markup import FRAMES
from wikibot.pages.rows import read_cell
from wikibot.pages.tables import (
    CELLS,
    Tables,
    _grid_layout,
    _header_rows,
    _is_bold,
    _layout,
    _rows_and_heads,
    own_cells,
)
from wikibot.pages.text import read, reader_text
from wikibot.pages.tree import PageParseError, parse_fragment

CORPUS = Path(__file__).parent / "corpus"
EDGES = [
    "<table><tbody><tr><td> <p>a <b>b</b></p> </td><td>x<p>y</p></td><td><p>1</p><p>2</p></td></tr></tbody></table>",
    '<table><tr><td><time datetime="2026-12-03" /></td><td> <ac:link><ri:user ri:userkey="k1" /></ac:link> </td>'
    '<td><ac:link><ri:user /></ac:link></td><td><time datetime="">x</time></td></tr></table>',
    '<table><tr><td><p><ac:structured-macro ac:name="JIRA"><ac:parameter ac:name="KEY">OPS-1</ac:parameter>'
    '</ac:structured-macro></p></td><td><ac:structured-macro ac:name="status"><ac:parameter ac:name="title">'
    "<b>Done</b></ac:parameter></ac:structured-macro></td><td><p>\u200b</p></td><td><p><br/></p></td></tr></table>",
    '<table><thead><tr><th colspan="2">A</th></tr><tr><th>B</th><th>C</th></tr></thead>'
    '<tbody><tr><td rowspan="2">1</td><td>2</td></tr><tr><td>3</td></tr></tbody></table>',
    "<table><tbody><tr><td><strong>Owner</strong></td><td><p><b>Due</b> <b>date</b></p></td></tr>"
    "<tr><td>a</td><td>b</td></tr></tbody></table>",
    "<table><tbody><tr><td><strong>Owner</strong> x</td><td><b><b>nested</b></b></td></tr></tbody></table>",
    "<strong><table><tbody><tr><td><strong>Owner</strong></td></tr></tbody></table></strong>",
    '<table><tr><td><p><ac:inline-comment-marker ac:ref="c1">Fix <b>it</b></ac:inline-comment-marker></p></td>'
    '<td><ac:inline-comment-marker ac:ref="c2"><ac:link><ri:user ri:account-id="a1" /></ac:link>'
    "</ac:inline-comment-marker></td></tr></table>",
    "<h2>Action items <code>x</code></h2><h3><ac:structured-macro ac:name=\"status\"><ac:parameter "
    'ac:name="title">T</ac:parameter></ac:structured-macro></h3><ul><li>a</li><li><p>b</p>c</li></ul>',
]


def _roots() -> list[etree._Element]:
    bodies = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.xml"))] + EDGES
    rng = random.Random(17)
    bodies += [storage_fuzz.page(rng) for _ in range(300)]
    roots = []
    for body in bodies:
        try:
            roots.append(parse_fragment(body))
        except PageParseError:
            continue  # (the generator makes some pages unreadable on purpose)
    return roots


ROOTS = _roots()


def _elements(*tags: str) -> list[etree._Element]:
    return [element for root in ROOTS for element in root.iter(*tags)]


@pytest.mark.parametrize("summary", [False, True])
def test_a_cell_read_without_the_walk_reads_as_the_walk_reads_it(summary: bool):
    for cell in _elements(*CELLS):
        walked = read(cell, summary=summary)
        cut = read_cell(cell, summary=summary)
        assert (cut.text, list(cut.facts), cut.objects) == (walked.text, walked.facts, walked.objects), \
            etree.tostring(cell)
        if cut.plain:
            assert not walked.facts and not walked.objects and next(cell.iter("table"), None) is None


def test_reader_text_of_any_block_cell_or_heading_is_the_walks_text():
    for element in _elements(*FRAMES):
        assert reader_text(element) == read(element).text, etree.tostring(element)


def _grid(table: etree._Element) -> list[tuple]:
    rows, heads = _rows_and_heads(table)
    laid = _layout(table, rows, _header_rows(rows, heads))
    return [(laid.columns, laid.headers)] + [
        (row.index, row.header, row.width, [(s.start, s.end, s.cell, s.here) for s in row.slots],
         [row.free_columns_before(n) for n in range(laid.columns + 2)],
         [row.cell_starting_at(n) for n in range(laid.columns + 2)], laid.is_separator(row))
        for row in laid.rows]


def _general(table: etree._Element) -> list[tuple]:
    rows, heads = _rows_and_heads(table)
    laid = _grid_layout(table, rows, set(_header_rows(rows, heads)))
    return [(laid.columns, laid.headers)] + [
        (row.index, row.header, row.width, [(s.start, s.end, s.cell, s.here) for s in row.slots],
         [row.free_columns_before(n) for n in range(laid.columns + 2)],
         [row.cell_starting_at(n) for n in range(laid.columns + 2)], laid.is_separator(row))
        for row in laid.rows]


def test_a_table_laid_out_without_a_grid_has_the_grid_layout():
    tables = _elements("table")
    assert any(not row.merged for table in tables for row in Tables().layout(table).rows)
    for table in tables:
        assert _grid(table) == _general(table), etree.tostring(table)


def test_header_rows_found_for_a_status_are_those_of_the_full_layout():
    for table in _elements("table"):
        rows, heads = _rows_and_heads(table)
        expected = [rows[i] for i in _header_rows(rows, heads)]
        status_first = Tables()
        assert status_first.header_rows(table) == expected
        assert [row.element for row in status_first.layout(table).rows if row.header] == expected
        assert Tables().header_rows(table) == expected


def _bold_by_walking(cell: etree._Element) -> bool:
    """The definition: all of the cell's reader text is inside outermost ``strong``/``b`` elements."""
    text = "".join(reader_text(cell).split())
    outer = [el for el in cell.iter("strong", "b") if next(el.iterancestors("strong", "b"), None) is None]
    return not text or "".join("".join(reader_text(el).split()) for el in outer) == text


def test_a_bold_header_cell_is_recognised_as_by_walking_it():
    cells = [cell for table in _elements("table") for row in _rows_and_heads(table)[0] for cell in own_cells(row)]
    assert any(_is_bold(cell) for cell in cells) and not all(_is_bold(cell) for cell in cells)
    for cell in cells:
        assert _is_bold(cell) == _bold_by_walking(cell), etree.tostring(cell)


@pytest.mark.parametrize(("header_cell", "status"), [
    ("<th><p>Owner</p></th>", "empty"),
    ('<th><p><ac:link><ri:user ri:account-id="1" /></ac:link></p></th>', "filled"),
    ('<th><ac:image><ri:attachment ri:filename="a.png" /></ac:image></th>', "filled"),
    ('<th><time datetime="2026-01-01" /></th>', "filled"),
    ('<th><ac:structured-macro ac:name="chart" /></th>', "filled"),
    ("<th><ac:placeholder>Who</ac:placeholder></th>", "placeholder"),
])
@pytest.mark.parametrize("data_cell", ["<td><p></p></td>", "<th>Only a header</th>"])
def test_a_status_walk_that_skips_muted_cells_still_sees_their_objects_and_placeholders(
        header_cell: str, data_cell: str, status: str):
    body = f"<h2>Impact</h2><table><tbody><tr>{header_cell}</tr><tr>{data_cell}</tr></tbody></table>"
    for instructions in ((), ("Owner",)):
        assert parse_page(body, instructions=instructions).sections[0].status == status


_PIECES = ["Fix", "the", "proxy", "Ana", "Lima", "Payments", "SRE", "team", "owner:", "Owner", "due", "by", "who:",
           "Responsable", ":", "\u00e9ch\u00e9ance", "f\u00e4llig", "bis", "2026-12-01", "3 Dec 2026", "Dec 3, 2026",
           "OPS-12", "(OPS-12)", "[x]", "\u2014", "\u2013", "-", "(", ")", "(Ana)", ",", ";", "|", "@ana", "@bo.x",
           "ticket:", "TBD", "()", "[]", "d\u2019ici le", "plazo", "Jos\u00e9-Mar\u00eda", "x" * 70,
           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123-7", "1OPS-3",
           "Verantwortlich", "zust\u00e4ndig:", "\u0130", "coowner:", "September 30th, 2026", "on", "fecha l\u00edmite",
           "11 Dec 2026", "2025"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=14), st.booleans())
def test_a_trailing_part_of_a_line_is_searched_where_it_can_start_as_the_whole_line_would_be(words, glued):
    """The line reader searches each end-anchored pattern from where it can start (lines._TRAILING):
    it finds exactly what searching the whole (collapsed) line finds."""
    text = ("" if glued else " ").join(words).strip()
    text = " ".join(text.split())
    for dropped in (False, True):
        if _nothing_trails(text, dropped):
            assert all(start_of(text) < 0 for _, start_of, _ in (_DROPPED if dropped else _TRAILING)), (dropped, text)
    for kind, start_of, pattern in _DROPPED:
        start = start_of(text)
        whole = pattern.search(text)
        if start < 0:
            assert whole is None, (kind, text)
            continue
        found = pattern.search(text, start)
        assert (found and found.span()) == (whole and whole.span()), (kind, text)
