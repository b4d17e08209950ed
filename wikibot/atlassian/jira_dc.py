"""The Jira gateway on Data Center / Server: the same interface, with usernames and the offset search.

Jira Data Center has no enhanced search (``/rest/api/3/search/jql``): it searches with
``GET /rest/api/2/search`` (``startAt``/``maxResults``/``total``; no ``reconcileIssues``) and names
people by username: an assignee is ``{"name": "jdoe"}`` (an ``accountId`` gets 400 "expected Object
containing a 'name' property"), a user is read with ``GET /rest/api/2/user?username=`` and found with
``/user/search?username=`` (../shared/atlassian-api-notes.md §7).

The pages name people by Confluence userkey (or username); ``people`` (the Confluence gateway's
:meth:`~wikibot.atlassian.confluence_dc.DataCenterConfluenceGateway.username`) turns that into the
username the shared directory gives both products. The drafted fields speak Cloud's
``{"accountId": <person as the page names them>}``; this gateway translates them at the wire, so the
planning code is the same for both deployments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from atlassian import Jira

from wikibot.atlassian.boundary import LIBRARY_ERRORS, service_error
from wikibot.atlassian.jira import MAX_RECONCILE, SEARCH_PAGE, SERVICE, Created, JiraGateway
from wikibot.retry import RetryPolicy, status_of

People = Callable[[str], "str | None"]


class DataCenterJiraGateway(JiraGateway):
    def __init__(self, client: Jira, retry: RetryPolicy | None = None, *, site_url: str | None = None,
                 people: People | None = None) -> None:
        super().__init__(client, retry, site_url=site_url)
        self.people: People = people or (lambda person: person)

    def with_retry(self, retry: RetryPolicy) -> DataCenterJiraGateway:
        return DataCenterJiraGateway(self.client, retry, site_url=self.site_url, people=self.people)

    # -- people -------------------------------------------------------------------------------
    def user(self, account_id: str) -> dict[str, Any] | None:
        """The Jira user behind a page's mention (userkey or username); None when unknown."""
        name = self.people(account_id)
        if not name:
            return None
        try:
            found = self.retry.call(lambda: self.client.get("rest/api/2/user", params={"username": name}))
        except LIBRARY_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise service_error(SERVICE, exc, self.client.url) from exc
        return found if isinstance(found, dict) else None

    def person_id(self, user: Mapping[str, Any]) -> str | None:
        """Data Center names users by username."""
        name = user.get("name")
        return str(name) if name else None

    def find_users(self, query: str) -> list[dict[str, Any]]:
        """Users whose username, name or email matches ``query`` (``/user/search?username=``)."""
        return list(self._call(lambda: self.client.get("rest/api/2/user/search", params={"username": query})) or [])

    # -- writes -------------------------------------------------------------------------------
    def create_batch(self, field_sets: Sequence[Mapping[str, Any]]) -> list[Created]:
        return super().create_batch([self._by_name(fields) for fields in field_sets])

    def update_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        super().update_fields(key, self._by_name(fields))

    def _by_name(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """``assignee: {"accountId": person}`` as Data Center takes it: ``{"name": username}``.
        A person Confluence does not know is sent as given, for Jira to refuse that element alone."""
        out = dict(fields)
        assignee = out.get("assignee")
        if isinstance(assignee, Mapping) and assignee.get("accountId"):
            person = str(assignee["accountId"])
            out["assignee"] = {"name": self.people(person) or person}
        return out

    # -- plumbing -----------------------------------------------------------------------------
    def _search_raw(self, jql: str, fields: Sequence[str], limit: int = SEARCH_PAGE,
                    reconcile: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """``/rest/api/2/search`` by offset until ``total``; ``reconcile`` has no equivalent (ignored:
        callers never rest a guarantee on a search seeing a fresh write)."""
        if len(reconcile) > MAX_RECONCILE:
            raise ValueError(f"at most {MAX_RECONCILE} issue ids to reconcile per search")
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": limit, "startAt": 0}
        while True:
            page_params = dict(params)  # B023: retry.call runs the lambda before the loop moves on
            answer = self.retry.call(lambda: self.client.get("rest/api/2/search", params=page_params))  # noqa: B023
            response: dict[str, Any] = answer if isinstance(answer, dict) else {}
            issues = response.get("issues") or []
            yield from issues
            params["startAt"] += len(issues)
            if not issues or params["startAt"] >= int(response.get("total") or 0):
                return
