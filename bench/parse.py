"""Parse throughput of the page model versus BeautifulSoup merely building its tree.

Run: ``python3 bench/parse.py [--seconds 2]``. Builds a typical ~20 KB post-mortem and a ~2 MB page
(many sections and big tables), then reports MB/s and pages/s for the whole model
(``parse_page`` + ``to_dict()``) and for ``BeautifulSoup(body, "html.parser")``, on one core. The target
is >= 10 MB/s for the model; bs4's tree building alone is around 1 MB/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bs4 import BeautifulSoup  # noqa: E402

from wikibot.pages import parse_page  # noqa: E402

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


def typical_page() -> str:
    return (properties() + prose("Impact and Scope", 6) + prose("Trigger", 3) + prose("Resolution", 3)
            + timeline(20) + prose("Root Cause", 6) + code_block() + prose("What went well", 3)
            + prose("What didn't go well", 3) + actions(10)
            + "<h2>If we have time</h2><ul><li><p>Game day.</p></li></ul>" + prose("Data", 3))


def big_page(target_bytes: int = 2_000_000) -> str:
    parts = [properties()]
    n = 0
    while sum(map(len, parts)) < target_bytes:
        n += 1
        parts += [prose(f"Analysis part {n}", 6), code_block(), timeline(40)]
        if n % 5 == 0:
            parts.append(actions(60, f"Action items batch {n}"))
    return "".join(parts)


def everything(body: str) -> object:
    """The model plus the fields computed on first use (section text, timeline)."""
    model = parse_page(body)
    return model.to_dict(), [s.text for s in model.sections], model.timeline


def measure(fn: Callable[[str], object], body: str, seconds: float) -> tuple[float, int]:
    """Best per-call time over repeated runs lasting about ``seconds``."""
    fn(body)  # warm up
    best, runs, deadline = float("inf"), 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline or runs < 3:
        started = time.perf_counter()
        fn(body)
        best = min(best, time.perf_counter() - started)
        runs += 1
    return best, runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget per measurement")
    args = parser.parse_args()
    contenders = {
        "wikibot parse_page + to_dict": lambda body: parse_page(body).to_dict(),
        "bs4 html.parser (tree only)": lambda body: BeautifulSoup(body, "html.parser"),
        "wikibot + section text/timeline": everything,
    }
    print(f"{'page':<16}{'contender':<32}{'ms/page':>10}{'MB/s':>9}{'pages/s':>10}")
    for name, body in (("typical", typical_page()), ("big", big_page())):
        size = len(body.encode("utf-8"))
        model = parse_page(body)
        label = f"{name} {size / 1024:,.0f} KB"
        rates = {}
        for contender, fn in contenders.items():
            seconds, _ = measure(fn, body, args.seconds)
            rates[contender] = size / seconds / 1e6
            print(f"{label:<16}{contender:<32}{seconds * 1000:>10.2f}{rates[contender]:>9.1f}"
                  f"{1 / seconds:>10.1f}")
        ours, theirs, _ = rates.values()
        print(f"{'':<16}{'ratio (model / bs4 tree)':<32}{ours / theirs:>29.1f}x   "
              f"[{len(model.sections)} sections, {len(model.action_items)} action items]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
