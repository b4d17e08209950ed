"""Incident input: one validation for webhook, Jira payloads, the form and the CLI."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wikibot.incident import InvalidInput, parse_incident


def fields_of(data: object) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        parse_incident(data)
    return info.value.fields


def test_minimal_valid_input():
    incident = parse_incident({"incident_id": "INC-42", "title": "Checkout 502s"})
    assert (incident.incident_id, incident.title, incident.severity) == ("INC-42", "Checkout 502s", None)


def test_missing_required_fields_are_reported_per_field():
    assert fields_of({}) == {"incident_id": "required", "title": "required"}


def test_blank_title_is_required_not_accepted():
    assert fields_of({"incident_id": "INC-1", "title": "   "}) == {"title": "required"}


def test_title_newlines_and_control_characters_are_collapsed():
    assert parse_incident({"incident_id": "I", "title": "a\n\tb\x00c"}).title == "a b c"


@pytest.mark.parametrize(("given_severity", "expected"), [("1", "SEV-1"), ("sev2", "SEV-2"), ("SEV-3", "SEV-3"),
                                                          ("P4", "SEV-4"), ("", None), (2, "SEV-2")])
def test_severity_is_normalised(given_severity, expected):
    assert parse_incident({"incident_id": "I", "title": "t", "severity": given_severity}).severity == expected


def test_unknown_severity_is_a_field_error():
    assert "severity" in fields_of({"incident_id": "I", "title": "t", "severity": "critical"})


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x", "http://", "data:text/html,x"])
def test_channel_url_must_be_http(url):
    assert fields_of({"incident_id": "I", "title": "t", "channel_url": url}) == {"channel_url": "must be an http(s) URL"}


def test_incident_id_rejects_markup_and_spaces():
    assert "incident_id" in fields_of({"incident_id": "<b>x</b>", "title": "t"})
    assert "incident_id" in fields_of({"incident_id": "INC 1", "title": "t"})


def test_non_string_title_is_a_field_error():
    assert fields_of({"incident_id": "I", "title": ["x"]}) == {"title": "must be a string"}


def test_body_must_be_an_object():
    assert fields_of(["x"]) == {"body": "must be a JSON object"}


def test_started_at_accepts_a_date_or_datetime_and_is_utc():
    assert parse_incident({"incident_id": "I", "title": "t", "started_at": "2026-11-20"}).started_at.isoformat() == "2026-11-20T00:00:00+00:00"
    assert parse_incident({"incident_id": "I", "title": "t", "started_at": "2026-11-20T10:00:00"}).started_at.tzinfo


def test_jira_issue_payload_maps_key_summary_priority_and_created():
    incident = parse_incident({"webhookEvent": "jira:issue_updated", "issue": {"key": "OPS-7", "fields": {
        "summary": "Checkout down", "priority": {"name": "Highest"}, "created": "2026-11-20T10:00:00.000+0000",
        "assignee": {"accountId": "557058:aa11"}}}})
    assert (incident.incident_id, incident.title, incident.severity, incident.lead) == ("OPS-7", "Checkout down", "SEV-1", "557058:aa11")
    assert incident.incident_date(None).isoformat() == "2026-11-20"


def test_incident_label_is_a_valid_confluence_label():
    assert parse_incident({"incident_id": "INC.42:A_b", "title": "t"}).label == "incident-inc-42-a-b"


@given(st.dictionaries(st.sampled_from(["incident_id", "title", "severity", "lead", "started_at", "summary",
                                        "channel_url", "issue"]),
                       st.one_of(st.none(), st.text(), st.integers(), st.lists(st.text()), st.dictionaries(st.text(), st.text()))))
def test_arbitrary_payloads_either_validate_or_raise_invalid_input(data):
    try:
        parse_incident(data)
    except InvalidInput as exc:
        assert exc.fields
