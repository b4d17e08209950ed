"""The sandbox against Atlassian's published contracts: its Confluence v2 responses (and the requests
that produced them) validate against the Confluence Cloud v2 OpenAPI, its Jira responses against
the Jira Cloud platform v3 OpenAPI. Skipped when ``../shared/specs`` (or ``$WIKIBOT_SPECS_DIR``) is
absent, as in a user's clone. ``/direct-children`` is newer than the vendored v2 snapshot, so it is
checked by ``test_sandbox_v2`` only."""

from __future__ import annotations

import pytest
import requests

from tests import contracts
from tests.conftest import RunningSandbox

CONFLUENCE = contracts.load("confluence")
JIRA = contracts.load("jira")
pytestmark = pytest.mark.skipif(CONFLUENCE is None or JIRA is None,
                                reason="no ../shared/specs (set WIKIBOT_SPECS_DIR to the published OpenAPI files)")


class Recorder:
    """Sends requests to the sandbox and checks each answer against a contract as it comes."""

    def __init__(self, sandbox: RunningSandbox, contract: contracts.Contract) -> None:
        self.sandbox, self.contract, self.problems = sandbox, contract, []

    def __call__(self, method: str, path: str, expect: int, **kwargs) -> dict:
        response = requests.request(method, self.sandbox.url + path, auth=(self.sandbox.user, self.sandbox.token),
                                    timeout=10, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.text[:300])
        body = response.json() if response.content else None
        self.problems += self.contract.check_response(method, path, response.status_code, body)
        return body or {}


def test_confluence_v2_responses_and_requests_match_the_published_contract(cloud_sandbox) -> None:
    call = Recorder(cloud_sandbox, CONFLUENCE)
    space = call("GET", "/wiki/api/v2/spaces?keys=INC", 200)["results"][0]
    call("GET", f"/wiki/api/v2/spaces/{space['id']}", 200)
    parent = call("GET", "/wiki/api/v2/pages", 200, params={"space-id": space["id"], "title": "Post-mortems",
                                                            "body-format": "storage"})["results"][0]
    body = {"representation": "storage", "value": "<p>x</p>"}
    page = call("POST", "/wiki/api/v2/pages", 200, json={"spaceId": space["id"], "status": "current",
                                                         "title": "Contract", "parentId": parent["id"], "body": body})
    call("POST", "/wiki/api/v2/pages", 400, json={"spaceId": space["id"], "title": "Contract", "body": body})
    call("PUT", f"/wiki/api/v2/pages/{page['id']}", 200, json={
        "id": page["id"], "status": "current", "title": "Contract", "body": body,
        "version": {"number": 2, "message": "edited"}})
    call("GET", f"/wiki/api/v2/pages/{page['id']}", 200, params={
        "body-format": "storage", "include-labels": "true", "include-properties": "true", "include-versions": "true"})
    call("GET", f"/wiki/api/v2/pages/{parent['id']}", 200)  # a page with no parent of its own is not here:
    call("GET", f"/wiki/api/v2/pages/{space['homepageId']}", 200)  # ...its parentId is null
    call("GET", "/wiki/api/v2/pages", 200, params={"limit": 1})
    call("GET", f"/wiki/api/v2/pages/{parent['id']}/children", 200)
    call("GET", f"/wiki/api/v2/pages/{page['id']}/labels", 200)
    prop = call("POST", f"/wiki/api/v2/pages/{page['id']}/properties", 200, json={"key": "k", "value": {"a": 1}})
    call("GET", f"/wiki/api/v2/pages/{page['id']}/properties", 200, params={"key": "k"})
    call("GET", f"/wiki/api/v2/pages/{page['id']}/properties/{prop['id']}", 200)
    call("PUT", f"/wiki/api/v2/pages/{page['id']}/properties/{prop['id']}", 200,
         json={"key": "k", "value": {"a": 2}, "version": {"number": 2}})
    call("DELETE", f"/wiki/api/v2/pages/{page['id']}/properties/{prop['id']}", 204)
    call("POST", "/wiki/api/v2/footer-comments", 201, json={"pageId": page["id"], "body": body})
    call("GET", f"/wiki/api/v2/pages/{page['id']}/footer-comments", 200, params={"body-format": "storage"})
    call("GET", f"/wiki/api/v2/pages/{page['id']}/versions", 200)
    call("GET", "/wiki/api/v2/pages/999999", 404)
    call("DELETE", f"/wiki/api/v2/pages/{page['id']}", 204)
    assert call.problems == []
    sent = [e for e in requests.get(cloud_sandbox.url + "/_sandbox/requests", timeout=5).json()
            if e["path"].startswith("/wiki/api/v2/")]
    assert len(sent) == 22 and contracts.journal_problems(cloud_sandbox.url) == []


def test_the_request_check_catches_what_the_real_api_refuses(cloud_sandbox) -> None:
    """The library's ``get_pages()`` sends ``body-format=none`` (not in the spec; the sandbox refuses it)."""
    assert CONFLUENCE.check_request("GET", "/wiki/api/v2/pages", {"body-format": ["none"]}, None)
    assert CONFLUENCE.check_request("GET", "/wiki/api/v2/pages/{id}/children", {"status": ["current"]}, None)
    assert CONFLUENCE.check_request("PUT", "/wiki/api/v2/pages/1", {}, {"id": "1", "status": "current",
                                                                         "title": "t", "body": {"storage": 5}})


def test_jira_responses_match_the_published_contract(sandbox) -> None:
    call = Recorder(sandbox, JIRA)
    fields = {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Contract", "labels": ["pm"]}
    issue = call("POST", "/rest/api/2/issue", 201, json={"fields": fields})
    bulk = call("POST", "/rest/api/2/issue/bulk", 201, json={"issueUpdates": [
        {"fields": fields}, {"fields": {**fields, "labels": ["a b"]}}]})
    assert bulk["errors"][0]["failedElementNumber"] == 1
    call("POST", "/rest/api/2/issue/bulk", 400, json={"issueUpdates": [{"fields": {"summary": "x"}}]})
    call("GET", f"/rest/api/2/issue/{issue['key']}", 200)
    call("GET", "/rest/api/3/search/jql", 200, params={"jql": "labels = pm", "fields": "summary,labels"})
    call("POST", "/rest/api/3/search/jql", 200, json={"jql": "labels = pm", "fields": ["summary"], "maxResults": 1,
                                                      "reconcileIssues": [int(issue["id"])]})
    call("GET", f"/rest/api/2/issue/{issue['key']}/transitions", 200)
    call("GET", "/rest/api/2/project/OPS", 200)
    call("GET", "/rest/api/2/myself", 200)
    assert call.problems == []
    assert contracts.journal_problems(sandbox.url) == []


def test_confluence_v2_version_and_attachment_lists_match_the_published_contract(cloud_sandbox) -> None:
    """The lists wikibot reads besides pages: versions in the order asked for, attachments by filename
    (uploaded through v1, which Cloud keeps), each page of them by cursor."""
    call = Recorder(cloud_sandbox, CONFLUENCE)
    space = call("GET", "/wiki/api/v2/spaces?keys=INC", 200)["results"][0]
    body = {"representation": "storage", "value": "<p>x</p>"}
    page = call("POST", "/wiki/api/v2/pages", 200, json={"spaceId": space["id"], "status": "current",
                                                         "title": "Lists", "body": body})
    call("PUT", f"/wiki/api/v2/pages/{page['id']}", 200, json={
        "id": page["id"], "status": "current", "title": "Lists", "body": body, "version": {"number": 2}})
    versions = call("GET", f"/wiki/api/v2/pages/{page['id']}/versions", 200,
                    params={"sort": "-modified-date", "limit": 1})
    assert [v["number"] for v in versions["results"]] == [2] and "next" in versions["_links"]
    call("GET", f"/wiki/api/v2/pages/{page['id']}/versions", 400, params={"sort": "number"})
    for name in ("a.png", "b.png"):
        uploaded = requests.post(f"{cloud_sandbox.wiki_url}/rest/api/content/{page['id']}/child/attachment",
                                 files={"file": (name, b"png", "image/png")}, timeout=10,
                                 headers={"X-Atlassian-Token": "no-check"},
                                 auth=(cloud_sandbox.user, cloud_sandbox.token))
        assert uploaded.status_code == 200
    listed = call("GET", f"/wiki/api/v2/pages/{page['id']}/attachments", 200, params={"limit": 1})
    assert [a["title"] for a in listed["results"]] == ["a.png"]
    call("GET", f"/wiki/api/v2/pages/{page['id']}/attachments", 200, params={"filename": "b.png"})
    call("GET", f"/wiki/api/v2/pages/{page['id']}/attachments", 400, params={"limit": 251})
    assert call.problems == []
    refused = contracts.journal_problems(cloud_sandbox.url)  # the two the sandbox answered 400, and only those
    assert len(refused) == 2 and "?sort" in refused[0] and "?limit" in refused[1]
