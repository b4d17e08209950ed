"""The Slack app's state: which channel an incident lives in, and every reminder with its answer.

* ``slack_channels``: incident → channel → page, written when ``/postmortem`` creates or finds the
  page, so ``wikibot timeline PAGE`` and the "Refresh timeline" button know where to read.
* ``reminders``: one row per direct message ``wikibot remind`` sent (who, when, their local day,
  a digest of what it listed) and the answer, if any; "at most once a day" and "not when nothing
  changed" are decided from these rows, and so are escalations.
* ``reminder_holds``: items a person snoozed (until a date) or declined ("not doing", with why).
* ``slack_drafted``: what drafting from the channel ever put on a page (a message's permalink, a
  file's ``file:<id>``), so a row or file a person deleted from the page is not drafted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Table, Text, insert, select, update
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import IntegrityError

from wikibot.store.schema import aware, metadata, utcnow

slack_channels = Table(
    "slack_channels",
    metadata,
    Column("incident_id", String(128), primary_key=True),
    Column("channel_id", String(32), nullable=False),
    Column("page_id", String(32), nullable=False, index=True),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slack_user", String(32), nullable=False, index=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("local_day", String(10), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("items", Text, nullable=False),
    Column("channel_id", String(32)),
    Column("message_ts", String(32)),
    Column("answer", String(16)),  # snooze | not_doing
    Column("answered_at", DateTime(timezone=True)),
    Column("escalated", Integer, nullable=False, default=0),
)

reminder_holds = Table(
    "reminder_holds",
    metadata,
    Column("slack_user", String(32), primary_key=True),
    Column("item", String(255), primary_key=True),  # a Jira key or "page:<id>:<section>"
    Column("kind", String(16), nullable=False),  # snooze | not_doing
    Column("until", DateTime(timezone=True)),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

slack_drafted = Table(
    "slack_drafted",
    metadata,
    Column("page_id", String(32), primary_key=True),
    Column("key", String(255), primary_key=True),  # a message permalink, or "file:<Slack file id>"
    Column("drafted_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Reminder:
    id: int
    slack_user: str
    sent_at: datetime
    local_day: str
    digest: str
    items: str
    channel_id: str | None
    message_ts: str | None
    answer: str | None
    escalated: bool


class SlackStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- channels -------------------------------------------------------------------------------
    def link_channel(self, incident_id: str, channel_id: str, page_id: str) -> None:
        """Remember where an incident lives (first link wins: the channel /postmortem ran in)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(slack_channels).values(incident_id=incident_id, channel_id=channel_id,
                                                           page_id=page_id, linked_at=utcnow()))
        except IntegrityError:
            with self.engine.begin() as conn:
                conn.execute(update(slack_channels).where(slack_channels.c.incident_id == incident_id)
                             .values(page_id=page_id))

    def channel_of_page(self, page_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(slack_channels.c.channel_id)
                                .where(slack_channels.c.page_id == page_id)).scalar()

    def channel_of_incident(self, incident_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(slack_channels.c.channel_id)
                                .where(slack_channels.c.incident_id == incident_id)).scalar()

    # -- reminders ------------------------------------------------------------------------------
    def reminders_of(self, slack_user: str, limit: int = 50) -> list[Reminder]:
        """A person's reminders, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(reminders).where(reminders.c.slack_user == slack_user)
                                .order_by(reminders.c.id.desc()).limit(limit)).all()
        return [_reminder(row) for row in rows]

    def record_reminder(self, slack_user: str, sent_at: datetime, local_day: str, digest: str, items: str,
                        channel_id: str | None, message_ts: str | None) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(insert(reminders).values(
                slack_user=slack_user, sent_at=sent_at, local_day=local_day, digest=digest, items=items,
                channel_id=channel_id, message_ts=message_ts, escalated=0))
            key = result.inserted_primary_key
            if key is None:  # a single-row insert into a table with an integer key always has one
                raise RuntimeError("slack_reminders: the insert returned no key")
            return int(key[0])

    def forget_reminder(self, reminder_id: int) -> None:
        """A reminder that could not be posted is not a reminder."""
        with self.engine.begin() as conn:
            conn.execute(reminders.delete().where(reminders.c.id == reminder_id))

    def set_message(self, reminder_id: int, message_ts: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(reminders).where(reminders.c.id == reminder_id).values(message_ts=message_ts))

    def reminder(self, reminder_id: int) -> Reminder | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(reminders).where(reminders.c.id == reminder_id)).first()
        return _reminder(row) if row else None

    def answer(self, reminder_id: int, answer: str, when: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(reminders).where(reminders.c.id == reminder_id)
                         .values(answer=answer, answered_at=when))

    def mark_escalated(self, ids: Sequence[int]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(reminders).where(reminders.c.id.in_(list(ids))).values(escalated=1))

    def hold(self, slack_user: str, item: str, kind: str, until: datetime | None, reason: str | None,
             when: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(reminder_holds.delete().where((reminder_holds.c.slack_user == slack_user)
                                                       & (reminder_holds.c.item == item)))
            conn.execute(insert(reminder_holds).values(slack_user=slack_user, item=item, kind=kind, until=until,
                                                       reason=reason, created_at=when))

    def holds(self, slack_user: str, now: datetime) -> set[str]:
        """Items not to remind ``slack_user`` of now: declined ones, and snoozes not yet over."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(reminder_holds).where(reminder_holds.c.slack_user == slack_user)).all()
        return {row.item for row in rows if row.kind == "not_doing" or (row.until and aware(row.until) > now)}

    # -- drafting -------------------------------------------------------------------------------
    def drafted(self, page_id: str) -> set[str]:
        """Everything drafting ever put on the page (present now or deleted by a person since)."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(slack_drafted.c.key).where(slack_drafted.c.page_id == page_id)).scalars())

    def record_drafted(self, page_id: str, keys: Iterable[str]) -> None:
        """Remember ``keys`` as drafted onto the page; keys already remembered are left as they are."""
        wanted = sorted(set(keys) - self.drafted(page_id))
        if not wanted:
            return
        rows = [{"page_id": page_id, "key": key, "drafted_at": utcnow()} for key in wanted]
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(slack_drafted), rows)
        except IntegrityError:  # a concurrent draft of the same page remembered some first: the rest, one by one
            for row in rows:
                try:
                    with self.engine.begin() as conn:
                        conn.execute(insert(slack_drafted).values(**row))
                except IntegrityError:
                    continue


def _reminder(row: Row[Any]) -> Reminder:
    return Reminder(id=row.id, slack_user=row.slack_user, sent_at=aware(row.sent_at), local_day=row.local_day,
                    digest=row.digest, items=row.items, channel_id=row.channel_id, message_ts=row.message_ts,
                    answer=row.answer, escalated=bool(row.escalated))
