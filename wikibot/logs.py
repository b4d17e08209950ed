"""Logging for the long-running commands: one line per event, JSON on request, secrets never shown.

Configured once by the entry points (``serve``, ``scheduler``, ``sync``, ``audit``), never by
``create_app``: tests build many apps in one process.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

REDACTED = "[redacted]"
# key=value / "key": "value" pairs whose key names a secret.
_AUTH_HEADER = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{6,}")
_SECRET_PAIR = re.compile(r"""(?i)(["']?\b(?:token|secret|password|passwd|authorization|api[_-]?key)\b["']?"""
                          r"""\s*[:=]\s*)(["']?)[^\s"',;&}]+""")


class Redactor(logging.Filter):
    """Replace configured secret values, and values of secret-named keys, in every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.redact(message), None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            event["exception"] = record.exc_text
        return json.dumps(event, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # One line per event: a traceback's newlines are escaped, not printed.
        return super().format(record).replace("\n", "\\n")


# Libraries whose INFO lines narrate their own workings ("Context impl SQLiteImpl", "Added job",
# "Serving on", "Creating page"): shown only at debug level or with --verbose; their warnings
# and errors always are.
CHATTY_LIBRARIES = ("alembic", "apscheduler", "waitress", "atlassian", "urllib3", "werkzeug")


class _WikibotHandler(logging.StreamHandler):
    """The handler :func:`configure_logging` installs, so calling it again replaces it (not a second one)."""


def configure_logging(level: str, fmt: str, secrets: Iterable[str], stream: TextIO | None = None,
                      verbose: bool = False) -> logging.Handler:
    """One handler on the root logger at ``level``; libraries' chatter hidden unless ``verbose``."""
    handler = _WikibotHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _WikibotHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    quiet = not verbose and level.lower() != "debug"
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING if quiet else logging.NOTSET)
    return handler
