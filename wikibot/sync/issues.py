"""From a page's action item to its Jira issue's fields, and the markers that find that issue again.

Pure functions, no HTTP. Every issue wikibot files carries, besides ``post-mortem`` and the
incident label, two marker labels:

* ``pm-<page id>``: one JQL search (``labels in (...)``) returns everything ever filed for a batch
  of pages, so a run adopts what an earlier, interrupted run created instead of filing it again.
  Labels are used because issue properties set over REST are not searchable in JQL.
* ``pmi-<page id>-<identity>``: the item identity at filing time (``[A-Za-z0-9-]`` only, so it is a
  valid label), which tells *which* row an issue belongs to before its key is on the page.

The remote link's ``globalId`` is derived from the same page id and identity, so re-linking after a
lost answer updates the one link instead of adding a second.

Values compared between the page and Jira (``page_values``/``JiraIssue.values``) are always in
Jira's terms — the trimmed summary, an ISO due date, the mapped priority name — so "changed" means
changed as Jira would see it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wikibot.incident import incident_label
from wikibot.pages import ActionItem, PageModel

POSTMORTEM_LABEL = "post-mortem"
PAGE_LABEL_PREFIX = "pm-"
ITEM_LABEL_PREFIX = "pmi-"
MAX_SUMMARY = 255
MAX_LABEL = 255
PUBLISHED = "published"
FIELDS = ("summary", "duedate", "priority")
NOT_DOING_LABEL = "post-mortem-not-doing"
"""On an issue whose owner answered "Not doing" (with a reason, commented on the issue): the page's
Status column then says ``NOT_DOING`` while the issue is not Done."""
NOT_DOING = "Not doing"
OWNER_LINE = "Owner: "
UNASSIGNED_LINE = "Unassigned: "
"""Why an issue has no assignee although its item names an owner; read back by ``wikibot actions``
and the audit (``NOT_ASSIGNABLE`` → ``owner_not_assignable``, ``NOT_A_USER`` → ``owner_not_a_user``)."""
NOT_ASSIGNABLE = "not assignable in Jira: "
NOT_A_USER = "not a Jira user: "

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PageInfo:
    """What sync needs to know about a page besides its items."""

    id: str
    title: str
    url: str
    status: str | None
    incident_label: str | None
    incident: str

    @property
    def published(self) -> bool:
        return (self.status or "").strip().casefold() == PUBLISHED


@dataclass(frozen=True)
class Draft:
    """The Jira ``fields`` for a new issue, and what could not be carried over (for the report)."""

    identity: str
    fields: dict[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class JiraIssue:
    """An issue as the marker search returns it."""

    key: str
    page_id: str | None
    origin: str | None
    """The item identity the issue was filed for (from its ``pmi-`` label)."""
    summary: str
    duedate: str | None
    priority: str | None
    status: str
    done: bool
    not_doing: bool = False

    @property
    def shown_status(self) -> str:
        """What the page's Status column shows: Jira's status, or "Not doing" for a declined open issue."""
        return NOT_DOING if self.not_doing and not self.done else self.status

    def values(self) -> dict[str, str | None]:
        return {"summary": self.summary, "duedate": self.duedate, "priority": self.priority}


def page_info(page_id: str, title: str, url: str, labels: Sequence[str], model: PageModel) -> PageInfo:
    """The page's status (Page Properties "Status") and its incident, from its labels or properties."""
    properties = {key.strip().casefold(): value.strip() for key, value in model.properties.items()}
    incident_id = properties.get("incident") or ""
    label = next((name for name in labels if name.startswith("incident-")), None)
    if label is None and incident_id:
        label = incident_label(incident_id)
    name = incident_id or (label.removeprefix("incident-").upper() if label else title)
    return PageInfo(id=page_id, title=title, url=url, status=properties.get("status") or None,
                    incident_label=label, incident=name)


def page_label(page_id: str) -> str:
    return f"{PAGE_LABEL_PREFIX}{page_id}"


def item_label(page_id: str, identity: str) -> str:
    return f"{ITEM_LABEL_PREFIX}{page_id}-{identity}"[:MAX_LABEL]


def global_id(page_id: str, identity: str) -> str:
    """The remote link's globalId: stable per page and filed item, so a repeat updates the link."""
    return f"wikibot:postmortem:page={page_id}&item={identity}"


def issue_summary(text: str) -> str:
    """One line of at most 255 characters as Jira counts them (Jira rejects longer summaries and
    newlines). Jira measures Java's ``String.length()``: UTF-16 code units, so an emoji counts
    twice, and 255 emoji-laden characters can be refused (``SummarySystemField.validateParams``)."""
    line = _SPACE.sub(" ", text).strip()
    if jira_length(line) <= MAX_SUMMARY:
        return line
    kept, used = [], 0
    for char in line:
        used += jira_length(char)
        if used > MAX_SUMMARY - 1:  # room for the ellipsis
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def jira_length(text: str) -> int:
    """Length in UTF-16 code units, as Jira (Java) measures a field: a character outside the BMP is two."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def jira_priority(text: str | None, priority_map: Mapping[str, str]) -> str | None:
    """The Jira priority for the page's priority text (``jira.priority_map``, lower-case keys)."""
    return priority_map.get(text.strip().lower()) if text else None


def page_values(item: ActionItem, priority_map: Mapping[str, str]) -> dict[str, str | None]:
    """The page-owned fields of ``item`` in Jira's terms."""
    return {"summary": issue_summary(item.summary), "duedate": item.due,
            "priority": jira_priority(item.priority, priority_map)}


def draft_issue(item: ActionItem, page: PageInfo, *, project: str, issue_type: str, labels: Sequence[str],
                priority_map: Mapping[str, str]) -> Draft:
    """The create ``fields`` for ``item``; an unknown priority is left unset and reported."""
    values = page_values(item, priority_map)
    warnings = []
    if item.priority and values["priority"] is None:
        warnings.append(f"priority {item.priority!r} is not in jira.priority_map: left unset")
    if item.due_written:
        warnings.append(f"due date {item.due_written!r} is not a date: left unset")
    all_labels = [POSTMORTEM_LABEL, *([page.incident_label] if page.incident_label else []), *labels,
                  page_label(page.id), item_label(page.id, item.identity)]
    fields: dict[str, Any] = {
        "project": {"key": project},
        "issuetype": {"name": issue_type},
        "summary": values["summary"],
        "description": description(item, page, unmapped_priority=values["priority"] is None),
        "labels": list(dict.fromkeys(all_labels)),
    }
    if item.owner and item.owner_is_user:
        fields["assignee"] = {"accountId": item.owner}
    if values["duedate"]:
        fields["duedate"] = values["duedate"]
    if values["priority"]:
        fields["priority"] = {"name": values["priority"]}
    return Draft(item.identity, fields, tuple(warnings))


REFUSABLE = frozenset({"assignee", "priority", "duedate"})
"""Fields an action item is filed without when Jira refuses them (an owner it will not assign, a field
the project's screen lacks, a priority its scheme lacks): the page's value goes into the description
instead, and the action is filed all the same rather than failing every run."""


def unassigned_fields(fields: Mapping[str, Any], item: ActionItem, page: PageInfo, reason: str) -> dict[str, Any]:
    """The create ``fields`` without an assignee, the owner and ``reason`` written in the description."""
    return refiled_fields(fields, item, page, drop={"assignee"}, unassigned=reason)


def refiled_fields(fields: Mapping[str, Any], item: ActionItem, page: PageInfo, *, drop: Collection[str],
                   unassigned: str | None = None) -> dict[str, Any]:
    """The create ``fields`` without those in ``drop`` (of :data:`REFUSABLE`), the description saying
    what the page has for them (an ``Unassigned:`` reason already written there is kept)."""
    kept = {name: value for name, value in fields.items() if name not in drop}
    reason = unassigned or unassigned_reason(str(fields.get("description") or "").splitlines())
    kept["description"] = description(item, page, unmapped_priority="priority" not in kept and bool(item.priority),
                                      undated="duedate" not in kept, unassigned=reason)
    return kept


def unassigned_reason(description_lines: Sequence[str]) -> str | None:
    """The ``Unassigned:`` reason an issue's description records, if any."""
    return next((line[len(UNASSIGNED_LINE):].strip() for line in description_lines
                 if line.startswith(UNASSIGNED_LINE)), None)


def jira_fields(values: Mapping[str, str | None]) -> dict[str, Any]:
    """Page-owned values (summary, duedate, priority) as an edit's ``fields``."""
    fields: dict[str, Any] = {}
    for name, value in values.items():
        fields[name] = {"name": value} if name == "priority" and value else value
    return fields


def description(item: ActionItem, page: PageInfo, *, unmapped_priority: bool = False, undated: bool = False,
                unassigned: str | None = None) -> str:
    """Plain text (REST v2): where the item comes from, who owns it when that is not a Jira user
    (the ``Owner:`` line is what the actions report reads back) and why it is unassigned, a priority
    or due date Jira could not take, and who owns which field."""
    lines = [f"Action item from the post-mortem of {page.incident}: {page.title}", page.url, ""]
    if item.owner and (not item.owner_is_user or unassigned):
        lines.append(f"{OWNER_LINE}{item.owner if not item.owner_is_user else '@' + item.owner}")
    if unassigned:
        lines.append(f"{UNASSIGNED_LINE}{unassigned}")
    if item.priority and unmapped_priority:
        lines.append(f"Priority on the page: {item.priority}")
    if item.due_written or (undated and item.due):
        lines.append(f"Due on the page: {item.due_written or item.due}")
    lines.append("Filed by wikibot. The page owns the summary, due date and priority (edit them there); "
                 "Jira owns the status.")
    return "\n".join(lines)


def split_identity(identity: str) -> tuple[str, str]:
    """``(position, fingerprint prefix)`` of an item identity such as ``t1r2-0a1b2c3d``."""
    position, _, prefix = identity.rpartition("-")
    return position, prefix


def issue_from_json(issue: Mapping[str, Any]) -> JiraIssue:
    """A search result (``fields=summary,status,labels,duedate,priority``) as a :class:`JiraIssue`."""
    fields = issue.get("fields") or {}
    labels = [str(label) for label in fields.get("labels") or []]
    page_id = next((label[len(PAGE_LABEL_PREFIX):] for label in labels
                    if label.startswith(PAGE_LABEL_PREFIX) and label[len(PAGE_LABEL_PREFIX):].isdigit()), None)
    origin = None
    if page_id is not None:
        prefix = item_label(page_id, "")
        origin = next((label[len(prefix):] for label in labels if label.startswith(prefix)), None)
    status = fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key")
    return JiraIssue(key=str(issue.get("key")), page_id=page_id, origin=origin or None,
                     summary=fields.get("summary") or "", duedate=fields.get("duedate") or None,
                     priority=(fields.get("priority") or {}).get("name"), status=status.get("name") or "",
                     done=category == "done", not_doing=NOT_DOING_LABEL in labels)
