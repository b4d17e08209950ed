"""The sandbox's Confluence v1 attachments: multipart upload with the XSRF header, list, download."""

from __future__ import annotations

import pytest
import requests
from requests import HTTPError

HEADERS = {"X-Atlassian-Token": "no-check", "Accept": "application/json"}


@pytest.fixture
def page_id(confluence):
    parent = confluence.get_page_by_title("INC", "Post-mortems")
    parent = parent["results"][0] if "results" in parent else parent
    return confluence.create_page("INC", "Attachments test", "<p>x</p>", parent_id=parent["id"])["id"]


def upload(confluence, page_id, name="graph.png", data=b"\x89PNGdata", headers=HEADERS):
    return confluence.post(f"rest/api/content/{page_id}/child/attachment", data={"comment": "from Slack"},
                           files={"file": (name, data, "image/png")}, headers=headers)


def test_an_uploaded_file_is_listed_with_its_media_type_and_downloads_as_sent(sandbox, confluence, page_id):
    result = upload(confluence, page_id)["results"][0]
    assert result["title"] == "graph.png" and result["metadata"]["mediaType"] == "image/png"
    listed = confluence.get_attachments_from_content(page_id, filename="graph.png")["results"]
    assert [a["id"] for a in listed] == [result["id"]]
    assert confluence.get_attachments_from_content(page_id, filename="other.png")["results"] == []
    data = requests.get(sandbox.wiki_url + result["_links"]["download"], timeout=5).content
    assert data == b"\x89PNGdata"


def test_an_upload_without_the_xsrf_header_is_403(confluence, page_id):
    with pytest.raises(HTTPError) as refused:
        upload(confluence, page_id, headers={"Accept": "application/json"})
    assert refused.value.response.status_code == 403


def test_the_same_filename_twice_is_400(confluence, page_id):
    upload(confluence, page_id)
    with pytest.raises(HTTPError) as refused:
        upload(confluence, page_id)
    assert refused.value.response.status_code == 400


def test_uploads_need_credentials_and_an_existing_page(sandbox, page_id):
    anonymous = requests.post(f"{sandbox.wiki_url}/rest/api/content/{page_id}/child/attachment", headers=HEADERS,
                              files={"file": ("a.txt", b"x")}, timeout=5)
    assert anonymous.status_code == 401
    missing = requests.post(f"{sandbox.wiki_url}/rest/api/content/999999/child/attachment", headers=HEADERS,
                            files={"file": ("a.txt", b"x")}, auth=(sandbox.user, sandbox.token), timeout=5)
    assert missing.status_code == 404
