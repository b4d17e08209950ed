"""Writing Jira keys and statuses into a page: one update per page, never over a person's edit.

The PUT carries the version we read (``Wiki.update_body``). When someone saved meanwhile Confluence
answers 409: we re-read the page and re-apply *only our edits* to the new body — the page model
finds each row again even if it moved — and try again. A person's edit is therefore never
overwritten, and a retried PUT whose first answer was lost simply finds its edits already there.

A row deleted meanwhile drops its own edit (reported), not the others; a ticket cell someone filled
with a different key is left alone (reported). Which keys are on the page afterwards is read from
the saved body itself, so the count is right whatever the editor skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from wikibot.errors import ServiceError
from wikibot.pages import Edit, EditError, ItemNotFound, apply_edits
from wikibot.wiki import VersionConflict, Wiki, WikiPage

MAX_CONFLICTS = 5


@dataclass
class WriteResult:
    """What landed: keys now on the page (item identity → key), and what could not be written."""

    page: WikiPage
    keys: dict[str, str] = field(default_factory=dict)
    saved: bool = False
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    """Set when nothing was written (Confluence down, page unreadable, kept changing)."""


def write_back(wiki: Wiki, page: WikiPage, edits: Sequence[Edit], *, max_conflicts: int = MAX_CONFLICTS,
               message: str = "wikibot: Jira sync") -> WriteResult:
    """Apply ``edits`` to ``page`` in one update (re-read and re-applied on 409)."""
    pending = list(edits)
    result = WriteResult(page)
    conflicts = 0
    while pending:
        try:
            applied = apply_edits(page.body, pending)
        except ItemNotFound as exc:
            result.problems.append(f"{exc}; not written")
            pending = [edit for edit in pending if edit.item.identity != exc.identity]
            continue
        except EditError as exc:
            result.error = f"cannot edit the page: {exc}"
            return result
        if applied.changed:
            try:
                page = wiki.update_body(page, applied.body, message)
            except VersionConflict:
                conflicts += 1
                if conflicts > max_conflicts:
                    result.error = f"gave up after {max_conflicts} edit conflicts: the page kept changing"
                    return result
                try:
                    page = wiki.page(page.id)
                except ServiceError as exc:
                    result.error = str(exc)
                    return result
                continue
            except ServiceError as exc:
                result.error = str(exc)
                return result
            result.saved = True
        result.problems.extend(str(problem) for problem in applied.skipped)
        result.page = page
        result.keys = {e.item.identity: e.jira_key for e in pending if e.jira_key and e.jira_key in applied.jira_keys}
        return result
    return result
