"""Jira sync: every post-mortem action item becomes exactly one Jira issue, and the two stay in step.

Entry points: :func:`run_sync` (CLI, webhook), :func:`scheduled_sync` (the scheduler's job) and
:func:`wikibot.sync.actions.outstanding_actions` (the weekly report). Modules:

* ``issues``     — item → Jira fields, marker labels, remote-link ids (pure)
* ``plan``       — page items, ledger and Jira → what to do (pure)
* ``markers``    — the issues wikibot filed for a batch of pages (Jira I/O is ``wikibot.atlassian.jira``)
* ``writeback``  — one page update per page, re-applied on 409
* ``runner``     — a run in batches of pages: leases, ledger, planning (``work`` is a page's state)
* ``filing``     — filing new issues without ever filing one twice
* ``finishing``  — links, transitions, edits, the write-back, the conflict comment, the ledger
* ``report``     — the run's outcome (``--json`` contract)
* ``actions``    — open post-mortem actions across all pages

Idempotency rests on three independent guards: a per-page lease (two syncs never work on one page
at once), the ledger (``store.ledger``: pending → created, written before and after each create),
and marker labels on every issue (``pm-<page>``, ``pmi-<page>-<item>``), searched before filing,
so even a lost database or a lost answer never yields a second issue.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from wikibot.retry import RetryPolicy
from wikibot.sync.report import SyncReport
from wikibot.sync.runner import Syncer, SyncOptions

if TYPE_CHECKING:
    from wikibot.services import Services

__all__ = ["RetryPolicy", "SyncOptions", "SyncReport", "Syncer", "run_sync", "scheduled_sync"]


def run_sync(services: Services, page_id: str | None = None, *, dry_run: bool = False,
             options: SyncOptions | None = None) -> SyncReport:
    """Sync every post-mortem page (or one); never raises for a page's problems — see the report.

    Raises :class:`wikibot.errors.InputError` only when ``page_id`` names no page.
    """
    options = options or SyncOptions()
    if dry_run and not options.dry_run:
        options = replace(options, dry_run=True)
    return Syncer(services, options).run(page_id)


def scheduled_sync(services: Services) -> dict[str, Any]:
    """The scheduler's job (``sync.schedule``): a full run; its JSON report is the job's summary."""
    return run_sync(services).to_dict()
