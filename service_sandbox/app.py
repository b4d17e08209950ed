"""The sandbox's Flask application: one server for both emulated products.

Cross-cutting behaviour lives here — authentication, request statistics, fault injection and
product-shaped error bodies — so the product modules (``confluence.py``, ``jira.py``) only
translate REST calls into store operations.
"""

from __future__ import annotations

import hmac
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from service_sandbox import confluence, confluence_attachments, jira, slack
from service_sandbox.errors import product_error, product_for
from service_sandbox.example_issues import seed_example_issues
from service_sandbox.faults import Faults, FaultSpecError, Stats
from service_sandbox.store import SandboxStore

DEFAULT_USER = "wikibot@example.com"
DEFAULT_TOKEN = "sandbox-token"
# Confluence Data Center's default request limit; Cloud's is of the same order.
MAX_REQUEST_BYTES = 5 * 1024 * 1024
UNAUTHORIZED_TEXT = "Client must be authenticated to access this resource."

_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass
class SandboxState:
    """Everything a request handler needs, reachable as ``current_app.extensions['sandbox']``."""

    store: SandboxStore
    token: str
    user: str
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)


def state() -> SandboxState:
    return current_app.extensions["sandbox"]


def current_account_id() -> str:
    """The account id of the authenticated caller (set by the auth check)."""
    return g.account_id


def create_sandbox_app(
    store: SandboxStore | None = None,
    *,
    user: str = DEFAULT_USER,
    token: str = DEFAULT_TOKEN,
    examples: bool = False,
) -> Flask:
    """Build the sandbox app over ``store`` (in memory by default), seeding it on first use.

    Any seeded account's email works with ``token`` (so tests can edit pages as different
    people); ``user`` is the account wikibot itself uses and is created when unknown.
    """
    store = store or SandboxStore()
    _seed(store, user, examples)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False
    app.extensions["sandbox"] = SandboxState(store=store, token=token, user=user)

    app.before_request(_before_product_request)
    app.after_request(_after_product_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)

    confluence.register(app)
    jira.register(app)
    confluence_attachments.register(app)
    slack.register(app, examples=examples)
    _register_control_routes(app)
    return app


def _seed(store: SandboxStore, user: str, examples: bool) -> None:
    store.seed_users()
    if store.user_by_email(user) is None:
        with store.tx() as conn:
            account_id = f"557058:{store.next_id(conn, 'account', 1000)}"
            conn.execute("INSERT INTO users(account_id, display_name, email) VALUES(?, ?, ?)",
                         (account_id, user.split("@")[0], user))
    store.ensure_schema(confluence.SCHEMA)
    store.ensure_schema(jira.SCHEMA)
    confluence.seed(store, examples=examples)
    jira.seed(store)
    if examples:
        seed_example_issues(store)


def route_template() -> str:
    """``METHOD /path/{param}`` for the matched rule, so stats group by route, not raw path."""
    rule = _RULE_PARAM.sub(r"{\1}", request.url_rule.rule) if request.url_rule else "<unmatched>"
    return f"{request.method} {rule}"


def _before_product_request() -> Response | None:
    if product_for(request.path) is None:
        return None
    st = state()
    st.stats.record(route_template())
    if st.faults.latency_ms:
        time.sleep(st.faults.latency_ms / 1000)
    fault = st.faults.take(request.method, request.path)
    if fault is not None:
        if fault.kind == "stall":
            time.sleep(fault.stall_ms / 1000)
        elif fault.kind == "drop" and fault.after:
            g.drop_after = True
        elif fault.kind == "drop":
            return _drop_connection()
        else:
            response = product_error(request.path, fault.status, f"Injected fault: HTTP {fault.status}")
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
    return _authenticate(st)


def _after_product_request(response: Response) -> Response:
    if g.get("drop_after"):
        return _drop_connection()
    return response


def _authenticate(st: SandboxState) -> Response | None:
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.password is not None:
        if hmac.compare_digest(auth.password.encode(), st.token.encode()):
            account = st.store.user_by_email(auth.username or "")
            if account is not None and account["active"]:
                g.account_id = account["account_id"]
                return None
    # Both Cloud products answer bad credentials with a plain-text body, which the client
    # library reports as "Unauthorized (401)".
    return Response(UNAUTHORIZED_TEXT, status=401, mimetype="text/plain",
                    headers={"WWW-Authenticate": 'Basic realm="sandbox"'})


def _drop_connection() -> Response:
    """Shut the client's socket without answering, like a proxy that lost the upstream.

    The server's later attempt to write the (empty) response fails with a broken pipe, which
    werkzeug treats as a client that went away, so nothing is logged as an error.
    """
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    return Response(b"", status=500)


def _http_error(exc: HTTPException) -> Response:
    if request.path.startswith("/_sandbox") or product_for(request.path):
        response = product_error(request.path, exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    return exc.get_response()


def _unexpected_error(exc: Exception) -> Response:
    current_app.logger.exception("sandbox error on %s %s", request.method, request.path)
    return product_error(request.path, 500, f"Internal server error: {type(exc).__name__}")


def _register_control_routes(app: Flask) -> None:
    """``/_sandbox/...``: measurement and fault controls. No auth: loopback test tooling only."""

    @app.get("/_edge/tenant_info")
    def tenant_info() -> Any:
        # Every Cloud site answers this without authentication: https://<site>/_edge/tenant_info
        # -> {"cloudId": "..."} (the id the API gateway api.atlassian.com/ex/<product>/{cloudId} takes).
        return jsonify({"cloudId": state().store.cloud_id()})

    @app.get("/_sandbox/stats")
    def stats() -> Any:
        return jsonify(state().stats.snapshot())

    @app.post("/_sandbox/stats/reset")
    def stats_reset() -> Any:
        state().stats.reset()
        return jsonify(state().stats.snapshot())

    @app.get("/_sandbox/faults")
    def faults_get() -> Any:
        return jsonify(state().faults.describe())

    @app.post("/_sandbox/faults")
    def faults_set() -> Any:
        try:
            state().faults.configure(request.get_json(force=True, silent=False))
        except FaultSpecError as exc:
            return jsonify({"error": str(exc)}), 400
        return jsonify(state().faults.describe())

    @app.delete("/_sandbox/faults")
    def faults_clear() -> Any:
        state().faults.clear()
        return jsonify(state().faults.describe())
