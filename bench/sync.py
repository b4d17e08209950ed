"""Jira sync: requests made versus the minimum this design needs, and wall time versus a naive script.

Run: ``python3 bench/sync.py [--pages 200] [--items 5] [--latency-ms 50] [--naive-pages N]``.
Starts its own sandbox, creates ``pages`` post-mortems with ``items`` new action items each (one
in five marked done), sets a fixed latency on every request, then:

* runs ``wikibot.sync.run_sync`` once and counts requests by route (sandbox statistics);
* on a fresh sandbox with the same pages, runs a naive script that makes one call per item and
  step — create the issue, add its remote link, read the page, save the page (and for done items
  read the transitions, then transition) — as a cron script typically would.

The minimum for this design, per run (P pages with new items, N new items, D of them done):

    2                   look up the space's id and confluence.parent_page (v2, once per process)
  + ceil(P / 50)        CQL listing with bodies (Confluence caps body expansion at 50 per request)
  + ceil(P / 50)        marker searches, one JQL per 50 pages (each returns under 100 issues here)
  + sum ceil(n_b / 50)  bulk creates, n_b new items of each 50-page batch
  + N                   remote links (Jira has no bulk remote-link API)
  + 2 D                 transitions to Done (read transitions, then transition)
  + P                   one page update per page

The aim is requests within 10 % of that minimum. ``--naive-pages`` measures the naive script on
fewer pages (it is slow on purpose) and scales its figures linearly, said so in the output.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service_sandbox import SandboxServer, SandboxStore, create_sandbox_app
from service_sandbox.app import DEFAULT_TOKEN, DEFAULT_USER
from wikibot.atlassian.clients import build_confluence, build_jira
from wikibot.config import parse_config
from wikibot.pages import parse_page, set_ticket
from wikibot.services import Services
from wikibot.sync import run_sync

BATCH = 50
DONE_EVERY = 5


def page_body(page: int, items: int) -> str:
    rows = "".join(
        f"<tr><td><p>Page {page} action {i}: alert on queue depth above {i + 10}</p></td>"
        f'<td><p><ac:link><ri:user ri:account-id="557058:aa11" /></ac:link></p></td>'
        f'<td><p><time datetime="2026-12-{1 + i % 28:02d}" /></p></td><td><p>High</p></td>'
        f"<td><p>{'Done' if (page * items + i) % DONE_EVERY == 0 else 'To Do'}</p></td><td><p /></td></tr>"
        for i in range(items))
    return ("<h2>Impact</h2><p>Checkout returned 502s for 47 minutes.</p><h2>Action items</h2><table><tbody><tr>"
            "<th><p>Action</p></th><th><p>Owner</p></th><th><p>Due date</p></th><th><p>Priority</p></th>"
            f"<th><p>Status</p></th><th><p>Ticket</p></th></tr>{rows}</tbody></table>")


def start_sandbox(pages: int, items: int) -> tuple[SandboxServer, str]:
    """A sandbox as strict as Confluence Cloud, seeded through v2 (and v1 labels) as a person would."""
    server = SandboxServer(create_sandbox_app(SandboxStore())).start()
    confluence = build_confluence(server.url + "/wiki", DEFAULT_USER, DEFAULT_TOKEN)
    space_id = confluence.get("api/v2/spaces", params={"keys": "INC"})["results"][0]["id"]
    parent = confluence.get("api/v2/pages", params={"space-id": space_id, "title": "Post-mortems"})["results"][0]["id"]
    for n in range(pages):
        page = confluence.post("api/v2/pages", data={
            "spaceId": space_id, "status": "current", "title": f"PM-{n:04d} Checkout 502s", "parentId": parent,
            "body": {"representation": "storage", "value": page_body(n, items)}})
        confluence.post(f"rest/api/content/{page['id']}/label", data=[{"prefix": "global", "name": "postmortem"}])
    return server, parent


def control(server: SandboxServer, path: str, body: dict | None = None) -> dict:
    if body is None:
        return requests.get(server.url + path, timeout=10).json()
    return requests.post(server.url + path, json=body, timeout=10).json()


def minimum(pages: int, items: int) -> Counter[str]:
    done = sum(1 for n in range(pages) for i in range(items) if (n * items + i) % DONE_EVERY == 0)
    batches = [min(BATCH, pages - start) for start in range(0, pages, BATCH)]
    return Counter({
        "parent lookup": 2,
        "CQL listing": math.ceil(pages / BATCH),
        "JQL marker search": len(batches),
        "bulk create": sum(math.ceil(b * items / BATCH) for b in batches),
        "remote link": pages * items,
        "transition": 2 * done,
        "page update": pages,
    })


ROUTES = {
    "GET /wiki/api/v2/spaces": "parent lookup",
    "GET /wiki/api/v2/pages": "parent lookup",
    "GET /wiki/rest/api/search": "CQL listing",
    "GET /rest/api/3/search/jql": "JQL marker search",
    "POST /rest/api/2/issue/bulk": "bulk create",
    "POST /rest/api/2/issue/{id_or_key}/remotelink": "remote link",
    "GET /rest/api/2/issue/{id_or_key}/transitions": "transition",
    "POST /rest/api/2/issue/{id_or_key}/transitions": "transition",
    "PUT /wiki/api/v2/pages/{id}": "page update",
}


def run_wikibot(server: SandboxServer, latency_ms: int, db_dir: str) -> tuple[float, Counter[str], int]:
    config = parse_config({
        "confluence": {"url": server.url + "/wiki", "username": DEFAULT_USER, "token": DEFAULT_TOKEN,
                       "space": "INC", "parent_page": "Post-mortems"},
        "jira": {"url": server.url, "username": DEFAULT_USER, "token": DEFAULT_TOKEN, "project": "OPS"},
        "database": {"url": f"sqlite:///{db_dir}/bench.db"},
    }, source="bench", environ={})
    services = Services(config)
    services.db  # noqa: B018 - create the schema before the clock starts
    control(server, "/_sandbox/faults", {"latency_ms": latency_ms})
    control(server, "/_sandbox/stats/reset", {})
    started = time.perf_counter()
    report = run_sync(services)
    elapsed = time.perf_counter() - started
    services.close()
    if report.errors:
        raise SystemExit(f"sync reported errors: {report.errors[:3]}")
    stats = control(server, "/_sandbox/stats")
    by_step: Counter[str] = Counter()
    for route, count in stats["by_route"].items():
        by_step[ROUTES.get(route, route)] += count
    return elapsed, by_step, stats["requests"]


def run_naive(server: SandboxServer, latency_ms: int) -> tuple[float, int]:
    """One call per item and step, sequentially, the way a quick cron script does it."""
    confluence = build_confluence(server.url + "/wiki", DEFAULT_USER, DEFAULT_TOKEN)
    jira = build_jira(server.url, DEFAULT_USER, DEFAULT_TOKEN)
    control(server, "/_sandbox/faults", {"latency_ms": latency_ms})
    control(server, "/_sandbox/stats/reset", {})
    started = time.perf_counter()
    found = confluence.get("rest/api/search", params={"cql": 'type = page and label = "postmortem"', "limit": BATCH,
                                                      "expand": "content.body.storage"})
    while True:
        for result in found["results"]:
            page_id = result["content"]["id"]
            for item in parse_page(result["content"]["body"]["storage"]["value"]).action_items:
                issue = jira.create_issue(fields={
                    "project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": item.summary,
                    "labels": ["post-mortem"], "assignee": {"accountId": item.owner}, "duedate": item.due})
                jira.create_or_update_issue_remote_links(issue["key"], f"{server.url}/wiki/x/{page_id}", "PM")
                if item.done:
                    jira.set_issue_status(issue["key"], "Done")
                page = confluence.get(f"api/v2/pages/{page_id}", params={"body-format": "storage"})
                body = set_ticket(page["body"]["storage"]["value"], item, issue["key"])
                confluence.put(f"api/v2/pages/{page_id}", data={
                    "id": page_id, "status": "current", "title": page["title"],
                    "version": {"number": page["version"]["number"] + 1},
                    "body": {"representation": "storage", "value": body}})
        if not found.get("_links", {}).get("next"):
            break
        found = confluence.get(server.url + "/wiki" + found["_links"]["next"], absolute=True)
    elapsed = time.perf_counter() - started
    return elapsed, control(server, "/_sandbox/stats")["requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--naive-pages", type=int, default=None,
                        help="pages for the naive script (default: --pages); fewer are scaled up linearly")
    args = parser.parse_args()
    naive_pages = min(args.naive_pages or args.pages, args.pages)

    print(f"sandbox: {args.pages} pages x {args.items} new items, {args.latency_ms} ms per request")
    server, _ = start_sandbox(args.pages, args.items)
    with tempfile.TemporaryDirectory() as db_dir:
        ours_time, ours_steps, ours_requests = run_wikibot(server, args.latency_ms, db_dir)
    server.stop()
    floor = minimum(args.pages, args.items)

    print(f"\n{'step':<20}{'requests':>10}{'minimum':>10}")
    for step in sorted(set(floor) | set(ours_steps), key=lambda s: -floor.get(s, 0)):
        print(f"{step:<20}{ours_steps.get(step, 0):>10}{floor.get(step, 0):>10}")
    print(f"{'total':<20}{ours_requests:>10}{sum(floor.values()):>10}")

    server, _ = start_sandbox(naive_pages, args.items)
    naive_time, naive_requests = run_naive(server, args.latency_ms)
    server.stop()
    scale = args.pages / naive_pages
    naive_time, naive_requests = naive_time * scale, round(naive_requests * scale)
    note = "" if scale == 1 else f" (measured on {naive_pages} pages, scaled x{scale:g})"

    least = sum(floor.values())
    floor_s = least * args.latency_ms / 1000
    print(f"\nwikibot sync: {ours_requests} requests in {ours_time:.1f} s")
    print(f"naive script: {naive_requests} requests in {naive_time:.1f} s{note}")
    print(f"requests / minimum:        {ours_requests / least:.3f}  (aim: <= 1.10)")
    print(f"floor: minimum {least} requests x {args.latency_ms} ms = {floor_s:.1f} s one after another; "
          f"wikibot sync took {ours_time / floor_s:.2f}x that ({ours_time - floor_s:+.1f} s)"
          + ("; under 1x because it makes requests in parallel" if ours_time < floor_s else ""))
    print(f"naive / wikibot requests:  {naive_requests / ours_requests:.2f}x")
    print(f"naive / wikibot wall time: {naive_time / ours_time:.2f}x")


if __name__ == "__main__":
    main()
