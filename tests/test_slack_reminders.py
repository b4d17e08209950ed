"""Reminder planning (pure): weekdays, working hours in the person's zone, once a day, only on change."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from wikibot.slack.reminders import (
    Item,
    LastReminder,
    decide,
    digest,
    item_name,
    message,
    parse_hours,
    parse_value,
    should_escalate,
)

HOURS = parse_hours("09:30-17:00")
ITEMS = [Item("OPS-1", "OPS-1 Add alerting (no due date)", "https://jira/browse/OPS-1", "action"),
         Item("page:7:Root Cause", "Root Cause", "https://wiki/7", "section", page_title="PM <x>")]
WEDNESDAY_NOON_LA = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # 12:00 in Los Angeles, 21:00 in Warsaw


def test_a_person_is_reminded_inside_their_own_working_hours_only():
    assert decide(tz="America/Los_Angeles", items=ITEMS, holds=set(), last=None, now=WEDNESDAY_NOON_LA,
                  hours=HOURS).send
    late = decide(tz="Europe/Warsaw", items=ITEMS, holds=set(), last=None, now=WEDNESDAY_NOON_LA, hours=HOURS)
    assert (late.send, late.reason) == (False, "outside working hours")


def test_never_on_a_weekend_in_their_zone():
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert decide(tz="Europe/Paris", items=ITEMS, holds=set(), last=None, now=saturday, hours=HOURS).reason == "weekend"


def test_at_most_once_a_local_day_and_not_when_nothing_changed():
    sent = decide(tz="America/Los_Angeles", items=ITEMS, holds=set(), last=None, now=WEDNESDAY_NOON_LA, hours=HOURS)
    same_day = LastReminder(sent.local_day, sent.digest)
    assert decide(tz="America/Los_Angeles", items=ITEMS[:1], holds=set(), last=same_day, now=WEDNESDAY_NOON_LA,
                  hours=HOURS).reason == "already reminded today"
    yesterday = LastReminder("2026-12-01", sent.digest)
    assert decide(tz="America/Los_Angeles", items=ITEMS, holds=set(), last=yesterday, now=WEDNESDAY_NOON_LA,
                  hours=HOURS).reason == "nothing changed"
    assert decide(tz="America/Los_Angeles", items=ITEMS[:1], holds=set(), last=yesterday, now=WEDNESDAY_NOON_LA,
                  hours=HOURS).send


def test_snoozed_and_declined_items_are_left_out():
    decision = decide(tz="UTC", items=ITEMS, holds={"OPS-1"}, last=None, now=datetime(2026, 12, 2, 10, tzinfo=UTC),
                      hours=HOURS)
    assert [i.key for i in decision.items] == ["page:7:Root Cause"]
    assert decide(tz="UTC", items=ITEMS, holds={i.key for i in ITEMS}, last=None,
                  now=datetime(2026, 12, 2, 10, tzinfo=UTC), hours=HOURS).reason == "nothing to remind"


def test_an_unknown_time_zone_counts_as_utc():
    assert decide(tz="Mars/Olympus", items=ITEMS, holds=set(), last=None, now=datetime(2026, 12, 2, 10, tzinfo=UTC),
                  hours=HOURS).send


def test_escalation_after_n_ignored_reminders_in_a_row_once():
    assert should_escalate([False, False, False], 3)
    assert not should_escalate([False, True, False], 3)
    assert not should_escalate([False, False], 3)
    assert not should_escalate([False, None, None], 2)


def test_the_message_has_two_buttons_per_item_whose_values_come_back():
    text, blocks = message(42, ITEMS, 7)
    assert "<https://jira/browse/OPS-1|OPS-1 Add alerting (no due date)>" in text and "PM &lt;x&gt;" in text
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Snooze a week", "Not doing (say why)"] * 2
    assert parse_value(buttons[0]["value"]) == (42, "OPS-1")
    assert parse_value("nonsense") is None and parse_value('{"r": "1", "i": 2}') is None


@given(st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), max_size=5))
def test_the_digest_ignores_order(pairs):
    items = [Item(k, t, None, "action") for k, t in pairs]
    assert digest(items) == digest(list(reversed(items)))


def test_an_answer_names_a_section_by_its_title_never_by_the_button_value():
    assert item_name("page:65539:Root Cause") == "the section “Root Cause”"
    assert item_name("page:1:What didn't go well: <b>") == "the section “What didn't go well: &lt;b&gt;”"
    assert item_name("OPS-12") == "OPS-12"
