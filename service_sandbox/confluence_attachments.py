"""Confluence REST v1 attachments: ``POST/GET /rest/api/content/{id}/child/attachment`` and downloads.

As the real API (https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content---attachments/):

* The upload is ``multipart/form-data`` with the file in a part named ``file`` (optional ``comment``
  and ``minorEdit``), and must carry ``X-Atlassian-Token: no-check``, else Confluence refuses it
  with 403 (its XSRF check). It is the one upload API Cloud keeps (v2 has no upload).
* A second upload with a filename the page already has is a 400 ("Cannot add a new attachment
  with same file name as an existing attachment"): updating goes through ``.../{attachmentId}/data``,
  which wikibot never needs, so it is not emulated.
* Listing (v2 on Cloud, by cursor; v1 on Data Center, by ``start``/``limit``, default 50) filters on
  ``filename`` and ``mediaType``;
  each result has ``id`` ("att<n>"), ``title`` (the filename), ``metadata.mediaType``,
  ``extensions.fileSize`` and ``_links.download``.

Kept in its own table and module, so the content modules stay as they are.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from service_sandbox.confluence_json import Site, envelope, paging
from service_sandbox.confluence_store import ConfluenceError
from service_sandbox.confluence_v2_json import cursor_offset, limit_arg, paged, statuses_arg
from service_sandbox.error_bodies import confluence_error
from service_sandbox.store import iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS cf_attachments (
    id         INTEGER PRIMARY KEY,
    content_id INTEGER NOT NULL,
    filename   TEXT NOT NULL,
    media_type TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    data       BLOB NOT NULL,
    creator    TEXT NOT NULL,
    created    TEXT NOT NULL,
    UNIQUE (content_id, filename)
);
"""

api = Blueprint("confluence_attachments", __name__)
api_v2 = Blueprint("confluence_attachments_v2", __name__)
downloads = Blueprint("confluence_downloads", __name__)


def register(app: Flask, *, dc_root: bool = True) -> None:
    """Cloud serves Confluence under ``/wiki`` only; the server-root routes (``/rest/api``,
    ``/download``) are Data Center's, mounted with ``dc_root`` as the content routes are."""
    app.extensions["sandbox"].store.ensure_schema(SCHEMA)
    app.register_blueprint(api, url_prefix="/wiki/rest/api", name="confluence_attachments_cloud")
    app.register_blueprint(api_v2, url_prefix="/wiki/api/v2")
    app.register_blueprint(downloads, url_prefix="/wiki", name="confluence_downloads_cloud")
    if dc_root:
        app.register_blueprint(api, url_prefix="/rest/api", name="confluence_attachments_dc")
        app.register_blueprint(downloads, url_prefix="", name="confluence_downloads_dc")


def _store() -> Any:
    return current_app.extensions["sandbox"].store


def _page(conn: sqlite3.Connection, content_id: str) -> sqlite3.Row | None:
    if not (content_id.isascii() and content_id.isdigit()):
        return None
    return conn.execute("SELECT id, space_key FROM cf_content WHERE id = ? AND status = 'current'",
                        (int(content_id),)).fetchone()


def _json(row: sqlite3.Row, base: str) -> dict[str, Any]:
    download = f"/download/attachments/{row['content_id']}/{row['filename']}?api=v2"
    return {
        "id": f"att{row['id']}", "type": "attachment", "status": "current", "title": row["filename"],
        "metadata": {"mediaType": row["media_type"], "comment": row["comment"]},
        "extensions": {"mediaType": row["media_type"], "fileSize": len(row["data"]), "comment": row["comment"]},
        "version": {"number": 1, "when": row["created"]},
        "_links": {"download": download, "webui": f"/pages/viewpageattachments.action?pageId={row['content_id']}",
                   "self": f"{base}/rest/api/content/att{row['id']}"},
    }


def _filters(content_id: int) -> tuple[str, list[object]]:
    """The ``WHERE`` of a listing: the page's attachments, narrowed by ``filename`` and ``mediaType``."""
    where, params = "content_id = ?", list[object]([content_id])
    for arg, column in (("filename", "filename"), ("mediaType", "media_type")):
        if request.args.get(arg):
            where += f" AND {column} = ?"
            params.append(request.args[arg])
    return where, params


def _listing(content_id: int, offset: int, limit: int) -> tuple[list[sqlite3.Row], int]:
    where, params = _filters(content_id)
    with _store().read() as conn:
        total = conn.execute(f"SELECT COUNT(*) FROM cf_attachments WHERE {where}", params).fetchone()[0]
        rows = conn.execute(f"SELECT * FROM cf_attachments WHERE {where} ORDER BY id LIMIT ? OFFSET ?",
                            (*params, limit, offset)).fetchall()
    return rows, total


def _current_page(content_id: str) -> int:
    """The id of the current page ``content_id`` names, or Confluence's 404 (v1 or v2 body by path)."""
    with _store().read() as conn:
        page = _page(conn, content_id)
    if page is None:
        raise ConfluenceError(404, f"No content found with id: ContentId{{id={content_id}}}")
    return int(page["id"])


@api.get("/content/<content_id>/child/attachment")
def list_attachments(content_id: str) -> Any:
    """Data Center's listing (Cloud's is gone: ``gone``): ``start``/``limit`` (default 50, at most
    200), and ``_links.next`` with the context path and every filter, like every v1 list."""
    start, limit = paging(50, cap=200)
    rows, total = _listing(_current_page(content_id), start, limit)
    site = Site.current()
    return envelope([_json(r, site.base) for r in rows], start=start, limit=limit, total=total, site=site)


@api_v2.get("/pages/<page_id>/attachments")
def list_attachments_v2(page_id: str) -> Any:
    """Cloud reads attachments through v2 (``GET /pages/{id}/attachments``, filters ``filename`` and
    ``mediaType``, ``status`` of current/archived/trashed, ``limit`` 1-250, default 50: the published v2
    OpenAPI), paged by cursor like every v2 list (``_links.next`` and ``Link``); only the upload stays v1."""
    limit = limit_arg(50)
    statuses = statuses_arg(("current",), ("current", "archived", "trashed"))
    offset = cursor_offset()
    rows, total = _listing(_current_page(page_id), offset, limit)
    if "current" not in statuses:  # the sandbox's attachments are all current
        rows, total = [], 0
    results = [{
        "id": f"att{row['id']}", "status": "current", "title": row["filename"], "createdAt": row["created"],
        "pageId": str(row["content_id"]), "mediaType": row["media_type"], "comment": row["comment"],
        "fileSize": len(row["data"]), "version": {"number": 1, "createdAt": row["created"]},
        "downloadLink": f"/download/attachments/{row['content_id']}/{row['filename']}?api=v2",
        "webuiLink": f"/pages/viewpageattachments.action?pageId={row['content_id']}",
    } for row in rows]
    return paged(results, offset=offset, limit=limit, total=total, site=Site.current())


@api.post("/content/<content_id>/child/attachment")
def upload(content_id: str) -> Any:
    if request.headers.get("X-Atlassian-Token", "").lower() != "no-check":
        return confluence_error(403, "XSRF check failed")
    file = request.files.get("file")
    if file is None or not file.filename:
        return confluence_error(400, "At least one attachment file must be included (a part named 'file').")
    data = file.read()
    store = _store()
    with store.tx() as conn:
        if _page(conn, content_id) is None:
            return confluence_error(404, f"No content found with id: ContentId{{id={content_id}}}")
        if conn.execute("SELECT 1 FROM cf_attachments WHERE content_id = ? AND filename = ?",
                        (int(content_id), file.filename)).fetchone():
            return confluence_error(400, "Cannot add a new attachment with same file name as an existing "
                                         f"attachment: {file.filename}")
        cursor = conn.execute(
            "INSERT INTO cf_attachments(content_id, filename, media_type, comment, data, creator, created)"
            " VALUES(?, ?, ?, ?, ?, ?, ?)",
            (int(content_id), file.filename, file.mimetype or "application/octet-stream",
             request.form.get("comment", ""), data, g.get("account_id", ""), iso(store.now())))
        row = conn.execute("SELECT * FROM cf_attachments WHERE id = ?", (cursor.lastrowid,)).fetchone()
    return jsonify({"results": [_json(row, Site.current().base)], "size": 1, "start": 0, "limit": 1})


@downloads.get("/download/attachments/<content_id>/<path:filename>")
def download(content_id: str, filename: str) -> Response:
    """What a browser gets for an attachment link (the sandbox's web view shows images from here)."""
    with _store().read() as conn:
        row = conn.execute("SELECT * FROM cf_attachments WHERE content_id = ? AND filename = ?",
                           (int(content_id) if content_id.isdigit() else -1, filename)).fetchone()
    if row is None:
        return Response("Not found", status=404, mimetype="text/plain")
    return Response(bytes(row["data"]), mimetype=row["media_type"])
