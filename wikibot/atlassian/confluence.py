"""The Confluence gateway: every Confluence request wikibot makes, as typed methods.

Listing uses one CQL search with the bodies expanded, following ``_links.next`` (50 pages per
request when bodies are expanded: Confluence's cap), so N post-mortems cost ⌈N/50⌉ requests
rather than 1 + N. Writes are optimistic: a PUT carries the version we read plus one, and a 409
(someone saved meanwhile) is reported as ``VersionConflict`` for the caller to re-read and
re-apply only its own edits — a person's edit is never overwritten.

Errors: every call runs inside :func:`~wikibot.atlassian.errors.boundary`, so callers only ever see
``ServiceError`` (or its subclasses here), chained to the library's exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from atlassian import ConfluenceServer

from wikibot.atlassian.content import WikiPage, cql_quote
from wikibot.atlassian.errors import LIBRARY_ERRORS, boundary, service_error
from wikibot.errors import ServiceError
from wikibot.retry import RetryPolicy, status_of

T = TypeVar("T")

PAGE_EXPAND = "body.storage,version,history,metadata.labels"
LIST_LIMIT = 50  # Confluence's cap for searches that expand bodies
SERVICE = "Confluence"


class VersionConflict(ServiceError):
    """The page changed since we read it (409): re-read, re-apply our edits, try again."""


class TitleTaken(ServiceError):
    """A page with this title already exists in the space (400 on create)."""


@dataclass(frozen=True)
class Space:
    key: str
    name: str
    id: str | None = None


def postmortems_cql(space: str, label: str, parent_id: str) -> str:
    """The post-mortems: pages of the space with the label, anywhere under the parent page."""
    return (f'type = page and space = "{cql_quote(space)}" and label = "{cql_quote(label)}" '
            f"and ancestor = {int(parent_id)} order by created desc")


def pages_by_id_cql(ids: Iterable[str]) -> str:
    return f"type = page and id in ({', '.join(str(int(i)) for i in ids)})"


class ConfluenceGateway:
    """Confluence for one space. ``retry`` governs the calls that are safe to repeat."""

    def __init__(self, client: ConfluenceServer, *, space: str, retry: RetryPolicy | None = None) -> None:
        self.client = client
        self.space = space
        self.retry = retry or RetryPolicy()

    @property
    def url(self) -> str:
        """The wiki's base URL (``https://<site>/wiki``), for links shown to people."""
        return self.client.url.rstrip("/")

    def with_retry(self, retry: RetryPolicy) -> ConfluenceGateway:
        """The same gateway retrying by ``retry`` (tests make retries instant)."""
        return ConfluenceGateway(self.client, space=self.space, retry=retry)

    # -- reads --------------------------------------------------------------------------------
    def space_info(self) -> Space:
        found = self._call(lambda: self.client.get_space(self.space))
        return Space(key=found.get("key", self.space), name=found.get("name", ""), id=_str(found.get("id")))

    def search_pages(self, cql: str, expand: str = PAGE_EXPAND, limit: int = LIST_LIMIT) -> Iterator[WikiPage]:
        """Every page ``cql`` matches, expanded by ``expand``, following ``_links.next``."""
        prefixed = ",".join(f"content.{part}" for part in expand.split(","))
        response = self._get("rest/api/search", params={"cql": cql, "limit": limit, "expand": prefixed})
        while True:
            base = (response.get("_links") or {}).get("base", "")
            for result in response.get("results") or []:
                if result.get("content"):
                    yield WikiPage.from_content(result["content"], base)
            links = response.get("_links") or {}
            if not links.get("next"):
                return
            response = self._get(next_url(links, self.client.url), absolute=True)

    def first_page_labelled(self, label: str) -> WikiPage | None:
        """One page of the space with ``label``, by CQL (eventually consistent: never the only guard)."""
        cql = f'type = page and space = "{cql_quote(self.space)}" and label = "{cql_quote(label)}"'
        return next(iter(self.search_pages(cql, expand="version", limit=1)), None)

    def page(self, page_id: str, expand: str = PAGE_EXPAND) -> WikiPage:
        content = self._call(lambda: self.client.get(f"rest/api/content/{page_id}", params={"expand": expand}))
        return WikiPage.from_content(content)

    def pages_titled(self, title: str, expand: str = "version,metadata.labels") -> list[WikiPage]:
        """The space's current pages with exactly this title (read from the database, not the index)."""
        found = self._call(lambda: self.client.get_page_by_title(self.space, title, expand=expand))
        base = ((found or {}).get("_links") or {}).get("base", "")
        return [WikiPage.from_content(page, base) for page in (found or {}).get("results") or []]

    def page_titled(self, title: str, expand: str = "body.storage,version,metadata.labels") -> WikiPage | None:
        pages = self.pages_titled(title, expand=expand)
        return pages[0] if pages else None

    def page_property(self, page_id: str, key: str) -> Mapping[str, Any] | None:
        """The JSON value of the page's content property ``key``; None when the page has none."""
        try:
            found = self.retry.call(lambda: self.client.get(f"rest/api/content/{page_id}/property/{key}"))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise service_error(SERVICE, exc) from exc
        value = found.get("value") if isinstance(found, dict) else None
        return value if isinstance(value, dict) else None

    # -- writes -------------------------------------------------------------------------------
    def create_page(self, title: str, body: str, parent_id: str, *, labels: Sequence[str] = (),
                    properties: Mapping[str, Mapping[str, Any]] | None = None, retry: bool = False) -> WikiPage:
        """Create a page with its labels and content properties in one request.

        Not retried unless ``retry``: a create is not idempotent, so only a caller that recognises
        its own page afterwards (``TitleTaken`` after a lost answer) may ask for retries.
        """
        data: dict[str, Any] = {
            "type": "page", "title": title, "space": {"key": self.space}, "ancestors": [{"id": parent_id}],
            "body": {"storage": {"value": body, "representation": "storage"}},
        }
        metadata: dict[str, Any] = {}
        if labels:
            metadata["labels"] = [{"prefix": "global", "name": name} for name in labels]
        if properties:
            metadata["properties"] = {key: {"value": dict(value)} for key, value in properties.items()}
        if metadata:
            data["metadata"] = metadata
        try:
            content = (self.retry.call if retry else _once)(lambda: self.client.post("rest/api/content", data=data))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 400 and "already exists" in str(exc):
                raise TitleTaken(f"Confluence: a page titled {title!r} already exists in {self.space}",
                                 status=400) from exc
            raise service_error(SERVICE, exc) from exc
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
            content = self.retry.call(lambda: self.client.put(f"rest/api/content/{page.id}", data=data))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 409:
                raise VersionConflict(f"Confluence: page {page.id} changed since it was read", status=409) from exc
            raise service_error(SERVICE, exc) from exc
        if not content:
            return page
        return replace(page, version=int((content.get("version") or {}).get("number") or page.version + 1),
                       body=body)

    def add_label(self, page_id: str, label: str) -> None:
        self._call(lambda: self.client.set_page_label(page_id, label))

    def remove_label(self, page_id: str, label: str) -> None:
        self._call(lambda: self.client.remove_page_label(page_id, label))

    def add_comment(self, page_id: str, storage: str) -> None:
        """A footer comment. Not idempotent: callers record what they posted (audit fingerprints)."""
        self._call(lambda: self.client.add_comment(page_id, storage))

    # -- plumbing -----------------------------------------------------------------------------
    def _call(self, fn: Callable[[], T]) -> T:
        with boundary(SERVICE):
            return self.retry.call(fn)

    def _get(self, path: str, params: dict[str, Any] | None = None, absolute: bool = False) -> dict[str, Any]:
        return self._call(lambda: self.client.get(path, params=params, absolute=absolute)) or {}


def _once(fn: Callable[[], T]) -> T:
    return fn()


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def next_url(links: Mapping[str, str], client_url: str) -> str:
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
