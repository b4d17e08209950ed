"""Emulated Confluence Cloud REST v1: the routes and their request rules.

Served twice from one blueprint: under ``/wiki/rest/api`` (Cloud, what wikibot uses) and under
``/rest/api`` (Data Center style). Jira shares the server and owns ``/rest/api/2`` and ``/rest/api/3``,
which is why every rule here starts with a literal segment. Storage lives in ``confluence_store``,
the wire format in ``confluence_json``, the HTML pages behind ``_links.webui`` in ``confluence_webui``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, request

from service_sandbox import confluence_meta, confluence_webui, cql, datacenter, index_lag
from service_sandbox import confluence_store as db
from service_sandbox.confluence_json import (
    DEFAULT_LIMIT,
    ContentWriter,
    Site,
    current_account,
    current_store,
    envelope,
    expansions,
    json_body,
    paging,
    search_cutoff,
    space_json,
    user_json,
    version_field,
    webui_path,
)
from service_sandbox.confluence_seed import seed
from service_sandbox.confluence_store import ConfluenceError
from service_sandbox.cursors import BadCursor, cursor_for, offset_from_cursor
from service_sandbox.error_bodies import product_error
from service_sandbox.render import storage_error

__all__ = ["SCHEMA", "register", "seed"]

SCHEMA = db.SCHEMA
# What Confluence expands when the caller names nothing, and what it returns after a write.
DEFAULT_EXPAND = frozenset({"history", "space", "version"})
WRITE_EXPAND = frozenset({"space", "history", "version", "ancestors", "container", "body", "body.storage"})
_STATUSES = ("current", "trashed")

api = Blueprint("confluence_api", __name__)
confluence_meta.add_routes(api)


def register(app: Flask, *, dc_root: bool = True, experimental: bool = False) -> None:
    """Mount the REST API under ``/wiki/rest/api`` and, with ``dc_root``, Data Center-style under
    ``/rest/api`` (labels and properties come from ``confluence_meta``), the web UI, and the
    test-only date control. Which v1 routes Cloud still serves is decided by ``gone``.
    ``experimental``: Data Center's ``/rest/experimental`` root (its version list, see
    :func:`content_versions`)."""
    app.register_blueprint(api, url_prefix="/wiki/rest/api", name="confluence_cloud")
    if dc_root:
        app.register_blueprint(api, url_prefix="/rest/api", name="confluence_dc")
    if experimental:
        app.add_url_rule("/rest/experimental/content/<id>/version", view_func=content_versions, methods=["GET"],
                         endpoint="confluence_dc_experimental_versions")
    app.register_error_handler(ConfluenceError, _error)
    app.add_url_rule("/_sandbox/confluence/pages/<id>/dates", view_func=set_dates, methods=["POST"])
    confluence_webui.register(app)


def _error(exc: ConfluenceError) -> Response:
    return product_error(request.path, exc.status, exc.message, getattr(exc, "code", None))


def _statuses(raw: str | None) -> Sequence[str]:
    if not raw:
        return ("current",)
    wanted = {s.strip() for s in raw.split(",")}
    return _STATUSES if "any" in wanted else tuple(s for s in _STATUSES if s in wanted) or ("none",)


# -- content ------------------------------------------------------------------------------------
@api.get("/content")
def list_content() -> Any:
    site, exp, store = Site.current(), expansions(), current_store()
    start, limit = paging(expand=exp)
    with store.read() as conn:
        rows, total = db.list_content(
            conn, type=request.args.get("type", "page"), space_key=request.args.get("spaceKey"),
            title=request.args.get("title"), label=request.args.get("label"),
            statuses=_statuses(request.args.get("status")), start=start, limit=limit)
        results = ContentWriter(conn, store, site, exp).many(rows)
    return envelope(results, start=start, limit=limit, total=total, site=site)


@api.post("/content")
def create_content() -> Any:
    data, store, account = json_body(), current_store(), current_account()
    kind, now = data.get("type"), store.now()
    if data.get("status", "current") != "current":
        raise ConfluenceError(400, "The sandbox only creates current content (no drafts)")
    with store.tx() as conn:
        if kind == "page":
            space = data.get("space")
            if not isinstance(space, dict) or not isinstance(space.get("key"), str):
                raise ConfluenceError(400, "A page needs space.key")
            version, _ = version_field(data)
            new_id = db.create_page(conn, store, space_key=space["key"], title=data.get("title"),
                                    body=_storage(data) or "", parent_id=_parent(data), account=account, at=now,
                                    message=str(version.get("message") or ""))
        elif kind == "comment":
            container = data.get("container")
            if not isinstance(container, dict) or container.get("id") is None:
                raise ConfluenceError(400, "A comment needs container.id")
            new_id = db.create_comment(conn, store, container_id=str(container["id"]), body=_storage(data) or "",
                                       account=account, at=now)
        else:
            raise ConfluenceError(400, f"Unsupported content type: {kind!r} (the sandbox has pages and comments)")
        db.add_labels(conn, new_id, confluence_meta.metadata_labels(data))
        confluence_meta.merge_metadata_properties(conn, new_id, data, account, now)
        return ContentWriter(conn, store, Site.current(), WRITE_EXPAND).one(db.content(conn, new_id))


@api.get("/content/<id>")
def get_content(id: str) -> Any:
    store = current_store()
    exp = expansions() if "expand" in request.args else DEFAULT_EXPAND
    with store.read() as conn:
        row = db.content(conn, id, _statuses(request.args.get("status")))
        return ContentWriter(conn, store, Site.current(), exp).one(row)


@api.put("/content/<id>")
def update_content(id: str) -> Any:
    data, store, account = json_body(), current_store(), current_account()
    version, number = version_field(data)
    if number is None:
        raise ConfluenceError(400, "Must supply an incremented version when updating Content. No version supplied.")
    if data.get("status", "current") != "current":
        raise ConfluenceError(400, "The sandbox only updates current content")
    with store.tx() as conn:
        row = db.content(conn, id)
        if data.get("type") != row["type"]:
            raise ConfluenceError(400, f"Content type is required and must be '{row['type']}'")
        if row["type"] == "page" and not isinstance(data.get("title"), str):
            raise ConfluenceError(400, "Title is required when updating a page")
        space = data.get("space")
        if isinstance(space, dict) and space.get("key") not in (None, row["space_key"]):
            raise ConfluenceError(400, "The sandbox cannot move content to another space")
        now = store.now()
        db.update(conn, store, row, version=number, title=data.get("title"), body=_storage(data),
                  parent_id=_parent(data) if row["type"] == "page" else None,
                  message=str(version.get("message") or ""), minor_edit=bool(version.get("minorEdit")),
                  account=account, at=now)
        confluence_meta.merge_metadata_properties(conn, row["id"], data, account, now)
        return ContentWriter(conn, store, Site.current(), WRITE_EXPAND).one(db.content(conn, id))


@api.delete("/content/<id>")
def delete_content(id: str) -> Any:
    """Current content goes to the trash; ``?status=trashed`` purges trashed content."""
    store = current_store()
    with store.tx() as conn:
        if request.args.get("status") == "trashed":
            db.purge(conn, db.content(conn, id, ("trashed",)))
        else:
            db.trash(conn, db.content(conn, id))
    return Response(status=204)


@api.get("/content/<id>/history")
def content_history(id: str) -> Any:
    store = current_store()
    with store.read() as conn:
        row = db.content(conn, id)
        return ContentWriter(conn, store, Site.current(), frozenset()).history(row, last_updated=True)


@api.get("/content/<id>/version")
def content_versions(id: str) -> Any:
    """A page's version list, newest first, offset paging.

    Where it lives differs by deployment. Cloud's v1 had it as ``/rest/api/content/{id}/version``
    ("Returns the versions for a piece of content in descending order",
    https://developer.atlassian.com/cloud/confluence/rest/api-group-content-versions/) and has
    removed it for v2's ``/pages/{id}/versions`` (``gone.py``). Data Center never had it in
    ``/rest/api``: its ``/rest/api/content/{id}/history`` gives only the latest/previous version, and
    the full list is the *experimental* resource ``/rest/experimental/content/{id}/version``
    (Atlassian KB "How to retrieve all previous versions of content using the REST API",
    https://confluence.atlassian.com/confkb/how-to-retrieve-all-previous-versions-of-content-using-the-rest-api-1044789048.html;
    ``ContentVersionResource`` is in ``com.atlassian.confluence.plugins.restapi.experimental.resources``,
    docs.atlassian.com/atlassian-confluence/6.2.3; a DC server's version ``_links.self`` reads
    ``/rest/experimental/content/{id}/version/{n}``). So on the Data Center profile the
    ``/rest/api`` path is a 404, as on a real server.
    """
    if datacenter.enabled() and not request.path.startswith("/rest/experimental/"):
        raise ConfluenceError(404, f"No resource found for {datacenter.context_root()}{request.path}")
    site, store = Site.current(), current_store()
    start, limit = paging()
    with store.read() as conn:
        row = db.content(conn, id)
        total = conn.execute("SELECT COUNT(*) FROM cf_versions WHERE content_id = ?", (row["id"],)).fetchone()[0]
        saved = conn.execute("SELECT number, saved_at, saved_by, message, minor_edit FROM cf_versions "
                             "WHERE content_id = ? ORDER BY number DESC LIMIT ? OFFSET ?",
                             (row["id"], limit, start)).fetchall()
        writer = ContentWriter(conn, store, site, frozenset())
        results = [{"by": writer.user(v["saved_by"]), "when": v["saved_at"], "message": v["message"],
                    "number": v["number"], "minorEdit": bool(v["minor_edit"]),
                    "_links": {"self": f"{request.base_url}/{v['number']}"}} for v in saved]
    return envelope(results, start=start, limit=limit, total=total, site=site)


def _storage(data: dict[str, Any]) -> str | None:
    """``body.storage.value``; None when the body is absent. Other representations are refused."""
    body = data.get("body")
    if body is None:
        return None
    if not isinstance(body, dict):
        raise ConfluenceError(400, "body must be an object")
    if "storage" not in body:
        raise ConfluenceError(400, f"The sandbox accepts only the storage representation, not {sorted(body)}")
    storage = body["storage"]
    value = storage.get("value") if isinstance(storage, dict) else None
    if not isinstance(value, str):
        raise ConfluenceError(400, "body.storage.value must be a string")
    if storage.get("representation", "storage") != "storage":
        raise ConfluenceError(400, "body.storage.representation must be 'storage'")
    refused = storage_error(value)
    if refused is not None:  # Confluence's own wording (see render.storage_error)
        raise ConfluenceError(400, "com.atlassian.confluence.api.service.exceptions.BadRequestException: "
                                   f"Error parsing xhtml: {refused}")
    return value


def _parent(data: dict[str, Any]) -> str | None:
    ancestors = data.get("ancestors")
    if not ancestors:
        return None
    if not isinstance(ancestors, list) or not isinstance(ancestors[0], dict) or ancestors[0].get("id") is None:
        raise ConfluenceError(400, "ancestors must be a list of objects with an id")
    return str(ancestors[0]["id"])


# -- children -----------------------------------------------------------------------------------
@api.get("/content/<id>/child")
def content_children(id: str) -> Any:
    site, store, exp = Site.current(), current_store(), expansions()
    out: dict[str, Any] = {}
    with store.read() as conn:
        row = db.content(conn, id)
        for kind in ("page", "comment"):
            if kind in exp:
                rows, total = db.children(conn, row, kind, 0, DEFAULT_LIMIT)
                items = ContentWriter(conn, store, site, frozenset()).many(rows)
                out[kind] = envelope(items, start=0, limit=DEFAULT_LIMIT, total=total, site=site)
    out["_expandable"] = {k: f"/rest/api/content/{id}/child/{k}" for k in ("attachment", "page", "comment")
                          if k not in out}
    out["_links"] = {"base": site.base, "context": site.context, "self": request.base_url}
    return out


@api.get("/content/<id>/child/page", defaults={"kind": "page"})
@api.get("/content/<id>/child/comment", defaults={"kind": "comment"})
def content_children_of_type(id: str, kind: str) -> Any:
    site, store, exp = Site.current(), current_store(), expansions()
    start, limit = paging(expand=exp)
    with store.read() as conn:
        rows, total = db.children(conn, db.content(conn, id), kind, start, limit)
        results = ContentWriter(conn, store, site, exp).many(rows)
    return envelope(results, start=start, limit=limit, total=total, site=site)


# -- search -------------------------------------------------------------------------------------
def _run_search(prefix: str) -> tuple[list[Any], dict[str, Any]]:
    """Shared by ``/search`` and ``/content/search``: parse, page, and build content objects.

    On Cloud (under ``/wiki``) paging is by cursor only: ``start`` is ignored (deprecated since 2020)
    and ``_links.next`` is ``/rest/api/search?...&cursor=...``, relative to ``_links.context``, i.e.
    without ``/wiki`` (notes §6). The Data Center root pages by ``start`` (notes §2). Results
    match by what the index holds when it lags behind (``index_lag_ms``: a page changed within the lag
    matches as it was before the change).
    """
    text = request.args.get("cql", "")
    if not text.strip():
        raise ConfluenceError(400, "The cql parameter is required")
    try:
        query = cql.parse(text)
    except cql.CQLError as exc:
        raise ConfluenceError(400, f"Could not parse cql : {text} ({exc})") from None
    site, store, exp = Site.current(), current_store(), expansions(prefix)
    start, limit = paging(expand=exp)
    cloud = site.context == "/wiki"
    try:
        offset = offset_from_cursor() if cloud or "cursor" in request.args else start
    except BadCursor as exc:
        raise ConfluenceError(400, str(exc)) from None
    since = search_cutoff()
    began = time.perf_counter()
    with store.read() as conn:
        indexed, total = db.search(conn, query, store.now(), offset, limit,
                                   index_lag.cql_index(since) if since else None)
        rows = _from_database(conn, indexed)
        objects = ContentWriter(conn, store, site, exp).many(rows)
        spaces = {key: db.space(conn, key)["name"] for key in {row["space_key"] for row in rows}}
    results = [_search_result(obj, row, spaces) for obj, row in zip(objects, rows, strict=True)] if prefix \
        else objects
    paged: dict[str, Any] = {"start": offset, "limit": limit, "total": total, "site": site, "consumed": len(indexed)}
    if cloud:
        paged["next_link"] = (_cursor_next(site, offset + len(indexed), limit) if offset + len(indexed) < total
                              else None)
    extra = {"totalSize": total, "cqlQuery": text, "searchDuration": int((time.perf_counter() - began) * 1000)}
    return results, {**paged, **(extra if prefix else {})}


def _from_database(conn: Any, indexed: list[Any]) -> list[Any]:
    """The content the index matched, read from the database: membership is the index's (possibly a
    page's previous state), the content objects are today's. A hit whose content has since left
    (trashed or purged within the lag) is dropped rather than served as current."""
    live = db.rows_by_id(conn, [row["id"] for row in indexed])
    return [live[row["id"]] for row in indexed if row["id"] in live and live[row["id"]]["status"] == "current"]


def _cursor_next(site: Site, offset: int, limit: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("start", "limit", "cursor")]
    query = urlencode([*args, ("limit", limit), ("cursor", cursor_for(offset))], safe=",")
    return f"{request.path.removeprefix(site.context)}?{query}"


def _search_result(obj: dict[str, Any], row: Any, spaces: dict[str, str]) -> dict[str, Any]:
    return {"content": obj, "title": row["title"], "excerpt": "", "url": webui_path(row),
            "resultGlobalContainer": {"title": spaces[row["space_key"]], "displayUrl": f"/spaces/{row['space_key']}"},
            "breadcrumbs": [], "entityType": "content", "iconCssClass": f"aui-icon content-type-{row['type']}",
            "lastModified": row["modified"], "friendlyLastModified": row["modified"][:10], "score": 0.0}


@api.get("/search")
def search() -> Any:
    results, paged = _run_search("content.")
    return envelope(results, **paged)


@api.get("/content/search")
def content_search() -> Any:
    results, paged = _run_search("")
    return envelope(results, **paged)


# -- spaces and users ---------------------------------------------------------------------------
@api.get("/space")
def list_spaces() -> Any:
    site = Site.current()
    start, limit = paging()
    with current_store().read() as conn:
        rows, total = db.spaces(conn, request.args.getlist("spaceKey"), start, limit)
    return envelope([space_json(r, site) for r in rows], start=start, limit=limit, total=total, site=site)


@api.get("/space/<key>")
def get_space(key: str) -> Any:
    site, store, exp = Site.current(), current_store(), expansions()
    with store.read() as conn:
        row = db.space(conn, key)
        out = space_json(row, site)
        if "homepage" in exp and row["homepage_id"]:
            out["homepage"] = ContentWriter(conn, store, site, frozenset()).one(db.content(conn, row["homepage_id"]))
            del out["_expandable"]["homepage"]
    return out


@api.get("/user/current")
def current_user() -> Any:
    return user_json(current_store(), current_account(), Site.current(), email=True)


@api.get("/user")
def get_user() -> Any:
    if datacenter.enabled():
        return _get_user_datacenter()
    account_id = request.args.get("accountId")
    if not account_id:
        raise ConfluenceError(400, "The accountId parameter is required")
    store = current_store()
    if store.user(account_id) is None:
        raise ConfluenceError(404, f"No user found with accountId: {account_id}")
    return user_json(store, account_id, Site.current())


def _get_user_datacenter() -> Any:
    """Data Center looks people up by ``key`` (the userkey in mentions) or ``username``."""
    key, name = request.args.get("key"), request.args.get("username")
    if not key and not name:
        raise ConfluenceError(400, "Either the key or the username parameter is required")
    store = current_store()
    row = datacenter.account_by(store, key=key) if key else datacenter.account_by(store, name=name)
    if row is None:
        raise ConfluenceError(404, f"No user found with {'key' if key else 'username'}: {key or name}")
    return user_json(store, row["account_id"], Site.current())


# -- test control -------------------------------------------------------------------------------
def set_dates(id: str) -> Any:
    """``POST /_sandbox/confluence/pages/<id>/dates`` ``{"created": ISO, "modified": ISO}``.

    Lets audit tests age pages precisely; not part of Confluence, so it needs no auth.
    """
    data = json_body()
    moments = {key: _parse_moment(data[key], key) for key in ("created", "modified") if data.get(key)}
    with current_store().tx() as conn:
        row = db.content(conn, id, _STATUSES)
        db.set_dates(conn, row, moments.get("created"), moments.get("modified"))
        row = db.content(conn, id, _STATUSES)
    return {"id": str(row["id"]), "created": row["created"], "modified": row["modified"]}


def _parse_moment(value: object, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfluenceError(400, f"{key} must be an ISO 8601 timestamp, not {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
