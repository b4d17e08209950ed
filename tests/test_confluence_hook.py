"""``POST /hooks/confluence``: Confluence's page-updated event syncs that page within seconds."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.conftest import WEBHOOK_SECRET
from tests.test_sync import FAST, all_issues, edit_as, keys_on_page, make_page, row, simple_page
from wikibot.web import auth
from wikibot.web.confluence_hook import EXTENSION, HookSyncs, page_id_of

TOKEN = {auth.TOKEN_HEADER: WEBHOOK_SECRET}


@pytest.fixture
def hook_syncs(app, services) -> HookSyncs:
    """The app's background queue, with test-sized retry delays and lease wait."""
    queue = HookSyncs(services, options=replace(FAST, lease_wait=5.0))
    app.extensions[EXTENSION] = queue
    return queue


def post(client, payload, headers=TOKEN, content_type="application/json"):
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.post("/hooks/confluence", data=body, headers=headers, content_type=content_type)


def test_a_page_updated_event_syncs_that_page_in_the_background(client, hook_syncs, services, sandbox, confluence,
                                                                 jira):
    page_id = make_page(services, confluence, simple_page("Add alert"))
    other = make_page(services, confluence, simple_page("Fix proxy"), title="PM other")
    response = post(client, {"eventType": "page_updated", "page": {"id": int(page_id), "title": "PM"}})
    assert response.status_code == 202
    assert response.get_json() == {"accepted": True, "page_id": page_id, "queued": True}
    assert hook_syncs.join(timeout=10)
    assert keys_on_page(confluence, page_id)[0] is not None
    assert keys_on_page(confluence, other) == [None]
    edit_as(sandbox, page_id, lambda body: body.replace("</tbody>", row("Late idea", "", "", "", "") + "</tbody>"))
    assert post(client, {"content": {"id": page_id}}).status_code == 202
    assert hook_syncs.join(timeout=10)
    assert None not in keys_on_page(confluence, page_id) and len(all_issues(jira)) == 2


def test_a_burst_of_events_for_one_page_syncs_it_once_more_not_once_per_event(client, hook_syncs, services,
                                                                                 confluence, jira):
    page_id = make_page(services, confluence, simple_page("Add alert"))
    owner = services.db.leases.acquire(f"sync-page:{page_id}", timedelta(minutes=1))
    answers = [post(client, {"id": page_id}).get_json()["queued"] for _ in range(5)]
    services.db.leases.release(f"sync-page:{page_id}", owner)
    assert hook_syncs.join(timeout=10)
    assert 1 <= answers.count(True) <= 2 and len(all_issues(jira)) == 1


@pytest.mark.parametrize("headers, status", [({}, 401), ({auth.TOKEN_HEADER: "wrong"}, 401)])
def test_unauthenticated_events_are_refused(client, hook_syncs, headers, status):
    response = post(client, {"page": {"id": 1}}, headers=headers)
    assert response.status_code == status and "error" in response.get_json()


def test_a_signed_event_is_accepted(client, hook_syncs, services, confluence):
    page_id = make_page(services, confluence, simple_page("Add alert"))
    body = json.dumps({"page": {"id": page_id}}).encode()
    response = post(client, body, headers={auth.SIGNATURE_HEADER: auth.sign(WEBHOOK_SECRET, body)})
    assert response.status_code == 202
    assert hook_syncs.join(timeout=10)


def test_a_replayed_signed_event_is_409_and_starts_no_second_sync(make_config, config, services, confluence):
    # Issue #16, 8. The second app stands for another replica: the memory of signatures is the database's.
    from wikibot.services import Services
    from wikibot.web import create_app

    page_id = make_page(services, confluence, simple_page("Add alert"))
    body = json.dumps({"page": {"id": page_id}}).encode()
    now = int(time.time())
    signed = {auth.SIGNATURE_HEADER: auth.sign(WEBHOOK_SECRET, body, timestamp=now)}
    replicas = []
    for built in (services, Services(config)):
        app = create_app(config, built)
        app.extensions[EXTENSION] = HookSyncs(built, options=replace(FAST, lease_wait=5.0))
        replicas.append((app, built))
    try:
        assert post(replicas[0][0].test_client(), body, headers=signed).status_code == 202
        again = post(replicas[1][0].test_client(), body, headers=signed)
        assert again.status_code == 409 and "replay" in again.get_json()["error"]
        assert post(replicas[0][0].test_client(), body, headers=signed).status_code == 409
        fresh = {auth.SIGNATURE_HEADER: auth.sign(WEBHOOK_SECRET, body, timestamp=now - 1)}
        assert post(replicas[1][0].test_client(), body, headers=fresh).status_code == 202  # signed afresh: fine
    finally:
        for app, _built in replicas:
            app.extensions[EXTENSION].join(timeout=30)
        replicas[1][1].close()


def test_token_events_are_not_refused_as_replays(client, hook_syncs, services, confluence):
    page_id = make_page(services, confluence, simple_page("Add alert"))
    assert [post(client, {"page": {"id": page_id}}).status_code for _ in range(2)] == [202, 202]
    assert hook_syncs.join(timeout=30)


@pytest.mark.parametrize("body, content_type, status", [
    ("{not json", "application/json", 400),
    (json.dumps({"page": {"title": "no id"}}), "application/json", 400),
    (json.dumps({"page": {"id": "12; DROP"}}), "application/json", 400),
    (json.dumps([1, 2]), "application/json", 400),
    ("page=1", "application/x-www-form-urlencoded", 415),
])
def test_bad_input_is_a_json_4xx(client, hook_syncs, body, content_type, status):
    response = post(client, body, content_type=content_type)
    assert response.status_code == status
    assert set(response.get_json()) == {"error"}


def test_page_ids_are_found_where_confluence_and_automation_rules_put_them():
    assert page_id_of({"page": {"id": 123}}) == "123"
    assert page_id_of({"content": {"id": "456"}}) == "456"
    assert page_id_of({"id": " 789 "}) == "789"
    assert page_id_of({"page": {"id": True}}) is None and page_id_of({"page": {"id": -1}}) is None
