"""What the audit's checks are given, as plain values: the rules (from the configuration) and the
evidence one run learnt outside the page body (Jira's state of each issue, the sync ledger, the clock).

Pure data, built by :mod:`wikibot.audit.runner` and read by :mod:`wikibot.audit.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from wikibot.audit.blame import BlameMatcher
from wikibot.config_sections import DEFAULT_BLAME_ALWAYS, DEFAULT_BLAME_PHRASES

if TYPE_CHECKING:
    from wikibot.config import Config


@dataclass(frozen=True)
class Rules:
    """The configuration the checks read, as plain values."""

    required_sections: tuple[str, ...] | None = None
    stale_after_days: int = 3
    debrief_within_days: int = 7
    max_action_items: int = 10
    sync_interval: timedelta = timedelta(hours=1)
    sync_statuses: tuple[str, ...] = ()
    timezone: tzinfo = UTC
    blame: BlameMatcher = field(default_factory=lambda: BlameMatcher(DEFAULT_BLAME_PHRASES, DEFAULT_BLAME_ALWAYS))

    @classmethod
    def from_config(cls, config: Config, now: datetime) -> Rules:
        zone = ZoneInfo(config.audit.timezone)
        return cls(required_sections=config.postmortem.required_names(),
                   stale_after_days=config.audit.stale_after_days,
                   debrief_within_days=config.postmortem.debrief_within_days,
                   max_action_items=config.audit.max_action_items,
                   sync_interval=sync_interval(config.sync.schedule, zone, now),
                   sync_statuses=tuple(config.sync.page_statuses), timezone=zone,
                   blame=BlameMatcher(config.audit.blame_phrases, config.audit.blame_always))


def local_today(config: Config, now: datetime | None = None) -> date:
    """Today where the audit counts days (``audit.timezone``).

    Every surface that says "overdue" (the audit, the dashboard, ``wikibot actions``) asks here, so
    a manager east or west of UTC sees the same count on each of them, early on a Monday too.
    """
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(config.audit.timezone)).date()


def sync_interval(schedule: str, zone: tzinfo, now: datetime) -> timedelta:
    """How long the sync waits between runs: its next fire time after its next fire time."""
    trigger = CronTrigger.from_crontab(schedule, timezone=zone)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return second - first if first and second else timedelta(days=1)


@dataclass(frozen=True)
class JiraState:
    key: str
    status: str
    done: bool
    due: str | None
    unassigned: str | None = None
    """Why the issue has no assignee though its item names an owner (the sync's ``Unassigned:`` line)."""
    not_doing: bool = False
    """Its owner declined it with a reason (label ``post-mortem-not-doing``): open, but not overdue."""


@dataclass(frozen=True)
class Evidence:
    """What the run learnt outside the page body, and when."""

    now: datetime
    jira: Mapping[str, JiraState] = field(default_factory=dict)
    """issue key → state; a key missing here (unknown to Jira, or Jira unreadable) is not judged."""
    gone: frozenset[str] = frozenset()
    """Issue keys Jira said do not exist (deleted, or never filed under that key)."""
    tickets: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(page id, item identity) → issue key the sync ledger filed but the page does not show yet."""
    first_seen: Mapping[tuple[str, str], datetime] = field(default_factory=dict)
    """(page id, item identity) → when the audit first saw that item without a ticket."""
    names: Mapping[str, str] = field(default_factory=dict)
    """account id → display name."""
    unknown_people: frozenset[str] = frozenset()
    """Accounts Jira does not know (deleted: someone who left); shown as such, not as a bare id."""
    debriefed_seen: Mapping[str, date] = field(default_factory=dict)
    """page id → the day the audit first saw its Status Debriefed or Published (for pages without
    a "Debrief held" date, that day stands in for it)."""
