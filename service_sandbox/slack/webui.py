"""A readable web view of the emulated workspace: channels, threads, pins, reactions, files.

A newcomer running ``wikibot serve`` opens ``/slack/`` and sees what wikibot posted where; the
permalinks the API hands out (``/slack/archives/<channel>/p<ts>``) land on the message here. Like
the Confluence view, these pages are what a logged-in browser sees: no token needed.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from service_sandbox.slack import store as db
from service_sandbox.slack.store import SlackError

web = Blueprint("slack_web", __name__)

_CONTROL = re.compile(r"<([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]+)`")


def _store() -> Any:
    return current_app.extensions["sandbox"].store


def mrkdwn_html(text: str, names: dict[str, str]) -> Markup:
    """Slack's text (``&``, ``<``, ``>`` arrive escaped; ``<...>`` are links and mentions) as HTML."""
    out, last = [], 0
    for match in _CONTROL.finditer(text):
        out.append(_inline(text[last:match.start()]))
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            out.append(f'<span class="mention">@{html.escape(names.get(target[1:], target[1:]))}</span>')
        elif target.startswith("!"):
            out.append(f'<span class="mention">@{html.escape(target[1:].split("^")[0])}</span>')
        elif target.startswith("#"):
            out.append(f'<span class="mention">#{html.escape(label or target[1:])}</span>')
        else:
            url = html.unescape(target)
            shown = html.unescape(label) if label else url
            safe = url if re.match(r"^(https?|mailto):", url) else "#"
            out.append(f'<a href="{html.escape(safe)}">{html.escape(shown)}</a>')
        last = match.end()
    out.append(_inline(text[last:]))
    return Markup("".join(out).replace("\n", "<br>"))


def _inline(text: str) -> str:
    escaped = html.escape(html.unescape(text))
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def _when(ts: str) -> str:
    return datetime.fromtimestamp(float(ts), UTC).strftime("%b %d, %H:%M:%S UTC")


@web.get("/")
def index() -> str:
    with _store().read() as conn:
        rows = db.channels(conn)
        names = {u["id"]: u["real_name"] for u in db.users(conn)}
        channels = [{"id": r["id"],
                     "name": f"@{names.get(r['im_user'], r['im_user'])}" if r["is_im"] else f"#{r['name']}",
                     "topic": r["topic"], "count": len(db.all_messages(conn, r["id"]))} for r in rows]
    return render_template("sandbox/slack_index.html", channels=channels)


@web.get("/archives/<channel_id>")
def channel(channel_id: str) -> str:
    with _store().read() as conn:
        try:
            row = db.channel(conn, channel_id)
        except SlackError:
            abort(404)
        users = {u["id"]: u["real_name"] for u in db.users(conn)}
        messages = [_view(conn, m, users) for m in db.all_messages(conn, row["id"])]
    roots = [m for m in messages if not m["reply"]]
    for root in roots:
        root["replies"] = [m for m in messages if m["reply"] and m["thread_ts"] == root["ts"]]
    title = f"@{users.get(row['im_user'], row['im_user'])}" if row["is_im"] else f"#{row['name']}"
    default = row["im_user"] if row["is_im"] else db.SLACK_PEOPLE["dana@example.com"][0]
    acting = request.args.get("as") if request.args.get("as") in users else default
    people = [{"id": uid, "name": name} for uid, name in users.items() if uid != db.BOT_USER_ID]
    app = current_app.extensions["sandbox_slack"].app
    return render_template("sandbox/slack_channel.html", title=title, topic=row["topic"], messages=roots,
                           channel_id=row["id"], people=people, acting=acting, is_im=bool(row["is_im"]),
                           app_connected=bool(app.commands_url))


def _view(conn: Any, row: Any, users: dict[str, str]) -> dict[str, Any]:
    files = [db.file(conn, file_id) for file_id in json.loads(row["files"])]
    return {
        "ts": row["ts"], "anchor": "p" + row["ts"].replace(".", ""), "when": _when(row["ts"]),
        "author": users.get(row["user"], row["user"]), "bot": row["user"] == db.BOT_USER_ID,
        "html": mrkdwn_html(row["text"], users), "pinned": bool(row["pinned"]),
        "thread_ts": row["thread_ts"], "reply": bool(row["thread_ts"]) and row["thread_ts"] != row["ts"],
        "ephemeral_to": users.get(row["ephemeral_to"], row["ephemeral_to"]) if row["ephemeral_to"] else None,
        "reactions": json.loads(row["reactions"]),
        "buttons": [{"text": (e.get("text") or {}).get("text", ""),
                     "pick": f"{e.get('action_id')}\x1f{e.get('value', '')}"}
                    for b in _blocks(row) if b.get("type") == "actions" for e in b.get("elements", [])
                    if isinstance(e, dict)],
        "inputs": [{"block_id": b["block_id"], "label": (b.get("label") or {}).get("text", "")}
                   for b in _blocks(row) if b.get("type") == "input" and b.get("block_id")],
        "files": [{"name": f["name"], "title": f["title"], "image": f["mimetype"].startswith("image/"),
                   "url": f"/slack/files/{f['user']}/{f['id']}/{f['name']}"} for f in files],
    }


def _blocks(row: Any) -> list[dict[str, Any]]:
    return [b for b in json.loads(row["blocks"] or "[]") if isinstance(b, dict)]


@web.get("/archives/<channel_id>/p<digits>")
def message_link(channel_id: str, digits: str) -> WerkzeugResponse:
    return redirect(f"/slack/archives/{channel_id}#p{digits}")


@web.get("/files/<user>/<file_id>/<name>")
def file_view(user: str, file_id: str, name: str) -> Response:
    try:
        with _store().read() as conn:
            row = db.file(conn, file_id)
    except SlackError:
        abort(404)
    if row["name"] != name:
        abort(404)
    return Response(bytes(row["content"]), mimetype=row["mimetype"])
