"""Issue sub-resources: remote links (upsert by globalId), entity properties and comments.

wikibot links post-mortem pages to action items with remote links keyed by a stable globalId, so
re-running a sync must update the one link instead of adding another: the upsert, its 200-vs-201
answer and the per-issue scope of globalId are reproduced exactly. Properties are stored as JSON
text and, as on a Jira site with no app-declared index, are invisible to JQL.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from flask import Blueprint, Response, request

from service_sandbox import datacenter, jira_store
from service_sandbox.error_bodies import jira_json
from service_sandbox.jira_fields import MAX_TEXT, TEXT_TOO_LONG, checked_property
from service_sandbox.jira_http import (
    JiraError,
    base_url,
    caller,
    int_arg,
    issue_id_or_404,
    json_body,
    json_object,
    no_content,
    sandbox_store,
)
from service_sandbox.jira_render import renderer_for

ISSUE = "/rest/api/2/issue/<id_or_key>"
MAX_GLOBAL_ID = 255
MAX_COMMENTS = 5000
# Jira Cloud's comment list pages 100 at a time unless asked otherwise ("maxResults ... default 100",
# GET /rest/api/3/issue/{issueIdOrKey}/comment in the published v3 OpenAPI); Data Center keeps the
# sandbox's older default of the whole list (5000).
CLOUD_COMMENT_PAGE = 100
COMMENT_ORDERS = ("created", "-created", "+created")  # the only orderBy the v3 OpenAPI enumerates


def register(bp: Blueprint) -> None:
    routes = (
        ("/remotelink", "GET", list_remote_links), ("/remotelink", "POST", upsert_remote_link),
        ("/remotelink", "DELETE", delete_remote_link_by_global_id),
        ("/remotelink/<link_id>", "GET", get_remote_link), ("/remotelink/<link_id>", "PUT", update_remote_link),
        ("/remotelink/<link_id>", "DELETE", delete_remote_link),
        ("/properties", "GET", list_properties), ("/properties/<prop>", "GET", get_property),
        ("/properties/<prop>", "PUT", set_property), ("/properties/<prop>", "DELETE", delete_property),
        ("/comment", "GET", list_comments), ("/comment", "POST", add_comment),
        ("/comment/<comment_id>", "GET", get_comment),
    )
    for suffix, method, view in routes:
        bp.add_url_rule(ISSUE + suffix, view_func=view, methods=[method])


# -- remote links --------------------------------------------------------------------------------
def _link_json(issue_id: int, row: sqlite3.Row) -> dict[str, Any]:
    stored = json.loads(row["body"])
    body: dict[str, Any] = {"id": row["id"], "self": _link_self(issue_id, row["id"])}
    if row["global_id"] is not None:
        body["globalId"] = row["global_id"]
    body["application"] = stored.get("application") or {}
    if stored.get("relationship") is not None:
        body["relationship"] = stored["relationship"]
    body["object"] = stored["object"]
    return body


def _link_self(issue_id: int, link_id: int) -> str:
    return f"{base_url()}/rest/api/2/issue/{issue_id}/remotelink/{link_id}"


def _checked_link(body: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Validate a remote link body; fields left out are stored as absent (an update replaces all)."""
    errors: dict[str, str] = {}
    obj = body.get("object")
    if not isinstance(obj, dict):
        errors["object"] = "The remote link 'object' (with url and title) is required."
        obj = {}
    for name, label in (("url", "URL"), ("title", "Title")):
        if "object" not in errors and not (isinstance(obj.get(name), str) and obj[name].strip()):
            errors[name] = f"{label} is required."
    global_id = body.get("globalId")
    if global_id is not None and (not isinstance(global_id, str) or len(global_id) > MAX_GLOBAL_ID):
        errors["globalId"] = f"globalId must be a string of at most {MAX_GLOBAL_ID} characters."
    if errors:
        raise JiraError(400, [], errors)
    stored = {"application": body.get("application"), "relationship": body.get("relationship"), "object": obj}
    return global_id or None, stored


def list_remote_links(id_or_key: str) -> Response:
    """All links of the issue, or with ``?globalId=`` that one link (404 when absent)."""
    global_id = request.args.get("globalId")
    with sandbox_store().read() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        if global_id is None:
            return jira_json([_link_json(issue_id, row) for row in jira_store.remote_links(conn, issue_id)])
        row = jira_store.remote_link_by_global_id(conn, issue_id, global_id)
    if row is None:
        raise JiraError(404, [f"No remote link with globalId '{global_id}' exists on this issue."])
    return jira_json(_link_json(issue_id, row))


def upsert_remote_link(id_or_key: str) -> Response:
    body = json_object()
    store = sandbox_store()
    with store.tx() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        global_id, stored = _checked_link(body)
        link_id, created = jira_store.upsert_remote_link(conn, store, issue_id, global_id, stored)
    return jira_json({"id": link_id, "self": _link_self(issue_id, link_id)}, 201 if created else 200)


def _link_or_404(conn: sqlite3.Connection, id_or_key: str, link_id: str) -> tuple[int, sqlite3.Row]:
    issue_id = issue_id_or_404(conn, id_or_key)
    row = jira_store.remote_link(conn, issue_id, link_id) if link_id.isdigit() else None
    if row is None:
        raise JiraError(404, [f"No remote link with id '{link_id}' exists on this issue."])
    return issue_id, row


def get_remote_link(id_or_key: str, link_id: str) -> Response:
    with sandbox_store().read() as conn:
        issue_id, row = _link_or_404(conn, id_or_key, link_id)
    return jira_json(_link_json(issue_id, row))


def update_remote_link(id_or_key: str, link_id: str) -> Response:
    global_id, stored = _checked_link(json_object())
    with sandbox_store().tx() as conn:
        _, row = _link_or_404(conn, id_or_key, link_id)
        other = jira_store.remote_link_by_global_id(conn, row["issue_id"], global_id) if global_id else None
        if other is not None and other["id"] != row["id"]:
            raise JiraError(400, [], {"globalId": "Another remote link on this issue has this globalId."})
        jira_store.update_remote_link(conn, row["id"], global_id, stored)
    return no_content()


def delete_remote_link(id_or_key: str, link_id: str) -> Response:
    with sandbox_store().tx() as conn:
        _, row = _link_or_404(conn, id_or_key, link_id)
        jira_store.delete_remote_link(conn, row["id"])
    return no_content()


def delete_remote_link_by_global_id(id_or_key: str) -> Response:
    global_id = request.args.get("globalId")
    if not global_id:
        raise JiraError(400, ["The 'globalId' query parameter is required."])
    with sandbox_store().tx() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        row = jira_store.remote_link_by_global_id(conn, issue_id, global_id)
        if row is None:
            raise JiraError(404, [f"No remote link with globalId '{global_id}' exists on this issue."])
        jira_store.delete_remote_link(conn, row["id"])
    return no_content()


# -- properties ----------------------------------------------------------------------------------
def _property_self(id_or_key: str, prop: str) -> str:
    return f"{base_url()}/rest/api/2/issue/{id_or_key}/properties/{prop}"


def list_properties(id_or_key: str) -> Response:
    with sandbox_store().read() as conn:
        keys = jira_store.properties(conn, issue_id_or_404(conn, id_or_key))
    return jira_json({"keys": [{"self": _property_self(id_or_key, key), "key": key} for key in keys]})


def get_property(id_or_key: str, prop: str) -> Response:
    with sandbox_store().read() as conn:
        value = jira_store.get_property(conn, issue_id_or_404(conn, id_or_key), prop)
    if value is None:
        raise JiraError(404, [f"The property with key '{prop}' does not exist."])
    return jira_json({"key": prop, "value": json.loads(value)})


def set_property(id_or_key: str, prop: str) -> Response:
    """Any JSON value up to 32 KB; 201 when created, 200 when replaced (both with no body)."""
    key, value_json = checked_property(prop, json.dumps(json_body(), separators=(",", ":")))
    with sandbox_store().tx() as conn:
        created = jira_store.set_property(conn, issue_id_or_404(conn, id_or_key), key, value_json)
    return Response(status=201 if created else 200)


def delete_property(id_or_key: str, prop: str) -> Response:
    with sandbox_store().tx() as conn:
        if not jira_store.delete_property(conn, issue_id_or_404(conn, id_or_key), prop):
            raise JiraError(404, [f"The property with key '{prop}' does not exist."])
    return no_content()


# -- comments ------------------------------------------------------------------------------------
def add_comment(id_or_key: str) -> Response:
    body = json_object()
    text = body.get("body")
    if not isinstance(text, str) or not text.strip():
        raise JiraError(400, [], {"comment": "Comment body can not be empty!"})
    if len(text) > MAX_TEXT:
        raise JiraError(400, [], {"comment": TEXT_TOO_LONG})
    store = sandbox_store()
    with store.tx() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        row = jira_store.add_comment(conn, store, issue_id, caller(), text, store.now())
        comment = renderer_for(conn, base_url(), 2).comment(issue_id, row)
    return jira_json(comment, 201)


def list_comments(id_or_key: str) -> Response:
    """``startAt``/``maxResults`` paging (100 by default on Cloud); ``orderBy=-created`` lists newest first."""
    start = int_arg("startAt", 0)
    limit = min(int_arg("maxResults", MAX_COMMENTS if datacenter.enabled() else CLOUD_COMMENT_PAGE), MAX_COMMENTS)
    order = request.args.get("orderBy")
    if order is not None and order not in COMMENT_ORDERS:
        raise JiraError(400, [f"'{order}' is not a valid orderBy: use one of {', '.join(COMMENT_ORDERS)}."])
    with sandbox_store().read() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        rows = jira_store.comments(conn, [issue_id])[issue_id]
        if order == "-created":
            rows.reverse()
        page = renderer_for(conn, base_url(), 2).comment_page(issue_id, rows, start, limit)
    page.pop("self")
    return jira_json(page)


def get_comment(id_or_key: str, comment_id: str) -> Response:
    with sandbox_store().read() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        row = jira_store.comment(conn, issue_id, comment_id) if comment_id.isdigit() else None
        if row is None:
            raise JiraError(404, ["Can not find a comment for the id: " + comment_id + "."])
        return jira_json(renderer_for(conn, base_url(), 2).comment(issue_id, row))
