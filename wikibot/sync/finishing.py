"""After filing: per-issue follow-ups, one write-back per page, the conflict comment, the ledger.

Follow-ups (remote link, transition to Done, page edits pushed to Jira) run one at a time per issue
— Jira rate-limits writes to one issue — and for several issues in parallel. Each is idempotent
(link upsert by globalId, a transition re-checked, a field edit) and recorded in the ledger only
when it succeeded, so whatever failed is simply done again by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from wikibot.atlassian.confluence import ConfluenceGateway
from wikibot.atlassian.jira import DONE, FieldsRefused, JiraGateway
from wikibot.errors import ServiceError
from wikibot.pages import ActionItem, Edit
from wikibot.store.ledger import SyncLedger
from wikibot.sync.issues import REFUSABLE, global_id, jira_fields
from wikibot.sync.plan import Linked, Note, mirrors_status
from wikibot.sync.report import SyncReport
from wikibot.sync.work import PageWork
from wikibot.sync.writeback import WriteResult, write_back

log = logging.getLogger(__name__)


@dataclass
class _Job:
    """Everything done to one issue after it exists."""

    work: PageWork
    key: str
    item: ActionItem
    link: str | None = None  # the remote link's globalId
    done: bool = False
    update: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    succeeded: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    """Fields of ``update`` Jira refused by name (the edit counts as done without them)."""


class Finisher:
    def __init__(self, jira: JiraGateway, wiki: ConfluenceGateway, ledger: SyncLedger, pool: Executor) -> None:
        self.jira = jira
        self.wiki = wiki
        self.ledger = ledger
        self.pool = pool

    def finish(self, works: Sequence[PageWork], report: SyncReport) -> None:
        self._follow_up(works, report)
        for work in works:
            work.edits = _edits(work)
        for work, outcome in zip(works, self.pool.map(self._write_page, works), strict=True):
            self._finish_page(work, outcome, report)

    # -- per issue ----------------------------------------------------------------------------
    def _follow_up(self, works: Sequence[PageWork], report: SyncReport) -> None:
        jobs = []
        for work in works:
            for new, key, _ in work.created:
                jobs.append(_Job(work, key, new.item, link=global_id(work.page.id, new.item.identity),
                                 done=new.want_done))
            for linked in work.planned.linked:
                job = _Job(work, linked.key, linked.item, done=linked.done, update=linked.update,
                           link=global_id(work.page.id, linked.origin) if linked.link else None)
                if job.link or job.done or job.update:
                    jobs.append(job)
        for job in self.pool.map(self._run_job, jobs):
            work = job.work
            changes = work.ledger_changes(job.key)
            if "link" in job.succeeded:
                changes["linked"] = True
            if "transition" in job.succeeded:
                changes["want_done"] = False
                work.transitioned.add(job.key)
                report.transitioned += 1
            if job.refused:
                work.refused[job.key] = job.refused
            if "update" in job.succeeded:
                report.updated += bool(set(job.update) - job.refused)  # (counted when something landed)
            elif job.update:
                work.unsettled.add(job.key)
            for error in job.errors:
                report.error(work.info, Note(error, job.item.identity, job.item.summary, job.key))
            for warning in job.warnings:
                report.warn(work.info, Note(warning, job.item.identity, job.item.summary, job.key))

    def _run_job(self, job: _Job) -> _Job:
        info = job.work.info
        steps: tuple[tuple[str, object, Callable[[], None]], ...] = (
            ("link", job.link, lambda: self.jira.link(job.key, job.link or "", info.url, info.title)),
            ("transition", job.done, lambda: self.jira.transition(job.key, DONE)),
            ("update", job.update, lambda: self._update(job)),
        )
        for name, wanted, step in steps:
            if not wanted:
                continue
            try:
                step()
                job.succeeded.add(name)
            except ServiceError as exc:
                job.errors.append(f"{name} failed (the next run retries): {exc}")
            except Exception as exc:  # a bug must not take the other issues down with it
                log.exception("sync step %s failed for %s", name, job.key)
                job.errors.append(f"{name} failed: internal error: {type(exc).__name__}: {exc}")
        return job

    def _update(self, job: _Job) -> None:
        """Push the page's edits; a priority or due date Jira refuses by name (not on the project's edit
        screen, a priority its scheme lacks) is left as Jira has it, with a warning, and the rest still
        lands: asking again every run would only fail again, and hold the summary back with it."""
        fields = jira_fields(job.update)
        try:
            self.jira.update_fields(job.key, fields)
        except FieldsRefused as exc:
            if not set(exc.fields) <= REFUSABLE:
                raise
            kept = {name: value for name, value in fields.items() if name not in exc.fields}
            if kept:
                self.jira.update_fields(job.key, kept)
            job.refused = set(exc.fields)
            job.warnings.extend(_refused_edit(job.key, name, job.update.get(name), message)
                                for name, message in exc.fields.items())

    # -- per page -----------------------------------------------------------------------------
    def _write_page(self, work: PageWork) -> WriteResult | Exception | None:
        if not work.edits:
            return None
        try:
            return write_back(self.wiki, work.page, work.edits)
        except Exception as exc:  # a bug must not take the other pages down with it
            log.exception("write-back of page %s failed", work.page.id)
            return exc

    def _finish_page(self, work: PageWork, outcome: WriteResult | Exception | None, report: SyncReport) -> None:
        """Report the write-back, post the conflict comment, and store everything in the ledger."""
        keys: dict[str, str] = {}
        if isinstance(outcome, Exception):
            report.error(work.info, f"internal error while writing the page: {type(outcome).__name__}: {outcome}")
        elif outcome is not None:
            keys = outcome.keys
            for problem in outcome.problems:
                report.warn(work.info, problem)
            if outcome.error:
                report.error(work.info, f"keys not written back (the next run retries): {outcome.error}")
        report.written_back += sum(1 for e in work.edits if e.jira_key and keys.get(e.item.identity) == e.jira_key)
        commented = self._comment_conflicts(work, report)
        for new, key, _ in work.created:
            if keys.get(new.item.identity) == key:
                work.ledger_changes(key)["written"] = True
        for linked in work.planned.linked:
            changes = work.ledger_changes(linked.key)
            now: dict[str, Any] = {"identity": linked.item.identity, "fingerprint": linked.item.fingerprint}
            if linked.write_key and keys.get(linked.item.identity) == linked.key:
                now["written"] = True
            if linked.key not in work.unsettled and (not linked.conflicts or commented):
                refused = work.refused.get(linked.key, set())
                now.update(base_page=linked.base_page,
                           base_jira={k: v for k, v in linked.base_jira.items() if k not in refused})
            entry = linked.entry
            changes.update({k: v for k, v in now.items() if entry is None or getattr(entry, k) != v})
        for entry_id, changes in work.changes.items():
            if changes:
                self.ledger.update(entry_id, **changes)

    def _comment_conflicts(self, work: PageWork, report: SyncReport) -> bool:
        """One footer comment listing every field changed on both sides; False if it could not be posted."""
        conflicted = [linked for linked in work.planned.linked if linked.conflicts]
        if not conflicted:
            return True
        try:
            self.wiki.add_comment(work.page.id, conflict_comment(conflicted))
        except ServiceError as exc:
            report.error(work.info, f"cannot comment on the field conflicts (the next run retries): {exc}")
            return False
        for linked in conflicted:
            for conflict in linked.conflicts:
                report.warn(work.info, Note(f"{conflict.field} changed on both sides; kept Jira's "
                                            f"{conflict.jira_value!r} over the page's {conflict.page_value!r}",
                                            linked.item.identity, linked.item.summary, linked.key))
        return True


def conflict_comment(conflicted: Sequence[Linked]) -> str:
    """The comment's storage format: one list entry per issue, every value escaped."""
    entries = []
    for linked in conflicted:
        fields = "; ".join(f"{c.field}: page says {escape(str(c.page_value))}, Jira says {escape(str(c.jira_value))}"
                           for c in linked.conflicts)
        entries.append(f"<li><p>{escape(linked.key)} ({escape(linked.item.summary[:80])}): {fields}</p></li>")
    return ("<p>wikibot: these fields were changed both on this page and in Jira since the last sync. "
            f"Jira's values were kept; change the page or the issue to settle them.</p><ul>{''.join(entries)}</ul>")


def _edits(work: PageWork) -> list[Edit]:
    """Keys to write and statuses to mirror ("Done" right after this run's transition)."""
    edits = []
    for new, key, _ in work.created:
        done = key in work.transitioned and mirrors_status(new.item)
        edits.append(Edit(new.item, key, DONE if done else None))
    for linked in work.planned.linked:
        edit = linked.edit()
        if linked.key in work.transitioned and mirrors_status(linked.item):
            edit = Edit(linked.item, linked.key if linked.write_key else None, DONE)
        if edit is not None:
            edits.append(edit)
    return edits


def _refused_edit(key: str, name: str, value: object, message: str) -> str:
    """The warning for a page edit Jira refused one field of: what the page says, why Jira refused it
    (a field off the edit screen, or a value its scheme lacks) and who can change that."""
    label = "due date" if name == "duedate" else name
    shown = repr(value["name"] if isinstance(value, dict) else value) if value else "(none)"
    if "cannot be set" in message:
        cure = (f"Jira's edit screen for the project has no {label.capitalize()} field: a Jira admin can add it; "
                f"wikibot sends the value when the page's {label} next changes")
    elif name == "priority":
        cure = "check jira.priority_map (`wikibot check-config` lists the priorities the project accepts)"
    else:
        cure = "write the value Jira accepts on the page"
    return f"the page's {label} {shown} did not reach {key}: Jira refused it ({message}); {cure}"
