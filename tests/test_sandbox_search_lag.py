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
