"""Filing new issues for a batch of pages: the one step that could create duplicates, guarded three ways.

1. The page's lease is renewed right before filing: a run that lost it files nothing.
2. A ``pending`` ledger row per item is written *before* the request, and becomes ``created`` with
   the key as soon as the answer arrives. A crash in between leaves the pending row; the next run
   adopts the issue the marker search shows for it (and only re-files after the settle time).
3. Creates go out in bulk, 50 per request, across all pages of the batch. A failure that may have
   created issues (5xx, lost answer) is followed by a marker search, and what it shows is adopted;
   the rest is *not* sent again in this run: Jira's search is eventually consistent, so an issue
   created a second ago may not show yet. Their pending rows hold them until the settle time (a
   later run adopts what the search then shows, and files only what is still missing). Per-element
   errors (Jira rejects one assignee) fail that item alone; the rest of the request still lands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from wikibot.atlassian.jira import MAX_BULK, CreateUncertain, JiraGateway
from wikibot.errors import ServiceError
from wikibot.store.ledger import LedgerEntry, SyncLedger
from wikibot.store.locks import Leases
from wikibot.sync.issues import NOT_A_USER, NOT_ASSIGNABLE, REFUSABLE, page_values, refiled_fields, unassigned_fields
from wikibot.sync.markers import marker_issues
from wikibot.sync.plan import NewIssue, Note
from wikibot.sync.report import SyncReport
from wikibot.sync.work import PageWork, lease_name

Queued = tuple[PageWork, NewIssue, LedgerEntry, dict[str, Any]]
"""A new issue about to be filed: its page, its plan, its pending ledger row and the create fields."""


class Filer:
    def __init__(self, jira: JiraGateway, ledger: SyncLedger, leases: Leases, *,
                 lease_ttl: timedelta, priority_map: Mapping[str, str]) -> None:
        self.jira = jira
        self.ledger = ledger
        self.leases = leases
        self.lease_ttl = lease_ttl
        self.priority_map = priority_map
        self._owners: dict[str, tuple[str | None, str | None]] = {}
        self.unresolved: list[tuple[PageWork, NewIssue, str]] = []
        self._notes: dict[int, list[str]] = {}
        """Pending ledger row id → what its issue is filed without, reported once it exists."""

    def file(self, works: Sequence[PageWork], report: SyncReport) -> None:
        """Create every planned new issue of ``works``; outcomes land on each ``PageWork``."""
        queue: list[Queued] = []
        for work in works:
            plan = work.planned
            if not plan.new:
                continue
            if not self.leases.renew(lease_name(work.page.id), work.lease or "", self.lease_ttl):
                report.error(work.info, "lost the page's lease (the run took too long); nothing filed")
                work.failed = True
                continue
            self.ledger.delete(new.stale.id for new in plan.new if new.stale and new.stale.id is not None)
            pending = self.ledger.insert(self._pending(work, new) for new in plan.new)
            queue.extend((work, new, entry, self._fields(work, new))
                         for new, entry in zip(plan.new, pending, strict=True))
        for work, new, reason in self.unresolved:
            report.warn(work.info, Note(f"unassigned: {reason}", new.item.identity, new.item.summary))
        for start in range(0, len(queue), MAX_BULK):
            self._file_chunk(queue[start:start + MAX_BULK], report)

    def _pending(self, work: PageWork, new: NewIssue) -> LedgerEntry:
        values = page_values(new.item, self.priority_map)
        return LedgerEntry(page_id=work.page.id, origin_identity=new.item.identity, identity=new.item.identity,
                           fingerprint=new.item.fingerprint, state="pending", base_page=values, base_jira=values,
                           want_done=new.want_done)

    def _fields(self, work: PageWork, new: NewIssue) -> dict[str, Any]:
        """The create fields, with a plain-text owner resolved to the one Jira user of that name."""
        item, fields = new.item, dict(new.draft.fields)
        if not item.owner or item.owner_is_user:
            return fields
        account, reason = self._owner(item.owner)
        if account is not None:
            fields["assignee"] = {"accountId": account}
            return fields
        reason = reason or NOT_A_USER + item.owner
        self.unresolved.append((work, new, reason))
        return unassigned_fields(fields, item, work.info, reason)

    def _owner(self, name: str) -> tuple[str | None, str | None]:
        """``(account id, None)`` for exactly one Jira user called ``name``, else ``(None, why not)``."""
        if name not in self._owners:
            try:
                exact, users = self.jira.users_named(name)
            except ServiceError as exc:
                self._owners[name] = (None, f"{NOT_A_USER}could not look {name!r} up ({exc})")
                return self._owners[name]
            person = self.jira.person_id(exact[0]) if len(exact) == 1 else None
            if person:
                self._owners[name] = (person, None)
            elif not exact and not users:
                self._owners[name] = (None, f"{NOT_A_USER}no Jira user is called {name!r}")
            elif not exact and len(users) == 1:  # "Bob" for Bob Chen: likely, but a guess is not an owner
                self._owners[name] = (None, f"{NOT_A_USER}no Jira user is called {name!r} (did you mean "
                                            f"{users[0].get('displayName', '?')}? write the full name or mention them)")
            else:
                candidates = ", ".join(sorted(str(u.get("displayName", "?")) for u in (exact or users)))
                self._owners[name] = (None, f"{NOT_A_USER}{name!r} could be any of: {candidates}")
        return self._owners[name]

    def _file_chunk(self, chunk: list[Queued], report: SyncReport) -> None:
        """One bulk create; after an uncertain failure, adopt what the marker search shows, and leave
        the rest pending (never re-sent on the word of a search that may lag)."""
        try:
            outcomes = self.jira.create_batch([fields for _, _, _, fields in chunk])
        except CreateUncertain as exc:
            unresolved = self._adopt_landed(chunk, report)
            for work, new, _, _ in chunk if unresolved is None else unresolved:
                report.error(work.info, Note(f"maybe not filed ({exc}); a later run adopts the issue if it "
                                             "exists, else files it once the create has settled",
                                             new.item.identity, new.item.summary))
            return
        except ServiceError as exc:
            for work, new, _, _ in chunk:
                report.error(work.info, Note(f"not filed: {exc}", new.item.identity, new.item.summary))
            self.ledger.delete(entry.id for _, _, entry, _ in chunk if entry.id is not None)
            return
        refiled: list[Queued] = []
        for queued, outcome in zip(chunk, outcomes, strict=True):
            work, new, entry, fields = queued
            refused = outcome.fields
            if outcome.key:
                self._created(work, new, entry, outcome.key, report)
            elif refused and set(refused) <= REFUSABLE and set(refused) <= fields.keys():
                reason = _unassignable(refused["assignee"]) if "assignee" in refused else None
                again = refiled_fields(fields, new.item, work.info, drop=set(refused), unassigned=reason)
                if entry.id is not None:  # Jira will not have the page's value: none is known (plan.merge)
                    known = {name: value for name, value in entry.base_jira.items() if name not in refused}
                    self.ledger.update(entry.id, base_jira=known)
                    self._notes[entry.id] = _refusals(fields, refused, reason)
                refiled.append((work, new, entry, again))
            else:
                report.error(work.info, Note(f"not filed: {outcome.error}", new.item.identity, new.item.summary))
                self.ledger.delete([entry.id] if entry.id is not None else [])
        if refiled:
            self._file_again(refiled, report)

    def _file_again(self, refiled: list[Queued], report: SyncReport) -> None:
        """The elements Jira refused only for fields an issue can do without (:data:`REFUSABLE`), sent
        again without them (just those; a second refusal names other fields, and fails them). What was
        left out is reported once the issue exists (:meth:`_created`)."""
        self._file_chunk(refiled, report)

    def _adopt_landed(self, chunk: list[Queued], report: SyncReport) -> list[Queued] | None:
        """After an uncertain create: the marker search tells which of ``chunk`` exist (those it shows
        yet); the rest are returned. None when the search fails too."""
        try:
            found = marker_issues(self.jira, list(dict.fromkeys(work.page.id for work, _, _, _ in chunk)))
        except ServiceError:
            return None
        remaining = []
        for work, new, entry, fields in chunk:
            known = {linked.key for linked in work.planned.linked} | {key for _, key, _ in work.created}
            key = next((issue.key for issue in found.get(work.page.id, [])
                        if issue.origin == new.item.identity and issue.key not in known), None)
            if key is None:
                remaining.append((work, new, entry, fields))
            else:
                self._created(work, new, entry, key, report)
        return remaining

    def _created(self, work: PageWork, new: NewIssue, entry: LedgerEntry, key: str, report: SyncReport) -> None:
        if entry.id is None:
            raise RuntimeError("pending ledger row without an id")
        self.ledger.update(entry.id, state="created", issue_key=key)
        for note in self._notes.pop(entry.id, []):
            report.warn(work.info, Note(note, new.item.identity, new.item.summary, key))
        work.created.append((new, key, entry))
        work.entry_ids[key] = entry.id
        report.created += 1


def _unassignable(message: str) -> str:
    """The ``Unassigned:`` reason for an assignee Jira refused: the owner's account, or the project's
    screen (then no fault of the owner's)."""
    if "cannot be set" in message:
        return NOT_ASSIGNABLE + "the project's screen has no Assignee field (a Jira admin can add it)"
    return NOT_ASSIGNABLE + f"assignee: {message}"


def _refusals(fields: Mapping[str, Any], refused: Mapping[str, str], unassigned: str | None) -> list[str]:
    """The report's notes for an issue filed again without the fields Jira refused."""
    notes = [f"unassigned: {unassigned}"] if unassigned else []
    if "priority" in refused:
        priority = (fields.get("priority") or {}).get("name")
        notes.append(f"filed without a priority: Jira refused {priority!r} ({refused['priority']}); the page's "
                     "priority is in the issue's description (`wikibot check-config` tells what Jira accepts)")
    if "duedate" in refused:
        notes.append(f"filed without a due date: Jira refused {fields.get('duedate')!r} ({refused['duedate']}); "
                     "the page's due date is in the issue's description")
    return notes
