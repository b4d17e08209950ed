"""The emulated Jira Cloud, driven by the real atlassian-python-api client over real HTTP."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING

import pytest
import requests
from requests import HTTPError

from service_sandbox import jira_store

if TYPE_CHECKING:
    from atlassian import Jira
    from conftest import RunningSandbox

# These test what the search languages find; test_sandbox_search_lag.py tests when they find it.
pytestmark = pytest.mark.instant_search


ANA, BOB = "557058:aa11", "557058:bb22"


def fields(summary: str = "Add DB failover alert", **extra: object) -> dict:
    return {"project": {"key": "OPS"}, "summary": summary, "issuetype": {"name": "Task"}, **extra}


def error_body(caught: pytest.ExceptionInfo) -> dict:
    return caught.value.response.json()


def routes(sandbox: RunningSandbox) -> dict[str, int]:
    """Requests per route template since the last ``reset_stats``."""
    return sandbox.stats()["by_route"]


def bulk(jira: Jira, count: int, **extra: object) -> list[str]:
    created = []
    for start in range(0, count, 50):
        batch = [{"fields": fields(f"Bulk issue {n}", **extra)} for n in range(start, min(start + 50, count))]
        created += [i["key"] for i in jira.create_issues(batch)["issues"]]
    return created


# -- create --------------------------------------------------------------------------------------
def test_create_issue_returns_id_key_and_self_with_sequential_keys(jira: Jira, sandbox: RunningSandbox) -> None:
    first = jira.create_issue(fields(labels=["post-mortem", "pm-98765"], assignee={"accountId": ANA},
                                     duedate="2026-08-01", priority={"name": "High"}, description="From PM"))
    second = jira.issue_create(fields("Second"))
    assert (first["key"], second["key"]) == ("OPS-1", "OPS-2")
    assert first["self"] == f"{sandbox.url}/rest/api/2/issue/{first['id']}"
    got = jira.get_issue("OPS-1")["fields"]
    assert got["summary"] == "Add DB failover alert"
    assert got["description"] == "From PM"
    assert got["labels"] == ["pm-98765", "post-mortem"]
    assert got["status"]["name"] == "To Do" and got["status"]["statusCategory"]["key"] == "new"
    assert (got["priority"]["name"], got["priority"]["id"]) == ("High", "2")
    assert got["issuetype"]["name"] == "Task" and got["project"]["key"] == "OPS"
    assert got["assignee"]["accountId"] == ANA and got["assignee"]["displayName"] == "Ana Lima"
    assert got["reporter"]["emailAddress"] == sandbox.user
    assert got["duedate"] == "2026-08-01" and got["resolution"] is None and got["resolutiondate"] is None
    assert got["created"].endswith("+0000")
    assert jira.get_issue("OPS-2")["fields"]["priority"]["name"] == "Medium"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"summary": None}, "summary", "You must specify a summary of the issue."),
    ({"summary": "x" * 256}, "summary", "Summary must be less than 255 characters."),
    # Jira counts Java chars (UTF-16 units): 200 letters and 30 emoji are 230 characters but 260 units.
    ({"summary": "x" * 200 + "\U0001f4a5" * 30}, "summary", "Summary must be less than 255 characters."),
    ({"project": {"key": "NOPE"}}, "project", "Specify a valid project ID or key"),
    ({"issuetype": {"name": "Epic"}}, "issuetype", "Specify a valid issue type"),
    ({"priority": {"name": "Urgent"}}, "priority", "The priority selected is invalid."),
    ({"assignee": {"accountId": "557058:nobody"}}, "assignee", "Specified user does not exist"),
    ({"labels": ["two words"]}, "labels", "The label 'two words' contains spaces which is invalid."),
    ({"duedate": "2026-13-45"}, "duedate", "Error parsing date string: 2026-13-45"),
    ({"duedate": "01/08/2026"}, "duedate", "Error parsing date string: 01/08/2026"),
    ({"description": {"type": "doc"}}, "description", "Operation value must be a string"),
    ({"customfield_10042": 5}, "customfield_10042",
     "Field 'customfield_10042' cannot be set. It is not on the appropriate screen, or unknown."),
])
def test_create_rejects_invalid_fields_with_jira_errors(jira: Jira, changes: dict, field: str, message: str) -> None:
    body = {k: v for k, v in {**fields(), **changes}.items() if v is not None}
    with pytest.raises(HTTPError) as caught:
        jira.create_issue(body)
    assert caught.value.response.status_code == 400
    assert message in error_body(caught)["errors"][field]
    assert error_body(caught)["errorMessages"] == []
    assert not jira.issue_exists("OPS-1")


def test_a_summary_is_measured_after_jira_trims_it(jira: Jira) -> None:
    created = jira.create_issue(fields(summary="x" * 255 + "   "))
    assert jira.get_issue(created["key"], fields="summary")["fields"]["summary"].startswith("x" * 255)


def test_malformed_json_body_is_a_400_not_a_500(jira: Jira, sandbox: RunningSandbox) -> None:
    response = jira.session.post(f"{sandbox.url}/rest/api/2/issue", data="{not json",
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert response.json()["errorMessages"]


def test_bulk_create_is_201_when_any_element_succeeded_and_lists_the_failed_ones(jira: Jira) -> None:
    updates = [{"fields": fields("ok one")}, {"fields": fields("bad", labels=["a b"])},
               {"fields": fields("ok two")}]
    body = jira.create_issues(updates)  # 201: the library raises nothing
    assert [i["key"] for i in body["issues"]] == ["OPS-1", "OPS-2"]
    assert body["errors"] == [{"status": 400, "failedElementNumber": 1, "elementErrors": {
        "errorMessages": [], "errors": {"labels": "The label 'a b' contains spaces which is invalid."}}}]
    assert jira.get_issue("OPS-2", fields="summary")["fields"]["summary"] == "ok two"


def test_bulk_create_is_400_only_when_every_element_failed(jira: Jira) -> None:
    with pytest.raises(HTTPError) as caught:
        jira.create_issues([{"fields": fields("bad", labels=["a b"])}, {"fields": {"summary": "no project"}}])
    assert caught.value.response.status_code == 400
    assert [e["failedElementNumber"] for e in error_body(caught)["errors"]] == [0, 1]
    assert not jira.issue_exists("OPS-1")


def test_an_unassignable_assignee_fails_only_its_element_under_errors_assignee(sandbox: RunningSandbox,
                                                                                jira: Jira) -> None:
    requests.post(f"{sandbox.url}/_sandbox/users/557058:dd44", json={"active": False}, timeout=5).raise_for_status()
    gone = fields("for Dana", assignee={"accountId": "557058:dd44"})
    unknown = fields("for nobody", assignee={"accountId": "557058:nobody"})
    body = jira.create_issues([{"fields": fields("fine")}, {"fields": gone}, {"fields": unknown}])
    assert [i["key"] for i in body["issues"]] == ["OPS-1"]
    assert [(e["failedElementNumber"], sorted(e["elementErrors"]["errors"])) for e in body["errors"]] == [
        (1, ["assignee"]), (2, ["assignee"])]


def test_bulk_create_all_good_is_201_and_more_than_50_is_refused(jira: Jira, sandbox: RunningSandbox) -> None:
    result = jira.create_issues([{"fields": fields(f"n{n}")} for n in range(50)])
    assert len(result["issues"]) == 50 and result["errors"] == []
    with pytest.raises(HTTPError) as caught:
        jira.create_issues([{"fields": fields(f"m{n}")} for n in range(51)])
    assert caught.value.response.status_code == 400
    assert "limited to 50" in str(caught.value)
    assert not jira.issue_exists("OPS-51")


# -- read ----------------------------------------------------------------------------------------
def test_get_issue_honours_fields_expand_and_properties(jira: Jira) -> None:
    key = jira.create_issue(fields(labels=["pm"]))["key"]
    jira.set_issue_property(key, "wikibot", {"pageId": "98765"})
    assert set(jira.get_issue(key, fields="status,labels,duedate")["fields"]) == {"status", "labels", "duedate"}
    assert jira.get_issue(key, fields=["summary"])["fields"] == {"summary": "Add DB failover alert"}
    assert jira.issue(key, fields="*none")["fields"] == {}
    everything = jira.issue(key, expand="names")
    assert {"summary", "comment", "resolution", "reporter"} <= set(everything["fields"])
    assert everything["names"]["duedate"] == "Due date"
    assert jira.get_issue(key, fields="*all,-comment")["fields"].get("comment") is None
    assert jira.get_issue(key, fields="summary", properties="*all")["properties"] == {"wikibot": {"pageId": "98765"}}
    assert jira.get_issue_status(key) == "To Do"
    assert jira.get_issue(key.lower(), fields="summary")["key"] == key


def test_issue_exists_and_unknown_issue_is_a_404(jira: Jira) -> None:
    jira.create_issue(fields())
    assert jira.issue_exists("OPS-1") is True
    assert jira.issue_exists("OPS-404") is False
    with pytest.raises(HTTPError) as caught:
        jira.get_issue("OPS-404")
    assert caught.value.response.status_code == 404
    assert str(caught.value) == "Issue does not exist or you do not have permission to see it."


# -- edit ----------------------------------------------------------------------------------------
def test_issue_update_accepts_the_libraries_notify_users_body_key(jira: Jira, sandbox: RunningSandbox) -> None:
    key = jira.create_issue(fields(labels=["a", "b"]))["key"]
    sandbox.reset_stats()
    assert jira.issue_update(key, {"summary": "Renamed", "assignee": {"accountId": BOB}},
                             update={"labels": [{"remove": "a"}, {"add": "c"}]},
                             history_metadata={"type": "wikibot"}, notify_users=False) is None
    got = jira.get_issue(key, fields="summary,labels,assignee")["fields"]
    assert (got["summary"], got["labels"], got["assignee"]["accountId"]) == ("Renamed", ["b", "c"], BOB)
    assert routes(sandbox) == {"PUT /rest/api/2/issue/{id_or_key}": 1,
                               "GET /rest/api/2/issue/{id_or_key}": 1}


def test_update_issue_field_label_issue_and_set_verb(jira: Jira) -> None:
    key = jira.create_issue(fields(labels=["old"]))["key"]
    jira.update_issue_field(key, {"duedate": "2026-12-01", "assignee": None})
    jira.label_issue(key, ["pm-1", "pm-2"])
    assert jira.get_issue_labels(key) == ["old", "pm-1", "pm-2"]
    jira.update_issue(key, {"update": {"labels": [{"set": ["fresh"]}]}})
    got = jira.get_issue(key, fields="labels,duedate,assignee")["fields"]
    assert got == {"labels": ["fresh"], "duedate": "2026-12-01", "assignee": None}


def test_an_edit_that_suppresses_notifications_needs_admin_rights_and_is_refused_whole(jira: Jira) -> None:
    """``notifyUsers=false`` without Administer Projects: 403, and nothing is edited (measured on Jira
    Cloud; the spec's "the request is ignored" is not what sites do)."""
    key = jira.create_issue(fields(labels=["old"]))["key"]
    for edit in (lambda: jira.update_issue_field(key, {"duedate": "2026-12-01"}, notify_users=False),
                 lambda: jira.edit_issue(key, {"labels": [{"add": "new"}]}, notify_users=False)):
        with pytest.raises(HTTPError) as caught:
            edit()
        assert caught.value.response.status_code == 403
        assert error_body(caught) == {"errorMessages": [
            "To discard the user notification either admin or project admin permissions are required."], "errors": {}}
    got = jira.get_issue(key, fields="labels,duedate")["fields"]
    assert got == {"labels": ["old"], "duedate": None}
    jira.edit_issue(key, {"labels": [{"add": "new"}]})  # notifyUsers=true: any editor may
    assert jira.get_issue_labels(key) == ["new", "old"]


def test_invalid_edits_are_400_and_change_nothing(jira: Jira) -> None:
    key = jira.create_issue(fields())["key"]
    for bad in ({"summary": ""}, {"status": {"name": "Done"}}, {"project": {"key": "OPS"}}):
        with pytest.raises(HTTPError) as caught:
            jira.update_issue_field(key, bad)
        assert caught.value.response.status_code == 400
    with pytest.raises(HTTPError, match="spaces"):
        jira.label_issue(key, ["has space"])
    assert jira.get_issue(key, fields="summary,labels")["fields"] == {"summary": "Add DB failover alert",
                                                                      "labels": []}


# -- search --------------------------------------------------------------------------------------
def test_jql_in_cloud_mode_uses_enhanced_search_with_v3_shapes(jira: Jira, sandbox: RunningSandbox) -> None:
    jira.create_issue(fields("Failover alert", labels=["pm-1"], description="two\nlines"))
    jira.create_issue(fields("Unrelated"))
    sandbox.reset_stats()
    result = jira.jql('project = OPS AND labels = "pm-1"', fields="summary,description,labels")
    assert routes(sandbox) == {"GET /rest/api/3/search/jql": 1}
    assert "total" not in result and result["isLast"] is True and "nextPageToken" not in result
    [issue] = result["issues"]
    assert issue["key"] == "OPS-1" and issue["self"].endswith("/rest/api/3/issue/" + issue["id"])
    assert issue["fields"]["description"]["type"] == "doc"  # v3 answers in ADF, as Jira Cloud does
    assert jira.jql("summary ~ failover AND statusCategory = 'To Do'", fields="status")["issues"][0]["key"] == "OPS-1"


def test_enhanced_search_pages_over_more_than_100_issues_with_tokens(jira: Jira, sandbox: RunningSandbox) -> None:
    created = bulk(jira, 230, labels=["sweep"])
    sandbox.reset_stats()
    tickets = jira.jql_get_list_of_tickets("labels = sweep ORDER BY key ASC", fields="labels")
    assert [t["key"] for t in tickets] == created
    assert routes(sandbox) == {"GET /rest/api/3/search/jql": 5}  # the default page size is 50
    first = jira.enhanced_jql("labels = sweep ORDER BY key ASC", fields="status,labels,duedate", limit=500)
    assert len(first["issues"]) == 100 and first["isLast"] is False
    assert set(first["issues"][0]["fields"]) == {"status", "labels", "duedate"}
    second = jira.enhanced_jql("labels = sweep ORDER BY key ASC", fields="labels", nextPageToken=first["nextPageToken"])
    assert second["issues"][0]["key"] == created[100]
    with pytest.raises(HTTPError) as caught:
        jira.enhanced_jql("labels = other", nextPageToken=first["nextPageToken"])
    assert caught.value.response.status_code == 400
    assert jira.enhanced_jql("labels = sweep", fields=None, limit=2)["issues"][0].keys() == {"id"}
    posted = jira.post("rest/api/3/search/jql", data={"jql": "labels = sweep ORDER BY key DESC", "maxResults": 1,
                                                     "fields": ["labels"]})
    assert [i["key"] for i in posted["issues"]] == [created[-1]] and posted["nextPageToken"]


def test_search_over_5000_issues_stays_fast(jira: Jira) -> None:
    bulk(jira, 5000, labels=["load"])
    jira.create_issue(fields("The needle", labels=["needle"]))  # a write: the next search reloads rows
    started = time.perf_counter()
    found = jira.jql("labels = needle AND statusCategory != Done ORDER BY duedate", fields="summary")
    repeated = jira.jql("project = OPS AND summary ~ needle", fields="summary")
    assert time.perf_counter() - started < 2.0
    assert [i["key"] for i in found["issues"]] == [i["key"] for i in repeated["issues"]] == ["OPS-5001"]


def test_bad_jql_is_a_400_with_jiras_message(jira: Jira) -> None:
    with pytest.raises(HTTPError, match="Error in the JQL Query") as caught:
        jira.jql("project = OPS AND")
    assert caught.value.response.status_code == 400
    assert error_body(caught) == {"errorMessages": [str(caught.value)], "errors": {}}
    with pytest.raises(HTTPError, match="Unbounded JQL queries are not allowed here"):
        jira.jql("order by created")
    with pytest.raises(HTTPError, match="The value 'Closed' does not exist for the field 'status'"):
        jira.jql("status = Closed")


@pytest.mark.parametrize("version", ["2", "3", "latest"])
def test_the_retired_search_answers_410_pointing_to_search_jql(sandbox: RunningSandbox, version: str) -> None:
    """Jira Cloud shut off /rest/api/{2,3,latest}/search (CHANGE-2046); Data Center still has it."""
    legacy = sandbox.jira()
    legacy.cloud = False
    response = legacy.get(f"rest/api/{version}/search", params={"jql": "project = OPS"}, advanced_mode=True)
    assert response.status_code == 410
    assert "/rest/api/3/search/jql" in response.json()["errorMessages"][0]
    assert "CHANGE-2046" in response.headers["Link"]


# -- transitions ---------------------------------------------------------------------------------
def test_transitions_and_set_issue_status_to_done_and_back(jira: Jira) -> None:
    key = jira.create_issue(fields())["key"]
    assert [t["to"] for t in jira.get_issue_transitions(key)] == ["In Progress", "Done"]
    jira.set_issue_status(key, "Done")
    got = jira.get_issue(key, fields="status,resolution,resolutiondate")["fields"]
    assert got["status"]["statusCategory"]["key"] == "done"
    assert got["resolution"]["name"] == "Done" and got["resolutiondate"]
    done = jira.jql("statusCategory = Done AND resolution = Done", fields="status")["issues"]
    assert [i["key"] for i in done] == [key]
    assert "Done" not in [t["to"] for t in jira.get_issue_transitions(key)]
    jira.set_issue_status(key, "to do")
    got = jira.get_issue(key, fields="status,resolution,resolutiondate")["fields"]
    assert (got["status"]["name"], got["resolution"], got["resolutiondate"]) == ("To Do", None, None)


def test_transition_ids_may_be_strings_and_bad_ids_are_400(jira: Jira) -> None:
    key = jira.create_issue(fields())["key"]
    jira.post(f"rest/api/2/issue/{key}/transitions", data={"transition": {"id": "21"}})
    assert jira.get_issue_status(key) == "In Progress"
    for bad in ({"transition": {"id": 99}}, {"transition": {"id": 21}}, {}):
        with pytest.raises(HTTPError) as caught:
            jira.post(f"rest/api/2/issue/{key}/transitions", data=bad)
        assert caught.value.response.status_code == 400
    with pytest.raises(HTTPError, match="Missing 'transition' identifier"):
        jira.set_issue_status(key, "Closed")  # no such target: the library sends id null


# -- remote links --------------------------------------------------------------------------------
def test_remote_link_upsert_by_global_id_keeps_one_link(jira: Jira, sandbox: RunningSandbox) -> None:
    key = jira.create_issue(fields())["key"]
    gid = "appId=sandbox&pageId=98765"
    first = jira.create_or_update_issue_remote_links(key, "http://wiki/1", "PM v1", global_id=gid,
                                                     relationship="Wiki Page")
    response = jira.session.post(f"{sandbox.url}/rest/api/2/issue/{key}/remotelink",
                                 json={"globalId": gid, "object": {"url": "http://wiki/2", "title": "PM v2"}})
    assert response.status_code == 200 and response.json()["id"] == first["id"]
    links = jira.get_issue_remote_links(key)
    assert len(links) == 1
    assert links[0]["object"] == {"url": "http://wiki/2", "title": "PM v2"} and "relationship" not in links[0]
    assert jira.get_issue_remote_links(key, global_id=gid)["id"] == first["id"]
    assert jira.get_issue_remote_link_by_id(key, first["id"])["globalId"] == gid
    other = jira.create_or_update_issue_remote_links(key, "http://elsewhere", "Other")
    assert other["id"] != first["id"] and len(jira.get_issue_remote_links(key)) == 2


def test_remote_link_validation_lookup_and_delete(jira: Jira, sandbox: RunningSandbox) -> None:
    key = jira.create_issue(fields())["key"]
    with pytest.raises(HTTPError) as caught:
        jira.post(f"rest/api/2/issue/{key}/remotelink", data={"object": {"url": "http://x"}})
    assert error_body(caught)["errors"] == {"title": "Title is required."}
    with pytest.raises(HTTPError):
        jira.create_or_update_issue_remote_links(key, "http://x", "t", global_id="g" * 256)
    with pytest.raises(HTTPError) as caught:
        jira.get_issue_remote_links(key, global_id="missing")
    assert caught.value.response.status_code == 404
    by_global = jira.create_or_update_issue_remote_links(key, "http://x", "t", global_id="g1")
    by_id = jira.create_or_update_issue_remote_links(key, "http://y", "u")
    assert jira.delete(f"rest/api/2/issue/{key}/remotelink", params={"globalId": "g1"}) is None
    assert [link["id"] for link in jira.get_issue_remote_links(key)] == [by_id["id"]]
    jira.delete_issue_remote_link_by_id(key, by_id["id"])
    assert jira.get_issue_remote_links(key) == []
    with pytest.raises(HTTPError) as caught:
        jira.delete_issue_remote_link_by_id(key, by_global["id"])
    assert caught.value.response.status_code == 404


# -- properties ----------------------------------------------------------------------------------
def test_issue_properties_roundtrip_and_are_not_searchable(jira: Jira, sandbox: RunningSandbox) -> None:
    key = jira.create_issue(fields())["key"]
    url = f"{sandbox.url}/rest/api/2/issue/{key}/properties/wikibot"
    assert jira.session.put(url, data=json.dumps({"pageId": "1"})).status_code == 201
    jira.set_issue_property(key, "wikibot", {"pageId": "98765"})
    assert jira.session.put(url, data=json.dumps([1, 2])).status_code == 200
    jira.set_issue_property(key, "wikibot", {"pageId": "98765"})
    assert jira.get_issue_property(key, "wikibot") == {"key": "wikibot", "value": {"pageId": "98765"}}
    assert [k["key"] for k in jira.get_issue_property_keys(key)["keys"]] == ["wikibot"]
    with pytest.raises(HTTPError, match="does not exist or you do not have permission to view it"):
        jira.jql('issue.property[wikibot].pageId = "98765"')
    with pytest.raises(HTTPError) as caught:
        jira.set_issue_property(key, "big", {"blob": "x" * 33000})
    assert caught.value.response.status_code == 400
    jira.delete_issue_property(key, "wikibot")
    with pytest.raises(HTTPError) as caught:
        jira.get_issue_property(key, "wikibot")
    assert caught.value.response.status_code == 404


# -- comments, users, metadata -------------------------------------------------------------------
def test_comments_are_added_and_listed(jira: Jira) -> None:
    key = jira.create_issue(fields())["key"]
    comment = jira.issue_add_comment(key, "Linked to the post-mortem page.")
    assert comment["body"] == "Linked to the post-mortem page." and comment["author"]["displayName"] == "wikibot"
    jira.issue_add_comment(key, "Second")
    listing = jira.issue_get_comments(key)
    assert (listing["total"], listing["startAt"]) == (2, 0)
    assert [c["body"] for c in listing["comments"]] == ["Linked to the post-mortem page.", "Second"]
    with pytest.raises(HTTPError, match="Comment body can not be empty"):
        jira.issue_add_comment(key, "  ")
    newest = jira.get(f"rest/api/2/issue/{key}/comment", params={"orderBy": "-created"})["comments"]
    assert [c["body"] for c in newest] == ["Second", "Linked to the post-mortem page."]
    with pytest.raises(HTTPError) as caught:  # the spec's enum: created, -created, +created
        jira.get(f"rest/api/2/issue/{key}/comment", params={"orderBy": "updated"})
    assert caught.value.response.status_code == 400


def test_users_are_found_by_account_id_and_query(jira: Jira, sandbox: RunningSandbox) -> None:
    assert jira.myself()["emailAddress"] == sandbox.user
    assert jira.user(account_id=ANA)["displayName"] == "Ana Lima"
    assert [u["accountId"] for u in jira.user_find_by_user_string(query="chen")] == [BOB]
    assert [u["accountId"] for u in jira.user_find_by_user_string(query="ana@")] == [ANA]
    with pytest.raises(HTTPError) as caught:
        jira.user(account_id="557058:nobody")
    assert caught.value.response.status_code == 404
    assert sandbox.jira(user="bob@example.com").myself()["accountId"] == BOB


def test_project_and_reference_data_for_check_config(jira: Jira) -> None:
    project = jira.project("OPS")
    assert (project["id"], project["key"], project["name"]) == ("10000", "OPS", "Operations")
    assert [t["name"] for t in project["issueTypes"]] == ["Task", "Bug"]
    assert [p["key"] for p in jira.get_all_projects()] == ["OPS"]
    assert [p["key"] for p in jira.get("rest/api/2/project")] == ["OPS"]
    assert [t["name"] for t in jira.get_issue_types()] == ["Task", "Bug"]
    assert [(p["id"], p["name"]) for p in jira.get_all_priorities()] == [
        ("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest")]
    assert {s["name"]: s["statusCategory"]["key"] for s in jira.get_all_statuses()} == {
        "To Do": "new", "In Progress": "indeterminate", "Done": "done"}
    assert jira.get_status_id_from_name("Done") == 10002
    assert jira.get_server_info()["deploymentType"] == "Cloud"
    with pytest.raises(HTTPError, match="No project could be found with key 'NOPE'"):
        jira.project("NOPE")


def test_createmeta_lists_the_fields_a_create_may_set_and_a_screen_without_one_refuses_it(
        jira: Jira, sandbox: RunningSandbox, hide_from_jira_screen) -> None:
    meta = jira.get("rest/api/2/issue/createmeta/OPS/issuetypes/10001")
    assert set(meta) == {"maxResults", "startAt", "total", "fields"}  # Cloud's page (v3 spec)
    fields = {f["fieldId"]: f for f in meta["fields"]}
    assert fields["summary"]["required"] and not fields["duedate"]["required"]
    assert [p["name"] for p in fields["priority"]["allowedValues"]] == ["Highest", "High", "Medium", "Low", "Lowest"]
    with pytest.raises(HTTPError) as unknown:
        jira.get("rest/api/2/issue/createmeta/OPS/issuetypes/99")
    assert unknown.value.response.status_code == 404
    hide_from_jira_screen("priority")
    assert "priority" not in {f["fieldId"] for f in
                              jira.get("rest/api/2/issue/createmeta/OPS/issuetypes/10001")["fields"]}
    with pytest.raises(HTTPError) as refused:
        jira.create_issue(fields={"project": {"key": "OPS"}, "summary": "x", "issuetype": {"name": "Task"},
                                  "priority": {"name": "High"}})
    assert refused.value.response.json()["errors"] == {
        "priority": "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown."}


def test_an_edit_setting_a_field_the_screen_lacks_is_refused_whole(jira: Jira, hide_from_jira_screen) -> None:
    key = jira.create_issue(fields={"project": {"key": "OPS"}, "summary": "x", "issuetype": {"name": "Task"},
                                    "priority": {"name": "High"}})["key"]
    hide_from_jira_screen("priority")
    with pytest.raises(HTTPError) as refused:
        jira.update_issue_field(key, {"summary": "y", "priority": {"name": "Low"}})
    assert refused.value.response.status_code == 400
    assert refused.value.response.json() == {"errorMessages": [], "errors": {
        "priority": "Field 'priority' cannot be set. It is not on the appropriate screen, or unknown."}}
    fields = jira.issue(key, fields="summary,priority")["fields"]
    assert (fields["summary"], fields["priority"]["name"]) == ("x", "High")
    jira.update_issue_field(key, {"summary": "y"})
    assert jira.issue(key, fields="summary")["fields"]["summary"] == "y"


# -- auth, routing, browse page ------------------------------------------------------------------
def test_wrong_token_is_unauthorized(sandbox: RunningSandbox) -> None:
    with pytest.raises(HTTPError, match=r"^Unauthorized \(401\)$"):
        sandbox.jira(token="wrong").myself()


def test_stats_group_issue_requests_by_route_template(jira: Jira, sandbox: RunningSandbox) -> None:
    jira.create_issue(fields())
    sandbox.reset_stats()
    jira.get_issue("OPS-1")
    jira.issue_exists("OPS-2")
    assert routes(sandbox) == {"GET /rest/api/2/issue/{id_or_key}": 2}


def test_browse_page_needs_no_auth_and_escapes_everything(jira: Jira, sandbox: RunningSandbox) -> None:
    key = jira.create_issue(fields("<script>alert(1)</script>", labels=["pm"], assignee={"accountId": ANA}))["key"]
    jira.create_or_update_issue_remote_links(key, "javascript:alert(1)", "<b>evil</b>", global_id="x")
    jira.create_or_update_issue_remote_links(key, "https://wiki/pm?a=1&b=2", "Post-mortem", global_id="y")
    page = requests.get(f"{sandbox.url}/browse/{key}", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'href="javascript' not in page.text and "&lt;b&gt;evil&lt;/b&gt;" in page.text
    assert '<a href="https://wiki/pm?a=1&amp;b=2">Post-mortem</a>' in page.text
    assert "Ana Lima" in page.text and "To Do" in page.text
    assert requests.get(f"{sandbox.url}/browse/OPS-99", timeout=5).status_code == 404


def test_auth_header_with_another_seeded_account_sets_the_reporter(sandbox: RunningSandbox) -> None:
    raw = requests.post(f"{sandbox.url}/rest/api/2/issue", json={"fields": fields()}, timeout=5, headers={
        "Authorization": "Basic " + base64.b64encode(f"ana@example.com:{sandbox.token}".encode()).decode()})
    assert raw.status_code == 201
    assert sandbox.jira().get_issue(raw.json()["key"])["fields"]["reporter"]["accountId"] == ANA


def test_the_comment_list_pages_100_by_default_as_jira_cloud(jira: Jira, sandbox: RunningSandbox) -> None:
    """``maxResults`` defaults to 100 (the published v3 OpenAPI); a client reading every comment pages on."""
    created = jira.create_issue(fields())
    key = created["key"]
    with sandbox.store.tx() as conn:  # 101 comments without 101 requests
        for n in range(101):
            jira_store.add_comment(conn, sandbox.store, int(created["id"]), ANA, f"comment {n}", sandbox.store.now())
    first = jira.get(f"rest/api/2/issue/{key}/comment")
    assert (first["total"], first["maxResults"], len(first["comments"])) == (101, 100, 100)
    rest = jira.get(f"rest/api/2/issue/{key}/comment", params={"startAt": 100})
    assert [c["body"] for c in rest["comments"]] == ["comment 100"]


def test_a_description_or_comment_over_32767_characters_is_refused_under_its_field(jira: Jira) -> None:
    too_long = "x" * 32768
    with pytest.raises(HTTPError) as caught:
        jira.create_issue(fields(description=too_long))
    assert error_body(caught)["errors"] == {
        "description": "The entered text is too long. It exceeds the allowed limit of 32,767 characters."}
    key = jira.create_issue(fields(description="x" * 32767))["key"]
    with pytest.raises(HTTPError) as caught:
        jira.update_issue_field(key, {"description": too_long})
    assert list(error_body(caught)["errors"]) == ["description"]
    with pytest.raises(HTTPError) as caught:
        jira.issue_add_comment(key, too_long)
    assert error_body(caught)["errors"] == {
        "comment": "The entered text is too long. It exceeds the allowed limit of 32,767 characters."}
    assert jira.issue_get_comments(key)["total"] == 0
    assert len(jira.get_issue(key, fields="description")["fields"]["description"]) == 32767
