"""Who gets a reminder, when, and what it says. Pure logic: no clock, no I/O.

A person is reminded of their overdue or undated actions and of the empty sections of the
post-mortems they lead, in one direct message, only:

* on a weekday, inside ``remind.working_hours`` in *their* time zone (Slack's ``users.info``),
* at most once per local day,
* when the list differs from the last reminder's (a digest of its items), and
* never for items they snoozed (until the snooze ends) or declined ("not doing").

After ``remind.escalate_after`` reminders in a row that got no answer, the leads of the
post-mortems concerned are told once, within *their* working hours (the reminders are then
marked escalated).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wikibot.notify import slack_escape, slack_link

SNOOZE_ACTION = "wikibot_remind_snooze"
NOT_DOING_ACTION = "wikibot_remind_not_doing"
WHY_BLOCK = "wikibot_remind_why"
MAX_ITEMS = 20


@dataclass(frozen=True)
class Item:
    key: str
    """A Jira key (an action) or ``page:<id>:<section>`` (an empty section)."""
    text: str
    url: str | None
    kind: Literal["action", "section"]
    page_title: str | None = None
    lead: str | None = None
    """The Slack id of the post-mortem's lead (who hears about ignored reminders)."""


@dataclass(frozen=True)
class LastReminder:
    local_day: str
    digest: str


@dataclass(frozen=True)
class Decision:
    send: bool
    reason: str
    items: tuple[Item, ...] = ()
    digest: str = ""
    local_day: str = ""


def parse_hours(spec: str) -> tuple[time, time]:
    start, _, end = spec.partition("-")
    end_time = time(23, 59, 59) if end == "24:00" else time.fromisoformat(end)
    return time.fromisoformat(start), end_time


def local_now(now: datetime, tz: str) -> datetime:
    try:
        return now.astimezone(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(ZoneInfo("UTC"))


def not_at_work(now: datetime, tz: str, hours: tuple[time, time]) -> str | None:
    """Why ``now`` is not a time to message someone in ``tz`` ("weekend", ...), or None if it is."""
    local = local_now(now, tz)
    if local.weekday() >= 5:
        return "weekend"
    if not hours[0] <= local.time().replace(tzinfo=None) < hours[1]:
        return "outside working hours"
    return None


def digest(items: Iterable[Item]) -> str:
    """What the reminder was about: the set of items (not their wording, which counts days overdue)."""
    text = json.dumps(sorted(i.key for i in items), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def decide(*, tz: str, items: Sequence[Item], holds: set[str], last: LastReminder | None, now: datetime,
           hours: tuple[time, time]) -> Decision:
    """Whether to message one person now, and with which items."""
    pending = tuple(i for i in items if i.key not in holds)[:MAX_ITEMS]
    if not pending:
        return Decision(False, "nothing to remind")
    local = local_now(now, tz)
    day = local.date().isoformat()
    away = not_at_work(now, tz, hours)
    if away:
        return Decision(False, away)
    if last is not None and last.local_day == day:
        return Decision(False, "already reminded today")
    fingerprint = digest(pending)
    if last is not None and last.digest == fingerprint:
        return Decision(False, "nothing changed")
    return Decision(True, "send", pending, fingerprint, day)


def should_escalate(answered: Sequence[bool | None], escalate_after: int) -> bool:
    """``answered``: the person's reminders newest first (True: answered, None: already escalated).

    Escalate when the newest ``escalate_after`` were all ignored and none of them was escalated yet.
    """
    recent = list(answered[:escalate_after])
    return len(recent) == escalate_after and all(a is False for a in recent)


# -- the message ---------------------------------------------------------------------------------
def _line(item: Item) -> str:
    label = slack_link(item.url, item.text) if item.url else slack_escape(item.text)
    where = f" ({slack_escape(item.page_title)})" if item.page_title and item.kind == "section" else ""
    return f"• {label}{where}"


def message(reminder_id: int, items: Sequence[Item], snooze_days: int) -> tuple[str, list[dict[str, Any]]]:
    """The DM's text (the notification) and blocks: one line per item with its two buttons."""
    actions = [i for i in items if i.kind == "action"]
    sections = [i for i in items if i.kind == "section"]
    parts = []
    if actions:
        parts.append("*Your post-mortem actions that are overdue or have no due date:*\n"
                     + "\n".join(_line(i) for i in actions))
    if sections:
        parts.append("*Sections still empty in post-mortems you lead:*\n" + "\n".join(_line(i) for i in sections))
    text = "\n".join(parts)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn",
                                                                 "text": ":wave: A gentle post-mortem reminder."}}]
    for item in items:
        value = json.dumps({"r": reminder_id, "i": item.key})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _line(item)[:2900]}})
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": SNOOZE_ACTION, "value": value,
             "text": {"type": "plain_text",
                      "text": "Snooze a week" if snooze_days == 7 else f"Snooze {snooze_days} days"}},
            {"type": "button", "action_id": NOT_DOING_ACTION, "value": value, "style": "danger",
             "text": {"type": "plain_text", "text": "Not doing (say why)"}}]})
    blocks.append({"type": "input", "block_id": WHY_BLOCK, "optional": True,
                   "label": {"type": "plain_text", "text": "Why not? (for \"Not doing\")"},
                   "element": {"type": "plain_text_input", "action_id": "why"}})
    return text, blocks


def escalation_text(person: str, ignored: int, items: Sequence[Item]) -> str:
    lines = [f":bell: {slack_escape(person)} has not answered the last {ignored} post-mortem reminders about:"]
    lines += [_line(i) for i in items[:MAX_ITEMS]]
    lines.append("Maybe check in with them, or move the items to someone else.")
    return "\n".join(lines)


def item_name(key: str) -> str:
    """How an answer's confirmation names the item a button was for (mrkdwn): a Jira key as it is, a
    section as its title ("page:<id>:<title>" is the button's value, not something to show a person)."""
    page, _, rest = key.partition(":")
    if page == "page" and ":" in rest:
        return f"the section “{slack_escape(rest.split(':', 1)[1])}”"
    return slack_escape(key)


def parse_value(value: str) -> tuple[int, str] | None:
    """A button's value back: ``(reminder id, item key)``, or None if it is not one of ours."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), int) or not isinstance(data.get("i"), str):
        return None
    return data["r"], data["i"]
