"""The headline figures a manager asks for, computed from the audit's record of every post-mortem.

Pure: the latest audit snapshot (``wikibot.dashboard_rows.Row``), the pages shared, today's date and the
debrief target in, :class:`Figure` values out. The dashboard shows them, ``/metrics`` exports them
and ``wikibot audit --format json`` includes them; the definitions below are what the dashboard
shows on hover and what the README lists, so the three never disagree.

"This quarter's post-mortems" are those whose incident date (the "Incident date" property, else
the page's creation day) falls in the current calendar quarter, in ``audit.timezone``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from statistics import median
from typing import Any

from wikibot.dashboard_rows import Row


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | None
    """The number itself (a ratio 0–1 for percentages); None when there is nothing to count yet."""
    display: str
    detail: str
    definition: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFINITIONS = {
    "debriefed_within_target": (
        "Debriefed on time", "Of this quarter's post-mortems whose debrief is due by now (incident date + "
        "postmortem.debrief_within_days) or already held, the share whose debrief was held within "
        "debrief_within_days days of the incident. The debrief day is the page's “Debrief held” date, else "
        "the day the audit first saw its Status Debriefed or Published."),
    "median_days_to_debrief": (
        "Incident → debrief", "Median number of days from the incident date to the debrief, over this "
        "quarter's post-mortems that have been debriefed."),
    "actions_past_due": (
        "Actions past due", "Open action items (not done on the page, not Done in Jira, and not declined as "
        "Not doing) whose due date (Jira's, else the page's) is before today, over every post-mortem."),
    "median_open_action_age_days": (
        "Age of open actions", "Median number of days since the audit first saw each open action item on its "
        "page (items already there at a page's first audit count from the page's creation)."),
    "postmortems_shared": (
        "Shared", "This quarter's post-mortems whose summary wikibot posted to the company channel "
        "(notify.share_webhook_url: on publishing, or by wikibot share)."),
}


def quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def quarter_name(today: date) -> str:
    return f"Q{(today.month - 1) // 3 + 1} {today.year}"


def this_quarter(rows: Sequence[Row], today: date) -> list[Row]:
    """The post-mortems whose incident happened this quarter, up to today."""
    start = quarter_start(today)
    return [r for r in rows if r.incident_date and start <= date.fromisoformat(r.incident_date) <= today]


def days_to_debrief(row: Row) -> int | None:
    if not row.debrief_held or not row.incident_date:
        return None
    return (date.fromisoformat(row.debrief_held) - date.fromisoformat(row.incident_date)).days


def headline_figures(rows: Sequence[Row], shared: Collection[str], today: date,
                     debrief_within_days: int) -> list[Figure]:
    """The five headline figures, in the order the dashboard shows them."""
    quarter = this_quarter(rows, today)
    name = quarter_name(today)

    def figure(key: str, value: float | None, display: str, detail: str) -> Figure:
        label, definition = DEFINITIONS[key]
        return Figure(key, label, value, display, detail, definition.replace(
            "debrief_within_days days", f"{debrief_within_days} days"))

    due = [r for r in quarter if r.debrief_held or  # every row of the quarter has an incident date
           (r.incident_date and (today - date.fromisoformat(r.incident_date)).days > debrief_within_days)]
    on_time = [r for r in due if (days := days_to_debrief(r)) is not None and days <= debrief_within_days]
    ratio = len(on_time) / len(due) if due else None
    spans = [d for d in (days_to_debrief(r) for r in quarter) if d is not None]
    middle = float(median(spans)) if spans else None
    open_actions = [a for r in rows for a in r.actions if not a.done]
    past_due = [a for a in open_actions if a.past_due(today)]
    ages = [(today - date.fromisoformat(a.first_seen)).days for a in open_actions if a.first_seen]
    age = float(median(ages)) if ages else None
    shared_now = [r for r in quarter if r.page_id in shared]
    return [
        figure("debriefed_within_target", ratio, f"{ratio:.0%}" if ratio is not None else "—",
               f"{len(on_time)} of {len(due)} due in {name} · target {debrief_within_days} days"),
        figure("median_days_to_debrief", middle, _days(middle),
               f"median of {len(spans)} debrief{'s' if len(spans) != 1 else ''} in {name}"),
        figure("actions_past_due", float(len(past_due)), str(len(past_due)), f"of {len(open_actions)} open actions"),
        figure("median_open_action_age_days", age, _days(age),
               f"median over {len(ages)} open action{'s' if len(ages) != 1 else ''}"),
        figure("postmortems_shared", float(len(shared_now)), str(len(shared_now)),
               f"of {len(quarter)} post-mortem{'s' if len(quarter) != 1 else ''} in {name}"),
    ]


def _days(value: float | None) -> str:
    if value is None:
        return "—"
    text = f"{value:g}"
    return f"{text} day{'s' if value != 1 else ''}"
