"""The production HTTP server's limits: slow clients cannot take /healthz down (issue #16, 4)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from wikibot.http_server import create_server


@pytest.fixture
def serving(make_config) -> Iterator:
    """Start the real app under the production server on a free port; yields a starter."""
    from wikibot.services import Services
    from wikibot.web import create_app

    started = []

    def start(**server: object) -> str:
        config = make_config(server=server)
        services = Services(config)
        httpd = create_server(create_app(config, services), config.server, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=httpd.run, daemon=True).start()
        started.append((httpd, services))
        return f"http://127.0.0.1:{httpd.effective_port}"

    yield start
    for httpd, services in started:
        httpd.close()
        httpd.task_dispatcher.shutdown(timeout=5)
        services.close()


def slow_clients(url: str, count: int) -> list[socket.socket]:
    """``count`` connections that send a request line and one header, then nothing more for now."""
    port = int(url.rsplit(":", 1)[1])
    clients = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        clients.append(conn)
    return clients


def trickle(clients: list[socket.socket], stop: threading.Event) -> None:
    """One more header byte on every connection every half second (they never finish)."""
    while not stop.wait(0.5):
        for conn in clients:
            with contextlib.suppress(OSError):
                conn.sendall(b"X")


def test_healthz_answers_within_two_seconds_while_150_slow_sockets_are_open(serving):
    url = serving(header_timeout=60, request_timeout=120)
    clients = slow_clients(url, 150)
    stop = threading.Event()
    threading.Thread(target=trickle, args=(clients, stop), daemon=True).start()
    try:
        time.sleep(1.5)  # they are all connected and trickling
        started = time.monotonic()
        response = requests.get(url + "/healthz", timeout=2)
        assert response.status_code == 200 and time.monotonic() - started < 2
    finally:
        stop.set()
        for conn in clients:
            conn.close()


def test_a_client_that_trickles_its_headers_is_cut_off_after_header_timeout(serving):
    url = serving(header_timeout=1, request_timeout=120)
    clients = slow_clients(url, 20)
    stop = threading.Event()
    threading.Thread(target=trickle, args=(clients, stop), daemon=True).start()
    try:
        deadline = time.monotonic() + 8
        for conn in clients:
            conn.settimeout(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ConnectionResetError):
                assert conn.recv(1024) == b""  # closed by the server, not answered
        assert requests.get(url + "/healthz", timeout=2).status_code == 200
    finally:
        stop.set()
        for conn in clients:
            conn.close()


def test_a_complete_request_on_a_kept_alive_connection_is_not_cut_off(serving):
    url = serving(header_timeout=1, request_timeout=2)
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(url + "/healthz", timeout=2).status_code == 200
            time.sleep(1.5)  # idle between requests is channel_timeout's business, not header_timeout's


def test_an_appended_proxy_user_header_is_refused_over_the_wire(serving):
    # Issue #16, 7, as a proxy would deliver it: the client's empty header, then the proxy's.
    url = serving(auth={"mode": "header"})
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /postmortems/new HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-User: \r\n"
                     b"X-Forwarded-User: mallory\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 403") and b"mallory" not in answer


@pytest.mark.parametrize("host", ["256.1.1.1", "no-such-host.invalid"])
def test_a_host_that_does_not_resolve_is_an_oserror_serve_reports_in_one_line(make_config, host):
    # waitress raises ValueError("Invalid host/port specified."): `wikibot serve --host ...` was a traceback.
    from wikibot.services import Services
    from wikibot.web import create_app

    config = make_config()
    services = Services(config)
    try:
        with pytest.raises(OSError, match=f"no such address: {host}"):
            create_server(create_app(config, services), config.server, host=host, port=0, threads=1)
    finally:
        services.close()
