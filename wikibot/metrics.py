"""Prometheus metrics, one registry per ``Services`` (tests build many apps in one process).

External calls are counted by a ``requests`` transport adapter mounted on each client's
session, so every Confluence and Jira request — the library's and ours — is seen, including
those that never got an answer. The adapter also remembers when each service last answered,
which ``/readyz`` uses. Labels are route templates and service names, never raw paths.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from requests.adapters import HTTPAdapter


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("wikibot_http_requests_total", "HTTP requests served", ["route", "method", "status"], registry=r)
        self.webhook_latency = Histogram("wikibot_webhook_seconds", "Webhook handling time", ["route"], registry=r,
                                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.pages_created = Counter("wikibot_pages_created_total", "Post-mortem pages created", registry=r)
        self.issues_synced = Counter("wikibot_issues_synced_total", "Jira issues created by the sync", registry=r)
        self.findings = Gauge("wikibot_audit_findings", "Findings of the latest audit", ["kind"], registry=r)
        self.external_calls = Counter("wikibot_external_calls_total", "Calls to Confluence and Jira",
                                      ["service", "outcome"], registry=r)
        self.job_runs = Counter("wikibot_job_runs_total", "Scheduled job runs", ["job", "status"], registry=r)
        self._last_ok: dict[str, float] = {}
        self._lock = threading.Lock()

    def render(self) -> bytes:
        return generate_latest(self.registry)

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

    def instrument(self, client: Any, service: str) -> None:
        """Count every request ``client`` (an atlassian-python-api object) makes."""
        adapter = _CountingAdapter(self, service)
        client._session.mount("http://", adapter)
        client._session.mount("https://", adapter)

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


class _CountingAdapter(HTTPAdapter):
    def __init__(self, metrics: Metrics, service: str) -> None:
        super().__init__()
        self._metrics = metrics
        self._service = service

    def send(self, request, **kwargs):  # noqa: ANN001, ANN201 - requests' own signature
        try:
            response = super().send(request, **kwargs)
        except Exception:
            self._metrics.record_call(self._service, None)
            raise
        self._metrics.record_call(self._service, response.status_code)
        return response
