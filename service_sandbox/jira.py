"""Emulated Jira Cloud REST: issue create/bulk/get/edit/delete and workflow transitions.

This module owns the sandbox's Jira interface (``SCHEMA``, ``seed``, ``register``) and the issue
routes; search, issue sub-resources (remote links, properties, comments), directory/metadata
routes and the HTML browse page live in sibling ``jira_*`` modules on the same blueprint.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Blueprint, Flask, Response, request

from service_sandbox import jira_browse, jira_meta, jira_search, jira_store, jira_subresources
from service_sandbox import jira_catalog as catalog
from service_sandbox.error_bodies import jira_json
from service_sandbox.jira_fields import NOT_SETTABLE, IssueInput, parse_create, parse_edit
from service_sandbox.jira_http import (
    JiraError,
    base_url,
    caller,
    issue_id_or_404,
    json_object,
    no_content,
    register_errors,
    sandbox_store,
)
from service_sandbox.jira_render import render_issues, renderer_for, select_fields
from service_sandbox.store import SandboxStore

SCHEMA = jira_store.SCHEMA
MAX_BULK = 50
NOTIFY_FORBIDDEN = "To discard the user notification either admin or project admin permissions are required."
ISSUE = "/rest/api/2/issue/<id_or_key>"


def seed(store: SandboxStore) -> None:
    """Project OPS with no issues; issue types, priorities and statuses are fixed (``jira_catalog``)."""
    jira_store.seed(store)


def register(app: Flask) -> None:
    bp = Blueprint("jira", __name__)
    register_errors(bp)
    bp.add_url_rule("/rest/api/2/issue", view_func=create_issue, methods=["POST"])
    bp.add_url_rule("/rest/api/2/issue/bulk", view_func=create_issues, methods=["POST"])
    bp.add_url_rule(ISSUE, view_func=get_issue, methods=["GET"])
    bp.add_url_rule(ISSUE, view_func=edit_issue, methods=["PUT"])
    bp.add_url_rule(ISSUE, view_func=delete_issue, methods=["DELETE"])
    bp.add_url_rule(ISSUE + "/transitions", view_func=get_transitions, methods=["GET"])
    bp.add_url_rule(ISSUE + "/transitions", view_func=do_transition, methods=["POST"])
    for module in (jira_search, jira_subresources, jira_meta, jira_browse):
        module.register(bp)
    app.register_blueprint(bp)


# -- create --------------------------------------------------------------------------------------
def create_issue() -> Response:
    body = json_object()
    store = sandbox_store()
    with store.tx() as conn:
        created = _create_one(conn, store, body)
    return jira_json(created, 201)


def create_issues() -> Response:
    """Bulk create as Jira Cloud answers it: each element succeeds or fails on its own (a failed one
    leaves nothing behind); **201** when any element was created, 400 only when every one failed, and
    each failure in ``errors[]`` with ``failedElementNumber`` and ``elementErrors`` (notes §7;
    https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues/#api-rest-api-2-issue-bulk-post).
    """
    body = json_object()
    updates = body.get("issueUpdates")
    if not isinstance(updates, list):
        raise JiraError(400, ["'issueUpdates' must be a list of issue bodies."])
    if len(updates) > MAX_BULK:
        raise JiraError(400, [f"Bulk create is limited to {MAX_BULK} issues per request; got {len(updates)}."])
    store = sandbox_store()
    issues, errors = [], []
    with store.tx() as conn:
        for index, element in enumerate(updates):
            conn.execute("SAVEPOINT bulk_element")
            try:
                issues.append(_create_one(conn, store, element))
            except JiraError as exc:
                conn.execute("ROLLBACK TO bulk_element")
                errors.append({"status": exc.status, "failedElementNumber": index,
                               "elementErrors": {"errorMessages": exc.messages, "errors": exc.errors}})
            conn.execute("RELEASE bulk_element")
    return jira_json({"issues": issues, "errors": errors}, 201 if issues or not errors else 400)


def _create_one(conn: sqlite3.Connection, store: SandboxStore, body: Any) -> dict[str, str]:
    """One issue created, or a 400 naming every field Jira refuses, all in one ``errors`` map: Jira
    validates the whole issue before it answers (a field off the screen and an unassignable owner are
    refused together, the screen's word winning for a field it lacks)."""
    users = jira_store.users(conn)
    errors: dict[str, str] = {}
    parsed = None
    try:
        parsed = parse_create(body, lambda ref: _project_id(conn, ref), users.__contains__, caller())
    except JiraError as exc:
        if exc.messages or not exc.errors:  # (not a field's error: the body itself is unusable)
            raise
        errors.update(exc.errors)
    fields = body.get("fields") if isinstance(body, dict) else None
    project_id = parsed.project_id if parsed is not None else \
        _project_id(conn, fields.get("project") if isinstance(fields, dict) else None)
    if parsed is not None:
        errors.update(_assignable_errors(users, parsed.columns.get("assignee")))
    errors.update(_screen_errors(conn, project_id, body))
    if errors or parsed is None:
        raise JiraError(400, [], errors)
    issue_id, key = jira_store.insert_issue(conn, store, parsed.project_id or "", parsed.columns,
                                            parsed.labels or [], store.now())
    _store_properties(conn, issue_id, parsed)
    return {"id": str(issue_id), "key": key, "self": f"{base_url()}/rest/api/2/issue/{issue_id}"}


def _screen_errors(conn: sqlite3.Connection, project_id: str | None, body: Any) -> dict[str, str]:
    """A field the project's screen leaves out cannot be set, on create or on edit (the default screen
    scheme uses one screen for both): Jira fails the issue under ``errors.<field>`` with the message its
    ``IssueService`` gives for a field not on the screen, and an edit changes nothing at all. (Reported
    alike for ``PUT /rest/api/2/issue/KEY`` on Cloud and Server, e.g. Atlassian Community "Field
    'priority' cannot be set. It is not on the appropriate screen, or unknown." threads.)"""
    hidden = jira_store.hidden_fields(conn, project_id) if project_id else set()
    sections = [body.get(name) for name in ("fields", "update")] if isinstance(body, dict) else []
    sent = {name for section in sections if isinstance(section, dict) for name in section}
    return {name: NOT_SETTABLE.format(name) for name in sorted(sent & hidden)}


def _assignable_errors(users: dict[str, sqlite3.Row], account_id: object) -> dict[str, str]:
    """A deactivated account cannot be assigned: Jira fails the issue under ``errors.assignee``."""
    if isinstance(account_id, str) and account_id in users and not users[account_id]["active"]:
        return {"assignee": f"User '{users[account_id]['display_name']}' cannot be assigned issues."}
    return {}


def _project_id(conn: sqlite3.Connection, ref: Any) -> str | None:
    if not isinstance(ref, dict):
        return None
    for field in ("id", "key"):
        if isinstance(ref.get(field), (str, int)) and str(ref[field]):
            row = jira_store.find_project(conn, str(ref[field]))
            return row["id"] if row else None
    return None


def _store_properties(conn: sqlite3.Connection, issue_id: int, parsed: IssueInput) -> None:
    for key, value_json in parsed.properties:
        jira_store.set_property(conn, issue_id, key, value_json)


# -- read, edit, delete --------------------------------------------------------------------------
def get_issue(id_or_key: str) -> Response:
    """``fields`` (default ``*all``), ``expand`` and ``properties`` are honoured; ``updateHistory`` ignored."""
    with sandbox_store().read() as conn:
        return jira_json(_render_one(conn, id_or_key, request.args.get("fields")))


def _render_one(conn: sqlite3.Connection, id_or_key: str, fields: str | None) -> dict[str, Any]:
    issue_id = issue_id_or_404(conn, id_or_key)
    names = select_fields(fields, "*all")
    expand = (request.args.get("expand") or "").split(",")
    return render_issues(conn, renderer_for(conn, base_url(), 2), jira_store.load_records(conn, [issue_id]),
                         names, expand, request.args.get("properties"))[0]


def edit_issue(id_or_key: str) -> Response:
    """Edit via ``fields`` and/or ``update`` verbs → 204 (200 with the issue if ``returnIssue=true``).

    ``notifyUsers=false`` (the query parameter) needs the Administer Jira or Administer Projects
    permission, which no sandbox account has (wikibot runs as a plain user): the whole edit is then
    refused with 403. The published spec says such a request "is ignored", but real sites refuse it:
    ``PUT /rest/api/2/issue/KEY?notifyUsers=false`` measured on a Jira Cloud site with a credential
    lacking ADMINISTER_PROJECTS answered 403 ``{"errorMessages": [NOTIFY_FORBIDDEN], "errors": {}}``
    and left the issue unchanged (the same text is reported from Jira Server sites and in the UiPath
    forum thread 543771). A top-level ``notifyUsers`` body key (what atlassian-python-api 5.0.5's
    ``issue_update`` sends) is not the parameter, and is ignored.
    """
    body = json_object()
    store = sandbox_store()
    with store.tx() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        if request.args.get("notifyUsers", "").lower() == "false":
            raise JiraError(403, [NOTIFY_FORBIDDEN])
        project = jira_store.find_project(conn, jira_store.load_records(conn, [issue_id])[0].project)
        refused = _screen_errors(conn, project["id"] if project is not None else None, body)
        if refused:
            raise JiraError(400, [], refused)
        _apply_edit(conn, issue_id, body, {})
        if request.args.get("returnIssue", "").lower() == "true":
            return jira_json(_render_one(conn, str(issue_id), "*all"))
    return no_content()


def _apply_edit(conn: sqlite3.Connection, issue_id: int, body: dict[str, Any], extra: dict[str, Any]) -> None:
    record = jira_store.load_records(conn, [issue_id])[0]
    parsed = parse_edit(body, sorted(record.labels), jira_store.users(conn).__contains__)
    jira_store.update_issue(conn, issue_id, {**parsed.columns, **extra}, sandbox_store().now())
    if parsed.labels is not None:
        jira_store.replace_labels(conn, issue_id, parsed.labels)
    _store_properties(conn, issue_id, parsed)


def delete_issue(id_or_key: str) -> Response:
    with sandbox_store().tx() as conn:
        jira_store.delete_issue(conn, issue_id_or_404(conn, id_or_key))
    return no_content()


# -- transitions ---------------------------------------------------------------------------------
def _available(conn: sqlite3.Connection, issue_id: int) -> list[catalog.Status]:
    """Jira Cloud's simplified workflow: a global transition into every status but the current one."""
    current = jira_store.load_records(conn, [issue_id])[0].status
    return [status for status in catalog.STATUSES if status.name != current]


def get_transitions(id_or_key: str) -> Response:
    wanted = request.args.get("transitionId")
    with sandbox_store().read() as conn:
        available = _available(conn, issue_id_or_404(conn, id_or_key))
    transitions = [catalog.transition_json(base_url(), s) for s in available
                   if wanted is None or s.transition_id == wanted]
    return jira_json({"expand": "transitions", "transitions": transitions})


def do_transition(id_or_key: str) -> Response:
    """Move the issue; ``{"transition": {"id": 31}}`` with the id as number or string, plus optional
    ``fields``/``update`` applied like an edit. Entering Done resolves, leaving Done unresolves."""
    body = json_object()
    transition = body.get("transition")
    transition_id = transition.get("id") if isinstance(transition, dict) else None
    store = sandbox_store()
    with store.tx() as conn:
        issue_id = issue_id_or_404(conn, id_or_key)
        if transition_id is None or isinstance(transition_id, bool) or not isinstance(transition_id, (str, int)):
            raise JiraError(400, ["Missing 'transition' identifier"])
        target = next((s for s in _available(conn, issue_id) if s.transition_id == str(transition_id)), None)
        if target is None:
            raise JiraError(400, [f"Transition id '{transition_id}' is not valid for this issue."])
        _apply_edit(conn, issue_id, body, jira_store.status_columns(target, store.now()))
    return no_content()
