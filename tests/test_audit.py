"""The audit end to end: real clients over real HTTP against the sandbox, dates set precisely.

Pages at every stage are created through the REST API, their created/modified dates set with the
sandbox's test route, and the audit runs with an injected ``now`` relative to the sandbox clock.
The page builders here are shared with ``test_audit_publish.py`` and ``test_share.py``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import requests
from click.testing import CliRunner

from service_sandbox.confluence_seed import seed
from tests.conftest import DATABASES, write_config_file
from tests.search_index import time_passes
from tests.test_audit_checks import ALL_FILLED, COMPLETE_ITEM, postmortem_body
from tests.test_sync import is_dc, page_titled, read_page, space_id, update_as
from wikibot.audit import run_audit, scheduled_audit
from wikibot.cli import cli
from wikibot.scheduler import JobRunner, JobSpec
from wikibot.status import ExitStatus
from wikibot.store.audits import AuditStore, recent_runs

PARTIAL = {t: ALL_FILLED[t] for t in ("Impact and Scope", "Trigger", "Resolution", "Root Cause")}


# -- helpers shared by the audit tests ---------------------------------------------------------------
def parent_id(confluence) -> str:
    return page_titled(confluence, "Post-mortems")["id"]


def set_dates(sandbox, page_id: str, created: datetime, modified: datetime | None = None) -> None:
    moments = {"created": created.isoformat(), "modified": (modified or created).isoformat()}
    requests.post(f"{sandbox.url}/_sandbox/confluence/pages/{page_id}/dates", json=moments,
                  timeout=5).raise_for_status()


def linked_issue(sandbox, body: str) -> str:
    """``body`` with the complete action item's Ticket (``COMPLETE_ITEM``) naming an issue that exists in
    this sandbox's Jira (filed once, open, no due date of its own), as a synced page's ticket does: the
    audit reports a ticket Jira does not know."""
    placeholder = COMPLETE_ITEM["key"]
    if f">{placeholder}<" not in body:
        return body
    key = sandbox.__dict__.get("complete_item_key")
    if key is None:
        key = sandbox.jira().create_issue(fields={"project": {"key": "OPS"}, "summary": COMPLETE_ITEM["summary"],
                                                  "issuetype": {"name": "Task"}})["key"]
        sandbox.__dict__["complete_item_key"] = key
    return body.replace(f">{placeholder}<", f">{key}<")


def create_page(sandbox, confluence, title: str, body: str, *, created: datetime,
                modified: datetime | None = None, template: str | None = "postmortem",
                labels: tuple[str, ...] = ("postmortem",)) -> str:
    """A post-mortem under the parent page, as wikibot's creator makes them (v2 create, v1 labels, v2
    content property), with the given dates."""
    body = linked_issue(sandbox, body)
    if is_dc(confluence):  # Data Center: v1 create and content property
        page = confluence.post("rest/api/content", data={
            "type": "page", "title": title, "space": {"key": "INC"}, "ancestors": [{"id": parent_id(confluence)}],
            "body": {"storage": {"value": body, "representation": "storage"}}})
    else:
        page = confluence.post("api/v2/pages", data={
            "spaceId": space_id(confluence), "status": "current", "title": title, "parentId": parent_id(confluence),
            "body": {"representation": "storage", "value": body}})
    if labels:
        confluence.post(f"rest/api/content/{page['id']}/label",
                        data=[{"prefix": "global", "name": name} for name in labels])
    if template:
        value = {"key": "wikibot", "value": {"template": template, "template_version": "1"}}
        confluence.post(f"rest/api/content/{page['id']}/property" if is_dc(confluence)
                        else f"api/v2/pages/{page['id']}/properties", data=value)
    set_dates(sandbox, page["id"], created, modified)
    sandbox.catch_up()  # made at ``created``: long since indexed
    return str(page["id"])


def edit_page(sandbox, confluence, page_id: str, body: str, at: datetime) -> None:
    update_as(confluence, page_id, linked_issue(sandbox, body))
    set_dates(sandbox, page_id, datetime.fromisoformat(read_page(confluence, page_id)["createdAt"]), at)
    sandbox.catch_up()  # edited at ``at``: indexed since


# Every end-to-end audit test runs on Cloud and on Data Center.
pytestmark = pytest.mark.both_profiles


def create_issue(jira, summary: str, due: str, *, done: bool = False) -> str:
    key = jira.create_issue(fields={"project": {"key": "OPS"}, "summary": summary, "issuetype": {"name": "Task"},
                                    "duedate": due})["key"]
    if done:
        jira.set_issue_status(key, "Done")
    time_passes()  # filed before the audit runs
    return key


def by_title(report) -> dict[str, list[str]]:
    return {page.title: [f.kind for f in page.findings] for page in report.pages}


def config_file(config, tmp_path) -> str:
    return write_config_file(config, tmp_path, "audit.yaml")


@pytest.fixture
def now(sandbox) -> datetime:
    return sandbox.store.now()


@pytest.fixture
def stages(sandbox, confluence, jira, now) -> dict[str, str]:
    """Five pages at every stage of a post-mortem's life, plus what the audit must say about each."""
    day = timedelta(days=1)
    overdue = create_issue(jira, "Alert on pool saturation", (now - 3 * day).date().isoformat())
    finished = create_issue(jira, "Canary config changes", (now - 3 * day).date().isoformat(), done=True)
    later = create_issue(jira, "Size pools from peak", (now + 9 * day).date().isoformat())
    pages = {
        "fresh": create_page(sandbox, confluence, "PM fresh", postmortem_body(debrief_due=(now + 7 * day).date()),
                             created=now - timedelta(hours=2)),
        "half done": create_page(sandbox, confluence, "PM half done", postmortem_body(
            debrief_due=(now + 2 * day).date(), filled=PARTIAL, timeline=[("09:40", "Queue grows"), ("10:55", "Page")],
            items=[{"summary": "Alert on queue age", "due": (now + 9 * day).date().isoformat()},
                   {"summary": "Autoscale dispatchers", "owner": "557058:dd44"}]),
            created=now - 5 * day, modified=now - 4 * day),
        "stale": create_page(sandbox, confluence, "PM stale", postmortem_body(
            debrief_due=(now - 5 * day).date(),
            filled={**PARTIAL, "Root Cause": "The query loaded everything into memory. Human error."}),
            created=now - 12 * day, modified=now - 9 * day),
        "debriefed": create_page(sandbox, confluence, "PM debriefed", postmortem_body(
            status="Debriefed", debrief_due=(now - 13 * day).date(), filled=ALL_FILLED,
            timeline=[("14:00", "Deploy"), ("14:09", "Alert"), ("14:02", "First errors")],
            items=[{"summary": "Alert on pool saturation", "owner": "557058:bb22",
                    "due": (now - 3 * day).date().isoformat(), "key": overdue},
                   {"summary": "Canary config changes", "owner": "557058:cc33",
                    "due": (now - 3 * day).date().isoformat(), "key": finished},
                   {"summary": "Size pools from peak", "owner": "557058:aa11",
                    "due": (now - 3 * day).date().isoformat(), "key": later}]),
            created=now - 20 * day, modified=now - day),
        "published": create_page(sandbox, confluence, "PM published", postmortem_body(
            status="Published", debrief_due=(now - 33 * day).date(), filled=ALL_FILLED,
            items=[{"summary": f"Action {n}", "owner": "557058:ee55", "due": (now + 30 * day).date().isoformat(),
                    "key": f"OPS-{900 + n}", "done": True} for n in range(11)]),
            created=now - 40 * day, modified=now - 10 * day),
    }
    return pages


EXPECTED = {
    "PM fresh": ["placeholder_section"] * 8,
    "PM half done": ["placeholder_section"] * 2 + ["stale", "missing_owner", "missing_due"],
    "PM stale": ["placeholder_section"] * 4 + ["stale", "debrief_overdue", "blame_language"],
    "PM debriefed": ["overdue_action", "timeline_order"],
    "PM published": ["too_many_actions"],
}


# -- the checks, end to end ------------------------------------------------------------------------------
def test_each_finding_kind_appears_exactly_when_it_should(services, stages, now):
    report = run_audit(services, now=now)
    assert by_title(report) == EXPECTED
    assert (report.parsed, report.reused, report.errors) == (5, 0, [])
    debriefed = next(p for p in report.pages if p.title == "PM debriefed")
    assert "Alert on pool saturation" in debriefed.findings[0].message
    half = next(p for p in report.pages if p.title == "PM half done")
    assert (half.lead, half.completeness, half.status) == ("Ana Lima", "6/8", "Draft")
    assert "last edit by" in next(f.message for f in half.findings if f.kind == "stale")
    assert report.exit_code == ExitStatus.FINDINGS


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_an_unchanged_page_is_not_parsed_again_but_time_is_re_evaluated(services, sandbox, stages, now):
    run_audit(services, now=now)
    sandbox.reset_stats()
    later = run_audit(services, now=now + timedelta(days=4))
    assert (later.parsed, later.reused) == (0, 5)
    assert sandbox.stats()["by_route"][sandbox.cql_route] == 1  # the listing, without bodies
    assert by_title(later)["PM fresh"] == ["placeholder_section"] * 8 + ["stale"]
    assert "debrief_overdue" in by_title(later)["PM half done"]


def test_a_page_edited_meanwhile_gets_a_fresh_audit(services, sandbox, confluence, stages, now):
    run_audit(services, now=now)
    edit_page(sandbox, confluence, stages["stale"], postmortem_body(
        debrief_due=(now - timedelta(days=5)).date(), filled={**ALL_FILLED, "Root Cause": "Memory was unbounded."}),
        at=now + timedelta(hours=1))
    sandbox.reset_stats()
    report = run_audit(services, now=now + timedelta(hours=2))
    assert (report.parsed, report.reused) == (1, 4)
    assert sandbox.stats()["by_route"][sandbox.cql_route] == 2  # listing + the changed body
    assert by_title(report)["PM stale"] == ["debrief_overdue"]


def test_a_page_whose_label_was_just_removed_is_not_audited_although_the_search_still_finds_it(
        services, sandbox, confluence, stages, now):
    """Confluence's index still holds the page with its label for a while (edits are indexed in
    batches): the listing finds it, but the page itself says it is no longer a post-mortem."""
    run_audit(services, now=now)
    sandbox.fault(index_lag_ms=600_000)  # (also when the suite runs against an instant search)
    sandbox.catch_up()
    page = stages["half done"]
    confluence.delete(f"rest/api/content/{page}/label", params={"name": "postmortem"})
    assert page in {p["id"] for p in sandbox.cql('label = "postmortem"')}  # the index is behind
    report = run_audit(services, now=now)
    assert page not in {p.page_id for p in report.pages} and len(report.pages) == 4
    assert "PM half done" not in by_title(report)


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_a_deleted_page_drops_out_and_leaves_nothing_behind(services, confluence, stages, now):
    run_audit(services, now=now)
    confluence.delete(f"rest/api/content/{stages['half done']}" if is_dc(confluence)
                      else f"api/v2/pages/{stages['half done']}")
    report = run_audit(services, now=now)
    assert "PM half done" not in by_title(report) and len(report.pages) == 4
    store = AuditStore(services.db.engine)
    assert stages["half done"] not in store.cached()
    assert not any(page_id == stages["half done"] for page_id, _ in store.first_seen())


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_unsynced_action_appears_after_one_sync_interval(services, sandbox, confluence, now):
    body = postmortem_body(filled=ALL_FILLED, debrief_due=now.date(),
                           items=[{"summary": "Add a canary", "owner": "557058:bb22", "due": "2099-01-01"}])
    create_page(sandbox, confluence, "PM unsynced", body, created=now - timedelta(hours=1))
    assert by_title(run_audit(services, now=now)) == {"PM unsynced": []}
    assert by_title(run_audit(services, now=now + timedelta(minutes=50))) == {"PM unsynced": []}
    assert by_title(run_audit(services, now=now + timedelta(minutes=70))) == {"PM unsynced": ["unsynced_action"]}


def test_an_action_whose_jira_issue_was_deleted_is_a_finding_not_silence(services, sandbox, confluence, jira, now):
    kept, deleted = create_issue(jira, "Kept", "2026-01-01"), create_issue(jira, "Deleted", "2026-01-01")
    jira.delete_issue(deleted)
    items = [{"summary": "Add a canary", "owner": "557058:bb22", "due": "2026-01-01", "key": kept},
             {"summary": "Size the pool", "owner": "557058:bb22", "due": "2026-01-01", "key": deleted}]
    create_page(sandbox, confluence, "PM tickets", postmortem_body(filled=ALL_FILLED, debrief_due=now.date(),
                                                                   items=items), created=now)
    report = run_audit(services, now=now)
    assert by_title(report) == {"PM tickets": ["ticket_not_found", "overdue_action"]}
    assert report.pages[0].findings[0].message.startswith(f"{deleted} “Size the pool” links a Jira issue that Jira "
                                                          "says does not exist")
    assert report.errors == []


def test_an_issue_the_search_cannot_show_yet_is_judged_from_a_read_by_key(services, sandbox, confluence, jira, now):
    # Filed a minute ago: Jira's index lags, so the search leaves it out; GET /issue/{key} does not.
    key = jira.create_issue(fields={"project": {"key": "OPS"}, "summary": "Size the pool",
                                    "issuetype": {"name": "Task"}, "duedate": "2026-01-01"})["key"]
    items = [{"summary": "Size the pool", "owner": "557058:bb22", "due": "2026-01-01", "key": key}]
    create_page(sandbox, confluence, "PM fresh", postmortem_body(filled=ALL_FILLED, debrief_due=now.date(),
                                                                 items=items), created=now)
    assert by_title(run_audit(services, now=now)) == {"PM fresh": ["overdue_action"]}


def test_a_search_refused_for_another_reason_calls_no_issue_missing(services, sandbox, confluence, jira, now):
    # A 400 that names no key (a proxy's "header too large", a JQL limit) says nothing about the issues.
    key = create_issue(jira, "Size the pool", "2026-01-01")
    items = [{"summary": "Size the pool", "owner": "557058:bb22", "due": "2026-01-01", "key": key}]
    create_page(sandbox, confluence, "PM refused", postmortem_body(filled=ALL_FILLED, debrief_due=now.date(),
                                                                   items=items), created=now)
    search = "/rest/api/2/search" if sandbox.profile == "datacenter" else "/rest/api/3/search/jql"
    sandbox.fault(status=400, count=None, method="GET", path_prefix=search)
    try:
        report = run_audit(services, now=now)
    finally:
        sandbox.clear_faults()
    assert by_title(report) == {"PM refused": ["overdue_action"]}


def test_a_lead_jira_no_longer_knows_is_shown_as_an_unknown_user(services, sandbox, confluence, now):
    create_page(sandbox, confluence, "PM orphan", postmortem_body(lead="557058:ff66", filled=ALL_FILLED,
                                                                  debrief_due=now.date()), created=now)
    report = run_audit(services, now=now)
    from service_sandbox.datacenter import userkey

    account = "557058:ff66" if sandbox.profile == "cloud" else userkey("557058:ff66")  # how the page names them
    assert report.pages[0].lead == f"unknown user ({account})"
    assert report.errors == []


def test_a_page_that_fails_to_parse_is_reported_not_fatal(services, sandbox, confluence, now):
    # Confluence takes any well-formed body; wikibot reads no deeper than lxml's 256 levels.
    create_page(sandbox, confluence, "PM broken", "<div>" * 300 + "deep" + "</div>" * 300, created=now)
    create_page(sandbox, confluence, "PM fine", postmortem_body(filled=ALL_FILLED, debrief_due=now.date()), created=now)
    report = run_audit(services, now=now)
    assert by_title(report) == {"PM broken": ["unreadable"], "PM fine": []}
    broken = next(p for p in report.pages if p.title == "PM broken")
    assert broken.findings[0].message.startswith("wikibot cannot read this page: ")
    assert report.errors == [] and report.exit_code == ExitStatus.FINDINGS
    assert run_audit(services, now=now).parsed == 0  # still unreadable at that version: not re-parsed


def test_jira_refusing_is_an_error_of_the_run_and_everything_else_is_still_checked(services, sandbox, stages, now):
    sandbox.fault(status=403, count=None, path_prefix=sandbox.search_path)
    report = run_audit(services, now=now)
    assert "overdue_action" not in by_title(report)["PM debriefed"]
    assert by_title(report)["PM stale"] == EXPECTED["PM stale"]
    assert len(report.errors) == 1 and report.errors[0].startswith("Jira: permission denied (403)")
    assert report.exit_code == ExitStatus.INCOMPLETE


def test_a_jira_400_that_names_no_key_is_halved_until_the_keys_are_read(services, sandbox, jira):
    from wikibot.audit.lookups import Lookups

    keys = [create_issue(jira, f"Issue {n}", "2026-01-01", done=n == 2) for n in range(4)]
    sandbox.fault(status=400, count=1, path_prefix=sandbox.search_path)
    sandbox.reset_stats()
    with Lookups(services.jira, {}) as lookups:
        lookups.add_keys([*keys, "OPS-999"])
        states, names, errors = lookups.finish()
    assert sorted(states) == sorted(keys) and errors == [] and names == {}
    assert states[keys[2]].done and states[keys[0]].status == "To Do"
    # the failed search, its two halves, and one retry of the half that named OPS-999
    assert sandbox.stats()["by_route"][sandbox.search_route] == 4


def test_pages_judged_against_their_own_template(services, sandbox, confluence, now):
    sections = ("Impact and Scope", "Trigger", "Detection", "Resolution", "Timeline of events", "Root Cause",
                "What went well", "What didn't go well", "Where we got lucky", "Action items",
                "Things we should do if we have time", "Data & Analysis")
    filled = {**ALL_FILLED, "Where we got lucky": "The backup was fresh."}
    create_page(sandbox, confluence, "PM sre", postmortem_body(filled=filled, sections=sections,
                debrief_due=now.date()), created=now, template="sre")
    create_page(sandbox, confluence, "PM sre no property", postmortem_body(
        filled=filled, sections=sections, drop=("Trigger",), debrief_due=now.date()), created=now, template=None)
    create_page(sandbox, confluence, "PM other team", "<h2>Summary</h2><p>x</p><h2>Lessons</h2><p></p>",
                created=now, template=None)
    report = run_audit(services, now=now)
    findings = {p.title: [(f.kind, f.section) for f in p.findings] for p in report.pages}
    assert findings == {"PM sre": [("placeholder_section", "Detection")],
                        "PM sre no property": [("placeholder_section", "Detection")],
                        "PM other team": [("empty_section", "Lessons")]}
    sre = next(p for p in report.pages if p.title == "PM sre")
    assert (sre.template, sre.completeness) == ("sre", "9/10")


def test_the_example_pages_are_audited(sandbox, services):
    seed(sandbox.store, examples=True)
    sandbox.catch_up()
    report = run_audit(services)
    kinds = by_title(report)
    assert len(kinds) == 6 and report.errors == []
    export = next(p for p in report.pages if "Nightly export" in p.title)
    assert {f.message.split("”")[0] for f in export.findings if f.kind == "blame_language"} == {
        "“It was Bob's fault really; he should have known the old query was paginated for a reason.",
        "“Human error.", "“Someone should have known this would not scale."}
    sso = next(p for p in report.pages if "SSO" in p.title)
    assert sso.template is None and not any(f.kind.endswith("_section") for f in sso.findings)


def test_one_page_audit(services, sandbox, confluence, stages, now):
    report = run_audit(services, page_id=stages["fresh"], now=now)
    assert by_title(report) == {"PM fresh": EXPECTED["PM fresh"]} and report.scope == stages["fresh"]
    assert recent_runs(services.db) == []  # one-page runs stay out of the trends


# -- scheduling and history --------------------------------------------------------------------------------
@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_the_scheduled_job_runs_once_per_slot(services, stages):
    from apscheduler.triggers.cron import CronTrigger

    spec = JobSpec("audit", CronTrigger.from_crontab("0 2 * * *"), "wikibot.audit:scheduled_audit")
    slot = datetime(2026, 11, 27, 2, 0, tzinfo=CronTrigger.from_crontab("0 2 * * *").timezone)
    assert JobRunner(services).run_slot(spec, slot)
    assert not JobRunner(services).run_slot(spec, slot)
    [job] = services.db.job_runs.recent("audit")
    assert job.status == "ok" and job.summary["pages"] == 5 and job.summary["findings_by_kind"]["stale"] == 2
    [run] = recent_runs(services.db)
    assert (run.trigger, run.pages, run.by_kind["placeholder_section"]) == ("scheduled", 5, 14)


def test_every_run_is_recorded_with_findings_by_kind(services, stages, now):
    summary = scheduled_audit(services)
    run_audit(services, now=now)
    runs = AuditStore(services.db.engine).recent_runs()
    assert [r.trigger for r in runs] == ["cli", "scheduled"]
    assert runs[1].findings == summary["findings"] and runs[1].status == "ok"
    assert runs[0].finished_at >= runs[0].started_at


# -- the command line --------------------------------------------------------------------------------------
def test_cli_json_and_exit_status(config, services, stages, tmp_path):
    path = config_file(config, tmp_path)
    result = CliRunner().invoke(cli, ["--config", path, "audit", "--format", "json"])
    assert result.exit_code == ExitStatus.FINDINGS, result.output
    data = json.loads(result.stdout)
    assert {p["title"] for p in data["pages"]} == set(EXPECTED)
    assert data["summary"]["findings_by_kind"]["placeholder_section"] == 14
    out = tmp_path / "audit.html"
    html = CliRunner().invoke(cli, ["--config", path, "audit", "--format", "html", "--output", str(out)])
    assert html.exit_code == ExitStatus.FINDINGS and html.stdout == ""
    assert "<table>" in out.read_text() and "PM half done" in out.read_text()


def test_cli_exits_0_when_everything_is_in_order(config, sandbox, confluence, tmp_path):
    now = sandbox.store.now()
    create_page(sandbox, confluence, "PM done", postmortem_body(filled=ALL_FILLED, status="Published",
                debrief_due=now.date()), created=now)
    result = CliRunner().invoke(cli, ["--config", config_file(config, tmp_path), "audit"])
    assert result.exit_code == 0, result.output
    assert "1 page, 0 with findings" in result.stdout


def test_cli_errors_are_one_line(make_config, tmp_path):
    unreachable = make_config(confluence={"url": "http://127.0.0.1:9/wiki"})
    result = CliRunner().invoke(cli, ["--config", config_file(unreachable, tmp_path), "audit"])
    assert result.exit_code == ExitStatus.SERVICE
    assert result.stderr.startswith("wikibot: Confluence: cannot connect") and len(result.stderr.splitlines()) == 1
    bad = CliRunner().invoke(cli, ["--config", config_file(unreachable, tmp_path), "audit", "--page", "x1"])
    assert bad.exit_code == ExitStatus.USAGE and bad.stderr.startswith("wikibot: --page 'x1'")



def test_one_page_audit_of_a_page_that_does_not_exist_is_a_usage_error(config, sandbox, tmp_path):
    result = CliRunner().invoke(cli, ["--config", config_file(config, tmp_path), "audit", "--page", "99999999"])
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert result.stderr == "wikibot: page 99999999: no such Confluence page\n"


def test_one_page_audit_of_a_page_that_is_not_a_post_mortem_is_refused_not_audited(config, services, tmp_path):
    # The space's parent page has no template sections and no debrief: auditing it reports nonsense.
    parent = services.parent_page.page_id()
    result = CliRunner().invoke(cli, ["--config", config_file(config, tmp_path), "audit", "--page", parent])
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert result.stderr == f"wikibot: page {parent} ('Post-mortems') is not a post-mortem (no label 'postmortem')\n"

def test_staleness_counts_from_the_last_edit_by_a_person_not_wikibots_own_write_back(services, sandbox, confluence,
                                                                                    now):
    from wikibot.sync import run_sync

    day = timedelta(days=1)
    body = postmortem_body(filled=PARTIAL, debrief_due=(now + 5 * day).date(),
                           items=[{"summary": "Alert on pool saturation", "owner": "557058:bb22",
                                   "due": (now + 9 * day).date().isoformat()}])
    page_id = create_page(sandbox, confluence, "PM half done, synced", body, created=now - 12 * day,
                          modified=now - 9 * day)
    assert run_sync(services, page_id).written_back == 1  # a new version, saved by wikibot just now
    time_passes()  # the nightly audit, after the sync
    report = run_audit(services, now=now)
    [page] = report.pages
    stale = [f.message for f in page.findings if f.kind == "stale"]
    assert stale and stale[0].startswith("Not edited for 9 days")
    sandbox.reset_stats()
    assert [f.kind for f in run_audit(services, now=now).pages[0].findings if f.kind == "stale"] == ["stale"]
    assert not any("/versions" in route for route in sandbox.stats()["by_route"])  # read once per version
