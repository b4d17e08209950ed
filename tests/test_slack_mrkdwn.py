"""Slack mrkdwn → storage format: links, mentions, code and bold translated; everything else escaped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from wikibot.slack.mrkdwn import Person, mentioned_users, to_plain, to_storage

ROOT = ('<root xmlns:ac="http://atlassian.com/content" xmlns:ri="http://atlassian.com/resource/identifier">'
        "<p>{}</p></root>")


def parses(fragment: str) -> etree._Element:
    return etree.fromstring(ROOT.format(fragment).encode())


def test_bold_italic_strike_and_code():
    assert to_storage("*down* _slowly_ ~maybe~ `kubectl get pods`") == (
        "<strong>down</strong> <em>slowly</em> <del>maybe</del> <code>kubectl get pods</code>")


def test_preformatted_blocks_keep_their_lines_and_markup_inside_is_literal():
    assert to_storage("logs:\n```ERROR *x* <b>\nline 2```") == "logs:<br /><code>ERROR *x* &lt;b&gt;<br />line 2</code>"


def test_links_keep_their_label_and_only_web_links_are_links():
    assert to_storage("see <https://grafana.example/d/1?a=1&amp;b=2|the dashboard>") == (
        'see <a href="https://grafana.example/d/1?a=1&amp;b=2">the dashboard</a>')
    assert to_storage("<javascript:alert(1)|click>") == "click"


def test_a_mention_is_a_confluence_user_when_the_person_was_found_else_their_name():
    people = {"U1": Person("Ana Lima", "557058:aa11"), "U2": Person("Bob Chen")}
    assert to_storage("<@U1> and <@U2> and <@U3>", people) == (
        '<ac:link><ri:user ri:account-id="557058:aa11" /></ac:link> and @Bob Chen and @U3')
    assert mentioned_users("<@U1> <@U2|bob> <@U1>") == ["U1", "U2"]


def test_channels_specials_and_dates_become_text():
    assert to_storage("<#C1|inc-1> <!here> <!date^1700000000^{date}|Nov 14>") == "#inc-1 @here Nov 14"


def test_slack_entities_are_decoded_once_and_escaped_once():
    assert to_storage("a &lt;b&gt; &amp; c") == "a &lt;b&gt; &amp; c"
    assert to_plain("a &lt;b&gt; <@U1>", {"U1": Person("Ana")}) == "a <b> @Ana"


def test_characters_xml_cannot_hold_are_dropped():
    assert to_storage("bell\x07 nul\x00 ok") == "bell nul ok"


@given(st.text())
def test_any_text_becomes_well_formed_storage_without_raw_markup(text):
    root = parses(to_storage(text, {"U1": Person("A <b>", "557058:x")}))
    allowed = {"p", "strong", "em", "del", "code", "br", "a", "{http://atlassian.com/content}link",
               "{http://atlassian.com/resource/identifier}user"}
    assert {el.tag for el in root.iter()} - {"root"} <= allowed
    for link in root.iter("a"):
        assert link.get("href").lower().startswith(("http://", "https://", "mailto:"))
