"""``/hooks/slack/*``: the requests Slack sends the app (slash commands, button clicks), signed.

Every request's ``X-Slack-Signature`` is checked over the raw body before anything is parsed;
a bad or old one (more than 5 minutes) is a 401. Answers go back within Slack's 3 seconds: the
work itself runs in the background (see ``wikibot.slack.app``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, request

from wikibot.slack.app import SlackApp
from wikibot.web.context import services
from wikibot.web.error_handlers import json_error

log = logging.getLogger(__name__)

bp = Blueprint("slack", __name__, url_prefix="/hooks/slack")


def _app() -> tuple[SlackApp | None, tuple[Response, int] | None]:
    app = services().slack
    if app is None:
        return None, json_error(404, "the Slack app is not configured (slack.bot_token)")
    if not services().rate_limiter.allow("slack:" + (request.remote_addr or "?"),
                                         10 * services().config.webhook.rate_limit_per_minute):
        return None, json_error(429, "too many requests; slow down")
    if not app.verify(request.get_data(cache=True), dict(request.headers)):
        return None, json_error(401, "missing, invalid or expired X-Slack-Signature")
    return app, None


@bp.post("/commands")
def commands() -> Any:
    app, refused = _app()
    if refused is not None:
        return refused
    assert app is not None
    return app.command(request.form.to_dict())


@bp.post("/interactions")
def interactions() -> Any:
    app, refused = _app()
    if refused is not None:
        return refused
    assert app is not None
    try:
        payload = json.loads(request.form.get("payload", ""))
    except ValueError:
        return json_error(400, "payload is not JSON")
    if not isinstance(payload, dict):
        return json_error(400, "payload is not a JSON object")
    answer = app.interaction(payload)
    return answer if answer is not None else Response(status=200)
