"""The nightly audit at scale: requests, end-to-end wall time against a naive script, incremental CPU.

Run: ``python3 bench/audit.py [--pages 300] [--latency-ms 20]``. Seeds N post-mortems (mixed
stages, 1-3 action items each, most with real Jira issues) straight into a sandbox database, serves
it from a separate process (``python3 -m wikibot sandbox --db ...``, so the emulator does not share
the audit's CPU) with a fixed latency on every request, then measures:

1. ``wikibot audit`` run as a process, as cron runs it (start-up included; the database already
   migrated, the audit's cache empty): its requests, counted by the sandbox (``/_sandbox/stats``),
   against the minimum for the API in use — one parent-page lookup per process (two requests on v2, which
   finds a page by title only within a space id: the space, then the page), one CQL page of 50
   bodies per request (v1 search; Confluence caps body expansion at 50), one Jira search per 100
   keys, one lookup per lead name — and the floor that minimum sets: minimum requests x latency,
   plus a bare ``import requests`` for the process;
2. its wall time against the naive script (bench/audit_naive.py, also its own process: list the
   pages by label, GET each one, judge it the same way);
3. in this process, the CPU time of a second, unchanged audit against the first.

Targets: requests within 10% of the minimum, end to end >= 5x faster than naive, second run <= 20%
CPU. Seeding is not measured.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service_sandbox import confluence_store as cf
from service_sandbox import create_sandbox_app
from service_sandbox.store import SandboxStore
from wikibot.audit import run_audit
from wikibot.config import parse_config
from wikibot.services import Services
from wikibot.templates import load_template

USER, TOKEN = "wikibot@example.com", "sandbox-token"
BENCH = Path(__file__).resolve().parent
LEADS = ("557058:aa11", "557058:bb22", "557058:cc33", "557058:dd44", "557058:ee55")
PROSE = ("For 47 minutes about 31% of requests to checkout-api returned HTTP 502; customers on the Growth plan "
         "could not pay by card. The PgBouncer pool was sized for average load, not for the peak. ")
SECTIONS = ("Impact and Scope", "Trigger", "Resolution", "Root Cause", "What went well", "What didn't go well",
            "Things we should do if we have time", "Data & Analysis")
# A table's header row and the template's empty row under it, by the heading the table follows.
TABLE = re.compile(r"<table><tbody>(<tr>(?:<th>.*?</th>)+</tr>)(<tr>(?:<td><p></p></td>)+</tr>)", re.S)


def body_for(n: int, keys: list[str], today: date) -> str:
    """Post-mortem ``n``: the real template, a stage-dependent share of it written."""
    template = load_template("postmortem.xml")
    body = template.render(
        incident={"id": f"INC-{n}", "title": f"Incident {n}", "severity": "SEV-2", "date": today - timedelta(n % 60),
                  "summary": "Alerts fired", "channel_url": None, "started": None},
        lead={"account_id": LEADS[n % len(LEADS)], "name": None, "mention_attribute": "ri:account-id"},
        debrief_due=today - timedelta(n % 60 - 7),
        recording_url=None, template={"name": template.name, "version": template.version})
    written = SECTIONS[: 2 + n % (len(SECTIONS) - 1)]
    for title in written:
        heading = re.escape(title).replace("&", "&amp;")
        pattern = re.compile(rf"(<h2>{heading}</h2>\s*)<p><ac:placeholder>.*?</ac:placeholder></p>")
        body = pattern.sub(lambda m: m.group(1) + f"<p>{PROSE * 3}</p>" * 2, body, count=1)
    timeline = [{"Time (UTC)": f"14:{m:02d}", "Event": f"Event {m}: alert fired and paged on-call.",
                 "Source": "Grafana"} for m in range(0, 50, 7)]
    items = [{"Action": f"Action {i} for incident {n}: alert on cl_waiting &gt; 50",
              "Owner": f'<ac:link><ri:user ri:account-id="{LEADS[(n + i) % len(LEADS)]}" /></ac:link>',
              "Due date": f'<time datetime="{(today + timedelta(days=(n + i) % 40 - 20)).isoformat()}" />',
              "Priority": "High",
              "Ticket": (f'<ac:structured-macro ac:name="jira" ac:schema-version="1"><ac:parameter ac:name="key">'
                         f"{key}</ac:parameter></ac:structured-macro>" if key else "")}
             for i, key in enumerate(keys)]
    return fill_table(fill_table(body, "Timeline of events", timeline), "Action items", items)


def fill_table(body: str, heading: str, rows: list[dict[str, str]]) -> str:
    """Replace the empty row of the table under ``heading`` with ``rows`` (cells by column header)."""
    found = TABLE.search(body, body.index(f"<h2>{heading}</h2>"))
    headers = re.findall(r"<th><p>(.*?)</p></th>", found.group(1))
    filled = "".join("<tr>" + "".join(f"<td><p>{row.get(h, '')}</p></td>" for h in headers) + "</tr>" for row in rows)
    return body[:found.start(2)] + filled + body[found.end(2):]


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


def reset_stats(url: str) -> None:
    requests.post(url + "/_sandbox/stats/reset", timeout=5).raise_for_status()


def child_env() -> dict[str, str]:
    """The environment of a cron job: no WIKIBOT_ overrides; bytecode cached, as an installed package has it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(BENCH.parent)
    return env


def run_process(label: str, argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """Run ``argv`` to completion: wall time, CPU time (user + system) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=child_env(), timeout=3600)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in ok:
        raise SystemExit(f"{label}: exit {done.returncode}: {done.stderr[-2000:]}")
    print(f"  {label:<34} wall {wall:7.2f} s   cpu {cpu:6.2f} s")
    return wall, cpu, done.stdout


def bare_start() -> float:
    """The floor of any Python HTTP client's start: ``python -c 'import requests'``, best of 5."""
    runs = []
    for _ in range(6):
        wall = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import requests"], env=child_env(), check=True)
        runs.append(time.perf_counter() - wall)
    return min(runs[1:])


def measure(label: str, run):
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"  {label:<34} wall {wall:7.2f} s   cpu {cpu:6.2f} s")
    return result, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--skip-naive", action="store_true", help="Skip the (slow) naive baseline.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = f"{tmp}/sandbox.db"
        print(f"seeding {args.pages} post-mortems ...", flush=True)
        keys = seed(db_path, args.pages)
        process, url = start_sandbox(db_path)
        try:
            requests.post(url + "/_sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=5).raise_for_status()
            sections = {
                "confluence": {"url": url + "/wiki", "username": USER, "token": TOKEN, "space": "INC",
                               "parent_page": "Post-mortems"},
                "jira": {"url": url, "username": USER, "token": TOKEN, "project": "OPS"},
                "database": {"url": f"sqlite:///{tmp}/cli.db"}, "http": {"timeout": 60}}
            config_file, warm_file = Path(tmp, "config.yaml"), Path(tmp, "warm.yaml")
            config_file.write_text(json.dumps(sections))  # JSON is YAML
            warm_file.write_text(json.dumps({**sections, "database": {"url": f"sqlite:///{tmp}/warm.db"}}))
            wikibot = [sys.executable, "-m", "wikibot", "--config", str(config_file)]
            # The cron job's database exists: migrate it (and warm the .pyc files) before the clock starts.
            subprocess.run([*wikibot, "db", "upgrade"], env=child_env(), check=True, capture_output=True)
            # Nor is the wiki cold: one untimed audit (its own database) warms the sandbox for both contenders.
            subprocess.run([sys.executable, "-m", "wikibot", "--config", str(warm_file), "audit"], env=child_env(),
                           capture_output=True, timeout=3600)
            floor_start = bare_start()
            print(f"sandbox with {args.latency_ms} ms latency per request; {keys} Jira keys on the pages")

            print("as processes, start-up included:")
            reset_stats(url)
            wall1, cpu1, out = run_process("wikibot audit, first run",
                                           [*wikibot, "audit", "--format", "json"], ok=(0, 4))
            cli_made, cli_summary = stats(url), json.loads(out)["summary"]
            reset_stats(url)
            wall_rerun, _, _ = run_process("wikibot audit, unchanged rerun",
                                           [*wikibot, "audit", "--format", "json"], ok=(0, 4))
            rerun_made = stats(url)
            naive_result = None
            if not args.skip_naive:
                reset_stats(url)
                naive_wall, _, out = run_process("naive script: list + GET each",
                                                 [sys.executable, str(BENCH / "audit_naive.py"), str(config_file)])
                naive_result = (naive_wall, sum(stats(url).values()), int(out.split()[-1]))

            print("in this process (CPU of the audit itself):")
            sections["database"] = {"url": f"sqlite:///{tmp}/in-process.db"}
            services = Services(parse_config(sections, source="bench", environ={}))
            services.creator.parent_id()  # resolved once per process, like the service does
            first, _, cpu_first = measure("audit, first run", lambda: run_audit(services))
            second, _, cpu_second = measure("audit, unchanged rerun", lambda: run_audit(services))
            services.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    report(args, keys, floor_start, (cli_made, cli_summary, wall1, cpu1), (rerun_made, wall_rerun), naive_result,
           (first, cpu_first), (second, cpu_second))


def report(args: argparse.Namespace, keys: int, floor_start: float, cli: tuple, rerun: tuple,
           naive: tuple | None, first: tuple, second: tuple) -> None:
    made, summary, wall, cpu = cli
    pages, latency = args.pages, args.latency_ms / 1000
    listing = sum(n for route, n in made.items() if route.endswith("/wiki/rest/api/search"))
    jira_search = sum(n for route, n in made.items() if "/search" in route and "/wiki/" not in route)
    users = sum(n for route, n in made.items() if re.search(r"/user\b", route))
    minimum = 2 + math.ceil(pages / 50) + math.ceil(keys / 100) + len(LEADS)
    total = sum(made.values())
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work stretches CPU-bound "
          "wall time, not waits)")
    print(f"wikibot audit: {summary['pages']} pages, {sum(summary['findings_by_kind'].values())} findings, "
          f"parsed {summary['parsed']}")
    print(f"  requests: {total} = {listing} CQL pages + {jira_search} Jira searches + {users} user lookups "
          f"+ {total - listing - jira_search - users} other")
    for route, n in sorted(made.items(), key=lambda kv: -kv[1]):
        print(f"    {n:5}  {route}")
    print(f"  minimum:  {minimum} (space + parent page + ⌈{pages}/50⌉ + ⌈{keys}/100⌉ + {len(LEADS)} leads)   "
          f"ratio {total / minimum:.2f}  [target <= 1.10]")
    floor = floor_start + minimum * latency
    print(f"  floor:    {floor:.2f} s = bare `import requests` {floor_start:.2f} s + {minimum} requests x "
          f"{args.latency_ms} ms, one after another")
    print(f"  wall:     {wall:.2f} s = {wall / floor:.1f}x the floor ({wall - floor:+.2f} s); cpu {cpu:.2f} s")
    print(f"  unchanged rerun: {rerun[1]:.2f} s, {sum(rerun[0].values())} requests")
    if naive:
        naive_wall, naive_made, naive_pages = naive
        print(f"naive script: {naive_pages} pages, {naive_made} requests, {naive_wall:.2f} s "
              f"(its floor: {floor_start + naive_made * latency:.2f} s)")
        print(f"  end to end, start-up included: wikibot {naive_wall / wall:.1f}x faster  [target >= 5x]; "
              f"requests {naive_made / total:.0f}x fewer")
    (run1, cpu1), (run2, cpu2) = first, second
    print(f"second run in-process: parsed {run2.parsed}, reused {run2.reused} (first parsed {run1.parsed})")
    print(f"  CPU {cpu2:.2f} s vs {cpu1:.2f} s: {cpu2 / cpu1:.1%} of the first  [target <= 20%]")


if __name__ == "__main__":
    main()
