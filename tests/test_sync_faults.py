"""Jira sync under failure: lost answers, outages, crashes, edit conflicts, rate limits, races.

Every test ends by checking the two promises: exactly one issue per item, and no edit lost.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from tests.search_index import time_passes
from tests.test_sync import (
    ANA,
    action_page,
    all_issues,
    body_of,
    edit_as,
    keys_on_page,
    make_page,
    mention,
    row,
    simple_page,
    sync,
    table,
)
from wikibot.pages import Edit, parse_page
from wikibot.services import Services
from wikibot.status import ExitStatus
from wikibot.store.ledger import SyncLedger
from wikibot.sync.writeback import write_back

# Every test here runs on Cloud and on Data Center: the same promises on both deployments.
pytestmark = pytest.mark.both_profiles


def one_issue_per_item(jira, confluence, *page_ids: str) -> None:
    issues = all_issues(jira)
    by_item = [label for issue in issues for label in issue["fields"]["labels"] if label.startswith("pmi-")]
    assert len(by_item) == len(set(by_item)), "an item was filed twice"
    on_pages = [key for page_id in page_ids for key in keys_on_page(confluence, page_id)]
    assert None not in on_pages
    assert sorted(on_pages) == sorted(issue["key"] for issue in issues)


# -- lost answers and outages --------------------------------------------------------------------


def test_a_lost_answer_to_the_page_update_is_not_an_error(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sandbox.fault(drop=True, after=True, method="PUT", path_prefix=sandbox.content_path, count=1)
    report = sync(services)
    assert report.errors == [] and report.written_back == 2, [e["error"] for e in report.errors]
    one_issue_per_item(jira, confluence, page_id)


def test_a_confluence_outage_after_filing_is_finished_by_the_next_run(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sandbox.fault(status=503, count=None, method="PUT", path_prefix=sandbox.content_path)
    down = sync(services)
    assert down.created == 2 and down.written_back == 0
    assert "keys not written back" in down.errors[0]["error"]
    assert keys_on_page(confluence, page_id) == [None, None]
    sandbox.clear_faults()
    again = sync(services)
    assert (again.created, again.written_back, again.errors) == (0, 2, [])
    one_issue_per_item(jira, confluence, page_id)


def test_a_lost_answer_to_the_bulk_create_is_adopted_in_the_same_run(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy", "Tune pool"))
    # An index that has caught up by the time the run searches (Data Center's indexes every few seconds);
    # one that has not is the lagging-search tests' case below.
    sandbox.fault(index_lag_ms=0)
    sandbox.fault(drop=True, after=True, method="POST", path_prefix=sandbox.bulk_path, count=1)
    report = sync(services)
    assert report.errors == [] and report.created == 3 and report.written_back == 3
    assert sandbox.stats()["by_route"]["POST " + sandbox.bulk_path] == 1
    one_issue_per_item(jira, confluence, page_id)


def test_a_5xx_from_bulk_create_is_never_sent_again_on_the_word_of_a_search(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sandbox.fault(status=503, count=1, method="POST", path_prefix=sandbox.bulk_path)
    sandbox.reset_stats()
    report = sync(services, settle=timedelta(minutes=10))
    assert report.created == 0 and len(report.errors) == 2
    assert all("maybe not filed" in error["error"] for error in report.errors)
    by_route = sandbox.stats()["by_route"]
    assert by_route["POST " + sandbox.bulk_path] == 1 and by_route[sandbox.search_route] == 2
    held = sync(services, settle=timedelta(minutes=10))  # still within the settle time: nothing filed
    assert held.created == 0 and all_issues(jira) == []
    settled = sync(services, settle=timedelta(0))
    assert settled.created == 2 and settled.errors == []
    one_issue_per_item(jira, confluence, page_id)


def test_a_lost_answer_then_a_confluence_outage_ends_with_keys_and_no_duplicate(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sandbox.fault(drop=True, after=True, method="POST", path_prefix=sandbox.bulk_path, count=1)
    sandbox.fault(status=503, count=None, method="PUT", path_prefix=sandbox.content_path)
    assert sync(services).errors
    sandbox.clear_faults()
    assert sync(services).errors == []
    one_issue_per_item(jira, confluence, page_id)


class Crash(BaseException):
    """The process dies: nothing after this point runs, nothing catches it."""


def test_a_crash_right_after_filing_is_recovered_from_the_pending_rows(services, confluence, jira, monkeypatch):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    original = SyncLedger.update

    def crash_when_recording_keys(self, entry_id, **changes):
        if changes.get("state") == "created":
            raise Crash()
        return original(self, entry_id, **changes)

    monkeypatch.setattr(SyncLedger, "update", crash_when_recording_keys)
    with pytest.raises(Crash):
        sync(services)
    monkeypatch.setattr(SyncLedger, "update", original)
    assert len(all_issues(jira)) == 2 and keys_on_page(confluence, page_id) == [None, None]
    assert {e.state for e in SyncLedger(services.db.engine).load([page_id])[page_id]} == {"pending"}
    report = sync(services)
    assert (report.created, report.written_back, report.errors) == (0, 2, [])
    one_issue_per_item(jira, confluence, page_id)


def test_a_lost_database_is_covered_by_the_marker_labels(config, services, sandbox, confluence, jira, tmp_path):
    from wikibot.store import Database

    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sandbox.fault(status=503, count=None, method="PUT", path_prefix=sandbox.content_path)
    sync(services)
    sandbox.clear_faults()
    fresh = Services(config, db=Database(f"sqlite:///{tmp_path}/empty.db"))
    report = sync(fresh)
    fresh.close()
    assert (report.created, report.already_synced, report.written_back) == (0, 2, 2)
    one_issue_per_item(jira, confluence, page_id)


def test_a_jira_outage_files_nothing_and_reports_each_page(services, sandbox, confluence, jira):
    first = make_page(services, confluence, simple_page("Add alert"), title="PM one")
    second = make_page(services, confluence, simple_page("Fix proxy"), title="PM two")
    sandbox.fault(status=503, count=None, path_prefix=sandbox.jira_url.removeprefix(sandbox.url) + "/rest/api/")
    report = sync(services)
    assert report.created == 0 and {e["page"] for e in report.errors} == {first, second}
    sandbox.clear_faults()
    assert sync(services).created == 2
    one_issue_per_item(jira, confluence, first, second)


def test_a_page_that_cannot_be_saved_does_not_stop_the_next_page(services, sandbox, confluence, jira):
    stuck = make_page(services, confluence, simple_page("Add alert"), title="PM one")
    fine = make_page(services, confluence, simple_page("Fix proxy"), title="PM two")
    sandbox.fault(status=503, count=None, method="PUT", path_prefix=f"{sandbox.content_path}/{stuck}")
    report = sync(services)
    assert [e["page"] for e in report.errors] == [stuck]
    assert keys_on_page(confluence, fine)[0] is not None and keys_on_page(confluence, stuck) == [None]


# -- people editing at the same time -------------------------------------------------------------


def test_a_concurrent_edit_during_write_back_survives_with_ours(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    wiki = services.confluence
    stale = wiki.page(page_id)
    edit_as(sandbox, page_id, lambda body: body.replace("Checkout returned 502s.", "Checkout returned 502s for 47 min.")
            .replace("</tbody>", row("Added by Ana", "", "", "", "") + "</tbody>"))
    items = parse_page(stale.body).action_items
    result = write_back(wiki, stale, [Edit(items[0], "OPS-41"), Edit(items[1], "OPS-42")])
    assert result.error is None and result.keys == {items[0].identity: "OPS-41", items[1].identity: "OPS-42"}
    body = body_of(confluence, page_id)
    assert "for 47 min." in body
    assert [(i.summary, i.jira_key) for i in parse_page(body).action_items] == \
        [("Add alert", "OPS-41"), ("Fix proxy", "OPS-42"), ("Added by Ana", None)]


def test_a_person_saving_while_sync_runs_keeps_their_edit(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sandbox.fault(stall_ms=800, method="POST", path_prefix=sandbox.bulk_path, count=1)
    result = {}
    runner = threading.Thread(target=lambda: result.setdefault("report", sync(services)))
    runner.start()
    deadline = time.monotonic() + 5
    while sandbox.stats()["by_route"].get("POST " + sandbox.bulk_path, 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    edit_as(sandbox, page_id, lambda body: body.replace("Checkout returned 502s.", "Edited by Ana while syncing."))
    runner.join(timeout=10)
    assert result["report"].errors == []
    assert "Edited by Ana while syncing." in body_of(confluence, page_id)
    one_issue_per_item(jira, confluence, page_id)


# -- rate limits ---------------------------------------------------------------------------------


def test_a_429_storm_on_both_apis_is_ridden_out(services, sandbox, confluence, jira):
    pages = [make_page(services, confluence, simple_page(*(f"Item {n}-{i}" for i in range(6))), title=f"PM {n}")
             for n in range(3)]
    sandbox.fault(status=429, retry_after=0, probability=0.3, count=None, seed=7)
    report = sync(services)
    sandbox.clear_faults()
    assert report.errors == [] and report.created == 18
    one_issue_per_item(jira, confluence, *pages)


def test_retry_after_is_honoured(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert"))
    sandbox.fault(status=429, retry_after=1, count=2, method="POST", path_prefix=sandbox.bulk_path)
    started = time.monotonic()
    report = sync(services)
    assert time.monotonic() - started >= 2 and report.errors == [] and report.created == 1
    one_issue_per_item(jira, confluence, page_id)


# -- concurrent syncs ----------------------------------------------------------------------------


def test_two_replicas_syncing_at_once_file_each_item_once(config, sandbox, confluence, jira):
    replicas = [Services(config), Services(config)]
    page_id = make_page(replicas[0], confluence, simple_page("Add alert", "Fix proxy", "Tune pool"))
    sandbox.fault(stall_ms=400, method="POST", path_prefix=sandbox.bulk_path, count=1)
    reports = []
    threads = [threading.Thread(target=lambda s=s: reports.append(sync(s))) for s in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    for services in replicas:
        services.close()
    assert sorted(r.created for r in reports) == [0, 3]
    assert any("busy" in s["reason"] for r in reports for s in r.skipped)
    one_issue_per_item(jira, confluence, page_id)


def test_a_sync_waits_for_a_busy_page_when_asked_to(services, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert"))
    owner = services.db.leases.acquire(f"sync-page:{page_id}", timedelta(minutes=1))
    assert "busy" in sync(services).skipped[0]["reason"]
    threading.Timer(0.3, services.db.leases.release, args=(f"sync-page:{page_id}", owner)).start()
    report = sync(services, lease_wait=5.0)
    assert report.created == 1 and report.skipped == []
    one_issue_per_item(jira, confluence, page_id)


def test_a_field_refused_in_one_page_is_reported_on_that_page_alone(make_config, confluence, jira):
    services = Services(make_config(jira={"priority_map": {"urgent": "No such priority"}}))
    refused = make_page(services, confluence, action_page(table(row("Fix proxy", mention(ANA), "", "urgent", ""))),
                        title="PM refused")
    fine = make_page(services, confluence, action_page(table(row("Add alert", mention(ANA), "", "", ""))),
                     title="PM fine")
    report = sync(services)
    assert report.errors == [] and [w["page"] for w in report.warnings] == [refused]
    assert None not in keys_on_page(confluence, refused) + keys_on_page(confluence, fine)


# -- a search index that lags behind -----------------------------------------------------------------

LAG = 600_000  # ms: Jira's search sees a write "after a few seconds to minutes"; here only when time passes


def test_with_a_lagging_search_a_lost_bulk_answer_then_an_immediate_second_sync_make_one_issue_each(
        services, sandbox, confluence, jira):
    sandbox.fault(index_lag_ms=LAG)
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy", "Tune pool"))
    time_passes()  # the listing is a search too: let it see the page
    sandbox.fault(drop=True, after=True, method="POST", path_prefix=sandbox.bulk_path, count=1)
    settle = timedelta(minutes=10)
    first = sync(services, settle=settle, right_after=True)
    assert first.created == 0 and len(first.errors) == 3  # created, but neither answer nor search says so
    second = sync(services, settle=settle, right_after=True)
    assert second.created == 0 and sandbox.stats()["by_route"]["POST " + sandbox.bulk_path] == 1
    time_passes()  # the index catches up
    third = sync(services, settle=settle, right_after=True)
    assert third.errors == [] and third.written_back == 3
    one_issue_per_item(jira, confluence, page_id)


def test_with_a_lagging_search_a_sync_right_after_filing_reads_its_issues_by_key(services, sandbox, confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert", "Fix proxy"))
    sandbox.fault(index_lag_ms=LAG)
    assert sync(services, page_id, right_after=True).created == 2  # one page: read by id, no listing search
    edit_as(sandbox, page_id, lambda body: body.replace("Fix proxy", "Fix the proxy"))
    sandbox.reset_stats()
    again = sync(services, page_id, right_after=True)
    assert again.created == 0 and again.errors == [] and again.updated == 1
    assert not [w for w in again.warnings if "did not return" in w["warning"]]
    by_key = "GET " + sandbox.jira_url.removeprefix(sandbox.url) + "/rest/api/2/issue/{id_or_key}"
    assert sandbox.stats()["by_route"][by_key] == 2  # the ledger's keys, by key
    time_passes()
    one_issue_per_item(jira, confluence, page_id)


def _run_sync_cli(config_path: str, *, background: bool = False):
    import subprocess
    import sys

    command = [sys.executable, "-m", "wikibot", "--config", config_path, "sync"]
    if background:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_a_sync_killed_while_writing_keys_back_does_not_block_the_next_one(services, sandbox, confluence, jira,
                                                                            tmp_path):
    from tests.conftest import write_config_file

    page_id = make_page(services, confluence, simple_page("Add alert"))
    sandbox.fault(stall_ms=20_000, method="PUT", path_prefix=f"{sandbox.content_path}/{page_id}", count=1)
    proc = _run_sync_cli(write_config_file(services.config, tmp_path), background=True)
    try:
        deadline = time.monotonic() + 30
        while not sandbox.stats()["by_route"].get("PUT " + sandbox.content_path + "/{id}"):  # stalled in the write-back
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.communicate()
    sandbox.clear_faults()
    report = sync(services)  # its lease is held by a process that no longer exists: taken over at once
    assert report.skipped == [] and not report.incomplete and report.errors == []
    one_issue_per_item(jira, confluence, page_id)


def test_a_page_busy_with_a_live_sync_makes_the_run_exit_incomplete_with_the_reason(services, confluence, tmp_path):
    from tests.conftest import write_config_file

    page_id = make_page(services, confluence, simple_page("Add alert"))
    owner = services.db.leases.acquire(f"sync-page:{page_id}", timedelta(minutes=1))  # this process: alive
    try:
        result = _run_sync_cli(write_config_file(services.config, tmp_path))
    finally:
        services.db.leases.release(f"sync-page:{page_id}", owner)
    assert result.returncode == ExitStatus.INCOMPLETE, result.stdout + result.stderr
    assert "skipped: " in result.stdout
    assert "busy: another sync (still running) holds this page's lease" in result.stdout
