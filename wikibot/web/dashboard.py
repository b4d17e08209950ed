"""``GET /``: the dashboard managers look at weekly; buttons to run the audit or the sync now, and
to record a debrief on its page."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from wikibot.audit.kinds import kind_label
from wikibot.audit.rules import local_today
from wikibot.dashboard_rows import (
    Row,
    actions_over_time,
    debriefs_by_month,
    findings_by_day,
    open_actions_by_age,
    rows_from_snapshot,
    select_rows,
)
from wikibot.errors import WikibotError
from wikibot.figures import Figure
from wikibot.scheduler import JobRunner, job_specs
from wikibot.services import Services
from wikibot.store.snapshots import DashboardStore
from wikibot.web import csrf
from wikibot.web.charts import Chart, Series, bar_chart, line_chart
from wikibot.web.context import services

log = logging.getLogger(__name__)
bp = Blueprint("dashboard", __name__)
bp.add_app_template_filter(kind_label, "kind_label")

JIRA_CACHE_SECONDS = 60
RUNNABLE = ("audit", "sync")
GREEN, LATE, BLUE, GREY = "#009e73", "#d55e00", "#0072b2", "#8c8c8c"


def _figures(svc: Services) -> list[Figure]:
    return DashboardStore(svc.db.engine).figures(local_today(svc.config), svc.config.postmortem.debrief_within_days)


@bp.record_once
def _export_figures(state: BlueprintSetupState) -> None:
    """Let ``/metrics`` export the headline figures, read from the database at each scrape."""
    svc = state.app.extensions["wikibot"]
    svc.metrics.export_figures(lambda: _figures(svc))


T = TypeVar("T")


def _cached(name: str, load: Callable[[], T]) -> tuple[T | None, str | None]:
    """Jira answers cached for a minute per app, so a busy dashboard is not a Jira load test."""
    cache = services().__dict__.setdefault("_dashboard_cache", {})
    hit = cache.get(name)
    if hit and time.monotonic() - hit[0] < JIRA_CACHE_SECONDS:
        return hit[1], None
    try:
        value = load()
    except WikibotError as exc:  # the dashboard shows what it can; the rest is a notice, not a 500
        log.warning("dashboard: %s unavailable: %s", name, exc)
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


def charts(rows: list[Row], history: list[tuple[date, date | None]], runs: list[Any], today: date,
           within_days: int, zone: tzinfo) -> list[Markup]:
    """The four trend charts, each with its title and a caption saying what it counts."""
    months, within, late = debriefs_by_month(rows, within_days, today)
    days, by_kind = findings_by_day(runs, zone=zone)
    buckets, by_due = open_actions_by_age(rows, today)
    weeks, open_counts, closed_counts = actions_over_time(history, today)
    return [
        bar_chart(Chart("debriefs", "Debriefs per month",
                        f"Post-mortems by the month of their debrief ({_month_range(today, len(months))}): "
                        f"held within {within_days} days of the incident, or later."), months,
                  [Series(f"within {within_days} days", within, GREEN), Series("later", late, LATE)]),
        bar_chart(Chart("findings", "Audit findings per day",
                        "What the last full audit of each day found, by kind, over every post-mortem."), days,
                  [Series("Other" if kind == "other" else kind_label(kind), counts)
                   for kind, counts in by_kind.items()]),
        bar_chart(Chart("action-age", "Open actions by age",
                        "Open action items by how long ago the audit first saw them, and whether past due."),
                  buckets, [Series("past due", by_due["past due"], LATE),
                            Series("not yet due", by_due["not yet due"], BLUE),
                            Series("no due date", by_due["no due date"], GREY)]),
        line_chart(Chart("actions", "Actions open and closed",
                         "Jira issues labelled post-mortem, open and closed at the end of each week."), weeks,
                   [Series("open", open_counts, LATE), Series("closed", closed_counts, GREEN)]),
    ]


def _month_range(today: date, months: int) -> str:
    first = date(today.year - (1 if today.month <= months - 1 else 0), (today.month - months) % 12 + 1, 1)
    return f"{first:%b %Y} – {today:%b %Y}"


@bp.get("/")
def index() -> ResponseReturnValue:
    from wikibot.store.audits import recent_runs
    from wikibot.sync.actions import outstanding_actions

    svc = services()
    zone = ZoneInfo(svc.config.audit.timezone)
    today = local_today(svc.config)
    within_days = svc.config.postmortem.debrief_within_days
    store = DashboardStore(svc.db.engine)
    taken_at, snapshot = store.latest()
    all_rows = rows_from_snapshot(snapshot)
    sort = request.args.get("sort", "age_days")
    default_dir = "desc" if sort in ("age_days", "findings", "actions_overdue") else "asc"
    descending = request.args.get("dir", default_dir) == "desc"
    rows = select_rows(all_rows, sort=sort, descending=descending, status=request.args.get("status", ""),
                       query=request.args.get("q", ""))
    actions, actions_notice = _cached("outstanding actions",
                                      lambda: outstanding_actions(svc.jira, svc.confluence.url, today))
    history, history_notice = _cached("action history", _action_history)
    statuses = sorted({r.status for r in all_rows if r.status})
    return render_template(
        "dashboard.html", rows=rows, total=len(all_rows), taken_at=taken_at, sort=sort, descending=descending,
        statuses=statuses, status=request.args.get("status", ""), q=request.args.get("q", ""),
        actions=actions or [], notices=[n for n in (actions_notice, history_notice) if n],
        charts=charts(all_rows, history or [], recent_runs(svc.db, 60), today, within_days, zone),
        figures=_figures(svc) if taken_at else [],
        started=request.args.get("started"), today=today, within_days=within_days,
    )


@bp.post("/postmortems/<page_id>/debriefed")
def mark_debriefed(page_id: str) -> ResponseReturnValue:
    """Record the debrief on the page ("Debrief held"), then show it on the dashboard at once."""
    from wikibot.debrief import mark_debriefed as mark

    csrf.check()
    svc = services()
    store = DashboardStore(svc.db.engine)
    _, snapshot = store.latest()
    row = next((r for r in snapshot if r["page_id"] == page_id), None)
    if row is None:  # only post-mortems the audit listed, never an arbitrary page id
        abort(404, description="No such post-mortem in the latest audit.")
    today = local_today(svc.config)
    try:
        held = date.fromisoformat(request.form.get("held") or today.isoformat())
    except ValueError:
        flash(f"“{request.form.get('held')}” is not a date (YYYY-MM-DD).", "alert")
        return redirect(url_for("dashboard.index"), code=303)
    if held > today:
        flash("The debrief cannot be recorded for a day that has not come yet.", "alert")
        return redirect(url_for("dashboard.index"), code=303)
    try:
        marked = mark(svc.confluence, page_id, held, by=g.get("user"))
    except WikibotError as exc:
        flash(str(exc), "alert")
        return redirect(url_for("dashboard.index"), code=303)
    store.update_row(page_id, debrief_held=marked.held.isoformat(), debrief_from="page", debrief_overdue=False)
    flash(f"Recorded on “{row['title']}”: debrief held {marked.held.isoformat()}."
          if marked.changed else f"“{row['title']}” already said so: debrief held {marked.held.isoformat()}.", "notice")
    return redirect(url_for("dashboard.index"), code=303)


@bp.post("/run/<job>")
def run_now(job: str) -> ResponseReturnValue:
    """Start the audit or the sync in the background (one at a time across replicas), then come back."""
    csrf.check()
    if job not in RUNNABLE:
        return redirect(url_for("dashboard.index"), code=303)
    svc = services()
    spec = next(s for s in job_specs(svc.config) if s.name == job)
    threading.Thread(target=JobRunner(svc).run_now, args=(spec,), name=f"run-{job}", daemon=True).start()
    return redirect(url_for("dashboard.index", started=job), code=303)
