"""Shared fixtures: a real sandbox HTTP server on a free loopback port, and real clients for it."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests
from atlassian import ConfluenceServer

from service_sandbox import SandboxServer, SandboxStore, create_sandbox_app
from service_sandbox.app import DEFAULT_SCOPED_TOKEN, DEFAULT_TOKEN, DEFAULT_USER
from tests.profiles import CURRENT_PROFILE, PROFILES
from tests.search_index import started
from wikibot.atlassian.clients import build_confluence, build_confluence_dc, build_jira

# Search is eventually consistent on Cloud and Data Center (service_sandbox/index_lag.py): by default every
# test runs against an index that never catches up by itself (ten minutes behind), so nothing wikibot writes
# is searchable within the same run; a test says where time passes with ``sandbox.catch_up()``.
# SANDBOX_INDEX_LAG_MS=0 runs the suite against an instantly consistent search (to tell a test's
# missing catch-up from a bug), SANDBOX_INDEX_LAG_MS=3000 against one that trails writes by 3 s.
INDEX_LAG_MS = int(os.environ.get("SANDBOX_INDEX_LAG_MS") or 600_000)


class RunningSandbox:
    """A started sandbox plus helpers tests use to steer and measure it."""

    def __init__(self, server: SandboxServer, profile: str = "cloud") -> None:
        self.server = server
        self.url = server.url
        self.profile = profile
        self.wiki_url = server.url + "/wiki"
        self.confluence_url = server.url + ("/confluence" if profile == "datacenter" else "/wiki")
        self.jira_url = server.url + ("/jira" if profile == "datacenter" else "")
        dc = profile == "datacenter"
        # What tests aim faults at and count in stats, per deployment.
        self.content_path = "/confluence/rest/api/content" if dc else "/wiki/api/v2/pages"
        self.create_path = "/confluence/rest/api/content" if dc else "/wiki/api/v2/pages"
        self.label_write_prefix = ("/confluence" if dc else "/wiki") + "/rest/api/content/"
        self.bulk_path = self.jira_url.removeprefix(server.url) + "/rest/api/2/issue/bulk"
        self.search_route = "GET /jira/rest/api/2/search" if dc else "GET /rest/api/3/search/jql"
        self.search_path = "/jira/rest/api/2/search" if dc else "/rest/api/3/search"
        self.cql_route = "GET /confluence/rest/api/search" if dc else "GET /wiki/rest/api/search"
        self.user = DEFAULT_USER
        self.token = DEFAULT_TOKEN
        self.scoped_token = DEFAULT_SCOPED_TOKEN  # through the gateway /ex/{product}/{cloudId} only

    @property
    def store(self) -> SandboxStore:
        return self.server.app.extensions["sandbox"].store

    def fault(self, **spec: object) -> None:
        requests.post(self.url + "/_sandbox/faults", json=spec, timeout=5).raise_for_status()

    def catch_up(self) -> None:
        """Time passes: the search index catches up with every write so far (later writes lag again)."""
        requests.post(self.url + "/_sandbox/index/catch-up", timeout=5).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(self.url + "/_sandbox/faults", timeout=5).raise_for_status()

    def stats(self) -> dict:
        return requests.get(self.url + "/_sandbox/stats", timeout=5).json()

    def reset_stats(self) -> None:
        requests.post(self.url + "/_sandbox/stats/reset", timeout=5).raise_for_status()

    def confluence(self, user: str | None = None, token: str | None = None):
        """A Confluence Cloud client (``ConfluenceV2``) for the account, built as production builds it;
        on the Data Center profile the v1 client with the token as a PAT (or basic with ``user``)."""
        if self.profile == "datacenter":
            return build_confluence_dc(self.confluence_url, dc_username(user), token or self.token,
                                       auth="basic" if user else "bearer", timeout=10)
        return build_confluence(self.wiki_url, user or self.user, token or self.token, timeout=10)

    def confluence_v1(self, user: str | None = None, token: str | None = None) -> ConfluenceServer:
        """The v1 client, for the sandbox's own tests of the v1 routes (``v1_sandbox``)."""
        return ConfluenceServer(url=self.wiki_url, username=user or self.user, password=token or self.token,
                                cloud=True, timeout=10)

    def cql(self, query: str, limit: int = 50) -> list[dict]:
        """The content objects ``query`` finds (v1 CQL search, which Cloud keeps; eventually consistent
        when the sandbox lags its index)."""
        found = self.confluence().get("rest/api/search", params={"cql": query, "limit": limit})
        return [result["content"] for result in found["results"]]

    def cql_settled(self, query: str) -> list[dict]:
        """What ``query`` finds once the search has caught up with the writes made so far."""
        self.catch_up()
        return self.cql(query)

    def page(self, page_id: str) -> dict:
        """A page as v2 gives it: ``title``, ``version.number``, ``body.storage.value``, labels (consistent);
        on Data Center read through v1, which has the same keys but for the labels."""
        if self.profile == "datacenter":
            page = self.confluence().get(f"rest/api/content/{page_id}",
                                         params={"expand": "body.storage,version,metadata.labels"})
            page["labels"] = page.get("metadata", {}).get("labels", {"results": []})
            return page
        return self.confluence().get(f"api/v2/pages/{page_id}", params={"body-format": "storage",
                                                                        "include-labels": "true"})

    def jira(self, user: str | None = None, token: str | None = None):
        if self.profile == "datacenter":
            return build_jira(self.jira_url, dc_username(user), token or self.token, timeout=10, cloud=False,
                              auth="basic" if user else "bearer")
        return build_jira(self.url, user or self.user, token or self.token, timeout=10)


def dc_username(user: str | None) -> str:
    """How a person signs in to Data Center with Basic: the username (the email's local part in the
    sandbox, ``ana``), not the email Cloud signs in with; tests name people by email on both."""
    return (user or "").split("@", 1)[0]


def _start(examples: bool = False, v1_content_routes: bool = False, profile: str = "cloud",
           request: pytest.FixtureRequest | None = None, index_lag_ms: int | None = None) -> SandboxServer:
    # Strict by default, as Confluence Cloud is today: removed v1 content routes answer 410.
    if index_lag_ms is None:
        instant = request is not None and request.node.get_closest_marker("instant_search") is not None
        index_lag_ms = 0 if instant else INDEX_LAG_MS
    app = create_sandbox_app(SandboxStore(), examples=examples, v1_content_routes=v1_content_routes,
                             index_lag_ms=index_lag_ms, profile=profile)
    server = SandboxServer(app).start()
    started(server)
    return server


def pytest_generate_tests(metafunc) -> None:
    """``pytestmark = pytest.mark.both_profiles``: each test of the module that uses the sandbox runs
    on Cloud and on Data Center (tests that need no sandbox run once)."""
    if metafunc.definition.get_closest_marker("both_profiles"):
        for name in ("sandbox", "sandbox_with_examples"):
            if name in metafunc.fixturenames:
                metafunc.parametrize(name, PROFILES, indirect=True)
                return


@pytest.fixture
def sandbox(request) -> Iterator[RunningSandbox]:
    """A fresh, seeded sandbox (space INC with 'Post-mortems', Jira project OPS) per test; Cloud
    unless the test is parametrised with ``PROFILES``."""
    with running_sandbox(getattr(request, "param", "cloud"), request=request) as sandbox:
        yield sandbox


@contextmanager
def running_sandbox(profile: str, *, examples: bool = False, request: pytest.FixtureRequest | None = None,
                    index_lag_ms: int | None = None) -> Iterator[RunningSandbox]:
    """A fresh, seeded sandbox of ``profile``, which the profile-aware helpers follow while it runs
    (``index_lag_ms``: its search lag, instead of the test run's)."""
    server = _start(examples=examples, profile=profile, request=request, index_lag_ms=index_lag_ms)
    CURRENT_PROFILE[0] = profile
    try:
        yield RunningSandbox(server, profile)
    finally:
        CURRENT_PROFILE[0] = "cloud"
        server.stop()


@pytest.fixture
def cloud_sandbox(request) -> Iterator[RunningSandbox]:
    """A sandbox as strict as Confluence Cloud today (as ``sandbox``): v1 content routes answer 410."""
    server = _start(request=request)
    try:
        yield RunningSandbox(server)
    finally:
        server.stop()


@pytest.fixture
def dc_sandbox(request) -> Iterator[RunningSandbox]:
    """A sandbox playing Confluence Data Center at /confluence and Jira Data Center at /jira."""
    server = _start(profile="datacenter", request=request)
    try:
        yield RunningSandbox(server, "datacenter")
    finally:
        server.stop()


@pytest.fixture
def v1_sandbox(request) -> Iterator[RunningSandbox]:
    """A sandbox that still serves the v1 content routes Cloud removed, for the sandbox's v1 tests."""
    server = _start(v1_content_routes=True, request=request)
    try:
        yield RunningSandbox(server)
    finally:
        server.stop()


@pytest.fixture
def sandbox_with_examples(request) -> Iterator[RunningSandbox]:
    """A fresh sandbox seeded with the example post-mortem pages (Cloud unless parametrised)."""
    with running_sandbox(getattr(request, "param", "cloud"), examples=True, request=request) as sandbox:
        yield sandbox


@pytest.fixture
def hide_from_jira_screen(sandbox: RunningSandbox) -> Callable[..., None]:
    """``hide("priority", ...)``: project OPS's screen leaves those fields out (createmeta omits them; a
    create or an edit that sets one is refused), as a Jira admin's screen scheme can."""
    def hide(*fields: str) -> None:
        requests.post(f"{sandbox.url}/_sandbox/jira/projects/OPS/screen", json={"hide": list(fields)},
                      timeout=5).raise_for_status()

    return hide


@pytest.fixture
def confluence(sandbox: RunningSandbox):
    """The real atlassian-python-api Confluence client, built as production builds it."""
    return sandbox.confluence()


@pytest.fixture
def jira(sandbox: RunningSandbox):
    """The real atlassian-python-api Jira client (cloud mode), built as production builds it."""
    return sandbox.jira()


# -- wikibot's own database: SQLite always, PostgreSQL when CI provides one -----------------------

POSTGRES_URL = os.environ.get("WIKIBOT_TEST_POSTGRES_URL")
# Parametrize a test with ``@pytest.mark.parametrize("database_url", DATABASES, indirect=True)`` to
# run it against both; without it, tests use a fresh SQLite file.
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not POSTGRES_URL, reason="set WIKIBOT_TEST_POSTGRES_URL (scripts/test.sh does) to test PostgreSQL"))]


def reset_postgres(url: str) -> None:
    """Give a test an empty database: drop everything wikibot (or a previous test) created."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def url_for(kind: str, tmp_path) -> str:
    """A fresh, empty database of ``kind`` ("sqlite" or "postgresql") for one test."""
    if kind == "postgresql":
        url = worker_postgres_url()
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path}/wikibot.db"


@functools.cache
def worker_postgres_url() -> str:
    """``WIKIBOT_TEST_POSTGRES_URL``, or under pytest-xdist a database of this worker's own beside it
    (``wikibot_test_gw1``, created once: the role may create databases, scripts/postgres.sh), so that
    two workers never drop each other's tables."""
    assert POSTGRES_URL is not None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return POSTGRES_URL
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def database_url(request, tmp_path) -> str:
    return url_for(getattr(request, "param", "sqlite"), tmp_path)


# -- wikibot on top of the sandbox ----------------------------------------------------------------

WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture
def make_config(sandbox: RunningSandbox, database_url: str):
    """Build a validated Config pointing at the running sandbox; keyword sections override."""
    from wikibot.config import parse_config

    # On Data Center: the context-path URLs, no username, the token as a personal access token.
    user = "" if sandbox.profile == "datacenter" else sandbox.user

    def make(**sections: dict):
        data: dict = {
            "confluence": {"url": sandbox.confluence_url, "username": user, "token": sandbox.token,
                           "space": "INC", "parent_page": "Post-mortems"},
            "jira": {"url": sandbox.jira_url, "username": user, "token": sandbox.token, "project": "OPS"},
            "webhook": {"secret": WEBHOOK_SECRET},
            "database": {"url": database_url},
            "http": {"timeout": 10},
        }
        for key, value in sections.items():
            data[key] = {**data.get(key, {}), **value}
        return parse_config(data, source="test-config", environ={})

    return make


@pytest.fixture
def make_dc_config(dc_sandbox: RunningSandbox, database_url: str):
    """A Config for the Data Center sandbox as the issue's "Done when" has it: the context-path URLs,
    no username, the token as a personal access token; keyword sections override."""
    from wikibot.config import parse_config

    def make(**sections: dict):
        data: dict = {
            "confluence": {"url": dc_sandbox.confluence_url, "token": dc_sandbox.token, "space": "INC",
                           "parent_page": "Post-mortems"},
            "jira": {"url": dc_sandbox.jira_url, "token": dc_sandbox.token, "project": "OPS"},
            "webhook": {"secret": WEBHOOK_SECRET}, "database": {"url": database_url}, "http": {"timeout": 10},
        }
        for key, value in sections.items():
            data[key] = {**data.get(key, {}), **value}
        return parse_config(data, source="test-config", environ={})

    return make


@pytest.fixture
def config(make_config):
    return make_config()


def write_config_file(config, tmp_path, name: str = "config.yaml") -> str:
    """Write ``config`` to a YAML file a CLI subprocess can read (secrets included), return its path."""
    import yaml

    path = tmp_path / name
    data = config.model_dump(mode="json", exclude={"source"})
    for section in ("confluence", "jira"):
        data[section]["token"] = config.confluence_endpoint()[2]
    data["webhook"]["secret"] = WEBHOOK_SECRET
    path.write_text(yaml.safe_dump(data))
    return str(path)


@pytest.fixture
def examples_config(sandbox_with_examples: RunningSandbox, database_url: str):
    """A validated Config pointing at a sandbox seeded with the example post-mortems."""
    from wikibot.config import parse_config

    sandbox = sandbox_with_examples
    user = "" if sandbox.profile == "datacenter" else sandbox.user  # Data Center: the token as a PAT
    return parse_config({
        "confluence": {"url": sandbox.confluence_url, "username": user, "token": sandbox.token,
                       "space": "INC", "parent_page": "Post-mortems"},
        "jira": {"url": sandbox.jira_url, "username": user, "token": sandbox.token, "project": "OPS"},
        "webhook": {"secret": WEBHOOK_SECRET}, "database": {"url": database_url},
    }, source="test-config", environ={})


@pytest.fixture
def services(config):
    from wikibot.services import Services

    built = Services(config)
    yield built
    built.close()


@pytest.fixture
def app(config, services):
    from wikibot.web import create_app

    return create_app(config, services)


@pytest.fixture
def client(app):
    return app.test_client()


class ChatReceiver:
    """A loopback HTTP endpoint standing in for a Slack incoming webhook."""

    def __init__(self, fail_first: int = 0) -> None:
        from flask import Flask, request

        self.messages: list[dict] = []
        self.fail_first = fail_first
        self.attempts = 0
        app = Flask("chat")

        @app.post("/hook")
        def hook():
            self.attempts += 1
            if self.attempts <= self.fail_first:
                return "unavailable", 503
            self.messages.append(request.get_json())
            return "ok"

        self.server = SandboxServer(app).start()
        self.url = self.server.url + "/hook"

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def chat() -> Iterator[ChatReceiver]:
    receiver = ChatReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def live_app(app) -> Iterator[str]:
    """The wikibot app served over real HTTP on a free loopback port; yields its base URL."""
    server = SandboxServer(app).start()  # a threaded WSGI server; nothing sandbox-specific
    try:
        yield server.url
    finally:
        server.stop()


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")


@pytest.fixture
def browser_page():
    """A headless Chromium page (Debian's Chromium, driven by Playwright); skipped without them."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (scripts/test.sh installs it as root)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        try:
            yield page
        finally:
            browser.close()


def screenshot(page, name: str) -> str:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


# -- no secret ever leaks -------------------------------------------------------------------------

# Every secret the suite configures. The sandbox's own token is sent by clients on purpose, so
# the check covers what *wikibot* emits: its log records and its HTTP responses.
KNOWN_SECRETS = (WEBHOOK_SECRET, "sandbox-token", "pw-123456", "new-secret-1", "old-secret-0")


@pytest.fixture(autouse=True)
def no_secrets_in_logs_or_responses(request):
    """Fail any test whose log records or wikibot responses contain a configured secret.

    Log records are checked before any redaction: secrets should not even reach the logger.
    A test that logs one on purpose (to prove the redactor) is marked ``secret_logged_on_purpose``.
    """
    on_purpose = request.node.get_closest_marker("secret_logged_on_purpose") is not None
    import logging

    from flask import request_finished

    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if not on_purpose:
                seen.append(self.format(record))

    def on_response(sender, response, **_extra) -> None:
        if sender.import_name.startswith("wikibot.web") and not response.direct_passthrough:
            seen.append(response.get_data(as_text=True))
            seen.append(str(response.headers))

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    request_finished.connect(on_response)
    try:
        yield
    finally:
        request_finished.disconnect(on_response)
        root.removeHandler(handler)
    leaked = [s for s in KNOWN_SECRETS for text in seen if s in text]
    assert not leaked, f"secrets leaked into logs or responses: {sorted(set(leaked))}"


# -- Slack (the sandbox's emulated workspace) -----------------------------------------------------

SLACK_BOT_TOKEN = "xoxb-sandbox-token"
SLACK_SIGNING_SECRET = "test-slack-signing-secret"
KNOWN_SECRETS += (SLACK_SIGNING_SECRET,)


class SandboxSlack:
    """Test controls of the sandbox's Slack (``/_sandbox/slack/*``)."""

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.url = sandbox.url
        self.api_url = sandbox.url + "/slack/api/"

    def client(self, token: str = SLACK_BOT_TOKEN):
        from slack_sdk import WebClient

        return WebClient(token=token, base_url=self.api_url, timeout=10)

    def channel(self, name: str, topic: str = "", **extra: object) -> str:
        response = requests.post(self.url + "/_sandbox/slack/channels", json={"name": name, "topic": topic, **extra},
                                 timeout=5)
        response.raise_for_status()
        return response.json()["id"]

    def post(self, channel: str, user: str, text: str, **extra: object) -> dict:
        response = requests.post(self.url + "/_sandbox/slack/messages",
                                 json={"channel": channel, "user": user, "text": text, **extra}, timeout=5)
        response.raise_for_status()
        return response.json()

    def messages(self, channel: str | None = None, user: str | None = None) -> list[dict]:
        params = {"user": user} if user else {"channel": channel}
        response = requests.get(self.url + "/_sandbox/slack/messages", params=params, timeout=5)
        response.raise_for_status()
        return response.json()["messages"]

    def users(self) -> dict[str, dict]:
        """The seeded people by email."""
        return {u["email"]: u for u in requests.get(self.url + "/_sandbox/slack/users", timeout=5).json()}


@pytest.fixture
def slack(sandbox: RunningSandbox) -> SandboxSlack:
    return SandboxSlack(sandbox)


def slack_signed(body: bytes | str, secret: str = SLACK_SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: ``v0=`` HMAC-SHA256 of ``v0:<timestamp>:<body>``."""
    import hashlib
    import hmac

    stamp = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def slack_config(make_config, sandbox: RunningSandbox):
    """A Config whose Slack app is the sandbox's workspace."""
    return make_config(slack={"bot_token": SLACK_BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET,
                              "api_url": sandbox.url + "/slack/api/"})


@pytest.fixture
def slack_services(slack_config):
    from wikibot.services import Services

    built = Services(slack_config)
    yield built
    built.close()


@pytest.fixture
def slack_client(slack_config, slack_services):
    """wikibot's web app (test client) with the Slack app on."""
    from wikibot.web import create_app

    return create_app(slack_config, slack_services).test_client()
