"""Confluence Cloud REST v2 routes around a page: labels (read only), content properties, footer
comments and versions.

v2 has **no label write** (adding and removing stay on v1, ``confluence_meta``); content properties
are addressed by their numeric **property id** (found by key with ``?key=``), created with
``POST`` (200) and updated with ``version.number`` = current + 1 (409 otherwise); a footer comment
is created with ``POST /footer-comments`` and answers **201** with a ``Location`` header. Sources:
the published v2 OpenAPI (``../shared/specs/confluence-cloud-v2.openapi.json``) and
``../shared/atlassian-api-notes.md`` §6.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from flask import Blueprint, Response, request

from service_sandbox import confluence_store as db
from service_sandbox.confluence_json import Site, current_account, current_store, json_body, version_field
from service_sandbox.confluence_store import ConfluenceError
from service_sandbox.confluence_v2_json import (
    InvalidParameter,
    body_format,
    comment_json,
    cursor_offset,
    flag,
    label_json,
    limit_arg,
    page_row,
    page_slice,
    paged,
    property_json,
    storage_value,
    version_json,
    with_bodies,
)

LABEL_PREFIXES = ("my", "team", "global", "system")  # GET /pages/{id}/labels ?prefix, the spec's enum
INCLUDE_LIMIT = 50  # include-labels / -properties / -versions return the first 50, with meta.hasMore


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/pages/<id>/labels", view_func=page_labels, methods=["GET"])
    bp.add_url_rule("/pages/<id>/properties", view_func=list_properties, methods=["GET"])
    bp.add_url_rule("/pages/<id>/properties", view_func=create_property, methods=["POST"])
    bp.add_url_rule("/pages/<id>/properties/<property_id>", view_func=get_property, methods=["GET"])
    bp.add_url_rule("/pages/<id>/properties/<property_id>", view_func=update_property, methods=["PUT"])
    bp.add_url_rule("/pages/<id>/properties/<property_id>", view_func=delete_property, methods=["DELETE"])
    bp.add_url_rule("/pages/<id>/footer-comments", view_func=page_footer_comments, methods=["GET"])
    bp.add_url_rule("/footer-comments", view_func=create_footer_comment, methods=["POST"])
    bp.add_url_rule("/footer-comments/<comment_id>", view_func=get_footer_comment, methods=["GET"])
    bp.add_url_rule("/pages/<id>/versions", view_func=page_versions, methods=["GET"])


def _page(conn: sqlite3.Connection, id: str) -> sqlite3.Row:
    return page_row(conn, id)


# -- includes on GET /pages/{id} ----------------------------------------------------------------
def _collection(results: list[dict[str, Any]], has_more: bool, link: str) -> dict[str, Any]:
    return {"results": results, "meta": {"hasMore": has_more}, "_links": {"self": link}}


def includes(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The ``include-labels``, ``include-properties`` and ``include-versions`` collections asked for."""
    out: dict[str, Any] = {}
    base = f"/wiki/api/v2/pages/{row['id']}"
    if flag("include-labels"):
        labels = db.labels_of(conn, [row["id"]])[row["id"]]
        out["labels"] = _collection([label_json(x) for x in labels[:INCLUDE_LIMIT]], len(labels) > INCLUDE_LIMIT,
                                    base + "/labels")
    if flag("include-properties"):
        props = _properties(conn, row["id"], None)
        out["properties"] = _collection([property_json(p) for p in props[:INCLUDE_LIMIT]],
                                        len(props) > INCLUDE_LIMIT, base + "/properties")
    if flag("include-versions"):
        versions = _versions(conn, row)
        out["versions"] = _collection(versions[:INCLUDE_LIMIT], len(versions) > INCLUDE_LIMIT, base + "/versions")
    return out


# -- labels -------------------------------------------------------------------------------------
def page_labels(id: str) -> Response:
    limit = limit_arg()
    prefix = request.args.get("prefix")
    if prefix is not None and prefix not in LABEL_PREFIXES:
        raise InvalidParameter(f"prefix must be one of {', '.join(LABEL_PREFIXES)}, not '{prefix}'")
    with current_store().read() as conn:
        row = _page(conn, id)
        labels = [] if prefix not in (None, "global") else db.labels_of(conn, [row["id"]])[row["id"]]
    page, offset, total = page_slice(labels, limit)
    return paged([label_json(x) for x in page], offset=offset, limit=limit, total=total, site=Site.current())


# -- content properties -------------------------------------------------------------------------
def _properties(conn: sqlite3.Connection, content_id: int, key: str | None) -> list[sqlite3.Row]:
    if key is None:
        return conn.execute("SELECT * FROM cf_properties WHERE content_id = ? ORDER BY id", (content_id,)).fetchall()
    return conn.execute("SELECT * FROM cf_properties WHERE content_id = ? AND key = ?", (content_id, key)).fetchall()


def _property(conn: sqlite3.Connection, content_id: int, property_id: str) -> sqlite3.Row:
    row = None
    if property_id.isascii() and property_id.isdigit() and len(property_id) <= 18:
        row = conn.execute("SELECT * FROM cf_properties WHERE content_id = ? AND id = ?",
                           (content_id, int(property_id))).fetchone()
    if row is None:
        raise ConfluenceError(404, f"No content property with id {property_id} on page {content_id}")
    return row


def list_properties(id: str) -> Response:
    """``?key=K`` finds one property by key: the way to learn its id."""
    limit = limit_arg()
    with current_store().read() as conn:
        rows = _properties(conn, _page(conn, id)["id"], request.args.get("key"))
    page, offset, total = page_slice(rows, limit)
    return paged([property_json(r) for r in page], offset=offset, limit=limit, total=total, site=Site.current())


def get_property(id: str, property_id: str) -> Any:
    with current_store().read() as conn:
        return property_json(_property(conn, _page(conn, id)["id"], property_id))


def create_property(id: str) -> Any:
    """200 with the property; a key the page already has is a 400 (update it by id instead)."""
    data, store = json_body(), current_store()
    if "value" not in data:
        raise ConfluenceError(400, "A content property needs a value")
    with store.tx() as conn:
        content_id = _page(conn, id)["id"]
        db.save_property(conn, content_id, data.get("key"), data["value"], version=None, account=current_account(),
                         at=store.now())
        return property_json(db.content_property(conn, content_id, str(data["key"])))


def update_property(id: str, property_id: str) -> Any:
    """``{"key", "value", "version": {"number": current + 1}}``; a stale number is a 409 CONFLICT."""
    data, store = json_body(), current_store()
    _, number = version_field(data)
    if number is None or "value" not in data or "key" not in data:
        raise ConfluenceError(400, "A content property update needs key, value and version.number")
    with store.tx() as conn:
        content_id = _page(conn, id)["id"]
        prop = _property(conn, content_id, property_id)
        if data["key"] != prop["key"]:
            raise ConfluenceError(400, f"The key '{data['key']}' does not match property {property_id} "
                                       f"('{prop['key']}')")
        if number != prop["version"] + 1:
            raise ConfluenceError(409, "Version must be incremented when updating a content property. "
                                       f"Current Version: [{prop['version']}]. Provided version: [{number}]")
        db.save_property(conn, content_id, prop["key"], data["value"], version=number, account=current_account(),
                         at=store.now())
        return property_json(_property(conn, content_id, property_id))


def delete_property(id: str, property_id: str) -> Response:
    with current_store().tx() as conn:
        content_id = _page(conn, id)["id"]
        prop = _property(conn, content_id, property_id)
        conn.execute("DELETE FROM cf_properties WHERE id = ?", (prop["id"],))
    return Response(status=204)


# -- footer comments ----------------------------------------------------------------------------
def create_footer_comment() -> Response:
    """``{"pageId", "body": {"representation": "storage", "value"}}`` → 201 + ``Location``."""
    data, store = json_body(), current_store()
    if data.get("pageId") in (None, ""):
        raise ConfluenceError(400, "pageId is required (the sandbox has no blog posts, attachments or replies)")
    body = storage_value(data, required=True) or ""
    site = Site.current()
    with store.tx() as conn:
        page = _page(conn, str(data["pageId"]))
        new_id = db.create_comment(conn, store, container_id=str(page["id"]), body=body, account=current_account(),
                                   at=store.now())
        out = comment_json(db.content(conn, new_id), site, body)
    location = f"{request.host_url.rstrip('/')}{request.script_root}/wiki/api/v2/footer-comments/{new_id}"
    return Response(json.dumps(out), status=201, mimetype="application/json", headers={"Location": location})


def get_footer_comment(comment_id: str) -> Any:
    want = body_format(bulk=False) is not None
    with current_store().read() as conn:
        row = db.content(conn, comment_id)
        if row["type"] != "comment":
            raise ConfluenceError(404, "Not Found")
        return with_bodies(conn, [row], lambda r, b: comment_json(r, Site.current(), b), want)[0]


def page_footer_comments(id: str) -> Response:
    limit, offset, want = limit_arg(), cursor_offset(), body_format(bulk=True) is not None
    site = Site.current()
    with current_store().read() as conn:
        rows, total = db.children(conn, _page(conn, id), "comment", offset, limit)
        results = with_bodies(conn, rows, lambda r, b: comment_json(r, site, b), want)
    return paged(results, offset=offset, limit=limit, total=total, site=site)


# -- versions -----------------------------------------------------------------------------------
def _versions(conn: sqlite3.Connection, row: sqlite3.Row) -> list[dict[str, Any]]:
    saved = conn.execute("SELECT number, saved_at, saved_by, message, minor_edit FROM cf_versions "
                         "WHERE content_id = ? ORDER BY number DESC", (row["id"],)).fetchall()
    return [{**version_json(v["number"], v["saved_at"], v["saved_by"], v["message"], bool(v["minor_edit"])),
             "page": {"id": str(row["id"]), "title": row["title"]}} for v in saved]


VERSION_SORTS = ("modified-date", "-modified-date")  # the spec's VersionSortOrder


def page_versions(id: str) -> Response:
    """``sort`` is honoured: ``modified-date`` oldest first, ``-modified-date`` newest first (the
    spec's ``VersionSortOrder``; "The default sort direction is ascending", and it names no default
    field). Without ``sort`` the sandbox lists newest first, like v1's version list ("in descending
    order"); a client that needs an order must ask for it, as the spec gives no default."""
    limit = limit_arg()
    sort = request.args.get("sort") or "-modified-date"
    if sort not in VERSION_SORTS:
        raise InvalidParameter(f"sort must be one of {', '.join(VERSION_SORTS)}, not '{sort}'")
    with current_store().read() as conn:
        versions = _versions(conn, _page(conn, id))
    if sort == "modified-date":
        versions.reverse()
    page, offset, total = page_slice(versions, limit)
    return paged(page, offset=offset, limit=limit, total=total, site=Site.current())
