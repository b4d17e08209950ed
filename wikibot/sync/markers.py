"""Which issues wikibot filed for a batch of pages: the marker-label search, made consistent.

The marker search (``labels in ("pm-<page>", ...)``) is Jira's enhanced search, which is eventually
consistent: an issue filed or relabelled seconds ago may be missing, and one changed seconds ago is
found *as it was* ("stale or outdated data", Atlassian's Search and reconcile). So two kinds of
result are read again by key (consistent), for the keys the ledger already knows:

* a known key the search did not return: missing only while the index lags, or when the issue was
  deleted or moved;
* a known issue the search shows otherwise than wikibot last saw it (the Jira values its ledger
  recorded, the status the page shows): Jira changed it, or the index has not caught up with a
  change (wikibot's own edit a moment ago, above all). Believing the stale copy made a second quick
  page edit look like an edit on both sides: reported as a conflict, and the page's edit never
  reached Jira.

Issues that agree with what wikibot saw cost nothing more than the search. An item whose create has
no known outcome is never decided by a search alone: its pending ledger row holds it back until the
settle time (``wikibot.sync.plan``), far longer than the index lags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wikibot.atlassian.jira import JiraGateway
from wikibot.sync.issues import JiraIssue, issue_from_json, page_label

PAGES_PER_SEARCH = 50  # labels per marker search; keeps the JQL short
SEARCH_FIELDS = ("summary", "status", "labels", "duedate", "priority")


@dataclass(frozen=True)
class Seen:
    """What wikibot last saw of an issue it filed (pure data, for :func:`marker_issues`)."""

    values: Mapping[str, Any] = field(default_factory=dict)
    """Page-owned fields as the ledger recorded Jira's (``base_jira``); empty when unknown."""
    status: str | None = None
    """The status the page shows for it (wikibot mirrors Jira's), when the page has a Status cell."""

    def contradicted_by(self, issue: JiraIssue) -> bool:
        found = issue.values()
        if any(found.get(name) != value for name, value in self.values.items()):
            return True
        return bool(self.status) and str(self.status).strip().casefold() != issue.shown_status.casefold()


def marker_issues(jira: JiraGateway, page_ids: Sequence[str],
                  known: Mapping[str, Mapping[str, Seen]] | None = None) -> dict[str, list[JiraIssue]]:
    """Everything wikibot filed for these pages, grouped by page: one search per 50 pages, plus a read
    by key for each ``known`` issue (page id → key → what wikibot last saw of it) that the search did
    not return, or returned otherwise than wikibot saw it."""
    found: dict[str, list[JiraIssue]] = {page_id: [] for page_id in page_ids}
    known = known or {}
    for start in range(0, len(page_ids), PAGES_PER_SEARCH):
        labels = ", ".join(f'"{page_label(p)}"' for p in page_ids[start:start + PAGES_PER_SEARCH])
        for raw in jira.search(f"labels in ({labels}) order by key asc", SEARCH_FIELDS):
            issue = issue_from_json(raw)
            if issue.page_id not in found:
                continue
            seen = known.get(issue.page_id, {}).get(issue.key)
            if seen is not None and seen.contradicted_by(issue):
                continue  # read by key below, as if the search had not returned it
            found[issue.page_id].append(issue)
    returned = {issue.key for issues in found.values() for issue in issues}
    for page_id, keys in known.items():
        for key in keys:
            if key in returned or page_id not in found:
                continue
            fetched = jira.issue(key, SEARCH_FIELDS)
            if fetched is None:
                continue
            issue = issue_from_json(fetched)
            if issue.page_id == page_id:
                found[page_id].append(issue)
    return found
