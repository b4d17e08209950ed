"""wikibot's web app: an application factory, blueprints, no global state.

``create_app(config)`` builds everything from the configuration (or from ready ``Services`` in
tests). It starts nothing: no scheduler, no threads — the ``serve`` command does that.
"""

from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from wikibot.config import Config
from wikibot.services import Services
from wikibot.web import access, confluence_hook, csrf, dashboard, error_handlers, forms, hooks, openapi, ops, slack

# Webhook bodies are small JSON documents; anything bigger is refused with 413 before parsing.
MAX_BODY_BYTES = 256 * 1024


def create_app(config: Config, services: Services | None = None) -> Flask:
    services = services or Services(config)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SECRET_KEY=services.db.secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        TRUSTED_HOSTS=config.server.trusted_hosts or None,
    )
    if isinstance(app.json, DefaultJSONProvider):
        app.json.sort_keys = False  # answers keep the order we build them in
    app.extensions["wikibot"] = services
    # Validate templates now, so a broken one stops startup rather than the first webhook.
    services.templates  # noqa: B018
    ops.init_app(app)
    access.init_app(app)
    csrf.init_app(app)
    error_handlers.init_app(app)
    app.register_blueprint(ops.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(forms.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(confluence_hook.bp)
    app.register_blueprint(slack.bp)
    return app
