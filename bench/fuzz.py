"""Fuzz the page model with 100,000 generated hostile bodies: no crash, bounded time and memory.

    python3 bench/fuzz.py [--count 100000] [--seed 1]

Every input must either parse or raise PageParseError; anything else is a crash. Writing a ticket
back into every parsed item must then succeed or raise EditError. Prints the count, the outcome
split, the slowest input's time and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.storage_fuzz import inputs  # noqa: E402
from wikibot.pages import EditError, PageParseError, apply_edits, decode_body, parse_page  # noqa: E402


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
        except Exception as exc:  # the fuzz target: anything else is a bug
            crashes += 1
            print(f"CRASH on input {number} (seed {seed}): {type(exc).__name__}: {exc}", file=sys.stderr)
        slowest = max(slowest, time.perf_counter() - t0)
        if number % 10_000 == 0:
            print(f"  {number:,} inputs…", file=sys.stderr)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"inputs: {count:,} (seed {seed}) in {elapsed:.1f} s, {count / elapsed:,.0f}/s")
    print(f"parsed: {parsed:,}   refused with PageParseError: {refused:,}   written back: {edited:,}   crashes: {crashes}")
    print(f"slowest input: {slowest * 1000:.1f} ms   peak memory: {peak_mb:.0f} MB")
    return 1 if crashes else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.exit(run(args.count, args.seed))
