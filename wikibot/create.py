"""Create a post-mortem page for an incident: exactly one page per incident, ever.

Every way in (webhook, form, CLI) calls ``PostmortemCreator.create``. Exactly-once rests on two
independent guards, so neither a lost response nor a lost database breaks it:

1. a claim row per incident in wikibot's database (unique key; concurrent callers wait for the
   winner and get its page), and
2. the page itself carries the label ``incident-<id>``: before creating, the winner searches
   for it, so a page created by a call whose response was lost is adopted, not duplicated.

The page is created with its labels and its ``wikibot`` content property in the same POST, so
there is never an orphan page without the labels that find it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from atlassian import ConfluenceServer, Jira

from wikibot.clients import service_error
from wikibot.errors import ServiceError, WikibotError
from wikibot.incident import Incident
from wikibot.retry import status_of, with_retries
from wikibot.store import Database, IncidentIdCollision, utcnow
from wikibot.templates import Template, TemplateSet
from wikibot.wiki import cql_quote

log = logging.getLogger(__name__)

PROPERTY_KEY = "wikibot"
_ACCOUNT_ID = re.compile(r"^(?:[0-9a-f]{24}|\d+:[0-9A-Za-z-]+)$")
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


class PostmortemCreator:
    def __init__(self, *, confluence: ConfluenceServer, jira: Jira, db: Database, templates: TemplateSet,
                 space: str, parent_page: str, label: str, debrief_within_days: int,
                 notifier: Any = None, wait_seconds: float = 20.0,
                 on_created: Callable[[], None] | None = None) -> None:
        self.confluence = confluence
        self.jira = jira
        self.db = db
        self.templates = templates
        self.space = space
        self.parent_page = parent_page
        self.label = label
        self.debrief_within_days = debrief_within_days
        self.notifier = notifier
        self.wait_seconds = wait_seconds
        self.on_created = on_created
        self._parent_id: str | None = None

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
        base_title = page_title(incident, incident.incident_date(utcnow().date()))
        existing = self._find_existing(incident, base_title)
        if existing is not None:
            return existing
        template = self.templates.choose(incident.severity)
        body = self._render(template, incident)
        labels = [self.label, incident.label] + ([incident.severity_label] if incident.severity_label else [])
        parent_id = self.parent_id()
        for attempt in range(1, 20):
            title = base_title if attempt == 1 else f"{base_title} ({attempt})"
            try:
                page = with_retries(lambda: self._post_page(title, body, parent_id, labels, template, incident))
            except Exception as exc:
                if _is_title_clash(exc):
                    # Ours, if an earlier attempt's response was lost after the page was made.
                    existing = self._find_existing(incident, title, quiet=True)
                    if existing is not None:
                        return replace(existing, created=True)
                    continue
                # The POST may have landed before the failure: adopt it if so, else report.
                existing = self._find_existing(incident, title, quiet=True)
                if existing is not None:
                    return replace(existing, created=True)
                raise service_error("Confluence", exc) from None
            return CreateResult(str(page["id"]), _page_url(page), page["title"], True)
        raise ServiceError(f"Confluence: too many pages already titled {base_title!r}")

    def _find_existing(self, incident: Incident, base_title: str, quiet: bool = False) -> CreateResult | None:
        """The page this incident already has, if any.

        The title lookup reads the database directly and so sees a page created a moment ago;
        the label search also finds one renamed since, or given a clash suffix, once the search
        index has caught up (Confluence's CQL index is eventually consistent). The label is only a
        slug (``INC_1`` and ``INC-1`` share it), so a found page is ours only if the incident id
        recorded in its ``wikibot`` property is exactly ours; another incident's page is refused
        (``IncidentIdCollision``), never answered.
        """
        cql = f'type = page and space = "{cql_quote(self.space)}" and label = "{cql_quote(incident.label)}"'
        try:
            by_title = with_retries(lambda: self.confluence.get_page_by_title(
                self.space, base_title, expand="metadata.labels"))
            candidates = []
            for page in (by_title or {}).get("results") or []:
                names = {label.get("name") for label in page.get("metadata", {}).get("labels", {}).get("results", [])}
                if incident.label in names:
                    candidates.append(CreateResult(str(page["id"]), _page_url(page), page["title"], False))
            if not candidates:
                found = with_retries(lambda: self.confluence.cql(cql, limit=25))
                for result in found.get("results") or []:
                    content = result.get("content") or {}
                    webui = content.get("_links", {}).get("webui") or result.get("url", "")
                    candidates.append(CreateResult(str(content.get("id")), found.get("_links", {}).get("base", "")
                                                   + webui, content.get("title", ""), False))
            owners = [self._incident_of(candidate.page_id) for candidate in candidates]
        except Exception as exc:
            if quiet:
                return None
            raise service_error("Confluence", exc) from None
        return _ours(incident, candidates, owners)

    def _incident_of(self, page_id: str) -> str | None:
        """The incident id a page's ``wikibot`` property records (``None``: not made by wikibot)."""
        try:
            found = with_retries(lambda: self.confluence.get(f"rest/api/content/{page_id}/property/{PROPERTY_KEY}"))
        except Exception as exc:
            if status_of(exc) == 404:
                return None
            raise
        value = (found or {}).get("value") if isinstance(found, dict) else None
        owner = value.get("incident_id") if isinstance(value, dict) else None
        return owner if isinstance(owner, str) else None

    def _post_page(self, title: str, body: str, parent_id: str, labels: list[str], template: Template,
                   incident: Incident) -> dict[str, Any]:
        data = {
            "type": "page",
            "title": title,
            "space": {"key": self.space},
            "ancestors": [{"id": parent_id}],
            "body": {"storage": {"value": body, "representation": "storage"}},
            "metadata": {
                "labels": [{"prefix": "global", "name": name} for name in labels],
                "properties": {PROPERTY_KEY: {"value": {
                    "template": template.name, "template_version": template.version,
                    "incident_id": incident.incident_id, "created_by": "wikibot"}}},
            },
        }
        return self.confluence.post("rest/api/content", data=data)

    def _render(self, template: Template, incident: Incident) -> str:
        lead_id, lead_name = self._resolve_lead(incident.lead)
        return template.render(
            incident={"id": incident.incident_id, "title": incident.title, "severity": incident.severity,
                      "date": incident.incident_date(utcnow().date()), "started": incident.started_text(),
                      "summary": incident.summary,
                      "channel_url": incident.channel_url},
            lead={"account_id": lead_id, "name": lead_name},
            debrief_due=self._debrief_due(incident),
            recording_url=None,
            template={"name": template.name, "version": template.version},
        )

    def _debrief_due(self, incident: Incident) -> date:
        return incident.incident_date(utcnow().date()) + timedelta(days=self.debrief_within_days)

    def _resolve_lead(self, lead: str | None) -> tuple[str | None, str | None]:
        """An account id as given; a name looked up in Jira's user search; else the name as text."""
        if not lead:
            return None, None
        if _ACCOUNT_ID.match(lead):
            return lead, None
        try:
            users = self.jira.user_find_by_user_string(query=lead) or []
        except Exception as exc:  # a lookup failure must not block the page: fall back to text
            log.warning("lead lookup failed for %r: %s", lead, type(exc).__name__)
            return None, lead
        if len(users) == 1 and users[0].get("accountId"):
            return users[0]["accountId"], None
        return None, lead

    def parent_id(self) -> str:
        """The id of ``confluence.parent_page`` (given as an id or a title), looked up once."""
        if self._parent_id is None:
            if self.parent_page.isdigit():
                self._parent_id = self.parent_page
            else:
                try:
                    found = with_retries(lambda: self.confluence.get_page_by_title(self.space, self.parent_page))
                except Exception as exc:
                    raise service_error("Confluence", exc) from None
                results = (found or {}).get("results") or []
                if not results:
                    raise ServiceError(f"Confluence: no page titled {self.parent_page!r} in space {self.space} "
                                       "(confluence.parent_page)")
                self._parent_id = str(results[0]["id"])
        return self._parent_id


def _ours(incident: Incident, candidates: list[CreateResult], owners: list[str | None]) -> CreateResult | None:
    """The candidate recording exactly this incident; else one made outside wikibot (no id recorded)."""
    for candidate, owner in zip(candidates, owners):
        if owner == incident.incident_id:
            return candidate
    for candidate, owner in zip(candidates, owners):
        if owner is None:
            return candidate
    if candidates:
        raise IncidentIdCollision(incident.incident_id, owners[0] or "", incident.label)
    return None


def _page_url(page: dict[str, Any]) -> str:
    links = page.get("_links") or {}
    return links.get("base", "") + links.get("webui", "")


def _is_title_clash(exc: Exception) -> bool:
    return status_of(exc) == 400 and "already exists" in str(exc)
