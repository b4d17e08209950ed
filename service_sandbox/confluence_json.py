"""Confluence REST v1's wire format: content objects with ``expand``, users, spaces and paged envelopes,
plus the request context every route reads (site base, paging and expand parameters, JSON body).

Kept apart from the routes so every endpoint shapes the same object the same way: a page looks
identical whether it came from ``GET /content/{id}``, a child listing, ``/content/search`` or
``/search``. Bodies, versions, labels and containers are loaded in one query per response, not
per result, and bodies only when ``expand`` asks for them.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

from flask import request

from service_sandbox import confluence_store as db
from service_sandbox import datacenter
from service_sandbox.confluence_store import ConfluenceError
from service_sandbox.datacenter import context_root
from service_sandbox.store import SandboxStore

DEFAULT_LIMIT = 25
_INT32 = 2**31
# Confluence's caps on a page of content: smaller when each result carries more.
LIMIT_WITH_BODY, LIMIT_WITH_EXPAND, LIMIT_PLAIN = 50, 200, 1000

_TOP_LEVEL = ("childTypes", "container", "metadata", "operations", "children", "restrictions", "history",
              "ancestors", "body", "version", "descendants", "space")


@dataclass(frozen=True)
class Site:
    """Where a request arrived: Cloud-style under ``/wiki`` or DC-style at the server root.

    ``base`` and ``context`` are what Confluence puts in ``_links``; the REST root is ``base + /rest/api``.
    """

    base: str
    context: str

    @classmethod
    def current(cls) -> Site:
        context = "/wiki" if request.path.startswith("/wiki/") or request.path == "/wiki" else context_root()
        return cls(request.host_url.rstrip("/") + context, context)

    @property
    def api(self) -> str:
        return self.base + "/rest/api"


# -- request context ----------------------------------------------------------------------------
def current_store() -> SandboxStore:
    from service_sandbox import app as sandbox_app  # the app imports the Confluence modules: resolve late

    return sandbox_app.state().store


def current_account() -> str:
    """The authenticated caller's account id (the app's auth check sets it)."""
    from service_sandbox import app as sandbox_app

    return sandbox_app.current_account_id()


def search_cutoff() -> str | None:
    """Writes after this stamp are not yet in the search index (see ``index_lag``)."""
    from service_sandbox import app as sandbox_app

    return sandbox_app.search_cutoff()


def expansions(prefix: str = "") -> frozenset[str]:
    """The ``expand`` parameter as a set; ``prefix`` ("content.") is stripped for ``/search``.

    Each name also implies its parents (``body.storage`` implies ``body``) so ``"body" in exp`` works.
    """
    names: set[str] = set()
    for item in request.args.get("expand", "").split(","):
        item = item.strip()
        if prefix:
            if not item.startswith(prefix):
                continue
            item = item[len(prefix):]
        parts = item.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if parts[0])
    return frozenset(names)


def paging(default: int = DEFAULT_LIMIT, *, expand: frozenset[str] = frozenset(),
           cap: int = LIMIT_PLAIN) -> tuple[int, int]:
    """``(start, limit)`` from the query string, with ``limit`` clamped as Confluence clamps it.

    The response reports the clamped limit, and clients must trust it (not the one they asked for).
    """
    start, limit = _int_arg("start", 0), _int_arg("limit", default)
    if "body" in expand:
        cap = min(cap, LIMIT_WITH_BODY)
    elif expand:
        cap = min(cap, LIMIT_WITH_EXPAND)
    return max(start, 0), min(max(limit, 1), cap)


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not -_INT32 <= value < _INT32:  # Confluence's parameters are Java ints
        raise ConfluenceError(400, f"The '{name}' parameter must be an integer, not '{raw}'")
    return value


def json_body() -> dict[str, Any]:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise ConfluenceError(400, "The request body must be a JSON object")
    return data


def version_field(data: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """A body's ``version`` object ({} when absent) and its integer ``number`` (None when missing)."""
    version = data.get("version")
    version = version if isinstance(version, dict) else {}
    number = version.get("number")
    return version, number if isinstance(number, int) and not isinstance(number, bool) else None


# -- envelopes ----------------------------------------------------------------------------------
def envelope(results: list[Any], *, start: int, limit: int, total: int, site: Site,
             next_link: str | None | bool = False, consumed: int | None = None, **extra: Any) -> dict[str, Any]:
    """The paged list every collection endpoint returns.

    ``_links.next`` is present only when more results exist and carries the full path of this
    request (``/wiki/rest/api/...`` on Cloud) with every original parameter, since clients follow
    it verbatim, joined to the host alone. A caller paging by cursor passes its own ``next_link``
    (None on the last page) and gets no ``prev``. ``consumed``: how many matches this page used up
    when some were not served (a search hit whose content left within the index lag).
    """
    consumed = len(results) if consumed is None else consumed
    links = {"base": site.base, "context": site.context, "self": request.base_url}
    if next_link is not False:
        if next_link:
            links["next"] = str(next_link)
    elif start + consumed < total:
        links["next"] = _page_link(start + consumed, limit)
    if start > 0 and next_link is False:
        links["prev"] = _page_link(max(start - limit, 0), limit)
    return {"results": results, "start": start, "limit": limit, "size": len(results), **extra, "_links": links}


def _page_link(start: int, limit: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("start", "limit")]
    return f"{context_root()}{request.path}?{urlencode([*args, ('limit', limit), ('start', start)], safe=',')}"


# -- small objects ------------------------------------------------------------------------------
def webui_path(row: sqlite3.Row) -> str:
    """``/spaces/KEY/pages/ID/Title+words``: the sandbox serves this as HTML under ``base``."""
    if row["type"] == "comment":
        return (f"/spaces/{row['space_key']}/pages/{row['container_id']}?focusedCommentId={row['id']}"
                f"#comment-{row['id']}")
    return f"/spaces/{row['space_key']}/pages/{row['id']}/{quote_plus(row['title'])}"


def tiny_code(content_id: int) -> str:
    """Confluence's short-link code: the id's little-endian bytes, base64url without padding."""
    raw = content_id.to_bytes(8, "little").rstrip(b"\0") or b"\0"
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def tiny_id(code: str) -> int:
    """The content id behind a :func:`tiny_code`; ValueError for a code that is not one."""
    try:
        return int.from_bytes(base64.urlsafe_b64decode(code + "=" * (-len(code) % 4)), "little")
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def user_json(store: SandboxStore, account_id: str, site: Site, *, email: bool = False) -> dict[str, Any]:
    row = store.user(account_id)
    if datacenter.enabled():
        return datacenter.confluence_user_json(row, account_id, site.api)
    name = row["display_name"] if row else "Unknown user"
    return {
        "type": "known", "accountId": account_id, "accountType": "atlassian",
        "email": row["email"] if (row and email) else "", "publicName": name, "displayName": name,
        "profilePicture": {"path": "/wiki/aa-avatar/default.png", "width": 48, "height": 48, "isDefault": True},
        "isExternalCollaborator": False,
        "_links": {"self": f"{site.api}/user?accountId={account_id}"},
    }


def space_json(space: sqlite3.Row, site: Site) -> dict[str, Any]:
    return {
        "id": space["id"], "key": space["key"], "name": space["name"], "type": "global", "status": "current",
        "_expandable": {"settings": f"/rest/api/space/{space['key']}/settings", "metadata": "",
                        "operations": "", "lookAndFeel": "", "permissions": "", "icon": "", "description": "",
                        "theme": "", "history": "",
                        "homepage": f"/rest/api/content/{space['homepage_id']}" if space["homepage_id"] else ""},
        "_links": {"webui": f"/spaces/{space['key']}", "self": f"{site.api}/space/{space['key']}"},
    }


def label_json(label: sqlite3.Row) -> dict[str, Any]:
    return {"prefix": "global", "name": label["name"], "id": str(label["id"]), "label": label["name"]}


def property_json(prop: sqlite3.Row, site: Site) -> dict[str, Any]:
    return {
        "id": str(prop["id"]), "key": prop["key"], "value": json.loads(prop["value"]),
        "version": {"when": prop["saved_at"], "message": "", "number": prop["version"], "minorEdit": False,
                    "contentTypeModified": False},
        "_links": {"base": site.base, "context": site.context,
                   "self": f"{site.api}/content/{prop['content_id']}/property/{quote_plus(prop['key'])}"},
        "_expandable": {"content": f"/rest/api/content/{prop['content_id']}", "additionalProperties": ""},
    }


# -- content objects ----------------------------------------------------------------------------
class ContentWriter:
    """Builds content objects for a batch of rows with one ``expand`` set, loading extras in bulk."""

    def __init__(self, conn: sqlite3.Connection, store: SandboxStore, site: Site, expand: frozenset[str]) -> None:
        self.conn, self.store, self.site, self.expand = conn, store, site, expand
        self._users: dict[str, dict[str, Any]] = {}
        self._spaces: dict[str, dict[str, Any]] = {}

    def one(self, row: sqlite3.Row) -> dict[str, Any]:
        return self.many([row])[0]

    def many(self, rows: Sequence[sqlite3.Row]) -> list[dict[str, Any]]:
        exp = self.expand
        versions = (db.current_versions(self.conn, rows, with_body="body" in exp)
                    if {"version", "body"} & exp else {})
        labels = db.labels_of(self.conn, [r["id"] for r in rows]) if "metadata.labels" in exp else {}
        containers = db.rows_by_id(self.conn, [r["container_id"] for r in rows if r["container_id"]])
        return [self._content(row, versions.get(row["id"]), labels.get(row["id"], []), containers)
                for row in rows]

    def user(self, account_id: str) -> dict[str, Any]:
        if account_id not in self._users:
            self._users[account_id] = user_json(self.store, account_id, self.site)
        return self._users[account_id]

    def version(self, row: sqlite3.Row, saved: sqlite3.Row | None) -> dict[str, Any]:
        return {"by": self.user(row["modifier"]), "when": row["modified"],
                "message": saved["message"] if saved else "", "number": row["version"],
                "minorEdit": bool(saved["minor_edit"]) if saved else False, "contentTypeModified": False,
                "_expandable": {"collaborators": "", "content": f"/rest/api/content/{row['id']}"},
                "_links": {"self": f"{self.site.api}/content/{row['id']}/version/{row['version']}"}}

    def history(self, row: sqlite3.Row, *, last_updated: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"latest": True, "createdBy": self.user(row["creator"]), "createdDate": row["created"]}
        expandable = {"lastUpdated": "", "previousVersion": "", "contributors": "", "nextVersion": ""}
        if last_updated:
            saved = db.current_versions(self.conn, [row], with_body=False).get(row["id"])
            out["lastUpdated"] = self.version(row, saved)
            del expandable["lastUpdated"]
        out["_expandable"] = expandable
        out["_links"] = {"self": f"{self.site.api}/content/{row['id']}/history"}
        return out

    def _space(self, key: str) -> dict[str, Any]:
        if key not in self._spaces:
            self._spaces[key] = space_json(db.space(self.conn, key), self.site)
        return self._spaces[key]

    def _brief(self, row: sqlite3.Row) -> dict[str, Any]:
        """The short form used for ancestors and containers."""
        return {"id": str(row["id"]), "type": row["type"], "status": row["status"], "title": row["title"],
                "_links": self._links(row)}

    def _links(self, row: sqlite3.Row) -> dict[str, str]:
        return {"webui": webui_path(row), "editui": f"/pages/resumedraft.action?draftId={row['id']}",
                "tinyui": f"/x/{tiny_code(row['id'])}", "self": f"{self.site.api}/content/{row['id']}"}

    def _content(self, row: sqlite3.Row, saved: sqlite3.Row | None, labels: list[sqlite3.Row],
                 containers: dict[int, sqlite3.Row]) -> dict[str, Any]:
        exp = self.expand
        out: dict[str, Any] = {"id": str(row["id"]), "type": row["type"], "status": row["status"],
                               "title": row["title"]}
        if "space" in exp:
            out["space"] = self._space(row["space_key"])
        if "history" in exp:
            out["history"] = self.history(row, last_updated="history.lastUpdated" in exp)
        if "version" in exp:
            out["version"] = self.version(row, saved)
        if "ancestors" in exp:
            out["ancestors"] = [self._brief(a) for a in db.ancestors(self.conn, row)]
        if "container" in exp:
            container = containers.get(row["container_id"])
            out["container"] = self._brief(container) if container else self._space(row["space_key"])
        if "body" in exp:
            out["body"] = self._body(saved["body"] if saved else "")
        if "metadata" in exp:
            out["metadata"] = self._metadata(row, labels)
        if "children" in exp:
            out["children"] = self._children(row)
        out["extensions"] = {"location": "footer"} if row["type"] == "comment" else {"position": row["position"]}
        out["_expandable"] = {k: self._expandable_link(k, row) for k in _TOP_LEVEL if k not in exp}
        out["_links"] = {**self._links(row), "base": self.site.base, "context": self.site.context}
        return out

    def _expandable_link(self, key: str, row: sqlite3.Row) -> str:
        paths = {"container": f"/rest/api/space/{row['space_key']}", "space": f"/rest/api/space/{row['space_key']}",
                 "children": f"/rest/api/content/{row['id']}/child",
                 "history": f"/rest/api/content/{row['id']}/history",
                 "descendants": f"/rest/api/content/{row['id']}/descendant",
                 "restrictions": f"/rest/api/content/{row['id']}/restriction/byOperation"}
        return paths.get(key, "")

    def _body(self, value: str) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if "body.storage" in self.expand:
            body["storage"] = {"value": value, "representation": "storage", "embeddedContent": [],
                               "_expandable": {"content": ""}}
        body["_expandable"] = {r: "" for r in ("editor", "view", "export_view", "styled_view", "dynamic",
                                              "storage", "editor2", "anonymous_export_view")
                               if f"body.{r}" not in self.expand}
        return body

    def _metadata(self, row: sqlite3.Row, labels: list[sqlite3.Row]) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        if "metadata.labels" in self.expand:
            results = [label_json(label) for label in labels]
            meta["labels"] = {"results": results, "start": 0, "limit": 200, "size": len(results),
                              "_links": {"self": f"{self.site.api}/content/{row['id']}/label"}}
        meta["_expandable"] = {k: "" for k in ("currentuser", "comments", "simple", "properties", "frontend",
                                              "likes", "labels") if f"metadata.{k}" not in self.expand}
        return meta

    def _children(self, row: sqlite3.Row) -> dict[str, Any]:
        out: dict[str, Any] = {}
        expandable = {"attachment": f"/rest/api/content/{row['id']}/child/attachment"}
        for kind in ("page", "comment"):
            if f"children.{kind}" in self.expand:
                rows, total = db.children(self.conn, row, kind, 0, DEFAULT_LIMIT)
                nested = ContentWriter(self.conn, self.store, self.site, frozenset())
                out[kind] = {"results": nested.many(rows), "start": 0, "limit": DEFAULT_LIMIT, "size": len(rows),
                             "_links": {"self": f"{self.site.api}/content/{row['id']}/child/{kind}"}}
            else:
                expandable[kind] = f"/rest/api/content/{row['id']}/child/{kind}"
        out["_expandable"] = expandable
        out["_links"] = {"self": f"{self.site.api}/content/{row['id']}/child"}
        return out
