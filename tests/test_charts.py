"""SVG charts: well-formed, escaped, accessible, and sensible with no data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from wikibot.web.charts import Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode())


def test_bar_chart_draws_one_bar_per_value_with_titles():
    svg = parse(bar_chart("Within target", ["2026-10", "2026-11"], [Series("within", [3, 1]), Series("late", [0, 2])]))
    assert svg.find(f"{SVG}title").text == "Within target"
    assert len(svg.findall(f"{SVG}rect[@height]")) >= 4


def test_line_chart_draws_one_line_per_series():
    svg = parse(line_chart("Actions", ["a", "b", "c"], [Series("open", [1, 2, 3]), Series("closed", [0, 1, 4])]))
    assert len(svg.findall(f"{SVG}polyline")) == 2


def test_no_data_says_so():
    svg = bar_chart("Empty", [], [])
    assert "No data yet" in svg


@given(st.text(), st.lists(st.text(), max_size=5), st.lists(st.floats(0, 1e6), max_size=5))
def test_labels_from_pages_are_escaped_and_the_svg_stays_well_formed(title, labels, values):
    values = (values + [0.0] * len(labels))[: len(labels)]
    for chart in (bar_chart, line_chart):
        svg = parse(chart(title, labels, [Series("<script>x</script>", values)]))
        assert not svg.findall(".//script") and not svg.findall(f".//{SVG}script")
