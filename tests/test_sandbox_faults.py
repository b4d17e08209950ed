"""Fault injection, request statistics and authentication, as seen by the real client on Confluence routes."""

from __future__ import annotations

import time

import pytest
import requests
from atlassian import ConfluenceServer

CONTENT = "/wiki/rest/api/content"


@pytest.fixture
def sandbox(v1_sandbox):
    """These tests drive the v1 routes Cloud removed, still served with ``v1_content_routes=True``."""
    return v1_sandbox


@pytest.fixture
def confluence(v1_sandbox):
    return v1_sandbox.confluence_v1()


def page_id(confluence) -> str:
    return confluence.get_page_by_title("INC", "Post-mortems")["results"][0]["id"]


# -- status faults ------------------------------------------------------------------------------
def test_status_fault_answers_count_matching_requests_then_clears_itself(sandbox, confluence):
    sandbox.fault(status=503, count=2, path_prefix=CONTENT)
    for _ in range(2):
        with pytest.raises(requests.HTTPError) as caught:
            confluence.get_page_by_title("INC", "Post-mortems")
        assert caught.value.response.status_code == 503
        assert caught.value.response.json()["message"] == "Injected fault: HTTP 503"
    assert confluence.get_page_by_title("INC", "Post-mortems")["size"] == 1
    assert requests.get(sandbox.url + "/_sandbox/faults", timeout=5).json()["rules"] == []


def test_status_fault_leaves_other_paths_and_methods_alone(sandbox, confluence):
    sandbox.fault(status=500, count=None, path_prefix=CONTENT, method="PUT")
    assert confluence.get_space("INC")["key"] == "INC"
    target = page_id(confluence)
    with pytest.raises(requests.HTTPError) as caught:
        confluence.update_content(target, {"type": "page", "title": "Post-mortems", "version": {"number": 2}})
    assert caught.value.response.status_code == 500
    assert confluence.history(target)["lastUpdated"]["number"] == 1


def test_429_with_retry_after_is_retried_once_by_the_client(sandbox, confluence):
    sandbox.fault(status=429, retry_after=0, count=1, path_prefix=CONTENT)
    sandbox.reset_stats()
    assert confluence.get_page_by_title("INC", "Post-mortems")["size"] == 1
    assert sandbox.stats()["by_route"]["GET /wiki/rest/api/content"] == 2


def test_a_second_429_reaches_the_caller_with_retry_after(sandbox, confluence):
    sandbox.fault(status=429, retry_after=0, count=2, path_prefix=CONTENT)
    with pytest.raises(requests.HTTPError) as caught:
        confluence.get_page_by_title("INC", "Post-mortems")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "0"


# -- transport faults ---------------------------------------------------------------------------
def test_drop_closes_the_connection_unanswered(sandbox, confluence):
    sandbox.fault(drop=True, path_prefix=CONTENT)
    with pytest.raises(requests.ConnectionError):
        confluence.get_page_by_title("INC", "Post-mortems")
    assert confluence.get_page_by_title("INC", "Post-mortems")["size"] == 1


def test_latency_slows_every_product_request_until_cleared(sandbox, confluence):
    sandbox.fault(latency_ms=150)
    began = time.perf_counter()
    confluence.get_space("INC")
    assert time.perf_counter() - began >= 0.15
    sandbox.clear_faults()
    began = time.perf_counter()
    confluence.get_space("INC")
    assert time.perf_counter() - began < 0.15


def test_stall_outlasts_a_short_client_timeout(sandbox):
    impatient = ConfluenceServer(url=sandbox.wiki_url, username=sandbox.user, password=sandbox.token, cloud=True,
                                 timeout=1)  # whole seconds only
    sandbox.fault(stall_ms=1500, path_prefix=CONTENT)
    with pytest.raises(requests.Timeout):
        impatient.get_page_by_title("INC", "Post-mortems")
    assert impatient.get_page_by_title("INC", "Post-mortems")["size"] == 1


def test_probability_with_a_seed_is_reproducible(sandbox, confluence):
    def pattern() -> list[bool]:
        sandbox.fault(status=503, count=None, probability=0.5, seed=7, path_prefix="/wiki/rest/api/space")
        outcomes = []
        for _ in range(16):
            try:
                confluence.get_space("INC")
                outcomes.append(True)
            except requests.HTTPError:
                outcomes.append(False)
        sandbox.clear_faults()
        return outcomes

    first = pattern()
    assert True in first and False in first
    assert pattern() == first


def test_clearing_faults_restores_service(sandbox, confluence):
    sandbox.fault(status=503, count=None)
    with pytest.raises(requests.HTTPError):
        confluence.get_space("INC")
    sandbox.clear_faults()
    assert confluence.get_space("INC")["key"] == "INC"


BAD_SPECS = [
    {"status": 200}, {"status": "503"}, {"colour": "red"}, {"drop": False}, {"status": 503, "drop": True},
    {"status": 503, "probability": 2}, {"stall_ms": 0}, {"latency_ms": -1}, {"status": 503, "count": 0},
]


def test_bad_fault_specs_are_400_and_arm_nothing(sandbox):
    for spec in BAD_SPECS:
        response = requests.post(sandbox.url + "/_sandbox/faults", json=spec, timeout=5)
        assert response.status_code == 400 and response.json()["error"], spec
    assert requests.get(sandbox.url + "/_sandbox/faults", timeout=5).json()["rules"] == []


def test_fault_spec_that_is_not_a_json_object_is_400(sandbox):
    response = requests.post(sandbox.url + "/_sandbox/faults", data="[1]",
                             headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400


# -- statistics ---------------------------------------------------------------------------------
def test_stats_count_requests_by_route_template_and_reset(sandbox, confluence):
    target = page_id(confluence)
    sandbox.reset_stats()
    confluence.get_page_by_id(target)
    confluence.get_page_by_id(target, expand="body.storage")
    confluence.history(target)
    confluence.get_space("INC")
    requests.get(sandbox.wiki_url + "/", timeout=5)  # web UI and control routes are not counted
    sandbox.stats()
    assert sandbox.stats() == {"requests": 4, "by_route": {
        "GET /wiki/rest/api/content/{id}": 2, "GET /wiki/rest/api/content/{id}/history": 1,
        "GET /wiki/rest/api/space/{key}": 1}, "gone": {}}
    sandbox.reset_stats()
    assert sandbox.stats() == {"requests": 0, "by_route": {}, "gone": {}}


def test_faulted_and_unauthenticated_requests_are_counted_too(sandbox):
    sandbox.reset_stats()
    sandbox.fault(status=503, count=1)
    requests.get(sandbox.wiki_url + "/rest/api/space/INC", timeout=5)
    requests.get(sandbox.wiki_url + "/rest/api/space/INC", timeout=5)
    assert sandbox.stats()["by_route"] == {"GET /wiki/rest/api/space/{key}": 2}


# -- authentication -----------------------------------------------------------------------------
BAD_AUTH = {"no auth": None, "wrong token": ("wikibot@example.com", "wrong-token"),
            "unknown user": ("nobody@example.com", "sandbox-token")}


def test_bad_credentials_get_401_with_a_plain_body_on_every_confluence_root(sandbox):
    for path in ("/wiki/rest/api/space/INC", "/rest/api/space/INC", "/wiki/rest/api/search?cql=x"):
        for case, auth in BAD_AUTH.items():
            response = requests.get(sandbox.url + path, auth=auth, timeout=5)
            assert response.status_code == 401, (path, case)
            assert response.headers["Content-Type"].startswith("text/plain"), (path, case)
            assert response.text == "Client must be authenticated to access this resource.", (path, case)


def test_the_client_raises_on_bad_credentials(sandbox):
    for client in (sandbox.confluence_v1(token="wrong-token"), sandbox.confluence_v1(user="nobody@example.com")):
        with pytest.raises(requests.HTTPError) as caught:
            client.get_space("INC")
        assert caught.value.response.status_code == 401
        assert "Client must be authenticated" in str(caught.value)
