"""Serve a sandbox app over real HTTP: in a background thread (tests, embedded) or in the foreground."""

from __future__ import annotations

import logging
import socket
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


class SandboxServer:
    """A threaded HTTP server for a sandbox app on a loopback port (0 picks a free one)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> None:
        self.app = app
        if quiet:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        _check_bindable(host, port)
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        """Base URL of the server (Jira's base; Confluence Cloud lives under ``url + '/wiki'``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> SandboxServer:
        # A short poll interval makes stop() quick, which matters for a per-test server.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _check_bindable(host: str, port: int) -> None:
    """Raise OSError if ``host:port`` is taken: werkzeug would print and ``sys.exit`` instead."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
