"""The Jira gateway: every Jira request wikibot makes — searches, bulk create, links, transitions, edits, users.

Only steps that are safe to repeat are retried blindly: searches, remote-link upserts (keyed by
globalId), field edits and transitions (re-checked before giving up). A bulk *create* is retried
blindly only on 429, which Jira answers before doing anything; after a 5xx or a lost answer some of
its issues may exist, so :meth:`JiraGateway.create_batch` raises :class:`CreateUncertain` and the
caller must find out what landed without trusting a fresh search (see ``wikibot.sync.filing``).

Searches use the enhanced JQL search (``/rest/api/3/search/jql``) and always follow
``nextPageToken``: Jira Cloud's old ``/search`` has been removed (410). The search is eventually
consistent ("a few seconds to minutes"): ``reconcile`` passes issue ids whose results must be fresh
(``reconcileIssues``, at most 50 per request), and :meth:`JiraGateway.issue` reads one issue by key,
which is always consistent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from atlassian import Jira

from wikibot.atlassian.boundary import LIBRARY_ERRORS, boundary, service_error
from wikibot.errors import ServiceError
from wikibot.retry import RetryPolicy, is_transient, response_of, status_of

T = TypeVar("T")

SERVICE = "Jira"
MAX_BULK = 50  # Jira's limit per bulk create
SEARCH_PAGE = 100  # Jira Cloud's cap on maxResults
MAX_RECONCILE = 50  # reconcileIssues per request
RECENT_COMMENTS = 100  # the newest comments searched for one about to be posted (Jira's default page)
DONE = "Done"
_ISSUE_KEY = re.compile(r"'([A-Z][A-Z0-9_]+-[0-9]+)'")


class CreateUncertain(ServiceError):
    """A bulk create failed in a way that may have created some issues: find out before retrying."""


class FieldsRefused(ServiceError):
    """Jira refused an edit for some of the fields it sets (``errors.<field>``: not on the project's
    edit screen, a value its scheme lacks) and changed nothing; ``fields`` maps each to Jira's message.
    The caller may send the edit again without them."""

    def __init__(self, message: str, fields: Mapping[str, str], status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.fields = dict(fields)


@dataclass(frozen=True)
class Created:
    """One element of a bulk create: its key (and id), or Jira's error for it."""

    key: str | None = None
    error: str | None = None
    id: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    """The fields Jira named in the element's ``errors``, with its message for each (``assignee``: an
    owner it will not take; ``priority``: not on the project's screen)."""


class _Final(Exception):
    """Carries an error past the retry loop so it is not retried."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class JiraGateway:
    def __init__(self, client: Jira, retry: RetryPolicy | None = None, *, site_url: str | None = None) -> None:
        self.client = client
        self.retry = retry or RetryPolicy()
        self.site_url = (site_url or client.url).rstrip("/")

    @property
    def url(self) -> str:
        """The site's base URL, for links shown to people (``<url>/browse/KEY``), also through the gateway."""
        return self.site_url

    def with_retry(self, retry: RetryPolicy) -> JiraGateway:
        return JiraGateway(self.client, retry, site_url=self.site_url)

    # -- reads --------------------------------------------------------------------------------
    def search(self, jql: str, fields: Sequence[str], limit: int = SEARCH_PAGE,
               reconcile: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """Every issue matching ``jql`` (enhanced search, following ``nextPageToken`` to the end).

        ``reconcile``: issue ids (at most 50) whose results must reflect their latest writes.
        """
        with boundary(SERVICE, self.client.url):
            yield from self._search_raw(jql, fields, limit, reconcile)

    def issue(self, key: str, fields: Sequence[str]) -> dict[str, Any] | None:
        """One issue by key — consistent, unlike a search; None when it does not exist (404)."""
        try:
            found = self.retry.call(lambda: self.client.issue(key, fields=",".join(fields)))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise service_error(SERVICE, exc, self.client.url) from exc
        return found if isinstance(found, dict) else None

    def issues_by_key(self, keys: Sequence[str], fields: Sequence[str]) -> list[dict[str, Any]]:
        """The issues among ``keys`` that exist, in one ``issuekey in (...)`` search (paged).

        Data Center (and Jira's older search) answers 400 when a key does not exist, naming it ("An
        issue with key 'OPS-9' does not exist ..."; every bad key, some versions only the first): the
        keys named are dropped and the search repeated, and if none is named the keys are halved until
        the bad one is alone. Cloud's enhanced search may instead leave such a key out of the answer.
        Either way a key missing from the result says nothing for sure (too new for the index, not
        visible, or gone): ask :meth:`issue`, which reads the database.
        """
        pending = list(keys)
        while pending:
            jql = "issuekey in ({})".format(", ".join(f'"{k}"' for k in pending))
            try:
                return list(self._search_raw(jql, fields))
            except LIBRARY_ERRORS as exc:
                if status_of(exc) != 400:
                    raise service_error(SERVICE, exc, self.client.url) from exc
                named = set(_ISSUE_KEY.findall(" ".join(_error_messages(exc)))) & set(pending)
                if named:
                    pending = [k for k in pending if k not in named]
                    continue
                if len(pending) == 1:
                    return []
                half = len(pending) // 2
                return self.issues_by_key(pending[:half], fields) + self.issues_by_key(pending[half:], fields)
        return []

    def user_name(self, account_id: str) -> str | None:
        """The display name of an account; None when Jira does not know it (404)."""
        user = self.user(account_id)
        return user.get("displayName") if user else None

    def person_id(self, user: Mapping[str, Any]) -> str | None:
        """How a user from :meth:`find_users` is named in drafted fields (Cloud: the account id)."""
        return _str(user.get("accountId"))

    def find_users(self, query: str) -> list[dict[str, Any]]:
        """Users whose name or email matches ``query`` (Jira's user search)."""
        return list(self._call(lambda: self.client.user_find_by_user_string(query=query)) or [])

    def users_named(self, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``(exact, found)``: the users :meth:`find_users` finds for ``name``, and those of them it names
        exactly (display name, spacing and case aside; email; Data Center username). The search also
        finds prefixes ("Bob" finds Bob Chen): a guess, which neither an owner nor a lead is made of."""
        found = self.find_users(name)
        wanted = " ".join(name.split()).casefold()
        exact = [u for u in found if wanted in (" ".join(str(u.get("displayName", "")).split()).casefold(),
                                                str(u.get("emailAddress", "")).casefold(),
                                                str(u.get("name") or "").casefold())]
        return exact, found

    def project(self, key: str) -> dict[str, Any]:
        return self._call(lambda: self.client.project(key)) or {}

    def myself(self) -> dict[str, Any]:
        return self._call(lambda: self.client.myself()) or {}

    def create_fields(self, project: str, issue_type_id: str) -> dict[str, list[str] | None]:
        """The fields a create of this issue type in ``project`` may set -> the names of their allowed
        values (None for a field without a list): ``GET /rest/api/2/issue/createmeta/{project}/issuetypes/
        {id}``, paged; Cloud answers under ``fields``, Data Center 9 under ``values``
        (sooperset/mcp-atlassian#958), a system field's values carry ``name``."""
        found: dict[str, list[str] | None] = {}
        path = f"rest/api/2/issue/createmeta/{project}/issuetypes/{issue_type_id}"
        start = 0
        while True:
            params = {"startAt": start, "maxResults": 50}
            page: object = self._call(lambda: self.client.get(path, params=params))  # noqa: B023 (called at once)
            if not isinstance(page, dict):
                return found
            entries = page.get("fields") or page.get("values") or []
            for entry in entries:
                if isinstance(entry, dict) and entry.get("fieldId"):
                    allowed = entry.get("allowedValues")
                    found[str(entry["fieldId"])] = [str(v.get("name") or v.get("value")) for v in allowed
                                                    if isinstance(v, dict)] if isinstance(allowed, list) else None
            start += len(entries)
            if not entries or page.get("isLast") or start >= int(page.get("total") or 0):
                return found

    # -- writes -------------------------------------------------------------------------------
    def create_batch(self, field_sets: Sequence[Mapping[str, Any]]) -> list[Created]:
        """Create up to 50 issues in one request; one :class:`Created` per element, in order.

        Jira creates the valid elements even when others fail (per-element errors).
        """
        if len(field_sets) > MAX_BULK:
            raise ValueError(f"at most {MAX_BULK} issues per bulk create")
        payload = [{"fields": dict(fields)} for fields in field_sets]

        def attempt() -> Any:
            try:
                return self.client.create_issues(payload)
            except LIBRARY_ERRORS as exc:
                if status_of(exc) == 429:
                    raise
                raise _Final(exc) from exc

        try:
            response = self.retry.call(attempt)
        except (_Final, *LIBRARY_ERRORS) as exc:
            error = exc.error if isinstance(exc, _Final) else exc
            body = _json_body(error)
            if status_of(error) == 400 and isinstance(body, dict) and "errors" in body:
                return _outcomes(len(payload), body)
            if is_transient(error):
                raise CreateUncertain(str(service_error(SERVICE, error, self.client.url)),
                                      status=status_of(error)) from error
            raise service_error(SERVICE, error, self.client.url) from error
        return _outcomes(len(payload), response or {})

    def link(self, key: str, global_id: str, url: str, title: str) -> None:
        """Upsert the remote link to the page (same globalId: updated, never duplicated)."""
        self._call(lambda: self.client.create_or_update_issue_remote_links(
            key, url, title, global_id=global_id, relationship="Post-mortem",
            application={"type": "com.atlassian.confluence", "name": "Confluence"}))

    def update_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        """Write Jira ``fields`` (already in Jira's terms) to the issue; :class:`FieldsRefused` when Jira
        refuses some of them by name (a 400 whose ``errors`` name only fields this edit sets)."""
        try:
            self.retry.call(lambda: self.client.update_issue_field(key, dict(fields), notify_users=True))
        except LIBRARY_ERRORS as exc:
            body = _json_body(exc) if status_of(exc) == 400 else None
            named = body.get("errors") if isinstance(body, dict) else None
            error = service_error(SERVICE, exc, self.client.url)
            if isinstance(named, dict) and named and set(named) <= set(fields):
                refused = {str(name): str(text) for name, text in named.items()}
                raise FieldsRefused(str(error), refused, status=error.status) from exc
            raise error from exc

    def add_comment(self, key: str, text: str) -> None:
        """A comment on the issue, posted once: each attempt first looks for this text among the
        issue's newest comments, so a retry after a lost answer (or the same answer given twice)
        never posts it again. A POST alone is not idempotent."""
        def attempt() -> None:
            if not self._has_comment(key, text):
                self.client.issue_add_comment(key, text)

        self._call(attempt)

    def add_label(self, key: str, label: str) -> None:
        """Add one label (Jira's ``update`` operation: the issue's other labels, the markers, stay).

        Watchers are notified as for any edit: ``notifyUsers=false`` needs Administer Projects, and
        without it Jira refuses the whole edit with 403 (it does not just ignore the flag)."""
        self._call(lambda: self.client.edit_issue(key, {"labels": [{"add": label}]}, notify_users=True))

    def user(self, account_id: str) -> dict[str, Any] | None:
        """An account (display name, email when visible, time zone); None when Jira does not know it."""
        try:
            found = self.retry.call(lambda: self.client.user(account_id=account_id))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise service_error(SERVICE, exc, self.client.url) from exc
        return found if isinstance(found, dict) else None

    def transition(self, key: str, status: str = DONE) -> None:
        """Move the issue to ``status``; a retry after a lost answer finds it there and is done."""
        try:
            self.retry.call(lambda: self.client.set_issue_status(key, status))
        except LIBRARY_ERRORS as exc:
            try:
                current = self.retry.call(lambda: self.client.get_issue_status(key))
            except LIBRARY_ERRORS:
                current = None
            if str(current or "").casefold() != status.casefold():
                raise service_error(SERVICE, exc, self.client.url) from exc

    # -- plumbing -----------------------------------------------------------------------------
    def _has_comment(self, key: str, text: str) -> bool:
        """Whether one of the issue's newest comments says ``text`` (whitespace aside: Jira may
        rewrite line ends)."""
        found = self.client.get(f"{self.client.resource_url('issue')}/{key}/comment",
                                params={"orderBy": "-created", "maxResults": RECENT_COMMENTS})
        wanted = " ".join(text.split())
        comments = (found.get("comments") or []) if isinstance(found, dict) else []
        return any(isinstance(c.get("body"), str) and " ".join(c["body"].split()) == wanted for c in comments)

    def _search_raw(self, jql: str, fields: Sequence[str], limit: int = SEARCH_PAGE,
                    reconcile: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """The enhanced search through the client's generic ``get`` (its ``enhanced_jql`` helper cannot
        send ``reconcileIssues``); the library's error escapes, for callers that read a 400's body."""
        if len(reconcile) > MAX_RECONCILE:
            raise ValueError(f"at most {MAX_RECONCILE} issue ids to reconcile per search")
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": limit}
        if reconcile:
            params["reconcileIssues"] = ",".join(str(int(i)) for i in reconcile)
        while True:
            page_params = dict(params)  # B023: retry.call runs the lambda before the loop moves on
            answer = self.retry.call(lambda: self.client.get("rest/api/3/search/jql", params=page_params))  # noqa: B023
            response: dict[str, Any] = answer if isinstance(answer, dict) else {}
            yield from response.get("issues") or []
            token = response.get("nextPageToken")
            if not token or response.get("isLast"):
                return
            params["nextPageToken"] = token

    def _call(self, fn: Callable[[], T]) -> T:
        with boundary(SERVICE, self.client.url):
            return self.retry.call(fn)


def _json_body(exc: BaseException) -> Any:
    response = response_of(exc)
    try:
        return response.json() if response is not None else None
    except ValueError:
        return None


def _error_messages(exc: BaseException) -> list[str]:
    body = _json_body(exc)
    messages = list(body.get("errorMessages") or []) if isinstance(body, dict) else []
    return messages or [str(exc)]


def _outcomes(count: int, body: Mapping[str, Any]) -> list[Created]:
    """Map a bulk answer onto its elements: ``issues`` lists the successes in element order."""
    failed: dict[int, tuple[str, dict[str, str]]] = {}
    for error in body.get("errors") or []:
        index = error.get("failedElementNumber")
        if isinstance(index, int) and 0 <= index < count:
            element = error.get("elementErrors") or {}
            named = element.get("errors") or {}
            failed[index] = (_element_error(element), {str(name): str(text) for name, text in named.items()})
    issues = iter(body.get("issues") or [])
    outcomes = []
    for index in range(count):
        if index in failed:
            message, fields = failed[index]
            outcomes.append(Created(error=message, fields=fields))
            continue
        issue = next(issues, None)
        outcomes.append(Created(key=issue["key"], id=_str(issue.get("id"))) if issue
                        else Created(error="Jira did not return this issue"))
    return outcomes


def _element_error(errors: Mapping[str, Any]) -> str:
    parts = [str(m) for m in errors.get("errorMessages") or []]
    parts += [f"{name}: {message}" for name, message in (errors.get("errors") or {}).items()]
    return "Jira: " + ("; ".join(parts) or "rejected without a reason")


def _str(value: object) -> str | None:
    return None if value is None else str(value)
