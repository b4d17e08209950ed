"""The benchmarks still run: each ``bench/`` script, tiny, in its own process (nothing here is timed).

Benchmarks are not part of a test run, so without this they rot unnoticed: an API the sandbox
removed, a template value they forgot. Each runs with the smallest inputs that exercise every
step and must exit 0 and print its verdict line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RUNS = [
    (["parse.py", "--seconds", "0.05"], "worst ratio"),
    (["audit.py", "--pages", "12", "--skip-naive"], "minimum:"),
    (["sync.py", "--pages", "3", "--items", "2", "--naive-pages", "2"], "requests / minimum:"),
    (["startup.py", "--runs", "1"], "worst start over the floor"),
    (["webhook.py", "--calls", "20", "--concurrency", "4"], "wikibot overhead:"),
    (["fuzz.py", "--count", "30", "--web", "20"], "malformed pages: 0"),
]


@pytest.mark.parametrize(("args", "verdict"), RUNS, ids=[args[0] for args, _ in RUNS])
def test_the_benchmark_runs_and_prints_its_verdict(args, verdict):
    # Not measured for coverage: a benchmark exercises nothing the rest of the suite does not, in far
    # more process starts.
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_") and k != "COVERAGE_PROCESS_CONFIG"}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / args[0]), *args[1:]], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert verdict in done.stdout


def test_every_benchmark_is_run_here():
    scripts = {path.name for path in (ROOT / "bench").glob("*.py")} - {"audit_naive.py"}  # run by audit.py
    assert scripts == {args[0] for args, _ in RUNS}
