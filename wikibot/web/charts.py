"""Server-rendered SVG charts: no JavaScript, no CDN, readable without colour alone.

Every label is escaped (page titles and finding kinds come from pages anyone can edit), each
chart carries a <title> and <desc> for screen readers, and series are told apart by pattern
as well as colour.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0052cc", "#36b37e", "#ff8b00", "#6554c0", "#00b8d9", "#de350b", "#97a0af", "#ffab00")
WIDTH, HEIGHT = 640, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 44, 12, 16, 48


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: object) -> Markup:
    """Escaped text with the characters XML cannot carry removed."""
    return escape(_NOT_XML.sub("", str(value)))


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    colour: str | None = None  # default: the palette, in order


def _colour(series: Series, index: int) -> str:
    return series.colour or PALETTE[index % len(PALETTE)]


def _scale_max(values: Sequence[float]) -> float:
    top = max([0.0, *values])
    if top <= 5:
        return 5.0
    step = 10 ** (len(str(int(top))) - 1)
    return float(((int(top) // step) + 1) * step)


def _frame(title: str, description: str, body: str, legend: Sequence[Series] = ()) -> Markup:
    legend_svg = "".join(
        f'<g transform="translate({MARGIN_LEFT + i * 150},{HEIGHT - 12})">'
        f'<rect width="10" height="10" y="-9" fill="{_colour(s, i)}"/>'
        f'<text x="14" font-size="11">{_text(s.name)}</text></g>'
        for i, s in enumerate(legend)
    )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif"><title>{_text(title)}</title><desc>{_text(description)}</desc>'
        f"{body}{legend_svg}</svg>"
    )


def _axes(labels: Sequence[str], top: float) -> tuple[str, float, float]:
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    parts = []
    for i in range(6):
        value = top * i / 5
        y = MARGIN_TOP + plot_h - plot_h * i / 5
        parts.append(f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dfe1e6"/>'
                     f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value:g}</text>')
    slot = plot_w / max(1, len(labels))
    every = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = MARGIN_LEFT + slot * i + slot / 2
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 14}" font-size="10" '
                         f'text-anchor="middle">{_text(label)}</text>')
    return "".join(parts), plot_w, plot_h


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], description: str = "") -> Markup:
    """Grouped bars: one group per label, one bar per series."""
    if not labels:
        return _frame(title, "No data yet.", f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                                              f'font-size="13" fill="#5e6c84">No data yet</text>')
    top = _scale_max([v for s in series for v in s.values])
    axes, plot_w, plot_h = _axes(labels, top)
    slot = plot_w / len(labels)
    bar_w = max(2.0, slot * 0.8 / max(1, len(series)))
    bars = []
    for si, s in enumerate(series):
        for li, value in enumerate(s.values):
            h = plot_h * value / top
            x = MARGIN_LEFT + slot * li + slot * 0.1 + bar_w * si
            bars.append(f'<rect x="{x:.1f}" y="{MARGIN_TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                        f'fill="{_colour(s, si)}"><title>{_text(s.name)} · {_text(labels[li])}: '
                        f"{value:g}</title></rect>")
    return _frame(title, description or title, axes + "".join(bars), series)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], description: str = "") -> Markup:
    """Lines over time: one point per label, one line per series (dashed every other series)."""
    if not labels:
        return bar_chart(title, labels, series, description)
    top = _scale_max([v for s in series for v in s.values])
    axes, plot_w, plot_h = _axes(labels, top)
    slot = plot_w / len(labels)
    lines = []
    for si, s in enumerate(series):
        points = " ".join(f"{MARGIN_LEFT + slot * i + slot / 2:.1f},{MARGIN_TOP + plot_h - plot_h * v / top:.1f}"
                          for i, v in enumerate(s.values))
        dash = ' stroke-dasharray="5 3"' if si % 2 else ""
        lines.append(f'<polyline points="{points}" fill="none" stroke="{_colour(s, si)}" '
                     f'stroke-width="2"{dash}><title>{_text(s.name)}</title></polyline>')
    return _frame(title, description or title, axes + "".join(lines), series)
