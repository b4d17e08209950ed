"""The nightly audit at scale: requests, wall time against a naive script, and incremental CPU.

Run: ``python3 bench/audit.py [--pages 2000] [--latency-ms 50]``. Seeds N post-mortems (mixed
stages, 1-3 action items each, most with real Jira issues) straight into a sandbox database, serves
it from a separate process (``python3 -m wikibot sandbox --db ...``, so the emulator does not share
the audit's CPU) with a fixed latency on every request, then measures:

1. requests of a first audit (nothing cached) against the minimum: one CQL page of 50 bodies per
   request, one Jira search per 100 keys, one lookup per lead name;
2. its wall time against the naive script (list the pages, GET each one, judge it the same way);
3. the CPU time of a second, unchanged audit against the first.

Targets: requests within 10% of the minimum, >= 20x faster than naive, second run <= 20% CPU.
Seeding is not measured.
"""

from __future__ import annotations

import argparse
import base64
import math
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wikibot.audit import run_audit  # noqa: E402
from wikibot.audit.blame import BlameMatcher  # noqa: E402
from wikibot.audit.checks import Evidence, Rules, audit_page  # noqa: E402
from wikibot.audit.facts import extract_facts  # noqa: E402
from wikibot.audit.run import template_catalogue  # noqa: E402
from wikibot.config import parse_config  # noqa: E402
from wikibot.pages import parse_page  # noqa: E402
from service_sandbox import confluence_store as cf  # noqa: E402
from service_sandbox import create_sandbox_app  # noqa: E402
from service_sandbox.store import SandboxStore  # noqa: E402
from wikibot.services import Services  # noqa: E402
from wikibot.templates import load_template  # noqa: E402

USER, TOKEN = "wikibot@example.com", "sandbox-token"
LEADS = ("557058:aa11", "557058:bb22", "557058:cc33", "557058:dd44", "557058:ee55")
PROSE = ("For 47 minutes about 31% of requests to checkout-api returned HTTP 502; customers on the Growth plan "
         "could not pay by card. The PgBouncer pool was sized for average load, not for the peak. ")
SECTIONS = ("Impact and Scope", "Trigger", "Resolution", "Root Cause", "What went well", "What didn't go well",
            "Things we should do if we have time", "Data & Analysis")
EMPTY_ACTION_ROW = "<tr>" + "<td><p></p></td>" * 5 + "</tr>"
EMPTY_TIMELINE_ROW = "<tr>" + "<td><p></p></td>" * 3 + "</tr>"


def body_for(n: int, keys: list[str], today: date) -> str:
    """Post-mortem ``n``: the real template, a stage-dependent share of it written."""
    template = load_template("postmortem.xml")
    body = template.render(
        incident={"id": f"INC-{n}", "title": f"Incident {n}", "severity": "SEV-2", "date": today - timedelta(n % 60),
                  "summary": "Alerts fired", "channel_url": None},
        lead={"account_id": LEADS[n % len(LEADS)], "name": None}, debrief_due=today - timedelta(n % 60 - 7),
        recording_url=None, template={"name": template.name, "version": template.version})
    written = SECTIONS[: 2 + n % (len(SECTIONS) - 1)]
    for title in written:
        pattern = re.compile(rf"(<h2>{re.escape(title).replace('&', '&amp;')}</h2>\s*)<p><ac:placeholder>.*?</ac:placeholder></p>")
        body = pattern.sub(lambda m: m.group(1) + f"<p>{PROSE * 3}</p>" * 2, body, count=1)
    timeline = "".join(f"<tr><td><p>14:{m:02d}</p></td><td><p>Event {m}: alert fired and paged on-call.</p></td>"
                       f"<td><p>Grafana</p></td></tr>" for m in range(0, 50, 7))
    items = "".join(
        f'<tr><td><p>Action {i} for incident {n}: alert on cl_waiting &gt; 50</p></td><td><p><ac:link><ri:user '
        f'ri:account-id="{LEADS[(n + i) % len(LEADS)]}" /></ac:link></p></td><td><p><time datetime='
        f'"{(today + timedelta(days=(n + i) % 40 - 20)).isoformat()}" /></p></td><td><p>High</p></td><td><p>'
        + (f'<ac:structured-macro ac:name="jira" ac:schema-version="1"><ac:parameter ac:name="key">{key}'
           "</ac:parameter></ac:structured-macro>" if key else "") + "</p></td></tr>"
        for i, key in enumerate(keys))
    return body.replace(EMPTY_TIMELINE_ROW, timeline, 1).replace(EMPTY_ACTION_ROW, items, 1)


def seed(db_path: str, pages: int) -> int:
    """Pages straight into the sandbox's database, Jira issues through its REST API in-process."""
    store = SandboxStore(db_path)
    app = create_sandbox_app(store, user=USER, token=TOKEN, v1_content_routes=True)
    client = app.test_client()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()}
    today = store.now().date()
    plan = [[i < 2 for i in range(1 + n % 3)] for n in range(pages)]  # first two items of a page have issues
    wanted = sum(sum(items) for items in plan)
    keys: list[str] = []
    while len(keys) < wanted:
        count = min(50, wanted - len(keys))
        updates = [{"fields": {"project": {"key": "OPS"}, "summary": f"Action {len(keys) + i}",
                               "issuetype": {"name": "Task"}, "duedate": (today - timedelta(days=i % 9)).isoformat()}}
                   for i in range(count)]
        response = client.post("/rest/api/2/issue/bulk", json={"issueUpdates": updates}, headers=auth)
        keys.extend(issue["key"] for issue in response.get_json()["issues"])
    issued = iter(keys)
    with store.tx() as conn:
        parent = cf.list_content(conn, type="page", space_key="INC", title="Post-mortems", label=None,
                                 statuses=("current",), start=0, limit=1)[0][0]["id"]
        for n, items in enumerate(plan):
            body = body_for(n, [next(issued) if has else "" for has in items], today)
            at = store.now() - timedelta(days=n % 45)
            page_id = cf.create_page(conn, store, space_key="INC", title=f"PM-{n:05d} Incident {n}", body=body,
                                     parent_id=str(parent), account=LEADS[n % len(LEADS)], at=at)
            cf.add_labels(conn, page_id, ["postmortem"])
    store.close()
    return wanted


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(db_path: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "wikibot", "sandbox", "--db", db_path, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/_sandbox/stats", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start")


def stats(url: str) -> dict[str, int]:
    return requests.get(url + "/_sandbox/stats", timeout=5).json()["by_route"]


def naive(services: Services) -> int:
    """List the post-mortems, then GET each page and judge it: what a first script would do."""
    confluence, config = services.confluence, services.config
    catalogue = template_catalogue(services)
    matcher, rules = BlameMatcher(config.audit.blame_phrases), Rules.from_config(config, _now())
    cql = f'type = page and space = "INC" and label = "postmortem" and ancestor = {services.creator.parent_id()}'
    ids = [page.id for page in confluence.search_pages(cql, expand="version", limit=200)]
    for page_id in ids:
        page = confluence.page(page_id)
        model = parse_page(page.body, instructions=catalogue.instructions)
        facts = extract_facts(model, catalogue.by_headings([s.title for s in model.sections]), matcher)
        audit_page(page, facts, catalogue, rules, Evidence(now=_now()))
    return len(ids)


def _now():
    from wikibot.store.schema import utcnow

    return utcnow()


def measure(label: str, run):  # noqa: ANN001, ANN201 - a bench helper
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {label:<28} wall {wall:7.2f} s   cpu {cpu:6.2f} s")
    return result, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--skip-naive", action="store_true", help="Skip the (slow) naive baseline.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = f"{tmp}/sandbox.db"
        print(f"seeding {args.pages} post-mortems ...", flush=True)
        keys = seed(db_path, args.pages)
        process, url = start_sandbox(db_path)
        try:
            requests.post(url + "/_sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=5).raise_for_status()
            config = parse_config({
                "confluence": {"url": url + "/wiki", "username": USER, "token": TOKEN, "space": "INC",
                               "parent_page": "Post-mortems"},
                "jira": {"url": url, "username": USER, "token": TOKEN, "project": "OPS"},
                "database": {"url": f"sqlite:///{tmp}/wikibot.db"}, "http": {"timeout": 60}},
                source="bench", environ={})
            services = Services(config)
            services.creator.parent_id()  # resolved once per process, like the service does
            print(f"sandbox with {args.latency_ms} ms latency per request; {keys} Jira keys on the pages")
            requests.post(url + "/_sandbox/stats/reset", timeout=5)
            first, wall1, cpu1 = measure("audit, first run", lambda: run_audit(services))
            made = stats(url)
            requests.post(url + "/_sandbox/stats/reset", timeout=5)
            second, wall2, cpu2 = measure("audit, unchanged rerun", lambda: run_audit(services))
            made2 = stats(url)
            naive_wall = naive_made = None
            if not args.skip_naive:
                requests.post(url + "/_sandbox/stats/reset", timeout=5)
                _, naive_wall, _ = measure("naive: list + GET each", lambda: naive(services))
                naive_made = sum(stats(url).values())
            services.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    report(args.pages, keys, (first, made, wall1, cpu1), (second, made2, wall2, cpu2),
           (naive_wall, naive_made) if naive_wall is not None else None)


def report(pages: int, keys: int, run1: tuple, run2: tuple, baseline: tuple | None) -> None:
    first, made, wall1, cpu1 = run1
    second, made2, wall2, cpu2 = run2
    confluence = sum(n for route, n in made.items() if "/wiki/" in route)
    searches = made.get("GET /wiki/rest/api/search", 0)
    jira_search = made.get("GET /rest/api/3/search/jql", 0)
    users = made.get("GET /rest/api/2/user", 0)
    minimum = math.ceil(pages / 50) + math.ceil(keys / 100) + len(LEADS)
    total = sum(made.values())
    print(f"\nfirst run: {len(first.pages)} pages, {sum(first.summary()['findings_by_kind'].values())} findings, "
          f"parsed {first.parsed}")
    print(f"  requests: {total} (Confluence {confluence}: {searches} CQL pages; Jira {jira_search} searches, "
          f"{users} user lookups)")
    print(f"  minimum:  {minimum} (⌈{pages}/50⌉ + ⌈{keys}/100⌉ + {len(LEADS)} leads)   "
          f"ratio {total / minimum:.2f}  [target <= 1.10]")
    print(f"  CQL listing alone: {searches} vs ⌈{pages}/50⌉ = {math.ceil(pages / 50)}")
    if baseline:
        naive_wall, naive_made = baseline
        print(f"naive script: {naive_made} requests, {naive_wall:.1f} s; audit {wall1:.1f} s: "
              f"{naive_wall / wall1:.1f}x faster  [target >= 20x]")
    print(f"second run: parsed {second.parsed}, reused {second.reused}; requests {sum(made2.values())} {made2}")
    print(f"  CPU {cpu2:.2f} s vs {cpu1:.2f} s: {cpu2 / cpu1:.1%} of the first  [target <= 20%]; wall {wall2:.2f} s")


if __name__ == "__main__":
    main()
