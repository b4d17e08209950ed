"""Any Unicode in any field of the webhook or the form gives a 4xx or a page that is well-formed XML.

Issue #16, 1: characters outside XML 1.0's ``Char`` production (NUL, C0 controls, U+FFFE/U+FFFF, lone
surrogates) used to reach the page and make it unreadable.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import WEBHOOK_SECRET
from wikibot.templates import check_well_formed

FIELDS = ["incident_id", "title", "severity", "lead", "started_at", "summary", "channel_url"]
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)  # surrogates included
HOSTILE = st.sampled_from(["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff", "]]>", "<",
                           "&", "\r", "\u0085", "\U0010ffff"])


def post(client, body: dict) -> object:
    return client.post("/hooks/postmortem", data=json.dumps(body), content_type="application/json",
                       headers={"X-Wikibot-Token": WEBHOOK_SECRET})


def page_body(sandbox, page_id: str) -> str:
    return sandbox.confluence().get_page_by_id(page_id, expand="body.storage")["body"]["storage"]["value"]


def assert_well_formed(sandbox, page_id: str) -> None:
    check_well_formed(page_body(sandbox, page_id), f"page {page_id}")


@pytest.mark.parametrize("field", ["title", "lead", "summary"])
@pytest.mark.parametrize("char", ["\x00", "\ufffe", "\uffff", "\ud800", "\x1f"])
def test_forbidden_characters_in_free_text_are_dropped_and_the_page_parses(client, sandbox, field, char):
    body = {"incident_id": "INC-7", "title": "Search outage", field: f"a{char}b"}
    response = post(client, body)
    assert response.status_code == 201, response.json
    assert_well_formed(sandbox, response.json["page_id"])


@pytest.mark.parametrize(("field", "value"), [("channel_url", "https://chat.example.com/c\x01"),
                                              ("incident_id", "INC-7\ufffe")])
def test_forbidden_characters_in_ids_and_urls_are_400_naming_the_field(client, sandbox, field, value):
    response = post(client, {"incident_id": "INC-7", "title": "t", field: value})
    assert response.status_code == 400 and list(response.json["fields"]) == [field]


def test_a_jira_issue_whose_description_holds_a_nul_makes_a_readable_page(client, sandbox):
    response = post(client, {"issue": {"key": "OPS-9", "fields": {"summary": "x", "description": "a\u0000b"}}})
    assert response.status_code == 201
    assert_well_formed(sandbox, response.json["page_id"])


def test_the_form_drops_forbidden_characters_too(client, sandbox):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/postmortems/new").text).group(1)
    response = client.post("/postmortems/new", data={"csrf_token": token, "incident_id": "INC-5",
                                                     "title": "Queue\x00 backlog", "summary": "a\ufffeb"})
    assert response.status_code == 303
    page_id = re.search(r"/pages/(\d+)", response.headers["Location"]).group(1)
    assert_well_formed(sandbox, page_id)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(FIELDS), st.one_of(ANY_TEXT, HOSTILE), min_size=1),
       number=st.integers(1, 10_000))
def test_any_unicode_in_any_field_gives_a_4xx_or_a_page_that_parses(client, sandbox, values, number):
    body = {"incident_id": f"FUZZ-{number}", "title": "Fuzzed", **values}
    response = post(client, body)
    assert response.status_code < 500, response.json
    if response.status_code < 300:
        assert_well_formed(sandbox, response.json["page_id"])
    else:
        assert response.status_code in (400, 409) and response.json["error"]


# -- the incident's start time on the page (issue #20) -----------------------------------------------
def test_the_webhook_keeps_the_start_time_and_zone_and_the_page_shows_it(client, sandbox):
    response = post(client, {"incident_id": "INC-7", "title": "t", "started_at": "2026-12-01T14:05:00+01:00"})
    body = page_body(sandbox, response.json["page_id"])
    assert "<th><p>Incident started</p></th><td><p>2026-12-01 14:05 UTC+01:00</p></td>" in body
    assert '<time datetime="2026-12-01" />' in body


def test_the_form_keeps_the_start_time_with_a_named_zone(client, sandbox):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/postmortems/new").text).group(1)
    response = client.post("/postmortems/new", data={"csrf_token": token, "incident_id": "INC-5", "title": "t",
                                                     "started_at": "2026-12-01 14:05 Europe/Paris"})
    page_id = re.search(r"/pages/(\d+)", response.headers["Location"]).group(1)
    assert "2026-12-01 14:05 Europe/Paris (UTC+01:00)" in page_body(sandbox, page_id)


def test_a_date_alone_shows_no_invented_time(client, sandbox):
    response = post(client, {"incident_id": "INC-7", "title": "t", "started_at": "2026-12-01"})
    assert "Incident started" not in page_body(sandbox, response.json["page_id"])


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01T00:00:00+14:00"])
def test_a_start_time_that_would_overflow_is_400_naming_started_at(client, sandbox, value):
    response = post(client, {"incident_id": "INC-7", "title": "t", "started_at": value})
    assert response.status_code == 400 and "started_at" in response.json["fields"]


def test_a_short_fuzz_run_of_the_webhook_and_form_gives_no_5xx_and_only_well_formed_pages(make_config, sandbox):
    # The same generator bench/fuzz.py runs for thousands of inputs (its --web count).
    from tests.unicode_fuzz import run
    from wikibot.services import Services
    from wikibot.web import create_app

    config = make_config(webhook={"rate_limit_per_minute": 100_000})
    services = Services(config)
    try:
        outcome = run(create_app(config, services).test_client(), sandbox.confluence(), WEBHOOK_SECRET,
                      seed=2026, count=150)
    finally:
        services.close()
    assert outcome.server_errors == 0, outcome.by_status
    assert outcome.malformed == []
    assert outcome.pages_checked > 20 and sum(n for s, n in outcome.by_status.items() if 400 <= s < 500) > 20
