"""Data access for the emulated Confluence: spaces, content, versions, labels and content properties.

Every function takes the caller's connection (from ``store.tx()`` or ``store.read()``) so one HTTP
request is one transaction, and raises :class:`ConfluenceError` with the status and message
Confluence would answer. The tables are in :mod:`service_sandbox.confluence_schema`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from service_sandbox import cql
from service_sandbox.confluence_schema import SCHEMA as SCHEMA  # re-exported: the tables these functions use
from service_sandbox.cql_sql import compile_sql
from service_sandbox.store import SandboxStore, iso

MAX_TITLE = 255
MAX_LABEL = 255
MAX_PROPERTY_BYTES = 32 * 1024
# Characters Confluence refuses in label names (besides whitespace): ":, ;, ., ,, ?, &, [, ], (, ), #, ^, *, @,
# !, ', `" (Adaptavist ScriptRunner for Confluence, Add Label macro: "naming restrictions imposed by Atlassian").
_LABEL_FORBIDDEN = set("!#&()*,.:;<>?@[]^'`")


class ConfluenceError(Exception):
    """An answer Confluence would give instead of a result: HTTP status plus its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- spaces -------------------------------------------------------------------------------------
def space(conn: sqlite3.Connection, key: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM cf_spaces WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise ConfluenceError(404, f"No space with key : {key}")
    return row


def spaces(conn: sqlite3.Connection, keys: Sequence[str], start: int, limit: int) -> tuple[list[sqlite3.Row], int]:
    where, params = (f"key IN ({', '.join('?' * len(keys))})", list(keys)) if keys else ("1", [])
    total = conn.execute(f"SELECT count(*) FROM cf_spaces WHERE {where}", params).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM cf_spaces WHERE {where} ORDER BY key LIMIT ? OFFSET ?",
                        [*params, limit, start]).fetchall()
    return rows, total


def create_space(conn: sqlite3.Connection, store: SandboxStore, key: str, name: str) -> None:
    conn.execute("INSERT INTO cf_spaces(id, key, name) VALUES(?, ?, ?)",
                 (store.next_id(conn, "cf_space", 98305), key, name))


def set_homepage(conn: sqlite3.Connection, key: str, content_id: int) -> None:
    conn.execute("UPDATE cf_spaces SET homepage_id = ? WHERE key = ?", (content_id, key))


# -- content: reading ---------------------------------------------------------------------------
def content(conn: sqlite3.Connection, content_id: str | int, statuses: Iterable[str] = ("current",)) -> sqlite3.Row:
    """The content row, or Confluence's 404 (also for ids that are not numbers)."""
    text = str(content_id)
    row = None
    if text.isascii() and text.isdigit() and len(text) <= 18:
        row = conn.execute("SELECT * FROM cf_content WHERE id = ?", (int(text),)).fetchone()
    if row is None or row["status"] not in tuple(statuses):
        raise ConfluenceError(404, f"No content found with id: ContentId{{id={text}}}")
    return row


def select_content(conn: sqlite3.Connection, where: str, params: Sequence[object], order: str, start: int,
                   limit: int, statuses: Sequence[str] = ("current",),
                   index: tuple[str, list[object]] = ("", [])) -> tuple[list[sqlite3.Row], int]:
    """One page of content rows matching ``where`` (over alias ``c``) plus the total count.

    Every listing (by space/title/label, children, CQL search) goes through here, so they all
    paginate the same way and none of them reads bodies. ``index`` is a ``WITH`` clause that
    renames the tables to what the search index holds (``index_lag.cql_index``).
    """
    marks = ", ".join("?" * len(statuses))
    base = f"FROM cf_content c WHERE c.status IN ({marks}) AND ({where})"
    args = [*index[1], *statuses, *params]
    total = conn.execute(f"{index[0]}SELECT count(*) {base}", args).fetchone()[0]
    rows = conn.execute(f"{index[0]}SELECT c.* {base} ORDER BY {order} LIMIT ? OFFSET ?",
                        [*args, limit, start]).fetchall()
    return rows, total


def search(conn: sqlite3.Connection, query: cql.Query, now: datetime, start: int, limit: int,
           index: tuple[str, list[object]] | None = None) -> tuple[list[sqlite3.Row], int]:
    """Run a parsed CQL query; trashed content never matches, as in Confluence's index. ``index``
    (``index_lag.cql_index``) runs it against what the index holds when it lags behind the writes:
    the rows are then the *indexed* states (callers read the content itself by id)."""
    where, params, order = compile_sql(query, now)
    return select_content(conn, where, params, order, start, limit, index=index or ("", []))


def list_content(conn: sqlite3.Connection, *, type: str, space_key: str | None, title: str | None,
                 label: str | None, statuses: Sequence[str], start: int, limit: int) -> tuple[list[sqlite3.Row], int]:
    """``GET /content`` filters, expressed as CQL so they match exactly as search does."""
    clauses = [cql.Clause("type", "=", (type,), 0)]
    if space_key:
        clauses.append(cql.Clause("space", "=", (space_key,), 0))
    if title is not None:
        clauses.append(cql.Clause("title", "=", (title,), 0))
    if label:
        clauses.append(cql.Clause("label", "=", (label,), 0))
    where, params, order = compile_sql(cql.Query(cql.And(tuple(clauses))), datetime.min)
    return select_content(conn, where, params, order, start, limit, statuses)


def children(conn: sqlite3.Connection, parent: sqlite3.Row, type: str, start: int,
             limit: int) -> tuple[list[sqlite3.Row], int]:
    """Direct child pages in position order, or the page's comments oldest first."""
    if type == "page":
        return select_content(conn, "c.type = 'page' AND c.parent_id = ?", [parent["id"]], "c.position, c.id",
                              start, limit)
    return select_content(conn, "c.type = 'comment' AND c.container_id = ?", [parent["id"]], "c.created, c.id",
                          start, limit)


def rows_by_id(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = conn.execute(f"SELECT * FROM cf_content WHERE id IN ({', '.join('?' * len(ids))})", ids)
    return {row["id"]: row for row in rows}


def ancestors(conn: sqlite3.Connection, row: sqlite3.Row) -> list[sqlite3.Row]:
    """Pages above ``row``, root first (the last one is the direct parent)."""
    chain: list[sqlite3.Row] = []
    parent_id = row["parent_id"]
    while parent_id is not None:
        parent = conn.execute("SELECT * FROM cf_content WHERE id = ?", (parent_id,)).fetchone()
        chain.append(parent)
        parent_id = parent["parent_id"]
    return chain[::-1]


def current_versions(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row], *,
                     with_body: bool) -> dict[int, sqlite3.Row]:
    """The current version row of each content row (message, minor edit flag and, if asked, body)."""
    if not rows:
        return {}
    columns = "content_id, number, message, minor_edit" + (", body" if with_body else "")
    pairs = " OR ".join("(content_id = ? AND number = ?)" for _ in rows)
    args = [v for row in rows for v in (row["id"], row["version"])]
    return {r["content_id"]: r for r in conn.execute(f"SELECT {columns} FROM cf_versions WHERE {pairs}", args)}


def page_tree(conn: sqlite3.Connection, space_key: str) -> list[tuple[sqlite3.Row, int]]:
    """Every current page of a space, depth first in position order, with its depth."""
    rows = conn.execute("SELECT * FROM cf_content WHERE space_key = ? AND type = 'page' AND status = 'current' "
                        "ORDER BY position, id", (space_key,)).fetchall()
    by_parent: dict[int | None, list[sqlite3.Row]] = {}
    for row in rows:
        by_parent.setdefault(row["parent_id"], []).append(row)
    out: list[tuple[sqlite3.Row, int]] = []
    stack = [(row, 0) for row in reversed(by_parent.get(None, []))]
    while stack:
        row, depth = stack.pop()
        out.append((row, depth))
        stack.extend((child, depth + 1) for child in reversed(by_parent.get(row["id"], [])))
    return out


# -- content: writing ---------------------------------------------------------------------------
def create_page(conn: sqlite3.Connection, store: SandboxStore, *, space_key: str, title: object, body: str,
                parent_id: str | None, account: str, at: datetime, message: str = "") -> int:
    space(conn, space_key)
    title = _valid_title(title)
    _check_unique_title(conn, space_key, title, None)
    parent = _valid_parent(conn, space_key, parent_id, None) if parent_id is not None else None
    return _insert(conn, store, type="page", space_key=space_key, title=title, body=body,
                   parent_id=parent, container_id=None, account=account, at=at, message=message)


def create_comment(conn: sqlite3.Connection, store: SandboxStore, *, container_id: str, body: str,
                   account: str, at: datetime) -> int:
    page = content(conn, container_id)
    if page["type"] != "page":
        raise ConfluenceError(400, "Comments can only be added to pages in the sandbox")
    if not body.strip():
        raise ConfluenceError(400, "Comment body cannot be empty")
    return _insert(conn, store, type="comment", space_key=page["space_key"], title=f"Re: {page['title']}",
                   body=body, parent_id=None, container_id=page["id"], account=account, at=at, message="")


def _insert(conn: sqlite3.Connection, store: SandboxStore, *, type: str, space_key: str, title: str, body: str,
            parent_id: int | None, container_id: int | None, account: str, at: datetime, message: str) -> int:
    new_id = store.next_id(conn, "cf_content", 65537)
    when = iso(at)
    conn.execute(
        "INSERT INTO cf_content(id, type, status, space_key, title, title_lower, parent_id, container_id, "
        "position, version, created, creator, modified, modifier) "
        "VALUES(?, ?, 'current', ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
        (new_id, type, space_key, title, title.lower(), parent_id, container_id,
         store.next_id(conn, "cf_position", 1), when, account, when, account))
    _save_version(conn, new_id, 1, title, body, when, account, message, False)
    return new_id


def update(conn: sqlite3.Connection, store: SandboxStore, row: sqlite3.Row, *, version: int, title: object,
           body: str | None, parent_id: str | None, message: str, minor_edit: bool, account: str,
           at: datetime) -> None:
    """Save a new version; ``version`` must be the current number plus one (Confluence's rule)."""
    if version != row["version"] + 1:
        raise ConfluenceError(409, f"Version must be incremented on update. Current version is: {row['version']}")
    title = row["title"] if title is None else _valid_title(title)
    if row["type"] == "page" and title.lower() != row["title_lower"]:
        _check_unique_title(conn, row["space_key"], title, row["id"])
    parent = row["parent_id"]
    if parent_id is not None:
        parent = _valid_parent(conn, row["space_key"], parent_id, row["id"])
    if body is None:
        body = current_versions(conn, [row], with_body=True)[row["id"]]["body"]
    when = iso(at)
    position = row["position"] if parent == row["parent_id"] else store.next_id(conn, "cf_position", 1)
    conn.execute("UPDATE cf_content SET title = ?, title_lower = ?, parent_id = ?, position = ?, version = ?, "
                 "modified = ?, modifier = ? WHERE id = ?",
                 (title, title.lower(), parent, position, version, when, account, row["id"]))
    _save_version(conn, row["id"], version, title, body, when, account, message, minor_edit)


def _save_version(conn: sqlite3.Connection, content_id: int, number: int, title: str, body: str, when: str,
                  account: str, message: str, minor_edit: bool) -> None:
    conn.execute("INSERT INTO cf_versions(content_id, number, title, saved_at, saved_by, message, minor_edit, body) "
                 "VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                 (content_id, number, title, when, account, message, int(minor_edit), body))


def trash(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    """Move content to the trash. A trashed page's children move up to its parent and its
    comments go with it, so nothing current is left hanging under trashed content."""
    conn.execute("UPDATE cf_content SET status = 'trashed' WHERE id = ? OR container_id = ?", (row["id"], row["id"]))
    conn.execute("UPDATE cf_content SET parent_id = ? WHERE parent_id = ?", (row["parent_id"], row["id"]))


def purge(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    """Delete trashed content for good, with its comments, versions, labels and properties."""
    conn.execute("UPDATE cf_content SET parent_id = ? WHERE parent_id = ?", (row["parent_id"], row["id"]))
    conn.execute("DELETE FROM cf_content WHERE container_id = ?", (row["id"],))
    conn.execute("DELETE FROM cf_content WHERE id = ?", (row["id"],))


def set_dates(conn: sqlite3.Connection, row: sqlite3.Row, created: datetime | None,
              modified: datetime | None) -> None:
    """Back-date content (test control): creation is version 1's time, modification the current one's."""
    if created is not None:
        conn.execute("UPDATE cf_content SET created = ? WHERE id = ?", (iso(created), row["id"]))
        conn.execute("UPDATE cf_versions SET saved_at = ? WHERE content_id = ? AND number = 1",
                     (iso(created), row["id"]))
    if modified is not None:
        conn.execute("UPDATE cf_content SET modified = ? WHERE id = ?", (iso(modified), row["id"]))
        conn.execute("UPDATE cf_versions SET saved_at = ? WHERE content_id = ? AND number = ?",
                     (iso(modified), row["id"], row["version"]))


def _valid_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ConfluenceError(400, "Title cannot be empty")
    if len(title) > MAX_TITLE:
        raise ConfluenceError(400, f"Title cannot be longer than {MAX_TITLE} characters")
    return title


def _check_unique_title(conn: sqlite3.Connection, space_key: str, title: str, own_id: int | None) -> None:
    clash = conn.execute("SELECT id FROM cf_content WHERE space_key = ? AND title_lower = ? AND type = 'page' "
                         "AND status = 'current' AND id IS NOT ?", (space_key, title.lower(), own_id)).fetchone()
    if clash is not None:
        raise ConfluenceError(400, "A page with this title already exists: A page already exists with the title "
                                   f"{title} in the space with key {space_key}")


def _valid_parent(conn: sqlite3.Connection, space_key: str, parent_id: str, own_id: int | None) -> int:
    try:
        parent = content(conn, parent_id)
    except ConfluenceError:
        raise ConfluenceError(400, f"The parent page {parent_id} does not exist") from None
    if parent["type"] != "page" or parent["space_key"] != space_key:
        raise ConfluenceError(400, f"The parent {parent_id} is not a page in space {space_key}")
    if own_id is not None and any(r["id"] == own_id for r in [parent, *ancestors(conn, parent)]):
        raise ConfluenceError(400, "A page cannot be moved below itself or one of its descendants")
    return parent["id"]


# -- labels -------------------------------------------------------------------------------------
def labels_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, list[sqlite3.Row]]:
    out: dict[int, list[sqlite3.Row]] = {i: [] for i in ids}
    if ids:
        for row in conn.execute("SELECT cl.content_id, l.id, l.name FROM cf_content_labels cl JOIN cf_labels l "
                                f"ON l.id = cl.label_id WHERE cl.content_id IN ({', '.join('?' * len(ids))}) "
                                "ORDER BY l.name", list(ids)):
            out[row["content_id"]].append(row)
    return out


def label_name(name: object) -> str:
    """Confluence's label rules: lower-cased, no whitespace or reserved punctuation."""
    if not isinstance(name, str) or not name:
        raise ConfluenceError(400, "Label name cannot be empty")
    if any(ch.isspace() for ch in name) or _LABEL_FORBIDDEN & set(name):
        raise ConfluenceError(400, f"Label '{name}' contains invalid characters (spaces or !#&()*,.:;<>?@[]^'`)")
    if len(name) > MAX_LABEL:
        raise ConfluenceError(400, f"Label '{name[:40]}…' is longer than {MAX_LABEL} characters")
    return name.lower()


def add_labels(conn: sqlite3.Connection, content_id: int, names: Iterable[str]) -> None:
    for name in names:
        conn.execute("INSERT OR IGNORE INTO cf_labels(name) VALUES(?)", (name,))
        conn.execute("INSERT OR IGNORE INTO cf_content_labels(content_id, label_id) "
                     "SELECT ?, id FROM cf_labels WHERE name = ?", (content_id, name))


def remove_label(conn: sqlite3.Connection, content_id: int, name: str) -> None:
    deleted = conn.execute("DELETE FROM cf_content_labels WHERE content_id = ? AND label_id = "
                           "(SELECT id FROM cf_labels WHERE name = ?)", (content_id, name.lower())).rowcount
    if not deleted:
        raise ConfluenceError(404, f"Label '{name}' not found on content {content_id}")


# -- content properties -------------------------------------------------------------------------
def properties(conn: sqlite3.Connection, content_id: int, start: int, limit: int) -> tuple[list[sqlite3.Row], int]:
    total = conn.execute("SELECT count(*) FROM cf_properties WHERE content_id = ?", (content_id,)).fetchone()[0]
    rows = conn.execute("SELECT * FROM cf_properties WHERE content_id = ? ORDER BY key LIMIT ? OFFSET ?",
                        (content_id, limit, start)).fetchall()
    return rows, total


def content_property(conn: sqlite3.Connection, content_id: int, key: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM cf_properties WHERE content_id = ? AND key = ?", (content_id, key)).fetchone()
    if row is None:
        raise ConfluenceError(404, f"Cannot find content property with key '{key}' on content {content_id}")
    return row


def save_property(conn: sqlite3.Connection, content_id: int, key: object, value: object, *, version: int | None,
                  account: str, at: datetime) -> None:
    """Create (``version`` None or 1 for a new key) or update (current + 1) one content property."""
    if not isinstance(key, str) or not key or len(key) > 255:
        raise ConfluenceError(400, "A content property needs a key of 1 to 255 characters")
    text = json.dumps(value)
    if len(text.encode()) > MAX_PROPERTY_BYTES:
        raise ConfluenceError(413, f"The value of content property '{key}' is longer than 32 KB")
    existing = conn.execute("SELECT version FROM cf_properties WHERE content_id = ? AND key = ?",
                            (content_id, key)).fetchone()
    current = existing["version"] if existing else 0
    if version is None:
        if existing:
            raise ConfluenceError(400, f"Cannot create content property '{key}': one with this key already exists")
        version = 1
    elif version != current + 1:
        raise ConfluenceError(409, f"Version must be incremented on update. Current version is: {current}")
    conn.execute("INSERT INTO cf_properties(content_id, key, value, version, saved_at, saved_by) "
                 "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(content_id, key) DO UPDATE SET value = excluded.value, "
                 "version = excluded.version, saved_at = excluded.saved_at, saved_by = excluded.saved_by",
                 (content_id, key, text, version, iso(at), account))


def merge_property(conn: sqlite3.Connection, content_id: int, key: object, value: object, *, account: str,
                   at: datetime) -> None:
    """Set a property from a page's ``metadata.properties``: created, or updated as the next version
    when its value changed (how Confluence stores e.g. ``content-appearance-published``)."""
    existing = conn.execute("SELECT value, version FROM cf_properties WHERE content_id = ? AND key = ?",
                            (content_id, key)).fetchone()
    if existing is None:
        save_property(conn, content_id, key, value, version=None, account=account, at=at)
    elif existing["value"] != json.dumps(value):
        save_property(conn, content_id, key, value, version=existing["version"] + 1, account=account, at=at)


def delete_property(conn: sqlite3.Connection, content_id: int, key: str) -> None:
    content_property(conn, content_id, key)
    conn.execute("DELETE FROM cf_properties WHERE content_id = ? AND key = ?", (content_id, key))
