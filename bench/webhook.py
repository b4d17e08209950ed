"""Webhook throughput and wikibot's own overhead, against a bare Flask app as the ceiling.

    python3 bench/webhook.py [--calls 200] [--concurrency 20]

Three separate processes, all on loopback: the sandbox (0 ms latency), `wikibot serve` (waitress,
8 threads) pointed at it, and a hello-world Flask app under the same waitress settings. The load
generator sends --calls requests at --concurrency:

- ceiling: GET / on the hello-world app;
- direct:  the five Confluence Cloud calls one creation needs (v2 exact-title list, label search, v2
           page POST, label POST, v2 property POST: v2 cannot create a page with its labels and
           property in one request), made straight from the load generator — what creating a page
           costs without wikibot;
- wikibot: POST /hooks/postmortem, one new incident per call.

wikibot's overhead per call is wikibot's latency minus direct's, reported at p50 and p99.
Aims: p99 overhead ≤ 50 ms, throughput ≥ 50% of the ceiling.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"
AUTH = ("wikibot@example.com", "sandbox-token")
HELLO = """
import waitress
from flask import Flask
app = Flask("hello")
@app.get("/")
def hello():
    return "hello"
waitress.serve(app, host="127.0.0.1", port={port}, threads=8, _quiet=True)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def load(calls: int, concurrency: int, one: Callable[[requests.Session, int], None]) -> tuple[list[float], float]:
    local = threading.local()

    def timed(i: int) -> float:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        one(session, i)
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(timed, range(calls)))
    return latencies, calls / (time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else values[0] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wikibot-bench-"))
    sandbox_port, wikibot_port, hello_port = free_port(), free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    (work / "config.yaml").write_text(f"""
confluence: {{url: "{sandbox_url}/wiki", username: {AUTH[0]}, token: {AUTH[1]}, space: INC, parent_page: Post-mortems}}
jira: {{url: "{sandbox_url}", username: {AUTH[0]}, token: {AUTH[1]}, project: OPS}}
webhook: {{secret: {SECRET}, rate_limit_per_minute: 1000000}}
database: {{url: "sqlite:///{work}/wikibot.db"}}
server: {{port: {wikibot_port}}}
logging: {{level: warning}}
""")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env, "cwd": work}
    procs = [
        subprocess.Popen([sys.executable, "-m", "wikibot", "sandbox", "--port", str(sandbox_port)], **quiet),
        subprocess.Popen([sys.executable, "-m", "wikibot", "serve", "--no-scheduler"], **quiet),
        subprocess.Popen([sys.executable, "-c", HELLO.format(port=hello_port)], **quiet),
    ]
    try:
        wait_up(f"{sandbox_url}/_sandbox/stats")
        wait_up(f"http://127.0.0.1:{wikibot_port}/healthz")
        wait_up(f"http://127.0.0.1:{hello_port}/")
        wiki = f"{sandbox_url}/wiki"
        space = requests.get(f"{wiki}/api/v2/spaces", params={"keys": "INC"}, auth=AUTH).json()["results"][0]["id"]
        parent = requests.get(f"{wiki}/api/v2/pages", params={"space-id": space, "title": "Post-mortems"},
                              auth=AUTH).json()["results"][0]["id"]

        def hello(session: requests.Session, i: int) -> None:
            session.get(f"http://127.0.0.1:{hello_port}/").raise_for_status()

        def direct(session: requests.Session, i: int) -> None:
            title = f"Direct {i}"
            session.get(f"{wiki}/api/v2/pages", params={"space-id": space, "title": title},
                        auth=AUTH).raise_for_status()
            session.get(f"{wiki}/rest/api/search", params={"cql": f'type = page and label = "direct-{i}"',
                                                           "limit": 1}, auth=AUTH).raise_for_status()
            created = session.post(f"{wiki}/api/v2/pages", auth=AUTH, json={
                "spaceId": space, "status": "current", "title": title, "parentId": parent,
                "body": {"representation": "storage", "value": "<p>x</p>"}})
            created.raise_for_status()
            page = created.json()["id"]
            session.post(f"{wiki}/rest/api/content/{page}/label", auth=AUTH,
                         json=[{"prefix": "global", "name": f"direct-{i}"}]).raise_for_status()
            session.post(f"{wiki}/api/v2/pages/{page}/properties", auth=AUTH,
                         json={"key": "wikibot", "value": {"incident": f"DIRECT-{i}"}}).raise_for_status()

        def webhook(session: requests.Session, i: int) -> None:
            response = session.post(f"http://127.0.0.1:{wikibot_port}/hooks/postmortem",
                                    headers={"X-Wikibot-Token": SECRET},
                                    json={"incident_id": f"BENCH-{i}", "title": f"Bench incident {i}", "severity": "2"})
            assert response.status_code == 201, response.text

        if os.environ.get("BENCH_PROFILE"):
            subprocess.Popen(["py-spy", "record", "-d", "8", "-o", "/tmp/wikibot-profile.txt", "-f", "raw",
                              "--pid", str(procs[1].pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load(20, args.concurrency, hello)  # warm-up
        ceiling, ceiling_rps = load(args.calls, args.concurrency, hello)
        direct_lat, direct_rps = load(args.calls, args.concurrency, direct)
        wikibot_lat, wikibot_rps = load(args.calls, args.concurrency, webhook)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
    overhead50 = pct(wikibot_lat, 50) - pct(direct_lat, 50)
    overhead99 = pct(wikibot_lat, 99) - pct(direct_lat, 99)
    print(f"{args.calls} calls at concurrency {args.concurrency}, sandbox latency 0 ms")
    print(f"{'':26}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}")
    print(f"{'ceiling (hello world)':26}{pct(ceiling, 50):9.1f}{pct(ceiling, 99):9.1f}{ceiling_rps:9.0f}")
    print(f"{'direct sandbox calls':26}{pct(direct_lat, 50):9.1f}{pct(direct_lat, 99):9.1f}{direct_rps:9.0f}")
    print(f"{'wikibot webhook':26}{pct(wikibot_lat, 50):9.1f}{pct(wikibot_lat, 99):9.1f}{wikibot_rps:9.0f}")
    print(f"wikibot overhead: p50 {overhead50:.1f} ms, p99 {overhead99:.1f} ms (aim ≤ 50 ms at p99)")
    print(f"throughput: {wikibot_rps / ceiling_rps:.0%} of the hello-world ceiling (aim ≥ 50%), "
          f"{wikibot_rps / direct_rps:.0%} of what the sandbox allows for the same five calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
