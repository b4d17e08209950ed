"""What the dashboard shows, as plain data: pure functions over the latest audit and Jira facts.

The nightly (or on-demand) audit leaves a *snapshot* — one row per post-mortem, with the facts a
manager scans for — in the database; the dashboard reads it instead of re-reading the wiki on
every view. Trends come from the audit-run history and from Jira's own created/resolved dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

COMPLETE_STATUSES = ("debriefed", "published", "done", "complete", "closed")
SORT_KEYS = ("title", "incident", "severity", "lead", "status", "age_days", "completeness", "debrief_due",
             "actions_open", "actions_overdue", "findings")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    findings: int
    finding_kinds: tuple[str, ...] = ()

    @property
    def completeness(self) -> float:
        return self.filled / self.required if self.required else 1.0

    @property
    def complete(self) -> bool:
        return (self.status or "").strip().lower() in COMPLETE_STATUSES


def first_date(text: str | None) -> str | None:
    match = _DATE.search(text or "")
    return match.group(0) if match else None


def snapshot_rows(pages: Iterable[Any], facts: Mapping[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Rows (as JSON-able dicts) from an audit's ``PageAudit`` objects and their ``PageFacts``."""
    rows = []
    for page in pages:
        fact = facts.get(page.page_id)
        kinds = tuple(f.kind for f in page.findings)
        items = getattr(fact, "items", ()) or ()
        prop = fact.prop if fact is not None else (lambda *names: None)
        created = page.created.date().isoformat() if page.created else None
        modified = page.modified.date().isoformat() if page.modified else None
        rows.append(asdict(Row(
            page_id=page.page_id, title=page.title, url=page.url, incident=prop("Incident", "Incident id"),
            severity=prop("Severity"), lead=page.lead, status=page.status, created=created, modified=modified,
            age_days=(now - page.created).days if page.created else None, filled=page.filled,
            required=len(page.required), debrief_due=first_date(prop("Debrief due", "Debrief date")),
            debrief_overdue="debrief_overdue" in kinds,
            actions_open=sum(1 for item in items if not item.done), actions_done=sum(1 for item in items if item.done),
            actions_overdue=kinds.count("overdue_action"), findings=len(kinds), finding_kinds=kinds,
        )))
    return rows


def rows_from_snapshot(data: Sequence[Mapping[str, Any]]) -> list[Row]:
    fields = Row.__dataclass_fields__
    return [Row(**{k: (tuple(v) if k == "finding_kinds" else v) for k, v in row.items() if k in fields}) for row in data]


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


def completion_by_month(rows: Sequence[Row], milestones: Mapping[str, str], debrief_within_days: int,
                        today: date, months: int = 6) -> tuple[list[str], list[int], list[int]]:
    """Per month of completion: post-mortems completed within the debrief target, and late ones.

    A page's completion date is when the audit first saw it Debriefed/Published (``milestones``);
    its start is its creation date.
    """
    labels = months_back(today, months)
    within, late = [0] * months, [0] * months
    for row in rows:
        done = milestones.get(row.page_id)
        if not done or not row.created or done[:7] not in labels:
            continue
        slot = labels.index(done[:7])
        days = (date.fromisoformat(done[:10]) - date.fromisoformat(row.created)).days
        if days <= debrief_within_days:
            within[slot] += 1
        else:
            late[slot] += 1
    return labels, within, late


def actions_over_time(issues: Iterable[tuple[date, date | None]], today: date,
                      weeks: int = 12) -> tuple[list[str], list[int], list[int]]:
    """Open and closed post-mortem actions at the end of each of the last ``weeks`` weeks.

    ``issues`` are (created, resolved-or-None) dates, straight from Jira.
    """
    ends = [today - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    issues = list(issues)
    open_counts = [sum(1 for c, r in issues if c <= end and (r is None or r > end)) for end in ends]
    closed_counts = [sum(1 for c, r in issues if r is not None and r <= end) for end in ends]
    return [end.strftime("%d %b") for end in ends], open_counts, closed_counts


def findings_over_time(runs: Sequence[Any], kinds_limit: int = 6) -> tuple[list[str], dict[str, list[int]]]:
    """Findings by kind per audit run (oldest first), for the most common kinds."""
    runs = sorted(runs, key=lambda r: r.started_at)
    totals: dict[str, int] = {}
    for run in runs:
        for kind, count in run.by_kind.items():
            totals[kind] = totals.get(kind, 0) + count
    kinds = sorted(totals, key=lambda k: -totals[k])[:kinds_limit]
    labels = [run.started_at.strftime("%d %b") for run in runs]
    return labels, {k: [run.by_kind.get(k, 0) for run in runs] for k in kinds}
