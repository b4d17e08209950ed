"""CSRF protection for HTML forms: a random token kept in the signed session cookie.

The signing key is stored in wikibot's database, so every replica accepts every other's tokens.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

FIELD = "csrf_token"


def token() -> str:
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def check() -> None:
    """Abort with 400 unless the form carries this session's token."""
    expected = session.get(FIELD)
    given = request.form.get(FIELD, "")
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        abort(400, description="The form expired or was not sent from wikibot (CSRF check failed). "
                               "Reload and try again.")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = token
