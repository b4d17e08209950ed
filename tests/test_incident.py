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


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_incident_id_is_required_like_a_blank_title(blank):
    # The form sends an empty field, not a missing one: "letters, digits and . _ : - only" misleads.
    with pytest.raises(InvalidInput) as info:
        parse_incident({"incident_id": blank, "title": " "})
    assert info.value.fields == {"incident_id": "required", "title": "required"}


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
    assert fields_of({"incident_id": "I", "title": "t", "channel_url": url}) == {
        "channel_url": "must be an http(s) URL"}


def test_incident_id_rejects_markup_and_spaces():
    assert "incident_id" in fields_of({"incident_id": "<b>x</b>", "title": "t"})
    assert "incident_id" in fields_of({"incident_id": "INC 1", "title": "t"})


def test_non_string_title_is_a_field_error():
    assert fields_of({"incident_id": "I", "title": ["x"]}) == {"title": "must be a string"}


def test_a_null_required_field_is_required_not_must_be_a_string():
    assert fields_of({"incident_id": None, "title": None, "lead": None}) == {
        "incident_id": "required", "title": "required"}


def test_a_jira_payload_without_key_or_summary_names_the_jira_fields_it_lacks():
    # The sender wrote issue.key and issue.fields.summary; "title" names nothing in what they sent.
    assert fields_of({"issue": {"fields": {}}}) == {"issue.key": "required", "issue.fields.summary": "required"}
    assert fields_of({"issue": {"key": "OPS-1", "fields": {"summary": 5}}}) == {
        "issue.fields.summary": "must be a string"}

def test_body_must_be_an_object():
    assert fields_of(["x"]) == {"body": "must be a JSON object"}


def test_started_at_accepts_a_date_or_datetime_and_is_utc():
    incident = parse_incident({"incident_id": "I", "title": "t", "started_at": "2026-11-20"})
    assert incident.started_at.isoformat() == "2026-11-20T00:00:00+00:00"
    assert parse_incident({"incident_id": "I", "title": "t", "started_at": "2026-11-20T10:00:00"}).started_at.tzinfo


def test_jira_issue_payload_maps_key_summary_priority_and_created():
    incident = parse_incident({"webhookEvent": "jira:issue_updated", "issue": {"key": "OPS-7", "fields": {
        "summary": "Checkout down", "priority": {"name": "Highest"}, "created": "2026-11-20T10:00:00.000+0000",
        "assignee": {"accountId": "557058:aa11"}}}})
    assert (incident.incident_id, incident.title, incident.severity, incident.lead) == (
        "OPS-7", "Checkout down", "SEV-1", "557058:aa11")
    assert incident.incident_date(None).isoformat() == "2026-11-20"


def test_incident_label_is_a_valid_confluence_label():
    assert parse_incident({"incident_id": "INC.42:A_b", "title": "t"}).label == "incident-inc-42-a-b"


@given(st.dictionaries(st.sampled_from(["incident_id", "title", "severity", "lead", "started_at", "summary",
                                        "channel_url", "issue"]),
                       st.one_of(st.none(), st.text(), st.integers(), st.lists(st.text()),
                                 st.dictionaries(st.text(), st.text()))))
def test_arbitrary_payloads_either_validate_or_raise_invalid_input(data):
    try:
        parse_incident(data)
    except InvalidInput as exc:
        assert exc.fields


# -- characters XML forbids (issue #16, 1) -----------------------------------------------------------
def test_forbidden_characters_are_dropped_from_free_text():
    incident = parse_incident({"incident_id": "I", "title": "Disk\ufffe full\ud800", "lead": "Ana\uffff",
                               "summary": "a\u0000b\x01c"})
    assert (incident.title, incident.lead, incident.summary) == ("Disk full", "Ana", "abc")


@pytest.mark.parametrize(("field", "value"), [("incident_id", "INC-1\ufffe"), ("incident_id", "INC\ud8001"),
                                              ("channel_url", "https://chat.example.com/\x01"),
                                              ("channel_url", "https://chat.example.com/\uffff")])
def test_forbidden_characters_in_ids_and_urls_are_refused_naming_the_field(field, value):
    fields = fields_of({"incident_id": "I", "title": "t", field: value})
    assert list(fields) == [field] and "cannot be stored" in fields[field]


def test_a_jira_description_holding_a_nul_becomes_a_clean_summary():
    incident = parse_incident({"issue": {"key": "OPS-1", "fields": {"summary": "x", "description": "a\x00b"}}})
    assert incident.summary == "ab"


# -- exact identity (issue #16, 2) -------------------------------------------------------------------
def test_the_incident_id_is_kept_exactly_only_trimmed():
    assert [parse_incident({"incident_id": i, "title": "t"}).incident_id for i in ("INC_1", "inc.1", " INC:1\n")] \
        == ["INC_1", "inc.1", "INC:1"]


# -- start times (issue #16, 3; issue #20) -----------------------------------------------------------
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                   "1969-12-31T23:00:00Z"])
def test_a_start_time_out_of_range_is_a_field_error_not_an_overflow(value):
    assert fields_of({"incident_id": "I", "title": "t", "started_at": value}) == {
        "started_at": "must be between 1970 and 2999"}


@pytest.mark.parametrize(("value", "shown"), [
    ("2026-12-01T14:05:00+01:00", "2026-12-01 14:05 UTC+01:00"),
    ("2026-12-01 14:05", "2026-12-01 14:05 UTC"),
    ("2026-12-01 9:05:30 -05:30", "2026-12-01 09:05:30 UTC-05:30"),
    ("2026-12-01 14:05 Europe/Paris", "2026-12-01 14:05 Europe/Paris (UTC+01:00)"),
    ("2026-07-01 14:05 Europe/Paris", "2026-07-01 14:05 Europe/Paris (UTC+02:00)"),
    ("2026-12-01T14:05:00.000+0100", "2026-12-01 14:05 UTC+01:00"),  # Jira's "created"
    ("2026-12-01", None),
])
def test_the_start_time_and_its_zone_are_kept(value, shown):
    incident = parse_incident({"incident_id": "I", "title": "t", "started_at": value})
    assert incident.started_text() == shown
    assert incident.incident_date(None).isoformat() == "2026-12-01" or value.startswith("2026-07")


def test_the_incident_date_is_the_day_where_the_incident_started():
    incident = parse_incident({"incident_id": "I", "title": "t", "started_at": "2026-12-01T00:30:00+02:00"})
    assert incident.incident_date(None).isoformat() == "2026-12-01"


@pytest.mark.parametrize("value", ["2026-12-01 14:05 Mars/Olympus", "2026-12-01 14:05 +25:00"])
def test_an_unknown_zone_or_offset_is_a_field_error(value):
    assert "started_at" in fields_of({"incident_id": "I", "title": "t", "started_at": value})


@pytest.mark.parametrize(("written", "severity"), [("SEV-0", "SEV-0"), ("sev2", "SEV-2"), ("P1", "SEV-1"), (5, "SEV-5"),
                                                   (" 3 ", "SEV-3")])
def test_severities_from_sev_0_to_sev_5_are_accepted_however_written(written, severity):
    assert parse_incident({"incident_id": "I", "title": "t", "severity": written}).severity == severity


@pytest.mark.parametrize("written", ["SEV-6", "major", "10"])
def test_other_severities_are_refused_saying_which_are_accepted(written):
    assert fields_of({"incident_id": "I", "title": "t", "severity": written}) == {
        "severity": "use SEV-0 … SEV-5 (or 0 … 5)"}
