"""Jira's wire format for issues, users and comments, including the ``fields`` selection rules.

REST v2 returns ``description`` and comment bodies as plain strings; v3 (which the library's cloud
search uses: ``/rest/api/3/search/jql``) returns them as Atlassian Document Format. The sandbox
reproduces that difference because wikibot reading ``description`` from a search result gets ADF
in production too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import escape

from service_sandbox import datacenter, jira_store
from service_sandbox import jira_catalog as catalog
from service_sandbox.jql_eval import IssueRecord

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
FIELD_NAMES = {
    "summary": "Summary", "issuetype": "Issue Type", "project": "Project", "status": "Status",
    "priority": "Priority", "labels": "Labels", "assignee": "Assignee", "reporter": "Reporter",
    "description": "Description", "duedate": "Due date", "created": "Created", "updated": "Updated",
    "resolution": "Resolution", "resolutiondate": "Resolved", "comment": "Comment",
}
ALL_FIELDS = tuple(FIELD_NAMES)
NAVIGABLE_FIELDS = tuple(f for f in ALL_FIELDS if f != "comment")


def jira_time(moment: datetime | None) -> str | None:
    """Jira's timestamp format: ``2024-07-02T10:15:30.123+0000``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def select_fields(spec: str | Sequence[str] | None, default: str) -> tuple[str, ...]:
    """Resolve a ``fields`` parameter (``*all``, ``*navigable``, ``*none``, names, ``-name``).

    Unknown names are ignored, as Jira ignores them; ``id``/``key`` are top-level, never fields.
    """
    tokens = spec.split(",") if isinstance(spec, str) else list(spec or [])
    tokens = [str(t).strip() for t in tokens if str(t).strip()] or [default]
    chosen: list[str] = []
    excluded = set()
    for token in tokens:
        if token == "*all":
            chosen.extend(ALL_FIELDS)
        elif token == "*navigable":
            chosen.extend(NAVIGABLE_FIELDS)
        elif token.startswith("-"):
            excluded.add(token[1:])
        elif token in FIELD_NAMES:
            chosen.append(token)
    return tuple(dict.fromkeys(f for f in chosen if f not in excluded))


def adf(text: str | None) -> dict[str, Any] | None:
    """Plain text as an Atlassian Document Format doc: blank lines split paragraphs, newlines break."""
    if text is None:
        return None
    paragraphs = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        content: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


@dataclass(frozen=True)
class Renderer:
    """Renders for one request: the site URL, the API version asked for, and looked-up people."""

    base: str
    api_version: int
    projects: Mapping[str, sqlite3.Row]  # by key
    users: Mapping[str, sqlite3.Row]  # by account id

    def user(self, account_id: str | None) -> dict[str, Any] | None:
        if account_id is None:
            return None
        row = self.users.get(account_id)
        if datacenter.enabled():
            return datacenter.jira_user_json(row, self.base)
        avatar = f"{self.base}/secure/useravatar?accountId={account_id}"
        return {
            "self": f"{self.base}/rest/api/2/user?accountId={account_id}", "accountId": account_id,
            "accountType": "atlassian", "emailAddress": row["email"] if row else None,
            "avatarUrls": {size: f"{avatar}&size={size}" for size in ("48x48", "24x24", "16x16", "32x32")},
            "displayName": row["display_name"] if row else "Former user",
            "active": bool(row["active"]) if row else False, "timeZone": "Etc/UTC",
        }

    def text(self, value: str | None) -> str | dict[str, Any] | None:
        return adf(value) if self.api_version >= 3 else value

    def project(self, key: str) -> dict[str, Any]:
        row = self.projects[key]
        return {"self": f"{self.base}/rest/api/2/project/{row['id']}", "id": row["id"], "key": row["key"],
                "name": row["name"], "projectTypeKey": "software", "simplified": True}

    def comment(self, issue_id: int, row: sqlite3.Row) -> dict[str, Any]:
        author = self.user(row["author"])
        return {"self": f"{self.base}/rest/api/{self.api_version}/issue/{issue_id}/comment/{row['id']}",
                "id": str(row["id"]), "author": author, "body": self.text(row["body"]), "updateAuthor": author,
                "created": jira_time(datetime.fromisoformat(row["created"])),
                "updated": jira_time(datetime.fromisoformat(row["updated"])), "jsdPublic": True}

    def comment_page(self, issue_id: int, rows: Sequence[sqlite3.Row], start: int = 0,
                     limit: int | None = None) -> dict[str, Any]:
        window = list(rows[start:] if limit is None else rows[start:start + limit])
        return {"self": f"{self.base}/rest/api/{self.api_version}/issue/{issue_id}/comment",
                "startAt": start, "maxResults": len(window) if limit is None else limit,
                "total": len(rows), "comments": [self.comment(issue_id, row) for row in window]}

    def fields(self, record: IssueRecord, names: Iterable[str],
               comments: Sequence[sqlite3.Row] = ()) -> dict[str, Any]:
        status = catalog.by_name(catalog.STATUSES, record.status) or catalog.TO_DO_STATUS
        priority = catalog.by_name(catalog.PRIORITIES, record.priority)
        issuetype = catalog.by_name(catalog.ISSUE_TYPES, record.issuetype)
        values: dict[str, Callable[[], Any]] = {
            "summary": lambda: record.summary,
            "issuetype": lambda: catalog.issuetype_json(self.base, issuetype) if issuetype else None,
            "project": lambda: self.project(record.project),
            "status": lambda: catalog.status_json(self.base, status),
            "priority": lambda: catalog.priority_json(self.base, priority) if priority else None,
            "labels": lambda: sorted(record.labels),
            "assignee": lambda: self.user(record.assignee),
            "reporter": lambda: self.user(record.reporter),
            "description": lambda: self.text(record.description),
            "duedate": lambda: record.duedate.isoformat() if record.duedate else None,
            "created": lambda: jira_time(record.created),
            "updated": lambda: jira_time(record.updated),
            "resolution": lambda: (catalog.resolution_json(self.base, catalog.RESOLUTION_DONE)
                                   if record.resolution else None),
            "resolutiondate": lambda: jira_time(record.resolutiondate),
            "comment": lambda: self.comment_page(record.id, comments),
        }
        return {name: values[name]() for name in names}

    def issue(self, record: IssueRecord, names: Iterable[str], expand: Iterable[str] = (),
              comments: Sequence[sqlite3.Row] = (), properties: Mapping[str, Any] | None = None
              ) -> dict[str, Any]:
        """The issue bean: ``expand``, ``id``, ``self``, ``key``, ``fields`` and requested extras."""
        names = tuple(names)
        body: dict[str, Any] = {
            "expand": ISSUE_EXPAND, "id": str(record.id),
            "self": f"{self.base}/rest/api/{self.api_version}/issue/{record.id}", "key": record.key,
            "fields": self.fields(record, names, comments),
        }
        expand = set(expand)
        if "names" in expand:
            body["names"] = {name: FIELD_NAMES[name] for name in names}
        if "renderedFields" in expand:
            body["renderedFields"] = self.rendered_fields(record, names)
        if "transitions" in expand:
            body["transitions"] = [catalog.transition_json(self.base, status) for status in catalog.STATUSES
                                   if status.name != record.status]
        if properties is not None:
            body["properties"] = dict(properties)
        return body

    def rendered_fields(self, record: IssueRecord, names: Iterable[str]) -> dict[str, Any]:
        """``expand=renderedFields``: description as escaped HTML paragraphs, other fields as-is."""
        rendered: dict[str, Any] = {name: None for name in names}
        if "description" in rendered and record.description:
            rendered["description"] = "".join(
                f"<p>{escape(block)}</p>".replace("\n", "<br/>\n") for block in record.description.split("\n\n"))
        return rendered



def property_subset(values: Mapping[str, Any], spec: str | Sequence[str] | None) -> dict[str, Any] | None:
    """The ``properties`` parameter of get/search: ``*all``, names and ``-name``; None when absent."""
    if spec is None:
        return None
    tokens = spec.split(",") if isinstance(spec, str) else [str(t) for t in spec]
    chosen: set[str] = set()
    for token in (t.strip() for t in tokens if t.strip()):
        if token == "*all":
            chosen.update(values)
        elif token.startswith("-"):
            chosen.discard(token[1:])
        else:
            chosen.add(token)
    return {key: values[key] for key in sorted(chosen) if key in values}


def render_issues(conn: sqlite3.Connection, renderer: Renderer, records: Sequence[IssueRecord],
                  names: Sequence[str], expand: Iterable[str] = (),
                  property_spec: str | Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Render a page of issues, fetching comments and properties for the whole page at once."""
    ids = [r.id for r in records]
    comments = jira_store.comments(conn, ids) if "comment" in names and ids else {}
    expand = tuple(expand)
    return [renderer.issue(record, names, expand, comments.get(record.id, ()),
                           property_subset(jira_store.properties(conn, record.id), property_spec)
                           if property_spec is not None else None)
            for record in records]


def renderer_for(conn: sqlite3.Connection, base: str, api_version: int) -> Renderer:
    return Renderer(base, api_version, {row["key"]: row for row in jira_store.projects(conn)},
                    jira_store.users(conn))
