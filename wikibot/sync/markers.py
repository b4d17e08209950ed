"""Which issues wikibot filed for a batch of pages: the marker-label search (``pm-<page>`` labels)."""

from __future__ import annotations

from collections.abc import Sequence

from wikibot.atlassian.jira import JiraGateway
from wikibot.sync.issues import JiraIssue, issue_from_json, page_label

PAGES_PER_SEARCH = 50  # labels per marker search; keeps the JQL short
SEARCH_FIELDS = ("summary", "status", "labels", "duedate", "priority")


def marker_issues(jira: JiraGateway, page_ids: Sequence[str]) -> dict[str, list[JiraIssue]]:
    """Everything wikibot ever filed for these pages, grouped by page: one search per 50 pages."""
    found: dict[str, list[JiraIssue]] = {page_id: [] for page_id in page_ids}
    for start in range(0, len(page_ids), PAGES_PER_SEARCH):
        labels = ", ".join(f'"{page_label(p)}"' for p in page_ids[start:start + PAGES_PER_SEARCH])
        for raw in jira.search(f"labels in ({labels}) order by key asc", SEARCH_FIELDS):
            issue = issue_from_json(raw)
            if issue.page_id in found:
                found[issue.page_id].append(issue)
    return found
