"""Exceptions of the page model.

Callers (the CLI, the sync job) need to tell three situations apart: the page cannot be read at all,
an item the caller holds is no longer on the page (re-read and retry), and a person has already put a
different ticket in the cell (leave it, report it). Each message is one line, suitable for a CLI error.
"""

from __future__ import annotations


class PageParseError(ValueError):
    """The body is not a readable storage-format page (too big, not text, not well-formed, DOCTYPE ...)."""


class EditError(ValueError):
    """A write-back cannot be done on this body."""


class ItemNotFound(EditError):
    """An action item can no longer be found in the body (the page changed since it was parsed)."""

    def __init__(self, identity: str, summary: str) -> None:
        super().__init__(f"action item {identity} ({summary[:60]!r}) is no longer on the page")
        self.identity = identity
        self.summary = summary


class TicketConflict(EditError):
    """The item's ticket cell already names a different Jira issue; a person's edit is never overwritten."""

    def __init__(self, identity: str, existing: str, wanted: str) -> None:
        super().__init__(f"action item {identity} already links {existing}; not replacing it with {wanted}")
        self.identity = identity
        self.existing = existing
        self.wanted = wanted
