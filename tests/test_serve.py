"""`wikibot serve` as an operator runs it: a real process, real ports, graceful SIGTERM."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: list[str], cwd) -> tuple[subprocess.Popen, str]:
    """Start wikibot with its output in files (a full, undrained pipe would block it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_")}
    with open(cwd / "out.log", "w") as out, open(cwd / "err.log", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "wikibot", *args], cwd=cwd, env=env, stdout=out, stderr=err)
    proc.logs = cwd  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"serving on (http://\S+)", (cwd / "out.log").read_text())
        if match:
            try:
                if requests.get(match.group(1) + "/healthz", timeout=1).ok:
                    return proc, match.group(1)
            except requests.RequestException:
                pass
        assert proc.poll() is None, (cwd / "err.log").read_text()
        time.sleep(0.1)
    raise AssertionError("wikibot serve did not become healthy")


def stop(proc: subprocess.Popen) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return (proc.logs / "out.log").read_text(), (proc.logs / "err.log").read_text()


def test_serve_with_no_confluence_starts_the_embedded_sandbox_and_stops_on_sigterm(tmp_path):
    sandbox_port, port = free_port(), free_port()
    (tmp_path / "config.yaml").write_text(
        f"confluence: {{space: INC, parent_page: Post-mortems}}\njira: {{project: OPS}}\n"
        f"sandbox: {{port: {sandbox_port}}}\nserver: {{port: {port}}}\n"
        f"database: {{url: 'sqlite:///{tmp_path}/w.db'}}\n")
    proc, base = start(["serve"], tmp_path)
    try:
        form = requests.get(base + "/postmortems/new", timeout=5)
        assert form.status_code == 200 and "Start a post-mortem" in form.text
        wiki = requests.get(f"http://127.0.0.1:{sandbox_port}/wiki/", timeout=5)
        assert wiki.status_code == 200
        assert requests.get(base + "/readyz", timeout=10).json()["status"] == "ready"
    finally:
        out, err = stop(proc)
    assert proc.returncode == 0, err
    assert f"sandbox wiki:         http://127.0.0.1:{sandbox_port}/wiki/" in out
    assert out.rstrip().endswith("stopped")
    assert not any(line.startswith("Traceback") for line in err.splitlines())  # no crash


def test_serve_on_another_sandbox_port_says_where_the_other_commands_look(tmp_path):
    # `wikibot new` finds the sandbox at sandbox.port, not at serve's --sandbox-port.
    sandbox_port, port = free_port(), free_port()
    (tmp_path / "config.yaml").write_text(
        f"confluence: {{space: INC, parent_page: Post-mortems}}\njira: {{project: OPS}}\n"
        f"server: {{port: {port}}}\ndatabase: {{url: 'sqlite:///{tmp_path}/w.db'}}\n")
    proc, _ = start(["serve", "--sandbox-port", str(sandbox_port), "--no-scheduler"], tmp_path)
    out, _ = stop(proc)
    assert (f"  note: the other commands (new, sync, audit, ...) look for the sandbox at sandbox.port (8990): set "
            f"sandbox.port: {sandbox_port} in config.yaml for them") in out

def test_serve_against_a_configured_site_does_not_start_a_sandbox(tmp_path, sandbox):
    port = free_port()
    (tmp_path / "config.yaml").write_text(f"""
confluence: {{url: "{sandbox.wiki_url}", username: {sandbox.user}, token: {sandbox.token},
             space: INC, parent_page: Post-mortems}}
jira: {{url: "{sandbox.url}", username: {sandbox.user}, token: {sandbox.token}, project: OPS}}
server: {{port: {port}}}
database: {{url: 'sqlite:///{tmp_path}/w.db'}}
logging: {{format: json}}
""")
    proc, base = start(["serve", "--no-scheduler"], tmp_path)
    try:
        assert requests.get(base + "/readyz", timeout=10).json()["status"] == "ready"
    finally:
        out, err = stop(proc)
    assert "sandbox wiki" not in out
    assert proc.returncode == 0
    assert sandbox.token not in out + err


def test_after_kill_9_mid_create_the_resent_webhook_adopts_the_page_at_once(tmp_path, sandbox):
    # Issue #16, 9: the claim's holder is gone, so its two-minute lease is not waited out.
    import threading

    port = free_port()
    (tmp_path / "config.yaml").write_text(f"""
confluence: {{url: "{sandbox.wiki_url}", username: {sandbox.user}, token: {sandbox.token},
             space: INC, parent_page: Post-mortems}}
jira: {{url: "{sandbox.url}", username: {sandbox.user}, token: {sandbox.token}, project: OPS}}
server: {{port: {port}}}
webhook: {{secret: s3cret}}
database: {{url: 'sqlite:///{tmp_path}/w.db'}}
""")
    body = {"incident_id": "INC-9", "title": "Killed mid-create"}
    send = lambda timeout: requests.post(base + "/hooks/postmortem", json=body,  # noqa: E731
                                         headers={"X-Wikibot-Token": "s3cret"}, timeout=timeout)
    proc, base = start(["serve", "--no-scheduler"], tmp_path)
    sandbox.fault(stall_ms=2000, method="POST", path_prefix="/wiki/api/v2/pages", count=1)
    threading.Thread(target=lambda: _ignore_errors(send, 10), daemon=True).start()
    time.sleep(1.0)  # serve holds the claim and waits on the page POST
    proc.kill()
    proc.wait(timeout=10)
    time.sleep(1.5)  # the POST that was in flight lands
    proc, base = start(["serve", "--no-scheduler"], tmp_path)
    try:
        started = time.monotonic()
        response = send(10)
        assert response.status_code == 201, response.text  # nobody had been told about the page yet
        assert time.monotonic() - started < 5
        pages = sandbox.cql_settled('type = page and label = "incident-inc-9"')
        assert [p["id"] for p in pages] == [response.json()["page_id"]]
    finally:
        stop(proc)


def _ignore_errors(call, *args) -> None:
    with contextlib.suppress(requests.RequestException):
        call(*args)
