"""Open post-mortem actions across all pages: the list a team reviews every week.

One JQL search (``labels = post-mortem and statusCategory != Done``) gives everything, Confluence is
not asked at all: the page comes from the issue's ``pm-<page id>`` marker label, the incident from
its ``incident-…`` label, an owner who is not a Jira user from the ``Owner:`` line wikibot wrote into
the description. The dashboard reuses :func:`outstanding_actions`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from wikibot.retry import RetryPolicy
from wikibot.sync.issues import (
    NOT_DOING,
    NOT_DOING_LABEL,
    OWNER_LINE,
    PAGE_LABEL_PREFIX,
    POSTMORTEM_LABEL,
    unassigned_reason,
)

if TYPE_CHECKING:
    from wikibot.atlassian.jira import JiraGateway

OUTSTANDING_JQL = f'labels = "{POSTMORTEM_LABEL}" and statusCategory != Done order by duedate asc, key asc'
FIELDS = ("summary", "status", "assignee", "duedate", "labels", "description")
CSV_COLUMNS = ("key", "summary", "status", "owner", "due", "days_overdue", "incident", "page_url", "issue_url",
               "unassigned")


@dataclass(frozen=True)
class Action:
    key: str
    summary: str
    status: str
    owner: str | None
    due: date | None
    days_overdue: int | None
    """Days past the due date (0 when not yet due); None without a due date."""
    incident: str | None
    page_id: str | None
    page_url: str | None
    issue_url: str
    unassigned: str | None = None
    """Why the issue has no assignee although the page names an owner (see ``sync.filing``)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data


def outstanding_actions(jira: JiraGateway, wiki_url: str, today: date, *, retry: RetryPolicy | None = None
                        ) -> list[Action]:
    """Every open post-mortem action, most overdue first, then by due date (none last), then key.

    ``wiki_url`` is Confluence's base URL, for the links to each action's page."""
    jira = jira.with_retry(retry) if retry else jira
    found = [parse_action(raw, jira_url=jira.url, wiki_url=wiki_url, today=today)
             for raw in jira.search(OUTSTANDING_JQL, FIELDS)]
    return sorted(found, key=lambda a: (-(a.days_overdue or 0), a.due is None, a.due or today, a.key))


def parse_action(raw: Mapping[str, Any], *, jira_url: str, wiki_url: str, today: date) -> Action:
    """One search result as an :class:`Action` (pure; descriptions may be ADF or plain text)."""
    fields = raw.get("fields") or {}
    labels = [str(label) for label in fields.get("labels") or []]
    page_id = next((label[len(PAGE_LABEL_PREFIX):] for label in labels
                    if label.startswith(PAGE_LABEL_PREFIX) and label[len(PAGE_LABEL_PREFIX):].isdigit()), None)
    incident = next((label.removeprefix("incident-").upper() for label in labels if label.startswith("incident-")),
                    None)
    assignee = fields.get("assignee") or {}
    owner = assignee.get("displayName") or _owner_line(fields.get("description"))
    due = _date(fields.get("duedate"))
    key = str(raw.get("key"))
    declined = NOT_DOING_LABEL in labels  # its owner said why not (Slack "Not doing"): open, never overdue
    status = NOT_DOING if declined else (fields.get("status") or {}).get("name") or ""
    return Action(
        key=key, summary=fields.get("summary") or "", status=status, owner=owner, due=due,
        days_overdue=(0 if declined else max(0, (today - due).days)) if due else None, incident=incident,
        page_id=page_id, page_url=f"{wiki_url}/pages/viewpage.action?pageId={page_id}" if page_id else None,
        issue_url=f"{jira_url}/browse/{key}",
        unassigned=None if assignee else unassigned_reason(description_lines(fields.get("description"))),
    )


# What spreadsheets read as the start of a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A value as a CSV cell a spreadsheet shows as text: page text anyone may edit must not run."""
    if value is None:
        return ""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def to_csv(actions: Sequence[Action]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for action in actions:
        writer.writerow({k: _cell(v) for k, v in action.to_dict().items()})
    return out.getvalue()


def to_text(actions: Sequence[Action]) -> str:
    """The human report: one line per action, its page link below."""
    if not actions:
        return "No open post-mortem actions."
    lines = []
    for a in actions:
        when = f"due {a.due.isoformat()}" if a.due else "no due date"
        if a.days_overdue:
            when += f" ({a.days_overdue} day{'s' if a.days_overdue != 1 else ''} overdue)"
        owner = a.owner or "no owner"
        if a.unassigned:
            owner += f" (unassigned: {a.unassigned})"
        lines.append(f"{a.key}  {a.status}  {when}  {owner}  {a.incident or '-'}  {a.summary}")
        lines.append(f"    {a.page_url or a.issue_url}")
    return "\n".join(lines)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _owner_line(description: Any) -> str | None:
    for line in description_lines(description):
        if line.startswith(OWNER_LINE):
            return line[len(OWNER_LINE):].strip() or None
    return None


def description_lines(description: Any) -> list[str]:
    """Text lines of a description: plain text (REST v2) or Atlassian Document Format (v3 search)."""
    if isinstance(description, str):
        return description.splitlines()
    if not isinstance(description, dict):
        return []
    lines: list[str] = []
    for block in description.get("content") or []:
        current = ""
        for node in block.get("content") or []:
            if node.get("type") == "hardBreak":
                lines.append(current)
                current = ""
            else:
                current += str(node.get("text") or "")
        lines.append(current)
    return lines
