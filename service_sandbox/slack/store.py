"""The emulated Slack workspace's state, kept in the sandbox's shared SQLite database.

Plain functions over a connection the caller holds (``store.tx()`` / ``store.read()``), so each
Web API method is one consistent transaction. Rows are turned into Slack's JSON shapes in
``shapes.py``; this module knows nothing about HTTP.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service_sandbox.store import SEED_USERS, SandboxStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS slack_users (
    id        TEXT PRIMARY KEY,
    email     TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    real_name TEXT NOT NULL,
    tz        TEXT NOT NULL,
    is_bot    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS slack_channels (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    topic      TEXT NOT NULL DEFAULT '',
    is_im      INTEGER NOT NULL DEFAULT 0,
    im_user    TEXT,
    bot_member INTEGER NOT NULL DEFAULT 1,
    created    INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS slack_channel_names ON slack_channels(name) WHERE is_im = 0;
CREATE UNIQUE INDEX IF NOT EXISTS slack_im_users ON slack_channels(im_user) WHERE is_im = 1;
CREATE TABLE IF NOT EXISTS slack_messages (
    channel      TEXT NOT NULL REFERENCES slack_channels(id),
    ts           TEXT NOT NULL,
    user         TEXT NOT NULL,
    text         TEXT NOT NULL,
    thread_ts    TEXT,
    pinned       INTEGER NOT NULL DEFAULT 0,
    reactions    TEXT NOT NULL DEFAULT '[]',
    files        TEXT NOT NULL DEFAULT '[]',
    blocks       TEXT,
    ephemeral_to TEXT,
    PRIMARY KEY (channel, ts)
);
CREATE TABLE IF NOT EXISTS slack_files (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    title    TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    content  BLOB NOT NULL,
    user     TEXT NOT NULL,
    channel  TEXT NOT NULL,
    ts       TEXT NOT NULL,
    created  INTEGER NOT NULL
);
"""

TEAM_ID = "T0SANDBOX"
TEAM_NAME = "Sandbox"
BOT_ID = "B0WIKIBOT"
BOT_TOKEN = "xoxb-sandbox-token"

# Slack identities of the sandbox's seeded people (the same people as in Confluence and Jira, by
# email), with the IANA time zone ``users.info`` reports for each.
SLACK_PEOPLE = {
    "wikibot@example.com": ("U0WIKIBOT", "UTC"),
    "ana@example.com": ("U0ANALIMA", "America/Sao_Paulo"),
    "bob@example.com": ("U0BOBCHEN", "America/Los_Angeles"),
    "chidi@example.com": ("U0CHIDIOK", "Africa/Lagos"),
    "dana@example.com": ("U0DANAKOW", "Europe/Warsaw"),
    "eve@example.com": ("U0EVEMART", "Europe/Paris"),
}
BOT_USER_ID = SLACK_PEOPLE["wikibot@example.com"][0]


class SlackError(Exception):
    """A Web API error code, e.g. ``channel_not_found`` (answered as ``{"ok": false, ...}``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class NewFile:
    name: str
    mimetype: str
    content: bytes
    title: str | None = None


def seed(store: SandboxStore) -> None:
    store.ensure_schema(SCHEMA)
    with store.tx() as conn:
        for _account, display_name, email in SEED_USERS:
            slack_id, tz = SLACK_PEOPLE[email]
            conn.execute(
                "INSERT OR IGNORE INTO slack_users(id, email, name, real_name, tz, is_bot) VALUES(?, ?, ?, ?, ?, ?)",
                (slack_id, email, email.split("@")[0], display_name, tz, int(slack_id == BOT_USER_ID)))


# -- users ------------------------------------------------------------------------------------------
def users(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM slack_users ORDER BY real_name"))


def user(conn: sqlite3.Connection, user_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM slack_users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise SlackError("user_not_found")
    return row


def user_by_email(conn: sqlite3.Connection, email: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM slack_users WHERE lower(email) = lower(?)", (email,)).fetchone()
    if row is None:
        raise SlackError("users_not_found")
    return row


# -- channels ---------------------------------------------------------------------------------------
def create_channel(store: SandboxStore, conn: sqlite3.Connection, name: str, topic: str = "",
                   bot_member: bool = True) -> str:
    if conn.execute("SELECT 1 FROM slack_channels WHERE name = ? AND is_im = 0", (name,)).fetchone():
        raise SlackError("name_taken")
    channel_id = f"C{store.next_id(conn, 'slack_channel', 10000):07d}"
    conn.execute("INSERT INTO slack_channels(id, name, topic, bot_member, created) VALUES(?, ?, ?, ?, ?)",
                 (channel_id, name, topic, int(bot_member), int(store.now().timestamp())))
    return channel_id


def channel(conn: sqlite3.Connection, ref: str) -> sqlite3.Row:
    """A channel by id, or by name (``#name`` or ``name``), as ``chat.postMessage`` accepts."""
    row = conn.execute("SELECT * FROM slack_channels WHERE id = ?", (ref,)).fetchone()
    if row is None:
        row = conn.execute("SELECT * FROM slack_channels WHERE name = ? AND is_im = 0",
                           (ref.removeprefix("#"),)).fetchone()
    if row is None:
        raise SlackError("channel_not_found")
    return row


def channels(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM slack_channels ORDER BY is_im, name"))


def open_im(store: SandboxStore, conn: sqlite3.Connection, user_id: str) -> str:
    """The DM channel with ``user_id``: the same one every time, as ``conversations.open`` does."""
    user(conn, user_id)
    row = conn.execute("SELECT id FROM slack_channels WHERE is_im = 1 AND im_user = ?", (user_id,)).fetchone()
    if row is not None:
        return str(row["id"])
    channel_id = f"D{store.next_id(conn, 'slack_im', 10000):07d}"
    conn.execute("INSERT INTO slack_channels(id, name, is_im, im_user, created) VALUES(?, ?, 1, ?, ?)",
                 (channel_id, user_id, user_id, int(store.now().timestamp())))
    return channel_id


def im_of(conn: sqlite3.Connection, user_id: str) -> str | None:
    row = conn.execute("SELECT id FROM slack_channels WHERE is_im = 1 AND im_user = ?", (user_id,)).fetchone()
    return str(row["id"]) if row else None


# -- messages ---------------------------------------------------------------------------------------
def _ts_of(moment: datetime) -> str:
    micros = int(moment.timestamp() * 1_000_000)
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _fresh_ts(store: SandboxStore, conn: sqlite3.Connection, channel_id: str) -> str:
    """A ts unique in the channel and later than every other (Slack's ts orders messages)."""
    ts = _ts_of(store.now())
    latest = conn.execute("SELECT max(CAST(ts AS REAL)) AS m FROM slack_messages WHERE channel = ?",
                          (channel_id,)).fetchone()["m"]
    if latest is not None and float(ts) <= latest:
        micros = round(latest * 1_000_000) + 1
        ts = f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
    return ts


def post(store: SandboxStore, conn: sqlite3.Connection, channel_id: str, user_id: str, text: str, *,
         ts: str | None = None, thread_ts: str | None = None, pinned: bool = False,
         reactions: list[dict[str, object]] | None = None, files: Sequence[NewFile] = (),
         blocks: list[object] | None = None, ephemeral_to: str | None = None) -> str:
    if thread_ts is not None and message(conn, channel_id, thread_ts) is None:
        raise SlackError("thread_not_found")
    ts = ts or _fresh_ts(store, conn, channel_id)
    if message(conn, channel_id, ts) is not None:
        raise SlackError("duplicate_ts")
    file_ids = []
    for new in files:
        file_id = f"F{store.next_id(conn, 'slack_file', 10000):07d}"
        conn.execute("INSERT INTO slack_files(id, name, title, mimetype, content, user, channel, ts, created) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (file_id, new.name, new.title or new.name, new.mimetype, new.content, user_id, channel_id, ts,
                      int(float(ts))))
        file_ids.append(file_id)
    conn.execute(
        "INSERT INTO slack_messages(channel, ts, user, text, thread_ts, pinned, reactions, files, blocks, ephemeral_to)"
        " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (channel_id, ts, user_id, text, thread_ts, int(pinned), json.dumps(reactions or []), json.dumps(file_ids),
         json.dumps(blocks) if blocks is not None else None, ephemeral_to))
    return ts


def message(conn: sqlite3.Connection, channel_id: str, ts: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM slack_messages WHERE channel = ? AND ts = ? AND ephemeral_to IS NULL",
                        (channel_id, ts)).fetchone()


def known_message(conn: sqlite3.Connection, channel_id: str, ts: str) -> sqlite3.Row:
    """A message that must exist (one just posted, or a reply's parent, which :func:`post` checked);
    its absence is a sandbox bug, so it raises instead of returning None."""
    row = message(conn, channel_id, ts)
    if row is None:
        raise LookupError(f"message {ts} in {channel_id} should exist")
    return row


def history(conn: sqlite3.Connection, channel_id: str, oldest: float, latest: float) -> list[sqlite3.Row]:
    """Top-level messages (thread roots included, replies not), newest first, as Slack lists them."""
    return list(conn.execute(
        "SELECT * FROM slack_messages WHERE channel = ? AND ephemeral_to IS NULL"
        " AND (thread_ts IS NULL OR thread_ts = ts) AND CAST(ts AS REAL) > ? AND CAST(ts AS REAL) < ?"
        " ORDER BY CAST(ts AS REAL) DESC", (channel_id, oldest, latest)))


def replies(conn: sqlite3.Connection, channel_id: str, thread_ts: str) -> list[sqlite3.Row]:
    """The thread's parent first, then its replies oldest first."""
    return list(conn.execute(
        "SELECT * FROM slack_messages WHERE channel = ? AND ephemeral_to IS NULL AND (ts = ? OR thread_ts = ?)"
        " ORDER BY CAST(ts AS REAL)", (channel_id, thread_ts, thread_ts)))


def thread_stats(conn: sqlite3.Connection, channel_id: str, ts: str) -> tuple[int, str | None]:
    row = conn.execute(
        "SELECT count(*) AS n, max(ts) AS latest FROM slack_messages WHERE channel = ? AND thread_ts = ?"
        " AND ts != thread_ts AND ephemeral_to IS NULL", (channel_id, ts)).fetchone()
    return int(row["n"]), row["latest"]


def pinned(conn: sqlite3.Connection, channel_id: str) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM slack_messages WHERE channel = ? AND pinned = 1 AND ephemeral_to IS NULL"
                             " ORDER BY CAST(ts AS REAL) DESC", (channel_id,)))


def all_messages(conn: sqlite3.Connection, channel_id: str) -> list[sqlite3.Row]:
    """Everything in a channel, ephemeral messages included, oldest first (test controls, web view)."""
    return list(conn.execute("SELECT * FROM slack_messages WHERE channel = ? ORDER BY CAST(ts AS REAL)",
                             (channel_id,)))


def file(conn: sqlite3.Connection, file_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM slack_files WHERE id = ?", (file_id,)).fetchone()
    if row is None:
        raise SlackError("file_not_found")
    return row
