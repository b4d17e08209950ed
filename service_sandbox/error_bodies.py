"""Each product's own error JSON, so the client library's error mapping runs as in production."""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus

from flask import Response

JIRA_JSON = "application/json;charset=UTF-8"


def confluence_error(status: int, message: str) -> Response:
    """Confluence REST v1's error body: ``statusCode``, ``data``, ``message``, ``reason``."""
    body = {
        "statusCode": status,
        "data": {"authorized": status not in (401, 403), "valid": status != 400, "errors": [],
                 "successful": False},
        "message": message,
        "reason": HTTPStatus(status).phrase,
    }
    return Response(json.dumps(body), status=status, mimetype="application/json")


# v2's error codes for the statuses the sandbox answers. The published spec documents no error body;
# the shape and codes (BAD_REQUEST, CONFLICT, NOT_FOUND, ...) are the ones recorded in
# ../shared/atlassian-api-notes.md §6 from real answers.
_V2_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
             409: "CONFLICT", 410: "GONE", 413: "REQUEST_ENTITY_TOO_LARGE", 429: "TOO_MANY_REQUESTS",
             500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}


def confluence_v2_error(status: int, title: str, code: str | None = None) -> Response:
    """Confluence REST v2's error body: ``{"errors": [{"status", "code", "title", "detail"}]}``."""
    code = code or _V2_CODES.get(status) or HTTPStatus(status).name
    body = {"errors": [{"status": status, "code": code, "title": title, "detail": None}]}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def jira_error(status: int, messages: Iterable[str] = (), errors: dict[str, str] | None = None) -> Response:
    """Jira's error body: ``{"errorMessages": [...], "errors": {field: message}}``."""
    body = {"errorMessages": list(messages), "errors": errors or {}}
    return Response(json.dumps(body), status=status, content_type=JIRA_JSON)


def jira_json(payload: object, status: int = 200) -> Response:
    """A Jira success body, with the content type Jira really sends."""
    return Response(json.dumps(payload), status=status, content_type=JIRA_JSON)


def product_for(path: str) -> str | None:
    """Which emulated product a request path belongs to (None for the sandbox's own routes)."""
    if path.startswith(("/rest/api/2/", "/rest/api/3/", "/rest/api/latest/issue")):
        return "jira"
    if path.startswith("/wiki/api/v2"):
        return "confluence_v2"
    if path.startswith(("/wiki/rest/api", "/rest/api", "/rest/experimental/")):  # experimental: Data Center's
        return "confluence"
    return None


def product_error(path: str, status: int, message: str, code: str | None = None) -> Response:
    """The right product's error body for ``path``; plain JSON for the sandbox's own routes."""
    if product_for(path) == "confluence_v2":
        return confluence_v2_error(status, message, code)
    if product_for(path) == "jira":
        return jira_error(status, [message])
    if product_for(path) == "confluence":
        return confluence_error(status, message)
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")
