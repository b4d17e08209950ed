"""The audit's rules: page facts + page metadata + clock + Jira state + configuration → findings.

Pure: no HTTP, no database, no clock of its own (``Evidence.now`` is injected), so every rule is
tested by constructing values. The rules follow issue #6:

* a required section that is missing, empty or still template guidance;
* ``stale``: not edited for ``audit.stale_after_days`` while a required section is unfinished;
* ``debrief_overdue``: past the debrief deadline, no "Debrief held" date, not yet Debriefed/Published;
* action items without owner or due date, without a ticket for longer than one sync interval, or
  past due while their Jira issue is not Done; more of them than ``audit.max_action_items``;
* blame language: the page's candidate sentences judged with the directory's names (who is a person);
  the timeline order comes precomputed in :class:`~wikibot.audit.facts.PageFacts`.

Sections are compared by *name* (the page model's synonym table and ``postmortem.section_aliases``
applied once, while parsing), so "1. Root causes:" is the template's "Root Cause"; findings quote
the heading as the page writes it.

Which sections are required: ``postmortem.required_sections`` if set, else every section of the
page's own template except the optional ones (Data & Analysis, Things we should do if we have
time); a page whose template wikibot does not know is judged on the sections it has (it cannot be
"missing" one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from wikibot.audit.blame import BlameMatcher, normalise
from wikibot.audit.facts import (
    LEAD_KEYS,
    Finding,
    PageFacts,
    TemplateCatalogue,
    TemplateProfile,
    blame_findings,
    title_key,
)
from wikibot.config_sections import DEFAULT_BLAME_ALWAYS, DEFAULT_BLAME_PHRASES
from wikibot.pages.cells import parse_date
from wikibot.pages.names import ACTION_ITEMS
from wikibot.sync.issues import NOT_A_USER

if TYPE_CHECKING:
    from wikibot.atlassian.content import WikiPage
    from wikibot.config import Config

# Sections a page may leave empty unless ``postmortem.required_sections`` asks for them: supporting
# material, and the wish list ("if we have time" is by definition what a team may not get to).
OPTIONAL_SECTIONS = frozenset({"data and analysis", "supporting information", "things we should do if we have time"})
DONE_STATUSES = frozenset({"debriefed", "published"})
STATUS_KEYS = ("Status",)
DEBRIEF_KEYS = ("Debrief due", "Debrief date", "Debrief")
DEBRIEF_HELD_KEYS = ("Debrief held", "Debriefed on", "Debrief held on")
UNFINISHED = frozenset({"missing", "empty", "placeholder"})
KIND_ORDER = ("unreadable", "missing_section", "empty_section", "placeholder_section", "stale",
              "debrief_overdue", "missing_owner", "owner_not_assignable", "owner_not_a_user", "missing_due",
              "unsynced_action", "overdue_action",
              "too_many_actions", "actions_not_recognised", "blame_language", "timeline_order")


@dataclass(frozen=True)
class Rules:
    """The configuration the checks read, as plain values."""

    required_sections: tuple[str, ...] | None = None
    stale_after_days: int = 3
    debrief_within_days: int = 7
    max_action_items: int = 10
    sync_interval: timedelta = timedelta(hours=1)
    sync_statuses: tuple[str, ...] = ()
    timezone: tzinfo = UTC
    blame: BlameMatcher = field(default_factory=lambda: BlameMatcher(DEFAULT_BLAME_PHRASES, DEFAULT_BLAME_ALWAYS))

    @classmethod
    def from_config(cls, config: Config, now: datetime) -> Rules:
        zone = ZoneInfo(config.audit.timezone)
        required = config.postmortem.required_sections
        return cls(required_sections=tuple(required) if required else None,
                   stale_after_days=config.audit.stale_after_days,
                   debrief_within_days=config.postmortem.debrief_within_days,
                   max_action_items=config.audit.max_action_items,
                   sync_interval=sync_interval(config.sync.schedule, zone, now),
                   sync_statuses=tuple(config.sync.page_statuses), timezone=zone,
                   blame=BlameMatcher(config.audit.blame_phrases, config.audit.blame_always))


def sync_interval(schedule: str, zone: tzinfo, now: datetime) -> timedelta:
    """How long the sync waits between runs: its next fire time after its next fire time."""
    trigger = CronTrigger.from_crontab(schedule, timezone=zone)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    return second - first if first and second else timedelta(days=1)


@dataclass(frozen=True)
class JiraState:
    key: str
    status: str
    done: bool
    due: str | None
    unassigned: str | None = None
    """Why the issue has no assignee though its item names an owner (the sync's ``Unassigned:`` line)."""
    not_doing: bool = False
    """Its owner declined it with a reason (label ``post-mortem-not-doing``): open, but not overdue."""


@dataclass(frozen=True)
class Evidence:
    """What the run learnt outside the page body, and when."""

    now: datetime
    jira: Mapping[str, JiraState] = field(default_factory=dict)
    """issue key → state; a key missing here (unknown to Jira, or Jira unreadable) is not judged."""
    tickets: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(page id, item identity) → issue key the sync ledger filed but the page does not show yet."""
    first_seen: Mapping[tuple[str, str], datetime] = field(default_factory=dict)
    """(page id, item identity) → when the audit first saw that item without a ticket."""
    names: Mapping[str, str] = field(default_factory=dict)
    """account id → display name."""
    debriefed_seen: Mapping[str, date] = field(default_factory=dict)
    """page id → the day the audit first saw its Status Debriefed or Published (for pages without
    a "Debrief held" date, that day stands in for it)."""


@dataclass(frozen=True)
class PageAudit:
    """The audit of one page: what the report shows and the findings."""

    page_id: str
    title: str
    url: str
    status: str | None
    lead: str | None
    template: str | None
    sections: tuple[tuple[str, str], ...]
    required: tuple[str, ...]
    filled: int
    created: datetime | None
    modified: datetime | None
    modified_by: str | None
    findings: tuple[Finding, ...]
    labels: tuple[str, ...] = ()
    version: int = 0
    debrief_held: date | None = None
    debrief_held_from: str | None = None
    """"page" (its "Debrief held" property) or "status" (the day the audit first saw it Debriefed)."""

    @property
    def debrief_note(self) -> str | None:
        """Says so when the debrief date is wikibot's stand-in rather than the page's own."""
        if self.debrief_held_from != "status" or self.debrief_held is None:
            return None
        return (f"Status is {self.status} but “Debrief held” is empty: counted as held on "
                f"{self.debrief_held.isoformat()}, the page's last edit when the audit first saw that status. "
                "Write the real date in “Debrief held”.")

    @property
    def completeness(self) -> str:
        return f"{self.filled}/{len(self.required)}"

    @property
    def incomplete(self) -> bool:
        """A required section is not written yet (what the ``postmortem-incomplete`` label means)."""
        return self.filled < len(self.required)

    @property
    def readable(self) -> bool:
        return not any(f.kind == "unreadable" for f in self.findings)

    def age_days(self, now: datetime) -> int | None:
        return (now - self.created).days if self.created else None

    def to_dict(self) -> dict[str, Any]:
        return {"page_id": self.page_id, "title": self.title, "url": self.url, "status": self.status,
                "lead": self.lead, "sections": [{"title": t, "status": s} for t, s in self.sections],
                "findings": [f.to_dict() for f in self.findings],
                "debrief": {"held": self.debrief_held.isoformat() if self.debrief_held else None,
                            "from": self.debrief_held_from, "note": self.debrief_note}}


def audit_page(page: WikiPage, facts: PageFacts, catalogue: TemplateCatalogue, rules: Rules,
               evidence: Evidence) -> PageAudit:
    """Judge one page. ``page`` is its metadata (a ``WikiPage``: id, title, url, dates, editors)."""
    status = facts.prop(*STATUS_KEYS)
    lead_id = facts.prop_user(*LEAD_KEYS)
    lead = evidence.names.get(lead_id, lead_id) if lead_id else facts.prop(*LEAD_KEYS)
    held, held_from = debrief_held(page.id, status, facts, evidence)
    audited = partial(PageAudit, page_id=page.id, title=page.title, url=page.url, status=status, lead=lead,
                      template=facts.template, created=page.created, modified=page.modified,
                      modified_by=page.modified_by, labels=tuple(page.labels), version=page.version,
                      debrief_held=held, debrief_held_from=held_from)
    if facts.error is not None:
        finding = Finding("unreadable", f"wikibot cannot read this page: {facts.error}", ref="unreadable")
        return audited(sections=(), required=(), filled=0, findings=(finding,))
    required = required_sections(facts, catalogue, rules)
    statuses, shown = _statuses(facts, required)
    sections = facts.sections + tuple((title, "missing") for title in required
                                      if statuses[title_key(title)] == "missing")
    unfinished = [title for title in required if statuses[title_key(title)] in UNFINISHED]
    findings = [*_section_findings(required, statuses, shown, catalogue.get(facts.template))]
    findings += _time_findings(page, status, facts, unfinished, rules, evidence, held)
    findings += _item_findings(page.id, status, facts, rules, evidence)
    findings += unrecognised_findings(facts)
    findings += [*blame_findings(facts, rules.blame, evidence.names.values()), *facts.timeline]
    findings.sort(key=lambda f: kind_rank(f.kind))
    return audited(sections=sections, required=required, filled=len(required) - len(unfinished),
                   findings=tuple(findings))


def kind_rank(kind: str) -> int:
    """Where a kind sorts in reports: the page's structure first, then time, items, wording."""
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def required_sections(facts: PageFacts, catalogue: TemplateCatalogue, rules: Rules) -> tuple[str, ...]:
    """The sections this page must have written, as its own template (or the page itself) names them.

    A configured title that the page's template does not have is not demanded of it: templates
    differ, and a page must not be asked for a section its template never offered.
    """
    profile = catalogue.get(facts.template)
    candidates = profile.sections if profile else tuple(name for _, name, _ in facts.named_sections)
    return tuple(t for t in dict.fromkeys(candidates) if section_required(t, rules.required_sections))


def section_required(name: str, required: Sequence[str] | None) -> bool:
    """Whether a section (by its name) must be written: ``postmortem.required_sections`` when set,
    else every section but the optional ones (``OPTIONAL_SECTIONS``)."""
    if required:
        return title_key(name) in {title_key(t) for t in required}
    return title_key(name) not in OPTIONAL_SECTIONS


def _statuses(facts: PageFacts, required: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Status per section name (filled if any section of that name is, else the first one's; "missing"
    for a required name the page lacks) and the heading the page writes for it."""
    statuses: dict[str, str] = {}
    shown: dict[str, str] = {}
    for title, name, state in facts.named_sections:
        key = title_key(name)
        shown.setdefault(key, title)
        if key not in statuses or state == "filled":
            statuses[key] = state
    for title in required:
        statuses.setdefault(title_key(title), "missing")
    return statuses, shown


def _section_findings(required: tuple[str, ...], statuses: Mapping[str, str], shown: Mapping[str, str],
                      profile: TemplateProfile | None) -> list[Finding]:
    found = []
    for required_title in required:
        state = statuses[title_key(required_title)]
        title = shown.get(title_key(required_title), required_title)
        hint = (profile.guidance.get(required_title) if profile else None) or ""
        ask = f" It should say: {hint}" if hint else ""
        if state == "missing":
            found.append(Finding("missing_section", f"The required section “{title}” is missing: add it back.{ask}",
                                 section=title, ref=title_key(required_title)))
        elif state == "empty":
            found.append(Finding("empty_section", f"“{title}” is empty.{ask}", section=title,
                                 ref=title_key(required_title)))
        elif state == "placeholder":
            found.append(Finding("placeholder_section", f"“{title}” still holds the template's guidance: replace "
                                 "it with what happened.", section=title, ref=title_key(required_title)))
    return found


_NOT_RECOGNISED_HINTS = {
    "table": "this table has no column that names the action (Action, Task, What…), so its rows are not "
             "action items: add such a column, or move the table out of the section",
    "text": "write one action per table row, task or list item",
    "macro": "lists inside this macro are not read: move them out of it, one action per row, task or list item",
}


def unrecognised_findings(facts: PageFacts) -> list[Finding]:
    """One finding per piece of Action-items content the page model could not read as items.

    Never silent: a table with no action column, prose lines or a list inside an unknown macro would
    otherwise be neither filed in Jira nor checked, while the section looks filled.
    """
    found = []
    for section, kind, text in facts.unrecognised:
        hint = _NOT_RECOGNISED_HINTS.get(kind, _NOT_RECOGNISED_HINTS["text"])
        found.append(Finding(
            "actions_not_recognised", f"“{text}” under “{section}” is not read as an action item, so it is "
            f"neither filed in Jira nor checked: {hint}.", section=section,
            ref=f"{kind}:{hashlib.sha256(normalise(text).encode()).hexdigest()[:12]}"))
    return found


def debrief_held(page_id: str, status: str | None, facts: PageFacts,
                 evidence: Evidence) -> tuple[date | None, str | None]:
    """When the debrief was held: the page's "Debrief held" date, else (Debriefed or Published
    without one) the day the audit first saw that status; (None, None) when not held yet."""
    written = parse_date(facts.prop(*DEBRIEF_HELD_KEYS) or "")
    if written:
        return date.fromisoformat(written), "page"
    seen = evidence.debriefed_seen.get(page_id)
    if seen is not None and (status or "").strip().casefold() in DONE_STATUSES:
        return seen, "status"
    return None, None


def _time_findings(page: WikiPage, status: str | None, facts: PageFacts, unfinished: list[str], rules: Rules,
                   evidence: Evidence, held: date | None = None) -> list[Finding]:
    found = []
    # wikibot's own saves (keys written back, a debrief recorded) are no sign that people work on it.
    modified, by = page.modified, page.modified_by
    if facts.human_edit is not None:
        modified, by = datetime.fromisoformat(facts.human_edit[0]), facts.human_edit[1]
        by = evidence.names.get(by or "", by)
    if unfinished and modified is not None:
        idle = evidence.now - modified
        if idle >= timedelta(days=rules.stale_after_days):
            who = f" by {by}" if by else ""
            found.append(Finding(
                "stale", f"Not edited for {_days(idle.days)} (last edit{who} on {_day(modified, rules)}) while "
                f"{len(unfinished)} required section{'s are' if len(unfinished) != 1 else ' is'} unfinished: "
                f"{', '.join(unfinished)}.", ref="stale"))
    deadline = debrief_deadline(facts, page.created, rules)
    today = evidence.now.astimezone(rules.timezone).date()
    if (deadline is not None and today > deadline and held is None
            and (status or "").strip().casefold() not in DONE_STATUSES):
        found.append(Finding(
            "debrief_overdue", f"The debrief was due {deadline.isoformat()} ({_days((today - deadline).days)} ago) and "
            f"the status is still {status or 'not set'}: hold the debrief, then set Status to Debriefed.",
            ref="debrief"))
    return found


def debrief_deadline(facts: PageFacts, created: datetime | None, rules: Rules) -> date | None:
    """The Page Properties "Debrief due" date, else the creation day + ``postmortem.debrief_within_days``."""
    written = parse_date(facts.prop(*DEBRIEF_KEYS) or "")
    if written:
        return date.fromisoformat(written)
    if created is None:
        return None
    return created.astimezone(rules.timezone).date() + timedelta(days=rules.debrief_within_days)


def _item_findings(page_id: str, status: str | None, facts: PageFacts, rules: Rules,
                   evidence: Evidence) -> list[Finding]:
    found = []
    syncs = not rules.sync_statuses or (status or "").strip().casefold() in {s.casefold() for s in rules.sync_statuses}
    today = evidence.now.astimezone(rules.timezone).date()
    for item in facts.items:
        key = item.jira_key or evidence.tickets.get((page_id, item.identity))
        state = evidence.jira.get(key) if key else None
        if item.done or (state is not None and state.not_doing):
            continue  # done, or declined with a reason: nothing more to ask of it
        name = _short(item.summary)
        if not item.owner:
            found.append(Finding("missing_owner", f"“{name}” has no owner: name one person who will drive it.",
                                 item=name, ref=item.identity))
        if not item.due:
            found.append(Finding("missing_due", f"“{name}” has no due date: agree one with its owner.",
                                 item=name, ref=item.identity))
        if key is None:
            seen = evidence.first_seen.get((page_id, item.identity))
            if syncs and seen is not None and evidence.now - seen > rules.sync_interval:
                found.append(Finding(
                    "unsynced_action", f"“{name}” has no Jira ticket {_since(evidence.now - seen)} after it was "
                    "written: check that the sync runs (wikibot sync) or link a ticket.", item=name, ref=item.identity))
            continue
        if state is not None and state.unassigned and not state.done:
            kind = "owner_not_a_user" if state.unassigned.startswith(NOT_A_USER) else "owner_not_assignable"
            found.append(Finding(
                kind, f"{key} “{name}” is unassigned in Jira ({state.unassigned}): name its owner as a Jira user "
                "(a mention), or assign the issue in Jira.", item=name, ref=f"{item.identity}:{key}:owner"))
        due = (state.due if state else None) or item.due
        if state is not None and not state.done and due and date.fromisoformat(due) < today:
            found.append(Finding(
                "overdue_action", f"{key} “{name}” was due {due} and is still {state.status} in Jira: finish it or "
                "agree a new date.", item=name, ref=f"{item.identity}:{key}"))
    if len(facts.items) > rules.max_action_items:
        found.append(Finding(
            "too_many_actions", f"{len(facts.items)} action items (more than {rules.max_action_items}): a small set "
            "that gets done beats a long wish list; move the rest to “Things we should do if we have time”.",
            section=next((t for t, name, _ in facts.named_sections if name == ACTION_ITEMS), None), ref="too_many"))
    return found


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _since(delta: timedelta) -> str:
    if delta >= timedelta(days=2):
        return _days(delta.days)
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _day(moment: datetime, rules: Rules) -> str:
    return moment.astimezone(rules.timezone).date().isoformat()
