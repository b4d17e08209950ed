"""The README's first command as a new user runs it: `wikibot serve` in an empty directory.

The ``wikibot`` script is the one installed beside the interpreter running the tests, so under
``scripts/test.sh`` it is the fresh environment's, installed as the README says. Each test copies
the shipped ``config.yaml`` into an empty directory and moves only the ports (free ones).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.test_serve import free_port

ROOT = Path(__file__).resolve().parent.parent
WIKIBOT = Path(sys.executable).parent / "wikibot"
SECRET = "first-run-webhook-secret"
SANDBOX_AUTH = ("wikibot@example.com", "sandbox-token")
CHATTY = re.compile(r" INFO (alembic|apscheduler|waitress|atlassian)[.:]")

pytestmark = pytest.mark.slow


@dataclass
class Run:
    """One `wikibot serve` process: its base URL, the embedded sandbox's, and its output files."""

    proc: subprocess.Popen
    base: str
    sandbox: str
    out: Path
    err: Path

    def hook(self, incident_id: str, title: str) -> requests.Response:
        return requests.post(self.base + "/hooks/postmortem", timeout=30, headers={"X-Wikibot-Token": SECRET},
                             json={"incident_id": incident_id, "title": title, "severity": "SEV-2"})

    def stop(self) -> str:
        """SIGTERM, as an init system stops it; the whole output (stdout + stderr)."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        return self.out.read_text() + self.err.read_text()


@pytest.fixture
def workdir(tmp_path) -> Path:
    """An empty directory holding nothing but the shipped config.yaml."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    return tmp_path


def start(workdir: Path, *args: str, ports: tuple[int, int] | None = None) -> Run:
    port, sandbox_port = ports or (free_port(), free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_")}
    env["WIKIBOT_WEBHOOK_SECRET"] = SECRET
    n = len(list(workdir.glob("out*.log")))
    out, err = workdir / f"out{n}.log", workdir / f"err{n}.log"
    with open(out, "w") as out_file, open(err, "w") as err_file:
        command = [str(WIKIBOT), "serve", "--port", str(port), "--sandbox-port", str(sandbox_port), *args]
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=out_file, stderr=err_file)
    run = Run(proc, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}", out, err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"wikibot serve exited {proc.returncode}:\n{out.read_text()}{err.read_text()}"
        try:
            if requests.get(run.base + "/healthz", timeout=1).status_code == 200:
                return run
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"no 200 from /healthz within 60 s:\n{out.read_text()}{err.read_text()}")


def page_title(run: Run, page_id: str) -> str:
    response = requests.get(f"{run.sandbox}/wiki/api/v2/pages/{page_id}", auth=SANDBOX_AUTH, timeout=10)
    response.raise_for_status()
    return response.json()["title"]


def test_the_first_command_serves_creates_a_post_mortem_and_stops_cleanly_on_sigterm(workdir):
    assert WIKIBOT.exists(), f"{WIKIBOT}: the test environment has no `wikibot` script (pip install -e .)"
    run = start(workdir)
    try:
        created = run.hook("INC-101", "Checkout 502s")
        assert created.status_code == 201, created.text
        assert created.json()["created"] is True
        assert "(INC-101)" in page_title(run, created.json()["page_id"])
    finally:
        output = run.stop()
    assert run.proc.returncode == 0, output
    assert "Traceback" not in output
    banner = run.out.read_text()
    assert banner.startswith(f"wikibot serving on {run.base}\n") and banner.rstrip().endswith("stopped")


def test_a_start_is_quiet_unless_asked_to_be_verbose(workdir):
    output = start(workdir).stop()
    assert not CHATTY.search(output), output
    verbose = start(workdir, "--verbose").stop()
    assert re.search(r" INFO apscheduler[.:]", verbose), verbose


def test_a_restart_keeps_every_page_and_its_incident(workdir):
    first = start(workdir)
    try:
        pages = {incident: first.hook(incident, f"Outage {incident}").json() for incident in ("INC-1", "INC-2")}
    finally:
        first.stop()
    assert (workdir / "var" / "sandbox.db").exists() and (workdir / "var" / "wikibot.db").exists()

    again = start(workdir)  # new ports, same directory: the same data
    try:
        for incident, page in pages.items():
            answer = again.hook(incident, f"Outage {incident}")
            assert answer.status_code == 200, answer.text
            assert answer.json()["created"] is False
            assert answer.json()["page_id"] == page["page_id"]
            assert f"({incident})" in page_title(again, page["page_id"])  # ITS page, not another's
        new = again.hook("INC-3", "Outage INC-3").json()
        assert new["created"] is True and new["page_id"] not in {p["page_id"] for p in pages.values()}
    finally:
        output = again.stop()
    assert "Traceback" not in output


def test_a_database_is_refused_in_one_line_against_a_sandbox_that_lost_its_data(workdir):
    start(workdir).stop()
    for leftover in (workdir / "var").glob("sandbox.db*"):
        leftover.unlink()  # the sandbox forgot everything; wikibot's database did not
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_")}
    result = subprocess.run([str(WIKIBOT), "serve", "--port", str(free_port()), "--sandbox-port", str(free_port())],
                            cwd=workdir, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("wikibot: database.url: this database belongs to the sandbox"), \
        result.stderr
