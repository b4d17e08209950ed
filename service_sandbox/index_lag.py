"""Search lag: CQL and JQL answer from an index that trails the database, as on the real services.

Both products' searches are eventually consistent: Jira's enhanced search may miss an issue for "a
few seconds to minutes" after a write and takes ``reconcileIssues`` (up to 50 issue ids) to see
those ids fresh (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get);
Confluence indexes asynchronously (Data Center in batches about every 5 s; Cloud publishes no
figure), while a read by id or the v2 exact-title page list reads the database (notes §0 point 6, §6).

With ``POST /_sandbox/faults {"index_lag_ms": N}`` the index holds each item as it was N ms ago:
triggers stamp every write to a page, comment, issue or label with the wall-clock time (not the
sandbox's shiftable clock: an index catches up in real time), so no write path can forget to. An
item created in the last N ms is missing from CQL and JQL results; an item *changed* in the last N
ms is matched by its last indexed state, not left out. That is what an index that has not yet
processed a change does: Confluence queues "a new page, comment, or edit to an existing page" and
processes the queue in batches (Content Index Administration,
https://confluence.atlassian.com/conf711/content-index-administration-1044782560.html), so until
then the index still holds the page as it was, and Jira's search "may return stale or outdated data
instead of the most recent updates" (Search and reconcile,
https://developer.atlassian.com/cloud/jira/platform/search-and-reconcile). So a page whose label was
just removed is still found by that label, a page just edited is still found, an issue just moved
to Done is still found by ``statusCategory != Done``. BEFORE triggers keep each state an item had
(``sandbox_index_history``: the state valid from one write's stamp until the next), and a search
reads the latest state valid at the cutoff. ``POST /_sandbox/index/catch-up`` makes everything
written so far searchable at once (the tests' "time passes", without sleeping).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from service_sandbox.store import iso

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"  # the same text format as store.iso()


_JIRA_STATE = (
    "(SELECT json_object('id', i.id, 'project_key', p.key, 'num', i.num, 'summary', i.summary, "
    "'description', i.description, 'status_id', i.status_id, 'priority_id', i.priority_id, "
    "'issuetype_id', i.issuetype_id, 'assignee', i.assignee, 'reporter', i.reporter, 'duedate', i.duedate, "
    "'created', i.created, 'updated', i.updated, 'resolution_id', i.resolution_id, "
    "'resolutiondate', i.resolutiondate, "
    "'labels', (SELECT json_group_array(label) FROM jira_labels l WHERE l.issue_id = i.id)) "
    "FROM jira_issues i JOIN jira_projects p ON p.id = i.project_id WHERE i.id = {ref})")
CF_COLUMNS = ("id", "type", "status", "space_key", "title", "title_lower", "parent_id", "container_id", "position",
              "version", "created", "creator", "modified", "modifier")
_CF_STATE = ("(SELECT json_object(" + ", ".join(f"'{c}', c.{c}" for c in CF_COLUMNS) +
             ", 'labels', (SELECT json_group_array(label_id) FROM cf_content_labels cl WHERE cl.content_id = c.id)) "
             "FROM cf_content c WHERE c.id = {ref})")


def _snapshot(name: str, event: str, table: str, kind: str, ref: str) -> str:
    """Before a write, keep the item's state as valid from its previous write's stamp (or from ever,
    when the index has it): the state the index still answers with until it catches up."""
    state = (_JIRA_STATE if kind == "jira" else _CF_STATE).format(ref=ref)
    since = f"COALESCE((SELECT at FROM sandbox_index_touch WHERE kind = '{kind}' AND item_id = {ref}), '')"
    return (f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table} BEGIN "
            f"UPDATE sandbox_index_history SET state = {state} WHERE kind = '{kind}' AND item_id = {ref} "
            f"AND valid_from = {since} AND {state} IS NOT NULL; "
            f"INSERT OR IGNORE INTO sandbox_index_history(kind, item_id, valid_from, state) "
            f"SELECT '{kind}', {ref}, {since}, {state} WHERE {state} IS NOT NULL; END;")


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
    "CREATE TABLE IF NOT EXISTS sandbox_index_history (kind TEXT NOT NULL, item_id INTEGER NOT NULL, "
    "valid_from TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (kind, item_id, valid_from));",
    _snapshot("cf_keep_update", "UPDATE", "cf_content", "cf", "OLD.id"),
    _snapshot("cf_keep_label_add", "INSERT", "cf_content_labels", "cf", "NEW.content_id"),
    _snapshot("cf_keep_label_remove", "DELETE", "cf_content_labels", "cf", "OLD.content_id"),
    _snapshot("jira_keep_update", "UPDATE", "jira_issues", "jira", "OLD.id"),
    _snapshot("jira_keep_label_add", "INSERT", "jira_labels", "jira", "NEW.issue_id"),
    _snapshot("jira_keep_label_remove", "DELETE", "jira_labels", "jira", "OLD.issue_id"),
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
    conn.execute("DELETE FROM sandbox_index_history")
    return conn.execute("DELETE FROM sandbox_index_touch").rowcount


_LAGGING = "SELECT item_id FROM sandbox_index_touch WHERE kind = '{kind}' AND at > ?"
_INDEXED_STATE = ("SELECT h.state FROM sandbox_index_history h WHERE h.kind = '{kind}' AND h.item_id = t.item_id "
                  "AND h.valid_from <= ? ORDER BY h.valid_from DESC LIMIT 1")


def cql_index(since: str) -> tuple[str, list[object]]:
    """A ``WITH`` clause naming ``cf_content`` and ``cf_content_labels`` as the index holds them at
    ``since``: within the statement these names shadow the tables, so the compiled CQL (labels and
    the ancestor walk included) runs unchanged against the indexed state. Content written after
    ``since`` is there as its last indexed state, or not at all if it had none (created since)."""
    columns = ", ".join(CF_COLUMNS)
    extracted = ", ".join(f"json_extract(state, '$.{c}') AS {c}" for c in CF_COLUMNS)
    lagging = _LAGGING.format(kind="cf")
    sql = (f"WITH indexed_state AS (SELECT t.item_id, ({_INDEXED_STATE.format(kind='cf')}) AS state "
           "FROM sandbox_index_touch t WHERE t.kind = 'cf' AND t.at > ?), "
           f"cf_content AS (SELECT {columns} FROM main.cf_content WHERE id NOT IN ({lagging}) "
           f"UNION ALL SELECT {extracted} FROM indexed_state WHERE state IS NOT NULL), "
           f"cf_content_labels AS (SELECT content_id, label_id FROM main.cf_content_labels "
           f"WHERE content_id NOT IN ({lagging}) UNION ALL SELECT s.item_id, j.value "
           "FROM indexed_state s, json_each(json_extract(s.state, '$.labels')) j WHERE s.state IS NOT NULL) ")
    return sql, [since, since, since, since]


def indexed_issues(conn: sqlite3.Connection, since: str) -> dict[int, dict[str, Any] | None]:
    """Issues written after ``since``, each as the index holds it (its last state before ``since``:
    the row plus ``labels``), or None when the index has none (created since)."""
    rows = conn.execute(f"SELECT t.item_id, ({_INDEXED_STATE.format(kind='jira')}) FROM sandbox_index_touch t "
                        "WHERE t.kind = 'jira' AND t.at > ?", (since, since))
    return {row[0]: (json.loads(row[1]) if row[1] else None) for row in rows}
