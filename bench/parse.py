"""Parse cost of the page model against its floor: lxml merely parsing the same page.

Run: ``python3 bench/parse.py [--seconds 2]``. For small realistic pages (the 2-5 KB pages of
``tests/corpus``), an 80 KB post-mortem and a 2 MB page, it measures in one run, on one core:

* the model: ``parse_page(body).to_dict()`` (what the audit and sync pay per page);
* the floor: ``lxml.etree.fromstring`` of the same body, wrapped and with HTML entities translated
  exactly as the model does it (no tree walk at all);

and prints ms/page, MB/s, and the ratio model / floor (the target is <= 3x on every page size). Times
are the best of interleaved runs, so that a busy machine slows both sides alike.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lxml import etree  # noqa: E402

from wikibot.pages import parse_page  # noqa: E402
from wikibot.pages.tree import _KNOWN_PREFIXES, _parser, _wrap, normalise_entities, strip_declaration  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
TARGET = 3.0

USER = '<ac:link><ri:user ri:account-id="557058:{n:04d}-aa11" /></ac:link>'
JIRA = ('<ac:structured-macro ac:name="jira" ac:schema-version="1" ac:macro-id="m-{n}"><ac:parameter '
        'ac:name="server">System JIRA</ac:parameter><ac:parameter ac:name="key">OPS-{n}</ac:parameter>'
        "</ac:structured-macro>")


def properties() -> str:
    rows = "".join(f"<tr><th><p>{k}</p></th><td><p>{v}</p></td></tr>" for k, v in [
        ("Incident", "INC-101"), ("Severity", "SEV-2"), ("Incident date", '<time datetime="2026-10-14" />'),
        ("Lead investigator", USER.format(n=1)), ("Status", "Published")])
    return (f'<ac:structured-macro ac:name="details" ac:schema-version="1"><ac:rich-text-body><table>'
            f"<tbody>{rows}</tbody></table></ac:rich-text-body></ac:structured-macro>")


def prose(title: str, paragraphs: int) -> str:
    text = ("For 47 minutes (14:02&ndash;14:49 UTC) about 31&nbsp;% of requests to <code>checkout-api</code> "
            "returned HTTP 502 &mdash; customers on the <strong>Growth</strong> plan could not pay by card. ")
    body = "".join(f"<p>{text * 2}</p>" for _ in range(paragraphs))
    return f"<h2>{title}</h2>{body}<ul><li><p>One thing.</p></li><li><p>Another &rarr; thing.</p></li></ul>"


def timeline(rows: int) -> str:
    body = "".join(f"<tr><td><p>14:{i % 60:02d}</p></td><td><p>Event number {i}: alert fired &amp; paged "
                   f"{USER.format(n=i)}.</p></td><td><p>Grafana</p></td></tr>" for i in range(rows))
    return ('<h2>Timeline of events</h2><table data-layout="default"><tbody><tr><th><p>Time (UTC)</p></th>'
            f"<th><p>Event</p></th><th><p>Source</p></th></tr>{body}</tbody></table>")


def actions(rows: int, heading: str = "Action items") -> str:
    body = "".join(
        f"<tr><td><p>Action number {i}: add an alert on <code>cl_waiting</code> &gt; 50</p></td>"
        f"<td><p>{USER.format(n=i)}</p></td><td><p><time datetime=\"2026-12-{1 + i % 28:02d}\" /></p></td>"
        f"<td><p>High</p></td><td><p>{JIRA.format(n=i) if i % 3 else ''}</p></td></tr>" for i in range(rows))
    return (f'<h2>{heading}</h2><table data-layout="default"><colgroup><col /><col /><col /><col /><col />'
            "</colgroup><tbody><tr><th><p>Action</p></th><th><p>Owner</p></th><th><p>Due date</p></th>"
            f"<th><p>Priority</p></th><th><p>Ticket</p></th></tr>{body}</tbody></table>")


def code_block() -> str:
    return ('<ac:structured-macro ac:name="code" ac:schema-version="1"><ac:parameter ac:name="language">sql'
            "</ac:parameter><ac:plain-text-body><![CDATA[SELECT count(*) FROM payments WHERE status = 'failed'"
            " AND created_at > now() - interval '1 hour'; -- <h1>not a heading</h1>]]></ac:plain-text-body>"
            "</ac:structured-macro>")


def typical_page(scale: int = 1) -> str:
    """A written post-mortem; ``scale`` multiplies its prose, timeline and actions (1: ~20 KB)."""
    return (properties() + prose("Impact and Scope", 6 * scale) + prose("Trigger", 3 * scale)
            + prose("Resolution", 3 * scale) + timeline(20 * scale) + prose("Root Cause", 6 * scale) + code_block()
            + prose("What went well", 3 * scale) + prose("What didn't go well", 3 * scale) + actions(10 * scale)
            + "<h2>If we have time</h2><ul><li><p>Game day.</p></li></ul>" + prose("Data", 3 * scale))


def big_page(target_bytes: int = 2_000_000) -> str:
    parts = [properties()]
    n = 0
    while sum(map(len, parts)) < target_bytes:
        n += 1
        parts += [prose(f"Analysis part {n}", 6), code_block(), timeline(40)]
        if n % 5 == 0:
            parts.append(actions(60, f"Action items batch {n}"))
    return "".join(parts)


def floor(body: str) -> object:
    """What any reader of the page must pay: entities translated as the model does, then lxml's parse."""
    return etree.fromstring(_wrap(normalise_entities(strip_declaration(body)), _KNOWN_PREFIXES), _parser())


def model(body: str) -> object:
    return parse_page(body).to_dict()


def measure(pages: list[str], seconds: float) -> tuple[float, float]:
    """Best time per pass over ``pages`` for the model and for the floor, runs interleaved."""
    contenders: tuple[Callable[[str], object], ...] = (model, floor)
    best = [float("inf"), float("inf")]
    for fn in contenders:
        for body in pages:
            fn(body)  # warm up
    deadline, runs = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline or runs < 5:
        for index, fn in enumerate(contenders):
            started = time.perf_counter()
            for body in pages:
                fn(body)
            best[index] = min(best[index], time.perf_counter() - started)
        runs += 1
    return best[0], best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget per page size")
    args = parser.parse_args()
    small = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.xml")) if 2000 <= p.stat().st_size <= 5500]
    medium = typical_page(4) + prose("Appendix", 12)  # about 80 KB
    sets = [(f"small x{len(small)} (2-5 KB)", small), (f"{len(medium) / 1024:,.0f} KB page", [medium]),
            (f"{len(big_page()) / 1e6:,.1f} MB page", [big_page()])]
    print(f"{'pages':<22}{'model ms':>10}{'MB/s':>8}{'floor ms':>10}{'MB/s':>8}{'ratio':>8}   target <= {TARGET:.0f}x")
    worst = 0.0
    for label, pages in sets:
        size = sum(len(body.encode("utf-8")) for body in pages)
        ours, bare = measure(pages, args.seconds)
        ratio = ours / bare
        worst = max(worst, ratio)
        print(f"{label:<22}{ours / len(pages) * 1000:>10.3f}{size / ours / 1e6:>8.1f}"
              f"{bare / len(pages) * 1000:>10.3f}{size / bare / 1e6:>8.1f}{ratio:>7.1f}x   "
              f"{'ok' if ratio <= TARGET else f'{ratio / TARGET:.1f}x over'}")
    print(f"floor = lxml parse of the same body with entities translated; worst ratio {worst:.1f}x "
          f"({'meets' if worst <= TARGET else 'misses'} the {TARGET:.0f}x target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
