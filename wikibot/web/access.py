"""Optional access control for people-facing pages (``server.auth``).

``basic``: HTTP basic auth against one configured account. ``header``: a trusted reverse proxy
(SSO) authenticates people and passes their name in a header; requests without exactly one
non-empty value are refused.
Webhooks (their own secret) and the health/metrics endpoints are not behind it.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, g, request

from wikibot.web.context import services

OPEN_PREFIXES = ("/hooks/", "/healthz", "/readyz", "/metrics", "/openapi.json", "/static/")


def init_app(app: Flask) -> None:
    @app.before_request
    def _check_access() -> Response | None:
        if request.path.startswith(OPEN_PREFIXES):
            return None
        auth = services().config.server.auth
        if auth.mode == "basic":
            given = request.authorization
            expected = auth.password.get_secret_value() if auth.password else ""
            if (given is None or given.type != "basic" or given.username != auth.username
                    or not hmac.compare_digest((given.password or "").encode(), expected.encode())):
                return Response("Authentication required.", 401, {"WWW-Authenticate": 'Basic realm="wikibot"'})
            g.user = given.username
        elif auth.mode == "header":
            user = proxy_user(request.headers.getlist(auth.header))
            if user is None:
                return Response(f"Access is through the company proxy only (missing or repeated {auth.header}).",
                                403)
            g.user = user
        return None


def proxy_user(values: list[str]) -> str | None:
    """The one non-empty identity the proxy set, or ``None`` when there is none or more than one.

    A client can send its own header that a proxy then appends to; the WSGI server joins repeated
    headers with commas (``", mallory"``), so a comma means "more than one value" and is refused
    rather than guessed at.
    """
    if len(values) != 1:
        return None
    user = values[0].strip()
    return user if user and "," not in user else None
