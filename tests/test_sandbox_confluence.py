"""The emulated Confluence, driven through the real atlassian-python-api client over real HTTP.

Each test names a behaviour wikibot relies on; where the library hides the wire (status codes, error
bodies, ``_links``) the test also looks at the raw response with ``requests``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from atlassian import ConfluenceServer
from atlassian.errors import ApiConflictError, ApiError, ApiNotFoundError, ApiPermissionError, ApiValueError

from service_sandbox import SandboxStore, create_sandbox_app
from service_sandbox import confluence_store as db
from service_sandbox.store import iso

# These test what the search languages find; test_sandbox_search_lag.py tests when they find it.
pytestmark = pytest.mark.instant_search


@pytest.fixture
def sandbox(v1_sandbox):
    """These tests drive the v1 routes Cloud removed, still served with ``v1_content_routes=True``."""
    return v1_sandbox


@pytest.fixture
def confluence(v1_sandbox):
    return v1_sandbox.confluence_v1()


def raw(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    """One authenticated request to the sandbox, for checking what the client library hides."""
    return requests.request(method, sandbox.url + path, auth=(sandbox.user, sandbox.token), timeout=10, **kwargs)


def postmortems(confluence) -> str:
    return confluence.get_page_by_title("INC", "Post-mortems")["results"][0]["id"]


def make_page(confluence, title: str, parent_id: str | None = None, body: str = "<p>text</p>") -> dict:
    return confluence.create_page("INC", title, body, parent_id=parent_id)


def set_dates(sandbox, page_id: str, **dates: datetime) -> requests.Response:
    return requests.post(f"{sandbox.url}/_sandbox/confluence/pages/{page_id}/dates",
                         json={k: v.isoformat() for k, v in dates.items()}, timeout=5)


# -- create and read ----------------------------------------------------------------------------
def test_create_page_under_a_parent_returns_version_1_with_ancestors_and_links(sandbox, confluence):
    parent = postmortems(confluence)
    page = make_page(confluence, "PM-1 Database outage", parent)
    assert page["id"].isdigit() and page["type"] == "page" and page["status"] == "current"
    assert page["version"]["number"] == 1
    assert page["version"]["by"]["accountId"] == "557058:wb00"
    assert page["space"]["key"] == "INC"
    assert [a["title"] for a in page["ancestors"]] == ["Incidents Home", "Post-mortems"]
    assert page["body"]["storage"] == {"value": "<p>text</p>", "representation": "storage",
                                       "embeddedContent": [], "_expandable": {"content": ""}}
    links = page["_links"]
    assert links["base"] == sandbox.wiki_url and links["context"] == "/wiki"
    assert links["webui"] == f"/spaces/INC/pages/{page['id']}/PM-1+Database+outage"
    assert links["self"] == f"{sandbox.wiki_url}/rest/api/content/{page['id']}"
    assert links["tinyui"].startswith("/x/") and links["editui"]


def test_get_page_by_id_expands_what_is_asked_and_lists_the_rest_as_expandable(confluence):
    page = make_page(confluence, "Expand me", postmortems(confluence))
    default = confluence.get_page_by_id(page["id"])
    assert {"history", "space", "version"} <= set(default) and "body" not in default
    assert "body" in default["_expandable"] and "ancestors" in default["_expandable"]
    full = confluence.get_page_by_id(page["id"], expand="body.storage,version,ancestors,space,metadata.labels,"
                                                        "history,children.page")
    assert full["body"]["storage"]["value"] == "<p>text</p>"
    assert full["ancestors"][-1]["title"] == "Post-mortems"
    assert full["metadata"]["labels"]["results"] == []
    assert full["children"]["page"]["results"] == []
    assert not {"body", "version", "ancestors", "space", "history", "metadata", "children"} & set(full["_expandable"])
    only_body = confluence.get_page_by_id(page["id"], expand="body.storage")
    assert "version" not in only_body and "version" in only_body["_expandable"]


def test_get_page_by_title_returns_the_envelope_and_matches_case_insensitively(confluence):
    make_page(confluence, "Mixed Case Title")
    found = confluence.get_page_by_title("INC", "mixed case title", expand="version")
    assert found["size"] == 1 and found["start"] == 0 and found["limit"] == 25
    assert found["results"][0]["title"] == "Mixed Case Title" and found["results"][0]["version"]["number"] == 1
    assert confluence.get_page_by_title("INC", "No such page")["results"] == []
    assert confluence.page_exists("INC", "Mixed Case Title") is True
    assert confluence.page_exists("INC", "No such page") is False


def test_history_has_creator_and_last_update_with_number(confluence):
    page = make_page(confluence, "History")
    history = confluence.history(page["id"])
    assert history["latest"] is True
    assert history["createdBy"]["displayName"] == "wikibot"
    assert history["createdDate"] == page["version"]["when"]
    assert history["lastUpdated"]["number"] == 1
    assert history["lastUpdated"]["by"]["accountId"] == "557058:wb00"


# -- update -------------------------------------------------------------------------------------
def test_update_page_reads_history_then_puts_the_next_version(sandbox, confluence):
    page = make_page(confluence, "To update")
    sandbox.reset_stats()
    updated = confluence.update_page(page["id"], "To update", "<p>new</p>", version_comment="second")
    assert updated["version"]["number"] == 2 and updated["version"]["message"] == "second"
    routes = sandbox.stats()["by_route"]
    assert routes["GET /wiki/rest/api/content/{id}/history"] == 1
    assert routes["PUT /wiki/rest/api/content/{id}"] == 1
    assert confluence.get_page_by_id(page["id"], expand="body.storage")["body"]["storage"]["value"] == "<p>new</p>"
    assert confluence.history(page["id"])["lastUpdated"]["number"] == 2


def test_update_page_with_unchanged_body_and_title_sends_no_put(sandbox, confluence):
    page = make_page(confluence, "Unchanged", body="<p>Same</p>")
    sandbox.reset_stats()
    result = confluence.update_page(page["id"], "Unchanged", "  <P>same</P> ")
    assert result["version"]["number"] == 1
    assert "PUT /wiki/rest/api/content/{id}" not in sandbox.stats()["by_route"]


def test_update_content_with_a_stale_version_is_409_with_confluences_body(confluence):
    page = make_page(confluence, "Optimistic")
    data = {"type": "page", "title": "Optimistic", "version": {"number": 2},
            "body": {"storage": {"value": "<p>v2</p>", "representation": "storage"}}}
    assert confluence.update_content(page["id"], data)["version"]["number"] == 2
    with pytest.raises(requests.HTTPError, match="Version must be incremented on update") as caught:
        confluence.update_content(page["id"], data)
    response = caught.value.response
    assert response.status_code == 409
    body = response.json()
    assert body["statusCode"] == 409
    assert body["message"] == "Version must be incremented on update. Current version is: 2"
    assert set(body["data"]) == {"authorized", "valid", "errors", "successful"}


@pytest.mark.parametrize("missing", ["version", "type", "title"])
def test_update_without_version_type_or_title_is_400(confluence, missing):
    page = make_page(confluence, f"Incomplete {missing}")
    data = {"type": "page", "title": page["title"], "version": {"number": 2}}
    del data[missing]
    with pytest.raises(requests.HTTPError) as caught:
        confluence.update_content(page["id"], data)
    assert caught.value.response.status_code == 400


def test_update_page_can_rename_and_move_but_not_onto_a_taken_title(confluence):
    home = confluence.get_page_by_title("INC", "Incidents Home")["results"][0]["id"]
    page = make_page(confluence, "Before", postmortems(confluence))
    moved = confluence.update_page(page["id"], "After", "<p>x</p>", parent_id=home)
    assert moved["title"] == "After" and [a["title"] for a in moved["ancestors"]] == ["Incidents Home"]
    with pytest.raises(ApiValueError) as caught:
        confluence.update_page(page["id"], "Post-mortems", "<p>x</p>")
    assert "A page with this title already exists" in str(caught.value.reason)


def test_a_page_cannot_move_below_itself(confluence):
    parent = make_page(confluence, "Parent")
    child = make_page(confluence, "Child", parent["id"])
    with pytest.raises(ApiValueError):
        confluence.update_page(parent["id"], "Parent", "<p>y</p>", parent_id=child["id"])


def test_duplicate_title_in_the_space_is_400_with_confluences_message(confluence):
    make_page(confluence, "Only once")
    with pytest.raises(requests.HTTPError) as caught:
        make_page(confluence, "ONLY ONCE")
    assert caught.value.response.status_code == 400
    assert str(caught.value).splitlines()[0] == ("A page with this title already exists: A page already exists "
                                                 "with the title ONLY ONCE in the space with key INC")


def test_bad_bodies_are_400(sandbox):
    for body in (b"not json", b"[1, 2]", b'{"type": "blogpost", "title": "x", "space": {"key": "INC"}}',
                 b'{"type": "page", "title": "x"}', b'{"type": "page", "title": "", "space": {"key": "INC"}}',
                 b'{"type": "page", "title": "x", "space": {"key": "INC"}, "body": {"wiki": {"value": "h1. x"}}}'):
        response = raw(sandbox, "POST", "/wiki/rest/api/content", data=body,
                       headers={"Content-Type": "application/json"})
        assert response.status_code == 400, body
        assert response.json()["statusCode"] == 400


def test_unknown_ids_and_spaces_are_404_with_confluences_body(sandbox, confluence):
    with pytest.raises(ApiError) as caught:
        confluence.get_page_by_id("999999")
    assert caught.value.reason.response.status_code == 404
    body = raw(sandbox, "GET", "/wiki/rest/api/content/999999").json()
    assert body["statusCode"] == 404 and body["message"] == "No content found with id: ContentId{id=999999}"
    assert raw(sandbox, "GET", "/wiki/rest/api/content/not-a-number").status_code == 404
    with pytest.raises(ApiError):
        confluence.get_space("NOPE")
    with pytest.raises(ApiPermissionError) as caught:  # the library's reading of a 404 on create
        confluence.create_page("NOPE", "x", "<p/>")
    assert caught.value.reason.response.status_code == 404


# -- delete -------------------------------------------------------------------------------------
def test_removed_page_is_trashed_hidden_from_reads_and_search_and_its_children_move_up(sandbox, confluence):
    parent = postmortems(confluence)
    page = make_page(confluence, "Doomed", parent)
    child = make_page(confluence, "Orphan", page["id"])
    assert confluence.remove_page(page["id"]) == 204
    with pytest.raises(ApiError):
        confluence.get_page_by_id(page["id"])
    assert confluence.get_page_by_id(page["id"], status="trashed")["status"] == "trashed"
    assert confluence.cql('title = "Doomed"')["totalSize"] == 0
    assert confluence.get_page_by_id(child["id"], expand="ancestors")["ancestors"][-1]["id"] == parent
    make_page(confluence, "Doomed")  # a trashed page's title is free again
    assert raw(sandbox, "DELETE", f"/wiki/rest/api/content/{page['id']}?status=trashed").status_code == 204
    assert raw(sandbox, "GET", f"/wiki/rest/api/content/{page['id']}?status=any").status_code == 404


# -- listings and pagination --------------------------------------------------------------------
def test_child_pages_generator_follows_next_links_past_25(sandbox, confluence):
    parent = make_page(confluence, "Many children")
    ids = [make_page(confluence, f"Child {i:02d}", parent["id"])["id"] for i in range(30)]
    first = raw(sandbox, "GET", f"/wiki/rest/api/content/{parent['id']}/child/page").json()
    assert first["size"] == 25 and first["limit"] == 25
    assert first["_links"]["next"] == f"/wiki/rest/api/content/{parent['id']}/child/page?limit=25&start=25"
    sandbox.reset_stats()
    assert [p["id"] for p in confluence.get_page_child_by_type(parent["id"])] == ids
    assert sandbox.stats()["by_route"]["GET /wiki/rest/api/content/{id}/child/page"] == 2
    assert [p["title"] for p in confluence.get_page_child_by_type(parent["id"], start=28, limit=5)] == \
        ["Child 28", "Child 29"]


def test_get_all_pages_by_label_pages_through_every_result(sandbox, confluence):
    for i in range(12):
        confluence.set_page_label(make_page(confluence, f"Labelled {i}")["id"], "batch")
    sandbox.reset_stats()
    pages = list(confluence.get_all_pages_by_label("batch", limit=5))
    assert sorted(p["title"] for p in pages) == sorted(f"Labelled {i}" for i in range(12))
    assert sandbox.stats()["by_route"]["GET /wiki/rest/api/content"] == 3


def test_space_listing_filters_by_type_and_status(confluence):
    page = make_page(confluence, "Soon trashed")
    confluence.remove_page(page["id"])
    assert [p["title"] for p in confluence.get_all_pages_from_space("INC")] == ["Incidents Home", "Post-mortems"]
    assert list(confluence.get_all_blog_posts_from_space("INC")) == []
    trashed = confluence.get("rest/api/content", params={"spaceKey": "INC", "status": "trashed"})
    assert [p["title"] for p in trashed["results"]] == ["Soon trashed"]


# -- CQL search ---------------------------------------------------------------------------------
def test_cql_on_cloud_pages_by_cursor_only_with_next_relative_to_the_wiki_context(sandbox, confluence):
    parent = make_page(confluence, "Search root")
    for i in range(7):
        make_page(confluence, f"Hit {i}", parent["id"])
    query = f"ancestor = {parent['id']} order by title"
    first = confluence.cql(query, limit=3, expand="content.version")
    assert (first["start"], first["limit"], first["size"], first["totalSize"]) == (0, 3, 3, 7)
    assert first["cqlQuery"] == query and first["_links"]["context"] == "/wiki"
    nxt = first["_links"]["next"]
    assert nxt.startswith("/rest/api/search?") and "cursor=" in nxt and "start=" not in nxt
    assert "limit=3" in nxt and "expand=content.version" in nxt
    result = first["results"][0]
    assert result["entityType"] == "content" and result["title"] == "Hit 0"
    assert result["content"]["version"]["number"] == 1
    assert result["url"] == result["content"]["_links"]["webui"]
    assert result["lastModified"] == result["content"]["version"]["when"]
    assert confluence.cql(query, start=6, limit=3)["results"][0]["title"] == "Hit 0"  # start is not honoured
    titles, page = [], first
    while True:
        titles += [r["title"] for r in page["results"]]
        if "next" not in page["_links"]:
            break
        page = confluence.get(page["_links"]["base"] + page["_links"]["next"], absolute=True)
    assert titles == [f"Hit {i}" for i in range(7)]
    assert raw(sandbox, "GET", "/wiki/rest/api/search", params={"cql": query, "cursor": "x"}).status_code == 400


def test_cql_clamps_limit_by_expansion_and_the_response_says_so(confluence):
    assert confluence.cql("type = page", limit=500, expand="content.body.storage")["limit"] == 50
    assert confluence.cql("type = page", limit=500, expand="content.version")["limit"] == 200
    assert confluence.cql("type = page", limit=500)["limit"] == 500
    assert confluence.cql("type = page", limit=5000)["limit"] == 1000
    assert confluence.cql("type = page")["limit"] == 25


@pytest.mark.parametrize("query", ["limit=ten", "start=x", "start=99999999999"])
def test_paging_parameters_must_be_integers(sandbox, query):
    response = raw(sandbox, "GET", f"/wiki/rest/api/content?spaceKey=INC&{query}")
    assert response.status_code == 400 and "must be an integer" in response.json()["message"]


def test_cql_parse_errors_are_400_and_api_value_error(sandbox, confluence):
    with pytest.raises(ApiValueError) as caught:
        confluence.cql("type = page and")
    response = caught.value.reason.response
    assert response.status_code == 400
    assert response.json()["message"].startswith("Could not parse cql : type = page and")
    assert "at position 15" in response.json()["message"]
    assert raw(sandbox, "GET", "/wiki/rest/api/search").status_code == 400


def test_content_search_returns_content_objects_directly(confluence):
    make_page(confluence, "Direct result")
    found = confluence.get("rest/api/content/search", params={"cql": 'title = "Direct result"',
                                                              "expand": "body.storage"})
    assert found["size"] == 1 and found["results"][0]["body"]["storage"]["value"] == "<p>text</p>"


@pytest.fixture
def tree(sandbox, confluence):
    """A small tree with labels and known dates, for the CQL filter cases."""
    root = make_page(confluence, "Root")["id"]
    a = make_page(confluence, "Alpha incident", root)["id"]
    b = make_page(confluence, "Beta Outage", root)["id"]
    c = make_page(confluence, "Gamma outage", a)["id"]
    confluence.set_page_label(a, "sev-1")
    confluence.set_page_label(b, "sev-2")
    confluence.set_page_label(c, "sev-2")
    confluence.add_comment(a, "<p>a comment</p>")
    for page_id, day in ((a, 1), (b, 10), (c, 20)):
        moment = datetime(2024, 7, day, 12, 0, tzinfo=UTC)
        set_dates(sandbox, page_id, created=moment, modified=moment + timedelta(hours=1)).raise_for_status()
    return {"root": root, "a": a, "b": b, "c": c}


@pytest.mark.parametrize("query, expected", [
    ("ancestor = {root}", ["a", "b", "c"]),
    ("parent = {root}", ["a", "b"]),
    ("parent = {a}", ["c"]),
    ("label = sev-2", ["b", "c"]),
    ("label in (sev-1, SEV-2) and label != sev-1", ["b", "c"]),
    ('title ~ "OUTAGE" and ancestor = {root}', ["b", "c"]),
    ('title = "beta outage"', ["b"]),
    ("title !~ outage and ancestor = {root}", ["a"]),
    ("id in ({a}, {c})", ["a", "c"]),
    ("ancestor = {root} and not label = sev-1", ["b", "c"]),
    ("(label = sev-1 or label = sev-2) and parent = {root}", ["a", "b"]),
    ('created >= "2024-07-10" and ancestor = {root}', ["b", "c"]),
    ('created > "2024-07-10" and ancestor = {root}', ["c"]),
    ('created = "2024-07-10" and ancestor = {root}', ["b"]),
    ('lastmodified <= "2024-07-10 13:00" and ancestor = {root}', ["a", "b"]),
    ('lastmodified < "2024-07-10 13:00" and ancestor = {root}', ["a"]),
    ('lastmodified < now("-30d") and ancestor = {root}', ["a", "b", "c"]),
    ("ancestor = {root} and space.key = inc and type = page", ["a", "b", "c"]),
    ("ancestor = {root} and space != INC", []),
])
def test_cql_filters(confluence, tree, query, expected):
    results = confluence.cql(query.format(**tree))["results"]
    assert sorted(r["content"]["id"] for r in results) == sorted(tree[k] for k in expected)


@pytest.mark.parametrize("order, expected", [
    ("order by title desc", ["c", "b", "a"]),
    ("order by created", ["a", "b", "c"]),
    ("order by lastmodified desc", ["c", "b", "a"]),
])
def test_cql_orders_results(confluence, tree, order, expected):
    results = confluence.cql(f"ancestor = {tree['root']} {order}")["results"]
    assert [r["content"]["id"] for r in results] == [tree[k] for k in expected]


def test_cql_finds_comments_by_type(confluence, tree):
    results = confluence.cql("type = comment")["results"]
    assert [r["content"]["title"] for r in results] == ["Re: Alpha incident"]


def test_search_over_2000_large_pages_stays_fast(sandbox, confluence):
    store, body = sandbox.store, "<p>" + "lorem ipsum " * 1700 + "</p>"  # ~20 KB
    with store.tx() as conn:
        parent = db.create_page(conn, store, space_key="INC", title="Bulk", body="", parent_id=None,
                                account="557058:aa11", at=store.now())
        for i in range(2000):
            page_id = db.create_page(conn, store, space_key="INC", title=f"Bulk page {i:04d}", body=body,
                                     parent_id=str(parent), account="557058:aa11", at=store.now())
            if i % 10 == 0:
                db.add_labels(conn, page_id, ["tenth"])
    began = time.perf_counter()
    found = confluence.cql(f"ancestor = {parent} and label = tenth order by title desc", limit=50,
                           expand="content.body.storage")
    elapsed = time.perf_counter() - began
    assert found["totalSize"] == 200 and found["size"] == 50
    assert found["results"][0]["title"] == "Bulk page 1990"
    assert elapsed < 1.0, f"search took {elapsed:.2f}s"


# -- labels, comments, properties ---------------------------------------------------------------
def test_labels_are_added_lowercased_listed_and_removed(sandbox, confluence):
    page = make_page(confluence, "Labels")
    listed = confluence.set_page_label(page["id"], "Post-Mortem")
    assert [label["name"] for label in listed["results"]] == ["post-mortem"]
    assert listed["results"][0] == {"prefix": "global", "name": "post-mortem", "id": listed["results"][0]["id"],
                                    "label": "post-mortem"}
    response = raw(sandbox, "POST", f"/wiki/rest/api/content/{page['id']}/label",
                   json=[{"prefix": "global", "name": "a"}, {"name": "b"}])
    assert [label["name"] for label in response.json()["results"]] == ["a", "b", "post-mortem"]
    assert confluence.get_page_labels(page["id"])["size"] == 3
    assert confluence.remove_page_label(page["id"], "a") is None
    assert raw(sandbox, "DELETE", f"/wiki/rest/api/content/{page['id']}/label/b").status_code == 204
    assert [label["name"] for label in confluence.get_page_labels(page["id"])["results"]] == ["post-mortem"]
    with pytest.raises(ApiError):
        confluence.remove_page_label(page["id"], "never-there")


@pytest.mark.parametrize("name", ["two words", "post.mortem", "it's", "back`tick", "a:b", "x" * 256])
def test_label_names_confluence_refuses_are_400(confluence, name):
    page = make_page(confluence, "Bad label")
    with pytest.raises(requests.HTTPError) as caught:
        confluence.set_page_label(page["id"], name)
    assert caught.value.response.status_code == 400


def test_create_with_metadata_sets_labels_and_content_properties(confluence):
    data = {"type": "page", "title": "With metadata", "space": {"key": "INC"},
            "ancestors": [{"id": postmortems(confluence)}],
            "body": {"storage": {"value": "<p/>", "representation": "storage"}},
            "metadata": {"labels": [{"prefix": "global", "name": "PM-7"}],
                         "properties": {"wikibot": {"value": {"incident_id": "INC-7"}}}}}
    page = confluence.post("rest/api/content", data=data)
    assert [x["name"] for x in confluence.get_page_labels(page["id"])["results"]] == ["pm-7"]
    assert confluence.get_page_property(page["id"], "wikibot")["value"] == {"incident_id": "INC-7"}
    found = confluence.get_page_by_title("INC", "With metadata", expand="metadata.labels")
    assert found["results"][0]["metadata"]["labels"]["results"][0]["name"] == "pm-7"


def test_comments_are_added_and_listed_as_children(sandbox, confluence):
    page = make_page(confluence, "Discussed")
    comment = confluence.add_comment(page["id"], "<p>First!</p>")
    assert comment["type"] == "comment" and comment["title"] == "Re: Discussed"
    assert comment["container"]["id"] == page["id"]
    confluence.add_comment(page["id"], "<p>Second</p>")
    comments = list(confluence.get_page_child_by_type(page["id"], type="comment", expand="body.storage"))
    assert [c["body"]["storage"]["value"] for c in comments] == ["<p>First!</p>", "<p>Second</p>"]
    both = raw(sandbox, "GET", f"/wiki/rest/api/content/{page['id']}/child?expand=page,comment").json()
    assert both["comment"]["size"] == 2 and both["page"]["size"] == 0
    with pytest.raises(ApiError):
        confluence.add_comment("999999", "<p>nowhere</p>")


def test_content_properties_have_versions(confluence):
    page = make_page(confluence, "Properties")
    keys = {p["key"]: p["version"]["number"] for p in confluence.get_page_properties(page["id"])}
    assert keys == {"content-appearance-draft": 1, "content-appearance-published": 1}
    created = confluence.set_page_property(page["id"], {"key": "state", "value": {"step": 1}})
    assert created["version"]["number"] == 1 and created["value"] == {"step": 1}
    with pytest.raises(ApiValueError):
        confluence.set_page_property(page["id"], {"key": "state", "value": {"step": 9}})
    updated = confluence.update_page_property(page["id"], {"key": "state", "value": {"step": 2},
                                                           "version": {"number": 2}})
    assert updated["version"]["number"] == 2
    with pytest.raises(ApiConflictError):
        confluence.update_page_property(page["id"], {"key": "state", "value": {}, "version": {"number": 2}})
    assert confluence.get_page_property(page["id"], "state")["value"] == {"step": 2}
    assert len(confluence.get_page_properties(page["id"], limit=1)) == 3
    confluence.delete_page_property(page["id"], "state")
    with pytest.raises(ApiError):
        confluence.get_page_property(page["id"], "state")


# -- spaces, users, auth ------------------------------------------------------------------------
def test_space_and_user_endpoints_answer_check_config(sandbox, confluence):
    space = confluence.get_space("INC", expand="homepage")
    assert (space["key"], space["name"], space["homepage"]["title"]) == ("INC", "Incidents", "Incidents Home")
    assert [s["key"] for s in confluence.get_all_spaces()["results"]] == ["INC"]
    me = confluence.get_current_user()
    assert (me["accountId"], me["displayName"], me["email"]) == ("557058:wb00", "wikibot", "wikibot@example.com")
    assert confluence.get_user_details_by_accountid("557058:aa11")["displayName"] == "Ana Lima"
    with pytest.raises(ApiNotFoundError):
        confluence.get_user_details_by_accountid("557058:nobody")


def test_people_edit_as_themselves(sandbox, confluence):
    page = make_page(confluence, "Edited by Ana")
    ana = sandbox.confluence_v1(user="ana@example.com")
    updated = ana.update_page(page["id"], "Edited by Ana", "<p>Ana was here</p>")
    assert updated["version"]["by"]["displayName"] == "Ana Lima"
    assert updated["history"]["createdBy"]["displayName"] == "wikibot"


def test_wrong_token_is_401_and_changes_nothing(sandbox, confluence):
    page = make_page(confluence, "Guarded")
    intruder = sandbox.confluence_v1(token="wrong-token")
    with pytest.raises(requests.HTTPError) as caught:
        intruder.update_page(page["id"], "Guarded", "<p>defaced</p>", always_update=True)
    assert caught.value.response.status_code == 401
    with pytest.raises(requests.HTTPError):
        intruder.create_page("INC", "Intruder page", "<p/>")
    assert confluence.get_page_by_id(page["id"], expand="body.storage")["body"]["storage"]["value"] == "<p>text</p>"
    assert confluence.page_exists("INC", "Intruder page") is False


def test_dc_style_root_serves_the_same_api_with_its_own_base(sandbox):
    dc = ConfluenceServer(url=sandbox.url, username=sandbox.user, password=sandbox.token, cloud=True, timeout=10)
    parent = postmortems(dc)
    for i in range(3):
        make_page(dc, f"DC page {i}", parent)
    first = dc.cql(f"parent = {parent}", limit=2)
    assert first["_links"]["base"] == sandbox.url and first["_links"]["context"] == ""
    assert first["_links"]["next"].startswith("/rest/api/search?")
    assert len(dc.cql_all(f"parent = {parent}", limit=2)) == 3
    assert sandbox.stats()["by_route"]["GET /rest/api/search"] >= 3


# -- test control -------------------------------------------------------------------------------
def test_dates_control_sets_created_and_modified(sandbox, confluence):
    page = make_page(confluence, "Aged")
    created, modified = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    response = set_dates(sandbox, page["id"], created=created, modified=modified)
    assert response.json() == {"id": page["id"], "created": iso(created), "modified": iso(modified)}
    history = confluence.history(page["id"])
    assert (history["createdDate"], history["lastUpdated"]["when"]) == (iso(created), iso(modified))
    assert set_dates(sandbox, "999999", created=created).status_code == 404
    bad = requests.post(f"{sandbox.url}/_sandbox/confluence/pages/{page['id']}/dates", json={"created": "soon"},
                        timeout=5)
    assert bad.status_code == 400 and "ISO 8601" in bad.json()["error"]


def test_seeding_is_idempotent_and_examples_can_be_added_later():
    from service_sandbox.examples import EXAMPLE_PAGES

    store = SandboxStore()

    def titles() -> list[str]:
        with store.read() as conn:
            rows, _ = db.list_content(conn, type="page", space_key="INC", title=None, label=None,
                                      statuses=("current",), start=0, limit=100)
        return [row["title"] for row in rows]

    create_sandbox_app(store)
    create_sandbox_app(store)
    assert titles() == ["Incidents Home", "Post-mortems"]
    create_sandbox_app(store, examples=True)
    create_sandbox_app(store, examples=True)
    assert titles() == ["Incidents Home", "Post-mortems", *(e.title for e in EXAMPLE_PAGES)]


def test_examples_are_seeded_under_postmortems_with_labels_and_ages():
    from service_sandbox.examples import EXAMPLE_PAGES
    from tests.conftest import RunningSandbox, _start

    server = _start(examples=True, v1_content_routes=True)
    try:
        _check_examples(RunningSandbox(server).confluence_v1(), EXAMPLE_PAGES)
    finally:
        server.stop()


def _check_examples(confluence, examples) -> None:
    children = list(confluence.get_page_child_by_type(postmortems(confluence), expand="metadata.labels,history"))
    assert [c["title"] for c in children] == [e.title for e in examples]
    for child, example in zip(children, examples, strict=True):
        assert {x["name"] for x in child["metadata"]["labels"]["results"]} == set(example.labels)
    stale = confluence.cql('label = postmortem and lastmodified < now("-7d")')["results"]
    assert {r["title"] for r in stale} == {e.title for e in examples if e.modified_days_ago > 7}


# -- web UI -------------------------------------------------------------------------------------
def test_webui_link_opens_a_readable_page_without_auth(sandbox, confluence):
    body = ('<h2>Summary</h2><p>Paged <ac:link><ri:user ri:account-id="557058:aa11"/></ac:link> at 03:00.</p>'
            '<script>alert(1)</script>')
    page = make_page(confluence, "PM-9 Visible & readable", postmortems(confluence), body=body)
    confluence.set_page_label(page["id"], "postmortem")
    confluence.add_comment(page["id"], "<p>Thanks for the write-up</p>")
    sandbox.reset_stats()
    response = requests.get(page["_links"]["base"] + page["_links"]["webui"], timeout=5)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    html = response.text
    for text in ("PM-9 Visible &amp; readable", "<h2>Summary</h2>", "Ana Lima", "postmortem", "Post-mortems",
                 "Thanks for the write-up", "1 Comment", "/wiki/_static/sandbox.css"):
        assert text in html, text
    assert "<script>alert" not in html
    assert requests.get(f"{sandbox.wiki_url}/spaces/INC/pages/{page['id']}", timeout=5).status_code == 200
    assert requests.get(f"{sandbox.wiki_url}/_static/sandbox.css", timeout=5).status_code == 200
    assert sandbox.stats()["requests"] == 0  # the web UI is not part of the REST API


def test_webui_404s_for_unknown_trashed_or_misplaced_pages(sandbox, confluence):
    page = make_page(confluence, "Gone soon")
    assert requests.get(f"{sandbox.wiki_url}/spaces/OTHER/pages/{page['id']}", timeout=5).status_code == 404
    assert requests.get(f"{sandbox.wiki_url}/spaces/INC/pages/999999/x", timeout=5).status_code == 404
    confluence.remove_page(page["id"])
    assert requests.get(sandbox.wiki_url + page["_links"]["webui"], timeout=5).status_code == 404


def test_index_tiny_links_and_space_links_lead_to_pages(sandbox, confluence):
    page = make_page(confluence, "Nested deep", postmortems(confluence))
    for index in (sandbox.wiki_url + "/", sandbox.url + "/"):
        html = requests.get(index, timeout=5).text
        assert "Incidents" in html and "Nested deep" in html
        assert "--depth: 2" in html
    tiny = requests.get(sandbox.wiki_url + page["_links"]["tinyui"], timeout=5)
    assert tiny.url == sandbox.wiki_url + page["_links"]["webui"] and "Nested deep" in tiny.text
    home = requests.get(f"{sandbox.wiki_url}/spaces/INC", timeout=5)
    assert home.status_code == 200 and "Incidents Home" in home.text
    assert requests.get(f"{sandbox.wiki_url}/x/!!", timeout=5).status_code == 404


def test_dc_style_webui_link_is_served_too(sandbox):
    dc = ConfluenceServer(url=sandbox.url, username=sandbox.user, password=sandbox.token, cloud=True, timeout=10)
    page = make_page(dc, "DC view")
    assert page["_links"]["base"] == sandbox.url
    response = requests.get(page["_links"]["base"] + page["_links"]["webui"], timeout=5)
    assert response.status_code == 200 and "DC view" in response.text


def test_the_id_only_page_link_redirects_to_the_page(sandbox, confluence):
    import requests

    page = confluence.get_page_by_title("INC", "Post-mortems")["results"][0]
    response = requests.get(f"{sandbox.wiki_url}/pages/viewpage.action?pageId={page['id']}", timeout=5)
    assert response.status_code == 200 and "Post-mortems" in response.text
    assert requests.get(f"{sandbox.wiki_url}/pages/viewpage.action?pageId=nope", timeout=5).status_code == 404


def test_tenant_info_gives_one_cloud_id_that_survives_a_restart(tmp_path) -> None:
    """Like ``https://<site>/_edge/tenant_info``: no auth, and the id is kept with the sandbox's data."""
    from service_sandbox import SandboxStore, create_sandbox_app

    path = str(tmp_path / "sandbox.db")
    first = create_sandbox_app(SandboxStore(path)).test_client().get("/_edge/tenant_info").get_json()["cloudId"]
    again = create_sandbox_app(SandboxStore(path)).test_client().get("/_edge/tenant_info").get_json()["cloudId"]
    other = create_sandbox_app(SandboxStore()).test_client().get("/_edge/tenant_info").get_json()["cloudId"]
    assert first == again != other
