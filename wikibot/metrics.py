"""Prometheus metrics, one registry per ``Services`` (tests build many apps in one process).

External calls are counted by the transport adapter (``wikibot.atlassian.transport``) through
``record_call``, including those that never got an answer; it also remembers when each service
last answered, which ``/readyz`` uses. Labels are route templates and service names, never raw paths.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("wikibot_http_requests_total", "HTTP requests served", ["route", "method", "status"],
                                registry=r)
        self.webhook_latency = Histogram("wikibot_webhook_seconds", "Webhook handling time", ["route"], registry=r,
                                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.pages_created = Counter("wikibot_pages_created_total", "Post-mortem pages created", registry=r)
        self.issues_synced = Counter("wikibot_issues_synced_total", "Jira issues created by the sync", registry=r)
        self.findings = Gauge("wikibot_audit_findings", "Findings of the latest audit", ["kind"], registry=r)
        self.external_calls = Counter("wikibot_external_calls_total", "Calls to Confluence and Jira",
                                      ["service", "outcome"], registry=r)
        self.job_runs = Counter("wikibot_job_runs_total", "Scheduled job runs", ["job", "status"], registry=r)
        self.circuit_open = Gauge("wikibot_circuit_open", "1 while calls to the service are suspended",
                                  ["service"], registry=r)
        self._last_ok: dict[str, float] = {}
        self._figures: FiguresCollector | None = None
        self._lock = threading.Lock()

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def export_figures(self, load: Callable[[], Sequence[Any]]) -> None:
        """Export the headline figures ``load`` returns (once per registry; later calls are ignored)."""
        with self._lock:
            if self._figures is None:
                self._figures = FiguresCollector(load)
                self.registry.register(self._figures)

    # -- external calls -----------------------------------------------------------------------
    def record_call(self, service: str, status: int | None) -> None:
        outcome = "error" if status is None else ("ok" if status < 400 else str(status))
        self.external_calls.labels(service=service, outcome=outcome).inc()
        if status is not None and status < 500:
            with self._lock:
                self._last_ok[service] = time.monotonic()

    def answered_within(self, service: str, seconds: float) -> bool:
        with self._lock:
            last = self._last_ok.get(service)
        return last is not None and time.monotonic() - last <= seconds

    # -- jobs ---------------------------------------------------------------------------------
    def record_job(self, job: str, summary: dict[str, Any] | None, error: str | None) -> None:
        self.job_runs.labels(job=job, status="error" if error else "ok").inc()
        if not summary:
            return
        if job == "sync" and isinstance(summary.get("created"), int):
            self.issues_synced.inc(summary["created"])
        if job == "audit" and isinstance(summary.get("findings_by_kind"), dict):
            self.findings.clear()
            for kind, count in summary["findings_by_kind"].items():
                self.findings.labels(kind=kind).set(count)


FIGURE_METRICS = {
    # figure key -> (metric name, help); the help is the dashboard's short label, the README has the definition
    "debriefed_within_target": ("wikibot_postmortems_debriefed_within_target_ratio",
                                "Share of this quarter's post-mortems due a debrief that had it within the target"),
    "median_days_to_debrief": ("wikibot_postmortem_debrief_median_days",
                               "Median days from incident to debrief, this quarter's post-mortems"),
    "actions_past_due": ("wikibot_postmortem_actions_past_due", "Open post-mortem actions past their due date"),
    "median_open_action_age_days": ("wikibot_postmortem_open_action_median_age_days",
                                    "Median age in days of open post-mortem actions"),
    "postmortems_shared": ("wikibot_postmortems_shared", "This quarter's post-mortems shared to the company channel"),
}


class FiguresCollector:
    """Exports the headline figures (``wikibot.figures``), computed from the database at each scrape,
    so every replica reports the same numbers whichever of them ran the audit."""

    def __init__(self, load: Callable[[], Sequence[Any]]) -> None:
        self.load = load

    def describe(self) -> list[Any]:
        return []  # no DB read at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            figures = {f.key: f for f in self.load()}
        except Exception as exc:  # noqa: BLE001 - deliberate boundary: the figures must never fail a whole scrape
            log.warning("metrics: headline figures unavailable: %s", type(exc).__name__)
            return
        for key, (name, help_text) in FIGURE_METRICS.items():
            figure = figures.get(key)
            if figure is not None and figure.value is not None:
                yield GaugeMetricFamily(name, help_text, value=figure.value)
