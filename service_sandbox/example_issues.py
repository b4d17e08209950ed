"""Jira issues behind the example post-mortems, so the keys they cite (OPS-1 …) exist.

The examples were written as if wikibot had already synced them: their Ticket cells hold keys.
Seeding the matching issues (summary, assignee, due date, Done when the page says so, the
``post-mortem`` label and the markers wikibot's sync puts on its issues) makes the sandbox
consistent: `wikibot actions`, the audit's overdue check and the dashboard see the same world a
real site would show.

The issues are data (``examples/issues.json``) rather than parsed out of the pages, so the
sandbox never imports wikibot: it is an emulator of the services, not a client of them.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

from service_sandbox import jira_catalog as catalog
from service_sandbox import jira_store
from service_sandbox.store import SandboxStore


def example_issues() -> list[dict[str, object]]:
    """The issues the example pages cite, in key order (OPS-1 first)."""
    text = resources.files("service_sandbox.examples").joinpath("issues.json").read_text(encoding="utf-8")
    rows: list[dict[str, object]] = json.loads(text)
    return rows


def seed_example_issues(store: SandboxStore) -> None:
    """Create OPS-1 … OPS-n for the keys the example pages cite (once)."""
    if store.is_seeded("jira-examples"):
        return
    cited = {int(str(row["key"]).removeprefix("OPS-")): row for row in example_issues()}
    if not cited:
        return
    users = {row["account_id"] for row in store.users()}
    now = store.now()
    done = next(s for s in catalog.STATUSES if s.category is catalog.DONE)
    with store.tx() as conn:
        for number in range(1, max(cited) + 1):
            item = cited.get(number)
            summary = str(item["summary"]) if item and item.get("summary") else f"Operations task {number}"
            due = item.get("due") if item else None
            owner = item.get("owner") if item else None
            columns = {"summary": summary[:255], "issuetype_id": catalog.ISSUE_TYPES[0].id,
                       "priority_id": catalog.DEFAULT_PRIORITY.id,
                       "assignee": owner if owner in users else None, "reporter": "557058:wb00",
                       "duedate": date.fromisoformat(str(due)).isoformat() if due else None}
            labels = ["post-mortem", *_page_markers(store, item)] if item is not None else []
            issue_id, _ = jira_store.insert_issue(conn, store, "10000", columns, labels, now)
            if item and item.get("done"):
                jira_store.update_issue(conn, issue_id, jira_store.status_columns(done, now), now)
        store.mark_seeded(conn, "jira-examples")


def _page_markers(store: SandboxStore, item: dict[str, object]) -> list[str]:
    """The labels wikibot's sync puts on an issue: its page (``pm-<id>``) and its incident."""
    with store.read() as conn:
        row = conn.execute("SELECT id FROM cf_content WHERE title = ? AND type = 'page'",
                           (item["page_title"],)).fetchone()
    labels = [f"pm-{row['id']}"] if row else []
    label = item.get("incident_label")
    return labels + ([str(label)] if label else [])
