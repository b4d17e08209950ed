"""The Confluence gateway: listing in few requests, optimistic writes."""

from __future__ import annotations

import pytest

from wikibot.atlassian.confluence import VersionConflict, next_url, postmortems_cql


@pytest.fixture
def wiki(services):
    return services.confluence


@pytest.fixture
def parent_id(services):
    return services.creator.parent_id()


def postmortems(services):
    return services.confluence.search_pages(postmortems_cql("INC", "postmortem", services.creator.parent_id()))


def make_pages(confluence, parent_id: str, count: int) -> None:
    for number in range(count):
        page = confluence.create_page("INC", f"PM {number}", f"<h2>Impact</h2><p>{number}</p>", parent_id=parent_id)
        confluence.set_page_label(page["id"], "postmortem")


def test_listing_reads_every_page_with_its_body_in_one_request_per_fifty(services, parent_id, confluence, sandbox):
    make_pages(confluence, parent_id, 120)
    confluence.create_page("INC", "Not a post-mortem", "<p/>", parent_id=parent_id)
    sandbox.reset_stats()
    pages = list(postmortems(services))
    assert len(pages) == 120
    assert sandbox.stats()["by_route"] == {"GET /wiki/rest/api/search": 3}
    page = next(p for p in pages if p.title == "PM 7")
    assert page.body == "<h2>Impact</h2><p>7</p>"
    assert page.version == 1 and page.created is not None and page.modified_by == "wikibot"
    assert page.labels == ("postmortem",)
    assert page.url.startswith(sandbox.wiki_url + "/spaces/INC/pages/")


def test_an_update_carries_the_next_version_and_a_stale_one_conflicts(services, wiki, parent_id, confluence):
    make_pages(confluence, parent_id, 1)
    [page] = postmortems(services)
    updated = wiki.update_body(page, page.body + "<p>more</p>")
    assert updated.version == 2
    with pytest.raises(VersionConflict):
        wiki.update_body(page, "<p>stale write</p>")
    assert wiki.page(page.id).body.endswith("<p>more</p>")


@pytest.mark.parametrize(("links", "expected"), [
    ({"next": "/wiki/rest/api/search?s=1", "base": "https://a.net/wiki", "context": "/wiki"}, "https://a.net/wiki/rest/api/search?s=1"),
    ({"next": "/rest/api/search?s=1", "base": "https://a.net/wiki", "context": "/wiki"}, "https://a.net/wiki/rest/api/search?s=1"),
    ({"next": "/rest/api/search?s=1", "base": "https://dc.net", "context": ""}, "https://dc.net/rest/api/search?s=1"),
    ({"next": "https://a.net/wiki/rest/api/search?s=1"}, "https://a.net/wiki/rest/api/search?s=1"),
])
def test_next_links_resolve_with_or_without_the_context_path(links, expected):
    assert next_url(links, "https://a.net/wiki") == expected
