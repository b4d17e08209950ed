"""The Confluence gateway on Cloud: v2 for pages, v1 only for CQL search and labels, few requests, optimistic writes."""

from __future__ import annotations

import pytest
import requests

from tests.test_sync import make_page
from wikibot.atlassian.clients import build_confluence, resolve_endpoint
from wikibot.atlassian.confluence import ConfluenceGateway, TitleTaken, VersionConflict, next_url, postmortems_cql
from wikibot.errors import ServiceError


@pytest.fixture
def wiki(services) -> ConfluenceGateway:
    return services.confluence


@pytest.fixture
def parent_id(services) -> str:
    return services.creator.parent_id()


def postmortems(services):
    return services.confluence.search_pages(postmortems_cql("INC", "postmortem", services.creator.parent_id()))


def make_pages(services, confluence, count: int) -> None:
    for number in range(count):
        make_page(services, confluence, f"<h2>Impact</h2><p>{number}</p>", title=f"PM {number}")


def removed_v1_calls(sandbox) -> list[str]:
    """Requests to Confluence v1 routes other than the CQL search and label writes Cloud still serves."""
    kept = ("GET /wiki/rest/api/search", "POST /wiki/rest/api/content/{id}/label",
            "DELETE /wiki/rest/api/content/{id}/label")
    return [route for route in sandbox.stats()["by_route"] if "/wiki/rest/api/" in route and route not in kept]


def test_listing_reads_every_page_with_its_body_in_one_request_per_fifty(services, confluence, sandbox):
    make_pages(services, confluence, 120)
    make_page(services, confluence, "<p/>", title="Not a post-mortem", labels=())
    sandbox.reset_stats()
    pages = list(postmortems(services))
    assert len(pages) == 120
    assert sandbox.stats()["by_route"] == {"GET /wiki/rest/api/search": 3}
    page = next(p for p in pages if p.title == "PM 7")
    assert page.body == "<h2>Impact</h2><p>7</p>"
    assert page.version == 1 and page.created is not None and page.modified_by == "wikibot"
    assert page.labels == ("postmortem",)
    assert page.url.startswith(sandbox.wiki_url + "/spaces/INC/pages/")


def test_a_page_is_read_by_id_with_body_and_labels_in_one_v2_request(wiki, services, confluence, sandbox):
    page_id = make_page(services, confluence, "<p>one</p>", labels=("postmortem", "sev-1"))
    sandbox.reset_stats()
    page = wiki.page(page_id)
    assert (page.body, page.version, set(page.labels)) == ("<p>one</p>", 1, {"postmortem", "sev-1"})
    assert page.url.startswith(sandbox.wiki_url + "/spaces/INC/pages/" + page_id)
    assert sandbox.stats()["by_route"] == {"GET /wiki/api/v2/pages/{id}": 1}


def test_an_update_carries_the_next_version_and_a_stale_one_conflicts(wiki, services, confluence):
    make_pages(services, confluence, 1)
    [page] = postmortems(services)
    updated = wiki.update_body(page, page.body + "<p>more</p>")
    assert updated.version == 2
    with pytest.raises(VersionConflict):
        wiki.update_body(page, "<p>stale write</p>")
    assert wiki.page(page.id).body.endswith("<p>more</p>")


def test_a_created_page_has_its_labels_and_property_and_a_second_one_with_the_title_is_refused(wiki, parent_id):
    page = wiki.create_page("Fresh", "<p>x</p>", parent_id, labels=["postmortem", "incident-inc-1"],
                            properties={"wikibot": {"incident_id": "INC-1"}})
    assert set(wiki.page(page.id).labels) == {"postmortem", "incident-inc-1"}
    assert wiki.page_property(page.id, "wikibot") == {"incident_id": "INC-1"}
    assert [p.id for p in wiki.pages_titled("Fresh", labels=True)] == [page.id]
    with pytest.raises(TitleTaken):
        wiki.create_page("Fresh", "<p>again</p>", parent_id)


def test_a_content_property_is_found_by_key_and_updated_by_id_with_its_version(wiki, parent_id):
    page = wiki.create_page("With a property", "<p/>", parent_id)
    assert wiki.page_property(page.id, "wikibot") is None
    wiki.set_property(page.id, "wikibot", {"n": 1})
    wiki.set_property(page.id, "wikibot", {"n": 2})
    assert wiki.page_property(page.id, "wikibot") == {"n": 2}


def test_labels_are_added_and_removed_through_v1_and_comments_posted_through_v2(wiki, parent_id, confluence,
                                                                                  sandbox):
    page = wiki.create_page("Labelled", "<p/>", parent_id)
    wiki.add_label(page.id, "postmortem-incomplete")
    assert wiki.labels(page.id) == ("postmortem-incomplete",)
    wiki.remove_label(page.id, "postmortem-incomplete")
    assert wiki.labels(page.id) == ()
    wiki.add_comment(page.id, "<p>a finding</p>")
    comments = confluence.get(f"api/v2/pages/{page.id}/footer-comments", params={"body-format": "storage"})
    assert [c["body"]["storage"]["value"] for c in comments["results"]] == ["<p>a finding</p>"]
    assert removed_v1_calls(sandbox) == []


def test_an_unknown_page_is_a_service_error_with_its_status(wiki):
    with pytest.raises(ServiceError) as info:
        wiki.page("999999")
    assert info.value.status == 404 and isinstance(info.value.__cause__, requests.HTTPError)


def test_a_scoped_token_goes_through_the_gateway_with_the_cloud_id_from_tenant_info(sandbox, services, parent_id):
    endpoint = resolve_endpoint("confluence", sandbox.wiki_url, deployment="auto", token_type="scoped", cloud_id=None)
    cloud_id = requests.get(sandbox.url + "/_edge/tenant_info", timeout=5).json()["cloudId"]
    assert endpoint.deployment == "cloud" and endpoint.cloud_id == cloud_id
    assert endpoint.base_url == f"{sandbox.url}/ex/confluence/{cloud_id}/wiki" and endpoint.via_gateway
    client = build_confluence(endpoint.base_url, sandbox.user, sandbox.scoped_token, timeout=10)
    wiki = ConfluenceGateway(client, space="INC", site_url=endpoint.site_url)
    page = wiki.create_page("Through the gateway", "<p>g</p>", parent_id, labels=["postmortem"])
    assert wiki.page(page.id).labels == ("postmortem",)
    sandbox.catch_up()
    found = list(wiki.search_pages(postmortems_cql("INC", "postmortem", parent_id)))
    assert [p.id for p in found] == [page.id]
    routes = sandbox.stats()["by_route"]
    assert routes.get("POST /ex/confluence/{cloudId}/wiki/api/v2/pages") == 1


@pytest.mark.parametrize(("url", "deployment"), [
    ("https://acme.atlassian.net/wiki", "cloud"), ("https://api.atlassian.com/ex/confluence/abc/wiki", "cloud"),
])
def test_atlassian_hosts_are_cloud_without_a_probe(url, deployment):
    endpoint = resolve_endpoint("confluence", url, deployment="auto", token_type="classic", cloud_id=None)
    assert endpoint.deployment == deployment and endpoint.base_url == url


def test_a_scoped_token_on_an_atlassian_site_uses_api_atlassian_com():
    endpoint = resolve_endpoint("jira", "https://acme.atlassian.net", deployment="cloud", token_type="scoped",
                                cloud_id="c-1")
    assert endpoint.base_url == "https://api.atlassian.com/ex/jira/c-1"
    assert endpoint.site_url == "https://acme.atlassian.net"


def test_a_site_answering_tenant_info_is_cloud_and_datacenter_is_kept_when_configured(sandbox):
    endpoint = resolve_endpoint("confluence", sandbox.url + "/nothing-here", deployment="auto",
                                token_type="classic", cloud_id=None)
    assert endpoint.deployment == "cloud"  # the sandbox answers /_edge/tenant_info on its root
    assert resolve_endpoint("confluence", "http://127.0.0.1:9/wiki", deployment="datacenter", token_type="classic",
                            cloud_id=None).deployment == "datacenter"


@pytest.mark.parametrize(("links", "client", "expected"), [
    ({"next": "/wiki/rest/api/search?s=1", "context": "/wiki"}, "https://a.net/wiki", "https://a.net/wiki/rest/api/search?s=1"),
    ({"next": "/rest/api/search?s=1", "base": "https://a.net/wiki", "context": "/wiki"}, "https://a.net/wiki",
     "https://a.net/wiki/rest/api/search?s=1"),
    ({"next": "/rest/api/search?s=1", "context": ""}, "https://dc.net", "https://dc.net/rest/api/search?s=1"),
    ({"next": "https://a.net/wiki/rest/api/search?s=1"}, "https://a.net/wiki", "https://a.net/wiki/rest/api/search?s=1"),
    ({"next": "/wiki/api/v2/pages?cursor=x", "base": "https://a.net/wiki"}, "https://api.atlassian.com/ex/confluence/c/wiki",
     "https://api.atlassian.com/ex/confluence/c/wiki/api/v2/pages?cursor=x"),
])
def test_next_links_resolve_against_the_client_url_keeping_the_gateway(links, client, expected):
    assert next_url(links, client) == expected


def test_deployment_datacenter_builds_the_v1_client_with_the_auth_chosen(make_config):
    from atlassian import ConfluenceServer

    from wikibot.atlassian.clients import build_clients

    clients = build_clients(make_config(confluence={"deployment": "datacenter"}, jira={"deployment": "datacenter"}))
    assert isinstance(clients.confluence, ConfluenceServer) and not clients.jira.cloud
    assert (clients.confluence_endpoint.deployment, clients.confluence_endpoint.auth) == ("datacenter", "basic")
    assert clients.confluence_endpoint.api.startswith("REST v1")


def test_cloud_without_a_username_is_refused_in_one_line_naming_the_key(make_config):
    from wikibot.atlassian.clients import build_clients
    from wikibot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^confluence\.username: Atlassian Cloud needs"):
        build_clients(make_config(confluence={"username": "", "auth": "auto"}))
