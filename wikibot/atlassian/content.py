"""Confluence's JSON turned into the typed objects the rest of wikibot works with (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class WikiPage:
    """A page as read from Confluence (body included when it was asked for)."""

    id: str
    title: str
    version: int
    body: str
    url: str
    created: datetime | None = None
    created_by: str | None = None
    modified: datetime | None = None
    modified_by: str | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)
    modified_message: str = ""
    """The last version's comment: wikibot's own saves say ``wikibot: ...`` (``is_wikibot_edit``)."""

    @property
    def edited_by_wikibot(self) -> bool:
        return is_wikibot_edit(self.modified_message)

    @classmethod
    def from_content(cls, content: dict[str, Any], base: str = "") -> WikiPage:
        """From a REST v1 content object (``expand=body.storage,version,history,metadata.labels``)."""
        version = content.get("version") or {}
        history = content.get("history") or {}
        links = content.get("_links") or {}
        labels = ((content.get("metadata") or {}).get("labels") or {}).get("results") or []
        return cls(
            id=str(content["id"]),
            title=content.get("title", ""),
            version=int(version.get("number") or 0),
            body=((content.get("body") or {}).get("storage") or {}).get("value", ""),
            url=(links.get("base") or base) + links.get("webui", ""),
            created=parse_time(history.get("createdDate")),
            created_by=_person(history.get("createdBy")),
            modified=parse_time(version.get("when")),
            modified_by=_person(version.get("by")),
            labels=tuple(label.get("name", "") for label in labels),
            modified_message=str(version.get("message") or ""),
        )


    @classmethod
    def from_v2(cls, page: dict[str, Any], base: str = "") -> WikiPage:
        """From a REST v2 page (``body-format=storage``, ``include-labels=true`` when labels matter).

        v2 names people by account id only (``authorId``), and has no space key on a page.
        """
        version = page.get("version") or {}
        links = page.get("_links") or {}
        labels = (page.get("labels") or {}).get("results") or []
        return cls(
            id=str(page["id"]),
            title=page.get("title", ""),
            version=int(version.get("number") or 0),
            body=((page.get("body") or {}).get("storage") or {}).get("value", ""),
            url=(links.get("base") or base) + links.get("webui", ""),
            created=parse_time(page.get("createdAt")),
            created_by=page.get("authorId"),
            modified=parse_time(version.get("createdAt")),
            modified_by=version.get("authorId"),
            labels=tuple(label.get("name", "") for label in labels),
            modified_message=str(version.get("message") or ""),
        )


def is_wikibot_edit(message: str | None) -> bool:
    """Whether a version comment is one of wikibot's (every save it makes says ``wikibot: ...``)."""
    return (message or "").startswith("wikibot")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _person(user: dict[str, Any] | None) -> str | None:
    if not user:
        return None
    return user.get("displayName") or user.get("publicName") or user.get("accountId") or user.get("username")


def cql_quote(value: str) -> str:
    """A CQL string literal's contents: quotes and backslashes escaped, nothing else spliced."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
