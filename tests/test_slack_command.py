"""Parsing /postmortem: the incident id from the text or the channel name, the title from the text."""

from __future__ import annotations

import pytest

from wikibot.slack.command import parse

PATTERN = r"^(?P<id>inc-\d+)"


@pytest.mark.parametrize(("text", "channel", "expected"), [
    ("", "inc-7301-checkout-errors", ("INC-7301", None)),
    ("Checkout errors", "inc-7301-checkout-errors", ("INC-7301", "Checkout errors")),
    ("inc-42 Disk full", "general", ("INC-42", "Disk full")),
    ("OPS-9", "inc-1", ("OPS-9", None)),
    ("Disk full", "general", (None, "Disk full")),
    ("", "general", (None, None)),
    ("", "not-inc-7301", (None, None)),
])
def test_the_incident_comes_from_the_text_or_the_channel_name(text, channel, expected):
    assert parse(text, channel, PATTERN) == expected


def test_a_custom_pattern_upper_cases_its_id_group():
    assert parse("", "incident_77_db", r"^incident_(?P<id>\d+)") == ("77", None)
