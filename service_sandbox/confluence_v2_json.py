"""Confluence Cloud REST v2's wire format: pages, spaces, labels, properties, comments, versions, and
the cursor-paged list envelope, plus the query parameters every v2 route reads the same way.

What the real API does (Atlassian's published v2 OpenAPI, ``../shared/specs/confluence-cloud-v2.openapi.json``,
and https://developer.atlassian.com/cloud/confluence/rest/v2/intro/#using-the-rest-api): ids in
bodies are strings; there is no ``expand`` (a page carries ``spaceId``/``parentId`` and asks for a
body with ``body-format``); lists page with an opaque ``cursor``: ``_links.next`` is a *relative* URL
starting ``/wiki/api/v2/`` that keeps the other query parameters, and the same URL is sent as a
``Link: <...>; rel="next"`` header (https://developer.atlassian.com/cloud/confluence/rest/v2/intro/#pagination).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from service_sandbox import confluence_store as db
from service_sandbox.confluence_json import Site, tiny_code, webui_path
from service_sandbox.confluence_store import ConfluenceError
from service_sandbox.cursors import BadCursor, cursor_for, offset_from_cursor
from service_sandbox.render import storage_error

DEFAULT_LIMIT = 25
MAX_LIMIT = 250  # every v2 list: "limit ... maximum 250" in the published spec
# Which ``status`` values each read takes, as the published v2 OpenAPI enumerates them: the page list
# has no drafts (``GET /pages``: current, archived, deleted, trashed); a page by id also takes
# ``historical`` and ``draft`` (``GET /pages/{id}``), which the sandbox answers as "no such page".
LIST_STATUSES = ("current", "archived", "deleted", "trashed")
PAGE_STATUSES = ("current", "archived", "trashed", "deleted", "historical", "draft")


class InvalidParameter(ConfluenceError):
    """A query parameter the real API refuses with 400 ``INVALID_REQUEST_PARAMETER``."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)
        self.code = "INVALID_REQUEST_PARAMETER"


# -- query parameters ---------------------------------------------------------------------------
def limit_arg(default: int = DEFAULT_LIMIT) -> int:
    raw = request.args.get("limit")
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidParameter(f"limit must be an integer between 1 and {MAX_LIMIT}, not '{raw}'")
    return int(raw)


def id_list(name: str) -> list[int]:
    """An array parameter of numeric ids, repeated or comma-separated (``space-id=1,2`` or twice)."""
    out: list[int] = []
    for raw in request.args.getlist(name):
        for item in raw.split(","):
            item = item.strip()
            if not (item.isascii() and item.isdigit() and len(item) <= 18):
                raise InvalidParameter(f"{name} must be a list of numeric ids, not '{item}'")
            out.append(int(item))
    return out


def str_list(name: str) -> list[str]:
    return [item.strip() for raw in request.args.getlist(name) for item in raw.split(",") if item.strip()]


def statuses_arg(default: Sequence[str], allowed: Sequence[str] = LIST_STATUSES) -> tuple[str, ...]:
    """``status`` (repeated or comma-separated), each one of ``allowed`` (the route's enum), else 400."""
    wanted = str_list("status")
    unknown = [s for s in wanted if s not in allowed]
    if unknown:
        raise InvalidParameter(f"status must be one of {', '.join(allowed)}, not '{unknown[0]}'")
    return tuple(wanted) or tuple(default)


def body_format(bulk: bool) -> str | None:
    """``body-format``: only ``storage`` is served. Bulk reads accept storage and atlas_doc_format in
    the real API, single reads also ``view``; the sandbox keeps pages in storage format only."""
    raw = request.args.get("body-format")
    if raw in (None, ""):
        return None
    allowed = ("storage", "atlas_doc_format") if bulk else ("storage", "atlas_doc_format", "view")
    if raw not in allowed:
        raise InvalidParameter(f"body-format must be one of {', '.join(allowed)}, not '{raw}'")
    if raw != "storage":
        raise InvalidParameter(f"The sandbox serves page bodies in storage format only, not '{raw}'")
    return raw


def flag(name: str, default: bool = False) -> bool:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() not in ("true", "false"):
        raise InvalidParameter(f"{name} must be true or false, not '{raw}'")
    return raw.lower() == "true"


# -- request bodies and rows ------------------------------------------------------------------
def page_row(conn: sqlite3.Connection, id: str, statuses: tuple[str, ...] = ("current",)) -> sqlite3.Row:
    """The page, or v2's 404 (also for a comment's id, or a page in a status not asked for)."""
    try:
        row = db.content(conn, id, statuses)
    except ConfluenceError:
        row = None
    if row is None or row["type"] != "page":
        raise ConfluenceError(404, "Not Found")
    return row


def storage_value(data: dict[str, Any], required: bool) -> str | None:
    """The body's storage value, sent flat (``{"representation": "storage", "value"}``) or nested
    (``{"storage": {"value"}}``): the spec's ``PageBodyWrite`` and ``PageNestedBodyWrite``."""
    body = data.get("body")
    if body is None:
        if required:
            raise ConfluenceError(400, "body is required")
        return None
    if not isinstance(body, dict):
        raise ConfluenceError(400, "body must be an object")
    if "value" in body or "representation" in body:
        representation, value = body.get("representation"), body.get("value")
    elif len(body) == 1:
        representation, inner = next(iter(body.items()))
        value = inner.get("value") if isinstance(inner, dict) else None
        representation = inner.get("representation", representation) if isinstance(inner, dict) else representation
    else:
        raise ConfluenceError(400, "body must hold exactly one representation")
    if representation not in ("storage", "atlas_doc_format", "wiki"):
        raise ConfluenceError(400, "body.representation must be storage, atlas_doc_format or wiki, "
                                   f"not {representation!r}")
    if representation != "storage":
        raise ConfluenceError(400, f"The sandbox stores pages in storage format only, not {representation}")
    if not isinstance(value, str):
        raise ConfluenceError(400, "body.value must be a string")
    refused = storage_error(value)
    if refused is not None:
        raise ConfluenceError(400, f"Error parsing xhtml: {refused}")
    return value


# -- cursor pagination --------------------------------------------------------------------------
def cursor_offset() -> int:
    try:
        return offset_from_cursor()
    except BadCursor as exc:
        raise InvalidParameter(str(exc)) from None


def paged(results: list[dict[str, Any]], *, offset: int, limit: int, total: int, site: Site) -> Response:
    """The v2 list envelope: ``results`` and ``_links`` (``next`` only when more exist, plus ``Link``)."""
    links: dict[str, str] = {}
    headers: dict[str, str] = {}
    if offset + len(results) < total:
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "limit")]
        nxt = f"{request.path}?{urlencode([*args, ('limit', limit), ('cursor', cursor_for(offset + len(results)))])}"
        links["next"] = nxt
        headers["Link"] = f'<{nxt}>; rel="next"'
    links["base"] = site.base
    body = json.dumps({"results": results, "_links": links})
    return Response(body, status=200, mimetype="application/json", headers=headers)


def page_slice(rows: Sequence[Any], limit: int) -> tuple[list[Any], int, int]:
    """``(this page, offset, total)`` of an in-memory list, at the request's cursor."""
    offset = cursor_offset()
    return list(rows[offset:offset + limit]), offset, len(rows)


# -- objects ------------------------------------------------------------------------------------
def version_json(number: int, at: str, author: str, message: str = "", minor: bool = False) -> dict[str, Any]:
    return {"createdAt": at, "message": message, "number": number, "minorEdit": minor, "authorId": author}


def page_links(row: sqlite3.Row, site: Site) -> dict[str, str]:
    return {"webui": webui_path(row), "editui": f"/pages/resumedraft.action?draftId={row['id']}",
            "tinyui": f"/x/{tiny_code(row['id'])}", "base": site.base}


class PageWriter:
    """Builds v2 page objects for a batch of rows, loading versions and bodies in one query."""

    def __init__(self, conn: sqlite3.Connection, site: Site, *, body: str | None, version: bool = True) -> None:
        self.conn, self.site, self.body, self.version = conn, site, body, version
        self._space_ids: dict[str, str] = {}

    def space_id(self, key: str) -> str:
        if key not in self._space_ids:
            self._space_ids[key] = str(db.space(self.conn, key)["id"])
        return self._space_ids[key]

    def many(self, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
        saved = db.current_versions(self.conn, rows, with_body=self.body is not None)
        return [self._page(row, saved.get(row["id"])) for row in rows]

    def one(self, row: sqlite3.Row) -> dict[str, Any]:
        return self.many([row])[0]

    def _page(self, row: sqlite3.Row, saved: sqlite3.Row | None) -> dict[str, Any]:
        parent = row["parent_id"]
        out: dict[str, Any] = {
            "id": str(row["id"]), "status": row["status"], "title": row["title"],
            "spaceId": self.space_id(row["space_key"]),
            # The spec: parentId "or null if there is no parent page"; parentType is an enum without null.
            "parentId": str(parent) if parent is not None else None,
            **({"parentType": "page"} if parent is not None else {}),
            "position": row["position"], "authorId": row["creator"], "ownerId": row["creator"],
            "lastOwnerId": None, "createdAt": row["created"],
        }
        if self.version:
            out["version"] = version_json(row["version"], row["modified"], row["modifier"],
                                          saved["message"] if saved else "", bool(saved and saved["minor_edit"]))
        out["body"] = storage_body(saved["body"] if saved else "") if self.body else {}
        out["_links"] = page_links(row, self.site)
        return out


def storage_body(value: str) -> dict[str, Any]:
    return {"storage": {"representation": "storage", "value": value}}


def space_json(conn: sqlite3.Connection, space: sqlite3.Row) -> dict[str, Any]:
    """A v2 space. The sandbox keeps no creator for a space: its home page's stands in."""
    home = db.rows_by_id(conn, [space["homepage_id"]]).get(space["homepage_id"]) if space["homepage_id"] else None
    out: dict[str, Any] = {"id": str(space["id"]), "key": space["key"], "name": space["name"], "type": "global",
                           "status": "current"}
    if home is not None:
        out.update({"authorId": home["creator"], "createdAt": home["created"], "homepageId": str(home["id"])})
    out["_links"] = {"webui": f"/spaces/{space['key']}"}
    return out


def child_json(row: sqlite3.Row, space_id: str, *, typed: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(row["id"]), "status": row["status"], "title": row["title"]}
    if typed:
        out["type"] = row["type"]
    out.update({"spaceId": space_id, "childPosition": row["position"]})
    return out


def label_json(label: sqlite3.Row) -> dict[str, Any]:
    return {"id": str(label["id"]), "name": label["name"], "prefix": "global"}


def property_json(prop: sqlite3.Row) -> dict[str, Any]:
    return {"id": str(prop["id"]), "key": prop["key"], "value": json.loads(prop["value"]),
            "version": version_json(prop["version"], prop["saved_at"], prop["saved_by"])}


def comment_json(row: sqlite3.Row, site: Site, body: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": str(row["id"]), "status": row["status"], "title": row["title"],
                           "pageId": str(row["container_id"]),
                           "version": version_json(row["version"], row["modified"], row["modifier"])}
    out["body"] = storage_body(body) if body is not None else {}
    out["_links"] = {"webui": webui_path(row)}
    return out


def with_bodies(conn: sqlite3.Connection, rows: Sequence[sqlite3.Row],
                build: Callable[[sqlite3.Row, str | None], dict[str, Any]], want_body: bool) -> list[dict[str, Any]]:
    saved = db.current_versions(conn, rows, with_body=want_body) if want_body else {}
    return [build(row, saved[row["id"]]["body"] if want_body else None) for row in rows]
