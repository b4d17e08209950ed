"""The emulated Jira's directory and reference routes (``service_sandbox.jira_meta``), error paths
included: Cloud refuses ``username`` lookups (GDPR strict mode) and needs a query; Data Center looks
people up by ``username``/``key``; unknown projects, issue types, priorities and statuses are 404s
worded as Jira words them. Responses of the Cloud routes also validate against the published v3
OpenAPI when ``../shared/specs`` is there."""

from __future__ import annotations

import pytest
import requests

from tests import contracts

ANA = "557058:aa11"
JIRA = contracts.load("jira")


def get(sandbox, path: str, **params) -> requests.Response:
    """A GET to the sandbox's Jira as the product's own client sends it (basic on Cloud, PAT on DC)."""
    if sandbox.profile == "datacenter":
        return requests.get(sandbox.jira_url + path, params=params, timeout=5,
                            headers={"Authorization": f"Bearer {sandbox.token}"})
    response = requests.get(sandbox.url + path, params=params, auth=(sandbox.user, sandbox.token), timeout=5)
    if JIRA is not None and response.ok:  # the spec documents no error bodies (nor GDPR's 400 on /user)
        body = response.json() if response.content else None
        assert JIRA.check_response("GET", path, response.status_code, body) == []
    return response


def refused(response: requests.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"] == {} and len(body["errorMessages"]) == 1
    return body["errorMessages"][0]


# -- users on Cloud --------------------------------------------------------------------------------
def test_cloud_refuses_username_and_key_lookups_in_gdpr_strict_mode(sandbox):
    for params in ({"username": "ana"}, {"key": "ana"}):
        assert "GDPR strict mode" in refused(get(sandbox, "/rest/api/2/user", **params), 400)
    assert "GDPR strict mode" in refused(get(sandbox, "/rest/api/2/user/search", username="ana"), 400)


def test_cloud_user_reads_need_an_account_id_or_a_query(sandbox):
    assert "accountId" in refused(get(sandbox, "/rest/api/2/user"), 400)
    assert "'query'" in refused(get(sandbox, "/rest/api/2/user/search"), 400)
    found = get(sandbox, "/rest/api/2/user/search", accountId=ANA).json()
    assert [u["accountId"] for u in found] == [ANA]
    assert "together" in refused(get(sandbox, "/rest/api/2/user/search", accountId=ANA, query="ana"), 400)


def test_assignable_users_need_a_project_that_exists(sandbox):
    assert "'project'" in refused(get(sandbox, "/rest/api/2/user/assignable/search"), 400)
    assert refused(get(sandbox, "/rest/api/2/user/assignable/search", project="NOPE"), 404) == \
        "No project could be found with key 'NOPE'."
    found = get(sandbox, "/rest/api/2/user/assignable/search", project="OPS", query="ana").json()
    assert [u["accountId"] for u in found] == [ANA]
    paged = get(sandbox, "/rest/api/2/user/assignable/search", project="OPS", startAt=1, maxResults=1).json()
    assert len(paged) == 1


# -- users on Data Center --------------------------------------------------------------------------
def test_datacenter_reads_users_by_username_or_key_and_says_which_is_unknown(dc_sandbox):
    assert "'username' or 'key'" in refused(get(dc_sandbox, "/rest/api/2/user"), 400)
    assert refused(get(dc_sandbox, "/rest/api/2/user", username="nobody"), 404) == \
        "The user named 'nobody' does not exist"
    assert get(dc_sandbox, "/rest/api/2/user", key="ana").json()["name"] == "ana"
    assert get(dc_sandbox, "/rest/api/2/user", username="ANA").json()["key"] == "ana"


def test_datacenter_user_search_needs_a_username_and_matches_its_prefix(dc_sandbox):
    assert refused(get(dc_sandbox, "/rest/api/2/user/search"), 400) == "The username query parameter was not provided"
    assert [u["name"] for u in get(dc_sandbox, "/rest/api/2/user/search", username="an").json()] == ["ana"]
    assignable = get(dc_sandbox, "/rest/api/2/user/assignable/search", project="OPS", username="an").json()
    assert [u["name"] for u in assignable] == ["ana"]


# -- projects and reference data -------------------------------------------------------------------
def test_project_statuses_list_every_status_per_issue_type_and_an_unknown_project_is_404(sandbox):
    listed = get(sandbox, "/rest/api/2/project/OPS/statuses").json()
    assert [t["name"] for t in listed] == ["Task", "Bug"]
    assert [s["name"] for s in listed[0]["statuses"]] == ["To Do", "In Progress", "Done"]
    assert refused(get(sandbox, "/rest/api/2/project/NOPE/statuses"), 404) == \
        "No project could be found with key 'NOPE'."


@pytest.mark.parametrize(("path", "name", "unknown"), [
    ("/rest/api/2/issuetype", "Task", "The issue type with id '999' does not exist."),
    ("/rest/api/2/priority", "Highest", "The priority with id '999' does not exist."),
    ("/rest/api/2/status", "To Do", "The status with id or name '999' does not exist."),
])
def test_reference_items_are_read_by_id_and_an_unknown_id_is_404(sandbox, path, name, unknown):
    first = get(sandbox, path).json()[0]
    assert first["name"] == name
    assert get(sandbox, f"{path}/{first['id']}").json()["name"] == name
    assert refused(get(sandbox, f"{path}/999"), 404) == unknown


def test_a_status_is_also_found_by_name(sandbox):
    assert get(sandbox, "/rest/api/2/status/Done").json()["statusCategory"]["key"] == "done"


def test_status_categories_and_resolutions_are_listed(sandbox):
    assert {c["key"] for c in get(sandbox, "/rest/api/2/statuscategory").json()} >= {"new", "indeterminate", "done"}
    assert [r["name"] for r in get(sandbox, "/rest/api/2/resolution").json()] == ["Done"]


def test_the_project_search_pages_with_is_last(sandbox):
    found = get(sandbox, "/rest/api/2/project/search", maxResults=1).json()
    assert [p["key"] for p in found["values"]] == ["OPS"] and found["isLast"] is True and found["total"] == 1
    assert get(sandbox, "/rest/api/2/project/search", startAt="x").status_code == 400
