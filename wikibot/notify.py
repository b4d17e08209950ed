"""Chat notifications (Slack-compatible incoming webhooks).

A chat outage must never fail the work that triggered the message: messages are sent from a
background thread with a few retries, and failures are logged, not raised. Text that came from
users is escaped for Slack's mrkdwn (``&``, ``<``, ``>``), so a title cannot inject links or
mentions such as ``<!channel>``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from wikibot.create import CreateResult
    from wikibot.incident import Incident

log = logging.getLogger(__name__)


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, text: str) -> str:
    return f"<{slack_escape(url).replace('|', '%7C')}|{slack_escape(text).replace('|', '¦')}>"


class Notifier:
    """Posts messages to a chat webhook without ever blocking or failing the caller."""

    def __init__(self, webhook_url: str | None, *, attempts: int = 4, base_delay: float = 1.0,
                 timeout: float = 10.0, post: Callable[..., Any] = requests.post) -> None:
        self.webhook_url = webhook_url
        self.attempts = attempts
        self.base_delay = base_delay
        self.timeout = timeout
        self._post = post
        self._threads: list[threading.Thread] = []

    def send(self, text: str) -> threading.Thread | None:
        """Queue ``text`` (already escaped) for delivery; returns the sender thread (tests join it)."""
        if not self.webhook_url:
            return None
        thread = threading.Thread(target=self._deliver, args=(text,), name="notify", daemon=True)
        thread.start()
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        return thread

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for messages in flight (graceful shutdown, tests)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _deliver(self, text: str) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._post(self.webhook_url, json={"text": text}, timeout=self.timeout)
                if response.status_code < 300:
                    return
                failure = f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                failure = type(exc).__name__
            log.warning("chat message failed (attempt %d/%d): %s", attempt, self.attempts, failure)
            if attempt < self.attempts:
                time.sleep(self.base_delay * 2 ** (attempt - 1))
        log.error("chat message dropped after %d attempts", self.attempts)

    # -- messages -----------------------------------------------------------------------------
    def page_created(self, incident: Incident, result: CreateResult, debrief_due: date) -> None:
        lead = f" · lead: {slack_escape(incident.lead)}" if incident.lead else ""
        severity = f"{incident.severity} " if incident.severity else ""
        self.send(
            f":memo: {severity}post-mortem started: {slack_link(result.url, result.title)}{lead}\n"
            f"Debrief due {debrief_due.isoformat()}. Customer-facing teams: please add what you heard "
            "from customers to *Impact and Scope* early."
        )
