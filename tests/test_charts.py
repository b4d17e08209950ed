"""Charts: a visible title and caption, stacked bars that mean something with one period, ticks that
never collide or repeat, HTML legends that wrap, escaped labels, well-formed markup."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from wikibot.web.charts import NARROW_PX, Chart, Series, bar_chart, line_chart, tick_plan

SVG = "{http://www.w3.org/2000/svg}"
CHART = Chart("test", "Within target", "Post-mortems debriefed per month.")


def parse(markup: str) -> etree._Element:
    return etree.fromstring(str(markup).encode())


def ticks(figure: etree._Element) -> list[etree._Element]:
    return [t for t in figure.iter(f"{SVG}text")
            if "tick" in (t.get("class") or "") and t.get("text-anchor") == "middle"]


def test_a_chart_has_a_visible_title_and_caption_and_an_accessible_svg():
    figure = parse(bar_chart(CHART, ["Oct", "Nov"], [Series("within", [3, 1]), Series("late", [0, 2])]))
    assert figure.tag == "figure" and figure.get("id") == "chart-test"
    assert figure.findtext("h3") == "Within target"
    assert figure.findtext("p") == "Post-mortems debriefed per month."
    svg = figure.find(f"{SVG}svg")
    assert svg.findtext(f"{SVG}title") == "Within target" and "Nov: within 1, late 2" in svg.findtext(f"{SVG}desc")
    assert svg.get("viewBox") is None and svg.get("width") == "100%"  # text is never scaled down


def test_stacked_bars_draw_one_segment_per_non_zero_value_and_the_total_on_top():
    figure = parse(bar_chart(CHART, ["Oct", "Nov"], [Series("within", [3, 1]), Series("late", [0, 2])]))
    segments = figure.findall(f".//{SVG}rect")
    assert [s.findtext(f"{SVG}title") for s in segments] == ["Oct · within: 3", "Nov · within: 1", "Nov · late: 2"]
    assert [t.text for t in figure.iter(f"{SVG}text") if t.get("class") == "total"] == ["3", "3"]


def test_totals_over_many_bars_are_marked_dense_so_phones_hide_them():
    figure = parse(bar_chart(CHART, [f"{d} Nov" for d in range(1, 15)], [Series("s", [33] * 14)]))
    assert {t.get("class") for t in figure.iter(f"{SVG}text") if "total" in t.get("class", "")} == {"total dense"}


def test_a_single_period_is_one_visible_bar():
    figure = parse(bar_chart(CHART, ["1 Dec"], [Series("Missing due date", [8]), Series("Stale page", [2])]))
    assert len(figure.findall(f".//{SVG}rect")) == 2
    assert [t.findtext(f"{SVG}tspan") for t in ticks(figure)] == ["1 Dec"]


def test_a_single_point_of_a_line_is_drawn():
    figure = parse(line_chart(CHART, ["27 Nov"], [Series("open", [4])]))
    assert len(figure.findall(f".//{SVG}circle")) == 1


def test_the_legend_is_html_inside_the_figure_naming_every_series_in_stacking_order():
    figure = parse(bar_chart(CHART, ["a"], [Series("Missing due date", [1]), Series("Template guidance left", [2])]))
    legend = figure.find("ul")
    assert legend.get("class") == "legend"
    assert ["".join(li.itertext()) for li in legend] == ["Missing due date", "Template guidance left"]


def test_one_tick_per_period_while_they_fit_and_never_a_repeated_label():
    assert tick_plan(["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]) == (1, False)
    days = [f"{d} Nov" for d in range(1, 31)]
    every, alternate = tick_plan(days)
    assert every > 1 and alternate
    shown = [t.findtext(f"{SVG}tspan") for t in ticks(parse(bar_chart(CHART, days, [Series("s", [1] * 30)])))]
    assert len(shown) == len(set(shown)) == -(-30 // every)


def test_on_narrow_screens_every_other_tick_is_minor_so_the_rest_fit():
    labels = [f"{d} Nov" for d in range(1, 13)]
    every, _ = tick_plan(labels)
    figure = parse(line_chart(CHART, labels, [Series("open", [1] * 12)]))
    visible = [t for t in ticks(figure) if "minor" not in t.get("class")]
    assert len(visible) * (6 * 7 + 12) <= NARROW_PX


def test_two_line_labels_are_drawn_as_two_lines():
    figure = parse(bar_chart(CHART, ["under\n1 week"], [Series("s", [1])]))
    assert [s.text for s in ticks(figure)[0]] == ["under", "1 week"]


def test_no_data_says_so_and_keeps_the_title():
    figure = parse(bar_chart(CHART, [], []))
    assert figure.findtext("h3") == "Within target"
    assert "No data yet" in "".join(figure.itertext())


@given(st.text(), st.lists(st.text(), max_size=5), st.lists(st.floats(0, 1e6), max_size=5))
def test_labels_from_pages_are_escaped_and_the_markup_stays_well_formed(title, labels, values):
    values = (values + [0.0] * len(labels))[: len(labels)]
    for chart in (bar_chart, line_chart):
        figure = parse(chart(Chart("k", title, title), labels, [Series("<script>x</script>", values)]))
        assert not figure.findall(".//script") and not figure.findall(f".//{SVG}script")
