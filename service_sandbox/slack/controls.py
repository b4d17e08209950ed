"""``/_sandbox/slack/*``: seed channels and messages, list what is there (no auth, test tooling).

* ``POST /_sandbox/slack/channels`` ``{"name", "topic"?, "bot_member"?}`` → ``{"id"}``
* ``GET /_sandbox/slack/users`` → the seeded people: ``id``, ``name``, ``email``, ``tz``
* ``POST /_sandbox/slack/messages`` ``{"channel", "user", "text", "ts"?, "thread_ts"?, "pinned"?,
  "reactions"?, "files"?: [{"name", "mimetype", "content_base64", "title"?}]}`` → ``{"ts", "permalink"}``
* ``GET /_sandbox/slack/messages?channel=C...`` (or ``?user=U...`` for the DM with that person) →
  every message, ephemeral ones and what wikibot posted included, oldest first.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from service_sandbox.slack import shapes
from service_sandbox.slack import store as db
from service_sandbox.slack.api import base_url
from service_sandbox.slack.store import NewFile, SlackError

controls = Blueprint("slack_controls", __name__)


def _store() -> Any:
    return current_app.extensions["sandbox"].store


def _bad(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@controls.post("/channels")
def create_channel() -> Any:
    body = _body()
    name = body.get("name")
    topic = body.get("topic", "")
    if not isinstance(name, str) or not name.strip() or not isinstance(topic, str):
        return _bad("name (a string) is required; topic must be a string")
    # Slack channel names: lower case, no spaces or periods, at most 80 characters.
    name = name.strip().lstrip("#")
    if name != name.lower() or any(ch in name for ch in " .") or len(name) > 80:
        return _bad("invalid channel name (lower case, no spaces or periods, at most 80 characters)")
    store = _store()
    try:
        with store.tx() as conn:
            channel_id = db.create_channel(store, conn, name, topic, body.get("bot_member", True) is not False)
    except SlackError as exc:
        return _bad(exc.code, 409)
    return jsonify({"id": channel_id}), 201


@controls.get("/users")
def users() -> Any:
    with _store().read() as conn:
        return jsonify([{"id": r["id"], "name": r["real_name"], "email": r["email"], "tz": r["tz"],
                         "is_bot": bool(r["is_bot"])} for r in db.users(conn)])


def _files(given: object) -> list[NewFile]:
    files = []
    for item in given if isinstance(given, list) else []:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("name", "mimetype")):
            raise ValueError("files: each needs name, mimetype and content_base64")
        try:
            content = base64.b64decode(str(item.get("content_base64", "")), validate=True)
        except binascii.Error:
            raise ValueError("files: content_base64 is not base64") from None
        files.append(NewFile(item["name"], item["mimetype"], content, item.get("title")))
    return files


@controls.post("/messages")
def seed_message() -> Any:
    body = _body()
    store = _store()
    for key in ("channel", "user", "text"):
        if not isinstance(body.get(key), str):
            return _bad(f"{key} (a string) is required")
    try:
        files = _files(body.get("files"))
        reactions = shapes.reactions(body.get("reactions"))
        with store.tx() as conn:
            channel = db.channel(conn, body["channel"])
            db.user(conn, body["user"])
            ts = body.get("ts")
            if ts is not None and (not isinstance(ts, str) or not _is_ts(ts)):
                return _bad("ts must look like 1700000000.000100")
            thread_ts = body.get("thread_ts")
            ts = db.post(store, conn, channel["id"], body["user"], body["text"], ts=ts,
                         thread_ts=thread_ts if isinstance(thread_ts, str) else None,
                         pinned=body.get("pinned") is True, reactions=reactions, files=files)
    except ValueError as exc:
        return _bad(str(exc))
    except SlackError as exc:
        return _bad(exc.code, 404 if exc.code.endswith("not_found") else 409)
    return jsonify({"ts": ts, "permalink": shapes.permalink(base_url(), channel["id"], ts,
                                                            thread_ts if isinstance(thread_ts, str) else None)}), 201


def _is_ts(value: str) -> bool:
    seconds, dot, micros = value.partition(".")
    return seconds.isdigit() and dot == "." and micros.isdigit() and len(micros) == 6


@controls.get("/messages")
def list_messages() -> Any:
    store = _store()
    with store.read() as conn:
        if request.args.get("user"):
            channel_id = db.im_of(conn, request.args["user"])
            if channel_id is None:
                return jsonify({"channel": None, "messages": []})
        else:
            try:
                channel_id = db.channel(conn, request.args.get("channel", ""))["id"]
            except SlackError:
                return _bad("channel_not_found", 404)
        out = []
        for row in db.all_messages(conn, channel_id):
            if row["ephemeral_to"]:
                item = {"type": "message", "user": row["user"], "text": row["text"], "ts": row["ts"],
                        "ephemeral_to": row["ephemeral_to"]}
                if row["blocks"]:
                    item["blocks"] = json.loads(row["blocks"])
            else:
                item = shapes.message(conn, row, base_url())
            item["permalink"] = shapes.permalink(base_url(), channel_id, row["ts"], row["thread_ts"])
            out.append(item)
    return jsonify({"channel": channel_id, "messages": out})
