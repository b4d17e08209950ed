"""``wikibot serve`` and ``wikibot scheduler``: the long-running processes.

``serve`` runs the web app under waitress (a production WSGI server, threads, pure Python) and,
unless told not to, the scheduler. With no real Confluence configured it first starts the
embedded sandbox (with example pages) in the same process and points itself at it, so
``wikibot serve`` on a fresh machine shows the whole product. SIGTERM (or Ctrl-C) stops taking
new work, lets in-flight requests and jobs finish, then exits; a job cut short anyway is safe to
resume, because every write it makes is idempotent and its lease expires.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from wikibot.config import Config
from wikibot.errors import InputError
from wikibot.http_server import create_server
from wikibot.logs import configure_logging
from wikibot.scheduler import Scheduler, describe_schedule
from wikibot.services import Services
from wikibot.web import create_app
from wikibot.web.confluence_hook import EXTENSION as HOOK_SYNCS

if TYPE_CHECKING:
    from service_sandbox import SandboxServer, SandboxStore

log = logging.getLogger(__name__)


def sandbox_running(url: str) -> bool:
    try:
        return requests.get(url + "/_sandbox/stats", timeout=2).ok
    except requests.RequestException:
        return False


@dataclass
class EmbeddedSandbox:
    """The sandbox ``serve`` started in its own process; ``is_new``: its data was created just now."""

    server: SandboxServer
    store: SandboxStore
    is_new: bool

    def stop(self) -> None:
        self.server.stop()
        self.store.close()


def start_embedded_sandbox(config: Config, echo: Callable[[str], None]) -> EmbeddedSandbox | None:
    """Start the sandbox in a thread unless one already answers at ``sandbox.host:port``.

    Its pages and issues live in ``config.sandbox_db()`` (a file beside wikibot's database by
    default), so a restart finds the pages that wikibot's database remembers.
    """
    from service_sandbox import SandboxServer, SandboxStore, create_sandbox_app

    if sandbox_running(config.sandbox_url):
        echo(f"using the sandbox already running at {config.sandbox_url}")
        return None
    path = config.sandbox_db()
    is_new = path == ":memory:" or not Path(path).exists()
    try:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        store = SandboxStore(path)
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"sandbox.db: cannot open the sandbox's database {path}: {exc}") from None
    app = create_sandbox_app(store, examples=config.sandbox.examples, profile=config.sandbox.profile)
    try:
        server = SandboxServer(app, host=config.sandbox.host, port=config.sandbox.port).start()
    except OSError as exc:
        store.close()
        raise InputError(f"cannot start the sandbox on {config.sandbox.host}:{config.sandbox.port}: "
                         f"{exc.strerror or exc} (sandbox.port, or --sandbox-port)") from None
    return EmbeddedSandbox(server=server, store=store, is_new=is_new)


def check_site(config: Config, services: Services, sandbox: EmbeddedSandbox | None) -> None:
    """Refuse to run wikibot's database against a site (or sandbox) other than its own."""
    from wikibot.site import check_configured_site

    check_configured_site(config, services, sandbox_is_new=sandbox is not None and sandbox.is_new)


class _Stop(SystemExit):
    """Raised in the main thread by SIGTERM, like KeyboardInterrupt by Ctrl-C.

    A SystemExit, because waitress's event loop swallows every other exception raised while it
    dispatches a socket event (and a signal may land exactly there); it re-raises only
    KeyboardInterrupt and SystemExit.
    """


def _raise_stop(*_: object) -> None:
    raise _Stop


def _stop_on_sigterm() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_stop)


def serve(config: Config, *, host: str, port: int, echo: Callable[[str], None], threads: int = 8,
          scheduler: bool = True, verbose: bool = False, notes: Sequence[str] = ()) -> None:
    """Serve until SIGTERM or Ctrl-C; ``notes`` are shown in the start banner (what the caller noticed)."""
    configure_logging(config.logging.level, config.logging.format, config.secrets(), verbose=verbose)
    sandbox = start_embedded_sandbox(config, echo) if config.uses_sandbox else None
    services = Services(config)
    jobs: Scheduler | None = None
    try:
        check_site(config, services, sandbox)
        app = create_app(config, services)
        try:
            server = create_server(app, config.server, host=host, port=port, threads=threads)
        except OSError as exc:
            raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        base = config.server.public_url or f"http://{host}:{server.effective_port}"
        echo(f"wikibot serving on {base}")
        echo(f"  dashboard:            {base}/")
        echo(f"  new post-mortem form: {base}/postmortems/new")
        echo(f"  webhook:              POST {base}/hooks/postmortem")
        if config.uses_sandbox:
            echo(f"  sandbox wiki:         {config.sandbox_url}/wiki/  (embedded; no real Confluence configured)")
            from wikibot.slack.wiring import connect_sandbox_slack

            if connect_sandbox_slack(config, base):
                echo(f"  sandbox Slack:        {config.sandbox_url}/slack/"
                     "  (try /postmortem in #inc-140-checkout-latency)")
        for note in notes:
            echo(f"  note: {note}")
        if not config.webhook.secret:
            echo("  note: webhook.secret is not set, so webhooks are refused (the form works)")
        if scheduler:
            jobs = Scheduler(services)
            jobs.start()
            echo(f"  scheduled: {describe_schedule(config)}")
        echo("Press Ctrl-C to stop.")
        _stop_on_sigterm()
        try:
            server.run()
        except (KeyboardInterrupt, _Stop):
            pass
        finally:
            echo("stopping: finishing in-flight work")
            server.close()
            hook_syncs = app.extensions.get(HOOK_SYNCS)
            if hook_syncs is not None and not hook_syncs.join(timeout=60):
                log.warning("page syncs requested by webhooks were still running at shutdown; "
                            "the next sync resumes them")
    finally:
        if jobs is not None:
            jobs.shutdown(wait=True)
        services.close()
        if sandbox is not None:
            sandbox.stop()
        echo("stopped")


def run_scheduler(config: Config, *, echo: Callable[[str], None], verbose: bool = False) -> None:
    """The scheduler alone, for deployments that run it as its own process."""
    configure_logging(config.logging.level, config.logging.format, config.secrets(), verbose=verbose)
    from wikibot.site import site_services

    services = site_services(config)
    jobs = Scheduler(services)
    _stop_on_sigterm()
    jobs.start()
    echo(f"wikibot scheduler: {describe_schedule(config)}")
    try:
        threading.Event().wait()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        echo("stopping: finishing running jobs")
        jobs.shutdown(wait=True)
        services.close()
