"""``GET /``: the dashboard managers look at weekly; buttons to run the audit or the sync now."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from wikibot.dashboard import (
    actions_over_time,
    completion_by_month,
    findings_over_time,
    rows_from_snapshot,
    select_rows,
)
from wikibot.scheduler import JobRunner, job_specs
from wikibot.store.dashboard import DashboardStore
from wikibot.web import csrf
from wikibot.web.charts import Series, bar_chart, line_chart
from wikibot.web.context import services

log = logging.getLogger(__name__)
bp = Blueprint("dashboard", __name__)

JIRA_CACHE_SECONDS = 60
RUNNABLE = ("audit", "sync")


def _cached(name: str, load: Any) -> tuple[Any, str | None]:
    """Jira answers cached for a minute per app, so a busy dashboard is not a Jira load test."""
    cache = services().__dict__.setdefault("_dashboard_cache", {})
    hit = cache.get(name)
    if hit and time.monotonic() - hit[0] < JIRA_CACHE_SECONDS:
        return hit[1], None
    try:
        value = load()
    except Exception as exc:  # the dashboard shows what it can; the rest is a notice, not a 500
        log.warning("dashboard: %s unavailable: %s", name, type(exc).__name__)
        return (hit[1] if hit else None), f"{name} could not be read from Jira just now"
    cache[name] = (time.monotonic(), value)
    return value, None


def _action_history() -> list[tuple[date, date | None]]:
    jql = 'labels = "post-mortem" ORDER BY created ASC'
    history = []
    for issue in services().jira.search(jql, ("created", "resolutiondate")):
        fields = issue.get("fields") or {}
        created = (fields.get("created") or "")[:10]
        resolved = (fields.get("resolutiondate") or "")[:10]
        if created:
            history.append((date.fromisoformat(created), date.fromisoformat(resolved) if resolved else None))
    return history


@bp.get("/")
def index():
    from wikibot.store.audits import recent_runs
    from wikibot.sync.actions import outstanding_actions

    svc = services()
    today = datetime.now(UTC).date()
    taken_at, snapshot = DashboardStore(svc.db.engine).latest()
    all_rows = rows_from_snapshot(snapshot)
    sort = request.args.get("sort", "age_days")
    descending = request.args.get("dir", "desc" if sort in ("age_days", "findings", "actions_overdue") else "asc") == "desc"
    rows = select_rows(all_rows, sort=sort, descending=descending, status=request.args.get("status", ""),
                       query=request.args.get("q", ""))
    actions, actions_notice = _cached("outstanding actions", lambda: outstanding_actions(svc, today))
    history, history_notice = _cached("action history", _action_history)

    months, within, late = completion_by_month(all_rows, DashboardStore(svc.db.engine).milestones(),
                                               svc.config.postmortem.debrief_within_days, today)
    weeks, open_counts, closed_counts = actions_over_time(history or [], today)
    run_labels, by_kind = findings_over_time(recent_runs(svc.db, 30))
    charts = {
        "completion": bar_chart("Post-mortems completed per month", months,
                                [Series("within the debrief target", within, "#36b37e"), Series("late", late, "#de350b")],
                                "Post-mortems that reached Debriefed or Published, by month, and whether within target"),
        "actions": line_chart("Post-mortem actions", weeks, [Series("open", open_counts), Series("closed", closed_counts)],
                              "Open and closed post-mortem actions at the end of each week"),
        "findings": line_chart("Audit findings by kind", run_labels,
                               [Series(kind, counts) for kind, counts in by_kind.items()],
                               "Findings of each nightly audit, by kind"),
    }
    statuses = sorted({r.status for r in all_rows if r.status})
    return render_template(
        "dashboard.html", rows=rows, total=len(all_rows), taken_at=taken_at, sort=sort, descending=descending,
        statuses=statuses, status=request.args.get("status", ""), q=request.args.get("q", ""),
        actions=actions or [], notices=[n for n in (actions_notice, history_notice) if n], charts=charts,
        started=request.args.get("started"), today=today,
    )


@bp.post("/run/<job>")
def run_now(job: str):
    """Start the audit or the sync in the background (one at a time across replicas), then come back."""
    csrf.check()
    if job not in RUNNABLE:
        return redirect(url_for("dashboard.index"), code=303)
    svc = services()
    spec = next(s for s in job_specs(svc.config) if s.name == job)
    threading.Thread(target=JobRunner(svc).run_now, args=(spec,), name=f"run-{job}", daemon=True).start()
    return redirect(url_for("dashboard.index", started=job), code=303)
