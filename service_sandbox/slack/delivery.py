"""The sandbox's Slack calls the app back, as Slack does: slash commands and button clicks, signed.

A real Slack app has a request URL for its slash command and one for interactivity, and Slack
signs every request with the app's signing secret (``X-Slack-Signature: v0=`` HMAC-SHA256 of
``v0:<timestamp>:<body>``, https://docs.slack.dev/authentication/verifying-requests-from-slack).
``POST /_sandbox/slack/app`` ``{"commands_url", "interactions_url", "signing_secret"}`` sets them
(``wikibot serve`` does it for the embedded sandbox); the web view's command box and buttons then
send exactly what Slack would: an ``application/x-www-form-urlencoded`` slash-command body, and a
``payload=`` block_actions JSON for a click. An ephemeral answer to a command is kept as an
ephemeral message to the person, as Slack shows it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Blueprint, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response

from service_sandbox.slack import store as db
from service_sandbox.slack.store import SlackError

delivery = Blueprint("slack_delivery", __name__)
app_controls = Blueprint("slack_app_controls", __name__)


@dataclass
class AppSettings:
    commands_url: str = ""
    interactions_url: str = ""
    signing_secret: str = ""


def settings() -> AppSettings:
    return current_app.extensions["sandbox_slack"].app


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


@app_controls.post("/app")
def configure() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in
                                             ("commands_url", "interactions_url", "signing_secret")):
        return jsonify({"error": "commands_url, interactions_url and signing_secret (strings) are required"}), 400
    app = settings()
    app.commands_url, app.interactions_url = body["commands_url"], body["interactions_url"]
    app.signing_secret = body["signing_secret"]
    return jsonify({"commands_url": app.commands_url, "interactions_url": app.interactions_url})


def _send(url: str, body: str) -> requests.Response | None:
    try:
        return requests.post(url, data=body, headers=sign(settings().signing_secret, body), timeout=5)
    except requests.RequestException:
        current_app.logger.warning("the Slack app at %s did not answer", url)
        return None


@delivery.post("/archives/<channel_id>/command")
def command(channel_id: str) -> Response:
    store = current_app.extensions["sandbox"].store
    user, line = request.form.get("user", ""), request.form.get("text", "").strip()
    name, _, text = line.partition(" ")
    with store.read() as conn:
        try:
            channel = db.channel(conn, channel_id)
            person = db.user(conn, user)
        except SlackError:
            return Response("unknown channel or user", status=400)
    if name != "/postmortem" or not settings().commands_url:
        return redirect(f"/slack/archives/{channel_id}")
    body = urlencode({"token": "deprecated", "team_id": db.TEAM_ID, "team_domain": "sandbox",
                      "channel_id": channel["id"], "channel_name": channel["name"], "user_id": person["id"],
                      "user_name": person["name"], "command": name, "text": text,
                      "response_url": request.host_url + "slack/commands/response",
                      "trigger_id": f"{int(time.time())}.sandbox", "api_app_id": "A0WIKIBOT"})
    answer = _send(settings().commands_url, body)
    reply = _reply_text(answer)
    if reply:
        with store.tx() as conn:
            db.post(store, conn, channel["id"], db.BOT_USER_ID, reply, ephemeral_to=person["id"])
    return redirect(f"/slack/archives/{channel_id}")


def _reply_text(answer: requests.Response | None) -> str | None:
    if answer is None:
        return "The app did not answer (is wikibot running?)."
    if answer.status_code != 200:
        return f"The app answered HTTP {answer.status_code}."
    if not answer.content:
        return None
    try:
        data = answer.json()
    except ValueError:
        return answer.text[:500]
    return data.get("text") if isinstance(data, dict) else None


@delivery.post("/archives/<channel_id>/click")
def click(channel_id: str) -> Response:
    store = current_app.extensions["sandbox"].store
    ts, user = request.form.get("ts", ""), request.form.get("user", "")
    action_id, _, value = request.form.get("pick", "").partition("\x1f")
    with store.read() as conn:
        row = conn.execute("SELECT * FROM slack_messages WHERE channel = ? AND ts = ?", (channel_id, ts)).fetchone()
        try:
            person = db.user(conn, user)
        except SlackError:
            person = None
    if row is None or person is None or not settings().interactions_url:
        return redirect(f"/slack/archives/{channel_id}")
    blocks = json.loads(row["blocks"] or "[]")
    element, block_id = _element(blocks, action_id, value)
    if element is None:
        return Response("no such button", status=400)
    state = {b["block_id"]: {b["element"]["action_id"]: {"type": b["element"]["type"],
                                                         "value": request.form.get(f"input:{b['block_id']}") or None}}
             for b in blocks if b.get("type") == "input" and b.get("block_id") and b.get("element")}
    payload = {"type": "block_actions", "user": {"id": person["id"], "username": person["name"],
                                                 "team_id": db.TEAM_ID},
               "api_app_id": "A0WIKIBOT", "team": {"id": db.TEAM_ID, "domain": "sandbox"},
               "channel": {"id": channel_id}, "container": {"type": "message", "message_ts": ts},
               "message": {"ts": ts, "text": row["text"], "blocks": blocks}, "state": {"values": state},
               "response_url": request.host_url + "slack/actions/response", "trigger_id": f"{int(time.time())}.sandbox",
               "actions": [{**element, "block_id": block_id, "action_ts": f"{time.time():.6f}"}]}
    _send(settings().interactions_url, urlencode({"payload": json.dumps(payload)}))
    return redirect(f"/slack/archives/{channel_id}")


def _element(blocks: list[Any], action_id: str, value: str) -> tuple[dict[str, Any] | None, str]:
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id and str(element.get("value", "")) == value:
                return element, str(block.get("block_id") or "actions")
    return None, ""
