"""Search lag: CQL and JQL answer from an index that trails the database, as on the real services.

Both products' searches are eventually consistent: Jira's enhanced search may miss an issue for "a
few seconds to minutes" after a write and takes ``reconcileIssues`` (up to 50 issue ids) to see
those ids fresh (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get);
Confluence indexes asynchronously (Data Center in batches about every 5 s; Cloud publishes no
figure), while a read by id or the v2 exact-title page list reads the database (notes §0 point 6, §6).

With ``POST /_sandbox/faults {"index_lag_ms": N}`` an item created or changed in the last N ms is
missing from CQL and JQL results. Triggers stamp every write to a page, comment, issue or label with
the wall-clock time (not the sandbox's shiftable clock: an index catches up in real time), so no
write path can forget to; a search then leaves out items stamped after ``now - N``.
``POST /_sandbox/index/catch-up`` makes everything written so far searchable at once (the tests'
"time passes", without sleeping).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from service_sandbox.store import iso

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"  # the same text format as store.iso()


def _trigger(name: str, event: str, table: str, kind: str, ref: str) -> str:
    # UPDATE then INSERT OR IGNORE, not INSERT OR REPLACE: inside a trigger the outer statement's
    # conflict clause wins (https://www.sqlite.org/lang_createtrigger.html), and the label writes
    # are INSERT OR IGNORE, which would keep the old stamp.
    return (f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} BEGIN "
            f"UPDATE sandbox_index_touch SET at = {_NOW} WHERE kind = '{kind}' AND item_id = {ref}; "
            f"INSERT OR IGNORE INTO sandbox_index_touch(kind, item_id, at) VALUES('{kind}', {ref}, {_NOW}); END;")


SCHEMA = "\n".join([
    "CREATE TABLE IF NOT EXISTS sandbox_index_touch (kind TEXT NOT NULL, item_id INTEGER NOT NULL, "
    "at TEXT NOT NULL, PRIMARY KEY (kind, item_id));",
    "CREATE INDEX IF NOT EXISTS sandbox_index_touch_at ON sandbox_index_touch(kind, at);",
    _trigger("cf_touch_insert", "INSERT", "cf_content", "cf", "NEW.id"),
    _trigger("cf_touch_update", "UPDATE", "cf_content", "cf", "NEW.id"),
    _trigger("cf_touch_label_add", "INSERT", "cf_content_labels", "cf", "NEW.content_id"),
    _trigger("cf_touch_label_remove", "DELETE", "cf_content_labels", "cf", "OLD.content_id"),
    _trigger("jira_touch_insert", "INSERT", "jira_issues", "jira", "NEW.id"),
    _trigger("jira_touch_update", "UPDATE", "jira_issues", "jira", "NEW.id"),
    _trigger("jira_touch_label_add", "INSERT", "jira_labels", "jira", "NEW.issue_id"),
    _trigger("jira_touch_label_remove", "DELETE", "jira_labels", "jira", "OLD.issue_id"),
])


def cutoff(lag_ms: int) -> str | None:
    """The stamp after which writes are not yet searchable; None when there is no lag."""
    if lag_ms <= 0:
        return None
    return iso(datetime.now(UTC) - timedelta(milliseconds=lag_ms))


def catch_up(conn: sqlite3.Connection) -> int:
    """Mark every write so far as indexed (``POST /_sandbox/index/catch-up``); how many were pending."""
    return conn.execute("DELETE FROM sandbox_index_touch").rowcount


def cql_filter(since: str) -> tuple[str, list[object]]:
    """A ``WHERE`` term over ``cf_content c`` that leaves out content written after ``since``."""
    return ("c.id NOT IN (SELECT item_id FROM sandbox_index_touch WHERE kind = 'cf' AND at > ?)", [since])


def unindexed_issues(conn: sqlite3.Connection, since: str) -> set[int]:
    """Ids of issues written after ``since``: JQL does not see them yet."""
    rows = conn.execute("SELECT item_id FROM sandbox_index_touch WHERE kind = 'jira' AND at > ?", (since,))
    return {row[0] for row in rows}
