"""Shared fixtures: a real sandbox HTTP server on a free loopback port, and real clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from wikibot.clients import build_confluence, build_jira
from wikibot.sandbox import SandboxServer, SandboxStore, create_sandbox_app
from wikibot.sandbox.app import DEFAULT_TOKEN, DEFAULT_USER


class RunningSandbox:
    """A started sandbox plus helpers tests use to steer and measure it."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.url = server.url
        self.wiki_url = server.url + "/wiki"
        self.user = DEFAULT_USER
        self.token = DEFAULT_TOKEN

    @property
    def store(self) -> SandboxStore:
        return self.server.app.extensions["sandbox"].store

    def fault(self, **spec: object) -> None:
        requests.post(self.url + "/_sandbox/faults", json=spec, timeout=5).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(self.url + "/_sandbox/faults", timeout=5).raise_for_status()

    def stats(self) -> dict:
        return requests.get(self.url + "/_sandbox/stats", timeout=5).json()

    def reset_stats(self) -> None:
        requests.post(self.url + "/_sandbox/stats/reset", timeout=5).raise_for_status()

    def confluence(self, user: str | None = None, token: str | None = None):
        return build_confluence(self.wiki_url, user or self.user, token or self.token, timeout=10)

    def jira(self, user: str | None = None, token: str | None = None):
        return build_jira(self.url, user or self.user, token or self.token, timeout=10)


def _start(examples: bool = False) -> SandboxServer:
    return SandboxServer(create_sandbox_app(SandboxStore(), examples=examples)).start()


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    """A fresh, seeded sandbox (space INC with 'Post-mortems', Jira project OPS) per test."""
    server = _start()
    try:
        yield RunningSandbox(server)
    finally:
        server.stop()


@pytest.fixture
def sandbox_with_examples() -> Iterator[RunningSandbox]:
    """A fresh sandbox seeded with the example post-mortem pages."""
    server = _start(examples=True)
    try:
        yield RunningSandbox(server)
    finally:
        server.stop()


@pytest.fixture
def confluence(sandbox: RunningSandbox):
    """The real atlassian-python-api Confluence client, built as production builds it."""
    return sandbox.confluence()


@pytest.fixture
def jira(sandbox: RunningSandbox):
    """The real atlassian-python-api Jira client (cloud mode), built as production builds it."""
    return sandbox.jira()
