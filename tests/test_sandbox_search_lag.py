"""Search lag: with ``index_lag_ms`` armed, CQL and JQL miss what was just written, while reads by id,
the v2 exact-title page list and ``reconcileIssues`` stay consistent (as on the real services)."""

from __future__ import annotations

import time

import requests

from service_sandbox import SandboxStore, create_sandbox_app
from tests.conftest import INDEX_LAG_MS, RunningSandbox

LAG_MS = 1500  # long enough that a busy machine does not let the index catch up mid-test


def raw(sandbox: RunningSandbox, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, sandbox.url + path, auth=(sandbox.user, sandbox.token), timeout=10, **kwargs)


def cql_titles(sandbox: RunningSandbox, cql: str) -> list[str]:
    found = raw(sandbox, "GET", "/wiki/rest/api/search", params={"cql": cql}).json()
    return [r["content"]["title"] for r in found["results"]]


def new_page(sandbox: RunningSandbox, title: str) -> dict:
    space = raw(sandbox, "GET", "/wiki/api/v2/spaces", params={"keys": "INC"}).json()["results"][0]["id"]
    return raw(sandbox, "POST", "/wiki/api/v2/pages", json={
        "spaceId": space, "status": "current", "title": title,
        "body": {"representation": "storage", "value": "<p>x</p>"}}).json()


def test_cql_misses_a_new_page_until_the_lag_has_passed_but_the_v2_title_list_sees_it(cloud_sandbox) -> None:
    cloud_sandbox.fault(index_lag_ms=LAG_MS)
    page = new_page(cloud_sandbox, "Fresh page")
    assert cql_titles(cloud_sandbox, 'title = "Fresh page"') == []
    listed = raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params={"title": "Fresh page"}).json()["results"]
    assert [p["id"] for p in listed] == [page["id"]]
    assert raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{page['id']}").status_code == 200
    time.sleep(LAG_MS / 1000 + 0.1)
    assert cql_titles(cloud_sandbox, 'title = "Fresh page"') == ["Fresh page"]


def test_a_new_label_is_not_searchable_until_indexed_and_seeded_pages_always_are(cloud_sandbox) -> None:
    page = new_page(cloud_sandbox, "Old page")
    time.sleep(0.05)
    cloud_sandbox.fault(index_lag_ms=LAG_MS)
    assert "Post-mortems" in cql_titles(cloud_sandbox, "type = page")
    assert "Old page" not in cql_titles(cloud_sandbox, "type = page")  # created 50 ms ago
    time.sleep(LAG_MS / 1000 + 0.1)
    labelled = raw(cloud_sandbox, "POST", f"/wiki/rest/api/content/{page['id']}/label", json={"name": "post-mortem"})
    assert labelled.status_code == 200, labelled.text
    assert cql_titles(cloud_sandbox, 'label = "post-mortem"') == []
    cloud_sandbox.fault(index_lag_ms=0)
    assert cql_titles(cloud_sandbox, 'label = "post-mortem"') == ["Old page"]


def test_jql_misses_a_new_issue_unless_its_id_is_reconciled(sandbox, jira) -> None:
    sandbox.fault(index_lag_ms=LAG_MS)
    issue = jira.create_issue({"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Just filed",
                               "labels": ["post-mortem"]})
    query = {"jql": "labels = post-mortem", "fields": ["summary"]}
    assert raw(sandbox, "POST", "/rest/api/3/search/jql", json=query).json()["issues"] == []
    fresh = raw(sandbox, "POST", "/rest/api/3/search/jql", json={**query, "reconcileIssues": [int(issue["id"])]})
    assert [i["key"] for i in fresh.json()["issues"]] == [issue["key"]]
    by_get = raw(sandbox, "GET", "/rest/api/3/search/jql",
                 params={"jql": "labels = post-mortem", "reconcileIssues": issue["id"]}).json()
    assert [i["id"] for i in by_get["issues"]] == [issue["id"]]
    assert jira.get_issue(issue["key"], fields="summary")["fields"]["summary"] == "Just filed"
    too_many = raw(sandbox, "POST", "/rest/api/3/search/jql", json={**query, "reconcileIssues": list(range(51))})
    assert too_many.status_code == 400
    time.sleep(LAG_MS / 1000 + 0.1)
    assert len(raw(sandbox, "POST", "/rest/api/3/search/jql", json=query).json()["issues"]) == 1


def test_the_lag_is_part_of_the_fault_table_and_cleared_with_it(sandbox) -> None:
    sandbox.fault(index_lag_ms=3000)
    assert requests.get(sandbox.url + "/_sandbox/faults", timeout=5).json()["index_lag_ms"] == 3000
    sandbox.clear_faults()  # back to the lag the test run started the sandbox with
    assert requests.get(sandbox.url + "/_sandbox/faults", timeout=5).json()["index_lag_ms"] == INDEX_LAG_MS
    assert requests.post(sandbox.url + "/_sandbox/faults", json={"index_lag_ms": -1}, timeout=5).status_code == 400


def test_a_sandbox_started_with_a_lag_keeps_it_when_faults_are_cleared() -> None:
    client = create_sandbox_app(SandboxStore(), index_lag_ms=3000).test_client()
    client.delete("/_sandbox/faults")
    assert client.get("/_sandbox/faults").get_json()["index_lag_ms"] == 3000


def test_catching_up_makes_every_write_so_far_searchable_and_later_writes_lag_again(cloud_sandbox) -> None:
    cloud_sandbox.fault(index_lag_ms=600_000)
    new_page(cloud_sandbox, "Written before")
    assert cql_titles(cloud_sandbox, 'title = "Written before"') == []
    assert requests.post(cloud_sandbox.url + "/_sandbox/index/catch-up", timeout=5).json() == {"caught_up": 1}
    assert cql_titles(cloud_sandbox, 'title = "Written before"') == ["Written before"]
    new_page(cloud_sandbox, "Written after")
    assert cql_titles(cloud_sandbox, 'title = "Written after"') == []


def put_body(sandbox: RunningSandbox, page: dict, body: str, number: int) -> None:
    saved = raw(sandbox, "PUT", f"/wiki/api/v2/pages/{page['id']}", json={
        "id": page["id"], "status": "current", "title": page["title"], "version": {"number": number},
        "body": {"representation": "storage", "value": body}})
    assert saved.status_code == 200, saved.text


def test_a_page_changed_within_the_lag_is_matched_by_its_indexed_state_and_served_as_it_is_now(cloud_sandbox) -> None:
    """An index that has not processed an edit still holds the page as it was (Confluence queues
    edits and indexes them in batches): a label just removed still finds the page, a label just
    added does not yet, and a page just edited is still found; the content returned is today's."""
    cloud_sandbox.fault(index_lag_ms=600_000)
    page = new_page(cloud_sandbox, "Labelled page")
    raw(cloud_sandbox, "POST", f"/wiki/rest/api/content/{page['id']}/label", json=[{"name": "post-mortem"}])
    cloud_sandbox.catch_up()
    removed = raw(cloud_sandbox, "DELETE", f"/wiki/rest/api/content/{page['id']}/label", params={"name": "post-mortem"})
    assert removed.status_code == 204
    raw(cloud_sandbox, "POST", f"/wiki/rest/api/content/{page['id']}/label", json=[{"name": "draft"}])
    put_body(cloud_sandbox, page, "<p>edited</p>", 2)
    found = raw(cloud_sandbox, "GET", "/wiki/rest/api/search", params={
        "cql": 'label = "post-mortem"', "expand": "content.version,content.metadata.labels"}).json()["results"]
    assert [r["content"]["id"] for r in found] == [page["id"]]
    assert found[0]["content"]["version"]["number"] == 2
    assert [label["name"] for label in found[0]["content"]["metadata"]["labels"]["results"]] == ["draft"]
    assert cql_titles(cloud_sandbox, 'label = "draft"') == []
    cloud_sandbox.catch_up()
    assert cql_titles(cloud_sandbox, 'label = "post-mortem"') == []
    assert cql_titles(cloud_sandbox, 'label = "draft"') == ["Labelled page"]


def test_a_page_moved_within_the_lag_is_still_found_under_its_old_ancestor(cloud_sandbox) -> None:
    cloud_sandbox.fault(index_lag_ms=600_000)
    parent, other, child = (new_page(cloud_sandbox, title) for title in ("Parent", "Other", "Child"))
    raw(cloud_sandbox, "PUT", f"/wiki/api/v2/pages/{child['id']}", json={
        "id": child["id"], "status": "current", "title": "Child", "version": {"number": 2},
        "parentId": parent["id"], "body": {"representation": "storage", "value": "<p>x</p>"}})
    cloud_sandbox.catch_up()
    moved = raw(cloud_sandbox, "PUT", f"/wiki/api/v2/pages/{child['id']}", json={
        "id": child["id"], "status": "current", "title": "Child", "version": {"number": 3},
        "parentId": other["id"], "body": {"representation": "storage", "value": "<p>x</p>"}})
    assert moved.status_code == 200, moved.text
    assert cql_titles(cloud_sandbox, f"ancestor = {parent['id']}") == ["Child"]
    assert cql_titles(cloud_sandbox, f"ancestor = {other['id']}") == []


def test_an_issue_changed_within_the_lag_is_found_and_shown_as_it_was_unless_reconciled(sandbox, jira) -> None:
    """Jira's search "may return stale or outdated data instead of the most recent updates" until it
    catches up (Atlassian, Search and reconcile): an issue just moved to Done is still found by
    ``statusCategory != Done``, with its old status, and ``reconcileIssues`` shows it as it is."""
    sandbox.fault(index_lag_ms=600_000)
    issue = jira.create_issue({"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Filed",
                               "labels": ["post-mortem"]})
    sandbox.catch_up()
    jira.set_issue_status(issue["key"], "Done")
    jira.update_issue_field(issue["key"], {"summary": "Renamed", "labels": ["other"]})
    query = {"jql": "labels = post-mortem and statusCategory != Done", "fields": ["summary", "status", "labels"]}
    stale = raw(sandbox, "POST", "/rest/api/3/search/jql", json=query).json()["issues"]
    assert [(i["key"], i["fields"]["summary"], i["fields"]["status"]["name"], i["fields"]["labels"])
            for i in stale] == [(issue["key"], "Filed", "To Do", ["post-mortem"])]
    fresh = raw(sandbox, "POST", "/rest/api/3/search/jql", json={**query, "reconcileIssues": [int(issue["id"])]})
    assert fresh.json()["issues"] == []
    assert jira.get_issue(issue["key"], fields="summary")["fields"]["summary"] == "Renamed"
    sandbox.catch_up()
    assert raw(sandbox, "POST", "/rest/api/3/search/jql", json=query).json()["issues"] == []


def test_a_hit_whose_page_was_trashed_within_the_lag_is_not_served_and_offset_paging_skips_nothing(
        dc_sandbox) -> None:
    """The index still matches a page trashed a moment ago; the page itself is gone, so it is left
    out, and the next offset is past every match this page used up (no page repeated or skipped)."""
    dc_sandbox.fault(index_lag_ms=600_000)
    client = dc_sandbox.confluence()
    body = {"storage": {"value": "<p>x</p>", "representation": "storage"}}
    ids = [client.post("rest/api/content", data={"type": "page", "title": f"Lagging {n}", "space": {"key": "INC"},
                                                 "body": body})["id"] for n in range(3)]
    dc_sandbox.catch_up()
    client.delete(f"rest/api/content/{ids[0]}")
    seen, start = [], 0
    while True:
        found = client.get("rest/api/search", params={"cql": 'title ~ "Lagging"', "limit": 1, "start": start})
        seen += [r["content"]["id"] for r in found["results"]]
        if "next" not in found["_links"]:
            break
        start = int(found["_links"]["next"].rsplit("start=", 1)[1])
    assert seen == ids[1:]
