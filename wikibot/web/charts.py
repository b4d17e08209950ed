"""Server-rendered charts: HTML title, caption and legend around an SVG plot; no JavaScript, no CDN.

Readable at any width without scaling the text: the SVG has a fixed height in pixels and no
viewBox, and every horizontal position is a percentage of its width, so a phone draws the same
12 px labels as a wide screen, only closer together. Where labels would collide on a narrow
screen, every other tick is marked ``minor`` and the stylesheet hides it. The title, the caption
saying what counts, and the legend are HTML inside the chart's ``<figure>``: they wrap instead
of running past the edge.

Every label is escaped (page titles and finding kinds come from pages anyone can edit); the SVG
carries a <title> and <desc> for screen readers and every bar or point a tooltip with its value.
Colours are the Okabe–Ito palette (told apart with the common colour-vision deficiencies); the
legend lists series in stacking order, bottom first, and lines also differ by dash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from markupsafe import Markup, escape

PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#8c8c8c")
HEIGHT = 220
TOP, BOTTOM = 22, 40  # px above the plot (room for totals) and below it (tick labels, up to two lines)
LEFT, RIGHT = 9.0, 2.0  # % of the width: the y-axis labels' gutter, and the right edge
# Tick labels must not collide: a chart card is at least WIDE_PX wide on a wide screen and about
# NARROW_PX on a phone (the stylesheet hides ``minor`` ticks in cards narrower than 30rem).
CHAR_PX, TICK_GAP_PX, WIDE_PX, NARROW_PX = 7, 12, 420, 250

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: object) -> Markup:
    """Escaped text with the characters XML cannot carry removed."""
    return escape(_NOT_XML.sub("", str(value)))


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    colour: str | None = None  # default: the palette, in order


@dataclass(frozen=True)
class Chart:
    """What a chart says about itself: a visible title and a one-line caption saying what counts."""

    key: str
    title: str
    caption: str


def _colour(series: Series, index: int) -> str:
    return series.colour or PALETTE[index % len(PALETTE)]


def _scale_max(values: Sequence[float]) -> float:
    """A round top for the y axis: 5, then 1-2-5 steps (10, 20, 50, 100...)."""
    top = max([0.0, *values])
    if top <= 5:
        return 5.0
    step = 10.0
    while True:
        for factor in (1, 2, 5):
            if top <= step * factor:
                return step * factor
        step *= 10


def _x(fraction: float) -> str:
    """A position across the plot (0..1) as a percentage of the SVG's width."""
    return f"{LEFT + (100 - LEFT - RIGHT) * fraction:.2f}%"


def _y(value: float, top: float) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot - plot * value / top


def _axes(labels: Sequence[str], top: float) -> str:
    parts = []
    for i in range(6):
        value, y = top * i / 5, _y(top * i / 5, top)
        parts.append(f'<line x1="{LEFT:.2f}%" x2="{100 - RIGHT:.2f}%" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{"#8993a4" if i == 0 else "#dfe1e6"}"/>'
                     f'<text class="tick" x="{LEFT - 1.5:.2f}%" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    every, alternate = tick_plan(labels)
    shown = 0
    for i, label in enumerate(labels):
        if i % every:
            continue
        minor = ' class="tick minor"' if alternate and shown % 2 else ' class="tick"'
        shown += 1
        x = _x((i + 0.5) / len(labels))
        lines = "".join(f'<tspan x="{x}" dy="{0 if n == 0 else 14}">{_text(line)}</tspan>'
                        for n, line in enumerate(str(label).split("\n")))
        parts.append(f'<text{minor} x="{x}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{lines}</text>')
    return "".join(parts)


def tick_plan(labels: Sequence[str]) -> tuple[int, bool]:
    """(label every n-th period, hide every other shown label on narrow screens): one tick per period
    when they fit, never two labels on top of each other."""
    if not labels:
        return 1, False
    widest = max(len(line) for label in labels for line in str(label).split("\n")) * CHAR_PX + TICK_GAP_PX
    usable = 1 - (LEFT + RIGHT) / 100
    every = 1
    while len(labels) / every * widest > WIDE_PX * usable:
        every += 1
    return every, -(-len(labels) // every) * widest > NARROW_PX * usable


def _figure(chart: Chart, svg_body: str, legend: str, description: str) -> Markup:
    label = f"chart-{_text(chart.key)}"
    return Markup(
        f'<figure class="chart-card" id="{label}"><h3 id="{label}-title">{_text(chart.title)}</h3>'
        f'<p class="caption">{_text(chart.caption)}</p>'
        f'<svg class="chart" width="100%" height="{HEIGHT}" role="img" aria-labelledby="{label}-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{_text(chart.title)}</title><desc>{_text(description)}</desc>'
        f"{svg_body}</svg>{legend}</figure>"
    )


def _legend(series: Sequence[Series], line: bool = False) -> str:
    if not series:
        return ""
    items = "".join(
        f'<li><span class="swatch{" line" if line else ""}{" dashed" if line and i % 2 else ""}" '
        f'style="--c: {_colour(s, i)}"></span>{_text(s.name)}</li>' for i, s in enumerate(series))
    return f'<ul class="legend">{items}</ul>'


def _empty(chart: Chart) -> Markup:
    body = (f'<text x="50%" y="{HEIGHT / 2:.0f}" text-anchor="middle" class="empty">'
            "No data yet: the audit fills this in</text>")
    return _figure(chart, body, "", "No data yet.")


def bar_chart(chart: Chart, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Stacked bars: one bar per label (period or bucket), one segment per series, its total on top."""
    if not labels or not series:
        return _empty(chart)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _scale_max(totals)
    slot = 1 / len(labels)
    width = (100 - LEFT - RIGHT) * slot * (0.6 if len(labels) > 1 else 0.3)
    parts = [_axes(labels, top)]
    # Totals over narrow bars would touch: on a phone they are left to the tooltips.
    total_class = "total dense" if len(labels) * (len(f"{max(totals):g}") * CHAR_PX + 4) > NARROW_PX else "total"
    for li, label in enumerate(labels):
        base = 0.0
        left = f"{LEFT + (100 - LEFT - RIGHT) * (li + 0.5) * slot - width / 2:.2f}%"
        for si, s in enumerate(series):
            value = s.values[li]
            if value <= 0:
                continue
            y0, y1 = _y(base, top), _y(base + value, top)
            parts.append(f'<rect x="{left}" y="{y1:.1f}" width="{width:.2f}%" height="{y0 - y1:.1f}" '
                         f'fill="{_colour(s, si)}" stroke="#fff" stroke-width="1">'
                         f"<title>{_text(label)} · {_text(s.name)}: {value:g}</title></rect>")
            base += value
        if totals[li] > 0:
            parts.append(f'<text class="{total_class}" x="{_x((li + 0.5) * slot)}" y="{_y(totals[li], top) - 5:.1f}" '
                         f'text-anchor="middle">{totals[li]:g}</text>')
    description = "; ".join(f"{label}: " + ", ".join(f"{s.name} {s.values[i]:g}" for s in series)
                            for i, label in enumerate(labels))
    return _figure(chart, "".join(parts), _legend(series), description)


def line_chart(chart: Chart, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Lines over time: one point per label (drawn, so a single period still shows), one line per series."""
    if not labels or not series:
        return _empty(chart)
    top = _scale_max([v for s in series for v in s.values])
    slot = 1 / len(labels)
    parts = [_axes(labels, top)]
    for si, s in enumerate(series):
        colour, dash = _colour(s, si), ' stroke-dasharray="6 4"' if si % 2 else ""
        points = [(_x((i + 0.5) * slot), _y(v, top)) for i, v in enumerate(s.values)]
        for (x1, y1), (x2, y2) in pairwise(points):
            parts.append(f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" stroke="{colour}" '
                         f'stroke-width="2.5"{dash}/>')
        for (x, y), label, value in zip(points, labels, s.values, strict=True):  # one value per label
            parts.append(f'<circle cx="{x}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                         f"<title>{_text(label)} · {_text(s.name)}: {value:g}</title></circle>")
    description = "; ".join(
        f"{s.name}: " + ", ".join(f"{label} {v:g}" for label, v in zip(labels, s.values, strict=True)) for s in series)
    return _figure(chart, "".join(parts), _legend(series, line=True), description)
