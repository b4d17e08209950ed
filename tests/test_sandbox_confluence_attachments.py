"""The sandbox's Confluence attachments as on Cloud: the v1 multipart upload (with the XSRF header),
which Cloud keeps; listing through v2 (the v1 listing is gone, 410); downloads."""

from __future__ import annotations

import pytest
import requests
from requests import HTTPError

HEADERS = {"X-Atlassian-Token": "no-check", "Accept": "application/json"}


@pytest.fixture
def page_id(confluence):
    """A page under 'Post-mortems', created through v2 (the strict sandbox has no v1 create)."""
    space_id = confluence.get("api/v2/spaces", params={"keys": "INC"})["results"][0]["id"]
    parent = confluence.get("api/v2/pages", params={"space-id": space_id, "title": "Post-mortems"})["results"][0]
    return confluence.post("api/v2/pages", data={
        "spaceId": space_id, "status": "current", "title": "Attachments test", "parentId": parent["id"],
        "body": {"representation": "storage", "value": "<p>x</p>"}})["id"]


def upload(confluence, page_id, name="graph.png", data=b"\x89PNGdata", headers=HEADERS):
    return confluence.post(f"rest/api/content/{page_id}/child/attachment", data={"comment": "from Slack"},
                           files={"file": (name, data, "image/png")}, headers=headers)


def listed(confluence, page_id, **params) -> list[dict]:
    """The page's attachments through v2 (``GET /wiki/api/v2/pages/{id}/attachments``)."""
    return confluence.get(f"api/v2/pages/{page_id}/attachments", params=params)["results"]


def test_an_uploaded_file_is_listed_with_its_media_type_and_downloads_as_sent(sandbox, confluence, page_id):
    result = upload(confluence, page_id)["results"][0]
    assert result["title"] == "graph.png" and result["metadata"]["mediaType"] == "image/png"
    found = listed(confluence, page_id, filename="graph.png")
    assert [a["id"] for a in found] == [result["id"]]
    assert found[0]["title"] == "graph.png" and found[0]["mediaType"] == "image/png"
    assert listed(confluence, page_id, filename="other.png") == []
    data = requests.get(sandbox.wiki_url + result["_links"]["download"], timeout=5).content
    assert data == b"\x89PNGdata"
    assert requests.get(sandbox.wiki_url + found[0]["downloadLink"], timeout=5).content == b"\x89PNGdata"


def test_the_v1_attachment_listing_is_gone_on_cloud(sandbox, confluence, page_id):
    upload(confluence, page_id)
    gone = requests.get(f"{sandbox.wiki_url}/rest/api/content/{page_id}/child/attachment",
                        params={"filename": "graph.png"}, auth=(sandbox.user, sandbox.token), timeout=5)
    assert gone.status_code == 410
    assert "GoneException" in gone.json()["message"]


def test_an_upload_without_the_xsrf_header_is_403(confluence, page_id):
    with pytest.raises(HTTPError) as refused:
        upload(confluence, page_id, headers={"Accept": "application/json"})
    assert refused.value.response.status_code == 403
    assert listed(confluence, page_id) == []


def test_the_same_filename_twice_is_400(confluence, page_id):
    upload(confluence, page_id)
    with pytest.raises(HTTPError) as refused:
        upload(confluence, page_id)
    assert refused.value.response.status_code == 400
    assert len(listed(confluence, page_id)) == 1


def test_uploads_need_credentials_and_an_existing_page(sandbox, page_id):
    anonymous = requests.post(f"{sandbox.wiki_url}/rest/api/content/{page_id}/child/attachment", headers=HEADERS,
                              files={"file": ("a.txt", b"x")}, timeout=5)
    assert anonymous.status_code == 401
    missing = requests.post(f"{sandbox.wiki_url}/rest/api/content/999999/child/attachment", headers=HEADERS,
                            files={"file": ("a.txt", b"x")}, auth=(sandbox.user, sandbox.token), timeout=5)
    assert missing.status_code == 404


def test_the_v2_listing_of_a_missing_page_is_404_and_its_limit_is_bounded(sandbox, page_id):
    def get(path, **params):
        return requests.get(sandbox.wiki_url + path, params=params, auth=(sandbox.user, sandbox.token), timeout=5)

    assert get("/api/v2/pages/999999/attachments").status_code == 404
    assert get(f"/api/v2/pages/{page_id}/attachments", limit=0).status_code == 400
    assert get(f"/api/v2/pages/{page_id}/attachments", limit=251).status_code == 400
    assert get(f"/api/v2/pages/{page_id}/attachments", limit=250).status_code == 200


def test_the_v2_listing_pages_by_cursor_keeping_its_filters(sandbox, confluence, page_id):
    """Like every v2 list: ``limit`` per page, ``_links.next`` (and ``Link``) with a cursor and the
    other parameters, none on the last page."""
    for name in ("a.png", "b.png", "c.png"):
        upload(confluence, page_id, name=name)
    path = f"{sandbox.wiki_url}/api/v2/pages/{page_id}/attachments"
    auth = (sandbox.user, sandbox.token)
    first = requests.get(path, params={"limit": 2, "mediaType": "image/png"}, auth=auth, timeout=5)
    assert [a["title"] for a in first.json()["results"]] == ["a.png", "b.png"]
    link = first.json()["_links"]["next"]
    assert link.startswith(f"/wiki/api/v2/pages/{page_id}/attachments?") and "cursor=" in link
    assert "mediaType=image%2Fpng" in link and first.headers["Link"] == f'<{link}>; rel="next"'
    second = requests.get(sandbox.url + link, auth=auth, timeout=5).json()
    assert [a["title"] for a in second["results"]] == ["c.png"] and "next" not in second["_links"]
    assert [a["title"] for a in confluence.get(f"api/v2/pages/{page_id}/attachments", params={"limit": 1})
            ["results"]] == ["a.png"]
    assert listed(confluence, page_id, status="trashed") == []
    assert len(listed(confluence, page_id, status="current,trashed")) == 3


@pytest.mark.parametrize("params", [{"cursor": "bogus"}, {"status": "draft"}, {"limit": "x"}])
def test_bad_v2_listing_parameters_are_400s(sandbox, page_id, params):
    refused = requests.get(f"{sandbox.wiki_url}/api/v2/pages/{page_id}/attachments", params=params,
                           auth=(sandbox.user, sandbox.token), timeout=5)
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "INVALID_REQUEST_PARAMETER"


def test_cloud_serves_attachments_under_wiki_only(sandbox, confluence, page_id):
    """Confluence Cloud is under ``/wiki``: the server root's ``/rest/api`` and ``/download`` are Data Center's."""
    result = upload(confluence, page_id)["results"][0]
    auth = (sandbox.user, sandbox.token)
    root = requests.post(f"{sandbox.url}/rest/api/content/{page_id}/child/attachment", headers=HEADERS,
                         files={"file": ("a.txt", b"x")}, auth=auth, timeout=5)
    assert root.status_code == 404
    assert requests.get(sandbox.url + result["_links"]["download"], timeout=5).status_code == 404
    assert requests.get(sandbox.wiki_url + result["_links"]["download"], timeout=5).status_code == 200


def test_an_upload_without_a_file_part_is_400_and_a_missing_download_404(sandbox, confluence, page_id):
    with pytest.raises(HTTPError) as refused:
        confluence.post(f"rest/api/content/{page_id}/child/attachment", data={"comment": "no file"},
                        files={"other": ("a.txt", b"x")}, headers=HEADERS)
    assert refused.value.response.status_code == 400
    assert "file" in refused.value.response.json()["message"]
    missing = requests.get(f"{sandbox.wiki_url}/download/attachments/{page_id}/nothing.png", timeout=5)
    assert missing.status_code == 404


def test_datacenter_lists_attachments_on_v1_with_the_context_path_in_every_link(dc_sandbox):
    confluence = dc_sandbox.confluence()
    parent = confluence.get("rest/api/content", params={"spaceKey": "INC", "title": "Post-mortems"})["results"][0]
    page_id = confluence.post("rest/api/content", data={
        "type": "page", "title": "Attachments on DC", "space": {"key": "INC"}, "ancestors": [{"id": parent["id"]}],
        "body": {"storage": {"value": "<p>x</p>", "representation": "storage"}}})["id"]
    uploaded = [upload(confluence, page_id, name=name)["results"][0] for name in ("a.png", "b.png")]
    assert uploaded[0]["_links"]["self"].startswith(dc_sandbox.confluence_url + "/rest/api/content/att")
    listed = confluence.get(f"rest/api/content/{page_id}/child/attachment",
                            params={"limit": 1, "mediaType": "image/png"})
    assert [a["title"] for a in listed["results"]] == ["a.png"]
    assert listed["_links"]["context"] == "/confluence" and listed["_links"]["base"] == dc_sandbox.confluence_url
    assert listed["_links"]["next"].startswith(f"/confluence/rest/api/content/{page_id}/child/attachment?")
    assert "mediaType=image%2Fpng" in listed["_links"]["next"]
    following = confluence.get(dc_sandbox.url + listed["_links"]["next"], absolute=True)
    assert [a["title"] for a in following["results"]] == ["b.png"] and "next" not in following["_links"]
    download = requests.get(dc_sandbox.confluence_url + uploaded[1]["_links"]["download"], timeout=5)
    assert download.content == b"\x89PNGdata"
    bad = requests.get(f"{dc_sandbox.confluence_url}/rest/api/content/{page_id}/child/attachment",
                       params={"start": "x"}, headers={"Authorization": f"Bearer {dc_sandbox.token}"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["statusCode"] == 400
    with pytest.raises(HTTPError) as missing:
        confluence.get("rest/api/content/999999/child/attachment")
    assert missing.value.response.status_code == 404
