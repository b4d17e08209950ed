"""The Confluence gateway: every Confluence request wikibot makes, as typed methods (Confluence Cloud).

Which API each operation uses (Cloud has removed every v1 route that has a v2 equivalent, notes §0):

* v2 (``/wiki/api/v2``): the space by key (once per process), a page by id
  (``body-format=storage``, labels included), the exact-title page list (a database read, so it
  sees a page created a moment ago), create (``POST /pages``), update (``PUT /pages/{id}`` with the
  version read plus one), content properties (found by ``?key=``, updated by property id with a
  version), footer comments;
* v1, only where v2 has nothing: CQL search (``/wiki/rest/api/search``, following the cursor in
  ``_links.next``, never ``start``) and label add/remove.

Listing uses one CQL search with the bodies expanded (50 pages per request when bodies are
expanded: Confluence's cap), so N post-mortems cost ⌈N/50⌉ requests rather than 1 + N. Writes are
optimistic: a PUT carries the version we read plus one, and a 409 (someone saved meanwhile) is
reported as ``VersionConflict`` for the caller to re-read and re-apply only its own edits — a
person's edit is never overwritten.

All calls go through atlassian-python-api's ``ConfluenceV2`` client: its helpers where they send
the right request (``get_page_labels``, ``create_page_property``), else its generic
``get/post/put/delete`` — the helpers are wrong for label writes (a v2 path with no write),
comments (``/comments``), property updates (the key where the id goes) and page updates (no
``status``, notes §8), and ``get_page_by_id``/``get_pages`` cannot ask for ``include-labels`` or
an exact-title list without a body. Every call runs inside
:func:`~wikibot.atlassian.boundary.boundary`, so callers only ever see ``ServiceError`` (or a
subclass here), chained to the library's exception. Search results are eventually consistent:
nothing that must happen exactly once rests on them (see ``wikibot.create``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar, cast

from atlassian import ConfluenceV2

from wikibot.atlassian.boundary import LIBRARY_ERRORS, boundary, error_detail, service_error
from wikibot.atlassian.content import WikiPage, cql_quote, is_wikibot_edit, parse_time
from wikibot.errors import InputError, ServiceError
from wikibot.retry import RetryPolicy, status_of

T = TypeVar("T")

PAGE_EXPAND = "body.storage,version,history,metadata.labels"
LIST_LIMIT = 50  # Confluence's cap for searches that expand bodies
SERVICE = "Confluence"


# A multipart upload must say it is no browser form (Confluence's XSRF check).
ATTACH_HEADERS = {"X-Atlassian-Token": "no-check", "Accept": "application/json"}


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


def still_labelled(pages: Iterable[WikiPage], label: str) -> Iterator[WikiPage]:
    """The pages that carry ``label`` themselves (their labels expanded: ``metadata.labels``).

    A CQL search matches by what its index holds, and the index keeps a page's previous state until
    it processes the change (Confluence queues edits and indexes them in batches: Content Index
    Administration), so a page whose label was just removed is still found by it. The labels that
    come with the content are read from the database and decide.
    """
    return (page for page in pages if label in page.labels)


def pages_by_id_cql(ids: Iterable[str]) -> str:
    return f"type = page and id in ({', '.join(str(int(i)) for i in ids)})"


class ConfluenceGateway:
    """Confluence for one space. ``retry`` governs the calls that are safe to repeat."""

    def __init__(self, client: ConfluenceV2, *, space: str, site_url: str | None = None,
                 retry: RetryPolicy | None = None, _space: list[Space] | None = None) -> None:
        self.client = client
        self.space = space
        self.site_url = (site_url or client.url).rstrip("/")
        self.retry = retry or RetryPolicy()
        self._space = _space if _space is not None else []  # shared by copies: looked up once
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The wiki's base URL (``https://<site>/wiki``), for links shown to people."""
        return self.site_url

    def with_retry(self, retry: RetryPolicy) -> ConfluenceGateway:
        """The same gateway retrying by ``retry`` (tests make retries instant)."""
        return ConfluenceGateway(self.client, space=self.space, site_url=self.site_url, retry=retry,
                                 _space=self._space)

    # -- reads --------------------------------------------------------------------------------
    def probe(self) -> None:
        """One cheap request that proves Confluence answers (never cached: for readiness checks)."""
        self._get("api/v2/spaces", params={"keys": self.space, "limit": 1})

    def space_info(self) -> Space:
        """The configured space (v2 ``GET /spaces?keys=``), looked up once per process."""
        with self._lock:
            if not self._space:
                found = self._get("api/v2/spaces", params={"keys": self.space, "limit": 1})
                results = found.get("results") or []
                if not results:
                    raise ServiceError(f"Confluence: no space with key {self.space!r} (confluence.space)", status=404)
                self._space.append(Space(key=results[0].get("key", self.space), name=results[0].get("name", ""),
                                         id=str(results[0]["id"])))
            return self._space[0]

    def search_pages(self, cql: str, expand: str = PAGE_EXPAND, limit: int = LIST_LIMIT) -> Iterator[WikiPage]:
        """Every page ``cql`` matches, expanded by ``expand``: v1 CQL search, following ``_links.next``.

        Eventually consistent: a page created or changed seconds ago may be missing or stale.
        """
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

    def page(self, page_id: str) -> WikiPage:
        """A page with its body and labels (v2, one request)."""
        found = self._get(f"api/v2/pages/{int(page_id)}", params={"body-format": "storage", "include-labels": "true"})
        return WikiPage.from_v2(found)

    def asked_page(self, page_id: str, *, label: str | None = None) -> WikiPage:
        """The page a person named by id (``--page``, ``share PAGE``): a 404 is their mistake, one
        usage line, not Confluence failing. With ``label`` (the post-mortem label), a page without it
        is refused too: a command that reads or writes post-mortems leaves every other page alone."""
        try:
            page = self.page(page_id)
        except ServiceError as exc:
            if exc.status == 404:
                raise InputError(f"page {page_id}: no such Confluence page") from None
            raise
        if label is not None and label not in page.labels:
            raise InputError(f"page {page_id} ({page.title!r}) is not a post-mortem (no label {label!r})")
        return page

    def pages_titled(self, title: str, *, body: bool = False, labels: bool = False) -> list[WikiPage]:
        """The space's current pages with exactly this title: v2's page list, read from the database
        rather than the search index, so it sees a page created a moment ago. ``labels`` reads each
        match's labels too (one request per match; titles are unique in a space, so one at most)."""
        params = {"space-id": self.space_info().id, "title": title, "status": "current", "limit": 25}
        if body:
            params["body-format"] = "storage"  # without it, no body (the list takes no "none")
        pages = [WikiPage.from_v2(page, base) for page, base in self._v2_list("api/v2/pages", params)]
        if labels:
            pages = [replace(page, labels=self.labels(page.id)) for page in pages]
        return pages

    def page_titled(self, title: str) -> WikiPage | None:
        """The space's page with this title, body included, or None."""
        pages = self.pages_titled(title, body=True)
        return pages[0] if pages else None

    def labels(self, page_id: str) -> tuple[str, ...]:
        """The page's labels (v2, every page of them: the library's helper is right here)."""
        found = self._call(lambda: self.client.get_page_labels(str(int(page_id)), limit=250))
        return tuple(label.get("name", "") for label in found or [])

    def page_property(self, page_id: str, key: str) -> Mapping[str, Any] | None:
        """The JSON value of the page's content property ``key``; None when the page has none."""
        found = self._property(page_id, key)
        value = found.get("value") if found else None
        return value if isinstance(value, dict) else None

    def last_edit_by_people(self, page_id: str) -> tuple[datetime | None, str | None]:
        """When, and by whom (account id), the page was last saved by someone other than wikibot:
        v2's version list, newest first, read until the first version whose comment is not
        wikibot's (a write-back or a "Debrief held" is no sign that people work on the page). The
        order is asked for (``sort=-modified-date``): the published spec names no default."""
        params = {"limit": 50, "sort": "-modified-date"}
        for version, _ in self._v2_list(f"api/v2/pages/{int(page_id)}/versions", params):
            if not is_wikibot_edit(version.get("message")):
                return parse_time(version.get("createdAt")), version.get("authorId")
        return None, None

    def has_attachment(self, page_id: str, filename: str) -> bool:
        """Whether the page has an attachment of that name (v2 read: consistent)."""
        found = self._get(f"api/v2/pages/{int(page_id)}/attachments", params={"filename": filename})
        return any(item.get("title") == filename for item in found.get("results") or [])

    # -- writes -------------------------------------------------------------------------------
    def attach(self, page_id: str, filename: str, data: bytes, mimetype: str, comment: str = "") -> None:
        """Upload one attachment (v1 ``POST .../child/attachment``: the one upload API Cloud keeps).

        Not retried blindly: after a failure, an attachment that landed anyway (lost response) is
        found by name and counted as done.
        """
        try:
            self.client.post(f"rest/api/content/{int(page_id)}/child/attachment",
                             data={"comment": comment, "minorEdit": "true"},
                             files={"file": (filename, data, mimetype)}, headers=ATTACH_HEADERS)
        except LIBRARY_ERRORS as exc:
            if self.has_attachment(page_id, filename):
                return
            raise service_error(SERVICE, exc, self.client.url) from exc

    def create_page(self, title: str, body: str, parent_id: str, *, labels: Sequence[str] = (),
                    properties: Mapping[str, Mapping[str, Any]] | None = None, retry: bool = False) -> WikiPage:
        """Create a page (v2, 200), then add its labels (v1, one request) and content properties (v2).

        v2 cannot create a page with labels or properties, so a crash between the steps can leave a
        page without them: callers that must recognise their page later find it by exact title and
        complete it (:meth:`complete`). Not retried unless ``retry``: a create is not idempotent, so
        only a caller that recognises its own page afterwards (``TitleTaken`` after a lost answer)
        may ask for retries.
        """
        path, data = self._page_create(title, body, parent_id)
        try:
            created = (self.retry.call if retry else _once)(lambda: self.client.post(path, data=data))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 400 and "already exists" in error_detail(exc):
                raise TitleTaken(f"Confluence: a page titled {title!r} already exists in {self.space}",
                                 status=400) from exc
            raise service_error(SERVICE, exc, self.client.url) from exc
        return self.complete(self._created_page(created, title), labels, properties or {}, fresh=True)

    def complete(self, page: WikiPage, labels: Sequence[str], properties: Mapping[str, Mapping[str, Any]], *,
                 fresh: bool = False) -> WikiPage:
        """Add the ``labels`` and content ``properties`` the page lacks (idempotent: safe to repeat).

        ``fresh``: the page was created just now, so it has no properties to look for first.
        """
        missing = [name for name in labels if name not in page.labels]
        if missing:
            self._call(lambda: self.client.post(f"rest/api/content/{int(page.id)}/label", data=_labels(missing)))
        for key, value in properties.items():
            if fresh or self._property(page.id, key) is None:
                self._create_property(page.id, key, value)
        return replace(page, labels=tuple(dict.fromkeys([*page.labels, *labels])))

    def update_body(self, page: WikiPage, body: str, message: str = "wikibot") -> WikiPage:
        """PUT ``body`` as version ``page.version + 1`` (v2); ``VersionConflict`` if someone saved meanwhile.

        Retrying the same PUT after a lost response is safe: if it had landed, the retry gets 409
        and the caller re-reads and finds its edit already there.
        """
        path, data = self._page_update(page, body, message)
        try:
            content = self.retry.call(lambda: self.client.put(path, data=data))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 409:
                raise VersionConflict(f"Confluence: page {page.id} changed since it was read", status=409) from exc
            raise service_error(SERVICE, exc, self.client.url) from exc
        number = ((content or {}).get("version") or {}).get("number") if isinstance(content, dict) else None
        return replace(page, version=int(number or page.version + 1), body=body)

    def set_property(self, page_id: str, key: str, value: Mapping[str, Any]) -> None:
        """Create or replace the content property ``key`` (v2: found by key, updated by id with a version)."""
        found = self._property(page_id, key)
        if found is None:
            self._create_property(page_id, key, value)
            return
        number = int((found.get("version") or {}).get("number") or 0) + 1
        self._call(lambda: self.client.put(self._property_path(page_id, key, found),
                                           data={"key": key, "value": dict(value), "version": {"number": number}}))

    def add_label(self, page_id: str, label: str) -> None:
        """v1 (v2 has no label write); adding a label the page has is a no-op."""
        self._call(lambda: self.client.post(f"rest/api/content/{int(page_id)}/label", data=_labels([label])))

    def remove_label(self, page_id: str, label: str) -> None:
        """v1 (v2 has no label write)."""
        self._call(lambda: self.client.delete(f"rest/api/content/{int(page_id)}/label", params={"name": label}))

    def add_comment(self, page_id: str, storage: str) -> None:
        """A footer comment (v2, 201). Not idempotent: callers record what they posted (audit fingerprints)."""
        data = {"pageId": str(page_id), "body": {"representation": "storage", "value": storage}}
        self._call(lambda: self.client.post("api/v2/footer-comments", data=data))

    # -- people -------------------------------------------------------------------------------
    def current_user(self) -> dict[str, Any]:
        """Who the credentials authenticate as (``type`` is ``anonymous`` when they were not accepted)."""
        return self._get("rest/api/user/current")

    mention_attribute = "ri:account-id"
    """How this deployment's storage format names a person in ``<ri:user .../>``."""

    def mention_id(self, jira_user: Mapping[str, Any]) -> str | None:
        """The id to write in a mention of this Jira user (Cloud: the accountId both products share)."""
        value = jira_user.get("accountId")
        return str(value) if value else None

    # -- plumbing -----------------------------------------------------------------------------
    def _page_create(self, title: str, body: str, parent_id: str) -> tuple[str, dict[str, Any]]:
        """The request that creates a page (v2: space id, parent id, storage body)."""
        return "api/v2/pages", {"spaceId": self.space_info().id, "status": "current", "title": title,
                                "parentId": str(parent_id), "body": {"representation": "storage", "value": body}}

    def _created_page(self, created: object, title: str) -> WikiPage:
        """The page a create answered (v2's page JSON)."""
        if not isinstance(created, dict):  # the library answers None when the body is not JSON
            raise ServiceError(f"Confluence: creating page {title!r} answered no page")
        return WikiPage.from_v2(created)

    def _page_update(self, page: WikiPage, body: str, message: str) -> tuple[str, dict[str, Any]]:
        """The request that saves ``body`` as the next version (v2: id, status, title, body, version)."""
        return f"api/v2/pages/{int(page.id)}", {
            "id": page.id, "status": "current", "title": page.title,
            "body": {"representation": "storage", "value": body},
            "version": {"number": page.version + 1, "message": message, "minorEdit": True}}

    def _property_path(self, page_id: str, key: str, found: Mapping[str, Any]) -> str:
        """Where an existing content property is replaced (v2: by its id)."""
        return f"api/v2/pages/{int(page_id)}/properties/{found['id']}"

    def _create_property(self, page_id: str, key: str, value: Mapping[str, Any]) -> None:
        self._call(lambda: self.client.create_page_property(str(int(page_id)), key, dict(value)))

    def _property(self, page_id: str, key: str) -> dict[str, Any] | None:
        found = self._get(f"api/v2/pages/{int(page_id)}/properties", params={"key": key})
        results = found.get("results") or []
        return results[0] if results else None

    def _v2_list(self, path: str, params: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
        """Each item of a v2 list with the response's ``_links.base``, following the cursor in ``_links.next``."""
        response = self._get(path, params=params)
        while True:
            links = response.get("_links") or {}
            for item in response.get("results") or []:
                yield item, links.get("base", "")
            if not links.get("next"):
                return
            response = self._get(next_url(links, self.client.url), absolute=True)

    def _call(self, fn: Callable[[], T]) -> T:
        with boundary(SERVICE, self.client.url):
            return self.retry.call(fn)

    def _get(self, path: str, params: dict[str, Any] | None = None, absolute: bool = False) -> dict[str, Any]:
        found = self._call(lambda: self.client.get(path, params=params, absolute=absolute))
        return found if isinstance(found, dict) else {}


def _once(fn: Callable[[], T]) -> T:
    return fn()


def _labels(names: Iterable[str]) -> dict[str, Any]:
    """v1's label body: a JSON list of ``{"prefix", "name"}``. The library's stubs say ``dict | str``
    but its ``request`` json-dumps any body, and a str would be sent as a JSON string, so cast."""
    return cast(dict[str, Any], [{"prefix": "global", "name": name} for name in names])


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def next_url(links: Mapping[str, str], client_url: str) -> str:
    """The absolute URL of a paged response's ``_links.next``, resolved against the client's URL.

    v2 sends ``/wiki/api/v2/...?cursor=`` (with the context path, and without the gateway's
    ``/ex/confluence/{cloudId}`` prefix when called through it); v1 CQL search sends
    ``/rest/api/search?...&cursor=`` relative to ``_links.context`` (``/wiki``). Resolving against
    the client's URL (never ``_links.base``, the site) keeps a gateway client on the gateway.
    """
    link = links["next"]
    if link.startswith(("http://", "https://")):
        return link
    client = client_url.rstrip("/")
    context = links.get("context")
    if context is None:
        context = "/wiki" if client.endswith("/wiki") else ""
    context = context.rstrip("/")
    path = "/" + link.lstrip("/")
    if context and path.startswith(context + "/") and client.endswith(context):
        return client[: -len(context)] + path
    return client + path
