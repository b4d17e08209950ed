"""Jira reads of an audit run, done on a small thread pool *while* pages are still being parsed.

The audit needs the status and due date of every linked Jira issue and the display name of every
lead. Both are only known once pages are read, but waiting for the whole listing before asking
would add the Jira round trips to the run's wall time; instead, every full chunk of 100 keys is
searched as soon as it is collected, and each unknown lead is looked up as soon as it is seen.

* Issues: one ``issuekey in (...)`` search per 100 keys (Jira Cloud's page cap), ``fields=status,
  duedate,assignee,description`` (an unassigned issue's description says why: ``sync.filing``)
  (:meth:`~wikibot.atlassian.jira.JiraGateway.issues_by_key`: keys that do not exist are dropped,
  every page of the answer is read). A key absent from the answer is read by itself (``GET
  /issue/{key}``, consistent where the search is not): found, it is judged as any other (an issue
  filed minutes ago, or moved to another project under a new key); a 404 (deleted, mistyped, or not
  visible to wikibot) is kept in :attr:`Lookups.missing`, and the audit says so.
* Names: one lookup per account the database has not named recently; an account Jira does not
  know (a lead whose account was deleted) is kept in :attr:`Lookups.unknown`, any other failure
  stops further lookups for this run (and those accounts are neither named nor called unknown).

A failure is an error of the run, never its end: the keys of a failed search are not judged for
``overdue_action``, and a lead whose name was not read shows as an account id.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Self

from wikibot.atlassian.jira import JiraGateway
from wikibot.audit.rules import JiraState
from wikibot.errors import WikibotError
from wikibot.sync.actions import description_lines
from wikibot.sync.issues import NOT_DOING_LABEL, unassigned_reason

CHUNK = 100
WORKERS = 4  # requests in flight at once: hides latency, stays far below any rate limit


class Lookups:
    """Collects keys and accounts as pages are read; :meth:`finish` returns what Jira said."""

    def __init__(self, jira: JiraGateway, known_names: dict[str, str]) -> None:
        self.jira = jira
        self.known_names = dict(known_names)
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="audit-jira")
        self._keys: set[str] = set()
        self._pending: list[str] = []
        self._searches: list[Future[dict[str, JiraState]]] = []
        self._lookups: dict[str, Future[str | None]] = {}
        self._names_failed = threading.Event()
        self.unknown: set[str] = set()
        """Accounts Jira answered it does not know (complete once :meth:`finish` returned)."""
        self.missing: set[str] = set()
        """Keys Jira said do not exist (filled by the searches; complete once :meth:`finish` returned)."""
        self._missing_lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add_keys(self, keys: Iterable[str]) -> None:
        for key in keys:
            if key not in self._keys:
                self._keys.add(key)
                self._pending.append(key)
        while len(self._pending) >= CHUNK:
            self._submit(self._pending[:CHUNK])
            del self._pending[:CHUNK]

    def add_account(self, account: str | None) -> None:
        if account and account not in self.known_names and account not in self._lookups:
            self._lookups[account] = self._pool.submit(self._name, account)

    def finish(self) -> tuple[dict[str, JiraState], dict[str, str], list[str]]:
        """(issue states, names looked up now, errors); a failed search leaves its keys unjudged."""
        if self._pending:
            self._submit(sorted(self._pending))
            self._pending = []
        errors: list[str] = []
        states: dict[str, JiraState] = {}
        for search in self._searches:
            try:
                states.update(search.result())
            except WikibotError as exc:
                if not errors:
                    errors.append(f"{exc} (overdue actions not checked)")
        names = {}
        for account, lookup in self._lookups.items():
            try:
                name = lookup.result()
            except WikibotError as exc:
                errors.append(f"{exc} (names of leads not read)")
                break
            if name:
                names[account] = name
            elif not self._names_failed.is_set():
                self.unknown.add(account)
        return states, names, errors

    def _submit(self, keys: list[str]) -> None:
        self._searches.append(self._pool.submit(self.search, keys))

    def search(self, keys: list[str]) -> dict[str, JiraState]:
        """Read ``keys`` in one search, then each key the search left out by itself: page key -> state."""
        fields = ("status", "duedate", "assignee", "description", "labels")
        found = {issue["key"]: _state(issue) for issue in self.jira.issues_by_key(keys, fields)}
        missing = set()
        for key in keys:
            if key not in found:
                issue = self.jira.issue(key, fields)
                if issue is None:
                    missing.add(key)
                else:  # (under the key the page names: a moved issue answers with its new one)
                    found[key] = _state(issue)
        with self._missing_lock:
            self.missing |= missing
        return found

    def _name(self, account: str) -> str | None:
        if self._names_failed.is_set():
            return None
        try:
            return self.jira.user_name(account)
        except WikibotError:
            self._names_failed.set()
            raise


def _state(issue: dict[str, Any]) -> JiraState:
    fields = issue.get("fields") or {}
    status = fields.get("status") or {}
    unassigned = None if fields.get("assignee") else unassigned_reason(description_lines(fields.get("description")))
    return JiraState(key=issue["key"], status=status.get("name") or "?",
                     done=(status.get("statusCategory") or {}).get("key") == "done", due=fields.get("duedate"),
                     unassigned=unassigned, not_doing=NOT_DOING_LABEL in (fields.get("labels") or []))

