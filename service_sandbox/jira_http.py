"""Request plumbing shared by the Jira route modules: errors as exceptions, bodies, the caller, ids.

Handlers raise :class:`JiraError` instead of building responses, so validation code deep in a call
chain can reject a request and the client still gets Jira's ``{"errorMessages", "errors"}`` body.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from flask import Blueprint, Response, request

from service_sandbox import jira_store
from service_sandbox.error_bodies import jira_error
from service_sandbox.store import SandboxStore

ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
USER_NOT_FOUND = "Specified user does not exist or you do not have required permissions"
NOT_AN_OBJECT = "Cannot deserialize the request body: a JSON object is required."


class JiraError(Exception):
    """Answer the current request with Jira's error body and ``status``."""

    def __init__(self, status: int, messages: list[str] | tuple[str, ...] = (),
                 errors: dict[str, str] | None = None) -> None:
        super().__init__(status, messages, errors)
        self.status = status
        self.messages = list(messages)
        self.errors = errors or {}

    def response(self) -> Response:
        return jira_error(self.status, self.messages, self.errors)


def register_errors(bp: Blueprint) -> None:
    bp.register_error_handler(JiraError, lambda exc: exc.response())


def sandbox_store() -> SandboxStore:
    from service_sandbox import app as sandbox_app  # app imports this package: resolve at call time

    return sandbox_app.state().store


def search_cutoff() -> str | None:
    """Writes after this stamp are not yet in the search index (see ``index_lag``)."""
    from service_sandbox import app as sandbox_app

    return sandbox_app.search_cutoff()


def caller() -> str:
    """The authenticated account id (set by the app's auth check)."""
    from service_sandbox import app as sandbox_app

    return sandbox_app.current_account_id()


def base_url() -> str:
    """The site URL as the client reached it, for ``self`` links (like a Cloud site's own host)."""
    from service_sandbox.datacenter import context_root

    return request.host_url.rstrip("/") + context_root()


def json_body(required: bool = True) -> Any:
    """The request body decoded as JSON; malformed or (when required) missing bodies are 400s, not 500s."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        if required:
            raise JiraError(400, ["No content to map due to end-of-input"])
        return None
    if request.mimetype and request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise JiraError(415, [f"Unsupported Media Type: expected application/json, got {request.mimetype}"])
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise JiraError(400, [f"Unexpected character in the JSON body: {exc}"]) from None


def json_object(required: bool = True) -> dict[str, Any]:
    body = json_body(required)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise JiraError(400, [NOT_AN_OBJECT])
    return body


def issue_id_or_404(conn: sqlite3.Connection, id_or_key: str) -> int:
    issue_id = jira_store.find_issue_id(conn, id_or_key)
    if issue_id is None:
        raise JiraError(404, [ISSUE_NOT_FOUND])
    return issue_id


def int_arg(name: str, default: int, minimum: int = 0) -> int:
    """A non-negative integer query parameter (Jira answers 400 for non-numbers)."""
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        return max(int(text), minimum)
    except ValueError:
        raise JiraError(400, [f"The '{name}' parameter must be a number, not '{text}'."]) from None


def no_content() -> Response:
    return Response(status=204)

