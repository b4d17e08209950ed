"""Drafting the timeline from a channel: which messages, and a merge that never touches people's rows."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from wikibot.slack.mrkdwn import Person
from wikibot.slack.timeline import Event, merge, permalink, select_events

WORKSPACE = "https://acme.slack.com"
TEMPLATE_TABLE = ('<h2>Timeline of events</h2><p><ac:placeholder>Key moments</ac:placeholder></p>'
                  '<table><tbody><tr><th><p>Time (UTC)</p></th><th><p>Event</p></th><th><p>Source</p></th></tr>'
                  '<tr><td><p></p></td><td><p></p></td><td><p></p></td></tr></tbody></table>'
                  '<h2>Root Cause</h2><p>x</p>')


def event(ts: float, text: str = "x", user: str = "U1") -> Event:
    stamp = f"{ts:.6f}"
    return Event(ts=stamp, when=datetime.fromtimestamp(ts, UTC), user=user, text=text,
                 permalink=permalink(WORKSPACE, "C1", stamp))


def well_formed(body: str) -> None:
    etree.fromstring(('<r xmlns:ac="a" xmlns:ri="r">' + body + "</r>").encode())


def test_pinned_reacted_and_thread_roots_are_events_but_not_bots_or_plain_chatter():
    messages = [
        {"ts": "1.000001", "user": "U1", "text": "pinned", "pinned_to": ["C1"]},
        {"ts": "2.000001", "user": "U1", "text": "reacted", "reactions": [{"name": "pushpin", "count": 1}]},
        {"ts": "3.000001", "user": "U1", "text": "root", "thread_ts": "3.000001", "reply_count": 2},
        {"ts": "4.000001", "user": "U1", "text": "chatter", "reactions": [{"name": "pray", "count": 1}]},
        {"ts": "5.000001", "user": "UBOT", "bot_id": "B1", "text": "wikibot", "pinned_to": ["C1"]},
        {"ts": "6.000001", "user": "U2", "subtype": "channel_join", "text": "joined", "pinned_to": ["C1"]},
        {"ts": "7.000001", "user": "U1", "text": "pinned via pins.list"},
    ]
    events = select_events(messages + messages[:1], pinned={"7.000001"}, reactions={"pushpin"}, bot_user="UBOT",
                           workspace_url=WORKSPACE, channel_id="C1")
    assert [e.text for e in events] == ["pinned", "reacted", "root", "pinned via pins.list"]
    assert events[0].permalink == "https://acme.slack.com/archives/C1/p1000001"


def test_events_replace_the_templates_empty_row_with_time_author_text_and_permalink():
    body, added = merge(TEMPLATE_TABLE, [event(1_700_000_000, "*Rollback* started", "U1")],
                        {"U1": Person("Dana Kowalski", "557058:dd44")})
    assert added == 1
    assert "<td><p></p></td>" not in body
    assert "<td><p>2023-11-14 22:13</p></td>" in body
    assert '<ri:user ri:account-id="557058:dd44" />' in body and "<strong>Rollback</strong> started" in body
    assert 'href="https://acme.slack.com/archives/C1/p1700000000000000"' in body
    assert body.endswith("<h2>Root Cause</h2><p>x</p>")
    well_formed(body)


def test_a_second_merge_adds_nothing_and_rows_people_edited_are_kept_byte_for_byte():
    first, _ = merge(TEMPLATE_TABLE, [event(1_700_000_000, "a")], {})
    edited = first.replace("<strong>U1</strong>: a", "Ana reworded this <em>completely</em>")
    again, added = merge(edited, [event(1_700_000_000, "a")], {})
    assert (again, added) == (edited, 0)


def test_new_events_go_between_existing_rows_in_time_order_without_touching_them():
    mine = ("<tr><td><p>2023-11-14 22:00</p></td><td><p>Alert fired (added by hand)</p></td><td><p /></td></tr>"
            "<tr><td><p>2023-11-14 23:00</p></td><td><p>Resolved</p></td><td><p>phone</p></td></tr>")
    body = TEMPLATE_TABLE.replace("<tr><td><p></p></td><td><p></p></td><td><p></p></td></tr>", mine)
    merged, added = merge(body, [event(1_700_000_000, "middle")], {})  # 22:13
    assert added == 1
    first, middle, last = merged.index("Alert fired"), merged.index("middle"), merged.index("Resolved")
    assert first < middle < last
    assert mine.split("</tr>")[0] in merged and mine.split("</tr>")[1] in merged


def test_a_page_without_a_timeline_table_or_section_gets_one():
    in_section, _ = merge("<h2>Timeline of events</h2><p>none yet</p><h2>Next</h2>", [event(1.5)], {})
    assert in_section.index("<table>") < in_section.index("<h2>Next</h2>")
    without, _ = merge("<h2>Summary</h2><p>s</p>", [event(1.5)], {})
    assert without.startswith("<h2>Summary</h2><p>s</p><h2>Timeline of events</h2><table>")
    well_formed(in_section)
    well_formed(without)


def test_a_table_with_an_author_column_gets_the_author_there():
    body = ("<h1>Timeline</h1><table><tbody><tr><th>When</th><th>Who</th><th>What</th><th>Link</th></tr>"
            "</tbody></table>")
    merged, _ = merge(body, [event(1_700_000_000, "x", "U1")], {"U1": Person("Bob")})
    assert "<tr><td><p>2023-11-14 22:13</p></td><td><p>Bob</p></td><td><p>x</p></td><td><p><a " in merged


@given(existing=st.lists(st.integers(0, 50), max_size=6, unique=True),
       first=st.sets(st.integers(0, 50), max_size=6), second=st.sets(st.integers(0, 50), max_size=6))
def test_merging_is_idempotent_adds_each_message_once_and_keeps_every_existing_row(existing, first, second):
    rows = "".join(f"<tr><td><p>2023-11-14 {10 + n // 10:02d}:{n % 60:02d}</p></td><td><p>hand {n} &amp; co</p></td>"
                   f"<td><p /></td></tr>" for n in sorted(existing))
    body = TEMPLATE_TABLE.replace("<tr><td><p></p></td><td><p></p></td><td><p></p></td></tr>", rows)
    start = 1_699_956_000  # 2023-11-14 10:00 UTC
    once, _ = merge(body, [event(start + 60 * n, f"m{n}") for n in sorted(first)], {})
    twice, _ = merge(once, [event(start + 60 * n, f"m{n}") for n in sorted(first | second)], {})
    again, added = merge(twice, [event(start + 60 * n, f"m{n}") for n in sorted(first | second)], {})
    assert (again, added) == (twice, 0)
    for n in first | second:
        assert twice.count(f'p{start + 60 * n}000000"') == 1
    for n in existing:
        assert f"hand {n} &amp; co" in twice
    well_formed(twice)


def test_drafted_rows_are_read_back_by_wikibots_own_page_model():
    from wikibot.pages import parse_page

    body, _ = merge(TEMPLATE_TABLE, [event(1_700_000_000, "*Rollback* started")], {"U1": Person("Dana")})
    [row] = parse_page(body).timeline
    assert row["Time (UTC)"] == "2023-11-14 22:13" and "Rollback started" in row["Event"]
    assert row["Source"] == "Slack message"
