"""The Data Center profile's differences: context paths, usernames and userkeys, PATs.

Confluence Data Center and Jira Data Center are self-hosted, usually behind one reverse proxy with
a context path each (``https://intranet/confluence``, ``https://intranet/jira``). The sandbox plays
both on one port the same way: :class:`ContextPaths` strips ``/confluence`` or ``/jira`` into
``SCRIPT_NAME`` so every route, rule and wire format is the product's own, and answers 404 for what a
Data Center server does not have (no ``/wiki``, no Confluence ``/api/v2``, no Jira ``/rest/api/3`` or
``/search/jql``, no ``/_edge/tenant_info``, nothing at the server root).
Source: ../shared/atlassian-api-notes.md §7 (Confluence 8–9, Jira 9–11 REST docs).

People are identified by ``username`` (the email's local part here: ``ana``) and, in Confluence, by a
32-hex ``userKey`` (``<ri:user ri:userkey="..."/>`` in storage); Jira's key is the username (as for
accounts created before Jira 8). Both products share one directory, so a username means the same person
in each. The store keeps the Cloud-style account id internally; this module maps at the edges.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import request

from service_sandbox.error_bodies import product_for

if TYPE_CHECKING:
    from flask import Flask

    from service_sandbox.store import SandboxStore

CONTEXT_KEY = "sandbox.context"  # WSGI environ key: "confluence" or "jira" for a context-path request
CONTEXTS = {"confluence": "/confluence", "jira": "/jira"}
# A personal access token that works only as a bearer token (the sandbox's --token works both ways):
# sent as a basic-auth password it gets 401, as on a real server.
DC_PAT = "sandbox-pat"
BASIC_DISABLED = "Basic Authentication has been disabled on this instance."
# What Confluence DC answers for /rest/api/user/current without (accepted) credentials.
ANONYMOUS_USER = {"type": "anonymous", "profilePicture": {"path": "/images/icons/profilepics/anonymous.svg",
                                                          "width": 48, "height": 48, "isDefault": True},
                  "displayName": "Anonymous", "_links": {}}
ACCOUNT_ID_ASSIGNEE = "expected Object containing a 'name' property"
_ROOT_BLOCKED = ("/rest/", "/wiki", "/ex/", "/_edge/", "/browse/", "/spaces/", "/pages/", "/display/")
# Cloud-only Jira routes: REST v3, and the enhanced search and its approximate count (CHANGE-2046
# added both to Cloud; Data Center searches with /rest/api/2/search, notes §7).
_JIRA_NOT_DC = re.compile(r"^/rest/api/(3|latest)/|^/rest/api/2/search/(jql|approximate-count)")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def enabled() -> bool:
    """True when the running sandbox plays Data Center (usernames, userkeys, PATs)."""
    from service_sandbox import app as sandbox_app  # the app imports the product modules: resolve late

    return sandbox_app.state().profile.datacenter


def context_root() -> str:
    """The context path this request came through (``/confluence``, ``/jira``), or ''."""
    return request.script_root if request.environ.get(CONTEXT_KEY) else ""


# -- identities -----------------------------------------------------------------------------------
def username(row: sqlite3.Row) -> str:
    return str(row["email"]).split("@", 1)[0]


def userkey(account_id: str) -> str:
    """Confluence's 32-hex user key for an account (stable: derived from the account id)."""
    return hashlib.md5(f"userkey:{account_id}".encode()).hexdigest()


def account_by(store: SandboxStore, *, name: str | None = None, key: str | None = None) -> sqlite3.Row | None:
    """The account with this username or (Confluence) userkey / (Jira) key, case-insensitive for names."""
    for row in store.users():
        if name is not None and username(row).lower() == name.lower():
            return row
        if key is not None and (userkey(row["account_id"]) == key.lower() or username(row).lower() == key.lower()):
            return row
    return None


def to_userkey_mentions(body: str, store: SandboxStore) -> str:
    """Example storage rewritten for Data Center: ``ri:account-id`` mentions become ``ri:userkey``."""
    known = {row["account_id"] for row in store.users()}

    def swap(match: re.Match[str]) -> str:
        account_id = match.group(1)
        return f'ri:userkey="{userkey(account_id)}"' if account_id in known else match.group(0)

    return re.sub(r'ri:account-id="([^"]*)"', swap, body)


def confluence_user_json(row: sqlite3.Row | None, account_id: str, api: str) -> dict[str, Any]:
    """A Confluence Data Center user object (``type``, ``username``, ``userKey``, ``displayName``)."""
    key = userkey(account_id)
    return {
        "type": "known", "username": username(row) if row else key, "userKey": key,
        "profilePicture": {"path": "/images/icons/profilepics/default.svg", "width": 48, "height": 48,
                           "isDefault": True},
        "displayName": row["display_name"] if row else "Unknown user",
        "_links": {"self": f"{api}/user?key={key}"},
    }


def jira_user_json(row: sqlite3.Row | None, base: str) -> dict[str, Any]:
    """A Jira Data Center user object: ``name`` and ``key`` instead of ``accountId``."""
    name = username(row) if row else "former-user"
    avatar = f"{base}/secure/useravatar?ownerId={name}"
    return {
        "self": f"{base}/rest/api/2/user?username={name}", "key": name, "name": name,
        "emailAddress": row["email"] if row else None,
        "avatarUrls": {size: f"{avatar}&size={size}" for size in ("48x48", "24x24", "16x16", "32x32")},
        "displayName": row["display_name"] if row else "Former user",
        "active": bool(row["active"]) if row else False, "deleted": row is None, "timeZone": "Etc/UTC",
        "locale": "en_US",
    }


def jira_user_reference(value: Any, store: SandboxStore) -> str | None:
    """The account id a Jira DC user reference (``{"name": ...}`` or ``{"key": ...}``) points to.

    Raises ``ValueError`` with Jira DC's own wording: an ``accountId`` is refused, an unknown name
    does not exist."""
    if not isinstance(value, dict) or not isinstance(value.get("name", value.get("key")), str):
        raise ValueError(ACCOUNT_ID_ASSIGNEE)
    name = value.get("name")
    row = account_by(store, name=name) if isinstance(name, str) else account_by(store, key=value["key"])
    if row is None:
        raise ValueError(f"User '{name or value.get('key')}' does not exist.")
    return str(row["account_id"])


# -- the context paths ----------------------------------------------------------------------------
class ContextPaths:
    """WSGI middleware: ``/confluence/...`` and ``/jira/...`` as two servers' context paths."""

    def __init__(self, app: WSGIApp, flask_app: Flask) -> None:
        self.app, self.flask_app = app, flask_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for product, prefix in CONTEXTS.items():
            if path == prefix or path.startswith(prefix + "/"):
                rest = path[len(prefix):] or "/"
                if not _served(product, rest):
                    return self._not_found(environ, start_response, product, path)
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = rest
                environ[CONTEXT_KEY] = product
                return self.app(environ, start_response)
        if path.startswith(_ROOT_BLOCKED) or path == "/":
            return self._not_found(environ, start_response, None, path)
        return self.app(environ, start_response)

    def _not_found(self, environ: dict[str, Any], start_response: Callable[..., Any], product: str | None,
                   path: str) -> Iterable[bytes]:
        self.flask_app.extensions["sandbox"].stats.record(f"{environ.get('REQUEST_METHOD')} {path} (404)")
        body: dict[str, object]
        if product == "jira":
            body = {"errorMessages": ["null for uri: " + path], "errors": {}}
        elif product == "confluence":
            body = {"statusCode": 404, "data": {"authorized": False, "valid": True, "errors": [],
                                                "successful": False},
                    "message": f"No resource found for {path}", "reason": "Not Found"}
        else:
            body = {"error": f"Not Found: {path} (Data Center profile: Confluence is under /confluence, "
                             "Jira under /jira)"}
        raw = json.dumps(body).encode()
        start_response("404 NOT FOUND", [("Content-Type", "application/json"), ("Content-Length", str(len(raw)))])
        return [raw]


def _served(product: str, rest: str) -> bool:
    """Whether a Data Center server of this product has the path below its context path."""
    owner = product_for(rest)
    if product == "confluence":
        if rest.startswith(("/wiki", "/api/", "/ex/", "/_", "/browse/")):
            return False
        return owner in (None, "confluence")
    if _JIRA_NOT_DC.match(rest):
        return False
    return owner == "jira" or rest.startswith(("/browse/", "/secure/"))
