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
