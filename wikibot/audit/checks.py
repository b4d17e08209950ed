"""The audit's rules: page facts + page metadata + clock + Jira state + configuration → findings.

Pure: no HTTP, no database, no clock of its own (``Evidence.now`` is injected), so every rule is
tested by constructing values (:mod:`wikibot.audit.rules`). The rules follow issue #6:

* a required section that is missing, empty or still template guidance;
* ``stale``: not edited for ``audit.stale_after_days`` while a required section is unfinished;
* ``debrief_overdue``: past the debrief deadline, no "Debrief held" date, not yet Debriefed/Published;
* action items without owner or due date, without a ticket for longer than one sync interval, or
  past due while their Jira issue is not Done; more of them than ``audit.max_action_items``
  (:mod:`wikibot.audit.item_checks`);
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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from wikibot.audit.facts import (
    LEAD_KEYS,
    Finding,
    PageFacts,
    TemplateCatalogue,
    TemplateProfile,
    blame_findings,
    title_key,
)
from wikibot.audit.item_checks import days_text, item_findings, unrecognised_findings
from wikibot.audit.rules import Evidence, Rules
from wikibot.pages.cells import parse_date

if TYPE_CHECKING:
    from wikibot.atlassian.content import WikiPage

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
              "unsynced_action", "ticket_not_found", "overdue_action", "done_on_page_only",
              "too_many_actions", "actions_not_recognised", "blame_language", "timeline_order")


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


def person_name(account: str, evidence: Evidence) -> str:
    """The display name, else what a reader can act on: an account Jira no longer knows (the lead left)
    says so, with its id; an account not looked up (Jira failed) stays its id."""
    if account in evidence.names:
        return evidence.names[account]
    return f"unknown user ({account})" if account in evidence.unknown_people else account


def audit_page(page: WikiPage, facts: PageFacts, catalogue: TemplateCatalogue, rules: Rules,
               evidence: Evidence) -> PageAudit:
    """Judge one page. ``page`` is its metadata (a ``WikiPage``: id, title, url, dates, editors)."""
    status = facts.prop(*STATUS_KEYS)
    lead_id = facts.prop_user(*LEAD_KEYS)
    lead = person_name(lead_id, evidence) if lead_id else facts.prop(*LEAD_KEYS)
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
    findings += item_findings(page.id, status, facts, rules, evidence)
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
                "stale", f"Not edited for {days_text(idle.days)} (last edit{who} on {_day(modified, rules)}) while "
                f"{len(unfinished)} required section{'s are' if len(unfinished) != 1 else ' is'} unfinished: "
                f"{', '.join(unfinished)}.", ref="stale"))
    deadline = debrief_deadline(facts, page.created, rules)
    today = evidence.now.astimezone(rules.timezone).date()
    if (deadline is not None and today > deadline and held is None
            and (status or "").strip().casefold() not in DONE_STATUSES):
        found.append(Finding(
            "debrief_overdue", f"The debrief was due {deadline.isoformat()} ({days_text((today - deadline).days)} ago) "
            f"and the status is still {status or 'not set'}: hold the debrief, then set Status to Debriefed.",
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


def _day(moment: datetime, rules: Rules) -> str:
    return moment.astimezone(rules.timezone).date().isoformat()
