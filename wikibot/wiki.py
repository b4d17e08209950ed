"""Reading and writing post-mortem pages on Confluence: the I/O both sync and audit stand on.

Listing uses one CQL search with the bodies expanded, following ``_links.next`` (50 pages per
request when bodies are expanded: Confluence's cap), so N post-mortems cost ⌈N/50⌉ requests
rather than 1 + N. Writes are optimistic: a PUT carries the version we read plus one, and a 409
(someone saved meanwhile) is reported as ``VersionConflict`` for the caller to re-read and
re-apply only its own edits — a person's edit is never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from atlassian import ConfluenceServer

from wikibot.clients import service_error
from wikibot.errors import ServiceError
from wikibot.retry import RetryPolicy, status_of

PAGE_EXPAND = "body.storage,version,history,metadata.labels"
LIST_LIMIT = 50  # Confluence's cap for searches that expand bodies


class VersionConflict(ServiceError):
    """The page changed since we read it (409): re-read, re-apply our edits, try again."""


@dataclass(frozen=True)
class WikiPage:
    """A post-mortem page as read from Confluence (body included)."""

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

    @classmethod
    def from_content(cls, content: dict[str, Any], base: str = "") -> WikiPage:
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
        )


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


class Wiki:
    def __init__(self, confluence: ConfluenceServer, *, space: str, parent_id: str, label: str,
                 page_size: int = LIST_LIMIT, retry: RetryPolicy | None = None) -> None:
        self.confluence = confluence
        self.retry = retry or RetryPolicy()
        self.space = space
        self.parent_id = parent_id
        self.label = label
        self.page_size = page_size

    def postmortems_cql(self) -> str:
        return (f'type = page and space = "{cql_quote(self.space)}" and label = "{cql_quote(self.label)}" '
                f"and ancestor = {int(self.parent_id)} order by created desc")

    def postmortem_pages(self, expand: str = PAGE_EXPAND) -> Iterator[WikiPage]:
        """Every post-mortem page under the parent, bodies included, in as few requests as the API allows."""
        prefixed = ",".join(f"content.{part}" for part in expand.split(","))
        response = self._get("rest/api/search", params={"cql": self.postmortems_cql(), "limit": self.page_size,
                                                         "expand": prefixed})
        while True:
            base = (response.get("_links") or {}).get("base", "")
            for result in response.get("results") or []:
                if result.get("content"):
                    yield WikiPage.from_content(result["content"], base)
            links = response.get("_links") or {}
            if not links.get("next"):
                return
            response = self._get(next_url(links, self.confluence.url), absolute=True)

    def page(self, page_id: str, expand: str = PAGE_EXPAND) -> WikiPage:
        try:
            content = self.retry.call(lambda: self.confluence.get(f"rest/api/content/{page_id}", params={"expand": expand}))
        except Exception as exc:
            raise service_error("Confluence", exc) from None
        return WikiPage.from_content(content)

    def update_body(self, page: WikiPage, body: str, message: str = "wikibot") -> WikiPage:
        """PUT ``body`` as version ``page.version + 1``; ``VersionConflict`` if someone saved meanwhile.

        Retrying the same PUT after a lost response is safe: if it had landed, the retry gets 409
        and the caller re-reads and finds its edit already there.
        """
        data = {"id": page.id, "type": "page", "title": page.title,
                "version": {"number": page.version + 1, "message": message, "minorEdit": True},
                "body": {"storage": {"value": body, "representation": "storage"}}}
        try:
            content = self.retry.call(lambda: self.confluence.put(f"rest/api/content/{page.id}", data=data))
        except Exception as exc:
            if status_of(exc) == 409:
                raise VersionConflict(f"Confluence: page {page.id} changed since it was read", status=409) from None
            raise service_error("Confluence", exc) from None
        return WikiPage.from_content({**content, "body": {"storage": {"value": body}}}) if content else page

    def add_comment(self, page_id: str, storage: str) -> None:
        try:
            self.retry.call(lambda: self.confluence.add_comment(page_id, storage))
        except Exception as exc:
            raise service_error("Confluence", exc) from None

    def _get(self, path: str, params: dict[str, Any] | None = None, absolute: bool = False) -> dict[str, Any]:
        try:
            return self.retry.call(lambda: self.confluence.get(path, params=params, absolute=absolute)) or {}
        except Exception as exc:
            raise service_error("Confluence", exc) from None



def next_url(links: dict[str, str], client_url: str) -> str:
    """The absolute URL of a paged response's ``_links.next``.

    Confluence sends it with the context path (``/wiki/rest/api/...``), but some responses give it
    relative to ``_links.base`` (``/rest/api/...``); both are handled, unlike the client library's
    own paging, which joins every leading-slash link to the host.
    """
    link = links["next"]
    if link.startswith(("http://", "https://")):
        return link
    scheme, _, rest = (links.get("base") or client_url).partition("://")
    host = f"{scheme}://{rest.split('/', 1)[0]}"
    context = links.get("context")
    if context is None:
        context = "/" + rest.split("/", 1)[1] if "/" in rest else ""
    path = "/" + link.lstrip("/")
    if context and not path.startswith(context.rstrip("/") + "/"):
        path = context.rstrip("/") + path
    return host + path
