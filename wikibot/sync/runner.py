"""Carrying out a sync: pages in batches, each step for the whole batch, errors kept per page.

Pages are handled in batches of up to 50 (one page of the CQL listing). Per batch:

1. parse and filter the pages, and take a lease on each (``sync-page:<id>``): a second sync —
   another replica, cron and a webhook — skips a busy page (or waits up to ``lease_wait``);
2. read the batch's ledger rows (one query) and search the marker labels of the whole batch (one
   JQL search, paged by 100 issues), then plan each page (``plan.py``);
3. record adoptions in the ledger, then file every new issue of the batch in bulk (``filing.py``);
4. per issue — one at a time per issue, several issues in parallel — upsert the remote link,
   transition done items to Done, push page edits of page-owned fields (``finishing.py``);
5. per page, one write-back (``writeback.py``) with keys and mirrored statuses, then one comment
   if fields conflicted; finally the ledger is brought up to date.

Nothing raises out of a page: every failure becomes an entry of the report and the next page (and
the next step for the other pages) goes on. The minimum number of requests this needs is in
``bench/sync.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from wikibot.atlassian.confluence import LIST_LIMIT, postmortems_cql
from wikibot.atlassian.content import WikiPage
from wikibot.errors import InputError, ServiceError
from wikibot.pages import PageParseError, parse_page
from wikibot.retry import RetryPolicy
from wikibot.store.ledger import LedgerEntry, SyncLedger
from wikibot.store.schema import utcnow
from wikibot.sync.filing import Filer
from wikibot.sync.finishing import Finisher
from wikibot.sync.issues import PageInfo, page_info
from wikibot.sync.markers import Seen, marker_issues
from wikibot.sync.plan import Rules, mirrors_status, plan_page
from wikibot.sync.report import SyncReport
from wikibot.sync.work import PageWork, lease_name

if TYPE_CHECKING:
    from wikibot.services import Services

log = logging.getLogger(__name__)

LEASE_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class SyncOptions:
    """How a run behaves; the defaults suit the scheduled job, tests shrink the delays."""

    dry_run: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease_ttl: timedelta = timedelta(minutes=10)
    lease_wait: float = 0.0
    """Seconds to wait for a page another sync holds (0: skip it and report it busy)."""
    settle: timedelta = timedelta(minutes=10)
    """How long a create with no known outcome is waited for before its item is filed again."""
    workers: int = 4
    """Issues (and pages) handled in parallel after filing."""
    clock: Callable[[], datetime] = utcnow


class Syncer:
    def __init__(self, services: Services, options: SyncOptions | None = None) -> None:
        self.services = services
        self.options = options or SyncOptions()
        self.config = services.config
        # Local state first: a corrupt database is refused before any request goes out.
        self.ledger = SyncLedger(services.db.engine)
        self.leases = services.db.leases
        self.jira = services.jira.with_retry(self.options.retry)
        self.confluence = services.confluence.with_retry(self.options.retry)

    def rules(self) -> Rules:
        j = self.config.jira
        return Rules(project=j.project, issue_type=j.issue_type, labels=tuple(j.labels), priority_map=j.priority_map,
                     update_issues=self.config.sync.update_issues, now=self.options.clock(),
                     settle=self.options.settle)

    # -- the run ------------------------------------------------------------------------------
    def run(self, page_id: str | None = None) -> SyncReport:
        """Sync every post-mortem page, or just ``page_id``; raises only ``InputError`` (no such page)."""
        if page_id is not None and not page_id.isdigit():
            raise InputError(f"page {page_id!r}: not a Confluence page id (digits only)")
        report = SyncReport(dry_run=self.options.dry_run)
        with ThreadPoolExecutor(max_workers=max(1, self.options.workers), thread_name_prefix="sync") as pool:
            try:
                for batch in self._batches(page_id):
                    self._batch(batch, report, pool)
            except ServiceError as exc:
                report.error(None, f"cannot read the post-mortem pages: {exc}")
        return report

    def _batches(self, page_id: str | None) -> Iterator[list[WikiPage]]:
        if page_id is None:
            c = self.config  # listing needs the parent page's id (one lookup per ``Services``)
            pages = self.confluence.search_pages(postmortems_cql(c.confluence.space, c.postmortem.label,
                                                                 self.services.parent_page.page_id()))
            while batch := list(islice(pages, LIST_LIMIT)):
                yield batch
            return
        yield [self.confluence.asked_page(page_id)]

    def _batch(self, pages: list[WikiPage], report: SyncReport, pool: Executor) -> None:
        prepared = [w for w in (self._prepare(page, report) for page in pages) if w is not None]
        leased = prepared if self.options.dry_run else self._take_leases(prepared, report)
        try:
            self._plan(leased, report)
            works = [w for w in leased if not w.failed]
            if self.options.dry_run or not works:
                return
            self._adopt(works)
            Filer(self.jira, self.ledger, self.leases, lease_ttl=self.options.lease_ttl,
                  priority_map=self.config.jira.priority_map).file(works, report)
            Finisher(self.jira, self.confluence, self.ledger, pool).finish([w for w in works if not w.failed], report)
        finally:
            for work in leased:
                if work.lease:
                    self.leases.release(lease_name(work.page.id), work.lease)

    # -- steps --------------------------------------------------------------------------------
    def _prepare(self, page: WikiPage, report: SyncReport, *, count: bool = True) -> PageWork | None:
        if count:
            report.pages += 1
        try:
            model = parse_page(page.body, aliases=self.config.postmortem.section_aliases)
        except PageParseError as exc:
            report.error(PageInfo(page.id, page.title, page.url, None, None, page.title),
                         f"cannot read the page: {exc}")
            return None
        info = page_info(page.id, page.title, page.url, page.labels, model)
        if self.config.postmortem.label not in page.labels:
            report.skip(info, f"not a post-mortem page (no label {self.config.postmortem.label!r})")
            return None
        wanted = {s.strip().casefold() for s in self.config.sync.page_statuses}
        if wanted and (info.status or "").strip().casefold() not in wanted:
            report.skip(info, f"page status {info.status or '(none)'!r} is not in sync.page_statuses")
            return None
        return PageWork(page, info, list(model.action_items))

    def _take_leases(self, works: list[PageWork], report: SyncReport) -> list[PageWork]:
        """Lease each page; a page we had to wait for is read again (its holder may have changed it)."""
        deadline = time.monotonic() + self.options.lease_wait
        kept = []
        for work in works:
            name, waited = lease_name(work.page.id), False
            while (owner := self.leases.acquire(name, self.options.lease_ttl)) is None:
                if time.monotonic() >= deadline:
                    break
                waited = True
                time.sleep(LEASE_POLL_SECONDS)
            if owner is None:
                report.skip(work.info, "busy: another sync (still running) holds this page's lease; not synced by "
                                       "this run", unsynced=True)
                continue
            fresh = self._reread(work, report) if waited else work
            if fresh is None:
                self.leases.release(name, owner)
                continue
            fresh.lease = owner
            kept.append(fresh)
        return kept

    def _reread(self, work: PageWork, report: SyncReport) -> PageWork | None:
        try:
            return self._prepare(self.confluence.page(work.page.id), report, count=False)
        except ServiceError as exc:
            report.error(work.info, f"cannot read the page again: {exc}")
            return None

    def _plan(self, works: list[PageWork], report: SyncReport) -> None:
        """One ledger query and one marker search for the whole batch, then a plan per page."""
        entries = self.ledger.load(w.page.id for w in works)
        searched = [w.page.id for w in works if w.items or entries[w.page.id]]
        try:
            issues = marker_issues(self.jira, searched, _seen(works, entries, searched)) if searched else {}
        except ServiceError as exc:
            for work in works:
                work.failed = True
                report.error(work.info, f"cannot search Jira for this page's issues: {exc}")
            return
        rules = self.rules()
        for work in works:
            try:
                work.plan = plan = plan_page(work.info, work.items, entries[work.page.id],
                                             issues.get(work.page.id, []), rules)
            except Exception as exc:  # a bug on one odd page must not stop the others
                log.exception("planning page %s failed", work.page.id)
                work.failed = True
                report.error(work.info, f"internal error while planning: {type(exc).__name__}: {exc}")
                continue
            report.already_synced += plan.already_synced
            for note in plan.skipped:
                report.skip(work.info, note)
            for note in plan.warnings:
                report.warn(work.info, note)
            if self.options.dry_run:
                report.created += len(plan.new)
                report.written_back += len(plan.new) + sum(1 for linked in plan.linked if linked.write_key)
                report.updated += sum(1 for linked in plan.linked if linked.update)
                report.transitioned += sum(n.want_done for n in plan.new) + sum(linked.done for linked in plan.linked)
                report.planned.extend(plan.describe())

    def _adopt(self, works: list[PageWork]) -> None:
        """Record in the ledger every issue found for an item it did not know, before anything else."""
        for work in works:
            plan = work.planned
            self.ledger.delete(e.id for e in plan.expired if e.id is not None)
            for linked in plan.linked:
                if linked.entry is not None and linked.entry.id is not None:
                    work.entry_ids[linked.key] = linked.entry.id
                if not linked.record:
                    continue
                values: dict[str, Any] = {"state": "created", "issue_key": linked.key, "identity": linked.item.identity,
                          "fingerprint": linked.item.fingerprint, "base_page": linked.base_page,
                          "base_jira": linked.base_jira, "written": not linked.write_key}
                if linked.key in work.entry_ids:
                    self.ledger.update(work.entry_ids[linked.key], **values)
                else:
                    [entry] = self.ledger.insert([LedgerEntry(page_id=work.page.id, origin_identity=linked.origin,
                                                              **values)])
                    if entry.id is not None:
                        work.entry_ids[linked.key] = entry.id


def _seen(works: list[PageWork], entries: dict[str, list[LedgerEntry]],
          searched: list[str]) -> dict[str, dict[str, Seen]]:
    """Page id → issue key → what wikibot last saw of each issue its ledger knows: the Jira values
    recorded, and the status the page's row shows (what the marker search must agree with)."""
    seen = {page_id: {e.issue_key: Seen(values=dict(e.base_jira)) for e in entries[page_id]
                      if e.state == "created" and e.issue_key} for page_id in searched}
    for work in works:
        for item in work.items:
            known = seen.get(work.page.id, {})
            if item.jira_key in known and item.status and mirrors_status(item):
                known[item.jira_key] = Seen(values=known[item.jira_key].values, status=item.status)
    return seen

