"""Fuzz the page model with 100,000 generated hostile bodies, and the webhook and form with arbitrary Unicode.

    python3 bench/fuzz.py [--count 100000] [--seed 1] [--web 3000]

Page model: every input must either parse or raise PageParseError; anything else is a crash.
Writing a ticket back into every parsed item must then succeed or raise EditError. Prints the
count, the outcome split, the slowest input's time and the peak memory.

Webhook and form (``--web N``, 0 to skip): N generated inputs (``tests/unicode_fuzz.py``: NUL,
lone surrogates, U+FFFE/U+FFFF, markup, wrong types, ...) through the real app on an embedded
sandbox; every answer must be a 2xx/3xx or a 4xx, never a 5xx, and every page a 2xx made is read
back and must be well-formed storage format. Prints inputs tried, 2xx/3xx, 4xx, 5xx, pages read.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.storage_fuzz import inputs
from wikibot.pages import EditError, PageParseError, apply_edits, decode_body, parse_page


def run_web(count: int, seed: int) -> int:
    """The webhook and the form under arbitrary Unicode (see the module docstring)."""
    import tempfile

    from service_sandbox import SandboxServer, SandboxStore, create_sandbox_app
    from service_sandbox.app import DEFAULT_TOKEN, DEFAULT_USER
    from tests.unicode_fuzz import run as fuzz_web
    from wikibot.atlassian.clients import build_confluence
    from wikibot.config import parse_config
    from wikibot.services import Services
    from wikibot.web import create_app

    sandbox = SandboxServer(create_sandbox_app(SandboxStore(), examples=False)).start()
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({
            "confluence": {"url": sandbox.url + "/wiki", "username": DEFAULT_USER, "token": DEFAULT_TOKEN,
                           "space": "INC", "parent_page": "Post-mortems"},
            "jira": {"url": sandbox.url, "username": DEFAULT_USER, "token": DEFAULT_TOKEN, "project": "OPS"},
            "webhook": {"secret": "fuzz-secret", "rate_limit_per_minute": 10_000_000},
            "database": {"url": f"sqlite:///{tmp}/wikibot.db"},
        }, source="bench-fuzz", environ={})
        services = Services(config)
        started = time.perf_counter()
        try:
            outcome = fuzz_web(create_app(config, services).test_client(),
                               build_confluence(sandbox.url + "/wiki", DEFAULT_USER, DEFAULT_TOKEN, timeout=10),
                               "fuzz-secret", seed=seed, count=count)
        finally:
            services.close()
            sandbox.stop()
    elapsed = time.perf_counter() - started
    print(f"webhook + form (seed {seed}) in {elapsed:.1f} s")
    print(outcome.line())
    print("statuses: " + ", ".join(f"{status}: {n:,}" for status, n in sorted(outcome.by_status.items())))
    for problem in outcome.malformed[:5]:
        print(f"MALFORMED {problem}", file=sys.stderr)
    return 1 if outcome.server_errors or outcome.malformed else 0


def run(count: int, seed: int) -> int:
    parsed = refused = edited = crashes = 0
    slowest = 0.0
    started = time.perf_counter()
    for number, data in enumerate(inputs(seed, count), 1):
        t0 = time.perf_counter()
        try:
            body = decode_body(data)
            model = parse_page(body)
            parsed += 1
            if model.action_items:
                try:
                    apply_edits(body, [(item, f"OPS-{i + 1}", None) for i, item in enumerate(model.action_items)])
                    edited += 1
                except EditError:
                    pass
        except PageParseError:
            refused += 1
        except Exception as exc:  # noqa: BLE001 - the fuzz target: anything else is a bug, counted and reported
            crashes += 1
            print(f"CRASH on input {number} (seed {seed}): {type(exc).__name__}: {exc}", file=sys.stderr)
        slowest = max(slowest, time.perf_counter() - t0)
        if number % 10_000 == 0:
            print(f"  {number:,} inputs…", file=sys.stderr)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"inputs: {count:,} (seed {seed}) in {elapsed:.1f} s, {count / elapsed:,.0f}/s")
    print(f"parsed: {parsed:,}   refused with PageParseError: {refused:,}   written back: {edited:,}   "
          f"crashes: {crashes}")
    print(f"slowest input: {slowest * 1000:.1f} ms   peak memory: {peak_mb:.0f} MB")
    return 1 if crashes else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--web", type=int, default=3000, help="inputs for the webhook and form (0: skip)")
    args = parser.parse_args()
    status = run(args.count, args.seed) if args.count else 0
    sys.exit(status | (run_web(args.web, args.seed) if args.web else 0))
