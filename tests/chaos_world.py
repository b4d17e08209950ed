"""The world of the chaos test (``tests/test_chaos.py``): a week of post-mortems under fire.

* :class:`FaultMeter` arms random faults on the in-process sandbox — for wikibot's account only,
  so the people's own edits reach the wiki unharmed — and counts every fault that fired.
* :class:`Wikibot` runs the real processes: ``wikibot serve --no-scheduler`` (killed and restarted),
  ``wikibot sync --json`` (sometimes SIGKILLed mid-run) and ``wikibot audit --format json --publish``,
  each with its own log files; it also moves wikibot's clock (see :meth:`Wikibot.advance_clock`).
* :class:`IncidentTool` sends the post-mortem webhooks and remembers every answer it got.
* :class:`People` edit the pages through the API as different users and keep :class:`EditLog`,
  the list of every human edit (each inserts a unique marker such as ``(edit-0042)``).

Every random choice comes from ``random.Random`` seeded by the test's seed; the scenario (which
webhooks, edits, kills, when) is the same for a seed on every run. What the network does to each
request also follows the seed, but requests of concurrent processes interleave as the machine
schedules them, so the exact fault → request pairing can differ between two runs of one seed.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from flask import Response

from service_sandbox.faults import FaultRule
from wikibot.retry import status_of

SEED_ENV = "WIKIBOT_CHAOS_SEED"
DEFAULT_SEED = 20261127


LAG_ENV = "WIKIBOT_CHAOS_LAG_MS"  # e.g. 3000: CQL and JQL miss what changed in the last 3 s
PROFILE_ENV = "WIKIBOT_CHAOS_PROFILE"  # datacenter: the week on Confluence and Jira Data Center


def chaos_lag_ms() -> int:
    """How far the week's searches trail its writes, in real time (``WIKIBOT_CHAOS_LAG_MS``; none by default)."""
    return int(os.environ.get(LAG_ENV) or 0)


def chaos_profile() -> str:
    """The sandbox profile the week runs on: ``$WIKIBOT_CHAOS_PROFILE`` or cloud."""
    return os.environ.get(PROFILE_ENV) or "cloud"


def _dc() -> bool:
    return chaos_profile() == "datacenter"


def chaos_seeds() -> list[int]:
    """Three seeds: ``$WIKIBOT_CHAOS_SEED`` (or the default) and the two after it."""
    base = int(os.environ.get(SEED_ENV) or DEFAULT_SEED)
    return [base, base + 1, base + 2]


def rerun_hint(seed: int) -> str:
    profile = f"{PROFILE_ENV}={chaos_profile()} " if _dc() else ""
    return (f"[chaos seed {seed}; reproduce: {profile}{SEED_ENV}={seed} python3 -m pytest "
            f"'tests/test_chaos.py::test_a_week_of_chaos_loses_nothing_and_duplicates_nothing[{seed}]' -s]")


# -- faults ---------------------------------------------------------------------------------------

# Random faults for the whole week, checked in this order (a request fires at most one rule).
# Tuned for run time: every fault costs wikibot a retry and a wait, a stall two seconds.
FAULT_RULES: tuple[dict[str, Any], ...] = (
    {"status": 429, "retry_after": 1, "probability": 0.015},
    {"status": 503, "probability": 0.01},
    {"status": 500, "probability": 0.01},
    {"drop": True, "probability": 0.01},
    {"drop": True, "after": True, "probability": 0.015},
    {"stall_ms": 2000, "probability": 0.004},
)
# And each day one more of each kind (a stall every other day), armed until it fires, so every
# kind fires several times a week whatever the seed: at least this many per run.
DAILY_RULES: tuple[dict[str, Any], ...] = FAULT_RULES[:5]
STALL_DAYS = (1, 3, 5)
AT_LEAST = {"429 + Retry-After": 5, "503": 5, "500": 5, "dropped connection": 5, "lost answer (drop after)": 5,
            "2 s stall": 2}
FAULT_KINDS = tuple(AT_LEAST)


def fault_kind(rule: Any) -> str:
    if rule.kind == "stall":
        return "2 s stall"
    if rule.kind == "drop":
        return "lost answer (drop after)" if rule.after else "dropped connection"
    return "429 + Retry-After" if rule.status == 429 else str(rule.status)


class FaultMeter:
    """Random faults for wikibot's requests (both products), and a count of those that fired.

    The sandbox runs in this process, so its fault table is wrapped: a request authenticated as
    anyone but wikibot's account passes untouched (people's browsers are not on wikibot's flaky
    network), and every fault that fires is counted by kind and product. 409s answered to wikibot
    (a person saved first) are counted too.
    """

    def __init__(self, sandbox: Any) -> None:
        from flask import g, request

        self.sandbox = sandbox
        self.fired: Counter[tuple[str, str]] = Counter()
        self.conflicts_for_wikibot = 0
        self.requests_by_wikibot = 0
        self.sent: list[tuple[str, str]] = []
        """Every request wikibot sent, in order: (method, path)."""
        self._lock = threading.Lock()
        self._in_flight = 0
        """Requests of wikibot's the sandbox is still handling (those of a killed process too)."""
        self._idle = threading.Condition(self._lock)
        app = sandbox.server.app
        faults = app.extensions["sandbox"].faults
        original_take = faults.take
        wikibot_user = sandbox.user

        def from_wikibot() -> bool:
            auth = request.authorization  # on Data Center wikibot sends its PAT as a bearer token
            return auth is not None and (auth.username == wikibot_user or auth.type == "bearer")

        def take(method: str, path: str) -> FaultRule | None:
            if not from_wikibot():
                return None
            rule = original_take(method, path)
            g.chaos_in_flight = True
            with self._lock:
                self.requests_by_wikibot += 1
                self._in_flight += 1
                self.sent.append((method, path))
                if rule is not None:
                    self.fired[(fault_kind(rule), "confluence" if path.startswith(("/wiki", "/confluence"))
                                else "jira")] += 1
            return rule

        def count_conflicts(response: Response) -> Response:
            if response.status_code == 409 and from_wikibot():
                with self._lock:
                    self.conflicts_for_wikibot += 1
            return response

        def finished(_error: BaseException | None) -> None:
            if g.pop("chaos_in_flight", False):
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()

        faults.take = take
        # Registered after the app served requests, so past Flask's "setup finished" guard.
        app.after_request_funcs.setdefault(None, []).append(count_conflicts)
        app.teardown_request_funcs.setdefault(None, []).append(finished)

    def wait_idle(self, timeout: float = 60) -> None:
        """Until the sandbox has answered every request wikibot sent: a process killed at a request
        leaves it running in the sandbox (a bulk create still creating its issues)."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise AssertionError(f"the sandbox still handles {self._in_flight} of wikibot's requests")

    def wait_for(self, point: KillPoint, since: int, give_up: Callable[[], bool]) -> bool:
        """Wait until wikibot's requests after the first ``since`` reach ``point``; False if
        ``give_up()`` said to stop first."""
        while True:
            with self._lock:
                seen = sum(1 for method, path in self.sent[since:] if point.matches(method, path))
            if seen >= point.nth:
                return True
            if give_up():
                return False
            time.sleep(0.002)

    def arm(self, seed: int) -> None:
        self.sandbox.fault(seed=seed)
        lag = chaos_lag_ms()
        if lag:  # searches trail writes by this much, as on Cloud (cleared with the rest by disarm)
            self.sandbox.fault(index_lag_ms=lag)
        for rule in FAULT_RULES:
            self.sandbox.fault(count=None, **rule)

    def arm_daily(self, day: int) -> None:
        for rule in DAILY_RULES + ((FAULT_RULES[5],) if day in STALL_DAYS else ()):
            self.sandbox.fault(**{**rule, "count": 1, "probability": 0.05})

    def disarm(self) -> None:
        self.sandbox.clear_faults()

    def by_kind(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (kind, _product), n in self.fired.items():
            totals[kind] += n
        return {kind: totals[kind] for kind in FAULT_KINDS}

    def table(self) -> str:
        lines = []
        for kind in FAULT_KINDS:
            lines.append(f"    {kind:26} confluence {self.fired[(kind, 'confluence')]:3}  "
                         f"jira {self.fired[(kind, 'jira')]:3}")
        return "\n".join(lines)


@dataclass(frozen=True)
class KillPoint:
    """Where a process dies: when wikibot sends its ``nth`` request matching ``method`` and
    ``path_part`` (empty: any). The sandbox still handles that request; its answer is lost."""

    nth: int
    method: str = ""
    path_part: str = ""
    name: str = "any request"

    def matches(self, method: str, path: str) -> bool:
        return (not self.method or method == self.method) and self.path_part in path


# -- wikibot's processes --------------------------------------------------------------------------


@dataclass
class Run:
    """One ``wikibot`` command line run: how it ended, and what it printed."""

    kind: str
    number: int
    returncode: int | None
    killed: bool
    seconds: float
    stdout: str
    stderr: str
    killed_at: str | None = None
    leases_left: int = 0
    """Page leases a killed sync left behind: it died while working on those pages."""
    pending_left: int = 0
    """Creates a killed sync had sent (or was about to) with no outcome recorded: it died mid-filing."""

    @property
    def report(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None


class Wikibot:
    """wikibot's processes against the sandbox, configured from one file in ``folder``."""

    def __init__(self, sandbox: Any, meter: FaultMeter, folder: Path, secret: str, port: int) -> None:
        self.sandbox = sandbox
        self.meter = meter
        self.folder = folder
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.db_path = folder / "wikibot.db"
        self.config_path = folder / "config.yaml"
        self.logs = folder / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        user = "" if sandbox.profile == "datacenter" else sandbox.user  # Data Center: the token as a PAT
        self.config_path.write_text(f"""
confluence: {{url: "{sandbox.confluence_url}", username: "{user}", token: {sandbox.token}, space: INC,
             parent_page: Post-mortems}}
jira: {{url: "{sandbox.jira_url}", username: "{user}", token: {sandbox.token}, project: OPS}}
webhook: {{secret: {secret}, rate_limit_per_minute: 100000}}
database: {{url: "sqlite:///{self.db_path}"}}
server: {{port: {port}}}
postmortem: {{templates: {{SEV-1: sre.xml}}}}
http: {{timeout: 5, circuit_cooldown: 3}}
""")
        self.serve_proc: subprocess.Popen | None = None
        self.runs: list[Run] = []
        self.serve_starts = 0
        self.serve_kills = 0
        self._count = 0
        self._lock = threading.Lock()
        # Not measured for coverage (COVERAGE_PROCESS_CONFIG is how coverage's subprocess patch reaches a
        # child): the week kills its processes with SIGKILL, whose coverage data is lost anyway, and
        # measuring a hundred process starts costs the CI run time that buys nothing.
        self._env = {k: v for k, v in os.environ.items()
                     if not k.startswith("WIKIBOT_") and k != "COVERAGE_PROCESS_CONFIG"}

    def _command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "wikibot", "--config", str(self.config_path), *args]

    def _spawn(self, kind: str, args: list[str]) -> tuple[subprocess.Popen, Path, Path, int]:
        with self._lock:
            self._count += 1
            number = self._count
        out_path = self.logs / f"{number:03d}-{kind}.out"
        err_path = self.logs / f"{number:03d}-{kind}.err"
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(self._command(*args), cwd=self.folder, env=self._env, stdout=out, stderr=err)
        return proc, out_path, err_path, number

    # -- serve ----------------------------------------------------------------------------------
    def start_serve(self) -> None:
        assert self.serve_proc is None
        proc, out_path, err_path, _ = self._spawn("serve", ["serve", "--no-scheduler"])
        self.serve_proc = proc
        self.serve_starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "serving on" in out_path.read_text():
                try:
                    if requests.get(self.base + "/healthz", timeout=1).ok:
                        return
                except requests.RequestException:
                    pass
            if proc.poll() is not None:
                raise AssertionError(f"wikibot serve exited with {proc.returncode}:\n{err_path.read_text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError("wikibot serve did not become healthy in 60 s")

    def kill_serve(self) -> None:
        """SIGKILL: no shutdown handler runs, in-flight webhooks lose their answers."""
        if self.serve_proc is not None:
            self.serve_proc.kill()
            self.serve_proc.wait(timeout=30)
            self.serve_proc = None
            self.serve_kills += 1

    def stop_serve(self) -> int | None:
        """SIGTERM, as an operator stops it; returns the exit status."""
        if self.serve_proc is None:
            return None
        proc, self.serve_proc = self.serve_proc, None
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout=60)

    # -- one-shot commands ----------------------------------------------------------------------
    def run(self, kind: str, args: list[str], kill_at: KillPoint | None = None, timeout: float = 240) -> Run:
        """Run a command to its end, or SIGKILL it at ``kill_at`` (a run that finishes before it
        gets there is simply not killed)."""
        started, since = time.monotonic(), datetime.now(UTC).replace(tzinfo=None)
        sent_before = len(self.meter.sent)
        proc, out_path, err_path, number = self._spawn(kind, args)
        killed = False
        if kill_at is not None:
            reached = self.meter.wait_for(kill_at, sent_before, give_up=lambda: proc.poll() is not None
                                          or time.monotonic() - started > timeout)
            if reached and proc.poll() is None:
                proc.kill()
                killed = True
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
            raise AssertionError(f"wikibot {kind} did not finish in {timeout} s:\n"
                                 f"{err_path.read_text()[-3000:]}") from None
        run = Run(kind, number, None if killed else proc.returncode, killed, time.monotonic() - started,
                  out_path.read_text(), err_path.read_text(), kill_at.name if killed and kill_at else None)
        if killed:
            run.leases_left, run.pending_left = self._left_behind(since)
        self.runs.append(run)
        return run

    def _left_behind(self, since: datetime) -> tuple[int, int]:
        """Page leases taken and creates left pending since ``since`` (UTC), by now-dead runs."""
        stamp = since.isoformat(sep=" ", timespec="microseconds")
        with sqlite3.connect(self.db_path, timeout=30) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            leases = db.execute("SELECT count(*) FROM leases WHERE name LIKE 'sync-page:%' AND acquired_at >= ?",
                                (stamp,)).fetchone()[0] if "leases" in tables else 0
            pending = db.execute("SELECT count(*) FROM sync_ledger WHERE state = 'pending' AND created_at >= ?",
                                 (stamp,)).fetchone()[0] if "sync_ledger" in tables else 0
        db.close()
        return leases, pending

    def sync(self, kill_at: KillPoint | None = None) -> Run:
        return self.run("sync", ["sync", "--json"], kill_at)

    def audit(self, kill_at: KillPoint | None = None) -> Run:
        return self.run("audit", ["audit", "--format", "json", "--publish"], kill_at)

    def tracebacks(self) -> list[str]:
        """Every log file of every process (serve included) that holds a Python traceback."""
        found = []
        for path in sorted(self.logs.glob("*.err")):
            text = path.read_text()
            if "Traceback (most recent call last)" in text:
                start = text.index("Traceback (most recent call last)")
                found.append(f"{path.name}:\n{text[max(0, start - 300):start + 2500]}")
        return found

    # -- time -----------------------------------------------------------------------------------
    def advance_clock(self, hours: float) -> None:
        """Let ``hours`` pass for wikibot: every timestamp in its database moves that far back.

        Equivalent to wikibot's clock moving forward (it only ever compares stored times with
        now): leases of killed runs expire (10 min), claims of a killed webhook call expire
        (2 min), pending creates settle (10 min) — as they would between two hourly syncs of a
        real week. The hours pass for the search index too: it catches up (with a lag of seconds,
        a create that settled in wikibot's clock but not in the index's would be filed twice).
        Only called while no wikibot command runs and no webhook is in flight.
        """
        # What a killed process sent must land first, or it would land after the index caught up and
        # stay unsearchable while its pending creates look settled: filed twice, by the harness's doing.
        self.meter.wait_idle()
        delta = timedelta(hours=hours)
        with sqlite3.connect(self.db_path, timeout=30) as db:
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')
                           if row[2].upper() == "DATETIME"]
                for column in columns:
                    rows = db.execute(f'SELECT rowid, "{column}" FROM "{table}" '
                                      f'WHERE "{column}" IS NOT NULL').fetchall()
                    db.executemany(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                                   [(_earlier(value, delta), rowid) for rowid, value in rows])
        db.close()
        self.sandbox.catch_up()


def _earlier(value: str, delta: timedelta) -> str:
    """A stored SQLAlchemy/SQLite timestamp moved back by ``delta``, in the same format."""
    moment = datetime.fromisoformat(value) - delta
    text = moment.isoformat(sep=" ", timespec="microseconds")
    return text


# -- the incident tool ----------------------------------------------------------------------------


@dataclass
class Incident:
    incident_id: str
    title: str
    severity: str
    lead: str
    summary: str
    answers: list[tuple[int, str | None]] = field(default_factory=list)
    """Every answer received: (HTTP status, page id or None)."""
    lost: int = 0
    """Calls that got no answer at all (connection dropped, refused, timed out)."""
    answered: bool = False
    """Whether some call got a 200/201 with the page."""

    @property
    def label(self) -> str:
        return f"incident-{self.incident_id.lower()}"

    @property
    def page_ids(self) -> set[str]:
        return {page_id for status, page_id in self.answers if status in (200, 201) and page_id}

    def payload(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "title": self.title, "severity": self.severity,
                "lead": self.lead, "summary": self.summary}


class IncidentTool:
    """The incident tool that calls ``POST /hooks/postmortem``, retrying 5xx answers a little."""

    def __init__(self, base: str, secret: str) -> None:
        self.base = base
        self.secret = secret
        self._lock = threading.Lock()

    def send_once(self, incident: Incident, timeout: float = 60) -> tuple[int | None, dict[str, Any]]:
        try:
            response = requests.post(self.base + "/hooks/postmortem", json=incident.payload(), timeout=timeout,
                                     headers={"X-Wikibot-Token": self.secret})
        except requests.RequestException:
            with self._lock:
                incident.lost += 1
            return None, {}
        try:
            body = response.json()
        except ValueError:
            body = {}
        with self._lock:
            incident.answers.append((response.status_code, body.get("page_id")))
            if response.status_code in (200, 201):
                incident.answered = True
        return response.status_code, body

    def send(self, incident: Incident, attempts: int = 3) -> None:
        """Retry a 5xx answer a couple of times, as incident tools do. A call with no answer at all
        is left for later: the tool cannot know whether it landed (resent once the week is over)."""
        for attempt in range(attempts):
            status, _ = self.send_once(incident)
            if status is None or status < 500:
                return
            time.sleep(0.3 * (attempt + 1))


# -- people and their edits -----------------------------------------------------------------------

PEOPLE = {
    "ana@example.com": "557058:aa11",
    "bob@example.com": "557058:bb22",
    "chidi@example.com": "557058:cc33",
    "dana@example.com": "557058:dd44",
    "eve@example.com": "557058:ee55",
}

ACTIONS = (
    "Alert on connection pool saturation", "Add a runbook for failover drills", "Canary every PgBouncer change",
    "Rotate the signing keys automatically", "Page the on-call on certificate expiry",
    "Split the CDN zone per region", "Load-test checkout before sales", "Cap retries in the payment client",
    "Document the cache warmup procedure", "Move cron jobs off the primary", "Add circuit breakers to search",
    "Pin the base image digest", "Backfill missing audit events", "Raise the disk usage alert threshold",
    "Shard the notification queue", "Review the deploy freeze calendar", "Tag every dashboard with an owner",
    "Automate the DNS rollback", "Limit batch sizes in the importer", "Remove the legacy billing endpoint",
    "Teach the bot to announce rollbacks", "Test restores from backup monthly", "Budget error rates per service",
    "Trace requests across the gateway", "Retire the shared admin account",
)
SENTENCES = (
    "Checkout returned 502s for fourteen minutes", "About three percent of orders failed",
    "A config push lowered the pool size", "The on-call engineer rolled back the deploy",
    "Traffic shifted to the secondary region", "The alert fired eleven minutes late",
    "Replica lag grew past five minutes", "The runbook link pointed to an old page",
    "Synthetic checks caught the first errors", "Customers retried and doubled the load",
)
MORE = ("for every region", "with a weekly report", "before the next launch", "including staging",
        "and add it to onboarding", "with an owner per team")
DUE = ("2026-12-04", "2026-12-10", "2026-12-18", "2027-01-08", "2027-01-15")
PRIORITIES = ("Highest", "High", "Medium", "Low")
SKIPPED_SECTIONS = ("Action items", "Things we should do if we have time")
_PLACEHOLDER_SECTION = re.compile(r"<h2>([^<]+)</h2>\s*<p><ac:placeholder>[^<]*</ac:placeholder></p>")
_EMPTY_ACTION_ROW = "<tr>" + "<td><p></p></td>" * 5 + "</tr>"


def marker(n: int) -> str:
    return f"(edit-{n:04d})"


@dataclass
class PageRecord:
    """What people did to one page: every marker they inserted, and the action rows they wrote."""

    page_id: str
    incident_id: str
    markers: list[str] = field(default_factory=list)
    rows: dict[str, str] = field(default_factory=dict)
    """The marker of the edit that added each action row → the row's summary now."""
    paragraphs: list[str] = field(default_factory=list)
    """The marker of the edit that filled each section (later edits extend those paragraphs)."""
    last_row: int = 0
    """When (edit number) the last action row was added."""


@dataclass
class EditLog:
    pages: dict[str, PageRecord] = field(default_factory=dict)
    edits: int = 0
    conflicts: int = 0
    """409s people got (someone — usually wikibot — saved first) and re-applied their edit after."""
    kinds: Counter[str] = field(default_factory=Counter)

    def next_marker(self) -> str:
        self.edits += 1
        return marker(self.edits)


@dataclass(frozen=True)
class PlannedEdit:
    """One person's edit, decided up front from the seed; resolved against the pages at run time."""

    person: str
    kind: str  # fill | action | sentence | reword
    pick: float  # which page (fraction of the known pages, in page-id order)
    choice: int  # which section / action / sentence / row
    delay: float = 0.0  # seconds to wait first (edits that race a running sync)
    recent: bool = False  # pick among the three pages that got action rows last (a running sync writes there)


class People:
    """The engineers who write the post-mortems: they edit through the real client, as themselves."""

    def __init__(self, sandbox: Any, log: EditLog) -> None:
        self.sandbox = sandbox
        self.log = log
        self.clients = {email: sandbox.confluence(user=email) for email in PEOPLE}
        self._lock = threading.Lock()

    # -- finding the pages ------------------------------------------------------------------
    def discover(self, incidents: dict[str, Incident]) -> None:
        """Look the post-mortems up on the wiki, as people do (by their incident label)."""
        client = self.clients["ana@example.com"]
        by_label = {incident.label: incident for incident in incidents.values()}
        found = client.get("rest/api/search", params={"cql": 'type = page and label = "postmortem"', "limit": 100})
        while True:
            for result in found.get("results") or []:
                content = result.get("content") or result
                page_id = str(content["id"])
                if page_id in self.log.pages:
                    continue
                labels = client.get(f"rest/api/content/{page_id}/label" if _dc()
                                    else f"api/v2/pages/{page_id}/labels").get("results") or []
                incident = next((by_label[label["name"]] for label in labels if label["name"] in by_label), None)
                if incident is not None:
                    self.log.pages[page_id] = PageRecord(page_id, incident.incident_id)
            if not (found.get("_links") or {}).get("next"):
                return
            base = self.sandbox.url if _dc() else self.sandbox.wiki_url  # DC's link carries /confluence
            found = client.get(base + found["_links"]["next"], absolute=True)

    # -- editing ----------------------------------------------------------------------------
    def perform(self, plan: PlannedEdit) -> bool:
        """Carry out a planned edit; False when there is no page to edit yet."""
        if plan.delay:
            time.sleep(plan.delay)
        with self._lock:
            if not self.log.pages:
                return False
            ids = sorted(self.log.pages, key=int)
            if plan.recent:
                ids = sorted(ids, key=lambda page_id: self.log.pages[page_id].last_row)[-3:]
            record = self.log.pages[ids[min(int(plan.pick * len(ids)), len(ids) - 1)]]
            new_marker = self.log.next_marker()
        kind = plan.kind
        if kind == "reword" and not record.rows:
            kind = "action"
        if kind == "sentence" and not record.paragraphs:
            kind = "fill"
        if kind == "fill":
            done = self._edit(plan.person, record, lambda body: _fill_section(body, plan.choice, new_marker))
            if done:
                record.paragraphs.append(new_marker)
            else:  # every section written already: add an action instead
                kind = "action"
        if kind == "action":
            used = {summary.split(" (edit-")[0] for summary in record.rows.values()}
            phrases = [p for p in ACTIONS if p not in used]
            summary = f"{phrases[plan.choice % len(phrases)]} {new_marker}"
            owner = list(PEOPLE.values())[plan.choice % len(PEOPLE)]
            row = _action_row(summary, owner, DUE[plan.choice % len(DUE)], PRIORITIES[plan.choice % len(PRIORITIES)])
            done = self._edit(plan.person, record, lambda body: _add_row(body, row))
            assert done, f"could not add an action row to page {record.page_id}"
            record.rows[new_marker] = summary
            record.last_row = self.log.edits
        elif kind == "sentence":
            first = record.paragraphs[plan.choice % len(record.paragraphs)]
            sentence = f"{SENTENCES[plan.choice % len(SENTENCES)]}. {new_marker}"
            done = self._edit(plan.person, record, lambda body: _extend_paragraph(body, first, sentence))
            assert done, f"could not find the paragraph {first} on page {record.page_id}"
        elif kind == "reword":
            first = sorted(record.rows)[plan.choice % len(record.rows)]
            old = record.rows[first]
            new = f"{old} {MORE[plan.choice % len(MORE)]} {new_marker}"
            done = self._edit(plan.person, record, lambda body: _reword(body, old, new))
            assert done, f"could not find the action {old!r} on page {record.page_id}"
            record.rows[first] = new
        with self._lock:
            record.markers.append(new_marker)
            self.log.kinds[kind] += 1
        return True

    def _edit(self, person: str, record: PageRecord, change) -> bool:
        """Read, change, save with version + 1; on 409 read again and re-apply (as the editor does)."""
        client = self.clients[person]
        for _ in range(20):
            if _dc():
                page = client.get(f"rest/api/content/{record.page_id}", params={"expand": "body.storage,version"})
            else:
                page = client.get(f"api/v2/pages/{record.page_id}", params={"body-format": "storage"})
            body = change(page["body"]["storage"]["value"])
            if body is None:
                return False
            try:
                if _dc():
                    client.put(f"rest/api/content/{record.page_id}", data={
                        "id": record.page_id, "type": "page", "title": page["title"],
                        "version": {"number": page["version"]["number"] + 1},
                        "body": {"storage": {"value": body, "representation": "storage"}}})
                    return True
                client.put(f"api/v2/pages/{record.page_id}", data={
                    "id": record.page_id, "status": "current", "title": page["title"],
                    "version": {"number": page["version"]["number"] + 1},
                    "body": {"representation": "storage", "value": body}})
                return True
            except Exception as exc:
                if status_of(exc) != 409:
                    raise
                with self._lock:
                    self.log.conflicts += 1
        raise AssertionError(f"{person} could not save page {record.page_id}: 20 edit conflicts in a row")


def _fill_section(body: str, choice: int, new_marker: str) -> str | None:
    spots = [m for m in _PLACEHOLDER_SECTION.finditer(body) if m.group(1) not in SKIPPED_SECTIONS]
    if not spots:
        return None
    spot = spots[choice % len(spots)]
    paragraph = f"<p>{SENTENCES[choice % len(SENTENCES)]}. {new_marker}</p>"
    heading_end = body.index("</h2>", spot.start()) + len("</h2>")
    return body[:heading_end] + "\n" + paragraph + body[spot.end():]


def _action_row(summary: str, owner: str, due: str, priority: str) -> str:
    if _dc():
        from service_sandbox.datacenter import userkey

        user = f'<ri:user ri:userkey="{userkey(owner)}" />'
    else:
        user = f'<ri:user ri:account-id="{owner}" />'
    return (f"<tr><td><p>{summary}</p></td><td><p><ac:link>{user}</ac:link></p></td>"
            f"<td><p><time datetime=\"{due}\" /></p></td><td><p>{priority}</p></td><td><p></p></td></tr>")


def _add_row(body: str, row: str) -> str:
    """Fill the template's empty row, else append the row to the Action items table."""
    start = body.index("<h2>Action items</h2>")
    end = body.find("<h2>", start + 1)
    end = len(body) if end < 0 else end
    section = body[start:end]
    if _EMPTY_ACTION_ROW in section:
        section = section.replace(_EMPTY_ACTION_ROW, row, 1)
    else:
        cut = section.rindex("</tbody>")
        section = section[:cut] + row + section[cut:]
    return body[:start] + section + body[end:]


def _extend_paragraph(body: str, first_marker: str, sentence: str) -> str | None:
    pattern = re.compile(r"(<p>[^<]*" + re.escape(first_marker) + r"[^<]*)</p>")
    if len(pattern.findall(body)) != 1:
        return None
    return pattern.sub(lambda m: f"{m.group(1)} {sentence}</p>", body, count=1)


def _reword(body: str, old: str, new: str) -> str | None:
    cell = f"<td><p>{old}</p></td>"
    if body.count(cell) != 1:
        return None
    return body.replace(cell, f"<td><p>{new}</p></td>")


# -- the week's plan ------------------------------------------------------------------------------


@dataclass
class Day:
    number: int
    incidents: list[Incident]
    duplicate_sends: list[int]
    """Indexes of the day's incidents sent twice at once (a double click, two rules firing)."""
    kill_serve_at: KillPoint | None
    """Where serve is SIGKILLed during the webhook burst (None: it is not)."""
    restart_serve_at_noon: bool
    twin_sync: bool
    """Whether a second sync runs alongside the day's first one."""
    kill_audit_at: KillPoint | None
    """Where the nightly audit is SIGKILLed (None: it runs to the end)."""
    edits: list[PlannedEdit]
    syncs: list[tuple[KillPoint | None, list[PlannedEdit]]]
    """The day's two syncs (the second runs with the nightly audit): where it is SIGKILLed (None:
    it runs to the end), and the edits people make meanwhile."""


def sync_kill_point(rng: random.Random) -> KillPoint:
    """Mid-filing (the bulk create in flight), mid-write-back, mid-linking, or anywhere."""
    return rng.choice((
        KillPoint(1, "POST", "/rest/api/2/issue/bulk", "bulk create in flight"),
        KillPoint(1, "POST", "/rest/api/2/issue/bulk", "bulk create in flight"),
        KillPoint(rng.randint(1, 3), "PUT", "/confluence/rest/api/content/" if _dc() else "/wiki/api/v2/pages/",
                  "write-back in flight"),
        KillPoint(rng.randint(1, 3), "POST", "/remotelink", "remote link in flight"),
        KillPoint(rng.randint(1, 8), name="any request"),
    ))


def serve_kill_point(rng: random.Random, webhooks: int) -> KillPoint:
    """A page create in flight, or anywhere in the burst."""
    if rng.random() < 0.5:
        return KillPoint(rng.randint(1, 2), "POST", "/confluence/rest/api/content" if _dc() else "/wiki/api/v2/pages",
                         "page create in flight")
    return KillPoint(rng.randint(1, 4 * webhooks), name="any request")


def plan_week(rng: random.Random, incidents_per_day: tuple[int, ...] = (5, 4, 4, 5, 4, 4, 4)) -> list[Day]:
    """The whole week, decided up front so a seed always means the same scenario."""
    people = list(PEOPLE)
    kinds = ("fill", "fill", "action", "action", "action", "sentence", "reword")

    def edit(delay: float = 0.0, recent: bool = False) -> PlannedEdit:
        return PlannedEdit(rng.choice(people), rng.choice(kinds), rng.random(), rng.randrange(1000), delay, recent)

    days, number = [], 100
    for day, count in enumerate(incidents_per_day, start=1):
        incidents = []
        for _ in range(count):
            number += 1
            severity = rng.choice(("SEV-1", "SEV-2", "SEV-2", "SEV-3"))
            incidents.append(Incident(
                incident_id=f"INC-{number}", title=f"{rng.choice(SENTENCES)} on day {day}", severity=severity,
                lead=rng.choice(("Ana Lima", "Bob Chen", "Dana Kowalski", "Someone Unknown")),
                summary=f"{rng.choice(SENTENCES)}; paged at 0{rng.randrange(10)}:{rng.randrange(60):02d} UTC"))
        # At least two serve kills and two sync kills a week, whatever the seed.
        kill_serve = day in (1, 4) or rng.random() < 0.3
        syncs = []
        for slot in range(2):
            killed = (day, slot) in ((2, 0), (5, 1)) or rng.random() < 0.5
            # Made once the sync has filed (between its read of the pages and its write-back).
            racing = [edit(delay=rng.uniform(0.0, 0.3), recent=True) for _ in range(rng.randrange(1, 4))]
            syncs.append((sync_kill_point(rng) if killed else None, racing))
        days.append(Day(
            number=day, incidents=incidents,
            duplicate_sends=[i for i in range(count) if rng.random() < 0.2],
            kill_serve_at=serve_kill_point(rng, count) if kill_serve else None,
            restart_serve_at_noon=rng.random() < 0.2,
            twin_sync=rng.random() < 0.3,
            kill_audit_at=KillPoint(rng.randint(1, 20)) if rng.random() < 0.2 else None,
            edits=[edit() for _ in range(rng.randrange(6, 11))],
            syncs=syncs,
        ))
    return days
