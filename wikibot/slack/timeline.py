"""Which channel messages belong in "Timeline of events", and how to merge them in. Pure logic.

A message is a timeline event when it is pinned, carries one of ``slack.timeline_reactions``, or
starts a thread (wikibot's own messages and channel joins never are). Its row holds the time
(UTC), the author and the text translated from mrkdwn, and the message's permalink as the source.

Merging never rewrites what people wrote. Identity is the permalink: a message whose permalink
is already anywhere in the Timeline section (its row edited, moved or reworded) is left alone;
new rows are spliced in between the existing rows' bytes, in time order where the neighbouring
rows' times can be read, so Confluence shows only added rows in the page history. The only rows
ever removed are completely empty ones (the template's blank row) in a table that gains rows.
A row a person deleted stays deleted: the drafter remembers every permalink it put on the page
(``wikibot.slack.draft``) and passes only messages never drafted before.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from wikibot.pages.offsets import RowSpan, TableSpan, scan
from wikibot.slack.mrkdwn import Person, to_storage

Message = Mapping[str, Any]
_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
_WHEN = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})")
_SKIP_SUBTYPES = frozenset({"channel_join", "channel_leave", "channel_topic", "channel_purpose", "bot_message",
                            "pinned_item", "reminder_add"})
HEADERS = ("Time (UTC)", "Event", "Source")


@dataclass(frozen=True)
class Event:
    ts: str
    when: datetime
    user: str
    text: str
    permalink: str


def permalink(workspace_url: str, channel_id: str, ts: str) -> str:
    """Slack's permalink format: ``<workspace>/archives/<channel>/p<ts without the dot>``."""
    return f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"


def is_timeline_event(message: Message, pinned: set[str], reactions: set[str], bot_user: str | None) -> bool:
    if message.get("subtype") in _SKIP_SUBTYPES or message.get("bot_id") or message.get("user") == bot_user:
        return False
    if not message.get("user") or not message.get("ts"):
        return False
    if message["ts"] in pinned or message.get("pinned_to"):
        return True
    if any(r.get("name") in reactions for r in message.get("reactions") or []):
        return True
    return bool(message.get("reply_count")) and message.get("thread_ts") == message["ts"]


def select_events(messages: Iterable[Message], *, pinned: set[str], reactions: set[str], bot_user: str | None,
                  workspace_url: str, channel_id: str) -> list[Event]:
    """The channel's timeline events, oldest first, each once."""
    chosen: dict[str, Event] = {}
    for message in messages:
        if is_timeline_event(message, pinned, reactions, bot_user) and message["ts"] not in chosen:
            ts = str(message["ts"])
            chosen[ts] = Event(ts=ts, when=datetime.fromtimestamp(float(ts), UTC), user=str(message["user"]),
                               text=str(message.get("text") or ""), permalink=permalink(workspace_url, channel_id, ts))
    return sorted(chosen.values(), key=lambda e: float(e.ts))


# -- rendering -----------------------------------------------------------------------------------
def _cell(content: str) -> str:
    return f"<td><p>{content}</p></td>"


def columns_of(headers: Sequence[str]) -> dict[str, int]:
    """Which column holds time, event, source and author (by header words); event defaults sensibly."""
    found: dict[str, int] = {}
    words = {"time": ("time", "when"), "author": ("author", "who", "by", "person"),
             "source": ("source", "link", "evidence", "ref"),
             "event": ("event", "what", "description", "detail", "happened")}
    for index, header in enumerate(headers):
        lowered = header.lower()
        for role, keys in words.items():
            if role not in found and any(key in lowered for key in keys):
                found[role] = index
                break
    if "event" not in found:
        free = [i for i in range(len(headers)) if i not in found.values()]
        found["event"] = free[0] if free else min(1, len(headers) - 1)
    return found


def render_row(event: Event, people: Mapping[str, Person], width: int, columns: Mapping[str, int]) -> str:
    author = people.get(event.user, Person(event.user))
    author_xml = author.mention() or escape(author.name)
    text = to_storage(event.text, people)
    cells = [""] * max(width, 1)
    cells[columns["event"]] = text if "author" in columns else f"<strong>{author_xml}</strong>: {text}"
    if "author" in columns:
        cells[columns["author"]] = author_xml
    if "time" in columns:
        cells[columns["time"]] = event.when.strftime("%Y-%m-%d %H:%M")
    source = f"<a href={quoteattr(event.permalink)}>Slack message</a>"
    if "source" in columns:
        cells[columns["source"]] = source
    else:
        cells[columns["event"]] += f" ({source})"
    return "<tr>" + "".join(_cell(c) for c in cells) + "</tr>"


def new_table(rows: Sequence[str]) -> str:
    header = "".join(f"<th><p>{h}</p></th>" for h in HEADERS)
    return f"<table><tbody><tr>{header}</tr>{''.join(rows)}</tbody></table>"


# -- locating sections in the raw body -----------------------------------------------------------
def section_range(body: str, *words: str) -> tuple[int, int, int] | None:
    """``(heading_end, section_end, level)`` of the first heading whose text has all ``words``."""
    headings = list(_HEADING.finditer(body))
    for index, match in enumerate(headings):
        title = html.unescape(_TAGS.sub("", match.group(2))).lower()
        if all(word in title for word in words):
            level = int(match.group(1))
            end = next((h.start() for h in headings[index + 1:] if int(h.group(1)) <= level), len(body))
            return match.end(), end, level
    return None


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def _is_empty_row(body: str, row: RowSpan) -> bool:
    inner = body[row.span.open_end:row.span.close_start]
    return not text_of(inner) and not re.search(r"<(ac:|ri:|img)", inner)


def _is_header_row(body: str, row: RowSpan) -> bool:
    return bool(row.cells) and all(cell.name == "th" for cell in row.cells)


def _row_time(body: str, row: RowSpan) -> datetime | None:
    match = _WHEN.search(text_of(body[row.span.start:row.span.end]))
    if not match:
        return None
    try:
        return datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}:{match.group(3)}").replace(tzinfo=UTC)
    except ValueError:
        return None


# -- merging -------------------------------------------------------------------------------------
def known_permalinks(body: str, candidates: Iterable[str]) -> set[str]:
    """The candidates already present anywhere in the Timeline section (as a link or as text)."""
    found = section_range(body, "timeline")
    section = body[found[0]:found[1]] if found else ""
    return {link for link in candidates if link in section or escape(link) in section}


def merge(body: str, events: Sequence[Event], people: Mapping[str, Person]) -> tuple[str, int]:
    """``(new body, rows added)``; the body is unchanged when every event is already there."""
    known = known_permalinks(body, [e.permalink for e in events])
    fresh = [e for e in events if e.permalink not in known]
    if not fresh:
        return body, 0
    found = section_range(body, "timeline")
    if found is None:
        rows = [render_row(e, people, 3, columns_of(HEADERS)) for e in fresh]
        return body + "<h2>Timeline of events</h2>" + new_table(rows), len(fresh)
    start, end, _level = found
    table = next((t for t in scan(body).tables if start <= t.span.start < end), None)
    if table is None:
        rows = [render_row(e, people, 3, columns_of(HEADERS)) for e in fresh]
        return body[:end] + new_table(rows) + body[end:], len(fresh)
    return _merge_into(body, table, fresh, people), len(fresh)


def _after_rows(body: str, table: TableSpan, kept: Sequence[RowSpan], header: RowSpan | None) -> int:
    """Where a row goes that belongs after every existing one."""
    if kept:
        return kept[-1].span.end
    if header is not None:
        return header.span.end
    tbody = body.rfind("</tbody>", table.span.open_end, table.span.close_start)
    return tbody if tbody >= 0 else table.span.close_start


def _merge_into(body: str, table: TableSpan, fresh: Sequence[Event], people: Mapping[str, Person]) -> str:
    header = next((r for r in table.rows if _is_header_row(body, r)), None)
    headers = [text_of(body[c.start:c.end]) for c in header.cells] if header else list(HEADERS)
    width = max([len(headers)] + [len(r.cells) for r in table.rows])
    columns = columns_of(headers + [""] * (width - len(headers)))
    data = [r for r in table.rows if r is not header]
    kept = [r for r in data if not _is_empty_row(body, r)]
    splices: list[tuple[int, int, str]] = [(r.span.start, r.span.end, "") for r in data if r not in kept]
    after_last = _after_rows(body, table, kept, header)
    inserts: dict[int, list[str]] = {}
    for event in fresh:
        position = next((r.span.start for r in kept if (t := _row_time(body, r)) is not None and t > event.when),
                        after_last)
        inserts.setdefault(position, []).append(render_row(event, people, width, columns))
    splices += [(position, position, "".join(rows)) for position, rows in inserts.items()]
    for start, stop, text in sorted(splices, key=lambda s: (s[0], s[1]), reverse=True):
        body = body[:start] + text + body[stop:]
    return body
