"""The checks of a page's action items: owner, due date, ticket, Jira's state, how many, and the
content under Action items that could not be read as items. Pure, like :mod:`wikibot.audit.checks`.

A declined item (Jira label ``post-mortem-not-doing``, from Slack's *Not doing*) and a done one are
asked for nothing more.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from wikibot.audit.blame import normalise
from wikibot.audit.facts import Finding, PageFacts
from wikibot.audit.rules import Evidence, Rules
from wikibot.pages.names import ACTION_ITEMS
from wikibot.sync.issues import NOT_A_USER

_NOT_RECOGNISED_HINTS = {
    "table": "this table has no column that names the action (Action, Task, What…), so its rows are not "
             "action items: add such a column, or move the table out of the section",
    "text": "write one action per table row, task or list item",
    "macro": "lists inside this macro are not read: move them out of it, one action per row, task or list item",
}


def unrecognised_findings(facts: PageFacts) -> list[Finding]:
    """One finding per piece of Action-items content the page model could not read as items.

    Never silent: a table with no action column, prose lines or a list inside an unknown macro would
    otherwise be neither filed in Jira nor checked, while the section looks filled.
    """
    found = []
    for section, kind, text in facts.unrecognised:
        hint = _NOT_RECOGNISED_HINTS.get(kind, _NOT_RECOGNISED_HINTS["text"])
        found.append(Finding(
            "actions_not_recognised", f"“{text}” under “{section}” is not read as an action item, so it is "
            f"neither filed in Jira nor checked: {hint}.", section=section,
            ref=f"{kind}:{hashlib.sha256(normalise(text).encode()).hexdigest()[:12]}"))
    return found


def _undated(name: str, written: str | None) -> str:
    if written:
        return (f"“{name}” is due “{_short(written)}”, which is not a date wikibot can read: write the date as "
                "YYYY-MM-DD or insert one with “//”, so Jira and the audit know it.")
    return f"“{name}” has no due date: agree one with its owner."


def item_findings(page_id: str, status: str | None, facts: PageFacts, rules: Rules,
                   evidence: Evidence) -> list[Finding]:
    found = []
    syncs = not rules.sync_statuses or (status or "").strip().casefold() in {s.casefold() for s in rules.sync_statuses}
    today = evidence.now.astimezone(rules.timezone).date()
    for item in facts.items:
        key = item.jira_key or evidence.tickets.get((page_id, item.identity))
        state = evidence.jira.get(key) if key else None
        if state is not None and (state.done or state.not_doing):
            continue  # done or declined in Jira, which owns the status: nothing more to ask of it
        name = _short(item.summary)
        if item.done:
            if state is not None:  # the reports and reminders read Jira: they still chase it
                found.append(Finding(
                    "done_on_page_only", f"{key} “{name}” is marked done on the page but is still {state.status} "
                    "in Jira, which wikibot's reports and reminders follow: close it in Jira (or Not doing).",
                    item=name, ref=f"{item.identity}:{key}:done"))
            continue
        if not item.owner:
            found.append(Finding("missing_owner", f"“{name}” has no owner: name one person who will drive it.",
                                 item=name, ref=item.identity))
        if not item.due:
            found.append(Finding("missing_due", _undated(name, item.due_written), item=name, ref=item.identity))
        if key is None:
            seen = evidence.first_seen.get((page_id, item.identity))
            if syncs and seen is not None and evidence.now - seen > rules.sync_interval:
                found.append(Finding(
                    "unsynced_action", f"“{name}” has no Jira ticket {_since(evidence.now - seen)} after it was "
                    "written: check that the sync runs (wikibot sync) or link a ticket.", item=name, ref=item.identity))
            continue
        if state is None and key in evidence.gone:
            found.append(Finding(
                "ticket_not_found", f"{key} “{name}” links a Jira issue that Jira says does not exist (deleted, a "
                "mistyped key, or a project wikibot may not browse): write the key of the issue that tracks it in "
                "the Ticket cell, or file a new one.",
                item=name, ref=f"{item.identity}:{key}:gone"))
            continue
        if state is not None and state.unassigned and not state.done:
            kind = "owner_not_a_user" if state.unassigned.startswith(NOT_A_USER) else "owner_not_assignable"
            found.append(Finding(
                kind, f"{key} “{name}” is unassigned in Jira ({state.unassigned}): name its owner as a Jira user "
                "(a mention), or assign the issue in Jira.", item=name, ref=f"{item.identity}:{key}:owner"))
        due = (state.due if state else None) or item.due
        if state is not None and not state.done and due and date.fromisoformat(due) < today:
            found.append(Finding(
                "overdue_action", f"{key} “{name}” was due {due} and is still {state.status} in Jira: finish it or "
                "agree a new date.", item=name, ref=f"{item.identity}:{key}"))
    if len(facts.items) > rules.max_action_items:
        found.append(Finding(
            "too_many_actions", f"{len(facts.items)} action items (more than {rules.max_action_items}): a small set "
            "that gets done beats a long wish list; move the rest to “Things we should do if we have time”.",
            section=next((t for t, name, _ in facts.named_sections if name == ACTION_ITEMS), None), ref="too_many"))
    return found


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _since(delta: timedelta) -> str:
    if delta >= timedelta(days=2):
        return days_text(delta.days)
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def days_text(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"
