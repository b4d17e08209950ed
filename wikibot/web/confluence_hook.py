"""``POST /hooks/confluence``: a page was saved, so sync that page within seconds.

Confluence (a webhook or an automation rule) sends the page-updated event; we answer 202 at once and
sync the page in a background thread, so a slow Jira never makes Confluence retry the delivery. A
page already waiting is not queued twice (bursts of saves collapse into one sync); an event arriving
while that page is being synced asks for one more run, because the running one may have read the
page before this save. A page another sync holds (the hourly run, another replica) is waited for,
not skipped. Authentication is the same as every other webhook (``web.auth``); a signed call seen
before is answered 409, because replaying it would start another sync.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, request

from wikibot.errors import WikibotError
from wikibot.sync import SyncOptions, run_sync
from wikibot.web import auth
from wikibot.web.context import services
from wikibot.web.error_handlers import json_error
from wikibot.web.hooks import read_webhook

if TYPE_CHECKING:
    from wikibot.services import Services

log = logging.getLogger(__name__)

bp = Blueprint("confluence_hook", __name__, url_prefix="/hooks")

EXTENSION = "wikibot.hook_syncs"
LEASE_WAIT_SECONDS = 120.0


class HookSyncs:
    """The background queue of page syncs requested by webhooks (one per app).

    Per page at most one sync runs and at most one more waits: an event for a page that is waiting
    changes nothing; an event for a page being synced asks for one more run after it.
    """

    def __init__(self, services: Services, options: SyncOptions | None = None, workers: int = 2) -> None:
        self.services = services
        self.options = options or SyncOptions(lease_wait=LEASE_WAIT_SECONDS)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hook-sync")
        self._lock = threading.Lock()
        self._state: dict[str, str] = {}  # page id -> "queued" | "running" | "again"
        self._futures: set[Future[None]] = set()

    def submit(self, page_id: str) -> bool:
        """Ask for a sync of ``page_id``; False when one is already waiting to start."""
        with self._lock:
            state = self._state.get(page_id)
            if state in ("queued", "again"):
                return False
            if state == "running":
                self._state[page_id] = "again"
                return True
            self._state[page_id] = "queued"
            future = self._pool.submit(self._run, page_id)
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return True

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every requested sync has finished (tests, graceful shutdown); False on timeout."""
        with self._lock:
            pending = set(self._futures)
        return not wait(pending, timeout=timeout).not_done

    def _run(self, page_id: str) -> None:
        while True:
            with self._lock:
                self._state[page_id] = "running"
            self._sync(page_id)
            with self._lock:
                if self._state.get(page_id) != "again":
                    del self._state[page_id]
                    return

    def _sync(self, page_id: str) -> None:
        try:
            report = run_sync(self.services, page_id, options=self.options)
        except WikibotError as exc:
            log.warning("webhook sync of page %s: %s", page_id, exc)
        except Exception:  # a background thread has nobody else to tell
            log.exception("webhook sync of page %s failed", page_id)
        else:
            level = logging.WARNING if report.errors else logging.INFO
            log.log(level, "webhook sync of page %s: %s", page_id, json.dumps(report.to_dict(), default=str))

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)


def hook_syncs() -> HookSyncs:
    """This app's queue, created on first use."""
    extensions = current_app.extensions
    if EXTENSION not in extensions:
        extensions[EXTENSION] = HookSyncs(services())
    return extensions[EXTENSION]


def page_id_of(payload: Any) -> str | None:
    """The page id of a Confluence event: ``page.id``, ``content.id`` or a top-level ``id``."""
    if not isinstance(payload, dict):
        return None
    for holder in (payload.get("page"), payload.get("content"), payload):
        value = holder.get("id") if isinstance(holder, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return str(value)
        if isinstance(value, str) and value.strip().isdigit():
            return value.strip()
    return None


def is_replay() -> bool:
    """A signed call whose signature was already used (by this replica or another) within the window.

    Token-authenticated calls carry nothing unique to remember; a signature does (its timestamp and
    HMAC), so it is recorded in the database and a second use refused.
    """
    signature = request.headers.get(auth.SIGNATURE_HEADER)
    if signature is None or request.headers.get(auth.TOKEN_HEADER) is not None:
        return False
    return not services().db.replays.first_use(signature, timedelta(seconds=auth.WINDOW_SECONDS))


@bp.post("/confluence")
def confluence_event():
    payload, refused = read_webhook()
    if refused is not None:
        return refused
    if is_replay():
        return json_error(409, "this signed call was already received (a replay); sign every call afresh")
    page_id = page_id_of(payload)
    if page_id is None:
        return json_error(400, "no page id: send page.id, content.id or id (digits)")
    queued = hook_syncs().submit(page_id)
    return {"accepted": True, "page_id": page_id, "queued": queued}, 202
