"""What one sync does for one page: pure decisions, no HTTP, no database.

Inputs are the page's action items, the page's ledger rows and the issues the marker search found
for the page; the output is a :class:`PagePlan` that the runner carries out. Keeping this pure is
what lets the hard part — never a duplicate, never a clobbered edit — be tested exhaustively
without servers.

**Binding items to issues.** An issue is identified by its key; an item by its identity, which
changes when the row moves or is reworded. Items are bound, each pass only among what is still
free: (1) the key in the item's ticket cell; then, for items without a key, (2) the identity the
ledger or the issue's ``pmi-`` label recorded, (3) the summary's fingerprint, (4) the same position
with a similar summary, (5) a very similar summary anywhere (moved *and* reworded). An item that
binds gets no new issue — this is how a run after a crash or a lost response *adopts* what was
filed instead of filing again. A key on the page that wikibot never
filed is "already synced" and left alone.

**Field ownership.** The page owns summary, due date and priority; Jira owns the status. For each
page-owned field :func:`merge` compares both sides with what each said at the last sync: only the
page changed → push it to Jira; only Jira changed → leave it; both changed to different values →
keep Jira's and report a conflict (once: the bases then move on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from wikibot.pages import ActionItem, Edit
from wikibot.pages.model import TableSpot
from wikibot.pages.wording import normalised_words
from wikibot.store.ledger import LedgerEntry
from wikibot.sync.issues import FIELDS, Draft, JiraIssue, PageInfo, draft_issue, page_values, split_identity

_SIMILAR_ENOUGH = 0.5  # same position: a reworded row
_VERY_SIMILAR = 0.8  # anywhere on the page: a row moved *and* reworded
Values = Mapping[str, Any]


@dataclass(frozen=True)
class Rules:
    """Configuration and clock the planner needs (from ``jira.*`` and ``sync.*``)."""

    project: str
    issue_type: str = "Task"
    labels: tuple[str, ...] = ()
    priority_map: Mapping[str, str] = field(default_factory=dict)
    update_issues: bool = True
    now: datetime | None = None
    settle: timedelta = timedelta(minutes=10)
    """How long a create whose outcome is unknown is waited for before the item is filed again."""


@dataclass(frozen=True)
class Note:
    """One line of the report about an item, an issue or the page."""

    reason: str
    item: str | None = None
    summary: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Conflict:
    field: str
    page_value: Any
    jira_value: Any


@dataclass(frozen=True)
class NewIssue:
    """An item that needs an issue."""

    item: ActionItem
    draft: Draft
    want_done: bool
    flagged: bool
    stale: LedgerEntry | None = None
    """A pending row of an earlier attempt that settled with no issue found: replaced by this create."""


@dataclass(frozen=True)
class Linked:
    """An item that already has an issue, and what this run does about it."""

    item: ActionItem
    key: str
    origin: str
    entry: LedgerEntry | None
    issue: JiraIssue | None
    write_key: bool
    status: str | None
    link: bool
    done: bool
    update: dict[str, Any]
    conflicts: tuple[Conflict, ...]
    base_page: dict[str, Any]
    base_jira: dict[str, Any]

    @property
    def record(self) -> bool:
        """True when the ledger has no finished row for this issue yet (adoption)."""
        return self.entry is None or self.entry.state != "created"

    def edit(self) -> Edit | None:
        if self.write_key or self.status:
            return Edit(self.item, self.key if self.write_key else None, self.status)
        return None


@dataclass
class PagePlan:
    page: PageInfo
    new: list[NewIssue] = field(default_factory=list)
    linked: list[Linked] = field(default_factory=list)
    foreign: list[ActionItem] = field(default_factory=list)
    skipped: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    expired: list[LedgerEntry] = field(default_factory=list)
    """Pending rows whose item is gone and whose create never showed up in Jira: safe to forget."""

    @property
    def already_synced(self) -> int:
        return len(self.linked) + len(self.foreign)

    def describe(self) -> list[dict[str, Any]]:
        """What the plan would do, one entry per action (the ``--dry-run`` output)."""
        out: list[dict[str, Any]] = []
        for new in self.new:
            out.append({"action": "create", "item": new.item.identity, "summary": new.draft.fields["summary"],
                        **({"then": "transition to Done"} if new.want_done else {})})
        for linked in self.linked:
            base = {"key": linked.key, "item": linked.item.identity}
            if linked.record:
                out.append({"action": "adopt", **base})
            if linked.link:
                out.append({"action": "link", **base})
            if linked.update:
                out.append({"action": "update", **base, "fields": dict(linked.update)})
            if linked.done:
                out.append({"action": "transition", **base, "to": "Done"})
            if linked.write_key:
                out.append({"action": "write key", **base})
            if linked.status:
                out.append({"action": "write status", **base, "status": linked.status})
            if linked.conflicts:
                out.append({"action": "comment conflict", **base, "fields": [c.field for c in linked.conflicts]})
        return [{"page": self.page.id, "title": self.page.title, **entry} for entry in out]


def mirrors_status(item: ActionItem) -> bool:
    """True when the item's table has a Status column the page model can write."""
    return isinstance(item.spot, TableSpot) and item.spot.status_cell is not None


def merge(page_now: Values, page_base: Values, jira_now: Values, jira_base: Values, *,
          update_issues: bool = True) -> tuple[dict[str, Any], tuple[Conflict, ...], dict[str, Any], dict[str, Any]]:
    """Three-way merge of the page-owned fields: ``(update, conflicts, new page base, new Jira base)``.

    A field is pushed to Jira only when the page changed it and Jira did not; a missing summary or
    priority is never pushed (Jira would refuse or lose information). When both changed to different
    values, Jira's stays and a conflict is reported. The new bases make the same inputs quiet next time.
    A field missing from ``jira_base`` has no known Jira value (Jira refused the page's: sync filed or
    edited the issue without it), and whatever Jira has now counts as unchanged.
    """
    update: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    for name in FIELDS:
        page, jira = page_now.get(name), jira_now.get(name)
        page_changed = page != page_base.get(name)
        jira_changed = name in jira_base and jira != jira_base[name]
        if not (update_issues and page_changed and page != jira):
            continue
        if jira_changed:
            conflicts.append(Conflict(name, page, jira))
        elif page is not None or name == "duedate":
            update[name] = page
    new_jira = {name: update.get(name, jira_now.get(name)) for name in FIELDS}
    return update, tuple(conflicts), {name: page_now.get(name) for name in FIELDS}, new_jira


@dataclass
class _Record:
    """An issue wikibot filed for this page, known from the ledger, the marker search, or both."""

    key: str
    entry: LedgerEntry | None
    issue: JiraIssue | None

    @property
    def identities(self) -> set[str]:
        found = {self.entry.identity, self.entry.origin_identity} if self.entry else set()
        if self.issue and self.issue.origin:
            found.add(self.issue.origin)
        return found

    @property
    def summary(self) -> str:
        if self.issue is not None:
            return self.issue.summary
        return str((self.entry.base_page if self.entry else {}).get("summary") or "")

    def fingerprint_matches(self, item: ActionItem) -> bool:
        if self.entry is not None and self.entry.fingerprint == item.fingerprint:
            return True
        return any(split_identity(i)[1] == item.fingerprint[:8] for i in self.identities)

    def position_matches(self, item: ActionItem) -> bool:
        return (any(split_identity(i)[0] == item.position for i in self.identities)
                and _similar(self.summary, item.summary))


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, normalised_words(a), normalised_words(b)).ratio()


def _similar(a: str, b: str) -> bool:
    return _ratio(a, b) >= _SIMILAR_ENOUGH


def _records(entries: Sequence[LedgerEntry], issues: Sequence[JiraIssue]) -> tuple[list[_Record], list[LedgerEntry]]:
    """Records by key (ledger + search, merged) and the pending rows no issue accounts for."""
    by_key: dict[str, _Record] = {e.issue_key: _Record(e.issue_key, e, None)
                                  for e in entries if e.state == "created" and e.issue_key}
    pending = [e for e in entries if e.state == "pending"]
    for issue in issues:
        if issue.key in by_key:
            by_key[issue.key].issue = issue
            continue
        entry = next((e for e in pending if issue.origin is not None and e.origin_identity == issue.origin), None)
        if entry is not None:
            pending.remove(entry)
        by_key[issue.key] = _Record(issue.key, entry, issue)
    return list(by_key.values()), pending


def _bind(items: Sequence[ActionItem], records: list[_Record]) -> tuple[dict[int, _Record], list[ActionItem]]:
    """Item index → record, and the items whose key wikibot never filed (see the module docstring)."""
    free = list(records)
    bound: dict[int, _Record] = {}
    by_key = {r.key: r for r in records}

    def filed_for(item: ActionItem) -> bool:
        record = by_key.get(item.jira_key or "")
        return record is not None and (item.identity in record.identities or record.fingerprint_matches(item))

    keyed = sorted((index for index, item in enumerate(items) if item.jira_key is not None),
                   key=lambda index: not filed_for(items[index]))
    for index in keyed:  # a key pasted into a second row: the row the issue was filed for wins
        record = next((r for r in free if r.key == items[index].jira_key), None)
        if record is not None:
            bound[index] = record
            free.remove(record)
    foreign = [item for index, item in enumerate(items) if item.jira_key is not None and index not in bound]
    passes = (lambda r, i: i.identity in r.identities, _Record.fingerprint_matches, _Record.position_matches,
              lambda r, i: _ratio(r.summary, i.summary) >= _VERY_SIMILAR)
    for matches in passes:
        for index, item in enumerate(items):
            if item.jira_key is not None or index in bound:
                continue
            candidates = [r for r in free if matches(r, item)]
            if candidates:
                record = max(candidates, key=lambda r: (item.identity in r.identities, _ratio(r.summary, item.summary)))
                bound[index] = record
                free.remove(record)
    return bound, foreign


def _linked(item: ActionItem, record: _Record, rules: Rules) -> Linked:
    entry, issue = record.entry, record.issue
    origin = (entry.origin_identity if entry else None) or (issue.origin if issue else None) or item.identity
    page_now = page_values(item, rules.priority_map)
    update: dict[str, Any] = {}
    conflicts: tuple[Conflict, ...] = ()
    adopting = entry is None or entry.state != "created" or not entry.base_jira
    if adopting and issue is not None:
        # An issue whose filing was cut short (or whose ledger was lost) is adopted against the
        # values it was filed with — the pending row's, else the issue's own — so a row reworded
        # since still reaches Jira.
        filed_with = dict(entry.base_page) if entry is not None and entry.base_page else issue.values()
        update, conflicts, base_page, base_jira = merge(page_now, filed_with, issue.values(), issue.values(),
                                                        update_issues=rules.update_issues)
    elif adopting or entry is None:  # (entry is None implies adopting; says so to the type checker)
        base_page, base_jira = dict(page_now), {}
    elif issue is None:
        base_page, base_jira = dict(entry.base_page), dict(entry.base_jira)
    else:
        update, conflicts, base_page, base_jira = merge(page_now, entry.base_page, issue.values(), entry.base_jira,
                                                        update_issues=rules.update_issues)
    status = None
    if issue is not None and mirrors_status(item) and \
            (item.status or "").strip().casefold() != issue.shown_status.casefold():
        status = issue.shown_status
    return Linked(
        item=item, key=record.key, origin=origin, entry=entry, issue=issue, write_key=item.jira_key is None,
        status=status, link=entry is None or not entry.linked,
        done=bool(entry and entry.want_done and issue is not None and not issue.done),
        update=update, conflicts=conflicts, base_page=base_page, base_jira=base_jira,
    )


def _settled(entry: LedgerEntry, rules: Rules) -> bool:
    return rules.now is None or entry.created_at is None or rules.now - entry.created_at >= rules.settle


def plan_page(page: PageInfo, items: Sequence[ActionItem], entries: Sequence[LedgerEntry],
              issues: Sequence[JiraIssue], rules: Rules) -> PagePlan:
    """Everything one sync should do for one page (see the module docstring)."""
    plan = PagePlan(page)
    records, pending = _records(entries, issues)
    bound, plan.foreign = _bind(items, records)
    synced_before = bool(entries or issues or any(item.jira_key for item in items))
    for index, item in enumerate(items):
        if index in bound:
            linked = _linked(item, bound[index], rules)
            plan.linked.append(linked)
            if linked.issue is None:
                plan.warnings.append(Note("the marker search did not return this issue (deleted, moved, or "
                                          "Jira's index is behind); its key is kept", item.identity,
                                          item.summary, linked.key))
            continue
        if item.jira_key is not None:
            continue
        if not item.summary.strip():
            plan.skipped.append(Note("no summary yet", item.identity))
            continue
        stale = next((e for e in pending if item.identity in (e.identity, e.origin_identity)
                      or e.fingerprint == item.fingerprint), None)
        if stale is not None:
            pending.remove(stale)
            if not _settled(stale, rules):
                plan.skipped.append(Note(f"a create sent at {stale.created_at:%Y-%m-%d %H:%M:%S} UTC has no known "
                                         "outcome yet; it is adopted when Jira shows it, or filed again later",
                                         item.identity, item.summary))
                continue
        draft = draft_issue(item, page, project=rules.project, issue_type=rules.issue_type, labels=rules.labels,
                            priority_map=rules.priority_map)
        flagged = page.published and synced_before
        plan.new.append(NewIssue(item, draft, want_done=item.done is True, flagged=flagged, stale=stale))
        plan.warnings.extend(Note(w, item.identity, item.summary) for w in draft.warnings)
        if flagged:
            plan.warnings.append(Note("added after the page was published", item.identity, item.summary))
    plan.expired = [e for e in pending if _settled(e, rules)]
    claimed = {id(record) for record in bound.values()}
    for record in records:
        if id(record) in claimed:
            continue
        relinked = next((item for item in plan.foreign if item.identity in record.identities
                         or record.fingerprint_matches(item)), None)
        reason = (f"its row now links {relinked.jira_key}" if relinked else "its row is no longer on the page")
        plan.warnings.append(Note(f"{reason}; the issue is left alone", summary=record.summary, key=record.key))
    return plan
