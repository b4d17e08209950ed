"""Jira's directory and metadata routes: users, projects, issue types, priorities, statuses, server.

wikibot's ``check-config`` reads these to verify a configured project key, issue type, priority
and assignee before any write, so the answers (including 404 wording for a wrong project key and
Cloud's refusal of ``username`` lookups) match Jira Cloud.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Blueprint, Response, request

from service_sandbox import datacenter, jira_store
from service_sandbox import jira_catalog as catalog
from service_sandbox.error_bodies import jira_json
from service_sandbox.jira_http import USER_NOT_FOUND, JiraError, base_url, caller, int_arg, sandbox_store
from service_sandbox.jira_render import Renderer, jira_time, renderer_for

API = "/rest/api/2"
GDPR_USERNAME = "The query parameter 'username' is not supported in GDPR strict mode."


def register(bp: Blueprint) -> None:
    routes = (
        ("/myself", myself), ("/user", get_user), ("/user/search", search_users),
        ("/user/assignable/search", search_assignable),
        ("/project", list_projects), ("/project/search", search_projects), ("/project/<id_or_key>", get_project),
        ("/project/<id_or_key>/statuses", project_statuses),
        ("/issue/createmeta/<id_or_key>/issuetypes/<type_id>", create_meta),
        ("/issuetype", list_issue_types), ("/issuetype/<item_id>", get_issue_type),
        ("/priority", list_priorities), ("/priority/<item_id>", get_priority),
        ("/status", list_statuses), ("/status/<id_or_name>", get_status),
        ("/statuscategory", list_status_categories), ("/resolution", list_resolutions),
        ("/serverInfo", server_info),
    )
    for path, view in routes:
        bp.add_url_rule(API + path, view_func=view, methods=["GET"])


def _renderer(conn: sqlite3.Connection) -> Renderer:
    return renderer_for(conn, base_url(), 2)


# -- users ---------------------------------------------------------------------------------------
def myself() -> Response:
    with sandbox_store().read() as conn:
        return jira_json({**(_renderer(conn).user(caller()) or {}), "locale": "en_US"})


def get_user() -> Response:
    if datacenter.enabled():
        return _get_user_datacenter()
    if "username" in request.args or "key" in request.args:
        raise JiraError(400, [GDPR_USERNAME])
    account_id = request.args.get("accountId")
    if not account_id:
        raise JiraError(400, ["The 'accountId' query parameter is required."])
    with sandbox_store().read() as conn:
        renderer = _renderer(conn)
    if account_id not in renderer.users:
        raise JiraError(404, [USER_NOT_FOUND])
    return jira_json(renderer.user(account_id))


def search_users() -> Response:
    """``query`` is a case-insensitive prefix of the display name, one of its words, or the email."""
    if datacenter.enabled():
        return _search_users_datacenter()
    if "username" in request.args:
        raise JiraError(400, [GDPR_USERNAME])
    query = (request.args.get("query") or "").strip().lower()
    account_id = request.args.get("accountId")
    if not query and not account_id and not request.args.get("property"):
        raise JiraError(400, ["One of 'query', 'accountId' or 'property' query parameters must be provided."])
    if query and account_id:  # the v3 OpenAPI: 400 when "`query` and `accountId` are provided"
        raise JiraError(400, ["The 'query' and 'accountId' query parameters cannot be provided together."])
    include_active = request.args.get("includeActive", "true").lower() != "false"
    include_inactive = request.args.get("includeInactive", "false").lower() == "true"
    with sandbox_store().read() as conn:
        renderer = _renderer(conn)
    found = [row for row in sorted(renderer.users.values(), key=lambda r: r["display_name"].lower())
             if (include_active if row["active"] else include_inactive)
             and (account_id is None or row["account_id"] == account_id)
             and (not query or _user_matches(row, query))]
    start = int_arg("startAt", 0)
    limit = int_arg("maxResults", 50)
    return jira_json([renderer.user(row["account_id"]) for row in found[start:start + limit]])


def search_assignable() -> Response:
    """Who can be assigned issues in ``project`` (or ``issueKey``): every active account here.

    Cloud filters by ``query``/``accountId``, Data Center by ``username`` (notes §7)."""
    if not request.args.get("project") and not request.args.get("issueKey"):
        raise JiraError(400, ["The 'project' or 'issueKey' query parameter is required."])
    with sandbox_store().read() as conn:
        if request.args.get("project") and jira_store.find_project(conn, request.args["project"]) is None:
            raise JiraError(404, [f"No project could be found with key '{request.args['project']}'."])
        renderer = _renderer(conn)
    dc = datacenter.enabled()
    query = (request.args.get("username" if dc else "query") or "").strip().lower()
    account_id = None if dc else request.args.get("accountId")
    found = [row for row in sorted(renderer.users.values(), key=lambda r: r["display_name"].lower())
             if row["active"] and (account_id is None or row["account_id"] == account_id)
             and (not query or _user_matches(row, query)
                  or (dc and datacenter.username(row).lower().startswith(query)))]
    start, limit = int_arg("startAt", 0), int_arg("maxResults", 50)
    return jira_json([renderer.user(row["account_id"]) for row in found[start:start + limit]])


def _get_user_datacenter() -> Response:
    """Data Center: ``?username=`` or ``?key=``; an accountId means nothing there."""
    name, key = request.args.get("username"), request.args.get("key")
    if not name and not key:
        raise JiraError(400, ["The 'username' or 'key' query parameter is required."])
    store = sandbox_store()
    row = datacenter.account_by(store, name=name) if name else datacenter.account_by(store, key=key)
    if row is None:
        raise JiraError(404, [f"The user named '{name or key}' does not exist"])
    with store.read() as conn:
        return jira_json(_renderer(conn).user(row["account_id"]))


def _search_users_datacenter() -> Response:
    """Data Center's ``?username=``: a prefix of the username, display name (or a word of it) or email."""
    query = (request.args.get("username") or "").strip().lower()
    if not query:
        raise JiraError(400, ["The username query parameter was not provided"])
    include_inactive = request.args.get("includeInactive", "false").lower() == "true"
    with sandbox_store().read() as conn:
        renderer = _renderer(conn)
    found = [row for row in sorted(renderer.users.values(), key=lambda r: r["display_name"].lower())
             if (row["active"] or include_inactive)
             and (_user_matches(row, query) or datacenter.username(row).lower().startswith(query))]
    start, limit = int_arg("startAt", 0), int_arg("maxResults", 50)
    return jira_json([renderer.user(row["account_id"]) for row in found[start:start + limit]])


def _user_matches(row: sqlite3.Row, query: str) -> bool:
    name = row["display_name"].lower()
    return name.startswith(query) or any(w.startswith(query) for w in name.split()) or \
        row["email"].lower().startswith(query)


# -- projects ------------------------------------------------------------------------------------
def _project_json(row: sqlite3.Row, renderer: Renderer, full: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "self": f"{renderer.base}{API}/project/{row['id']}", "id": row["id"], "key": row["key"],
        "name": row["name"], "projectTypeKey": "software", "simplified": True, "style": "next-gen",
        "isPrivate": False,
    }
    if full:
        body.update({"description": "", "lead": renderer.user(row["lead"]),
                     "issueTypes": [catalog.issuetype_json(renderer.base, t) for t in catalog.ISSUE_TYPES],
                     "assigneeType": "UNASSIGNED"})
    return body


def list_projects() -> Response:
    with sandbox_store().read() as conn:
        renderer = _renderer(conn)
        expand_full = "issueTypes" in (request.args.get("expand") or "")
        return jira_json([_project_json(row, renderer, expand_full) for row in jira_store.projects(conn)])


def search_projects() -> Response:
    """The paged project list the client's cloud mode reads (``values``, ``isLast``)."""
    start = int_arg("startAt", 0)
    limit = min(int_arg("maxResults", 50, minimum=1), 100)
    with sandbox_store().read() as conn:
        renderer = _renderer(conn)
        rows = jira_store.projects(conn)
        values = [_project_json(row, renderer, False) for row in rows[start:start + limit]]
    return jira_json({"self": request.url, "maxResults": limit, "startAt": start, "total": len(rows),
                      "isLast": start + len(values) >= len(rows), "values": values})


def _project_or_404(conn: sqlite3.Connection, id_or_key: str) -> sqlite3.Row:
    row = jira_store.find_project(conn, id_or_key)
    if row is None:
        raise JiraError(404, [f"No project could be found with key '{id_or_key}'."])
    return row


def get_project(id_or_key: str) -> Response:
    with sandbox_store().read() as conn:
        return jira_json(_project_json(_project_or_404(conn, id_or_key), _renderer(conn), True))


def project_statuses(id_or_key: str) -> Response:
    with sandbox_store().read() as conn:
        _project_or_404(conn, id_or_key)
    base = base_url()
    return jira_json([{"self": f"{base}{API}/issuetype/{t.id}", "id": t.id, "name": t.name, "subtask": False,
                       "statuses": [catalog.status_json(base, s) for s in catalog.STATUSES]}
                      for t in catalog.ISSUE_TYPES])


def create_meta(id_or_key: str, type_id: str) -> Response:
    """The fields a create of this issue type in this project may set, with their allowed values.

    Cloud pages them under ``fields`` (the published v3 spec's ``PageOfCreateMetaIssueTypeWithField``),
    Data Center 9 under ``values`` with ``isLast`` (its replacement of the old ``createmeta``, removed in
    10: sooperset/mcp-atlassian#958). A system field's allowed values carry ``name``, not ``value``.
    Fields the project's screen leaves out (``/_sandbox/jira/projects/<key>/screen``) are not listed.
    """
    base = base_url()
    with sandbox_store().read() as conn:
        project = _project_or_404(conn, id_or_key)
        hidden = jira_store.hidden_fields(conn, project["id"])
    issue_type = catalog.by_id(catalog.ISSUE_TYPES, type_id)
    if issue_type is None:
        raise JiraError(404, [f"Issue type with id '{type_id}' does not exist in project '{project['key']}'."])
    described = [
        _meta_field("summary", "Summary", {"type": "string", "system": "summary"}, required=True),
        _meta_field("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, required=True,
                    allowed=[catalog.issuetype_json(base, issue_type)]),
        _meta_field("project", "Project", {"type": "project", "system": "project"}, required=True),
        _meta_field("reporter", "Reporter", {"type": "user", "system": "reporter"}, required=True),
        _meta_field("assignee", "Assignee", {"type": "user", "system": "assignee"}),
        _meta_field("description", "Description", {"type": "string", "system": "description"}),
        _meta_field("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
        _meta_field("duedate", "Due date", {"type": "date", "system": "duedate"}),
        _meta_field("priority", "Priority", {"type": "priority", "system": "priority"},
                    allowed=[catalog.priority_json(base, p) for p in catalog.PRIORITIES],
                    default=catalog.priority_json(base, catalog.DEFAULT_PRIORITY)),
    ]
    fields = [f for f in described if f["fieldId"] not in hidden]
    start, limit = int_arg("startAt", 0), min(int_arg("maxResults", 50, minimum=1), 200)
    page = fields[start:start + limit]
    body: dict[str, Any] = {"maxResults": limit, "startAt": start, "total": len(fields)}
    if datacenter.enabled():
        body.update(isLast=start + len(page) >= len(fields), values=page)
    else:
        body["fields"] = page
    return jira_json(body)


def _meta_field(field_id: str, name: str, schema: dict[str, Any], *, required: bool = False,
                allowed: list[dict[str, Any]] | None = None, default: dict[str, Any] | None = None) -> dict[str, Any]:
    field: dict[str, Any] = {"required": required, "schema": schema, "name": name, "fieldId": field_id,
                             "key": field_id, "hasDefaultValue": default is not None, "operations": ["set"]}
    if allowed is not None:
        field["allowedValues"] = allowed
    if default is not None:
        field["defaultValue"] = default
    return field


# -- fixed reference data ------------------------------------------------------------------------
def list_issue_types() -> Response:
    return jira_json([catalog.issuetype_json(base_url(), t) for t in catalog.ISSUE_TYPES])


def get_issue_type(item_id: str) -> Response:
    found = catalog.by_id(catalog.ISSUE_TYPES, item_id)
    if found is None:
        raise JiraError(404, [f"The issue type with id '{item_id}' does not exist."])
    return jira_json(catalog.issuetype_json(base_url(), found))


def list_priorities() -> Response:
    return jira_json([catalog.priority_json(base_url(), p) for p in catalog.PRIORITIES])


def get_priority(item_id: str) -> Response:
    found = catalog.by_id(catalog.PRIORITIES, item_id)
    if found is None:
        raise JiraError(404, [f"The priority with id '{item_id}' does not exist."])
    return jira_json(catalog.priority_json(base_url(), found))


def list_statuses() -> Response:
    return jira_json([catalog.status_json(base_url(), s) for s in catalog.STATUSES])


def get_status(id_or_name: str) -> Response:
    found = catalog.by_id(catalog.STATUSES, id_or_name) or catalog.by_name(catalog.STATUSES, id_or_name)
    if found is None:
        raise JiraError(404, [f"The status with id or name '{id_or_name}' does not exist."])
    return jira_json(catalog.status_json(base_url(), found))


def list_status_categories() -> Response:
    return jira_json([catalog.category_json(base_url(), c) for c in catalog.CATEGORIES])


def list_resolutions() -> Response:
    return jira_json([catalog.resolution_json(base_url(), catalog.RESOLUTION_DONE)])


def server_info() -> Response:
    """Cloud says ``"deploymentType": "Cloud"`` and version 1001; Data Center says ``"Server"`` (Data
    Center reports itself as Server: a verbatim capture of a Jira 10.3.19 DC site's ``/serverInfo``
    reads ``"version":"10.3.19","versionNumbers":[10,3,19],"deploymentType":"Server"``)."""
    base = base_url()
    if datacenter.enabled():
        version, numbers, deployment, build = "10.3.19", [10, 3, 19], "Server", 10030019
    else:
        version, numbers, deployment, build = "1001.0.0-SNAPSHOT", [1001, 0, 0], "Cloud", 100280
    return jira_json({"baseUrl": base, "displayUrl": base, "version": version, "versionNumbers": numbers,
                      "deploymentType": deployment, "buildNumber": build,
                      "serverTime": jira_time(sandbox_store().now()), "scmInfo": "sandbox",
                      "serverTitle": "Jira (wikibot sandbox)", "defaultLocale": {"locale": "en_US"}})
