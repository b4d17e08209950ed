"""One audit run: list the pages, reuse or parse each, read Jira in bulk, judge, record.

Requests, for N post-mortems (Confluence caps a search at 50 results with bodies, 200 without):

* first run (nothing cached): one CQL search with bodies, ⌈N/50⌉ requests — the minimum — read one
  response ahead in a background thread, so the network wait overlaps the parsing;
* later runs: one CQL search without bodies (versions, dates, labels: ⌈N/200⌉ requests), then the
  bodies of the changed pages only, 50 per ``id in (...)`` search. An unchanged night costs ⌈N/200⌉.
  Measured by ``bench/audit.py`` (2,000 pages, 50 ms latency): 10 requests and 1.7 s, against 40
  requests and 3.4 s for listing with bodies and skipping the parse (CPU 0.45 s vs 0.6 s: decoding
  bodies is cheap, waiting for them is not). If every page changed, this costs 25% more requests
  than a full listing; the cache makes that rare, and a run with nothing cached lists in full.
* Jira (``lookups``): one ``issuekey in (...)`` search per 100 keys and one name lookup per lead not
  named recently, sent while pages are still being parsed.

Incremental reuse: a page's :class:`~wikibot.audit.facts.PageFacts` are cached under its id with
the version and a key of everything else they depend on (templates, blame phrases, extraction
version). A page with the same version and key is not parsed; its time-based findings are still
re-evaluated from the cached facts, today's clock and today's Jira state (``checks.audit_page``).

Nothing about one page stops the run: a body that cannot be parsed becomes an ``unreadable``
finding for that page, and Jira or a name lookup failing becomes a run error (``overdue_action``
is then not judged) while every other check still runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from queue import Full, Queue
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from wikibot.atlassian.confluence import PAGE_EXPAND, pages_by_id_cql, postmortems_cql, still_labelled
from wikibot.atlassian.content import WikiPage
from wikibot.audit.checks import DONE_STATUSES, LEAD_KEYS, STATUS_KEYS, PageAudit, audit_page
from wikibot.audit.facts import (
    PageFacts,
    TemplateCatalogue,
    TemplateProfile,
    extract_facts,
    facts_key,
    profile_template,
    unreadable,
)
from wikibot.audit.lookups import Lookups
from wikibot.audit.report import AuditReport
from wikibot.audit.rules import Evidence, Rules
from wikibot.create import PROPERTY_KEY
from wikibot.dashboard_rows import snapshot_rows
from wikibot.errors import ConfigError, WikibotError
from wikibot.pages import PageParseError, parse_page
from wikibot.store.audits import NAMES_MAX_AGE, AuditStore, CachedFacts
from wikibot.store.schema import utcnow
from wikibot.store.snapshots import DashboardStore
from wikibot.templates import BUILTIN_DIR, load_template

if TYPE_CHECKING:
    from wikibot.services import Services

log = logging.getLogger(__name__)

T = TypeVar("T")

LIST_EXPAND = "version,history,metadata.labels"
LIST_PAGE = 200  # Confluence's cap for searches expanding anything but the body
BODY_CHUNK = 50  # ... and with the body
PUBLISHED = "published"


def run_audit(services: Services, *, page_id: str | None = None, publish: bool = False, now: datetime | None = None,
              trigger: str = "cli") -> AuditReport:
    """Audit every post-mortem (or one page), record the run, and with ``publish`` tell people.

    ``now`` is injectable so tests control time. Raises ``WikibotError`` only when nothing can be
    audited (the page listing failed); everything else ends up in ``report.errors``.
    """
    # Imported here: publishing builds on this module's helpers.
    from wikibot.audit.publish import publish_report

    now = now or utcnow()
    store = AuditStore(services.db.engine)
    run_id = store.start_run(trigger, now, scope=page_id)
    try:
        report = AuditRun(services, store, now).audit(page_id)
        report.figures = [f.to_dict() for f in DashboardStore(services.db.engine).figures(
            now.astimezone(ZoneInfo(services.config.audit.timezone)).date(),
            services.config.postmortem.debrief_within_days)]
        if publish:
            report.errors.extend(publish_report(services, store, report))
    except BaseException as exc:
        store.finish_run(run_id, {"errors": [f"{type(exc).__name__}: {exc}"[:500]]}, failed=True)
        raise
    store.finish_run(run_id, report.summary())
    log.info("audit: %s", report.summary())
    return report


def scheduled_audit(services: Services) -> dict[str, Any]:
    """The nightly job (``wikibot.scheduler``): audit everything, publish, return the summary."""
    return run_audit(services, publish=True, trigger="scheduled").summary()


def postmortem_pages(services: Services, expand: str = PAGE_EXPAND, page_size: int = BODY_CHUNK
                     ) -> Iterator[WikiPage]:
    """Every post-mortem (space, parent page and label from the configuration), in as few requests as possible;
    a page the search still finds by a label it no longer has is left out (``still_labelled``)."""
    config = services.config
    cql = postmortems_cql(config.confluence.space, config.postmortem.label, services.parent_page.page_id())
    return still_labelled(services.confluence.search_pages(cql, expand=expand, limit=page_size),
                          config.postmortem.label)


def template_catalogue(services: Services) -> TemplateCatalogue:
    """The configured templates plus every built-in one, so older pages are recognised too."""
    templates = list(services.templates.all())
    for path in sorted(BUILTIN_DIR.glob("*.xml")):
        try:
            templates.append(load_template(Path(path)))
        except ConfigError as exc:
            log.warning("audit: skipping template %s: %s", path.name, exc)
    aliases = services.config.postmortem.section_aliases
    profiles: list[TemplateProfile] = [profile_template(t, aliases) for t in templates]
    return TemplateCatalogue(p for p in profiles if p.sections)


class AuditRun:
    def __init__(self, services: Services, store: AuditStore, now: datetime) -> None:
        config = services.config
        self.services = services
        self.store = store
        self.now = now
        self.catalogue = template_catalogue(services)
        self.rules = Rules.from_config(config, now)
        self.matcher = self.rules.blame
        self.key = facts_key(self.catalogue, self.matcher, config.postmortem.section_aliases)
        self.confluence = services.confluence
        self.errors: list[str] = []
        self.parsed = self.reused = 0
        self._templates: dict[str, str | None] | None = None

    # -- the run ----------------------------------------------------------------------------------
    def audit(self, page_id: str | None) -> AuditReport:
        cached = self.store.cached()
        seen: list[tuple[WikiPage, PageFacts]] = []
        fresh: dict[str, CachedFacts] = {}
        with Lookups(self.services.jira, self.store.names(NAMES_MAX_AGE)) as lookups:
            for page in self._pages(page_id, cached):
                facts, cacheable = self._facts(page, cached.get(page.id))
                seen.append((page, facts))
                lookups.add_keys(i.jira_key for i in facts.items if i.jira_key and not i.done)
                lookups.add_account(facts.prop_user(*LEAD_KEYS))
                if cacheable:
                    fresh[page.id] = CachedFacts(page.version, self.key, facts.prop(*STATUS_KEYS), facts.to_json())
            self.store.save_cached(fresh)
            if page_id is None:  # pages deleted (or no longer post-mortems) leave nothing behind
                self.store.forget_pages(set(cached) - {page.id for page, _ in seen})
            tickets = self._ledger_tickets(seen)
            lookups.add_keys(tickets.values())
            jira, names, errors = lookups.finish()
        self.errors.extend(errors)
        self.store.save_names(names)
        dashboard = DashboardStore(self.services.db.engine)
        evidence = Evidence(now=self.now, jira=jira, gone=frozenset(lookups.missing),
                            unknown_people=frozenset(lookups.unknown), tickets=tickets,
                            first_seen=self._first_seen(seen, tickets), names={**lookups.known_names, **names},
                            debriefed_seen=dashboard.record_debriefed(self._debriefed_today(seen)))
        pages = [audit_page(page, facts, self.catalogue, self.rules, evidence) for page, facts in seen]
        if page_id is None:  # the dashboard lists every post-mortem as of the latest full audit
            by_id = {page.id: facts for page, facts in seen}
            dashboard.save(snapshot_rows(pages, by_id, self.now, jira, self.rules.timezone), self.now)
        return AuditReport(generated_at=self.now, pages=pages, errors=self.errors, parsed=self.parsed,
                           reused=self.reused, scope=page_id, newly_published=self._newly_published(pages, cached))

    def _pages(self, page_id: str | None, cached: Mapping[str, CachedFacts]) -> Iterator[WikiPage]:
        if page_id is not None:
            # What the full audit's listing leaves out, one page does too.
            yield self.confluence.asked_page(page_id, label=self.services.config.postmortem.label)
            return
        if not cached:
            yield from prefetched(postmortem_pages(self.services))
            return
        pages = list(postmortem_pages(self.services, expand=LIST_EXPAND, page_size=LIST_PAGE))
        changed = [p.id for p in pages if not self._valid(p, cached.get(p.id))]
        bodies: dict[str, WikiPage] = {}
        for start in range(0, len(changed), BODY_CHUNK):
            by_id = self.confluence.search_pages(pages_by_id_cql(changed[start:start + BODY_CHUNK]), limit=BODY_CHUNK)
            bodies.update((p.id, p) for p in by_id)
        unchanged = {p.id for p in pages} - set(changed)
        for page in pages:  # a changed page deleted since the listing has no body: left out
            if page.id in bodies or page.id in unchanged:
                yield bodies.get(page.id, page)

    def _valid(self, page: WikiPage, entry: CachedFacts | None) -> bool:
        return entry is not None and entry.version == page.version and entry.facts_key == self.key

    def _facts(self, page: WikiPage, entry: CachedFacts | None) -> tuple[PageFacts, bool]:
        """The page's facts, from the cache if still valid; the flag says whether they may be cached."""
        if entry is not None and self._valid(page, entry):
            self.reused += 1
            return PageFacts.from_json(entry.facts), False
        self.parsed += 1
        try:
            model = parse_page(page.body, instructions=self.catalogue.instructions,
                               aliases=self.services.config.postmortem.section_aliases)
        except PageParseError as exc:
            return unreadable(str(exc)), True
        template = self.catalogue.by_headings([s.name for s in model.sections])
        cacheable = True
        if template is None:
            try:
                template = self._recorded_template(page.id)
            except WikibotError as exc:
                self.errors.append(f"page {page.id}: template not read: {exc}")
                cacheable = False
        facts = extract_facts(model, template, self.matcher)
        if page.edited_by_wikibot:
            try:
                when, by = self.confluence.last_edit_by_people(page.id)
            except WikibotError as exc:
                self.errors.append(f"page {page.id}: its history was not read: {exc}")
                return facts, False
            if when is not None:
                facts = replace(facts, human_edit=(when.isoformat(), by))
        return facts, cacheable

    def _recorded_template(self, page_id: str) -> str | None:
        """The template named in the page's ``wikibot`` content property; read once per page, ever."""
        if self._templates is None:
            self._templates = self.store.templates()
        if page_id in self._templates:
            return self._templates[page_id]
        value = self.confluence.page_property(page_id, PROPERTY_KEY)
        name = value.get("template") if value is not None else None
        self.store.save_template(page_id, name)
        self._templates[page_id] = name
        return name

    # -- what the checks need besides the page --------------------------------------------------------
    def _ledger_tickets(self, seen: list[tuple[WikiPage, PageFacts]]) -> dict[tuple[str, str], str]:
        """Keys the sync filed for items whose page does not show them yet (sync state, when present)."""
        from wikibot.store.ledger import SyncLedger

        try:
            ledger = SyncLedger(self.services.db.engine).load([page.id for page, _ in seen])
        except SQLAlchemyError as exc:
            self.errors.append(f"sync ledger not read: {exc}"[:300])
            return {}
        tickets = {}
        for page, facts in seen:
            entries = [e for e in ledger.get(page.id, []) if e.issue_key and e.state == "created"]
            for item in facts.items:
                if item.jira_key:
                    continue
                match = next((e for e in entries if e.identity == item.identity), None)
                if match is not None and match.issue_key:
                    tickets[(page.id, item.identity)] = match.issue_key
        return tickets

    def _first_seen(self, seen: list[tuple[WikiPage, PageFacts]],
                    tickets: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], datetime]:
        """When each unticketed item was first seen; recorded now for the new ones."""
        known = self.store.first_seen()
        audited = {page.id for page, facts in seen if facts.error is None}
        current = {(page.id, i.identity) for page, facts in seen for i in facts.items
                   if not i.done and not i.jira_key and (page.id, i.identity) not in tickets}
        add = {key: self.now for key in current if key not in known}
        drop = [key for key in known if key[0] in audited and key not in current]
        self.store.update_first_seen(add, drop)
        return {**{k: v for k, v in known.items() if k in current}, **add}

    def _debriefed_today(self, seen: list[tuple[WikiPage, PageFacts]]) -> dict[str, date]:
        """Pages whose Status is Debriefed or Published now, with the day to record if this is the
        first time the audit sees it so: the page's last edit (the status was set then at the
        latest), which for a nightly audit is that night or the day before."""
        zone = self.rules.timezone
        return {page.id: (page.modified or self.now).astimezone(zone).date() for page, facts in seen
                if (facts.prop(*STATUS_KEYS) or "").strip().casefold() in DONE_STATUSES}

    def _newly_published(self, pages: list[PageAudit], cached: Mapping[str, CachedFacts]) -> list[str]:
        """Published pages never shared. A page already Published when the audit first saw it is a
        baseline (history, not news) and is never shared automatically."""
        published = [p.page_id for p in pages if (p.status or "").strip().casefold() == PUBLISHED]
        states = self.store.share_states()
        baseline = [page_id for page_id in published if page_id not in cached and page_id not in states]
        self.store.mark_baseline(baseline)
        return [page_id for page_id in published if page_id not in states and page_id not in baseline]


def prefetched(source: Iterator[T], depth: int = 4 * BODY_CHUNK) -> Iterator[T]:
    """Iterate ``source`` in a background thread, up to ``depth`` items ahead.

    The listing's next HTTP request is then in flight while the pages already received are parsed,
    so network latency and parsing overlap instead of adding up.
    """
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                queue.put((kind, value), timeout=0.1)
                return True
            except Full:
                continue
        return False

    def pump() -> None:
        try:
            for item in source:
                if not put("item", item):
                    return
            put("end", None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer and raised there
            put("error", exc)

    threading.Thread(target=pump, name="audit-listing", daemon=True).start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
