"""Slack message text (mrkdwn) → Confluence storage format. Pure: no I/O, everything escaped.

Slack sends ``&``, ``<`` and ``>`` escaped as entities; ``<...>`` sequences are links and mentions
(https://docs.slack.dev/messaging/formatting-message-text): ``<@U123>`` a person, ``<#C123|name>``
a channel, ``<!here>`` a special mention, ``<!date^...|fallback>`` a date, ``<url|label>`` a link.
Around them: ``*bold*``, ``_italic_``, ``~strike~``, `` `code` `` and ```` ```preformatted``` ````.

The output is an inline storage fragment (for a table cell's ``<p>``): text is XML-escaped,
characters XML 1.0 forbids are dropped, only http(s)/mailto links become links, and a person is a
Confluence user mention when the caller found their account (by email), else their name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Characters outside XML 1.0's Char production: https://www.w3.org/TR/xml/#charsets
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PRE = re.compile(r"```(.*?)```", re.S)
_INLINE = re.compile(r"<([^<>\n]+)>|`([^`\n]+)`")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "del"),
)
_LINK_SCHEMES = ("http://", "https://", "mailto:")


@dataclass(frozen=True)
class Person:
    """Who a Slack user is on the wiki: their display name, and their account if one was found.

    ``account_id`` is what the wiki's mentions name a person by, in ``mention_attribute``: the
    Atlassian account id on Cloud (``ri:account-id``), the Confluence user key on Data Center
    (``ri:userkey``).
    """

    name: str
    account_id: str | None = None
    mention_attribute: str = "ri:account-id"

    def mention(self) -> str | None:
        """The storage-format mention of this person, or None when their account is unknown."""
        if not self.account_id:
            return None
        return f"<ac:link><ri:user {self.mention_attribute}={quoteattr(self.account_id)} /></ac:link>"


def clean(text: str) -> str:
    """``text`` without the characters an XML document cannot hold (control characters...)."""
    return _NOT_XML.sub("", text)


def mentioned_users(text: str) -> list[str]:
    """Slack user ids mentioned in ``text``, in order, without repeats."""
    return list(dict.fromkeys(_USER.findall(text)))


def to_storage(text: str, people: Mapping[str, Person] | None = None) -> str:
    """The storage-format fragment for one message's text."""
    people = people or {}
    text = clean(text)
    out: list[str] = []
    last = 0
    for match in _PRE.finditer(text):
        out.append(_inline(text[last:match.start()], people))
        out.append(f"<code>{_plain(match.group(1).strip(chr(10)))}</code>")
        last = match.end()
    out.append(_inline(text[last:], people))
    return "".join(out)


def to_plain(text: str, people: Mapping[str, Person] | None = None) -> str:
    """Reader text for a message (notifications, captions): mentions as names, links as labels."""
    people = people or {}

    def control(match: re.Match[str]) -> str:
        return _control_text(match.group(1), people)

    return html.unescape(re.sub(r"<([^<>\n]+)>", control, clean(text)))


def _plain(text: str) -> str:
    """Slack's entity-escaped text as XML-escaped text, line breaks kept."""
    return escape(html.unescape(text)).replace("\n", "<br />")


def _inline(text: str, people: Mapping[str, Person]) -> str:
    out: list[str] = []
    last = 0
    for match in _INLINE.finditer(text):
        out.append(_styled(text[last:match.start()]))
        if match.group(2) is not None:
            out.append(f"<code>{_plain(match.group(2))}</code>")
        else:
            out.append(_control(match.group(1), people))
        last = match.end()
    out.append(_styled(text[last:]))
    return "".join(out)


def _styled(text: str) -> str:
    escaped = _plain(text)
    for pattern, tag in _STYLES:
        escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
    return escaped


def _control(inner: str, people: Mapping[str, Person]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        person = people.get(target[1:])
        mention = person.mention() if person is not None else None
        return mention or escape(_control_text(inner, people))
    if target.startswith(("#", "!")):
        return escape(_control_text(inner, people))
    url = html.unescape(target)
    shown = html.unescape(label) if label else url
    if not url.lower().startswith(_LINK_SCHEMES):
        return escape(shown)
    return f"<a href={quoteattr(url)}>{escape(shown)}</a>"


def _control_text(inner: str, people: Mapping[str, Person]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        person = people.get(target[1:])
        return "@" + (person.name if person else html.unescape(label) or target[1:])
    if target.startswith("#"):
        return "#" + (html.unescape(label) or target[1:])
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        if special in ("here", "channel", "everyone"):
            return "@" + special
        return html.unescape(label) or special  # dates and user groups carry their fallback text
    return html.unescape(label) if label else html.unescape(target)
