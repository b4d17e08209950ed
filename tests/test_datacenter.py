"""wikibot on Confluence and Jira Data Center: the sandbox's ``datacenter`` profile plays both servers
behind context paths (``/confluence``, ``/jira``), REST v1 / Jira v2 only, personal access tokens and
usernames; wikibot, given a PAT and no username, does everything it does on Cloud without calling a
v2 or ``/search/jql`` route."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner

from service_sandbox.datacenter import DC_PAT, userkey
from tests.conftest import WEBHOOK_SECRET, write_config_file
from tests.profiles import PROFILES
from tests.search_index import time_passes
from tests.test_sync import ANA, BOB, action_page, row, table
from tests.test_web_forms import csrf_from, form_values
from wikibot.cli import cli
from wikibot.status import ExitStatus
from wikibot.web import create_app


def dc_mention(account: str) -> str:
    return f'<ac:link><ri:user ri:userkey="{userkey(account)}" /></ac:link>'


def make_dc_page(dc_sandbox, body: str, title: str = "PM-2026-11-30 Checkout 502s") -> str:
    """A page as a person makes one on Data Center: v1 create under Post-mortems, then the label."""
    confluence = dc_sandbox.confluence()
    parent = confluence.get("rest/api/content", params={"spaceKey": "INC", "title": "Post-mortems"})["results"][0]
    page = confluence.post("rest/api/content", data={
        "type": "page", "title": title, "space": {"key": "INC"}, "ancestors": [{"id": parent["id"]}],
        "body": {"storage": {"value": body, "representation": "storage"}}})
    confluence.post(f"rest/api/content/{page['id']}/label", data=[{"prefix": "global", "name": "postmortem"}])
    time_passes()  # made before the test's next step: indexed by then
    return str(page["id"])


# -- the sandbox plays Data Center -----------------------------------------------------------------
def test_datacenter_sandbox_serves_v1_only_under_the_context_paths(dc_sandbox):
    pat = {"Authorization": f"Bearer {dc_sandbox.token}"}
    assert requests.get(dc_sandbox.confluence_url + "/api/v2/pages", headers=pat, timeout=5).status_code == 404
    assert requests.get(dc_sandbox.url + "/wiki/rest/api/content", headers=pat, timeout=5).status_code == 404
    assert requests.get(dc_sandbox.jira_url + "/rest/api/3/search/jql", params={"jql": "project = OPS"},
                        headers=pat, timeout=5).status_code == 404
    assert requests.post(dc_sandbox.jira_url + "/rest/api/2/search/approximate-count", json={"jql": "project = OPS"},
                         headers=pat, timeout=5).status_code == 404
    assert requests.get(dc_sandbox.url + "/_edge/tenant_info", timeout=5).status_code == 404  # not Cloud
    found = requests.get(dc_sandbox.jira_url + "/rest/api/2/search", params={"jql": "project = OPS"},
                         headers=pat, timeout=5).json()
    assert {"startAt", "maxResults", "total", "issues"} <= set(found)


def test_datacenter_next_links_keep_the_context_path(dc_sandbox):
    listed = dc_sandbox.confluence().get("rest/api/content", params={"spaceKey": "INC", "limit": 1})
    assert listed["_links"]["next"].startswith("/confluence/rest/api/content?")
    assert listed["_links"]["context"] == "/confluence"


def test_a_pat_works_as_bearer_and_is_refused_as_a_password(dc_sandbox):
    url = dc_sandbox.confluence_url + "/rest/api/user/current"
    assert requests.get(url, headers={"Authorization": f"Bearer {DC_PAT}"}, timeout=5).json()["username"] == "wikibot"
    assert requests.get(url, auth=("wikibot", DC_PAT), timeout=5).status_code == 401
    assert requests.get(url, auth=("ana", dc_sandbox.token), timeout=5).json()["username"] == "ana"


def test_datacenter_jira_takes_users_by_name_and_refuses_an_account_id(dc_sandbox):
    jira = dc_sandbox.jira()
    fields = {"project": {"key": "OPS"}, "summary": "x", "issuetype": {"name": "Task"}}
    created = jira.create_issue(fields={**fields, "assignee": {"name": "bob"}})
    assert jira.issue(created["key"], fields="assignee")["fields"]["assignee"]["name"] == "bob"
    refused = requests.post(dc_sandbox.jira_url + "/rest/api/2/issue", headers={"Authorization": f"Bearer {DC_PAT}"},
                            json={"fields": {**fields, "assignee": {"accountId": BOB}}}, timeout=5)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"assignee": "expected Object containing a 'name' property"}
    assert [u["name"] for u in jira.get("rest/api/2/user/search", params={"username": "chi"})] == ["chidi"]


def test_datacenter_example_pages_mention_people_by_userkey():
    from service_sandbox import SandboxStore, create_sandbox_app

    store = SandboxStore()
    create_sandbox_app(store, profile="datacenter", examples=True)
    with store.read() as conn:
        bodies = [row[0] for row in conn.execute("SELECT body FROM cf_versions")]
    assert any(f'ri:userkey="{userkey(ANA)}"' in body for body in bodies)
    assert not any("ri:account-id" in body for body in bodies)


def test_the_datacenter_web_ui_names_people_mentioned_by_userkey(dc_sandbox):
    page_id = make_dc_page(dc_sandbox, published("Add alert", owner=BOB))
    page = dc_sandbox.confluence().get(f"rest/api/content/{page_id}")
    html = requests.get(page["_links"]["base"] + page["_links"]["webui"], timeout=5).text
    assert "Bob Chen" in html and userkey(BOB) not in html


def test_confluence_finds_a_mentioned_user_by_userkey(dc_sandbox):
    found = dc_sandbox.confluence().get("rest/api/user", params={"key": userkey(ANA)})
    assert found["username"] == "ana" and found["userKey"] == userkey(ANA)


# -- wikibot on Data Center ------------------------------------------------------------------------
def published(*summaries: str, owner: str = ANA) -> str:
    return action_page(table(*(row(s, dc_mention(owner), "2020-01-01", "", "") for s in summaries)),
                       status="Published")


def test_every_feature_runs_on_datacenter_apis_only(make_dc_config, dc_sandbox, chat, tmp_path):
    config = make_dc_config(notify={"share_webhook_url": chat.url},
                            audit={"label_incomplete": True, "comment_findings": True})
    path = write_config_file(config, tmp_path, "dc.yaml")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--config", path, *args])
        assert result.exit_code in (ExitStatus.OK, ExitStatus.FINDINGS), result.output
        return result.stdout

    check = run("check-config")
    assert "mode: datacenter" in check and "auth: bearer" in check and "REST v1" in check
    app = create_app(config)
    client = app.test_client()
    hook = client.post("/hooks/postmortem", json={"incident_id": "INC-1", "title": "Checkout 502s", "lead": "ana"},
                       headers={"X-Wikibot-Token": WEBHOOK_SECRET})
    assert hook.status_code == 201, hook.text
    form = client.post("/postmortems/new", data=form_values(csrf_from(client.get("/postmortems/new").text)))
    assert form.status_code == 303
    assert run("new", "--incident-id", "INC-3", "--title", "Disk full").startswith(dc_sandbox.confluence_url)
    created = dc_sandbox.confluence().get("rest/api/content", params={
        "spaceKey": "INC", "title": hook.json["title"], "expand": "body.storage"})["results"][0]
    assert f'ri:userkey="{userkey(ANA)}"' in created["body"]["storage"]["value"]  # the lead, as DC writes people

    page_id = make_dc_page(dc_sandbox, published("Add alert", "Fix proxy"))
    assert '"created": 2' in run("sync", "--json")
    time_passes()
    issues = dc_sandbox.jira().jql('labels = "post-mortem"', fields="summary,assignee")["issues"]
    assert {i["fields"]["summary"]: i["fields"]["assignee"]["name"] for i in issues} == \
        {"Add alert": "ana", "Fix proxy": "ana"}  # the userkey mention, assigned by username
    body = dc_sandbox.confluence().get(f"rest/api/content/{page_id}", params={"expand": "body.storage"})
    assert all(i["key"] in body["body"]["storage"]["value"] for i in issues)  # keys written back
    assert '"created": 0' in run("sync", "--json")  # never a duplicate
    assert "Add alert" in run("actions")
    run("audit", "--publish")
    run("share", page_id, "--again")
    assert run("install-button").startswith(("created: ", "updated: "))
    assert chat.messages

    routes = dc_sandbox.stats()["by_route"]
    # (auto-detection probes /_edge/tenant_info, which a Data Center server does not answer: 404)
    assert not [r for r in routes if "/api/v2/" in r or "/search/jql" in r
                or ("(404)" in r and "/_edge/tenant_info" not in r)], routes
    assert not [r for r in routes if "/wiki/" in r or r.split(" ")[1].startswith("/rest/")]
    assert dc_sandbox.stats()["gone"] == {}
    assert "GET /jira/rest/api/2/search" in routes
    assert "PUT /confluence/rest/api/content/{id}" in routes


def test_check_config_says_a_pat_was_sent_as_a_password(make_dc_config, dc_sandbox, tmp_path):
    config = make_dc_config(confluence={"username": "wikibot", "token": DC_PAT},
                            jira={"username": "wikibot", "token": DC_PAT})
    result = CliRunner().invoke(cli, ["--config", write_config_file(config, tmp_path), "check-config"])
    assert result.exit_code != 0
    assert "confluence.auth: " in result.output and "set confluence.auth: bearer" in result.output
    assert "jira.auth: " in result.output


def test_check_config_says_an_anonymous_answer_means_the_token_was_not_accepted(make_dc_config, dc_sandbox,
                                                                               tmp_path):
    dc_sandbox.server.app.extensions["sandbox"].anonymous_access = True  # the server lets anyone in
    config = make_dc_config(confluence={"token": "expired-pat"}, jira={"token": "expired-pat"})
    result = CliRunner().invoke(cli, ["--config", write_config_file(config, tmp_path), "check-config"])
    assert "confluence.token: " in result.output and "answered as an anonymous user" in result.output, result.output


def test_check_config_says_basic_auth_is_disabled(make_dc_config, dc_sandbox, tmp_path):
    dc_sandbox.server.app.extensions["sandbox"].basic_auth = False  # as a Data Center admin can
    config = make_dc_config(confluence={"username": "wikibot"}, jira={"username": "wikibot"})
    result = CliRunner().invoke(cli, ["--config", write_config_file(config, tmp_path), "check-config"])
    assert "basic authentication disabled" in result.output, result.output


@pytest.mark.parametrize("sandbox", PROFILES, indirect=True)
def test_check_config_prints_the_deployment_api_and_auth_it_detected(make_config, sandbox, tmp_path):
    result = CliRunner().invoke(cli, ["--config", write_config_file(make_config(), tmp_path), "check-config"])
    assert result.exit_code == 0, result.output
    expected = {"cloud": ["mode: cloud; API: REST v2 (v1 only", "auth: basic (username + token)"],
                "datacenter": ["mode: datacenter; API: REST v1 (/rest/api)", "mode: datacenter; API: REST v2, "
                               "/rest/api/2/search", "auth: bearer (personal access token)"]}[sandbox.profile]
    assert all(line in result.output for line in expected), result.output


def test_auth_auto_is_basic_with_a_username_and_bearer_without():
    from wikibot.atlassian.clients import auth_for

    assert (auth_for("auto", "bot@acme.com"), auth_for("auto", "")) == ("basic", "bearer")
    assert (auth_for("bearer", "jdoe"), auth_for("basic", "jdoe")) == ("bearer", "basic")


def test_basic_auth_without_a_username_is_a_config_error_naming_the_key():
    from wikibot.config import parse_config
    from wikibot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"confluence\.username: .*auth is basic"):
        parse_config({"confluence": {"url": "https://wiki.example.com", "token": "pat", "auth": "basic",
                                     "space": "INC", "parent_page": "P"},
                      "jira": {"url": "https://jira.example.com", "token": "pat", "project": "OPS"},
                      "webhook": {"secret": "x" * 24}}, source="test", environ={})


def test_an_owner_confluence_does_not_know_holds_up_no_other_item(dc_sandbox, make_dc_config):
    from tests.test_sync import sync
    from wikibot.services import Services

    dc = Services(make_dc_config())
    body = action_page(table(row("Add alert", dc_mention(ANA), "", "", ""),
                             row("Fix proxy", '<ac:link><ri:user ri:userkey="' + "0" * 32 + '" /></ac:link>', "", "",
                                 "")))
    make_dc_page(dc_sandbox, body)
    report = sync(dc)
    dc.close()
    assert report.created >= 1  # the unknown userkey is sent as given: Jira refuses that element alone
    time_passes()
    issues = dc_sandbox.jira().jql('labels = "post-mortem"', fields="summary,assignee")["issues"]
    assert {i["fields"]["summary"]: (i["fields"]["assignee"] or {}).get("name") for i in issues}["Add alert"] == "ana"


def test_datacenter_lists_versions_only_under_rest_experimental(dc_sandbox):
    """Data Center's ``/rest/api`` has no version list (only ``/content/{id}/history``): it is the
    experimental ``/rest/experimental/content/{id}/version``, newest first (Atlassian KB "How to
    retrieve all previous versions of content using the REST API")."""
    page_id = make_dc_page(dc_sandbox, "<p>v1</p>", title="Versions on DC")
    confluence = dc_sandbox.confluence()
    page = confluence.get(f"rest/api/content/{page_id}", params={"expand": "version"})
    confluence.put(f"rest/api/content/{page_id}", data={
        "type": "page", "title": page["title"], "version": {"number": 2, "message": "second"},
        "body": {"storage": {"value": "<p>v2</p>", "representation": "storage"}}})
    pat = {"Authorization": f"Bearer {dc_sandbox.token}"}
    gone = requests.get(f"{dc_sandbox.confluence_url}/rest/api/content/{page_id}/version", headers=pat, timeout=5)
    assert gone.status_code == 404 and gone.json()["statusCode"] == 404
    listed = confluence.get(f"rest/experimental/content/{page_id}/version", params={"limit": 1})
    assert [v["number"] for v in listed["results"]] == [2] and listed["results"][0]["message"] == "second"
    assert listed["results"][0]["_links"]["self"].endswith(f"/confluence/rest/experimental/content/{page_id}/version/2")
    assert listed["_links"]["next"].startswith(f"/confluence/rest/experimental/content/{page_id}/version?")
    anonymous = requests.get(f"{dc_sandbox.confluence_url}/rest/experimental/content/{page_id}/version", timeout=5)
    assert anonymous.status_code == 401


def test_datacenter_jira_says_it_is_a_server_deployment(dc_sandbox):
    info = dc_sandbox.jira().get_server_info()
    assert info["deploymentType"] == "Server" and info["versionNumbers"][0] >= 9
    assert info["baseUrl"] == dc_sandbox.jira_url


def test_datacenter_basic_auth_takes_the_username_not_the_email(dc_sandbox):
    """Basic on Data Center is "a username and password" (Atlassian's DC basic-auth guide); the email is
    how Cloud signs in, and a Data Center server does not take it as the username."""
    url = dc_sandbox.confluence_url + "/rest/api/user/current"
    assert requests.get(url, auth=("ana", dc_sandbox.token), timeout=5).json()["username"] == "ana"
    assert requests.get(url, auth=("ana@example.com", dc_sandbox.token), timeout=5).status_code == 401
    jira = dc_sandbox.jira_url + "/rest/api/2/myself"
    assert requests.get(jira, auth=("ana@example.com", dc_sandbox.token), timeout=5).status_code == 401
    assert requests.get(jira, auth=("ana", dc_sandbox.token), timeout=5).json()["name"] == "ana"


def test_a_confluence_url_without_its_context_path_is_named_not_reported_as_a_missing_space(make_dc_config,
                                                                                            dc_sandbox):
    # Nothing Confluence-like answers at <server>/wiki/rest/api on a server whose context path is /confluence:
    # "no space with key 'INC'" sent people to confluence.space.
    from wikibot.errors import ServiceError
    from wikibot.services import Services

    services = Services(make_dc_config(confluence={"url": dc_sandbox.url + "/wiki"}))
    try:
        with pytest.raises(ServiceError) as info:
            services.confluence.space_info()
    finally:
        services.close()
    assert str(info.value) == (f"Confluence: nothing answers as Confluence at {dc_sandbox.url}/wiki/rest/api "
                               "(HTTP 404): check confluence.url and its context path (e.g. "
                               "https://intranet.example.com/confluence)")
    assert info.value.status == 404


def test_data_center_pages_createmeta_under_values(dc_sandbox):
    # Jira 9's paged createmeta, which replaced the old one (removed in 10): sooperset/mcp-atlassian#958.
    meta = dc_sandbox.jira().get("rest/api/2/issue/createmeta/OPS/issuetypes/10001")
    assert meta["isLast"] is True and "fields" not in meta
    assert "priority" in {f["fieldId"] for f in meta["values"]}
