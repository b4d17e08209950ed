"""The test run's search index: when it catches up with what was written.

Search is eventually consistent on Cloud and Data Center (``service_sandbox/index_lag.py``), and the tests'
sandboxes start with an index that never catches up by itself (``INDEX_LAG_MS`` in ``conftest.py``): within
one wikibot run, nothing it or anybody wrote since the last catch-up is searchable. A test says where time
passes, between two steps a person would take minutes or a night apart (a page written, then the nightly
sync; one sync, then the next), with :func:`time_passes`.

A module of its own (not ``conftest.py``): pytest imports conftest under another name than the test modules
do, and the sandboxes started must be one list for both.
"""

from __future__ import annotations

import requests

from service_sandbox import SandboxServer

_STARTED: list[SandboxServer] = []


def started(server: SandboxServer) -> None:
    """Remember a sandbox the tests started (the stopped ones are forgotten)."""
    _STARTED[:] = [s for s in _STARTED if s.running] + [server]


def time_passes() -> None:
    """Every running sandbox's search index catches up with every write so far."""
    for server in _STARTED:
        if server.running:
            requests.post(server.url + "/_sandbox/index/catch-up", timeout=5).raise_for_status()
