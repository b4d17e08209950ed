"""The chaos test: a realistic week of post-mortems while the network and the processes fail.

Thirty post-mortems are started by webhook, people edit the pages through the API, wikibot syncs
twice a "day" and audits every night — while the sandbox answers wikibot with 429s (Retry-After),
500s and 503s, drops connections before and after handling the request, and stalls for two
seconds, at random on both products; ``wikibot serve`` is SIGKILLed during webhook bursts and
syncs are SIGKILLed mid-run. Then the faults stop, the lost webhooks are sent again, sync runs
until it has nothing left to do, and the week is checked against the promises:

* every incident has exactly one page, and every answer about it named that page;
* every action-item row has exactly one Jira issue, its key is written back, no two rows share a
  key, and Jira holds no other post-mortem issue;
* no human edit is lost (every edit's marker is still on its page);
* the last sync reports no error, and no wikibot process ever printed a traceback.

Reproduce a failure from the seed it prints: ``WIKIBOT_CHAOS_SEED=<seed> python3 -m pytest
'tests/test_chaos.py::test_a_week_of_chaos_loses_nothing_and_duplicates_nothing[<seed>]' -s``.
The scenario lives in ``tests/chaos_world.py``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from atlassian import ConfluenceV2

from tests.chaos_world import (
    AT_LEAST,
    Day,
    EditLog,
    FaultMeter,
    Incident,
    IncidentTool,
    KillPoint,
    People,
    PlannedEdit,
    Run,
    Wikibot,
    chaos_lag_ms,
    chaos_profile,
    chaos_seeds,
    plan_week,
    rerun_hint,
)
from tests.conftest import WEBHOOK_SECRET, RunningSandbox, running_sandbox
from tests.test_serve import free_port
from wikibot.pages import parse_page
from wikibot.status import ExitStatus
from wikibot.sync.issues import PAGE_LABEL_PREFIX

# wikibot bug (see test_a_row_reworded_after_a_sync_died_mid_filing_reaches_jira): a row reworded
# between a filing cut short and the run that adopts its issue never reaches Jira. Once fixed, set
# this to True so the week also checks that every row's wording reached its issue.
EVERY_REWORDING_REACHES_JIRA = True
HOURS_BETWEEN_SYNCS = 4
FILED = KillPoint(1, "POST", "/rest/api/2/issue/bulk", "bulk create")
# The week kills processes at chosen requests and moves wikibot's clock between its runs: it runs on a
# machine of its own, not beside other tests (scripts/test.sh runs these after the parallel part).
pytestmark = pytest.mark.serial
NIGHT_HOURS = 12


class Background:
    """Threads for what happens meanwhile; their exceptions are raised in the test's thread."""

    class Task:
        result: Any = None
        error: BaseException | None = None

    def __init__(self) -> None:
        self.threads: list[tuple[threading.Thread, Background.Task]] = []

    def start(self, fn: Callable[[], Any]) -> Background.Task:
        task = Background.Task()

        def run() -> None:
            try:
                task.result = fn()
            except BaseException as exc:  # noqa: BLE001 - a thread's failure is handed to the test, re-raised there
                task.error = exc

        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append((thread, task))
        return task

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        for thread, _ in self.threads:
            thread.join()
        if exc[0] is None:
            for _, task in self.threads:
                if task.error is not None:
                    raise task.error


class Week:
    """Everything one run of the scenario touches, so the steps below read like the story."""

    def __init__(self, seed: int, sandbox, tmp_path) -> None:
        self.seed = seed
        self.hint = rerun_hint(seed)
        self.sandbox = sandbox
        self.meter = FaultMeter(sandbox)
        self.wikibot = Wikibot(sandbox, self.meter, tmp_path, WEBHOOK_SECRET, free_port())
        self.tool = IncidentTool(self.wikibot.base, WEBHOOK_SECRET)
        self.log = EditLog()
        self.people = People(sandbox, self.log)
        self.incidents: dict[str, Incident] = {}
        self.seconds: Counter[str] = Counter()
        self.stale_summaries: list[str] = []
        """Issues whose summary is not their row's (the known bug; see EVERY_REWORDING_REACHES_JIRA)."""

    # -- checks of every process ---------------------------------------------------------------
    def check_run(self, run: Run) -> None:
        """A run may fail under chaos (INCOMPLETE: errors or skipped pages; an audit may also have
        FINDINGS), but it must end in wikibot's own report or one-line error, never a crash."""
        assert "Traceback (most recent call last)" not in run.stderr, \
            f"{self.hint} wikibot {run.kind} (run {run.number}) crashed:\n{run.stderr[-4000:]}"
        if run.killed:
            return
        allowed = {"sync": (ExitStatus.OK, ExitStatus.INCOMPLETE),
                   "audit": (ExitStatus.OK, ExitStatus.FINDINGS, ExitStatus.INCOMPLETE)}[run.kind]
        one_line_service_error = run.returncode == ExitStatus.SERVICE and run.stderr.strip().startswith("wikibot:")
        assert run.returncode in allowed or one_line_service_error, \
            f"{self.hint} wikibot {run.kind} exited {run.returncode}:\n{run.stderr[-3000:]}"
        if run.returncode in allowed:
            assert run.report is not None, f"{self.hint} wikibot {run.kind} printed no JSON:\n{run.stdout[-2000:]}"

    # -- the days ------------------------------------------------------------------------------
    def webhook_burst(self, day: Day) -> None:
        """The day's incidents arrive at once (some twice), with another try for yesterday's that
        got no answer; serve may be killed in the middle."""
        unanswered = [incident for incident in self.incidents.values() if not incident.answered]
        for incident in day.incidents:
            self.incidents[incident.incident_id] = incident
        sends = day.incidents + [day.incidents[i] for i in day.duplicate_sends] + unanswered
        threads = [threading.Thread(target=self.tool.send, args=(incident,)) for incident in sends]
        sent_before = len(self.meter.sent)
        for thread in threads:
            thread.start()
        if day.kill_serve_at is not None:
            deadline = time.monotonic() + 10
            if self.meter.wait_for(day.kill_serve_at, sent_before, give_up=lambda: time.monotonic() > deadline
                                   or not any(thread.is_alive() for thread in threads)):
                self.wikibot.kill_serve()
        for thread in threads:
            thread.join()
        if self.wikibot.serve_proc is None:
            self.wikibot.start_serve()

    def edit(self, edits: list[PlannedEdit]) -> None:
        self.people.discover(self.incidents)
        for planned in edits:
            self.people.perform(planned)

    def sync(self, kill_at: KillPoint | None, racing: list[PlannedEdit], twin: bool = False) -> None:
        """One hourly sync. Once it has filed issues — it has read the pages and is about to write
        the keys back — people save the pages it is writing to; it may be killed mid-run; with
        ``twin``, a second sync (another replica's scheduler, a webhook-triggered one) runs alongside."""
        self.people.discover(self.incidents)
        since, done, started = len(self.meter.sent), threading.Event(), time.monotonic()

        def edit_meanwhile() -> None:
            self.meter.wait_for(FILED, since, give_up=lambda: done.is_set() or time.monotonic() - started > 20)
            for planned in racing:
                self.people.perform(planned)

        with Background() as background:
            background.start(edit_meanwhile)
            other = background.start(self.wikibot.sync) if twin else None
            try:
                runs = [self.wikibot.sync(kill_at)]
            finally:
                done.set()
        runs += [other.result] if other else []
        for run in runs:
            self.check_run(run)

    def night(self, day: Day) -> None:
        """02:00: the nightly audit (publishing, as the scheduled job does) and the hourly sync run
        at the same time; people may still be editing; the audit may be killed too."""
        with Background() as background:
            audit = background.start(lambda: self.wikibot.audit(day.kill_audit_at))
            self.sync(*day.syncs[1])
        self.check_run(audit.result)

    def live(self, day: Day) -> None:
        self.meter.arm_daily(day.number)
        with self.timed("webhooks"):
            self.webhook_burst(day)
        half = len(day.edits) // 2
        with self.timed("edits"):
            self.edit(day.edits[:half])
        with self.timed("sync"):
            self.sync(*day.syncs[0], twin=day.twin_sync)
        self.wikibot.advance_clock(HOURS_BETWEEN_SYNCS)
        if day.restart_serve_at_noon:
            with self.timed("serve restart"):
                self.wikibot.kill_serve()
                self.wikibot.start_serve()
        with self.timed("edits"):
            self.edit(day.edits[half:])
        with self.timed("night"):
            self.night(day)
        self.wikibot.advance_clock(NIGHT_HOURS)

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[phase] += time.monotonic() - started

    # -- settling ------------------------------------------------------------------------------
    def settle(self) -> dict:
        """No more faults or kills: resend lost webhooks, then sync until nothing is left."""
        self.meter.disarm()
        if self.wikibot.serve_proc is None:
            self.wikibot.start_serve()
        self.wikibot.advance_clock(1)
        for incident in self.incidents.values():
            if not incident.answered:
                status, body = self.tool.send_once(incident)
                assert status in (200, 201), f"{self.hint} resending {incident.incident_id}: {status} {body}"
        for incident in self.incidents.values():  # and every one once more: the same page, not a new one
            status, body = self.tool.send_once(incident)
            assert (status, body.get("created")) == (200, False), \
                f"{self.hint} a repeated webhook for {incident.incident_id} answered {status} {body}"
        self.people.discover(self.incidents)
        reports = []
        for _ in range(3):
            self.sandbox.catch_up()  # runs a night apart: the search has caught up
            run = self.wikibot.sync()
            self.check_run(run)
            report = run.report
            reports.append(report)
            if not report["errors"] and not any(report[k] for k in ("created", "written_back", "updated")):
                break
        final = reports[-1]
        assert final["errors"] == [], f"{self.hint} the last sync reported errors: {final['errors']}"
        assert not any(final[k] for k in ("created", "written_back", "updated")), \
            f"{self.hint} sync still had work after {len(reports)} fault-free runs: {reports}"
        leftovers = [s for s in final["skipped"] if s.get("reason") != "no summary yet"]
        assert leftovers == [], f"{self.hint} the last sync still skipped items: {leftovers}"
        status = self.wikibot.stop_serve()
        assert status == 0, f"{self.hint} wikibot serve exited {status} on SIGTERM"
        return final


# -- what must hold at the end --------------------------------------------------------------------


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    """The week's sandbox: Cloud, or Data Center with ``WIKIBOT_CHAOS_PROFILE=datacenter``. Its search
    lags in real time (``WIKIBOT_CHAOS_LAG_MS``, none by default): the week runs on, nobody says when
    time passes."""
    with running_sandbox(chaos_profile(), index_lag_ms=chaos_lag_ms()) as sandbox:
        yield sandbox


def all_postmortem_issues(jira) -> list[dict]:
    if not jira.cloud:  # Data Center: the offset search
        return jira.jql_get_list_of_tickets('labels = "post-mortem" order by key asc', fields="summary,labels")
    issues, token = [], None
    while True:
        page = jira.enhanced_jql('labels = "post-mortem" order by key asc', fields="summary,labels",
                                 nextPageToken=token, limit=100)
        issues.extend(page["issues"])
        token = page.get("nextPageToken")
        if not token or page.get("isLast", True):
            return issues


def cql_all(confluence, cql: str) -> list[dict]:
    """Every result of a CQL search, following the cursor in ``_links.next`` (relative to /wiki)."""
    results = []
    found = confluence.get("rest/api/search", params={"cql": cql, "limit": 100})
    while True:
        results.extend(r.get("content") or r for r in found.get("results") or [])
        if not (found.get("_links") or {}).get("next"):
            return results
        base = confluence.url.removesuffix("/confluence")  # Data Center's link carries its context path
        found = confluence.get(base + found["_links"]["next"], absolute=True)


def body_of(confluence, page_id: str) -> str:
    if not isinstance(confluence, ConfluenceV2):
        content = confluence.get(f"rest/api/content/{page_id}", params={"expand": "body.storage"})
        return content["body"]["storage"]["value"]
    return confluence.get(f"api/v2/pages/{page_id}", params={"body-format": "storage"})["body"]["storage"]["value"]


def every_incident_has_exactly_one_page(week: Week, confluence) -> None:
    pages = cql_all(confluence, 'type = page and label = "postmortem"')
    titles = [page["title"] for page in pages]
    assert len(titles) == len(set(titles)), f"{week.hint} duplicate page titles: {sorted(titles)}"
    assert len(pages) == len(week.incidents), \
        f"{week.hint} {len(pages)} post-mortem pages for {len(week.incidents)} incidents: {sorted(titles)}"
    for incident in week.incidents.values():
        found = cql_all(confluence, f'type = page and label = "{incident.label}"')
        assert len(found) == 1, f"{week.hint} {incident.incident_id} has {len(found)} pages"
        assert incident.page_ids == {str(found[0]["id"])}, \
            f"{week.hint} webhook answers for {incident.incident_id} named pages {incident.page_ids}, " \
            f"the wiki has {found[0]['id']}"


def every_row_has_exactly_one_issue_and_its_key(week: Week, confluence, jira) -> None:
    issues = {issue["key"]: issue["fields"] for issue in all_postmortem_issues(jira)}
    keys_on_pages: dict[str, tuple[str, str]] = {}  # key -> (page id, row summary)
    for page_id, record in week.log.pages.items():
        body = body_of(confluence, page_id)
        rows = [item for item in parse_page(body).action_items if item.summary.strip()]
        summaries = sorted(item.summary for item in rows)
        assert summaries == sorted(record.rows.values()), \
            f"{week.hint} page {page_id}: action rows {summaries}, people wrote {sorted(record.rows.values())}"
        for item in rows:
            assert item.jira_key, f"{week.hint} page {page_id}: row {item.summary!r} has no Jira key"
            assert item.jira_key not in keys_on_pages, \
                f"{week.hint} {item.jira_key} is on two rows: {keys_on_pages[item.jira_key]} and " \
                f"{(page_id, item.summary)}"
            keys_on_pages[item.jira_key] = (page_id, item.summary)
    assert sorted(issues) == sorted(keys_on_pages), (
        f"{week.hint} {len(issues)} post-mortem issues in Jira for {len(keys_on_pages)} rows; "
        f"not on any page: {sorted(set(issues) - set(keys_on_pages))}, "
        f"not in Jira: {sorted(set(keys_on_pages) - set(issues))}")
    for key, (page_id, summary) in keys_on_pages.items():
        fields = issues[key]
        assert f"{PAGE_LABEL_PREFIX}{page_id}" in fields["labels"], \
            f"{week.hint} {key} is on page {page_id} but was filed for {fields['labels']}"
        if EVERY_REWORDING_REACHES_JIRA:
            assert fields["summary"] == summary, \
                f"{week.hint} {key}: Jira says {fields['summary']!r}, its row (page {page_id}) says {summary!r}"
        elif fields["summary"] != summary:
            week.stale_summaries.append(key)


def no_human_edit_is_lost(week: Week, confluence) -> None:
    lost = {}
    for page_id, record in week.log.pages.items():
        body = body_of(confluence, page_id)
        missing = [m for m in record.markers if m not in body]
        if missing:
            lost[page_id] = missing
    assert not lost, f"{week.hint} human edits lost (page → markers): {lost}"


def the_audit_report_page_exists_at_most_once(week: Week, confluence) -> None:
    found = cql_all(confluence, 'type = page and title = "Post-mortem audit"')
    assert len(found) <= 1, f"{week.hint} {len(found)} audit report pages"


# -- the test -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", chaos_seeds())
def test_a_week_of_chaos_loses_nothing_and_duplicates_nothing(seed, sandbox, tmp_path):
    started = time.monotonic()
    week = Week(seed, sandbox, tmp_path)
    confluence, jira = sandbox.confluence(), sandbox.jira()
    assert all_postmortem_issues(jira) == []
    days = plan_week(random.Random(seed))
    try:
        week.wikibot.start_serve()
        week.meter.arm(seed)
        for day in days:
            week.live(day)
        chaos_seconds = time.monotonic() - started
        unanswered = sum(not incident.answered for incident in week.incidents.values())
        final = week.settle()
    finally:
        week.meter.disarm()
        week.wikibot.kill_serve()

    assert week.wikibot.tracebacks() == [], f"{week.hint} tracebacks:\n" + "\n".join(week.wikibot.tracebacks())
    every_incident_has_exactly_one_page(week, confluence)
    every_row_has_exactly_one_issue_and_its_key(week, confluence, jira)
    no_human_edit_is_lost(week, confluence)
    the_audit_report_page_exists_at_most_once(week, confluence)
    assert final["errors"] == []

    runs = week.wikibot.runs
    killed_syncs = sum(1 for run in runs if run.kind == "sync" and run.killed)
    rows = sum(len(record.rows) for record in week.log.pages.values())
    print(f"\nchaos seed {seed}: {time.monotonic() - started:.1f} s ({chaos_seconds:.1f} s of chaos); "
          f"{len(week.incidents)} incidents "
          f"({sum(i.lost for i in week.incidents.values())} webhook answers lost, "
          f"{unanswered} incidents with no answer until the week was over), "
          f"{len(week.log.pages)} pages, {rows} action rows, "
          f"{week.log.edits} human edits {dict(week.log.kinds)}, {week.log.conflicts} people's 409s, "
          f"{week.meter.conflicts_for_wikibot} wikibot 409s; "
          f"{len(week.stale_summaries)} issues with their row's old wording {week.stale_summaries}; "
          f"{sum(1 for r in runs if r.kind == 'sync')} syncs ({killed_syncs} killed; "
          f"{dict(Counter(r.killed_at for r in runs if r.killed))}; "
          f"{sum(1 for r in runs if r.leases_left)} left page leases, "
          f"{sum(1 for r in runs if r.pending_left)} left pending creates), "
          f"{sum(1 for r in runs if r.kind == 'audit')} audits, serve started {week.wikibot.serve_starts}x "
          f"(killed {week.wikibot.serve_kills}x); {week.meter.requests_by_wikibot} wikibot requests, faults:\n"
          f"{week.meter.table()}\n    seconds: {dict((k, round(v, 1)) for k, v in week.seconds.items())}\n    runs: "
          + ", ".join(f"{r.kind}{'(killed)' if r.killed else r.returncode} {r.seconds:.1f}s" for r in runs))

    # The chaos really happened: every kind of fault fired, and processes really died mid-work.
    fired = week.meter.by_kind()
    assert all(fired[kind] >= n for kind, n in AT_LEAST.items()), f"{week.hint} faults fired: {fired}"
    assert killed_syncs >= 2 and week.wikibot.serve_kills >= 2, \
        f"{week.hint} {killed_syncs} syncs and {week.wikibot.serve_kills} serve processes killed"


@pytest.mark.slow
def test_a_row_reworded_after_a_sync_died_mid_filing_reaches_jira(sandbox, tmp_path):
    """The week's chaos, pinned down: sync is SIGKILLed while its bulk create is in flight (the
    issue lands, the answer is lost), someone rewords the row, later runs adopt the issue."""
    meter = FaultMeter(sandbox)
    wikibot = Wikibot(sandbox, meter, tmp_path, WEBHOOK_SECRET, free_port())
    incident = Incident("INC-7", "Checkout 502s", "SEV-2", "Ana Lima", "502s")
    log = EditLog()
    people = People(sandbox, log)
    wikibot.start_serve()
    try:
        IncidentTool(wikibot.base, WEBHOOK_SECRET).send(incident)
    finally:
        wikibot.stop_serve()
    sandbox.catch_up()  # Ana looks the page up later
    people.discover({incident.incident_id: incident})
    people.perform(PlannedEdit("ana@example.com", "action", pick=0.0, choice=0))
    [record] = log.pages.values()
    [summary] = record.rows.values()

    sandbox.catch_up()  # the hourly sync, a while after Ana's edit
    assert wikibot.sync(kill_at=KillPoint(1, "POST", "/rest/api/2/issue/bulk")).killed
    jira = sandbox.jira()
    deadline = time.monotonic() + 10
    while not all_postmortem_issues(jira) and time.monotonic() < deadline:  # the sandbox finishes the create
        time.sleep(0.05)
    assert [issue["fields"]["summary"] for issue in all_postmortem_issues(jira)] == [summary]

    people.perform(PlannedEdit("bob@example.com", "reword", pick=0.0, choice=0))
    reworded = record.rows[next(iter(record.rows))]
    wikibot.advance_clock(1)
    for _ in range(2):
        run = wikibot.sync()
        assert run.report["errors"] == [], run.report
    sandbox.catch_up()  # read afterwards
    [issue] = all_postmortem_issues(jira)
    keys = [item.jira_key for item in parse_page(body_of(sandbox.confluence(), record.page_id)).action_items]
    assert keys == [issue["key"]]
    assert issue["fields"]["summary"] == reworded, "the rewording never reached Jira"
