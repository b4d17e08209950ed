"""Jira I/O for sync: marker search, bulk create, remote links, transitions, edits.

Only steps that are safe to repeat are retried blindly: searches, remote-link upserts (keyed by
globalId), field edits and transitions (re-checked before giving up). A bulk *create* is retried
blindly only on 429, which Jira answers before doing anything; after a 5xx or a lost answer some of
its issues may exist, so :meth:`JiraSide.create_batch` raises :class:`CreateUncertain` and the caller
searches the marker labels before trying again (see ``wikibot.sync.runner``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from atlassian import Jira

from wikibot.clients import service_error
from wikibot.errors import ServiceError
from wikibot.retry import RetryPolicy, is_transient, status_of
from wikibot.sync.issues import JiraIssue, issue_from_json, jira_fields, page_label

T = TypeVar("T")

MAX_BULK = 50  # Jira's limit per bulk create
SEARCH_PAGE = 100  # Jira Cloud's cap on maxResults
PAGES_PER_SEARCH = 50  # labels per marker search; keeps the JQL short
SEARCH_FIELDS = ("summary", "status", "labels", "duedate", "priority")
DONE = "Done"


class CreateUncertain(ServiceError):
    """A bulk create failed in a way that may have created some issues: search before retrying."""


@dataclass(frozen=True)
class Created:
    """One element of a bulk create: its key, or Jira's error for it."""

    key: str | None = None
    error: str | None = None


class _Final(Exception):
    """Carries an error past ``with_retries`` so it is not retried."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class JiraSide:
    def __init__(self, jira: Jira, retry: RetryPolicy | None = None) -> None:
        self.jira = jira
        self.retry = retry or RetryPolicy()

    # -- reads --------------------------------------------------------------------------------
    def search(self, jql: str, fields: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every issue matching ``jql`` (enhanced search, following ``nextPageToken``)."""
        token = None
        while True:
            response = self._call(lambda t=token: self.jira.enhanced_jql(jql, fields=",".join(fields),
                                                                          nextPageToken=t, limit=SEARCH_PAGE))
            yield from response.get("issues") or []
            token = response.get("nextPageToken")
            if not token or response.get("isLast"):
                return

    def marker_issues(self, page_ids: Sequence[str]) -> dict[str, list[JiraIssue]]:
        """Everything wikibot ever filed for these pages, grouped by page: one search per 50 pages."""
        found: dict[str, list[JiraIssue]] = {page_id: [] for page_id in page_ids}
        for start in range(0, len(page_ids), PAGES_PER_SEARCH):
            labels = ", ".join(f'"{page_label(p)}"' for p in page_ids[start:start + PAGES_PER_SEARCH])
            for raw in self.search(f"labels in ({labels}) order by key asc", SEARCH_FIELDS):
                issue = issue_from_json(raw)
                if issue.page_id in found:
                    found[issue.page_id].append(issue)
        return found

    # -- writes -------------------------------------------------------------------------------
    def create_batch(self, field_sets: Sequence[Mapping[str, Any]]) -> list[Created]:
        """Create up to 50 issues in one request; one :class:`Created` per element, in order.

        Jira creates the valid elements even when others fail (400 with per-element errors).
        """
        if len(field_sets) > MAX_BULK:
            raise ValueError(f"at most {MAX_BULK} issues per bulk create")
        payload = [{"fields": dict(fields)} for fields in field_sets]

        def attempt() -> Any:
            try:
                return self.jira.create_issues(payload)
            except Exception as exc:
                if status_of(exc) == 429:
                    raise
                raise _Final(exc) from exc

        try:
            response = self.retry.call(attempt)
        except Exception as exc:
            error = exc.error if isinstance(exc, _Final) else exc
            body = _json_body(error)
            if status_of(error) == 400 and isinstance(body, dict) and "errors" in body:
                return _outcomes(len(payload), body)
            if is_transient(error):
                raise CreateUncertain(str(service_error("Jira", error)), status=status_of(error)) from None
            raise service_error("Jira", error) from None
        return _outcomes(len(payload), response or {})

    def link(self, key: str, global_id: str, url: str, title: str) -> None:
        """Upsert the remote link to the page (same globalId: updated, never duplicated)."""
        self._call(lambda: self.jira.create_or_update_issue_remote_links(
            key, url, title, global_id=global_id, relationship="Post-mortem",
            application={"type": "com.atlassian.confluence", "name": "Confluence"}))

    def update(self, key: str, values: Mapping[str, Any]) -> None:
        """Write page-owned values (summary, duedate, priority) to the issue."""
        self._call(lambda: self.jira.update_issue_field(key, jira_fields(values), notify_users=True))

    def transition(self, key: str, status: str = DONE) -> None:
        """Move the issue to ``status``; a retry after a lost answer finds it there and is done."""
        try:
            self.retry.call(lambda: self.jira.set_issue_status(key, status))
        except Exception as exc:
            try:
                current = self.retry.call(lambda: self.jira.get_issue_status(key))
            except Exception:
                current = None
            if str(current or "").casefold() != status.casefold():
                raise service_error("Jira", exc) from None

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return self.retry.call(fn)
        except Exception as exc:
            raise service_error("Jira", exc) from None


def _json_body(exc: BaseException) -> Any:
    response = getattr(exc, "response", None)
    try:
        return response.json() if response is not None else None
    except ValueError:
        return None


def _outcomes(count: int, body: Mapping[str, Any]) -> list[Created]:
    """Map a bulk answer onto its elements: ``issues`` lists the successes in element order."""
    failed: dict[int, str] = {}
    for error in body.get("errors") or []:
        index = error.get("failedElementNumber")
        if isinstance(index, int) and 0 <= index < count:
            failed[index] = _element_error(error.get("elementErrors") or {})
    issues = iter(body.get("issues") or [])
    outcomes = []
    for index in range(count):
        if index in failed:
            outcomes.append(Created(error=failed[index]))
            continue
        issue = next(issues, None)
        outcomes.append(Created(key=issue["key"]) if issue else Created(error="Jira did not return this issue"))
    return outcomes


def _element_error(errors: Mapping[str, Any]) -> str:
    parts = [str(m) for m in errors.get("errorMessages") or []]
    parts += [f"{name}: {message}" for name, message in (errors.get("errors") or {}).items()]
    return "Jira: " + ("; ".join(parts) or "rejected without a reason")
