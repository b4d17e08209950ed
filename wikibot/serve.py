"""``wikibot serve``: the web app under a production WSGI server (waitress).

With no real Confluence configured it first starts the embedded sandbox (with example pages) in
the same process and points itself at it, so ``wikibot serve`` on a fresh machine shows the
whole product.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import requests
import waitress

from wikibot.config import Config
from wikibot.errors import InputError
from wikibot.services import Services
from wikibot.web import create_app

log = logging.getLogger(__name__)


def sandbox_running(url: str) -> bool:
    try:
        return requests.get(url + "/_sandbox/stats", timeout=2).ok
    except requests.RequestException:
        return False


def start_embedded_sandbox(config: Config, echo: Callable[[str], None]):
    """Start the sandbox in a thread unless one already answers at ``sandbox.host:port``."""
    from wikibot.sandbox import SandboxServer, SandboxStore, create_sandbox_app

    if sandbox_running(config.sandbox_url):
        echo(f"using the sandbox already running at {config.sandbox_url}")
        return None
    store = SandboxStore(config.sandbox.db or ":memory:")
    app = create_sandbox_app(store, examples=config.sandbox.examples)
    try:
        server = SandboxServer(app, host=config.sandbox.host, port=config.sandbox.port).start()
    except OSError as exc:
        raise InputError(f"cannot start the sandbox on {config.sandbox.host}:{config.sandbox.port}: "
                         f"{exc.strerror or exc} (sandbox.port)") from None
    return server


def serve(config: Config, *, host: str, port: int, echo: Callable[[str], None], threads: int = 8) -> None:
    sandbox = start_embedded_sandbox(config, echo) if config.uses_sandbox else None
    services = Services(config)
    try:
        app = create_app(config, services)
        try:
            server = waitress.create_server(app, host=host, port=port, threads=threads, ident="wikibot")
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        base = config.server.public_url or f"http://{host}:{server.effective_port}"
        echo(f"wikibot serving on {base}")
        echo(f"  new post-mortem form: {base}/postmortems/new")
        echo(f"  webhook:              POST {base}/hooks/postmortem")
        if config.uses_sandbox:
            echo(f"  sandbox wiki:         {config.sandbox_url}/wiki/  (embedded; no real Confluence configured)")
        if not config.webhook.secret:
            echo("  note: webhook.secret is not set, so webhooks are refused (the form works)")
        echo("Press Ctrl-C to stop.")
        try:
            server.run()
        except KeyboardInterrupt:
            echo("stopping")
        finally:
            server.close()
    finally:
        services.close()
        if sandbox is not None:
            sandbox.stop()
