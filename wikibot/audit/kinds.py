"""What each finding kind is called where people read it: one table for the dashboard, the audit's
reports (table, HTML, wiki page, chat) and the README, so a kind is never ``missing_due`` in one
place and "action without due date" in another. The JSON contract keeps the kind keys themselves.
"""

from __future__ import annotations

KIND_LABELS: dict[str, tuple[str, str]] = {
    # kind: (label, what it counts)
    "unreadable": ("Unreadable page", "wikibot cannot parse the page's storage format"),
    "missing_section": ("Missing section", "a required section of the page's template is not on the page"),
    "empty_section": ("Empty section", "a required section has a heading but nothing under it"),
    "placeholder_section": ("Template guidance left", "a required section still holds only the template's guidance"),
    "stale": ("Stale page", "not edited for audit.stale_after_days while a required section is unfinished"),
    "debrief_overdue": ("Debrief overdue", "past the debrief date, no debrief held, status not Debriefed/Published"),
    "missing_owner": ("Missing owner", "an open action item names no owner"),
    "owner_not_assignable": ("Owner not assignable", "the owner's account cannot be assigned in Jira, so the issue "
                             "was filed unassigned"),
    "owner_not_a_user": ("Owner not a Jira user", "the owner is written as a name that matches no single Jira user, "
                         "so the issue was filed unassigned"),
    "missing_due": ("Missing due date", "an open action item has no due date, or one that is not a date"),
    "unsynced_action": ("No Jira ticket",
                        "an action item still has no Jira issue one sync interval after it was written"),
    "ticket_not_found": ("Jira issue not found", "an action's Ticket names a Jira issue that Jira says does "
                         "not exist (deleted, mistyped, or out of wikibot's reach), so nothing tracks it"),
    "overdue_action": ("Action past due", "an action's due date has passed and its Jira issue is neither Done "
                       "nor declined (Not doing)"),
    "done_on_page_only": ("Done only on the page", "an action is marked done on the page (a tick, a checkbox, "
                          "struck through) while its Jira issue is still open"),
    "too_many_actions": ("Too many actions", "more action items than audit.max_action_items"),
    "actions_not_recognised": ("Action not recognised", "content under Action items that is not one action per "
                               "table row, list item or task"),
    "blame_language": ("Blame language", "a sentence that blames a person (audit.blame_phrases)"),
    "timeline_order": ("Timeline out of order", "a timeline row that cannot be read or comes before the row above it"),
}


def kind_label(kind: str, *, capital: bool = True) -> str:
    """The human name of a finding kind; ``capital=False`` for use mid-sentence ("2 missing due date")."""
    label = KIND_LABELS[kind][0] if kind in KIND_LABELS else kind.replace("_", " ").capitalize()
    return label if capital else label[0].lower() + label[1:]


def kind_meaning(kind: str) -> str:
    return KIND_LABELS[kind][1] if kind in KIND_LABELS else ""
