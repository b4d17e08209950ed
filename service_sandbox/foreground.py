"""Serve the emulator in the foreground until interrupted (``wikibot sandbox`` calls this)."""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Callable

from service_sandbox.app import DEFAULT_SCOPED_TOKEN, DEFAULT_TOKEN, DEFAULT_USER, create_sandbox_app
from service_sandbox.datacenter import DC_PAT
from service_sandbox.profiles import DEFAULT_PROFILE, profile_named
from service_sandbox.server import SandboxServer
from service_sandbox.store import SandboxStore


class SandboxStartError(Exception):
    """The sandbox could not start (a taken port, an unusable database); the message is one line."""


def run_sandbox(*, host: str, port: int, db: str | None, user: str | None, token: str | None,
                examples: bool, echo: Callable[[str], None], profile: str = DEFAULT_PROFILE,
                v1_content_routes: bool = False) -> None:
    """Start the sandbox and block; a taken port, unusable database or unknown profile is a one-line error."""
    user, token = user or DEFAULT_USER, token or DEFAULT_TOKEN
    try:
        profile_named(profile)
    except ValueError as exc:
        raise SandboxStartError(f"--profile: {exc}") from None
    try:
        store = SandboxStore(db or ":memory:")
    except (sqlite3.Error, ValueError) as exc:  # an unusable file or directory; ValueError: a NUL in the path
        raise SandboxStartError(f"--db {db}: cannot open the sandbox database: {exc}") from None
    app = create_sandbox_app(store, user=user, token=token, examples=examples, profile=profile,
                             v1_content_routes=v1_content_routes)
    try:
        server = SandboxServer(app, host=host, port=port, quiet=False)
    except OSError as exc:
        raise SandboxStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if not _is_loopback(host):
        echo(f"warning: the sandbox is listening on {host}, not loopback; it is a test tool with a shared token")
    echo(f"wikibot sandbox on {server.url} (profile {profile})")
    if profile_named(profile).datacenter:
        echo(f"  Confluence DC:   {server.url}/confluence/rest/api (browse: {server.url}/confluence/)")
        echo(f"  Jira DC:         {server.url}/jira/rest/api/2, search {server.url}/jira/rest/api/2/search")
        echo(f"  credentials:     personal access token {token} or {DC_PAT} (Authorization: Bearer), "
             f"or basic: a username (ana, bob, ...) / {token}")
    else:
        echo(f"  Confluence REST: {server.url}/wiki/api/v2, CQL {server.url}/wiki/rest/api/search   "
             f"(browse: {server.url}/wiki/)")
        echo(f"  Jira REST:       {server.url}/rest/api/2, search {server.url}/rest/api/3/search/jql")
        cloud_id = store.cloud_id()
        echo(f"  gateway:         {server.url}/ex/confluence/{cloud_id}/wiki, {server.url}/ex/jira/{cloud_id}")
        echo(f"  credentials:     {user} / {token} (site URL), {user} / {DEFAULT_SCOPED_TOKEN} (gateway)")
    echo(f"  state:           {db or 'in memory (use --db FILE to keep it)'}")
    echo("Press Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        echo("stopped")
    finally:
        store.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
