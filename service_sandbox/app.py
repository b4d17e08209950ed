"""The sandbox's Flask application: one server for both emulated products.

Cross-cutting behaviour lives here — authentication, request statistics, fault injection and
product-shaped error bodies — so the product modules (``confluence.py``, ``jira.py``) only
translate REST calls into store operations.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response as WerkzeugResponse

from service_sandbox import confluence, confluence_attachments, confluence_v2, datacenter, gone, index_lag, jira, slack
from service_sandbox.error_bodies import product_error, product_for
from service_sandbox.example_issues import seed_example_issues
from service_sandbox.faults import Faults, FaultSpecError, Journal, Stats
from service_sandbox.gateway import GATEWAY_KEY, Gateway
from service_sandbox.profiles import DEFAULT_PROFILE, Profile, profile_named
from service_sandbox.store import SandboxStore

DEFAULT_USER = "wikibot@example.com"
DEFAULT_TOKEN = "sandbox-token"
# A scoped API token works only through the gateway (api.atlassian.com/ex/{product}/{cloudId}); the
# classic token only on the site URL. Sources: Atlassian's "Manage API tokens for your Atlassian
# account" (support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/),
# atlassian-python-api #1546, kovetskiy/mark #917 (the gateway's 401 body and X-Failure-Category).
DEFAULT_SCOPED_TOKEN = "sandbox-scoped-token"
GATEWAY_UNAUTHORIZED = {"code": 401, "message": "Unauthorized; scope does not match"}
# Confluence Data Center's default request limit; Cloud's is of the same order.
MAX_REQUEST_BYTES = 5 * 1024 * 1024
UNAUTHORIZED_TEXT = "Client must be authenticated to access this resource."

_RULE_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class _InsertionOrderJSON(DefaultJSONProvider):
    """Keys in the order the handler built them, as Confluence and Jira send them (Flask sorts by default)."""

    sort_keys = False


@dataclass
class SandboxState:
    """Everything a request handler needs, reachable as ``current_app.extensions['sandbox']``."""

    store: SandboxStore
    token: str
    user: str
    profile: Profile
    scoped_token: str = DEFAULT_SCOPED_TOKEN
    v1_content_routes: bool = False
    basic_auth: bool = True  # Data Center admins can switch Basic off (PATs only)
    anonymous_access: bool = False  # Data Center: bad credentials are answered as the anonymous user
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)
    journal: Journal = field(default_factory=Journal)


def state() -> SandboxState:
    return current_app.extensions["sandbox"]


def search_cutoff() -> str | None:
    """Writes after this stamp are not yet visible to CQL/JQL (None: no index lag armed)."""
    return index_lag.cutoff(state().faults.index_lag_ms)


def current_account_id() -> str:
    """The account id of the authenticated caller (set by the auth check)."""
    return g.account_id


def create_sandbox_app(
    store: SandboxStore | None = None,
    *,
    user: str = DEFAULT_USER,
    token: str = DEFAULT_TOKEN,
    scoped_token: str = DEFAULT_SCOPED_TOKEN,
    examples: bool = False,
    profile: str = DEFAULT_PROFILE,
    v1_content_routes: bool = False,
    index_lag_ms: int = 0,
    basic_auth: bool = True,
    anonymous_access: bool = False,
) -> Flask:
    """Build the sandbox app over ``store`` (in memory by default), seeding it on first use.

    Any seeded account's email works with ``token`` (so tests can edit pages as different
    people) on the site URL, and with ``scoped_token`` through the gateway; ``user`` is the account
    wikibot itself uses and is created when unknown.

    ``profile`` picks the deployment played (``service_sandbox.profiles``; only "cloud" today).
    ``v1_content_routes=True`` keeps serving, on the site URL, the Confluence v1 content routes
    Cloud has removed (and the Data Center-style root ``/rest/api``): a transition switch for
    clients not yet on v2. The default, False, is Cloud as it is: those routes answer 410.
    Through the gateway (``/ex/confluence/{cloudId}``) they are gone either way, as on Cloud.

    With ``profile="datacenter"`` Confluence is under ``/confluence`` and Jira under ``/jira``
    (``service_sandbox.datacenter``); ``token`` then also works as a personal access token
    (``Authorization: Bearer``), as does ``datacenter.DC_PAT`` (bearer only), and ``basic_auth=False``
    switches Basic off as a Data Center admin can; ``anonymous_access=True`` answers an invalid token
    as the anonymous user (Confluence's ``/rest/api/user/current`` says ``"type": "anonymous"``; the
    space is not open to anonymous users, so everything else is 401).

    ``index_lag_ms`` starts the sandbox with a search lag that clearing the faults keeps (a whole
    test run against an eventually consistent search); ``/_sandbox/faults`` can change it.
    """
    chosen = profile_named(profile)
    store = store or SandboxStore()
    _seed(store, user, examples, chosen)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json = _InsertionOrderJSON(app)
    app.extensions["sandbox"] = SandboxState(store=store, token=token, user=user, profile=chosen,
                                             scoped_token=scoped_token,
                                             v1_content_routes=v1_content_routes, basic_auth=basic_auth,
                                             anonymous_access=anonymous_access,
                                             faults=Faults(index_lag_ms=index_lag_ms, base_index_lag_ms=index_lag_ms))

    app.before_request(_before_product_request)
    app.before_request(_retired_route)
    app.after_request(_after_product_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)

    confluence.register(app, dc_root=v1_content_routes or chosen.datacenter, experimental=chosen.datacenter)
    if chosen.confluence_v2:
        confluence_v2.register(app)
    jira.register(app)
    confluence_attachments.register(app, dc_root=v1_content_routes or chosen.datacenter)
    slack.register(app, examples=examples)
    _register_control_routes(app)
    if chosen.gateway:
        app.wsgi_app = Gateway(app.wsgi_app, store)  # type: ignore[method-assign]
    if chosen.datacenter:
        app.wsgi_app = datacenter.ContextPaths(app.wsgi_app, app)  # type: ignore[method-assign]
    return app


def _seed(store: SandboxStore, user: str, examples: bool, profile: Profile) -> None:
    store.seed_users()
    if store.user_by_email(user) is None:
        with store.tx() as conn:
            account_id = f"557058:{store.next_id(conn, 'account', 1000)}"
            conn.execute("INSERT INTO users(account_id, display_name, email) VALUES(?, ?, ?)",
                         (account_id, user.split("@")[0], user))
    store.ensure_schema(confluence.SCHEMA)
    store.ensure_schema(jira.SCHEMA)
    mentions = (lambda body: datacenter.to_userkey_mentions(body, store)) if profile.datacenter else None
    confluence.seed(store, examples=examples, mentions=mentions)
    jira.seed(store)
    if examples:
        seed_example_issues(store)
    store.ensure_schema(index_lag.SCHEMA)  # after seeding: what a sandbox starts with is indexed


def route_template() -> str:
    """``METHOD /path/{param}`` for the matched rule, so stats group by route, not raw path.

    A request through the gateway is counted as ``/ex/confluence/{cloudId}/wiki/...``.
    """
    rule = _RULE_PARAM.sub(r"{\1}", request.url_rule.rule) if request.url_rule else "<unmatched>"
    via = request.environ.get(GATEWAY_KEY)
    return f"{request.method} {'/ex/' + via + '/{cloudId}' if via else datacenter.context_root()}{rule}"


def _retired_route() -> Response | None:
    """410 for what the profile's real service has switched off (see ``gone``)."""
    st = state()
    if product_for(request.path) is None:
        return None
    if st.profile.jira_legacy_search_removed and gone.is_jira_legacy_search():
        st.stats.record_gone(route_template())
        return gone.jira_search_gone()
    via_gateway = request.environ.get(GATEWAY_KEY) is not None
    if st.profile.v1_content_removed and (via_gateway or not st.v1_content_routes) and gone.removed_v1_route():
        st.stats.record_gone(route_template())
        return gone.confluence_gone()
    return None


def _before_product_request() -> Response | None:
    if product_for(request.path) is None:
        return None
    st = state()
    st.stats.record(route_template())
    st.journal.record(_journal_entry())
    if st.faults.latency_ms:
        time.sleep(st.faults.latency_ms / 1000)
    fault = st.faults.take(request.method, datacenter.context_root() + request.path)
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


JOURNAL_BODY_BYTES = 256 * 1024


def _journal_entry() -> dict[str, Any]:
    body = None
    if request.is_json and (request.content_length or 0) <= JOURNAL_BODY_BYTES:
        body = request.get_json(silent=True)
    return {"route": route_template(), "path": request.path,
            "query": {k: request.args.getlist(k) for k in request.args}, "body": body}


def _after_product_request(response: Response) -> Response:
    if g.get("drop_after"):
        return _drop_connection()
    return response


def _authenticate(st: SandboxState) -> Response | None:
    if st.profile.datacenter:
        return _authenticate_datacenter(st)
    via_gateway = request.environ.get(GATEWAY_KEY) is not None
    expected = st.scoped_token if via_gateway else st.token
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.password is not None \
            and hmac.compare_digest(auth.password.encode(), expected.encode()):
        account = st.store.user_by_email(auth.username or "")
        if account is not None and account["active"]:
            g.account_id = account["account_id"]
            return None
    if via_gateway:  # the gateway's own JSON, also for a classic token sent to it
        return Response(json.dumps(GATEWAY_UNAUTHORIZED), status=401, mimetype="application/json",
                        headers={"X-Failure-Category": "FAILURE_CLIENT_SCOPE_CHECK"})
    # Both Cloud products answer bad credentials on the site URL (a scoped token included) with a
    # plain-text body, which the client library reports as "Unauthorized (401)".
    return Response(UNAUTHORIZED_TEXT, status=401, mimetype="text/plain",
                    headers={"WWW-Authenticate": 'Basic realm="sandbox"'})


def _authenticate_datacenter(st: SandboxState) -> Response | None:
    """Data Center: a personal access token as ``Authorization: Bearer``, or Basic with a *username* and
    the sandbox token as the password. Basic on Data Center is "a username and password"
    (https://developer.atlassian.com/server/jira/platform/basic-authentication/); the email is Cloud's
    sign-in, so Basic with an email is refused here. A PAT is not a password: sent as Basic it is
    refused (notes §7). With Basic switched off every Basic request gets Data Center's message."""
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token is not None:
        if any(hmac.compare_digest(auth.token.encode(), pat.encode()) for pat in (st.token, datacenter.DC_PAT)):
            account = st.store.user_by_email(st.user)
            if account is not None and account["active"]:
                g.account_id = account["account_id"]
                return None
    elif auth is not None and auth.type == "basic":
        if not st.basic_auth:
            return product_error(request.path, 401, datacenter.BASIC_DISABLED)
        account = datacenter.account_by(st.store, name=auth.username or "")
        if account is not None and account["active"] and auth.password is not None \
                and hmac.compare_digest(auth.password.encode(), st.token.encode()):
            g.account_id = account["account_id"]
            return None
    if st.anonymous_access and request.method == "GET" and request.path == "/rest/api/user/current" \
            and request.environ.get(datacenter.CONTEXT_KEY) == "confluence":
        return jsonify(datacenter.ANONYMOUS_USER)
    return Response(UNAUTHORIZED_TEXT, status=401, mimetype="text/plain",
                    headers={"WWW-Authenticate": 'Basic realm="sandbox"'})


def _drop_connection() -> Response:
    """Shut the client's socket without answering, like a proxy that lost the upstream.

    The server's later attempt to write the (empty) response fails with a broken pipe, which
    werkzeug treats as a client that went away, so nothing is logged as an error.
    """
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=500)


def _http_error(exc: HTTPException) -> WerkzeugResponse:
    if request.path.startswith("/_sandbox") or product_for(request.path):
        message = exc.description or exc.name
        if exc.code == 413:  # Confluence's wording (notes §2); Cloud's limit is of the same order
            message = f"Request too large. Requests for this resource can be at most {MAX_REQUEST_BYTES} bytes"
        response = product_error(request.path, exc.code or 500, message)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
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
        state().journal.reset()
        return jsonify(state().stats.snapshot())

    @app.post("/_sandbox/users/<account_id>")
    def user_set(account_id: str) -> Any:
        """``{"active": false}`` deactivates an account (it can no longer sign in or be assigned)."""
        data = request.get_json(force=True, silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("active"), bool):
            return jsonify({"error": 'send {"active": true|false}'}), 400
        with state().store.tx() as conn:
            changed = conn.execute("UPDATE users SET active = ? WHERE account_id = ?",
                                   (int(data["active"]), account_id)).rowcount
        if not changed:
            return jsonify({"error": f"no account {account_id}"}), 404
        return jsonify({"accountId": account_id, "active": data["active"]})

    @app.post("/_sandbox/jira/projects/<key>/screen")
    def jira_screen(key: str) -> Any:
        """``{"hide": ["priority"]}``: the project's screen leaves those fields out, as a Jira admin's
        screen scheme can: createmeta omits them, and a create or an edit that sets one fails."""
        data = request.get_json(force=True, silent=True)
        hide = data.get("hide") if isinstance(data, dict) else None
        if not isinstance(hide, list) or not all(isinstance(f, str) for f in hide):
            return jsonify({"error": 'send {"hide": ["field", ...]}'}), 400
        with state().store.tx() as conn:
            project = conn.execute("SELECT id FROM jira_projects WHERE key = ?", (key,)).fetchone()
            if project is None:
                return jsonify({"error": f"no project {key}"}), 404
            conn.execute("DELETE FROM jira_hidden_fields WHERE project_id = ?", (project[0],))
            conn.executemany("INSERT INTO jira_hidden_fields(project_id, field) VALUES (?, ?)",
                             [(project[0], field) for field in hide])
        return jsonify({"project": key, "hidden": hide})

    @app.get("/_sandbox/requests")
    def requests_get() -> Any:
        return jsonify(state().journal.snapshot())

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

    @app.post("/_sandbox/index/catch-up")
    def index_catch_up() -> Any:
        """The search index catches up with every write so far (time passes, as between two runs of a
        job); later writes lag again. Tests with a long ``index_lag_ms`` say with this where a real
        index would have caught up, instead of sleeping through the lag."""
        with state().store.tx() as conn:
            caught_up = index_lag.catch_up(conn)
        return jsonify({"caught_up": caught_up})
