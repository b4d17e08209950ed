"""The sandbox as strict as Confluence Cloud: REST v2 for pages, v1 only for CQL search and label writes,
410 GoneException for the v1 routes Cloud removed, and the same routes behind the API gateway.

Driven through atlassian-python-api's ``ConfluenceV2`` over real HTTP: its helpers where they send
the real request (atlassian-api-notes §8), its generic ``get/post/put/delete`` where they do not, and
raw ``requests`` where the library hides the wire (status codes, headers, error bodies).
"""

from __future__ import annotations

import warnings

import pytest
import requests
from atlassian import ConfluenceV2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RunningSandbox


def client(sandbox: RunningSandbox, url: str) -> ConfluenceV2:
    with warnings.catch_warnings():  # its constructor warns that its v1 methods are deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        return ConfluenceV2(url, username=sandbox.user, password=sandbox.token, timeout=10)


@pytest.fixture
def v2(cloud_sandbox: RunningSandbox) -> ConfluenceV2:
    return client(cloud_sandbox, cloud_sandbox.wiki_url)


def raw(sandbox: RunningSandbox, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, sandbox.url + path, auth=(sandbox.user, sandbox.token), timeout=10, **kwargs)


def space_id(v2: ConfluenceV2) -> str:
    return v2.get_space_by_key("INC")["id"]


def postmortems_id(v2: ConfluenceV2) -> str:
    return v2.get_page_by_title("INC", "Post-mortems")["results"][0]["id"]


def create(sandbox: RunningSandbox, title: str, parent: str | None = None, body: str = "<p>x</p>",
           **extra: object) -> requests.Response:
    sid = raw(sandbox, "GET", "/wiki/api/v2/spaces", params={"keys": "INC"}).json()["results"][0]["id"]
    data = {"spaceId": sid, "status": "current", "title": title,
            "body": {"representation": "storage", "value": body}, **extra}
    if parent:
        data["parentId"] = parent
    return raw(sandbox, "POST", "/wiki/api/v2/pages", json=data)


def update_body(page: dict, value: str, number: int) -> dict:
    return {"id": page["id"], "status": "current", "title": page["title"],
            "body": {"representation": "storage", "value": value}, "version": {"number": number}}


# -- spaces and pages ---------------------------------------------------------------------------
def test_space_by_key_has_a_string_id_and_an_unknown_key_is_an_empty_list(cloud_sandbox, v2) -> None:
    space = v2.get_space_by_key("INC")
    assert isinstance(space["id"], str) and space["key"] == "INC" and space["homepageId"]
    assert raw(cloud_sandbox, "GET", "/wiki/api/v2/spaces", params={"keys": "NOPE"}).json()["results"] == []


def test_create_answers_200_with_the_page_and_a_read_by_id_returns_the_storage_body(cloud_sandbox, v2) -> None:
    response = create(cloud_sandbox, "PM one", postmortems_id(v2), "<h2>Summary</h2>")
    assert response.status_code == 200
    page = response.json()
    assert (page["spaceId"], page["parentId"], page["version"]["number"]) == (space_id(v2), postmortems_id(v2), 1)
    assert page["_links"]["webui"].startswith("/spaces/INC/pages/" + page["id"])
    read = v2.get_page_by_id(page["id"], body_format="storage")
    assert read["body"]["storage"] == {"representation": "storage", "value": "<h2>Summary</h2>"}
    assert raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{page['id']}").json()["body"] == {}


def test_a_page_without_parent_goes_under_the_space_home_page(cloud_sandbox, v2) -> None:
    page = create(cloud_sandbox, "Loose page").json()
    assert page["parentId"] == v2.get_space_by_key("INC")["homepageId"]


def test_a_duplicate_title_is_a_400_in_v2_error_format(cloud_sandbox, v2) -> None:
    create(cloud_sandbox, "Twice", postmortems_id(v2))
    again = create(cloud_sandbox, "Twice", postmortems_id(v2))
    assert again.status_code == 400
    (error,) = again.json()["errors"]
    assert error["code"] == "BAD_REQUEST" and error["title"].startswith("A page with this title already exists")
    assert set(error) == {"status", "code", "title", "detail"}


@pytest.mark.parametrize("body", ["<p>unclosed<p>", "<p>a & b</p>", "<br>", "<p class>x</p>",
                                  "<!-- a -- b -->", "<p>&nosuchentity;</p>"])
def test_a_body_that_is_not_well_formed_storage_is_refused_whole_on_create_update_and_comment(
        cloud_sandbox, v2, body) -> None:
    """Confluence parses storage as XML and refuses the whole body (400 "Error parsing xhtml: ...");
    nothing is written."""
    refused = create(cloud_sandbox, "Malformed", body=body)
    assert refused.status_code == 400 and "Error parsing xhtml" in refused.json()["errors"][0]["title"]
    assert raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params={"title": "Malformed"}).json()["results"] == []
    page = create(cloud_sandbox, "Well formed").json()
    assert raw(cloud_sandbox, "PUT", f"/wiki/api/v2/pages/{page['id']}", json=update_body(page, body, 2)
               ).status_code == 400
    assert raw(cloud_sandbox, "POST", "/wiki/api/v2/footer-comments", json={
        "pageId": page["id"], "body": {"representation": "storage", "value": body}}).status_code == 400
    assert v2.get_page_by_id(page["id"], body_format="storage")["version"]["number"] == 1


def test_data_centers_v1_refuses_a_body_that_is_not_well_formed_with_confluences_wording(dc_sandbox) -> None:
    client = dc_sandbox.confluence()
    page = {"type": "page", "title": "Malformed", "space": {"key": "INC"},
            "body": {"storage": {"value": "<p>unclosed<p>", "representation": "storage"}}}
    refused = requests.post(dc_sandbox.confluence_url + "/rest/api/content", json=page,
                            headers={"Authorization": f"Bearer {dc_sandbox.token}"}, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("com.atlassian.confluence.api.service.exceptions.BadRequestException: "
                                                "Error parsing xhtml: ")
    assert client.get("rest/api/content", params={"spaceKey": "INC", "title": "Malformed"})["results"] == []


def test_html_entities_cdata_and_any_namespace_prefix_are_well_formed_storage(cloud_sandbox) -> None:
    body = ('<p>a&nbsp;&amp;&#160;b</p><ac:structured-macro ac:name="code"><ac:plain-text-body>'
            '<![CDATA[if a & b < c]]></ac:plain-text-body></ac:structured-macro><at:var at:name="x"/>')
    assert create(cloud_sandbox, "Entities", body=body).status_code == 200


def test_a_request_over_5_mb_is_a_413(cloud_sandbox) -> None:
    assert create(cloud_sandbox, "Huge", body="x" * (5 * 1024 * 1024 + 1)).status_code == 413


def test_update_needs_every_field_and_a_stale_version_is_a_409_conflict(cloud_sandbox, v2) -> None:
    page = create(cloud_sandbox, "Edited", postmortems_id(v2)).json()
    path = f"/wiki/api/v2/pages/{page['id']}"
    for missing in ("id", "status", "title", "body", "version"):
        partial = {k: v for k, v in update_body(page, "<p>2</p>", 2).items() if k != missing}
        assert raw(cloud_sandbox, "PUT", path, json=partial).status_code == 400, missing
    stale = raw(cloud_sandbox, "PUT", path, json=update_body(page, "<p>2</p>", 1))
    assert stale.status_code == 409
    assert stale.json()["errors"][0] == {
        "status": 409, "code": "CONFLICT", "detail": None,
        "title": "Version must be incremented when updating a page. Current Version: [1]. Provided version: [1]"}
    assert raw(cloud_sandbox, "GET", path, params={"version": 1}).json()["version"]["number"] == 1
    done = v2.put(f"api/v2/pages/{page['id']}", data=update_body(page, "<p>2</p>", 2))
    assert done["version"]["number"] == 2 and done["body"]["storage"]["value"] == "<p>2</p>"
    old = raw(cloud_sandbox, "GET", path, params={"version": 1, "body-format": "storage"}).json()
    assert (old["version"]["number"], old["body"]["storage"]["value"]) == (1, "<p>x</p>")


def test_the_version_list_is_in_the_order_asked_for_and_refuses_an_unknown_sort(cloud_sandbox, v2) -> None:
    """``sort`` takes the spec's ``VersionSortOrder`` (``modified-date``, ``-modified-date``); the spec
    names no default, so a client that relies on an order sends one."""
    page = create(cloud_sandbox, "Versioned", postmortems_id(v2)).json()
    v2.put(f"api/v2/pages/{page['id']}", data=update_body(page, "<p>2</p>", 2))
    path = f"/wiki/api/v2/pages/{page['id']}/versions"

    def numbers(**params) -> list[int]:
        return [v["number"] for v in raw(cloud_sandbox, "GET", path, params=params).json()["results"]]

    assert numbers(sort="-modified-date") == [2, 1]
    assert numbers(sort="modified-date") == [1, 2]
    assert numbers(sort="modified-date", limit=1) == [1]
    refused = raw(cloud_sandbox, "GET", path, params={"sort": "number"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "INVALID_REQUEST_PARAMETER"


def test_the_exact_title_list_sees_a_page_at_once_and_pages_by_cursor(cloud_sandbox, v2) -> None:
    parent = postmortems_id(v2)
    for n in range(5):
        create(cloud_sandbox, f"Listed {n}", parent)
    found = raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params={"space-id": space_id(v2), "title": "Listed 3"})
    assert [p["title"] for p in found.json()["results"]] == ["Listed 3"]
    assert raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params={"title": "listed 3"}).json()["results"] == []
    first = raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params={"limit": 2, "body-format": "storage"})
    nxt = first.json()["_links"]["next"]
    assert nxt.startswith("/wiki/api/v2/pages?") and "cursor=" in nxt and "body-format=storage" in nxt
    assert first.headers["Link"] == f'<{nxt}>; rel="next"'
    titles = [p["title"] for p in v2.get_pages(body_format="storage", limit=2)]
    assert len(titles) == 7 and len(set(titles)) == 7  # two seeded pages plus five, each once


TITLES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80).filter(str.strip)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TITLES)
def test_any_title_is_found_by_the_exact_title_list_at_once_and_only_that_page(cloud_sandbox, title) -> None:
    made = create(cloud_sandbox, title)
    if made.status_code == 400:  # generated twice (titles are unique regardless of case): not a miss
        assert "already exists" in made.json()["errors"][0]["title"]
        return
    listed = raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params={"title": title}).json()["results"]
    assert [p["title"] for p in listed] == [title]


@pytest.mark.parametrize("params", [{"limit": 251}, {"limit": 0}, {"cursor": "bogus"}, {"body-format": "none"},
                                    {"space-id": "INC"}, {"status": "nope"}, {"status": "draft"}])
def test_bad_list_parameters_are_400s(cloud_sandbox, params) -> None:
    response = raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params=params)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "INVALID_REQUEST_PARAMETER"


def test_a_page_by_id_takes_the_statuses_the_spec_lists_for_it(cloud_sandbox, v2) -> None:
    """``GET /pages/{id}`` takes ``historical`` and ``draft`` (the page list does not): a status the
    page is not in is a 404, an unknown one a 400."""
    page_id = postmortems_id(v2)
    for status in ("historical", "draft"):
        assert raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{page_id}", params={"status": status}).status_code == 404
    assert raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{page_id}", params={"status": "current"}).status_code == 200
    assert raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{page_id}", params={"status": "nope"}).status_code == 400


def test_direct_children_are_typed_and_paged_and_children_lists_pages(cloud_sandbox, v2) -> None:
    parent = postmortems_id(v2)
    ids = [create(cloud_sandbox, f"Child {n}", parent).json()["id"] for n in range(3)]
    first = raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{parent}/direct-children", params={"limit": 2}).json()
    assert [c["id"] for c in first["results"]] == ids[:2] and {c["type"] for c in first["results"]} == {"page"}
    rest = requests.get(cloud_sandbox.url + first["_links"]["next"], auth=(cloud_sandbox.user, cloud_sandbox.token),
                        timeout=10).json()
    assert [c["id"] for c in rest["results"]] == ids[2:] and "next" not in rest["_links"]
    children = raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{parent}/children").json()["results"]
    assert [c["id"] for c in children] == ids and "type" not in children[0]


def test_a_deleted_page_is_trashed_readable_with_status_trashed_and_purged_on_request(cloud_sandbox) -> None:
    page = create(cloud_sandbox, "Short-lived").json()
    path = f"/wiki/api/v2/pages/{page['id']}"
    assert raw(cloud_sandbox, "DELETE", path).status_code == 204
    assert raw(cloud_sandbox, "GET", path).status_code == 404
    assert raw(cloud_sandbox, "GET", path, params={"status": "trashed"}).json()["status"] == "trashed"
    assert raw(cloud_sandbox, "GET", "/wiki/api/v2/pages", params={"title": "Short-lived"}).json()["results"] == []
    assert create(cloud_sandbox, "Short-lived").status_code == 200  # a trashed title is free again
    assert raw(cloud_sandbox, "DELETE", path, params={"purge": "true"}).status_code == 204
    assert raw(cloud_sandbox, "GET", path, params={"status": "trashed"}).status_code == 404


# -- labels, properties, comments ---------------------------------------------------------------
def test_labels_are_read_on_v2_and_written_on_v1(cloud_sandbox, v2) -> None:
    page = create(cloud_sandbox, "Labelled").json()
    assert raw(cloud_sandbox, "POST", f"/wiki/rest/api/content/{page['id']}/label",
               json=[{"prefix": "global", "name": "Post-Mortem"}]).status_code == 200
    assert [x["name"] for x in v2.get_page_labels(page["id"])] == ["post-mortem"]
    labels = f"/wiki/api/v2/pages/{page['id']}/labels"
    assert raw(cloud_sandbox, "GET", labels, params={"prefix": "my"}).json()["results"] == []
    unknown = raw(cloud_sandbox, "GET", labels, params={"prefix": "personal"})  # not in the spec's enum
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["code"] == "INVALID_REQUEST_PARAMETER"
    assert raw(cloud_sandbox, "DELETE", f"/wiki/rest/api/content/{page['id']}/label",
               params={"name": "post-mortem"}).status_code == 204
    included = raw(cloud_sandbox, "GET", f"/wiki/api/v2/pages/{page['id']}", params={"include-labels": "true"})
    assert included.json()["labels"]["results"] == []


def test_content_properties_are_found_by_key_and_updated_by_id_with_a_version(cloud_sandbox, v2) -> None:
    page = create(cloud_sandbox, "Propertied").json()
    base = f"/wiki/api/v2/pages/{page['id']}/properties"
    made = raw(cloud_sandbox, "POST", base, json={"key": "wikibot", "value": {"n": 1}})
    assert made.status_code == 200 and made.json()["version"]["number"] == 1
    assert raw(cloud_sandbox, "POST", base, json={"key": "wikibot", "value": {}}).status_code == 400
    (found,) = raw(cloud_sandbox, "GET", base, params={"key": "wikibot"}).json()["results"]
    prop = f"{base}/{found['id']}"
    stale = raw(cloud_sandbox, "PUT", prop, json={"key": "wikibot", "value": {"n": 2}, "version": {"number": 1}})
    assert stale.status_code == 409 and stale.json()["errors"][0]["code"] == "CONFLICT"
    updated = raw(cloud_sandbox, "PUT", prop, json={"key": "wikibot", "value": {"n": 2}, "version": {"number": 2}})
    assert updated.json()["value"] == {"n": 2}
    assert raw(cloud_sandbox, "PUT", f"{base}/wikibot", json={"key": "wikibot", "value": 1,
                                                              "version": {"number": 3}}).status_code == 404
    assert raw(cloud_sandbox, "DELETE", prop).status_code == 204
    assert raw(cloud_sandbox, "GET", base, params={"key": "wikibot"}).json()["results"] == []


def test_a_footer_comment_is_201_with_location_and_listed_on_the_page(cloud_sandbox, v2) -> None:
    page = create(cloud_sandbox, "Commented").json()
    made = raw(cloud_sandbox, "POST", "/wiki/api/v2/footer-comments",
               json={"pageId": page["id"], "body": {"representation": "storage", "value": "<p>Audit</p>"}})
    assert made.status_code == 201
    assert made.headers["Location"].endswith(f"/wiki/api/v2/footer-comments/{made.json()['id']}")
    (listed,) = v2.get_page_footer_comments(page["id"], body_format="storage")
    assert listed["body"]["storage"]["value"] == "<p>Audit</p>" and listed["pageId"] == page["id"]


# -- what Cloud removed, what stays, and the gateway --------------------------------------------
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/wiki/rest/api/content?spaceKey=INC"), ("POST", "/wiki/rest/api/content"),
    ("GET", "/wiki/rest/api/content/{id}"), ("PUT", "/wiki/rest/api/content/{id}"),
    ("GET", "/wiki/rest/api/content/{id}/child/page"), ("GET", "/wiki/rest/api/content/{id}/property"),
    ("GET", "/wiki/rest/api/content/{id}/label"), ("GET", "/wiki/rest/api/space"),
    ("GET", "/wiki/rest/api/space/INC"), ("GET", "/wiki/rest/api/content/{id}/history"),
    ("DELETE", "/wiki/rest/api/content/{id}"),
])
def test_v1_routes_cloud_removed_answer_410_gone(cloud_sandbox, v2, method, path) -> None:
    response = raw(cloud_sandbox, method, path.format(id=postmortems_id(v2)), json={})
    assert response.status_code == 410
    assert "GoneException: This deprecated endpoint has been removed." in response.json()["message"]
    assert response.headers["Deprecation"] and 'CHANGE-864>; rel="deprecation"' in response.headers["Link"]
    assert sum(cloud_sandbox.stats()["gone"].values()) == 1  # the stats tell a client on removed routes


def test_v1_cql_search_and_the_dc_root_are_as_on_cloud(cloud_sandbox) -> None:
    found = raw(cloud_sandbox, "GET", "/wiki/rest/api/search", params={"cql": 'title = "Post-mortems"'})
    assert found.status_code == 200 and found.json()["results"][0]["content"]["title"] == "Post-mortems"
    assert raw(cloud_sandbox, "GET", "/rest/api/content/search", params={"cql": "type = page"}).status_code == 404


def gateway_raw(sandbox: RunningSandbox, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, sandbox.url + path, auth=(sandbox.user, sandbox.scoped_token), timeout=10,
                            **kwargs)


def test_the_gateway_serves_the_same_routes_for_the_sites_cloud_id_only(cloud_sandbox, v2) -> None:
    cloud_id = requests.get(cloud_sandbox.url + "/_edge/tenant_info", timeout=5).json()["cloudId"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        gateway = ConfluenceV2(f"{cloud_sandbox.url}/ex/confluence/{cloud_id}/wiki", username=cloud_sandbox.user,
                               password=cloud_sandbox.scoped_token, timeout=10)
    assert gateway.get_space_by_key("INC")["id"] == space_id(v2)
    page_id = postmortems_id(v2)
    base = f"/ex/confluence/{cloud_id}/wiki"
    assert gateway_raw(cloud_sandbox, "GET", f"{base}/api/v2/pages/{page_id}").status_code == 200
    assert gateway_raw(cloud_sandbox, "GET", f"{base}/rest/api/content/{page_id}").status_code == 410
    assert gateway_raw(cloud_sandbox, "GET", f"{base}/rest/api/search", params={"cql": "type = page"}).ok
    assert gateway_raw(cloud_sandbox, "GET", f"/ex/confluence/not-{cloud_id}/wiki/api/v2/pages/{page_id}"
                       ).status_code == 404
    assert gateway_raw(cloud_sandbox, "GET", f"/ex/jira/{cloud_id}/rest/api/2/issue/OPS-1").status_code == 404
    assert gateway_raw(cloud_sandbox, "GET", f"/ex/jira/{cloud_id}/rest/api/2/project/OPS").status_code == 200
    assert "GET /ex/confluence/{cloudId}/wiki/api/v2/pages/{id}" in cloud_sandbox.stats()["by_route"]


def test_a_scoped_token_works_only_through_the_gateway_and_a_classic_one_only_on_the_site(cloud_sandbox) -> None:
    cloud_id = requests.get(cloud_sandbox.url + "/_edge/tenant_info", timeout=5).json()["cloudId"]
    classic_at_gateway = raw(cloud_sandbox, "GET", f"/ex/confluence/{cloud_id}/wiki/api/v2/spaces")
    assert classic_at_gateway.status_code == 401
    assert classic_at_gateway.json() == {"code": 401, "message": "Unauthorized; scope does not match"}
    scoped_at_site = gateway_raw(cloud_sandbox, "GET", "/wiki/api/v2/spaces")
    assert scoped_at_site.status_code == 401 and scoped_at_site.headers["Content-Type"].startswith("text/plain")


def test_through_the_gateway_v1_content_is_gone_even_when_the_site_still_serves_it() -> None:
    from service_sandbox import SandboxServer, SandboxStore, create_sandbox_app

    with SandboxServer(create_sandbox_app(SandboxStore(), v1_content_routes=True)) as server:
        site = RunningSandbox(server)
        cloud_id = requests.get(site.url + "/_edge/tenant_info", timeout=5).json()["cloudId"]
        page_id = raw(site, "GET", "/wiki/api/v2/pages", params={"title": "Post-mortems"}).json()["results"][0]["id"]
        assert raw(site, "GET", f"/wiki/rest/api/content/{page_id}").status_code == 200
        assert gateway_raw(site, "GET", f"/ex/confluence/{cloud_id}/wiki/rest/api/content/{page_id}").status_code == 410


def test_an_unknown_profile_is_refused() -> None:
    from service_sandbox import SandboxStore, create_sandbox_app

    with pytest.raises(ValueError, match="unknown sandbox profile 'server'"):
        create_sandbox_app(SandboxStore(), profile="server")


def test_wikibot_sandbox_refuses_an_unknown_profile_in_one_line() -> None:
    from service_sandbox.foreground import SandboxStartError, run_sandbox

    with pytest.raises(SandboxStartError, match="^--profile: unknown sandbox profile 'dc'"):
        run_sandbox(host="127.0.0.1", port=0, db=None, user=None, token=None, examples=False, echo=print,
                    profile="dc")
