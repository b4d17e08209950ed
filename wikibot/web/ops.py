"""Operations endpoints and per-request instrumentation: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from wikibot.errors import WikibotError
from wikibot.web.context import services

bp = Blueprint("ops", __name__)

# A service that answered this recently counts as up without a new probe.
RECENT_SECONDS = 300


@bp.get("/healthz")
def healthz():
    """The process is up and serving requests."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers, and Confluence and Jira answered recently."""
    svc = services()
    checks: dict[str, str] = {}
    try:
        svc.db.ping()
        checks["database"] = "ok"
    except SQLAlchemyError as exc:  # the database does not answer: not ready; a bug is a 500 with its traceback
        checks["database"] = f"error: {type(exc).__name__}"
    probes = {
        "confluence": lambda: svc.confluence.probe(),
        "jira": lambda: svc.jira.myself(),
    }
    for service, probe in probes.items():
        if svc.metrics.answered_within(service, RECENT_SECONDS):
            checks[service] = "ok"
            continue
        try:
            probe()
            checks[service] = "ok"
        except WikibotError as exc:  # not ready; a bug is a 500 with its traceback
            checks[service] = f"error: {type(exc.__cause__ or exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    return Response(services().metrics.render(), mimetype="text/plain; version=0.0.4")


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "<unmatched>"
        metrics = services().metrics
        metrics.requests.labels(route=route, method=request.method, status=str(response.status_code)).inc()
        if route.startswith("/hooks/") and "started" in g:
            metrics.webhook_latency.labels(route=route).observe(time.perf_counter() - g.started)
        return response
