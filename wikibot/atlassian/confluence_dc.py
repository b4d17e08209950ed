"""The Confluence gateway on Data Center / Server: the same interface on REST v1.

Confluence Data Center has no ``/api/v2`` (../shared/atlassian-api-notes.md §7): everything is v1
under ``{server}[/context]/rest/api`` — a page read with ``expand``, lists paged by ``start``/``limit``
following ``_links.next`` (which carries the context path), create ``POST /content``, an optimistic
update ``PUT /content/{id}`` with the version read plus one (409 "Version must be incremented on
update. Current version is: N" when someone saved meanwhile), content properties by key, comments
as content of type ``comment`` in a ``container`` — all but the version list, which Data Center
keeps under ``/rest/experimental``. People are named by a 32-hex ``userKey`` in
mentions (``<ri:user ri:userkey="..."/>``; old pages: ``ri:username``), and by username in Jira:
:meth:`DataCenterConfluenceGateway.username` turns one into the other (``GET /rest/api/user?key=``).

Search and label writes are the v1 calls the Cloud gateway already makes; only what differs is here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from atlassian import ConfluenceServer

from wikibot.atlassian.boundary import LIBRARY_ERRORS, error_detail, service_error
from wikibot.atlassian.confluence import (
    PAGE_EXPAND,
    SERVICE,
    ConfluenceGateway,
    Space,
    next_url,
)
from wikibot.atlassian.content import WikiPage, is_wikibot_edit, parse_time
from wikibot.errors import ServiceError
from wikibot.retry import RetryPolicy, status_of

USERKEY = re.compile(r"^[0-9a-f]{32}$")


class DataCenterConfluenceGateway(ConfluenceGateway):
    """Confluence Data Center / Server for one space (REST v1 only)."""

    mention_attribute = "ri:userkey"

    def __init__(self, client: ConfluenceServer, *, space: str, site_url: str | None = None,
                 retry: RetryPolicy | None = None, _space: list[Space] | None = None,
                 _people: dict[str, str | None] | None = None) -> None:
        super().__init__(client, space=space, site_url=site_url, retry=retry, _space=_space)  # type: ignore[arg-type]
        self._people = _people if _people is not None else {}  # userkey or username -> username
        self._people_lock = threading.Lock()

    def with_retry(self, retry: RetryPolicy) -> DataCenterConfluenceGateway:
        return DataCenterConfluenceGateway(self.client, space=self.space, site_url=self.site_url,  # type: ignore[arg-type]
                                           retry=retry, _space=self._space, _people=self._people)

    # -- reads --------------------------------------------------------------------------------
    def probe(self) -> None:
        self._get(f"rest/api/space/{self.space}")

    def space_info(self) -> Space:
        with self._lock:
            if not self._space:
                try:
                    found = self.retry.call(lambda: self.client.get(f"rest/api/space/{self.space}"))
                except LIBRARY_ERRORS as exc:
                    if status_of(exc) == 404 and not error_detail(exc):  # not Confluence's JSON: a wrong path
                        raise ServiceError(f"Confluence: nothing answers as Confluence at {self.client.url}/rest/api "
                                           "(HTTP 404): check confluence.url and its context path (e.g. "
                                           "https://intranet.example.com/confluence)", status=404) from exc
                    if status_of(exc) == 404:
                        raise ServiceError(f"Confluence: no space with key {self.space!r} (confluence.space)",
                                           status=404) from exc
                    raise service_error(SERVICE, exc, self.client.url) from exc
                found = found if isinstance(found, dict) else {}
                self._space.append(Space(key=found.get("key", self.space), name=found.get("name", ""),
                                         id=str(found.get("id", ""))))
            return self._space[0]

    def page(self, page_id: str) -> WikiPage:
        found = self._get(f"rest/api/content/{int(page_id)}", params={"expand": PAGE_EXPAND})
        return WikiPage.from_content(found)

    def pages_titled(self, title: str, *, body: bool = False, labels: bool = False) -> list[WikiPage]:
        """Exact-title lookup (``GET /content?spaceKey=&title=``): a database read, not the index."""
        expand = "version,history" + (",body.storage" if body else "") + (",metadata.labels" if labels else "")
        params = {"spaceKey": self.space, "title": title, "type": "page", "status": "current",
                  "limit": 25, "expand": expand}
        return list(self._v1_list("rest/api/content", params))

    def labels(self, page_id: str) -> tuple[str, ...]:
        found = self._get(f"rest/api/content/{int(page_id)}/label", params={"limit": 200})
        return tuple(label.get("name", "") for label in found.get("results") or [])

    def has_attachment(self, page_id: str, filename: str) -> bool:
        found = self._get(f"rest/api/content/{int(page_id)}/child/attachment", params={"filename": filename})
        return any(item.get("title") == filename for item in found.get("results") or [])

    # -- writes -------------------------------------------------------------------------------
    def _page_create(self, title: str, body: str, parent_id: str) -> tuple[str, dict[str, Any]]:
        """``POST /content`` (v1); labels and properties follow as on Cloud (see the base class)."""
        return "rest/api/content", {"type": "page", "title": title, "status": "current", "space": {"key": self.space},
                                    "ancestors": [{"id": str(parent_id)}],
                                    "body": {"storage": {"value": body, "representation": "storage"}}}

    def _created_page(self, created: object, title: str) -> WikiPage:
        """The page a create answered (v1 content JSON)."""
        return WikiPage.from_content(created if isinstance(created, dict) else {})

    def last_edit_by_people(self, page_id: str) -> tuple[datetime | None, str | None]:
        """As on Cloud, from Data Center's version list, newest first. Data Center has none under
        ``/rest/api`` (its ``/content/{id}/history`` names only the latest and previous versions):
        the list is the experimental resource ``/rest/experimental/content/{id}/version`` (Atlassian
        KB "How to retrieve all previous versions of content using the REST API")."""
        start = 0
        while True:
            found = self._get(f"rest/experimental/content/{int(page_id)}/version", params={"start": start, "limit": 50})
            results = found.get("results") or []
            for version in results:
                if not is_wikibot_edit(version.get("message")):
                    by = version.get("by") or {}
                    return parse_time(version.get("when")), by.get("username") or by.get("userKey")
            if not results or not (found.get("_links") or {}).get("next"):
                return None, None
            start += len(results)

    def _page_update(self, page: WikiPage, body: str, message: str) -> tuple[str, dict[str, Any]]:
        """``PUT /content/{id}`` with version ``page.version + 1`` (a stale one answers 409, as on Cloud)."""
        return f"rest/api/content/{int(page.id)}", {
            "id": page.id, "type": "page", "title": page.title,
            "body": {"storage": {"value": body, "representation": "storage"}},
            "version": {"number": page.version + 1, "message": message, "minorEdit": True}}

    def _property_path(self, page_id: str, key: str, found: Mapping[str, Any]) -> str:
        """Data Center replaces a content property by key (``PUT /content/{id}/property/{key}``)."""
        return f"rest/api/content/{int(page_id)}/property/{key}"

    def add_comment(self, page_id: str, storage: str) -> None:
        """A page comment: content of type ``comment`` in the page's ``container``."""
        data = {"type": "comment", "container": {"id": str(page_id), "type": "page", "status": "current"},
                "body": {"storage": {"value": storage, "representation": "storage"}}}
        self._call(lambda: self.client.post("rest/api/content", data=data))

    # -- people -------------------------------------------------------------------------------
    def username(self, person: str) -> str | None:
        """The username behind a mention's ``ri:userkey`` (32 hex), or the ``ri:username`` as given;
        None when Confluence knows no such user. Looked up once per process."""
        with self._people_lock:
            if person in self._people:
                return self._people[person]
        name: str | None = person
        if USERKEY.match(person):
            try:
                found = self.retry.call(lambda: self.client.get("rest/api/user", params={"key": person}))
            except LIBRARY_ERRORS as exc:
                if status_of(exc) != 404:
                    raise service_error(SERVICE, exc, self.client.url) from exc
                found = None
            name = found.get("username") if isinstance(found, dict) else None
        with self._people_lock:
            self._people[person] = name
        return name

    def mention_id(self, jira_user: Mapping[str, Any]) -> str | None:
        """The Confluence userkey of a Jira user (same directory: same username)."""
        name = jira_user.get("name")
        if not name:
            return None
        try:
            found = self.retry.call(lambda: self.client.get("rest/api/user", params={"username": name}))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise service_error(SERVICE, exc, self.client.url) from exc
        key = found.get("userKey") if isinstance(found, dict) else None
        return str(key) if key else None

    # -- plumbing -----------------------------------------------------------------------------
    def _create_property(self, page_id: str, key: str, value: Mapping[str, Any]) -> None:
        self._call(lambda: self.client.post(f"rest/api/content/{int(page_id)}/property",
                                            data={"key": key, "value": dict(value)}))

    def _property(self, page_id: str, key: str) -> dict[str, Any] | None:
        try:
            found = self.retry.call(lambda: self.client.get(f"rest/api/content/{int(page_id)}/property/{key}"))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise service_error(SERVICE, exc, self.client.url) from exc
        return found if isinstance(found, dict) else None

    def _v1_list(self, path: str, params: dict[str, Any]) -> Iterator[WikiPage]:
        """Each content object of a v1 list, following ``_links.next`` (offset paging, context path included)."""
        response = self._get(path, params=params)
        while True:
            links = response.get("_links") or {}
            for item in response.get("results") or []:
                yield WikiPage.from_content(item, links.get("base", ""))
            if not links.get("next"):
                return
            response = self._get(next_url(links, self.client.url), absolute=True)
