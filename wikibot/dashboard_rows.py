"""What the dashboard shows, as plain data: pure functions over the latest audit and Jira facts.

The nightly (or on-demand) audit leaves a *snapshot* — one row per post-mortem, with the facts a
manager scans for — in the database; the dashboard reads it instead of re-reading the wiki on
every view. Trends come from the audit-run history and from Jira's own created/resolved dates;
the headline figures from the snapshot (``wikibot.figures``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wikibot.audit.checks import PageAudit
    from wikibot.audit.facts import PageFacts
    from wikibot.audit.rules import JiraState

INCIDENT_DATE_KEYS = ("Incident date", "Incident started", "Incident start", "Started", "Date")
SORT_KEYS = ("title", "incident", "severity", "lead", "status", "age_days", "completeness", "debrief_due",
             "actions_open", "actions_overdue", "findings")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ActionRow:
    """One action item of a post-mortem as the figures count it: done and due as Jira says when the
    item has an issue Jira answered for, else as the page says."""

    identity: str
    due: str | None
    done: bool
    first_seen: str | None = None
    """The day the audit first saw the item (carried from snapshot to snapshot)."""
    declined: bool = False
    """Its owner said "Not doing" (why, in Jira): still open there, but never past due, as the audit,
    ``wikibot actions`` and the reminders have it."""

    def past_due(self, today: date) -> bool:
        return not self.done and not self.declined and self.due is not None and date.fromisoformat(self.due) < today


@dataclass(frozen=True)
class Row:
    """One post-mortem as the dashboard lists it."""

    page_id: str
    title: str
    url: str
    incident: str | None
    severity: str | None
    lead: str | None
    status: str | None
    created: str | None
    modified: str | None
    age_days: int | None
    filled: int
    required: int
    debrief_due: str | None
    debrief_overdue: bool
    actions_open: int
    actions_done: int
    actions_overdue: int
    """Open action items past their due date (Jira's, else the page's) on the day of the audit."""
    findings: int
    finding_kinds: tuple[str, ...] = ()
    incident_date: str | None = None
    debrief_held: str | None = None
    debrief_from: str | None = None
    """"page" ("Debrief held" is written) or "status" (the day the audit first saw it Debriefed)."""
    actions: tuple[ActionRow, ...] = field(default_factory=tuple)

    @property
    def completeness(self) -> float:
        return self.filled / self.required if self.required else 1.0


def first_date(text: str | None) -> str | None:
    match = _DATE.search(text or "")
    return match.group(0) if match else None


def snapshot_rows(pages: Iterable[PageAudit], facts: Mapping[str, PageFacts], now: datetime,
                  jira: Mapping[str, JiraState] | None = None, zone: tzinfo | None = None) -> list[dict[str, Any]]:
    """Rows (as JSON-able dicts) from an audit's ``PageAudit`` objects, their ``PageFacts`` and the
    Jira state the audit read (issue key → ``JiraState``); dates are days in ``zone``."""
    jira = jira or {}
    today = _day(now, zone) or ""
    rows = []
    for page in pages:
        fact = facts.get(page.page_id)
        kinds = tuple(f.kind for f in page.findings)
        items = fact.items if fact is not None else ()
        prop = fact.prop if fact is not None else (lambda *names: None)
        created = _day(page.created, zone)
        actions = []
        for item in items:
            state = jira.get(item.jira_key) if item.jira_key else None
            actions.append(ActionRow(identity=item.identity, due=(state.due if state else None) or item.due,
                                     done=bool(item.done or (state is not None and state.done)),
                                     declined=state is not None and state.not_doing))
        held = page.debrief_held
        rows.append(asdict(Row(
            page_id=page.page_id, title=page.title, url=page.url, incident=prop("Incident", "Incident id"),
            severity=prop("Severity"), lead=page.lead, status=page.status, created=created,
            modified=_day(page.modified, zone),
            age_days=(now - page.created).days if page.created else None, filled=page.filled,
            required=len(page.required), debrief_due=first_date(prop("Debrief due", "Debrief date")),
            debrief_overdue="debrief_overdue" in kinds,
            actions_open=sum(1 for a in actions if not a.done), actions_done=sum(1 for a in actions if a.done),
            actions_overdue=sum(1 for a in actions if a.past_due(date.fromisoformat(today))) if today else 0,
            findings=len(kinds), finding_kinds=kinds,
            incident_date=first_date(prop(*INCIDENT_DATE_KEYS)) or created,
            debrief_held=held.isoformat() if held else None, debrief_from=page.debrief_held_from,
            actions=tuple(actions),
        )))
    return rows


def _day(moment: datetime | None, zone: tzinfo | None) -> str | None:
    if moment is None:
        return None
    return (moment.astimezone(zone) if zone else moment).date().isoformat()


def carry_first_seen(rows: Sequence[dict[str, Any]], previous: Sequence[dict[str, Any]],
                     today: date) -> list[dict[str, Any]]:
    """Date each action item by the first snapshot that held it.

    An item already in the previous snapshot keeps its day; a new item on a page the previous
    snapshot knew was written since, so it gets ``today``; the items of a page seen for the first
    time (the first audit, or a page new since) are dated by the page's creation, the best record
    there is of when they were written.
    """
    before = {(r["page_id"], a["identity"]): a.get("first_seen")
              for r in previous for a in r.get("actions") or ()}
    known_pages = {r["page_id"] for r in previous}
    out = []
    for row in rows:
        fallback = today.isoformat() if row["page_id"] in known_pages else (row.get("created") or today.isoformat())
        actions = [{**a, "first_seen": before.get((row["page_id"], a["identity"])) or fallback}
                   for a in row.get("actions") or ()]
        out.append({**row, "actions": actions})
    return out


def rows_from_snapshot(data: Sequence[Mapping[str, Any]]) -> list[Row]:
    """Rows from a stored snapshot; fields a newer wikibot added and an older snapshot lacks default."""
    fields = Row.__dataclass_fields__
    rows = []
    for row in data:
        values = {k: v for k, v in row.items() if k in fields}
        values["finding_kinds"] = tuple(values.get("finding_kinds") or ())
        values["actions"] = tuple(ActionRow(**{k: v for k, v in a.items() if k in ActionRow.__dataclass_fields__})
                                  for a in values.get("actions") or ())
        rows.append(Row(**values))
    return rows


def select_rows(rows: Sequence[Row], *, sort: str = "age_days", descending: bool = False, status: str = "",
                query: str = "") -> list[Row]:
    """Filter by status (case-insensitive) and a free-text query; sort by a column (missing values last)."""
    status, query = status.strip().lower(), query.strip().lower()
    chosen = [r for r in rows
              if (not status or (r.status or "").lower() == status)
              and (not query or query in " ".join(str(v) for v in (r.title, r.incident, r.lead, r.severity)).lower())]
    key = sort if sort in SORT_KEYS else "age_days"
    present = [r for r in chosen if getattr(r, key) is not None]
    missing = [r for r in chosen if getattr(r, key) is None]
    present.sort(key=lambda r: (getattr(r, key), r.title.lower()) if not isinstance(getattr(r, key), str)
                 else (getattr(r, key).lower(), r.title.lower()), reverse=descending)
    return present + missing


def months_back(today: date, count: int) -> list[str]:
    year, month = today.year, today.month
    labels = []
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return labels[::-1]


def month_label(month: str) -> str:
    """"2026-11" → "Nov" (the chart's caption names the year)."""
    return date.fromisoformat(month + "-01").strftime("%b")


def debriefs_by_month(rows: Sequence[Row], debrief_within_days: int, today: date,
                      months: int = 6) -> tuple[list[str], list[int], list[int]]:
    """Per month of the debrief: debriefs held within ``debrief_within_days`` of the incident, and late ones."""
    keys = months_back(today, months)
    within, late = [0] * months, [0] * months
    for row in rows:
        if not row.debrief_held or not row.incident_date or row.debrief_held[:7] not in keys:
            continue
        slot = keys.index(row.debrief_held[:7])
        days = (date.fromisoformat(row.debrief_held) - date.fromisoformat(row.incident_date)).days
        if days <= debrief_within_days:
            within[slot] += 1
        else:
            late[slot] += 1
    return [month_label(k) for k in keys], within, late


AGE_BUCKETS = (("under\n1 week", 7), ("1–4\nweeks", 28), ("1–3\nmonths", 91), ("over 3\nmonths", None))
"""(label, days below which an age falls in the bucket); a newline is where a narrow chart breaks the label."""


def open_actions_by_age(rows: Sequence[Row], today: date) -> tuple[list[str], dict[str, list[int]]]:
    """Open action items by age (days since first seen), split into past due, not yet due, no due date."""
    series = {"past due": [0] * len(AGE_BUCKETS), "not yet due": [0] * len(AGE_BUCKETS),
              "no due date": [0] * len(AGE_BUCKETS)}
    for row in rows:
        for action in row.actions:
            if action.done or action.declined or not action.first_seen:
                continue  # declined: nothing is awaited of it, so it is neither past due nor due later
            age = (today - date.fromisoformat(action.first_seen)).days
            slot = next(i for i, (_, limit) in enumerate(AGE_BUCKETS) if limit is None or age < limit)
            kind = "no due date" if not action.due else "past due" if action.past_due(today) else "not yet due"
            series[kind][slot] += 1
    return [label for label, _ in AGE_BUCKETS], series


def actions_over_time(issues: Iterable[tuple[date, date | None]], today: date,
                      weeks: int = 12) -> tuple[list[str], list[int], list[int]]:
    """Open and closed post-mortem actions at the end of each of the last ``weeks`` weeks.

    ``issues`` are (created, resolved-or-None) dates, straight from Jira.
    """
    ends = [today - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    issues = list(issues)
    open_counts = [sum(1 for c, r in issues if c <= end and (r is None or r > end)) for end in ends]
    closed_counts = [sum(1 for c, r in issues if r is not None and r <= end) for end in ends]
    return [f"{end.day} {end:%b}" for end in ends], open_counts, closed_counts


def findings_by_day(runs: Sequence[Any], days: int = 14, kinds_limit: int = 5,
                    zone: tzinfo | None = None) -> tuple[list[str], dict[str, list[int]]]:
    """Findings by kind at each of the last ``days`` audit days (oldest first).

    A day is represented by its last full audit (findings are a state, not events: summing two runs
    of one day would double them). The ``kinds_limit`` most common kinds keep their own series, the
    rest are summed as "other".
    """
    last_of_day: dict[date, Any] = {}
    for run in sorted(runs, key=lambda r: r.started_at):
        last_of_day[(run.started_at.astimezone(zone) if zone else run.started_at).date()] = run
    chosen = [last_of_day[d] for d in sorted(last_of_day)][-days:]
    totals: dict[str, int] = {}
    for run in chosen:
        for kind, count in run.by_kind.items():
            totals[kind] = totals.get(kind, 0) + count
    ranked = sorted(totals, key=lambda k: -totals[k])
    kinds, rest = ranked[:kinds_limit], ranked[kinds_limit:]
    if len(rest) == 1:
        kinds, rest = ranked, []
    series = {k: [run.by_kind.get(k, 0) for run in chosen] for k in kinds}
    if rest:
        series["other"] = [sum(run.by_kind.get(k, 0) for k in rest) for run in chosen]
    return [f"{day.day} {day:%b}" for day in sorted(last_of_day)[-days:]], series
