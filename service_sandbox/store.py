"""The sandbox's state: one SQLite database shared by the emulated Confluence and Jira.

SQLite is used for its durability (``--db FILE`` survives a restart) rather than for concurrency:
every access goes through one re-entrant lock, which keeps the emulator simple and its behaviour
deterministic under the threaded HTTP server.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    account_id   TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    email        TEXT NOT NULL UNIQUE,
    active       INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Accounts every sandbox starts with. Their account ids are usable in user mentions
# (``<ri:user ri:account-id="..."/>``) and as Jira assignees.
SEED_USERS = (
    ("557058:wb00", "wikibot", "wikibot@example.com"),
    ("557058:aa11", "Ana Lima", "ana@example.com"),
    ("557058:bb22", "Bob Chen", "bob@example.com"),
    ("557058:cc33", "Chidi Okafor", "chidi@example.com"),
    ("557058:dd44", "Dana Kowalski", "dana@example.com"),
    ("557058:ee55", "Eve Martin", "eve@example.com"),
)


def iso(moment: datetime) -> str:
    """Format a timestamp the way both products do: UTC, milliseconds, ``Z``.

    Always a zero-padded four-digit year (``strftime("%Y")`` is not, for years before 1000), so
    that stored timestamps compare chronologically as strings in SQL.
    """
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class SandboxStore:
    """A locked SQLite connection plus the sandbox clock and id sequences."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._clock_offset = timedelta()
        self.ensure_schema(CORE_SCHEMA)

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all or nothing, serialised with every other access."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read: holds the lock so no write interleaves."""
        with self._lock:
            yield self._conn

    def ensure_schema(self, ddl: str) -> None:
        with self._lock:
            self._conn.executescript(ddl)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- helpers shared by both products ------------------------------------------------------
    def next_id(self, conn: sqlite3.Connection, sequence: str, start: int = 10000) -> int:
        """Allocate the next number of a named sequence inside the caller's transaction."""
        row = conn.execute("SELECT value FROM sequences WHERE name = ?", (sequence,)).fetchone()
        value = (row["value"] + 1) if row else start
        conn.execute(
            "INSERT INTO sequences(name, value) VALUES(?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (sequence, value),
        )
        return value

    def is_seeded(self, what: str) -> bool:
        with self.read() as conn:
            return conn.execute("SELECT 1 FROM meta WHERE key = ?", (f"seeded:{what}",)).fetchone() is not None

    def mark_seeded(self, conn: sqlite3.Connection, what: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, '1')", (f"seeded:{what}",))

    def cloud_id(self) -> str:
        """This sandbox's site identity, made once and kept with its data (like a Cloud site's cloudId).

        A client that remembers it can tell a restarted sandbox with the same data from a new one.
        """
        with self.tx() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'cloud_id'").fetchone()
            if row is not None:
                return str(row["value"])
            value = str(uuid.uuid4())
            conn.execute("INSERT INTO meta(key, value) VALUES('cloud_id', ?)", (value,))
            return value

    def seed_users(self) -> None:
        with self.tx() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO users(account_id, display_name, email) VALUES(?, ?, ?)", SEED_USERS
            )

    def user(self, account_id: str) -> sqlite3.Row | None:
        with self.read() as conn:
            return conn.execute("SELECT * FROM users WHERE account_id = ?", (account_id,)).fetchone()

    def user_by_email(self, email: str) -> sqlite3.Row | None:
        with self.read() as conn:
            return conn.execute("SELECT * FROM users WHERE email = ?", (email,)).fetchone()

    def users(self) -> list[sqlite3.Row]:
        with self.read() as conn:
            return list(conn.execute("SELECT * FROM users ORDER BY display_name"))

    # -- clock --------------------------------------------------------------------------------
    def now(self) -> datetime:
        """The sandbox's idea of now; tests shift it to age pages and issues."""
        return datetime.now(UTC) + self._clock_offset

    def shift_clock(self, delta: timedelta) -> None:
        self._clock_offset += delta
