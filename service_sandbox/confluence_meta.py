"""Labels and content properties: the ``/content/{id}/label`` and ``/content/{id}/property`` routes,
and the ``metadata.labels`` / ``metadata.properties`` a page may carry when it is created or updated.

Both kinds of metadata can arrive either way, so the rules for each (label names lower-cased and
free of spaces; property values versioned, at most 32 KB) are applied by the same functions here.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from service_sandbox import confluence_store as db
from service_sandbox.confluence_json import (
    Site,
    current_account,
    current_store,
    envelope,
    json_body,
    label_json,
    paging,
    property_json,
    version_field,
)
from service_sandbox.confluence_store import ConfluenceError

LABEL_LIMIT = 200
PROPERTY_LIMIT = 10


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/content/<id>/label", view_func=get_labels, methods=["GET"])
    bp.add_url_rule("/content/<id>/label", view_func=add_labels, methods=["POST"])
    bp.add_url_rule("/content/<id>/label", view_func=remove_label_by_query, methods=["DELETE"])
    bp.add_url_rule("/content/<id>/label/<name>", view_func=remove_label, methods=["DELETE"])
    bp.add_url_rule("/content/<id>/property", view_func=list_properties, methods=["GET"])
    bp.add_url_rule("/content/<id>/property", view_func=create_property, methods=["POST"])
    bp.add_url_rule("/content/<id>/property/<key>", view_func=get_property, methods=["GET"])
    bp.add_url_rule("/content/<id>/property/<key>", view_func=create_property, methods=["POST"])
    bp.add_url_rule("/content/<id>/property/<key>", view_func=update_property, methods=["PUT"])
    bp.add_url_rule("/content/<id>/property/<key>", view_func=delete_property, methods=["DELETE"])


# -- metadata sent with a page ------------------------------------------------------------------
def metadata_labels(data: dict[str, Any]) -> list[str]:
    """Valid names from ``metadata.labels`` (a list, or the ``{"results": [...]}`` Confluence returns)."""
    labels = _metadata(data).get("labels") or []
    if isinstance(labels, dict):
        labels = labels.get("results") or []
    return [label_name(item) for item in (labels if isinstance(labels, list) else [labels])]


def merge_metadata_properties(conn: sqlite3.Connection, content_id: int, data: dict[str, Any], account: str,
                              at: datetime) -> None:
    """Store ``metadata.properties`` (``{key: {"value": ...}}``) as content properties, as Confluence does."""
    props = _metadata(data).get("properties") or {}
    if not isinstance(props, dict):
        raise ConfluenceError(400, "metadata.properties must be an object")
    for key, prop in props.items():
        value = prop.get("value") if isinstance(prop, dict) else None
        if value is None:
            raise ConfluenceError(400, f"metadata.properties.{key} needs a value")
        db.merge_property(conn, content_id, key, value, account=account, at=at)


def _metadata(data: dict[str, Any]) -> dict[str, Any]:
    metadata = data.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def label_name(item: object) -> str:
    """The name of one ``{"prefix": "global", "name": ...}`` label object, checked and lower-cased."""
    if not isinstance(item, dict):
        raise ConfluenceError(400, "A label must be an object like {\"prefix\": \"global\", \"name\": \"x\"}")
    if item.get("prefix", "global") not in ("global", "my", "team"):
        raise ConfluenceError(400, f"Unknown label prefix: {item.get('prefix')!r}")
    return db.label_name(item.get("name"))


# -- labels -------------------------------------------------------------------------------------
def _label_list(conn: sqlite3.Connection, content_id: int, start: int = 0, limit: int = LABEL_LIMIT) -> dict[str, Any]:
    labels = db.labels_of(conn, [content_id])[content_id]
    if request.args.get("prefix", "global") != "global":
        labels = []
    page = [label_json(label) for label in labels[start:start + limit]]
    return envelope(page, start=start, limit=limit, total=len(labels), site=Site.current())


def get_labels(id: str) -> Any:
    start, limit = paging(LABEL_LIMIT, cap=LABEL_LIMIT)
    with current_store().read() as conn:
        return _label_list(conn, db.content(conn, id)["id"], start, limit)


def add_labels(id: str) -> Any:
    """Takes one label object or an array of them; answers with the content's label list."""
    data = request.get_json(force=True, silent=True)
    names = [label_name(item) for item in (data if isinstance(data, list) else [data])]
    with current_store().tx() as conn:
        content_id = db.content(conn, id)["id"]
        db.add_labels(conn, content_id, names)
        return _label_list(conn, content_id)


def remove_label_by_query(id: str) -> Any:
    """``DELETE /content/{id}/label?name=x``, what the client library sends."""
    name = request.args.get("name")
    if not name:
        raise ConfluenceError(400, "The name parameter is required")
    return remove_label(id, name)


def remove_label(id: str, name: str) -> Any:
    with current_store().tx() as conn:
        db.remove_label(conn, db.content(conn, id)["id"], name)
    return Response(status=204)


# -- content properties -------------------------------------------------------------------------
def list_properties(id: str) -> Any:
    site = Site.current()
    start, limit = paging(PROPERTY_LIMIT, cap=LABEL_LIMIT)
    with current_store().read() as conn:
        rows, total = db.properties(conn, db.content(conn, id)["id"], start, limit)
    return envelope([property_json(r, site) for r in rows], start=start, limit=limit, total=total, site=site)


def get_property(id: str, key: str) -> Any:
    with current_store().read() as conn:
        return property_json(db.content_property(conn, db.content(conn, id)["id"], key), Site.current())


def create_property(id: str, key: str | None = None) -> Any:
    """``POST /property`` with the key in the body, or ``POST /property/{key}``; an existing key is 400."""
    data = json_body()
    return _save_property(id, key if key is not None else data.get("key"), data, None)


def update_property(id: str, key: str) -> Any:
    """``PUT`` needs ``version.number`` = current + 1 (1 creates a missing property)."""
    data = json_body()
    if data.get("key", key) != key:
        raise ConfluenceError(400, "The key in the body does not match the key in the path")
    _, number = version_field(data)
    if number is None:
        raise ConfluenceError(400, "A content property update needs version.number")
    return _save_property(id, key, data, number)


def _save_property(id: str, key: object, data: dict[str, Any], version: int | None) -> Any:
    if "value" not in data:
        raise ConfluenceError(400, "A content property needs a value")
    store = current_store()
    with store.tx() as conn:
        content_id = db.content(conn, id)["id"]
        db.save_property(conn, content_id, key, data["value"], version=version, account=current_account(),
                         at=store.now())
        return property_json(db.content_property(conn, content_id, str(key)), Site.current())


def delete_property(id: str, key: str) -> Any:
    with current_store().tx() as conn:
        db.delete_property(conn, db.content(conn, id)["id"], key)
    return Response(status=204)
