"""Create a post-mortem page for an incident: exactly one page per incident, ever.

Every way in (webhook, form, CLI) calls ``PostmortemCreator.create``. Exactly-once rests on two
independent guards, so neither a lost response nor a lost database breaks it — and neither rests
on a search, which Confluence answers from an eventually consistent index:

1. a claim row per incident in wikibot's database (unique key; concurrent callers wait for the
   winner and get its page), and
2. the page's title carries the incident id: before creating, the winner reads the exact-title
   page list (v2, a database read: it sees a page created a moment ago), so a page created by a
   call whose response was lost is adopted, not duplicated. Confluence refuses a second page with
   the same title (400), which catches the rest.

v2 cannot create a page with its labels and content property in one request, so they follow the
create; a page found by title without the incident label is one whose create was interrupted
between those steps: it is adopted, completed and reported as created (nobody was told of it).
The label search (``incident-<id>``) also finds a page renamed since, once the index caught up.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from wikibot.atlassian.confluence import ConfluenceGateway, TitleTaken
from wikibot.atlassian.content import WikiPage
from wikibot.atlassian.jira import JiraGateway
from wikibot.errors import NotOnSite, ServiceError, WikibotError
from wikibot.incident import Incident
from wikibot.store import Database, IncidentIdCollision, utcnow
from wikibot.templates import Template, TemplateSet

if TYPE_CHECKING:
    from wikibot.notify import Notifier

log = logging.getLogger(__name__)

PROPERTY_KEY = "wikibot"
_ACCOUNT_ID = re.compile(r"^(?:[0-9a-f]{24}|\d+:[0-9A-Za-z-]+)$")
_USERKEY = re.compile(r"^[0-9a-f]{32}$")  # a Confluence Data Center user key
_MAX_TITLE = 255


class CreationInProgress(WikibotError):
    """Another caller holds the claim and has not finished yet: retry shortly."""


@dataclass(frozen=True)
class CreateResult:
    page_id: str
    url: str
    title: str
    created: bool


def page_title(incident: Incident, day: date) -> str:
    """``Post-mortem: <YYYY-MM-DD> <title> (<incident_id>)``, within Confluence's 255 characters."""
    suffix = f" ({incident.incident_id})"
    prefix = f"Post-mortem: {day.isoformat()} "
    room = _MAX_TITLE - len(prefix) - len(suffix) - 4  # leave room for a " (2)" clash suffix
    title = incident.title if len(incident.title) <= room else incident.title[: room - 1].rstrip() + "…"
    return f"{prefix}{title}{suffix}"


class ParentPage:
    """``confluence.parent_page`` (an id or a title) resolved to a page id, looked up once.

    Every post-mortem is filed under it, and the audit, the sync and the reminders search below it,
    so each of them takes this (or the id) rather than the creator that happens to file pages.
    """

    def __init__(self, confluence: ConfluenceGateway, space: str, parent_page: str) -> None:
        self.confluence = confluence
        self.space = space
        self.parent_page = parent_page
        self._id: str | None = None

    def page_id(self) -> str:
        if self._id is None:
            if self.parent_page.isdigit():
                # Read once: an id that names no page made every listing below it empty, silently.
                try:
                    self._id = self.confluence.page(self.parent_page).id
                except ServiceError as exc:
                    if exc.status == 404:
                        raise NotOnSite(f"Confluence: no page with id {self.parent_page} (confluence.parent_page)",
                                        status=404) from exc
                    raise
            else:
                found = self.confluence.pages_titled(self.parent_page)
                if not found:
                    raise NotOnSite(f"Confluence: no page titled {self.parent_page!r} in space {self.space} "
                                    "(confluence.parent_page)", status=404)
                self._id = found[0].id
        return self._id


class PostmortemCreator:
    def __init__(self, *, confluence: ConfluenceGateway, jira: JiraGateway, db: Database, templates: TemplateSet,
                 space: str, parent: ParentPage, label: str, debrief_within_days: int,
                 notifier: Notifier | None = None, wait_seconds: float = 20.0,
                 on_created: Callable[[], None] | None = None, zone: tzinfo = UTC) -> None:
        self.confluence = confluence
        self.jira = jira
        self.db = db
        self.templates = templates
        self.space = space
        self.parent = parent
        self.label = label
        self.debrief_within_days = debrief_within_days
        self.notifier = notifier
        self.wait_seconds = wait_seconds
        self.on_created = on_created
        self.zone = zone

    # -- the one entry point ------------------------------------------------------------------
    def create(self, incident: Incident) -> CreateResult:
        deadline = time.monotonic() + self.wait_seconds
        while True:
            claim = self.db.claim_incident(incident.incident_id, label=incident.label)
            if claim.record is not None:
                return CreateResult(claim.record.page_id or "", claim.record.url or "", claim.record.title or "", False)
            if claim.owner:
                break
            if time.monotonic() > deadline:
                raise CreationInProgress(f"the page for {incident.incident_id} is still being created; retry shortly")
            time.sleep(0.05)
        assert claim.token is not None
        try:
            result = self._create_or_adopt(incident)
            if claim.rescued:
                # The caller that died held the claim until it finished and told the chat, so a page
                # it left behind has been announced to nobody: adopted now, it counts as created.
                result = replace(result, created=True)
        except BaseException:
            self.db.release_incident(incident.incident_id, claim.token)
            raise
        self.db.finish_incident(incident.incident_id, claim.token, result.page_id, result.url, result.title)
        if result.created:
            if self.on_created is not None:
                self.on_created()
            if self.notifier is not None:
                self.notifier.page_created(incident, result, self._debrief_due(incident))
        return result

    # -- steps --------------------------------------------------------------------------------
    def _create_or_adopt(self, incident: Incident) -> CreateResult:
        base_title = page_title(incident, incident.incident_date(self._today()))
        existing = self._find_existing(incident, base_title)
        if existing is not None:
            return existing
        template = self.templates.choose(incident.severity)
        body = self._render(template, incident)
        labels = self._labels(incident)
        parent_id = self.parent_id()
        for attempt in range(1, 20):
            title = base_title if attempt == 1 else f"{base_title} ({attempt})"
            try:
                page = self._post_page(title, body, parent_id, labels, template, incident)
            except TitleTaken:
                # Ours, if an earlier attempt's response was lost after the page was made. Only a page
                # known *not* to be ours sends us on to the next title: when that cannot be read now,
                # fail (a retry adopts it), or one incident would get a second, " (2)" page.
                existing = self._find_existing(incident, title)
                if existing is not None:
                    return replace(existing, created=True)
                continue
            except ServiceError:
                # The POST may have landed before the failure: adopt it if so, else report.
                existing = self._find_existing(incident, title, quiet=True)
                if existing is not None:
                    return replace(existing, created=True)
                raise
            return CreateResult(page.id, page.url, page.title, True)
        raise ServiceError(f"Confluence: too many pages already titled {base_title!r}")

    def _find_existing(self, incident: Incident, base_title: str, quiet: bool = False) -> CreateResult | None:
        """The page this incident already has, if any (see the module docstring).

        The label is only a slug (``INC_1`` and ``INC-1`` share it), so a page found by title or
        label is ours only if the incident id recorded in its ``wikibot`` property is exactly ours;
        another incident's page is refused (``IncidentIdCollision``), never answered.
        """
        try:
            candidates: list[WikiPage] = []
            for page in self.confluence.pages_titled(base_title, labels=True):
                if incident.label in page.labels:
                    candidates.append(page)
                elif not any(label.startswith("incident-") for label in page.labels):
                    # An interrupted create (the title holds the exact id): ours, and nobody has been told yet.
                    template = self.templates.choose(incident.severity)
                    completed = self.confluence.complete(page, self._labels(incident),
                                                         self._properties(template, incident))
                    return replace(_result(completed), created=True)
            if not candidates:
                found = self.confluence.first_page_labelled(incident.label)
                candidates += [found] if found is not None else []
            owners = [self._incident_of(page.id) for page in candidates]
        except ServiceError:
            if quiet:
                return None
            raise
        return _ours(incident, [_result(page) for page in candidates], owners)

    def _incident_of(self, page_id: str) -> str | None:
        """The incident id a page's ``wikibot`` property records (``None``: not made by wikibot)."""
        value = self.confluence.page_property(page_id, PROPERTY_KEY)
        owner = value.get("incident_id") if value is not None else None
        return owner if isinstance(owner, str) else None

    def _post_page(self, title: str, body: str, parent_id: str, labels: list[str], template: Template,
                   incident: Incident) -> WikiPage:
        return self.confluence.create_page(title, body, parent_id, labels=labels,
                                           properties=self._properties(template, incident), retry=True)

    def _labels(self, incident: Incident) -> list[str]:
        return [self.label, incident.label] + ([incident.severity_label] if incident.severity_label else [])

    @staticmethod
    def _properties(template: Template, incident: Incident) -> dict[str, dict[str, Any]]:
        return {PROPERTY_KEY: {"template": template.name, "template_version": template.version,
                               "incident_id": incident.incident_id, "created_by": "wikibot"}}

    def _render(self, template: Template, incident: Incident) -> str:
        lead_id, lead_name = self._resolve_lead(incident.lead)
        return template.render(
            incident={"id": incident.incident_id, "title": incident.title, "severity": incident.severity,
                      "date": incident.incident_date(self._today()), "started": incident.started_text(),
                      "summary": incident.summary,
                      "channel_url": incident.channel_url},
            lead={"account_id": lead_id, "name": lead_name, "mention_attribute": self.confluence.mention_attribute},
            debrief_due=self._debrief_due(incident),
            recording_url=None,
            template={"name": template.name, "version": template.version},
        )

    def _today(self) -> date:
        """The incident's day when none was given: today where the audit counts days (``audit.timezone``),
        so the page's "Debrief due" is the day the audit and the dashboard expect, not UTC's."""
        return utcnow().astimezone(self.zone).date()

    def _debrief_due(self, incident: Incident) -> date:
        return incident.incident_date(self._today()) + timedelta(days=self.debrief_within_days)

    def _resolve_lead(self, lead: str | None) -> tuple[str | None, str | None]:
        """An account id as given; a name or email exactly one Jira user has; else the name as text."""
        if not lead:
            return None, None
        if _ACCOUNT_ID.match(lead) or _USERKEY.match(lead):
            return lead, None
        try:
            exact, _ = self.jira.users_named(lead)
            person = self.confluence.mention_id(exact[0]) if len(exact) == 1 else None
        except ServiceError as exc:  # a lookup failure must not block the page: fall back to text
            log.warning("lead lookup failed for %r: %s", lead, type(exc).__name__)
            return None, lead
        return (person, None) if person else (None, lead)

    def parent_id(self) -> str:
        """The id of ``confluence.parent_page``, where new post-mortems go."""
        return self.parent.page_id()


def _ours(incident: Incident, candidates: list[CreateResult], owners: list[str | None]) -> CreateResult | None:
    """The candidate recording exactly this incident; else one made outside wikibot (no id recorded)."""
    for candidate, owner in zip(candidates, owners, strict=True):
        if owner == incident.incident_id:
            return candidate
    for candidate, owner in zip(candidates, owners, strict=True):
        if owner is None:
            return candidate
    if candidates:
        raise IncidentIdCollision(incident.incident_id, owners[0] or "", incident.label)
    return None


def _result(page: WikiPage) -> CreateResult:
    return CreateResult(page.id, page.url, page.title, False)
