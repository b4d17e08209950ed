"""``POST /hooks/postmortem``: create a post-mortem from an incident tool or a Jira automation rule."""

from __future__ import annotations

import json
import logging

from typing import Any

from flask import Blueprint, Response, request

from wikibot.create import CreationInProgress
from wikibot.errors import ServiceError
from wikibot.incident import InvalidInput, parse_incident
from wikibot.web import auth
from wikibot.web.context import services
from wikibot.web.errors import json_error

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__, url_prefix="/hooks")


def webhook_secrets() -> list[str]:
    """Every secret a webhook may currently use (the current one, and the previous during a rotation)."""
    return services().config.webhook.secrets()


def authenticate() -> tuple[Response, int] | None:
    """Rate-limit the source, then check the token or signature on the raw body (before parsing)."""
    webhook = services().config.webhook
    if not services().rate_limiter.allow(request.remote_addr or "?", webhook.rate_limit_per_minute):
        response, status = json_error(429, "too many webhook calls from this address; slow down")
        response.headers["Retry-After"] = "60"
        return response, status
    if not auth.verify(request.headers, request.get_data(cache=True), webhook_secrets()):
        return json_error(401, "missing or invalid X-Wikibot-Token / X-Wikibot-Signature")
    return None


def read_webhook() -> tuple[Any, tuple[Response, int] | None]:
    """Every webhook's front door: rate limit, authenticate the raw bytes, then parse JSON.

    Returns ``(payload, None)``, or ``(None, error response)`` to return as is.
    """
    refused = authenticate()
    if refused is not None:
        return None, refused
    if request.mimetype != "application/json":
        return None, json_error(415, "send the body as application/json")
    try:
        return json.loads(request.get_data(cache=True)), None
    except (ValueError, UnicodeDecodeError):
        return None, json_error(400, "body is not valid JSON")


@bp.post("/postmortem")
def postmortem():
    payload, refused = read_webhook()
    if refused is not None:
        return refused
    try:
        incident = parse_incident(payload)
    except InvalidInput as exc:
        return json_error(400, exc.summary, fields=exc.fields)
    try:
        result = services().creator.create(incident)
    except CreationInProgress as exc:
        response, status = json_error(503, str(exc))
        response.headers["Retry-After"] = "2"
        return response, status
    except ServiceError as exc:
        code = 503 if exc.status in (None, 429, 503) else 502
        log.warning("post-mortem for %s not created: %s", incident.incident_id, exc)
        response, code = json_error(code, str(exc))
        response.headers["Retry-After"] = "30"
        return response, code
    payload = {"page_id": result.page_id, "url": result.url, "title": result.title, "created": result.created}
    return payload, 201 if result.created else 200
