"""The state of one page as it goes through a sync run, shared by the run's steps.

Each step (``runner``, ``filing``, ``finishing``) records on the page's :class:`PageWork` what it
did, and the last step turns that into one ledger update per issue — so a step that fails for one
issue or page leaves the ledger saying exactly what is still to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wikibot.atlassian.content import WikiPage
from wikibot.pages import ActionItem, Edit
from wikibot.store.ledger import LedgerEntry
from wikibot.sync.issues import PageInfo
from wikibot.sync.plan import NewIssue, PagePlan


def lease_name(page_id: str) -> str:
    """The lease a sync holds while it works on a page (``store.locks``)."""
    return f"sync-page:{page_id}"


@dataclass
class PageWork:
    """One page going through a batch, and what happened to it so far."""

    page: WikiPage
    info: PageInfo
    items: list[ActionItem]
    lease: str | None = None
    plan: PagePlan | None = None
    failed: bool = False
    created: list[tuple[NewIssue, str, LedgerEntry]] = field(default_factory=list)
    """New issues of this run: (what was planned, its key, its ledger row)."""
    entry_ids: dict[str, int] = field(default_factory=dict)
    """Issue key → its ledger row."""
    transitioned: set[str] = field(default_factory=set)
    unsettled: set[str] = field(default_factory=set)
    """Keys whose page edits did not reach Jira: their ledger bases stay, so the next run retries."""
    refused: dict[str, set[str]] = field(default_factory=dict)
    """Key → fields of its edit Jira refused by name: not retried, and no longer known on Jira's side."""
    changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Ledger row id → fields to store once the page is done."""
    edits: list[Edit] = field(default_factory=list)

    @property
    def planned(self) -> PagePlan:
        if self.plan is None:
            raise RuntimeError(f"page {self.page.id} was not planned")
        return self.plan

    def ledger_changes(self, key: str) -> dict[str, Any]:
        """The pending ledger changes of ``key``'s row (a throwaway dict when it has none)."""
        return self.changes.setdefault(self.entry_ids[key], {}) if key in self.entry_ids else {}
