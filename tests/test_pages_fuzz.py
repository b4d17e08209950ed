"""A short run of bench/fuzz.py's generator in CI: hostile bodies never crash the page model."""

from __future__ import annotations

import contextlib
import time

from tests.storage_fuzz import inputs
from wikibot.pages import EditError, PageParseError, apply_edits, decode_body, parse_page


def test_generated_hostile_pages_parse_or_are_refused_and_write_back_never_crashes():
    outcomes = {"parsed": 0, "refused": 0}
    for data in inputs(seed=2026, count=2_000):
        started = time.perf_counter()
        try:
            body = decode_body(data)
            model = parse_page(body)
        except PageParseError:
            outcomes["refused"] += 1
            continue
        outcomes["parsed"] += 1
        with contextlib.suppress(EditError):
            apply_edits(body, [(item, "OPS-1", None) for item in model.action_items])
        assert time.perf_counter() - started < 2.0
    assert outcomes["parsed"] > 500 and outcomes["refused"] > 500
