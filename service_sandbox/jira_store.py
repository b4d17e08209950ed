"""The emulated Jira's tables and every SQL statement that touches them.

Route modules call these functions inside ``store.tx()``/``store.read()`` so each REST call is one
transaction. Reference data (statuses, priorities, issue types) lives in ``jira_catalog``; issues
store its ids, and :func:`load_records` turns rows into the evaluator's :class:`IssueRecord`.
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from service_sandbox import jira_catalog as catalog
from service_sandbox.jql_eval import IssueRecord
from service_sandbox.store import SandboxStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS jira_projects (
    id   TEXT PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    lead TEXT REFERENCES users(account_id)
);
CREATE TABLE IF NOT EXISTS jira_hidden_fields (
    project_id TEXT NOT NULL REFERENCES jira_projects(id),
    field      TEXT NOT NULL,
    PRIMARY KEY (project_id, field)
);
CREATE TABLE IF NOT EXISTS jira_issues (
    id             INTEGER PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES jira_projects(id),
    num            INTEGER NOT NULL,
    summary        TEXT NOT NULL,
    description    TEXT,
    status_id      TEXT NOT NULL,
    priority_id    TEXT,
    issuetype_id   TEXT NOT NULL,
    assignee       TEXT REFERENCES users(account_id),
    reporter       TEXT REFERENCES users(account_id),
    duedate        TEXT,
    created        TEXT NOT NULL,
    updated        TEXT NOT NULL,
    resolution_id  TEXT,
    resolutiondate TEXT,
    UNIQUE (project_id, num)
);
CREATE TABLE IF NOT EXISTS jira_labels (
    issue_id INTEGER NOT NULL REFERENCES jira_issues(id) ON DELETE CASCADE,
    label    TEXT NOT NULL,
    PRIMARY KEY (issue_id, label)
);
CREATE INDEX IF NOT EXISTS jira_labels_by_label ON jira_labels(label);
CREATE TABLE IF NOT EXISTS jira_remote_links (
    id        INTEGER PRIMARY KEY,
    issue_id  INTEGER NOT NULL REFERENCES jira_issues(id) ON DELETE CASCADE,
    global_id TEXT,
    body      TEXT NOT NULL,
    UNIQUE (issue_id, global_id)
);
CREATE TABLE IF NOT EXISTS jira_properties (
    issue_id INTEGER NOT NULL REFERENCES jira_issues(id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (issue_id, key)
);
CREATE TABLE IF NOT EXISTS jira_comments (
    id       INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES jira_issues(id) ON DELETE CASCADE,
    author   TEXT NOT NULL,
    body     TEXT NOT NULL,
    created  TEXT NOT NULL,
    updated  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jira_comments_by_issue ON jira_comments(issue_id, id);
"""

SEED_PROJECTS = (("10000", "OPS", "Operations", "557058:wb00"),)

_RECORD_SQL = """
SELECT i.*, p.key AS project_key,
       (SELECT json_group_array(label) FROM jira_labels l WHERE l.issue_id = i.id) AS labels
FROM jira_issues i JOIN jira_projects p ON p.id = i.project_id
"""


_STATUS_BY_ID = {s.id: s for s in catalog.STATUSES}
_PRIORITY_NAME = {p.id: p.name for p in catalog.PRIORITIES}
_ISSUETYPE_NAME = {t.id: t.name for t in catalog.ISSUE_TYPES}
# store → (data version, records): searches reuse one snapshot until anything is written.
_RECORD_CACHE: weakref.WeakKeyDictionary[SandboxStore, tuple[tuple[int, int], list[IssueRecord]]] = (
    weakref.WeakKeyDictionary())


def seed(store: SandboxStore) -> None:
    """Create project OPS once (idempotent across restarts of a file-backed sandbox)."""
    if store.is_seeded("jira"):
        return
    with store.tx() as conn:
        conn.executemany("INSERT OR IGNORE INTO jira_projects(id, key, name, lead) VALUES(?, ?, ?, ?)",
                         SEED_PROJECTS)
        store.mark_seeded(conn, "jira")


def to_db(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def from_db(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# -- projects and users --------------------------------------------------------------------------
def projects(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM jira_projects ORDER BY key"))


def find_project(conn: sqlite3.Connection, id_or_key: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM jira_projects WHERE id = ? OR key = ? COLLATE NOCASE",
                        (id_or_key, id_or_key)).fetchone()


def hidden_fields(conn: sqlite3.Connection, project_id: str) -> set[str]:
    """Fields the project's screen (create and edit) leaves out (``POST /_sandbox/jira/projects/<key>/screen``)."""
    return {row[0] for row in conn.execute("SELECT field FROM jira_hidden_fields WHERE project_id = ?",
                                           (project_id,))}


def users(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    return {row["account_id"]: row for row in conn.execute("SELECT * FROM users")}


# -- issues --------------------------------------------------------------------------------------
def find_issue_id(conn: sqlite3.Connection, id_or_key: str) -> int | None:
    """Resolve ``10042`` or ``ops-17`` (keys are case-insensitive, as in Jira) to the issue id."""
    if id_or_key.isdigit():
        row = conn.execute("SELECT id FROM jira_issues WHERE id = ?", (int(id_or_key),)).fetchone()
    else:
        project_key, _, number = id_or_key.rpartition("-")
        if not number.isdigit():
            return None
        row = conn.execute(
            "SELECT i.id FROM jira_issues i JOIN jira_projects p ON p.id = i.project_id "
            "WHERE p.key = ? COLLATE NOCASE AND i.num = ?", (project_key, int(number))).fetchone()
    return row["id"] if row else None


def all_records(store: SandboxStore) -> list[IssueRecord]:
    """Every issue as a record, cached until the next write (callers must not mutate the list).

    The version is the connection's ``total_changes`` (moves on every write through the store) plus
    SQLite's ``data_version`` (moves when another process commits to a file-backed database), so a
    search over 5,000 issues skips re-reading rows it already converted. Inside a write
    transaction the cache is bypassed so uncommitted rows are never cached.
    """
    with store.read() as conn:
        version = (conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0])
        cached = _RECORD_CACHE.get(store)
        if cached is not None and cached[0] == version and not conn.in_transaction:
            return cached[1]
        records = load_records(conn)
        if not conn.in_transaction:
            _RECORD_CACHE[store] = (version, records)
        return records


def load_records(conn: sqlite3.Connection, ids: Sequence[int] | None = None) -> list[IssueRecord]:
    """All issues (or the given ids, in that order) as evaluator records."""
    if ids is None:
        return [_record(row) for row in conn.execute(_RECORD_SQL)]
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = {row["id"]: _record(row) for row in conn.execute(f"{_RECORD_SQL} WHERE i.id IN ({marks})", ids)}
    return [rows[i] for i in ids if i in rows]


def record_from_state(state: dict[str, Any]) -> IssueRecord:
    """A record from a state kept for the search index (``index_lag``: the row plus ``labels``)."""
    labels = state.get("labels")
    return _record({**state, "labels": labels if isinstance(labels, str) else json.dumps(labels or [])})


def _record(row: sqlite3.Row | dict[str, Any]) -> IssueRecord:
    status = _STATUS_BY_ID.get(row["status_id"], catalog.TO_DO_STATUS)
    return IssueRecord(
        id=row["id"], key=f"{row['project_key']}-{row['num']}", project=row["project_key"],
        summary=row["summary"], description=row["description"], status=status.name,
        status_category=status.category.key, priority=_PRIORITY_NAME.get(row["priority_id"]),
        issuetype=_ISSUETYPE_NAME.get(row["issuetype_id"], "Task"), assignee=row["assignee"], reporter=row["reporter"],
        duedate=date.fromisoformat(row["duedate"]) if row["duedate"] else None,
        created=datetime.fromisoformat(row["created"]), updated=datetime.fromisoformat(row["updated"]),
        resolution=catalog.RESOLUTION_DONE.name if row["resolution_id"] else None,
        resolutiondate=from_db(row["resolutiondate"]), labels=frozenset(json.loads(row["labels"])))


def insert_issue(conn: sqlite3.Connection, store: SandboxStore, project_id: str, columns: dict[str, Any],
                 labels: Sequence[str], now: datetime) -> tuple[int, str]:
    """Create an issue in status To Do; returns ``(id, key)``."""
    issue_id = store.next_id(conn, "jira-issue", 10000)
    number = store.next_id(conn, f"jira-issue-number:{project_id}", 1)
    values = {**columns, "id": issue_id, "project_id": project_id, "num": number,
              "status_id": catalog.TO_DO_STATUS.id, "created": to_db(now), "updated": to_db(now)}
    names = ", ".join(values)
    conn.execute(f"INSERT INTO jira_issues({names}) VALUES({', '.join('?' * len(values))})",
                 tuple(values.values()))
    replace_labels(conn, issue_id, labels)
    project_key = conn.execute("SELECT key FROM jira_projects WHERE id = ?", (project_id,)).fetchone()["key"]
    return issue_id, f"{project_key}-{number}"


def update_issue(conn: sqlite3.Connection, issue_id: int, columns: dict[str, Any], now: datetime) -> None:
    """Set columns (names come from the field validator, never from the request) and bump updated."""
    values = {**columns, "updated": to_db(now)}
    assignments = ", ".join(f"{name} = ?" for name in values)
    conn.execute(f"UPDATE jira_issues SET {assignments} WHERE id = ?", (*values.values(), issue_id))


def replace_labels(conn: sqlite3.Connection, issue_id: int, labels: Sequence[str]) -> None:
    conn.execute("DELETE FROM jira_labels WHERE issue_id = ?", (issue_id,))
    conn.executemany("INSERT OR IGNORE INTO jira_labels(issue_id, label) VALUES(?, ?)",
                     [(issue_id, label) for label in labels])


def delete_issue(conn: sqlite3.Connection, issue_id: int) -> None:
    conn.execute("DELETE FROM jira_issues WHERE id = ?", (issue_id,))


def status_columns(status: catalog.Status, now: datetime) -> dict[str, Any]:
    """Columns for a move to ``status``: entering Done resolves the issue, leaving it unresolves."""
    done = status.category is catalog.DONE
    return {"status_id": status.id, "resolution_id": catalog.RESOLUTION_DONE.id if done else None,
            "resolutiondate": to_db(now) if done else None}


# -- comments ------------------------------------------------------------------------------------
def add_comment(conn: sqlite3.Connection, store: SandboxStore, issue_id: int, author: str, body: str,
                now: datetime) -> sqlite3.Row:
    comment_id = store.next_id(conn, "jira-comment", 10000)
    conn.execute("INSERT INTO jira_comments(id, issue_id, author, body, created, updated) "
                 "VALUES(?, ?, ?, ?, ?, ?)", (comment_id, issue_id, author, body, to_db(now), to_db(now)))
    conn.execute("UPDATE jira_issues SET updated = ? WHERE id = ?", (to_db(now), issue_id))
    return conn.execute("SELECT * FROM jira_comments WHERE id = ?", (comment_id,)).fetchone()


def comments(conn: sqlite3.Connection, issue_ids: Sequence[int]) -> dict[int, list[sqlite3.Row]]:
    """Comments of several issues at once (oldest first), so a search page costs one query."""
    found: dict[int, list[sqlite3.Row]] = {i: [] for i in issue_ids}
    marks = ",".join("?" * len(issue_ids))
    for row in conn.execute(f"SELECT * FROM jira_comments WHERE issue_id IN ({marks}) ORDER BY id",
                            tuple(issue_ids)):
        found[row["issue_id"]].append(row)
    return found


def comment(conn: sqlite3.Connection, issue_id: int, comment_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM jira_comments WHERE issue_id = ? AND id = ?",
                        (issue_id, comment_id)).fetchone()


# -- remote links --------------------------------------------------------------------------------
def upsert_remote_link(conn: sqlite3.Connection, store: SandboxStore, issue_id: int, global_id: str | None,
                       body: dict[str, Any]) -> tuple[int, bool]:
    """Replace the link with this globalId on the issue, or add one; returns ``(id, created)``."""
    existing = remote_link_by_global_id(conn, issue_id, global_id) if global_id is not None else None
    if existing is not None:
        conn.execute("UPDATE jira_remote_links SET body = ? WHERE id = ?", (json.dumps(body), existing["id"]))
        return existing["id"], False
    link_id = store.next_id(conn, "jira-remote-link", 10000)
    conn.execute("INSERT INTO jira_remote_links(id, issue_id, global_id, body) VALUES(?, ?, ?, ?)",
                 (link_id, issue_id, global_id, json.dumps(body)))
    return link_id, True


def update_remote_link(conn: sqlite3.Connection, link_id: int, global_id: str | None,
                       body: dict[str, Any]) -> None:
    conn.execute("UPDATE jira_remote_links SET global_id = ?, body = ? WHERE id = ?",
                 (global_id, json.dumps(body), link_id))


def remote_links(conn: sqlite3.Connection, issue_id: int) -> list[sqlite3.Row]:
    return list(conn.execute("SELECT * FROM jira_remote_links WHERE issue_id = ? ORDER BY id", (issue_id,)))


def remote_link(conn: sqlite3.Connection, issue_id: int, link_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM jira_remote_links WHERE issue_id = ? AND id = ?",
                        (issue_id, link_id)).fetchone()


def remote_link_by_global_id(conn: sqlite3.Connection, issue_id: int, global_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM jira_remote_links WHERE issue_id = ? AND global_id = ?",
                        (issue_id, global_id)).fetchone()


def delete_remote_link(conn: sqlite3.Connection, link_id: int) -> None:
    conn.execute("DELETE FROM jira_remote_links WHERE id = ?", (link_id,))


# -- properties ----------------------------------------------------------------------------------
def set_property(conn: sqlite3.Connection, issue_id: int, key: str, value_json: str) -> bool:
    """Store a property's JSON text; True when it was created, False when replaced."""
    created = get_property(conn, issue_id, key) is None
    conn.execute("INSERT INTO jira_properties(issue_id, key, value) VALUES(?, ?, ?) "
                 "ON CONFLICT(issue_id, key) DO UPDATE SET value = excluded.value", (issue_id, key, value_json))
    return created


def get_property(conn: sqlite3.Connection, issue_id: int, key: str) -> str | None:
    row = conn.execute("SELECT value FROM jira_properties WHERE issue_id = ? AND key = ?",
                       (issue_id, key)).fetchone()
    return row["value"] if row else None


def properties(conn: sqlite3.Connection, issue_id: int) -> dict[str, Any]:
    return {row["key"]: json.loads(row["value"]) for row in
            conn.execute("SELECT key, value FROM jira_properties WHERE issue_id = ? ORDER BY key", (issue_id,))}


def delete_property(conn: sqlite3.Connection, issue_id: int, key: str) -> bool:
    return conn.execute("DELETE FROM jira_properties WHERE issue_id = ? AND key = ?",
                        (issue_id, key)).rowcount > 0
