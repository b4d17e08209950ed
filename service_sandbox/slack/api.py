"""The Slack Web API under ``/slack/api/<method>``: the methods wikibot calls, as strict as Slack.

What is emulated, with its source (https://docs.slack.dev/reference/methods/<method>):

* Every method answers HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "<code>"}``;
  an unknown method is ``unknown_method`` (HTTP 404). Arguments come from the query string, a form
  body or a JSON body (the "Content types" of each method page); the token from
  ``Authorization: Bearer`` or a ``token`` argument. No token: ``not_authed``; a wrong one:
  ``invalid_auth``.
* Rate limits: HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``
  (https://docs.slack.dev/apis/web-api/rate-limits), armed through ``/_sandbox/faults`` with a
  ``path_prefix`` under ``/slack/api``.
* Cursor pagination: ``limit`` and ``cursor`` in, ``response_metadata.next_cursor`` out (empty on
  the last page), cursors opaque base64 like Slack's ``bmV4dF90czo...`` ("next_ts:...");
  ``conversations.history`` caps ``limit`` at 999, lists newest first and leaves thread replies
  out (they are read with ``conversations.replies``, parent first).
* The bot must be a member of a channel to read or post in it: ``not_in_channel``.
* ``url_private`` downloads need the bearer token; without it Slack answers 200 with its sign-in
  HTML page rather than an error (https://docs.slack.dev/messaging/working-with-files), which the
  sandbox reproduces so a client that forgets the header sees the same surprise.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from service_sandbox.slack import shapes
from service_sandbox.slack import store as db
from service_sandbox.slack.store import SlackError

api = Blueprint("slack_api", __name__)

MAX_TEXT = 40_000  # chat.postMessage: longer text is msg_too_long
Handler = Callable[[dict[str, Any]], dict[str, Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = fn
        return fn
    return register


def _state() -> Any:
    return current_app.extensions["sandbox"]


def base_url() -> str:
    return request.host_url.rstrip("/") + "/slack"


def _ok(payload: dict[str, Any] | None = None, status: int = 200, **headers: str) -> Response:
    body = {"ok": True, **(payload or {})}
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def _error(code: str, status: int = 200, **headers: str) -> Response:
    return Response(json.dumps({"ok": False, "error": code}), status=status, mimetype="application/json",
                    headers=headers)


def _token_ok() -> bool:
    return hmac.compare_digest(_given_token().encode(), current_app.extensions["sandbox_slack"].token.encode())


def _given_token() -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.values.get("token", "")


@api.before_request
def _faults() -> Response | None:
    st = _state()
    st.stats.record(f"{request.method} /slack/api/{{method}}" if request.path.startswith("/slack/api/")
                    else f"{request.method} /slack/files-pri")
    if st.faults.latency_ms:
        time.sleep(st.faults.latency_ms / 1000)
    fault = st.faults.take(request.method, request.path)
    if fault is None:
        return None
    if fault.kind == "stall":
        time.sleep(fault.stall_ms / 1000)
        return None
    if fault.kind == "drop":
        from service_sandbox.app import _drop_connection  # the app module imports this one

        if fault.after:
            g.drop_after = True
            return None
        return _drop_connection()
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    return _error("ratelimited" if fault.status == 429 else "internal_error", fault.status, **headers)


@api.route("/api/<name>", methods=["GET", "POST"])
def call(name: str) -> Response:
    handler = METHODS.get(name)
    if handler is None:
        return _error("unknown_method", 404)
    if not _given_token():
        return _error("not_authed")
    if not _token_ok():
        return _error("invalid_auth")
    args = _arguments()
    if args is None:
        return _error("invalid_json")
    try:
        return _ok(handler(args))
    except SlackError as exc:
        return _error(exc.code)


def _arguments() -> dict[str, Any] | None:
    args: dict[str, Any] = dict(request.args.items())
    args.update(request.form.items())
    if request.mimetype == "application/json" and request.content_length:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return None
        args.update(body)
    return args


def _required(args: dict[str, Any], key: str, code: str | None = None) -> str:
    value = args.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SlackError(code or "invalid_arguments")
    return value.strip()


def _limit(args: dict[str, Any], default: int, maximum: int) -> int:
    try:
        value = int(args.get("limit") or default)
    except (TypeError, ValueError):
        raise SlackError("invalid_limit") from None
    return max(1, min(value, maximum))


def _cursor(given: object) -> str | None:
    if not given:
        return None
    try:
        decoded = base64.b64decode(str(given), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    if not decoded.startswith("next_ts:"):
        raise SlackError("invalid_cursor")
    return decoded.removeprefix("next_ts:")


def _page(rows: Sequence[Any], args: dict[str, Any], default: int, maximum: int) -> tuple[list[Any], str]:
    """One page of ``rows`` (ordered, each with a ``ts``) and the cursor of the next ('' at the end)."""
    start = 0
    after = _cursor(args.get("cursor"))
    if after is not None:
        positions = [i for i, row in enumerate(rows) if row["ts"] == after]
        if not positions:
            raise SlackError("invalid_cursor")
        start = positions[0]
    limit = _limit(args, default, maximum)
    page = list(rows[start:start + limit])
    more = start + limit < len(rows)
    cursor = base64.b64encode(f"next_ts:{rows[start + limit]['ts']}".encode()).decode() if more else ""
    return page, cursor


def _member_channel(conn: Any, args: dict[str, Any], *, by_name: bool = False) -> Any:
    """The channel the bot is in. Only chat.post* accept a channel *name* ("an encoded ID or channel
    name"); the conversations.* and pins.* methods take IDs only and answer channel_not_found."""
    ref = _required(args, "channel", "channel_not_found")
    if not by_name and ref[:1] not in ("C", "D", "G"):
        raise SlackError("channel_not_found")
    row = db.channel(conn, ref)
    if not row["is_im"] and not row["bot_member"]:
        raise SlackError("not_in_channel")
    return row


def _float(args: dict[str, Any], key: str, default: float) -> float:
    try:
        return float(args.get(key) or default)
    except (TypeError, ValueError):
        raise SlackError("invalid_ts_" + key) from None


# -- methods ------------------------------------------------------------------------------------------
@method("auth.test")
def auth_test(args: dict[str, Any]) -> dict[str, Any]:
    return {"url": base_url() + "/", "team": db.TEAM_NAME, "user": "wikibot", "team_id": db.TEAM_ID,
            "user_id": db.BOT_USER_ID, "bot_id": db.BOT_ID, "is_enterprise_install": False}


@method("conversations.info")
def conversations_info(args: dict[str, Any]) -> dict[str, Any]:
    ref = _required(args, "channel", "channel_not_found")
    if ref[:1] not in ("C", "D", "G"):
        raise SlackError("channel_not_found")
    with _state().store.read() as conn:
        return {"channel": shapes.channel(db.channel(conn, ref))}


@method("conversations.history")
def conversations_history(args: dict[str, Any]) -> dict[str, Any]:
    inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
    oldest = _float(args, "oldest", 0.0)
    latest = _float(args, "latest", 1e12)
    with _state().store.read() as conn:
        row = _member_channel(conn, args)
        rows = db.history(conn, row["id"], oldest - (1e-7 if inclusive else 0), latest + (1e-7 if inclusive else 0))
        page, cursor = _page(rows, args, 100, 999)
        return {"messages": [shapes.message(conn, m, base_url()) for m in page], "has_more": bool(cursor),
                "pin_count": len(db.pinned(conn, row["id"])), "response_metadata": {"next_cursor": cursor}}


@method("conversations.replies")
def conversations_replies(args: dict[str, Any]) -> dict[str, Any]:
    with _state().store.read() as conn:
        row = _member_channel(conn, args)
        rows = db.replies(conn, row["id"], _required(args, "ts", "thread_not_found"))
        if not rows:
            raise SlackError("thread_not_found")
        page, cursor = _page(rows, args, 100, 1000)
        return {"messages": [shapes.message(conn, m, base_url()) for m in page], "has_more": bool(cursor),
                "response_metadata": {"next_cursor": cursor}}


@method("pins.list")
def pins_list(args: dict[str, Any]) -> dict[str, Any]:
    # pins.list is not paginated: every pin of the channel in one answer, newest first.
    with _state().store.read() as conn:
        row = _member_channel(conn, args)
        return {"items": [{"type": "message", "channel": row["id"], "created": int(float(m["ts"])),
                           "created_by": m["user"], "message": shapes.message(conn, m, base_url())}
                          for m in db.pinned(conn, row["id"])]}


@method("users.info")
def users_info(args: dict[str, Any]) -> dict[str, Any]:
    st = _state()
    with st.store.read() as conn:
        return {"user": shapes.user(db.user(conn, _required(args, "user", "user_not_found")), st.store.now())}


@method("users.lookupByEmail")
def users_lookup_by_email(args: dict[str, Any]) -> dict[str, Any]:
    st = _state()
    with st.store.read() as conn:
        return {"user": shapes.user(db.user_by_email(conn, _required(args, "email", "users_not_found")),
                                    st.store.now())}


@method("conversations.open")
def conversations_open(args: dict[str, Any]) -> dict[str, Any]:
    st = _state()
    users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        raise SlackError("not_supported")  # group DMs are beyond what wikibot needs
    with st.store.tx() as conn:
        already = db.im_of(conn, users[0]) is not None
        channel_id = db.open_im(st.store, conn, users[0])
    return {"channel": {"id": channel_id}, "already_open": already, "no_op": already}


def _text(args: dict[str, Any]) -> tuple[str, list[Any] | None]:
    text = args.get("text")
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise SlackError("invalid_blocks") from None
    if blocks is not None and not _valid_blocks(blocks):
        raise SlackError("invalid_blocks")
    if not (isinstance(text, str) and text.strip()) and not blocks:
        raise SlackError("no_text")
    text = text if isinstance(text, str) else ""
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks


MAX_BLOCKS = 50  # per message (https://docs.slack.dev/reference/block-kit/blocks)
MAX_SECTION_TEXT = 3000
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255


def _valid_blocks(blocks: object) -> bool:
    """The Block Kit limits Slack enforces with invalid_blocks (the ones wikibot could break)."""
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return False
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return False
        text = block.get("text")
        if block["type"] == "section" and (not isinstance(text, dict) or not isinstance(text.get("text"), str)
                                           or len(text["text"]) > MAX_SECTION_TEXT):
            return False
        for element in block.get("elements") or [] if block["type"] == "actions" else []:
            if not isinstance(element, dict) or len(str(element.get("value", ""))) > MAX_BUTTON_VALUE \
                    or len(str(element.get("action_id", ""))) > MAX_ACTION_ID:
                return False
    return True


@method("chat.postMessage")
def chat_post_message(args: dict[str, Any]) -> dict[str, Any]:
    st = _state()
    text, blocks = _text(args)
    with st.store.tx() as conn:
        row = _member_channel(conn, args, by_name=True)
        ts = db.post(st.store, conn, row["id"], db.BOT_USER_ID, text, blocks=blocks,
                     thread_ts=args.get("thread_ts") or None)
        posted = db.known_message(conn, row["id"], ts)
        return {"channel": row["id"], "ts": ts, "message": shapes.message(conn, posted, base_url())}


@method("chat.postEphemeral")
def chat_post_ephemeral(args: dict[str, Any]) -> dict[str, Any]:
    st = _state()
    text, blocks = _text(args)
    with st.store.tx() as conn:
        row = _member_channel(conn, args, by_name=True)
        user = db.user(conn, _required(args, "user", "user_not_found"))
        ts = db.post(st.store, conn, row["id"], db.BOT_USER_ID, text, blocks=blocks, ephemeral_to=user["id"])
    return {"message_ts": ts}


@method("files.info")
def files_info(args: dict[str, Any]) -> dict[str, Any]:
    with _state().store.read() as conn:
        return {"file": shapes.file(db.file(conn, _required(args, "file", "file_not_found")), base_url())}


@api.get("/files-pri/<team_file>/<name>")
def download(team_file: str, name: str) -> Response:
    if not _given_token() or not _token_ok():
        return Response("<!DOCTYPE html><html><head><title>Slack</title></head><body>"
                        "<h1>Sign in to Sandbox</h1></body></html>", mimetype="text/html")
    file_id = team_file.removeprefix(db.TEAM_ID + "-")
    try:
        with _state().store.read() as conn:
            row = db.file(conn, file_id)
    except SlackError:
        return Response("File not found", status=404, mimetype="text/plain")
    if row["name"] != name:
        return Response("File not found", status=404, mimetype="text/plain")
    return Response(bytes(row["content"]), mimetype=row["mimetype"])
