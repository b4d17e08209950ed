"""Emulated Confluence Cloud REST v2 (``/wiki/api/v2``): spaces, pages and their children.

The routes and rules follow Atlassian's published v2 OpenAPI (``../shared/specs/confluence-cloud-v2.openapi.json``)
and what the real service answers (``../shared/atlassian-api-notes.md`` §6): create answers **200**
(not 201) with the page; an update must send ``id``, ``status``, ``title``, ``body`` and
``version.number`` = current + 1, and a stale number is a **409** ``CONFLICT``; a duplicate title
in a space is a **400**; ``GET /pages?title=`` is an exact filter read from the database, so it sees
a page the moment it is created (unlike CQL search, which goes through the index). Labels, content
properties, footer comments and versions are in :mod:`service_sandbox.confluence_v2_meta`; the wire
format in :mod:`service_sandbox.confluence_v2_json`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Blueprint, Flask, Response, request

from service_sandbox import confluence_store as db
from service_sandbox import confluence_v2_meta
from service_sandbox.confluence_json import Site, current_account, current_store, json_body, version_field
from service_sandbox.confluence_store import ConfluenceError
from service_sandbox.confluence_v2_json import (
    PAGE_STATUSES,
    InvalidParameter,
    PageWriter,
    body_format,
    child_json,
    cursor_offset,
    flag,
    id_list,
    limit_arg,
    page_row,
    page_slice,
    paged,
    space_json,
    statuses_arg,
    storage_body,
    storage_value,
    str_list,
    version_json,
)

PREFIX = "/wiki/api/v2"
_PAGE_SORTS = {"id": "c.id", "-id": "c.id DESC", "title": "c.title_lower", "-title": "c.title_lower DESC",
               "created-date": "c.created", "-created-date": "c.created DESC",
               "modified-date": "c.modified", "-modified-date": "c.modified DESC"}

v2 = Blueprint("confluence_v2", __name__)
confluence_v2_meta.add_routes(v2)


def register(app: Flask) -> None:
    app.register_blueprint(v2, url_prefix=PREFIX)


# -- spaces -------------------------------------------------------------------------------------
def space_by_id(conn: sqlite3.Connection, space_id: object) -> sqlite3.Row:
    text = str(space_id)
    row = None
    if text.isascii() and text.isdigit() and len(text) <= 18:
        row = conn.execute("SELECT * FROM cf_spaces WHERE id = ?", (int(text),)).fetchone()
    if row is None:
        raise ConfluenceError(404, f"No space with id {text}")
    return row


@v2.get("/spaces")
def list_spaces() -> Response:
    """``?keys=INC`` (array) and ``?ids=``; an unknown key is simply not in ``results``."""
    keys, ids, limit = str_list("keys"), id_list("ids"), limit_arg()
    with current_store().read() as conn:
        rows = conn.execute("SELECT * FROM cf_spaces ORDER BY id").fetchall()
        rows = [r for r in rows if (not keys or r["key"] in keys) and (not ids or r["id"] in ids)]
        page, offset, total = page_slice(rows, limit)
        results = [space_json(conn, r) for r in page]
    return paged(results, offset=offset, limit=limit, total=total, site=Site.current())


@v2.get("/spaces/<id>")
def get_space(id: str) -> Any:
    with current_store().read() as conn:
        return space_json(conn, space_by_id(conn, id))


# -- pages: reading -----------------------------------------------------------------------------
@v2.get("/pages")
def list_pages() -> Response:
    """The exact-title, by-space listing: a database read, consistent the moment a page is written."""
    space_ids, ids, limit = id_list("space-id"), id_list("id"), limit_arg()
    statuses = statuses_arg(("current", "archived"))
    fmt = body_format(bulk=True)
    sort = request.args.get("sort") or "id"
    if sort not in _PAGE_SORTS:
        raise InvalidParameter(f"sort must be one of {', '.join(_PAGE_SORTS)}, not '{sort}'")
    where, params = ["c.type = 'page'"], list[object]()
    if space_ids:
        where.append(f"c.space_key IN (SELECT key FROM cf_spaces WHERE id IN ({', '.join('?' * len(space_ids))}))")
        params.extend(space_ids)
    if ids:
        where.append(f"c.id IN ({', '.join('?' * len(ids))})")
        params.extend(ids)
    if "title" in request.args:
        where.append("c.title = ?")
        params.append(request.args["title"])
    offset = cursor_offset()
    with current_store().read() as conn:
        rows, total = db.select_content(conn, " AND ".join(where), params, f"{_PAGE_SORTS[sort]}, c.id", offset,
                                        limit, statuses)
        results = PageWriter(conn, Site.current(), body=fmt).many(rows)
    return paged(results, offset=offset, limit=limit, total=total, site=Site.current())


@v2.get("/pages/<id>")
def get_page(id: str) -> Any:
    """``body-format=storage`` for the body; ``include-labels``/``-properties``/``-versions`` add
    those collections (first 50, as the real API), ``include-version`` (default true) the version."""
    fmt, statuses = body_format(bulk=False), statuses_arg(("current",), PAGE_STATUSES)
    wanted = request.args.get("version")
    if wanted is not None and not (wanted.isdigit() and len(wanted) < 10):
        raise InvalidParameter(f"version must be a version number, not '{wanted}'")
    with current_store().read() as conn:
        row = page_row(conn, id, statuses)
        out = PageWriter(conn, Site.current(), body=fmt, version=flag("include-version", True)).one(row)
        if wanted is not None and int(wanted) != row["version"]:
            out.update(_historical(conn, row, int(wanted), fmt is not None))
        out.update(confluence_v2_meta.includes(conn, row))
    return out


def _historical(conn: sqlite3.Connection, row: sqlite3.Row, number: int, with_body: bool) -> dict[str, Any]:
    """``?version=N``: the page as saved at version N (title, body, version object)."""
    saved = conn.execute("SELECT * FROM cf_versions WHERE content_id = ? AND number = ?",
                         (row["id"], number)).fetchone()
    if saved is None:
        raise ConfluenceError(404, f"Page {row['id']} has no version {number}")
    out: dict[str, Any] = {"title": saved["title"], "version": version_json(
        number, saved["saved_at"], saved["saved_by"], saved["message"], bool(saved["minor_edit"]))}
    if with_body:
        out["body"] = storage_body(saved["body"])
    return out


# -- pages: writing -----------------------------------------------------------------------------
def _current_only(data: dict[str, Any], required: bool) -> None:
    status = data.get("status", None if required else "current")
    if status == "draft":
        raise ConfluenceError(400, "The sandbox does not keep drafts: send status 'current'")
    if status != "current":
        raise ConfluenceError(400, f"status must be 'current' (or 'draft'), not {status!r}")


@v2.post("/pages")
def create_page() -> Any:
    """200 with the page. Without ``parentId`` a page goes under the space's home page, unless
    ``?root-level=true`` (the published spec's rule)."""
    data, store, account = json_body(), current_store(), current_account()
    if data.get("spaceId") in (None, ""):
        raise ConfluenceError(400, "spaceId is required")
    _current_only(data, required=False)
    body = storage_value(data, required=False) or ""
    parent = data.get("parentId")
    with store.tx() as conn:
        space = space_by_id(conn, data["spaceId"])
        if parent in (None, "") and not flag("root-level"):
            parent = space["homepage_id"]
        new_id = db.create_page(conn, store, space_key=space["key"], title=data.get("title"), body=body,
                                parent_id=str(parent) if parent not in (None, "") else None, account=account,
                                at=store.now())
        return PageWriter(conn, Site.current(), body="storage").one(db.content(conn, new_id))


@v2.put("/pages/<id>")
def update_page(id: str) -> Any:
    data, store, account = json_body(), current_store(), current_account()
    missing = [name for name in ("id", "status", "title", "body", "version") if name not in data]
    if missing:
        raise ConfluenceError(400, f"Missing required field(s): {', '.join(missing)}")
    if str(data["id"]) != id:
        raise ConfluenceError(400, f"The id in the body ({data['id']}) does not match the page id {id}")
    _current_only(data, required=True)
    body = storage_value(data, required=True)
    version, number = version_field(data)
    if number is None:
        raise ConfluenceError(400, "version.number is required and must be an integer")
    with store.tx() as conn:
        row = page_row(conn, id)
        if number != row["version"] + 1:
            raise ConfluenceError(409, "Version must be incremented when updating a page. "
                                       f"Current Version: [{row['version']}]. Provided version: [{number}]")
        space_id = data.get("spaceId")
        if space_id not in (None, "") and str(space_id) != str(db.space(conn, row["space_key"])["id"]):
            raise ConfluenceError(400, "The sandbox cannot move a page to another space")
        parent = data.get("parentId")
        db.update(conn, store, row, version=number, title=data["title"], body=body,
                  parent_id=str(parent) if parent not in (None, "") else None,
                  message=str(version.get("message") or ""), minor_edit=bool(version.get("minorEdit")),
                  account=account, at=store.now())
        return PageWriter(conn, Site.current(), body="storage").one(db.content(conn, id))


@v2.delete("/pages/<id>")
def delete_page(id: str) -> Response:
    """A current page goes to the trash; ``?purge=true`` deletes a trashed one for good."""
    with current_store().tx() as conn:
        if flag("purge"):
            db.purge(conn, page_row(conn, id, ("trashed",)))
        else:
            db.trash(conn, page_row(conn, id))
    return Response(status=204)


# -- children -----------------------------------------------------------------------------------
@v2.get("/pages/<id>/direct-children", defaults={"typed": True})
@v2.get("/pages/<id>/children", defaults={"typed": False})
def children(id: str, typed: bool) -> Response:
    """Child pages in position order. ``/direct-children`` (the newer route) lists every content type
    and tags each with ``type``, so a client must filter ``page``; ``/children`` lists pages only."""
    limit, offset = limit_arg(), cursor_offset()
    with current_store().read() as conn:
        row = page_row(conn, id)
        rows, total = db.children(conn, row, "page", offset, limit)
        space_id = str(db.space(conn, row["space_key"])["id"])
        results = [child_json(r, space_id, typed=typed) for r in rows]
    return paged(results, offset=offset, limit=limit, total=total, site=Site.current())
