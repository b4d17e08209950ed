"""Recording a debrief on its page: the "Debrief held" Page Property, set from the dashboard.

One minimal edit (``pages.edit.set_property``: one cell, or one new row after "Debrief due"),
written with the version it was read at. When someone saved meanwhile (409), the page is read
again and only this edit is applied again, so their edit stays; a date a person already wrote is
never replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from wikibot.atlassian.confluence import ConfluenceGateway, VersionConflict
from wikibot.errors import InputError, ServiceError
from wikibot.pages.edit import PropertyConflict, set_property
from wikibot.pages.errors import EditError, PageParseError

HELD_KEY = "Debrief held"
ATTEMPTS = 3


@dataclass(frozen=True)
class Marked:
    page_id: str
    held: date
    changed: bool
    """False when the page already said so (the edit is idempotent)."""


class AlreadyRecorded(InputError):
    """The page already holds a different debrief date, written by a person."""


def mark_debriefed(wiki: ConfluenceGateway, page_id: str, held: date, by: str | None = None) -> Marked:
    """Set "Debrief held" to ``held`` on the page; raises ``InputError`` when the page cannot take it.

    ``by`` (the signed-in person, when the dashboard knows one) goes into the version comment, so the
    page history says who recorded it, not only that the bot account saved.
    """
    message = f"wikibot: debrief held {held.isoformat()}" + (f" (recorded by {by})" if by else "")
    value = f'<time datetime="{held.isoformat()}" />'
    for _ in range(ATTEMPTS):
        page = wiki.page(page_id)
        try:
            body = set_property(page.body, HELD_KEY, value, after="Debrief due")
        except PropertyConflict as exc:
            raise AlreadyRecorded(f"{page.title}: {exc}; change it on the page if it is wrong") from exc
        except (EditError, PageParseError) as exc:
            raise InputError(f"{page.title}: {exc}") from exc
        if body == page.body:
            return Marked(page_id, held, changed=False)
        try:
            wiki.update_body(page, body, message=message)
        except VersionConflict:
            continue  # someone saved meanwhile: read their version and apply only this edit to it
        return Marked(page_id, held, changed=True)
    raise ServiceError(f"Confluence: page {page_id} kept changing while wikibot recorded the debrief; try again",
                       status=409)
