"""Logging for the long-running commands: libraries' INFO chatter only when asked for."""

from __future__ import annotations

import io
import logging

import pytest

from wikibot.logs import CHATTY_LIBRARIES, configure_logging


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    saved = root.level, list(root.handlers), {name: logging.getLogger(name).level for name in CHATTY_LIBRARIES}
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def emit(level: str, verbose: bool = False) -> str:
    stream = io.StringIO()
    configure_logging(level, "text", [], stream, verbose=verbose)
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    logging.getLogger("apscheduler.scheduler").info("Scheduler started")
    logging.getLogger("waitress").warning("Task queue depth is 5")
    logging.getLogger("wikibot.scheduler").info("job sync done")
    return stream.getvalue()


def test_at_info_wikibot_speaks_and_libraries_only_warn(restore_logging):
    out = emit("info")
    assert "job sync done" in out and "Task queue depth" in out
    assert "Context impl" not in out and "Scheduler started" not in out


@pytest.mark.parametrize(("level", "verbose"), [("info", True), ("debug", False)])
def test_verbose_or_debug_shows_the_libraries_info_lines(restore_logging, level, verbose):
    out = emit(level, verbose)
    assert "Context impl SQLiteImpl." in out and "Scheduler started" in out and "job sync done" in out
