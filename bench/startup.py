"""CLI start: how long a command takes before its first request, over a bare ``import requests``.

Run: ``python3 bench/startup.py [--runs 7]``. Every figure is the best of ``--runs`` fresh
processes (``python -m wikibot ...``), in wall time and in CPU time (user + system: steadier when
other work shares the machine):

* floor:       ``python -c "import requests"`` — any Python client of an HTTP API pays this;
* ``--help``:  ``wikibot --help`` and ``wikibot sync --help`` (click only);
* sync/audit:  from process start to the first request of ``wikibot sync`` / ``wikibot audit``,
  which a local listener records (and then ends the process). Both Confluence and Jira point at
  it; the database is already at the head revision, as on every start but the first after an
  upgrade; a fresh database (migration due, Alembic imported) is measured separately.

Target: every command starts within 0.5 s of the floor. Bytecode caching is left on for the
children (``PYTHONDONTWRITEBYTECODE`` removed), as an installed package has its ``.pyc`` files;
a warm-up run writes them first.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.5


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def best(runs: int, once) -> tuple[float, float]:
    """The best wall time and the best CPU time of ``runs`` calls of ``once`` (after a warm-up call)."""
    once()  # warm-up: .pyc files, page cache
    results = [once() for _ in range(runs)]
    return min(wall for wall, _ in results), min(cpu for _, cpu in results)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(argv: list[str], cwd: str) -> tuple[float, float]:
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started, children_cpu() - cpu


class FirstRequest:
    """A listener that notes when the first connection arrives; the command is then stopped."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def time_to_first_request(self, argv: list[str], cwd: str, timeout: float = 30) -> tuple[float, float]:
        """Wall time from spawning ``argv`` to its first connection, and the CPU it had used by then."""
        arrived: list[float] = []

        def accept() -> None:
            conn, _ = self.sock.accept()
            arrived.append(time.perf_counter())
            conn.close()

        waiter = threading.Thread(target=accept, daemon=True)
        waiter.start()
        cpu, started = children_cpu(), time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=child_env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        waiter.join(timeout)
        process.kill()  # at once: the CPU it used after its first request is a few milliseconds at most
        _, err = process.communicate()
        if not arrived:
            raise SystemExit(f"{' '.join(argv[2:])}: no request within {timeout} s: {err.decode()[-500:]}")
        return arrived[0] - started, children_cpu() - cpu


def write_config(tmp: str, port: int, db: str) -> None:
    url = f"http://127.0.0.1:{port}"
    Path(tmp, "config.yaml").write_text(f"""
confluence: {{url: {url}/wiki, username: bench@example.com, token: t, space: INC, parent_page: Post-mortems}}
jira: {{url: {url}, username: bench@example.com, token: t, project: OPS}}
database: {{url: 'sqlite:///{db}'}}
http: {{timeout: 5}}
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    listener = FirstRequest()
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/wikibot.db"
        write_config(tmp, listener.port, db)
        subprocess.run([py, "-m", "wikibot", "db", "upgrade"], cwd=tmp, env=child_env(), check=True,
                       stdout=subprocess.DEVNULL)
        floor = best(args.runs, lambda: run([py, "-c", "import requests"], tmp))
        rows = [
            ("wikibot --help", best(args.runs, lambda: run([py, "-m", "wikibot", "--help"], tmp))),
            ("wikibot sync --help", best(args.runs, lambda: run([py, "-m", "wikibot", "sync", "--help"], tmp))),
        ]
        for command in ("sync", "audit"):
            first = best(args.runs, lambda c=command: listener.time_to_first_request([py, "-m", "wikibot", c], tmp))
            rows.append((f"wikibot {command}: first request", first))

        def fresh_db_audit() -> tuple[float, float]:
            for leftover in (db, db + "-wal", db + "-shm"):
                Path(leftover).unlink(missing_ok=True)
            return listener.time_to_first_request([py, "-m", "wikibot", "audit"], tmp)

        migrating = best(args.runs, fresh_db_audit)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"floor: python -c 'import requests': wall {floor[0]:.3f} s, cpu {floor[1]:.3f} s (best of {args.runs})\n")
    print(f"{'command':<34}{'wall s':>8}{'over floor':>12}{'cpu s':>8}{'over floor':>12}")
    for label, (wall, cpu) in [*rows, ("(fresh database: migrates)", migrating)]:
        print(f"{label:<34}{wall:>8.3f}{wall - floor[0]:>+12.3f}{cpu:>8.3f}{cpu - floor[1]:>+12.3f}")
    worst_wall = max(wall for _, (wall, _) in rows) - floor[0]
    worst_cpu = max(cpu for _, (_, cpu) in rows) - floor[1]
    verdict = "ok" if max(worst_wall, worst_cpu) <= TARGET else "MISSED"
    print(f"\nworst start over the floor: wall {worst_wall:+.3f} s, cpu {worst_cpu:+.3f} s  [target <= {TARGET} s]  "
          f"{verdict}")
    print("(the first start on a fresh database migrates it with Alembic; not part of the target)")


if __name__ == "__main__":
    main()
