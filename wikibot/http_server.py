"""The production HTTP server: waitress, with limits chosen so slow clients cannot take it down.

waitress buffers each request before a worker thread sees it, so a slow client never holds a
thread, but it does hold a connection. Its defaults (100 connections, closed only after 120 s of
*silence*) let about a hundred clients that trickle one header byte every few seconds fill every
slot, and ``/healthz`` then times out for everyone. So:

- ``server.connection_limit`` is set deliberately (default 500) and the event loop uses
  ``poll`` rather than ``select``, which cannot watch more than 1024 sockets;
- ``server.channel_timeout`` closes an idle connection (no request in progress) sooner;
- ``server.header_timeout`` / ``server.request_timeout`` bound how long a client may take to
  send a request's headers / the whole request once it starts, however steadily it trickles —
  which waitress alone cannot do.

This protects the service, not the network: production should still sit behind a reverse proxy
that buffers requests (README, Deployment).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

from wikibot.config_sections import ServerConfig

# PEP 3333: (environ, start_response) -> body chunks (typeshed's _typeshed.wsgi exists only for checkers)
WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class GuardedChannel(HTTPChannel):
    """An HTTP connection that remembers when the request it is receiving began."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A new connection starts its first request's clock at once: silence counts too.
        self.request_began: float | None = time.monotonic()
        self.headers_done = False
        super().__init__(*args, **kwargs)

    def received(self, data: bytes) -> bool:
        if data and self.request is None and self.request_began is None:
            self.request_began, self.headers_done = time.monotonic(), False
        result = super().received(data)
        if self.request is None:  # every request in the data is complete: idle until the next
            self.request_began = None
        elif self.request.headers_finished:
            self.headers_done = True
        return result

    def overdue(self, now: float, header_timeout: float, request_timeout: float) -> bool:
        if self.request_began is None or self.requests:
            return False  # idle (channel_timeout's business) or being answered
        elapsed = now - self.request_began
        return elapsed > request_timeout or (not self.headers_done and elapsed > header_timeout)


class GuardedServer(TcpWSGIServer):
    """waitress's TCP server, closing connections whose request arrives too slowly."""

    channel_class = GuardedChannel

    def __init__(self, app: WSGIApplication, *, header_timeout: float, request_timeout: float, **options: Any) -> None:
        self.header_timeout = header_timeout
        self.request_timeout = request_timeout
        super().__init__(app, **options)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        clock = time.monotonic()
        for channel in list(self.active_channels.values()):
            if isinstance(channel, GuardedChannel) and channel.overdue(clock, self.header_timeout,
                                                                        self.request_timeout):
                channel.will_close = True


def create_server(app: WSGIApplication, server: ServerConfig, *, host: str, port: int, threads: int) -> GuardedServer:
    """The waitress server for ``app`` with ``server.*``'s limits (raises ``OSError`` if it cannot listen)."""
    try:
        return GuardedServer(
            app, header_timeout=server.header_timeout, request_timeout=server.request_timeout,
            host=host, port=port, threads=threads, ident="wikibot",
            connection_limit=server.connection_limit, channel_timeout=server.channel_timeout,
            cleanup_interval=1,  # how often the timeouts above are enforced
            asyncore_use_poll=True,
        )
    except ValueError as exc:  # waitress's word for a host that does not resolve
        raise OSError(f"no such address: {host} (server.host, or --host)") from exc
