"""``POST /hooks/postmortem``: create a post-mortem from an incident tool or a Jira automation rule."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Blueprint, Response, request

from wikibot.create import CreationInProgress
from wikibot.errors import ServiceError
from wikibot.incident import InvalidInput, parse_incident
from wikibot.store import IncidentIdCollision
from wikibot.web import auth
from wikibot.web.context import services
from wikibot.web.error_handlers import json_error

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__, url_prefix="/hooks")


def webhook_secrets() -> list[str]:
    """Every secret a webhook may currently use (the current one, and the previous during a rotation)."""
    return services().config.webhook.secrets()


def authenticate() -> tuple[Response, int] | None:
    """Check the token or signature on the raw body (before parsing), then rate-limit the source.

    Failed authentications count in their own, smaller budget: behind a proxy or NAT one client
    with a wrong secret must not use up the budget of the callers that have the right one.
    """
    webhook = services().config.webhook
    source = request.remote_addr or "?"
    secrets = webhook_secrets()
    if not auth.verify(request.headers, request.get_data(cache=True), secrets):
        if not services().rate_limiter.allow("failed:" + source, webhook.failed_auth_per_minute):
            return _too_many("too many webhook calls with a wrong secret from this address; slow down")
        if not secrets:  # no sender can be right: say what the operator has to set
            return json_error(401, "webhooks are turned off here: webhook.secret is not set")
        return json_error(401, "missing or invalid X-Wikibot-Token / X-Wikibot-Signature")
    if not services().rate_limiter.allow(source, webhook.rate_limit_per_minute):
        return _too_many("too many webhook calls from this address; slow down")
    return None


def _too_many(message: str) -> tuple[Response, int]:
    response, status = json_error(429, message)
    response.headers["Retry-After"] = "60"
    return response, status


MAX_JSON_DEPTH = 32
# One pass over the tokens that matter: an escape (two bytes), a quote, a bracket.
_JSON_TOKEN = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)


def too_deep(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``raw`` JSON nests arrays/objects deeper than ``limit`` (checked before parsing, in linear time).

    Python's parser recurses once per level and dies with ``RecursionError`` a few thousand levels
    down; no incident payload needs more than a handful. Brackets inside strings do not count.
    """
    depth, in_string = 0, False
    for match in _JSON_TOKEN.finditer(raw):
        token = match.group()
        if token == b'"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def read_webhook() -> tuple[Any, tuple[Response, int] | None]:
    """Every webhook's front door: authenticate the raw bytes, rate limit, then parse JSON.

    Returns ``(payload, None)``, or ``(None, error response)`` to return as is. Nesting depth is
    bounded before the parser sees the body.
    """
    refused = authenticate()
    if refused is not None:
        return None, refused
    if request.mimetype != "application/json":
        return None, json_error(415, "send the body as application/json")
    raw = request.get_data(cache=True)
    if too_deep(raw):
        return None, json_error(400, "body is nested too deeply",
                                fields={"body": f"JSON nested deeper than {MAX_JSON_DEPTH} levels"})
    try:
        return json.loads(raw), None
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
    except IncidentIdCollision as exc:
        return json_error(409, str(exc), fields={"incident_id": f"collides with incident {exc.other_id!r}"})
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
