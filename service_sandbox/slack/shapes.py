"""Slack's JSON shapes for the sandbox's rows: users, channels, messages, files, permalinks.

Field names follow the Web API reference (https://docs.slack.dev/reference/objects/message-object,
.../user-object, .../file-object, .../conversation-object); only the fields a client is likely
to read are emitted.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from service_sandbox.slack import store as db

JSON = dict[str, Any]


def permalink(base: str, channel_id: str, ts: str, thread_ts: str | None = None) -> str:
    """``<workspace>/archives/<channel>/p<ts without the dot>``, like chat.getPermalink returns;
    a reply carries ``?thread_ts=...&cid=...`` as Slack's do."""
    link = f"{base}/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link


def user(row: sqlite3.Row, now: datetime) -> JSON:
    zone = ZoneInfo(row["tz"])
    offset = now.astimezone(zone).utcoffset()
    return {
        "id": row["id"], "team_id": db.TEAM_ID, "name": row["name"], "deleted": False,
        "real_name": row["real_name"], "tz": row["tz"], "tz_label": now.astimezone(zone).tzname(),
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        "is_bot": bool(row["is_bot"]), "is_app_user": False,
        # profile.email needs the users:read.email scope, which wikibot's manifest asks for.
        "profile": {"real_name": row["real_name"], "display_name": row["name"], "email": row["email"]},
    }


def channel(row: sqlite3.Row) -> JSON:
    if row["is_im"]:
        return {"id": row["id"], "created": row["created"], "is_im": True, "is_channel": False,
                "user": row["im_user"], "is_open": True}
    return {
        "id": row["id"], "name": row["name"], "is_channel": True, "is_private": False, "is_im": False,
        "is_archived": False, "created": row["created"], "is_member": bool(row["bot_member"]),
        "topic": {"value": row["topic"], "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


def file(row: sqlite3.Row, base: str) -> JSON:
    url = f"{base}/files-pri/{db.TEAM_ID}-{row['id']}/{row['name']}"
    return {
        "id": row["id"], "created": row["created"], "timestamp": row["created"], "name": row["name"],
        "title": row["title"], "mimetype": row["mimetype"], "filetype": row["name"].rpartition(".")[2].lower(),
        "user": row["user"], "size": len(row["content"]), "is_public": True,
        "url_private": url, "url_private_download": url + "?download=1",
        "permalink": f"{base}/files/{row['user']}/{row['id']}/{row['name']}",
        "shares": {"public": {row["channel"]: [{"ts": row["ts"]}]}},
    }


def message(conn: sqlite3.Connection, row: sqlite3.Row, base: str) -> JSON:
    out: JSON = {"type": "message", "user": row["user"], "text": row["text"], "ts": row["ts"],
                 "team": db.TEAM_ID}
    if row["user"] == db.BOT_USER_ID:
        out["bot_id"] = db.BOT_ID
    if row["blocks"]:
        out["blocks"] = json.loads(row["blocks"])
    if row["thread_ts"]:
        out["thread_ts"] = row["thread_ts"]
    if row["thread_ts"] is None or row["thread_ts"] == row["ts"]:
        count, latest = db.thread_stats(conn, row["channel"], row["ts"])
        if count:
            out.update(thread_ts=row["ts"], reply_count=count, latest_reply=latest)
    elif row["thread_ts"] != row["ts"]:
        out["parent_user_id"] = db.known_message(conn, row["channel"], row["thread_ts"])["user"]
    if row["pinned"]:
        out["pinned_to"] = [row["channel"]]
    reactions = json.loads(row["reactions"])
    if reactions:
        out["reactions"] = reactions
    file_ids = json.loads(row["files"])
    if file_ids:
        out["files"] = [file(db.file(conn, file_id), base) for file_id in file_ids]
        out["upload"] = False
    return out


def reactions(given: object) -> list[JSON]:
    """``["pushpin", ...]`` or ``[{"name", "users"?}]`` → Slack's ``[{"name", "users", "count"}]``."""
    out = []
    for item in given if isinstance(given, list) else []:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise ValueError("reactions: each is a name or {\"name\": ..., \"users\": [...]}")
        users = [u for u in item.get("users") or [db.SLACK_PEOPLE["ana@example.com"][0]] if isinstance(u, str)]
        out.append({"name": item["name"].strip(":"), "users": users, "count": len(users)})
    return out
