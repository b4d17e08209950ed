"""The sandbox's Slack: a Web API emulator, test controls and a web view over one SQLite store.

``register(app)`` wires it into the sandbox app: ``/slack/api/<method>`` (bearer bot token),
``/slack/files-pri/...`` downloads, ``/slack/`` (the web view, whose command box and buttons call
the app back, signed, once ``/_sandbox/slack/app`` says where) and ``/_sandbox/slack/*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask

from service_sandbox.slack import store
from service_sandbox.slack.api import api
from service_sandbox.slack.controls import controls
from service_sandbox.slack.delivery import AppSettings, app_controls, delivery
from service_sandbox.slack.examples import seed_examples
from service_sandbox.slack.store import BOT_TOKEN
from service_sandbox.slack.webui import web

__all__ = ["BOT_TOKEN", "register"]


@dataclass
class SlackState:
    token: str
    app: AppSettings = field(default_factory=AppSettings)


def register(app: Flask, *, examples: bool = False, token: str = BOT_TOKEN) -> None:
    sandbox = app.extensions["sandbox"].store
    store.seed(sandbox)
    if examples:
        seed_examples(sandbox)
    app.extensions["sandbox_slack"] = SlackState(token=token)
    app.register_blueprint(api, url_prefix="/slack")
    app.register_blueprint(web, url_prefix="/slack")
    app.register_blueprint(delivery, url_prefix="/slack")
    app.register_blueprint(controls, url_prefix="/_sandbox/slack")
    app.register_blueprint(app_controls, url_prefix="/_sandbox/slack")
