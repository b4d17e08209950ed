"""JQL search endpoints: Cloud's enhanced search (token paging) and the legacy offset search.

``GET|POST /rest/api/{2,3}/search/jql`` is what atlassian-python-api uses with ``cloud=True``:
no ``total``, an opaque ``nextPageToken`` and ``isLast``. The token encodes the offset plus a hash
of the JQL, so a token replayed with a different query is rejected as Jira rejects it. Paging is by
offset over a fresh evaluation, so concurrent writes can shift pages (Jira's own cursor is also
not a snapshot). Within ``index_lag_ms`` of a write, an issue is found and shown as it was before it
(missing if it is that new), except those named in ``reconcileIssues``. ``/rest/api/2/search``
(``startAt``/``total``) is kept for the Data Center profile; in the cloud profile ``gone`` answers it
with 410.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request

from service_sandbox import datacenter, index_lag, jira_store
from service_sandbox import jira_catalog as catalog
from service_sandbox.error_bodies import jira_json
from service_sandbox.jira_http import JiraError, base_url, caller, json_object, sandbox_store, search_cutoff
from service_sandbox.jira_render import render_issues, renderer_for, select_fields
from service_sandbox.jql import JQLError, Query, parse
from service_sandbox.jql_eval import IssueRecord, SearchContext, search

DEFAULT_MAX_RESULTS = 50
MAX_RESULTS_CAP = 100
MAX_RECONCILE = 50
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
BAD_TOKEN = "The nextPageToken is invalid, expired, or does not belong to this query."


@dataclass(frozen=True)
class SearchRequest:
    """A search's parameters, whether they came as a query string (GET) or a JSON body (POST)."""

    jql: str
    max_results: int
    fields: str | Sequence[str] | None
    expand: tuple[str, ...]
    properties: str | Sequence[str] | None
    next_page_token: str | None
    start_at: int
    reconcile: frozenset[int] = frozenset()


def register(bp: Blueprint) -> None:
    for version in (2, 3):
        bp.add_url_rule(f"/rest/api/{version}/search/jql", endpoint=f"enhanced_search_v{version}",
                        view_func=enhanced_search, methods=["GET", "POST"], defaults={"version": version})
        bp.add_url_rule(f"/rest/api/{version}/search", endpoint=f"legacy_search_v{version}",
                        view_func=legacy_search, methods=["GET", "POST"], defaults={"version": version})
        bp.add_url_rule(f"/rest/api/{version}/search/approximate-count", endpoint=f"approximate_count_v{version}",
                        view_func=approximate_count, methods=["POST"])


def enhanced_search(version: int) -> Response:
    """Token-paged search; without ``fields`` each issue is just ``{"id": ...}``, as in Jira Cloud."""
    params = _search_request()
    query = _parse(params.jql)
    if query.where is None:
        raise JiraError(400, [UNBOUNDED])
    offset = _decode_token(params.next_page_token, params.jql) if params.next_page_token else 0
    limit = min(max(params.max_results, 1), MAX_RESULTS_CAP)
    with sandbox_store().read() as conn:
        matched = _evaluate(conn, query, params.reconcile)
        page = matched[offset:offset + limit]
        if params.fields is None:
            issues: list[dict[str, Any]] = [{"id": str(r.id)} for r in page]
        else:
            issues = render_issues(conn, renderer_for(conn, base_url(), version), page,
                                   select_fields(params.fields, "*navigable"), params.expand, params.properties)
    body: dict[str, Any] = {"issues": issues}
    if offset + len(page) < len(matched):
        body["nextPageToken"] = _encode_token(offset + len(page), params.jql)
    body["isLast"] = "nextPageToken" not in body
    return jira_json(body)


def legacy_search(version: int) -> Response:
    """Offset search with ``startAt``/``maxResults``/``total`` (retired on Cloud, still on DC)."""
    params = _search_request()
    query = _parse(params.jql)
    limit = min(max(params.max_results, 0), MAX_RESULTS_CAP)
    with sandbox_store().read() as conn:
        matched = _evaluate(conn, query, params.reconcile)
        page = matched[params.start_at:params.start_at + limit]
        issues = render_issues(conn, renderer_for(conn, base_url(), version), page,
                               select_fields(params.fields, "*navigable"), params.expand, params.properties)
    return jira_json({"expand": "schema,names", "startAt": params.start_at, "maxResults": limit,
                      "total": len(matched), "issues": issues})


def approximate_count() -> Response:
    body = json_object()
    jql = body.get("jql")
    query = _parse(jql if isinstance(jql, str) else "")
    if query.where is None:
        raise JiraError(400, [UNBOUNDED])
    with sandbox_store().read() as conn:
        return jira_json({"count": len(_evaluate(conn, query))})


# -- helpers -------------------------------------------------------------------------------------
def _search_request() -> SearchRequest:
    if request.method == "POST":
        body = json_object()
        source: dict[str, Any] = body
    else:
        source = request.args.to_dict()
    expand = source.get("expand") or ""
    expand_items = expand.split(",") if isinstance(expand, str) else [str(e) for e in expand]
    jql = source.get("jql") or ""
    if not isinstance(jql, str):
        raise JiraError(400, ["'jql' must be a string."])
    token = source.get("nextPageToken")
    return SearchRequest(
        jql=jql, max_results=_number(source.get("maxResults"), DEFAULT_MAX_RESULTS, "maxResults"),
        fields=source.get("fields"), expand=tuple(e.strip() for e in expand_items if e.strip()),
        properties=source.get("properties"), next_page_token=str(token) if token else None,
        start_at=max(_number(source.get("startAt"), 0, "startAt"), 0), reconcile=_reconcile(source))


def _reconcile(source: dict[str, Any]) -> frozenset[int]:
    """``reconcileIssues``: up to 50 issue ids (numbers, not keys) whose results must be fresh.

    A JSON array in a POST body; a comma-separated or repeated query parameter on GET.
    """
    raw: Any = source.get("reconcileIssues")
    if request.method == "GET":
        raw = [item for value in request.args.getlist("reconcileIssues") for item in value.split(",") if item]
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise JiraError(400, ["'reconcileIssues' must be a list of issue ids."])
    if len(raw) > MAX_RECONCILE:
        raise JiraError(400, [f"'reconcileIssues' accepts at most {MAX_RECONCILE} issue ids; got {len(raw)}."])
    ids = set()
    for item in raw:
        if isinstance(item, bool) or not str(item).strip().isdigit():
            raise JiraError(400, [f"'reconcileIssues' takes issue ids (numbers), not '{item}'."])
        ids.add(int(str(item).strip()))
    return frozenset(ids)


def _number(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise JiraError(400, [f"The '{name}' parameter must be a number, not '{value}'."]) from None


def _parse(jql: str) -> Query:
    try:
        return parse(jql)
    except JQLError as exc:
        raise JiraError(400, [str(exc)]) from None


def _evaluate(conn: sqlite3.Connection, query: Query, fresh: frozenset[int] = frozenset()) -> list[IssueRecord]:
    """The issues matching ``query`` as the index holds them (``index_lag``): an issue written within
    the lag is matched, and rendered, by its last indexed state ("stale or outdated data"), or missing
    if it was created within the lag, unless its id is in ``fresh`` (``reconcileIssues``)."""
    users = jira_store.users(conn)
    vocabulary: dict[str, dict[str, str | None]] = {
        **catalog.vocabulary(),
        "project": {alias.lower(): row["key"] for row in jira_store.projects(conn)
                    for alias in (row["key"], row["id"], row["name"])},
        "user": {**{account_id.lower(): account_id for account_id in users},
                 **({datacenter.username(row).lower(): a for a, row in users.items()}
                    if datacenter.enabled() else {})},
    }
    ctx = SearchContext(now=sandbox_store().now(), current_user=caller(), vocabulary=vocabulary,
                        ranks=catalog.ranks(),
                        user_names={a: row["display_name"] for a, row in users.items()})
    records = jira_store.all_records(sandbox_store())
    since = search_cutoff()
    if since is not None:
        indexed = {i: s for i, s in index_lag.indexed_issues(conn, since).items() if i not in fresh}
        if indexed:
            states = {i: jira_store.record_from_state(s) for i, s in indexed.items() if s is not None}
            records = [states.get(r.id, r) for r in records if r.id not in indexed or r.id in states]
    try:
        return search(query, records, ctx)
    except JQLError as exc:
        raise JiraError(400, [str(exc)]) from None


def _digest(jql: str) -> str:
    return hashlib.sha256(jql.encode()).hexdigest()[:16]


def _encode_token(offset: int, jql: str) -> str:
    raw = json.dumps({"offset": offset, "query": _digest(jql)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, jql: str) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = decoded["offset"]
        if decoded["query"] != _digest(jql) or not isinstance(offset, int) or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise JiraError(400, [BAD_TOKEN]) from None
    return offset
