"""Jira issues behind the example post-mortems, so the keys they cite (OPS-1 …) exist.

The examples were written as if wikibot had already synced them: their Ticket cells hold keys.
Seeding the matching issues (summary, assignee, due date, Done when the page says so, the
``post-mortem`` label) makes the sandbox consistent: `wikibot actions`, the audit's overdue check
and the dashboard see the same world a real site would show.
"""

from __future__ import annotations

import re
from datetime import date

from wikibot.sandbox import jira_catalog as catalog
from wikibot.sandbox import jira_store
from wikibot.sandbox.store import SandboxStore

_KEY = re.compile(r"^OPS-(\d+)$")


def seed_example_issues(store: SandboxStore) -> None:
    """Create OPS-1 … OPS-n for the keys the example pages cite (once)."""
    from wikibot.pages import PageParseError, parse_page
    from wikibot.sandbox.examples import EXAMPLE_PAGES

    if store.is_seeded("jira-examples"):
        return
    cited: dict[int, object] = {}
    markers: dict[int, list[str]] = {}
    for page in EXAMPLE_PAGES:
        try:
            model = parse_page(page.body)
        except PageParseError:
            continue
        page_labels = _page_markers(store, page.title, model.properties.get("Incident", ""))
        for item in model.action_items:
            match = _KEY.match(item.jira_key or "")
            if match:
                cited.setdefault(int(match.group(1)), item)
                markers.setdefault(int(match.group(1)), page_labels)
    if not cited:
        return
    users = {row["account_id"] for row in store.users()}
    now = store.now()
    done = next(s for s in catalog.STATUSES if s.category is catalog.DONE)
    with store.tx() as conn:
        for number in range(1, max(cited) + 1):
            item = cited.get(number)
            summary = getattr(item, "summary", None) or f"Operations task {number}"
            due = getattr(item, "due", None)
            owner = getattr(item, "owner", None)
            columns = {"summary": summary[:255], "issuetype_id": catalog.ISSUE_TYPES[0].id,
                       "priority_id": catalog.DEFAULT_PRIORITY.id,
                       "assignee": owner if owner in users else None, "reporter": "557058:wb00",
                       "duedate": date.fromisoformat(due).isoformat() if due else None}
            labels = ["post-mortem", *markers.get(number, [])] if item is not None else []
            issue_id, _ = jira_store.insert_issue(conn, store, "10000", columns, labels, now)
            if getattr(item, "done", None):
                jira_store.update_issue(conn, issue_id, jira_store.status_columns(done, now), now)
        store.mark_seeded(conn, "jira-examples")


def _page_markers(store: SandboxStore, title: str, incident: str) -> list[str]:
    """The labels wikibot's sync puts on an issue: its page (``pm-<id>``) and its incident."""
    from wikibot.incident import incident_label

    with store.read() as conn:
        row = conn.execute("SELECT id FROM cf_content WHERE title = ? AND type = 'page'", (title,)).fetchone()
    labels = [f"pm-{row['id']}"] if row else []
    label = incident_label(incident) if incident else None
    return labels + ([label] if label else [])
