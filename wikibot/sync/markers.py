"""Which issues wikibot filed for a batch of pages: the marker-label search, made consistent.

The marker search (``labels in ("pm-<page>", ...)``) is Jira's enhanced search, which is eventually
consistent: an issue filed or relabelled seconds ago may be missing. So the keys the ledger already
knows for these pages and the search did not return are read by key (consistent) — they are
missing only while the index lags, or when the issue was deleted or moved. An item whose create
has no known outcome is never decided by a search alone: its pending ledger row holds it back
until the settle time (``wikibot.sync.plan``), far longer than the index lags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wikibot.atlassian.jira import JiraGateway
from wikibot.sync.issues import JiraIssue, issue_from_json, page_label

PAGES_PER_SEARCH = 50  # labels per marker search; keeps the JQL short
SEARCH_FIELDS = ("summary", "status", "labels", "duedate", "priority")


def marker_issues(jira: JiraGateway, page_ids: Sequence[str],
                  known: Mapping[str, Sequence[str]] | None = None) -> dict[str, list[JiraIssue]]:
    """Everything wikibot filed for these pages, grouped by page: one search per 50 pages, plus a read
    by key for each ``known`` key (page id → keys from the ledger) that the search did not return."""
    found: dict[str, list[JiraIssue]] = {page_id: [] for page_id in page_ids}
    for start in range(0, len(page_ids), PAGES_PER_SEARCH):
        labels = ", ".join(f'"{page_label(p)}"' for p in page_ids[start:start + PAGES_PER_SEARCH])
        for raw in jira.search(f"labels in ({labels}) order by key asc", SEARCH_FIELDS):
            issue = issue_from_json(raw)
            if issue.page_id in found:
                found[issue.page_id].append(issue)
    seen = {issue.key for issues in found.values() for issue in issues}
    for page_id, keys in (known or {}).items():
        for key in keys:
            if key in seen or page_id not in found:
                continue
            fetched = jira.issue(key, SEARCH_FIELDS)
            if fetched is None:
                continue
            issue = issue_from_json(fetched)
            if issue.page_id == page_id:
                found[page_id].append(issue)
    return found
