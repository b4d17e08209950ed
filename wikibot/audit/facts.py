"""What the audit keeps from one version of a page: pure, JSON-able, cached by (page id, version).

Parsing a page is the expensive part of an audit, and nothing read from the body changes until
the page gets a new version. So a page's body is turned once into :class:`PageFacts` — sections
and their status, action items, Page Properties, and the findings that depend only on the text
(blame language, timeline order) — and the nightly run re-uses those facts for every unchanged
page, re-evaluating only what depends on the clock and on Jira (``checks.audit_page``).

Templates are profiled here too: a page made from one of wikibot's templates is judged against
that template's sections, and the template's guidance texts let the parser recognise guidance a
person pasted as plain text.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from wikibot.audit.blame import BlameMatcher, normalise
from wikibot.pages import PageModel, Section, parse_page
from wikibot.pages.cells import parse_date
from wikibot.pages.names import clean_title, section_names
from wikibot.templates import Template, sample_context

FACTS_VERSION = 8
"""Bump when :class:`PageFacts` or its extraction changes: every cached page is then re-parsed."""

_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.DOTALL)
_PLACEHOLDER = re.compile(r"<ac:placeholder[^>]*>(.*?)</ac:placeholder>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2})[:h](\d{2})(?::\d{2}(?:\.\d+)?)?\s*(?:([ap])\.?\s?m\b\.?)?", re.IGNORECASE)
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})")
_ROLLOVER_MINUTES = 12 * 60
_SENTENCE_QUOTE = 200
LEAD_KEYS = ("Lead investigator", "Lead", "Incident lead", "Investigator")


@dataclass(frozen=True)
class Finding:
    """One thing a person should fix. ``ref`` identifies *what* it is about, stably from night to
    night (unlike ``message``, which may say "for 5 days"): finding sets are compared by it."""

    kind: str
    message: str
    section: str | None = None
    item: str | None = None
    ref: str = ""

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "section": self.section, "item": self.item, "message": self.message}


@dataclass(frozen=True)
class ItemFacts:
    identity: str
    summary: str
    owner: str | None
    due: str | None
    jira_key: str | None
    done: bool | None
    due_written: str | None = None
    """The Due cell's text when it is not a date (``ActionItem.due_written``)."""


@dataclass(frozen=True)
class PageFacts:
    """Everything the audit needs from one page body. ``error`` is set when the body cannot be read."""

    sections: tuple[tuple[str, str], ...] = ()
    """(title as written, status) per section, in page order."""
    names: tuple[str, ...] = ()
    """The section each of ``sections`` stands for (the page model's synonym table applied)."""
    items: tuple[ItemFacts, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)
    property_users: Mapping[str, str] = field(default_factory=dict)
    template: str | None = None
    blame_candidates: tuple[tuple[str, str], ...] = ()
    """(section, sentence) for each sentence that uses a blame phrase; judged at audit time, when the
    directory's names are known (the body alone cannot say whether "Dana" is a person)."""
    people: tuple[str, ...] = ()
    """Names the page gives to people (lead, plain-text owners)."""
    human_edit: tuple[str, str | None] | None = None
    """(ISO time, account) of the last save by someone other than wikibot, when this version is
    wikibot's own (a key written back): staleness counts from it. Fixed once the version exists."""
    timeline: tuple[Finding, ...] = ()
    error: str | None = None
    unrecognised: tuple[tuple[str, str, str], ...] = ()
    """(heading, kind, text) of Action-items content not read as items (``PageModel.unrecognised``)."""

    @property
    def named_sections(self) -> tuple[tuple[str, str, str], ...]:
        """(title, name, status) per section; the name is what the audit compares with templates."""
        names = self.names if len(self.names) == len(self.sections) else tuple(t for t, _ in self.sections)
        return tuple((title, name, status) for (title, status), name in zip(self.sections, names, strict=True))

    def prop(self, *names: str) -> str | None:
        """The first Page Property whose key is one of ``names`` (case and punctuation ignored)."""
        keys = {title_key(k): k for k in self.properties}
        for name in names:
            key = keys.get(title_key(name))
            if key is not None:
                return self.properties[key].strip() or None
        return None

    def prop_user(self, *names: str) -> str | None:
        keys = {title_key(k): k for k in self.property_users}
        return next((self.property_users[keys[title_key(n)]] for n in names if title_key(n) in keys), None)

    def to_json(self) -> str:
        data = {"sections": self.sections, "names": self.names, "items": [vars(i) for i in self.items],
                "properties": self.properties, "property_users": self.property_users, "template": self.template,
                "blame_candidates": [list(c) for c in self.blame_candidates], "people": list(self.people),
                "human_edit": list(self.human_edit) if self.human_edit else None,
                "timeline": [vars(f) for f in self.timeline],
                "error": self.error, "unrecognised": self.unrecognised}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PageFacts:
        data = json.loads(text)
        return cls(
            sections=tuple((t, s) for t, s in data["sections"]), names=tuple(data.get("names", ())),
            items=tuple(ItemFacts(**item) for item in data["items"]),
            properties=data["properties"], property_users=data["property_users"], template=data["template"],
            blame_candidates=tuple((section, sentence) for section, sentence in data["blame_candidates"]),
            people=tuple(data["people"]), human_edit=tuple(data["human_edit"]) if data.get("human_edit") else None,
            timeline=tuple(Finding(**f) for f in data["timeline"]),
            error=data["error"], unrecognised=tuple(tuple(u) for u in data.get("unrecognised", ())),
        )


@lru_cache(maxsize=8192)
def title_key(title: str) -> str:
    """A heading or property name as compared: case, "&"/"and" and punctuation ignored."""
    text = normalise(title).replace("&", " and ")
    return " ".join(re.sub(r"[^\w\s]", "", text).split())


# -- templates ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateProfile:
    """A template's sections in order and the guidance each one holds."""

    name: str
    version: str
    sections: tuple[str, ...]
    guidance: Mapping[str, str]


def profile_template(template: Template, aliases: Mapping[str, str] | None = None) -> TemplateProfile:
    """Render ``template`` with sample values and read back its sections (by name, as pages are
    compared) and placeholder texts."""
    body = template.render(**sample_context())
    names = section_names(aliases)
    sections = tuple(s.name for s in parse_page(body, aliases=aliases).sections)
    top = min((int(m.group(1)) for m in _HEADING.finditer(body)), default=2)
    guidance: dict[str, list[str]] = {}
    current: str | None = None
    for match in re.finditer(f"{_HEADING.pattern}|{_PLACEHOLDER.pattern}", body, re.DOTALL):
        if match.group(1) is not None:
            if int(match.group(1)) == top:
                current = names.name_of(clean_title(_plain(match.group(2))))
        elif current is not None:
            guidance.setdefault(current, []).append(_plain(match.group(3)))
    return TemplateProfile(template.name, template.version, sections,
                           {title: " ".join(texts) for title, texts in guidance.items()})


def _plain(markup: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


class TemplateCatalogue:
    """The templates wikibot knows, by name; recognises a page made from one by its headings."""

    def __init__(self, profiles: Iterable[TemplateProfile]) -> None:
        self.profiles: dict[str, TemplateProfile] = {}
        for profile in profiles:
            self.profiles.setdefault(profile.name, profile)
        self._by_headings = {frozenset(map(title_key, p.sections)): p.name for p in self.profiles.values()}

    def get(self, name: str | None) -> TemplateProfile | None:
        return self.profiles.get(name) if name else None

    def by_headings(self, titles: Sequence[str]) -> str | None:
        """The template whose sections are exactly these section names (order and case aside), if any."""
        return self._by_headings.get(frozenset(map(title_key, titles)))

    @property
    def instructions(self) -> tuple[str, ...]:
        """Every guidance text, for ``parse_page(instructions=...)``."""
        return tuple(sorted({text for p in self.profiles.values() for text in p.guidance.values()}))

    def signature(self) -> str:
        parts = sorted(f"{p.name}@{p.version}:{json.dumps(p.sections)}:{json.dumps(dict(p.guidance), sort_keys=True)}"
                       for p in self.profiles.values())
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def facts_key(catalogue: TemplateCatalogue, matcher: BlameMatcher,
              aliases: Mapping[str, str] | None = None) -> str:
    """What cached facts depend on besides the body: if it changes, every page is parsed again."""
    source = json.dumps([FACTS_VERSION, catalogue.signature(), matcher.signature(),
                         sorted((aliases or {}).items())])
    return hashlib.sha256(source.encode()).hexdigest()[:16]


# -- extraction -------------------------------------------------------------------------------------
def extract_facts(model: PageModel, template: str | None, matcher: BlameMatcher) -> PageFacts:
    """The facts of one parsed page; ``template`` is the name of the template it was made from, if known."""
    items = tuple(ItemFacts(identity=i.identity, summary=i.summary, owner=i.owner, due=i.due,
                            jira_key=i.jira_key, done=i.done, due_written=i.due_written) for i in model.action_items)
    return PageFacts(
        sections=tuple((s.title, s.status) for s in model.sections), names=tuple(s.name for s in model.sections),
        items=items, unrecognised=tuple((u.section, u.kind, u.text) for u in model.unrecognised),
        properties=dict(model.properties), property_users=dict(model.property_users), template=template,
        blame_candidates=tuple(_blame_candidates(model.sections, matcher)),
        people=tuple(page_people(model)),
        timeline=tuple(timeline_findings(model.timeline, _timeline_title(model.sections))),
    )


def _blame_candidates(sections: Sequence[Section], matcher: BlameMatcher) -> Iterator[tuple[str, str]]:
    """(section, sentence) using a blame phrase, code left out: a config flag or a log line in a code
    block is nobody's fault. The text without code is built only for sections with a candidate."""
    for section in sections:
        if matcher.candidates(section.text):
            yield from ((section.title, sentence) for sentence in matcher.candidates(section.prose))


def page_people(model: PageModel) -> list[str]:
    """Names the page itself gives to people: its lead, and owners written as plain names."""
    keys = {title_key(k) for k in LEAD_KEYS}
    lead = [value for key, value in model.properties.items() if title_key(key) in keys]
    return lead + [i.owner for i in model.action_items if i.owner and not i.owner_is_user]


def blame_findings(facts: PageFacts, matcher: BlameMatcher, names: Iterable[str] = ()) -> list[Finding]:
    """One finding per sentence that blames a person, quoting it. ``names``: people the directory knows."""
    if not facts.blame_candidates:
        return []
    matcher = matcher.with_people([*names, *facts.people])
    found = []
    for title, sentence in facts.blame_candidates:
        phrase = matcher.find(sentence)
        if phrase is not None:
            quoted = sentence if len(sentence) <= _SENTENCE_QUOTE else sentence[:_SENTENCE_QUOTE - 1] + "…"
            found.append(Finding(
                "blame_language", f"“{quoted}” blames a person (“{phrase}”): describe what in the system or "
                "process let this happen, not who slipped.", section=title,
                ref=hashlib.sha256(normalise(sentence).encode()).hexdigest()[:12]))
    return found


def _timeline_title(sections: Sequence[Section]) -> str | None:
    return next((s.title for s in sections if "timeline" in s.name.lower()), None)


def timeline_findings(rows: Sequence[Mapping[str, str]], section: str | None = None) -> list[Finding]:
    """Rows whose time cannot be read, or that come before the row above them.

    Times without a date follow the last date seen; a time more than 12 hours *earlier* than the
    previous one is read as the next day (23:50 then 00:10), anything less is out of order.
    """
    if not rows:
        return []
    date_column, time_column = _time_columns(list(rows[0]))
    found: list[Finding] = []
    previous: tuple[int, int | None, int] | None = None  # (day, minutes, row number)
    base_day, offset = 0, 0
    for number, row in enumerate(rows, start=1):
        text = " ".join(filter(None, (row.get(date_column, "") if date_column else "", row.get(time_column, ""))))
        if not text.strip():
            continue
        day_date, minutes = _moment(text)
        if day_date is None and minutes is None:
            found.append(Finding("timeline_order", f"Timeline row {number}: cannot read the time “{text[:60]}”; "
                                 "write it as HH:MM (UTC) or YYYY-MM-DD HH:MM.", section=section,
                                 item=f"row {number}", ref=f"unreadable:{normalise(text)}"))
            continue
        if day_date is not None:
            base_day, offset = day_date.toordinal(), 0
        day = base_day + offset
        if (day_date is None and previous is not None and minutes is not None and previous[1] is not None
                and previous[0] == day and previous[1] - minutes > _ROLLOVER_MINUTES):
            offset += 1
            day += 1
        if previous is not None and (day < previous[0] or (
                day == previous[0] and minutes is not None and previous[1] is not None and minutes < previous[1])):
            found.append(Finding("timeline_order", f"Timeline row {number} (“{text[:40]}”) is earlier than row "
                                 f"{previous[2]} above it: put the rows in chronological order.",
                                 section=section, item=f"row {number}", ref=f"order:{normalise(text)}"))
        minutes_now = minutes if minutes is not None else (previous[1] if previous and previous[0] == day else None)
        previous = (day, minutes_now, number)
    return found


def _time_columns(columns: list[str]) -> tuple[str | None, str]:
    """(date column or None, time column): by header name, else the first column."""
    keys = {column: title_key(column) for column in columns}
    timed = [c for c in columns if any(w in keys[c].split() for w in ("time", "when", "timestamp"))]
    dated = [c for c in columns if "date" in keys[c].split() and c not in timed]
    time_column = timed[0] if timed else (dated[0] if dated else columns[0])
    date_column = dated[0] if dated and dated[0] != time_column else None
    return date_column, time_column


def _moment(text: str) -> tuple[date | None, int | None]:
    """The date and minutes after midnight written in a timeline cell (either may be missing)."""
    written = parse_date(text)
    day = date.fromisoformat(written) if written else None
    rest = _ISO_DATE.sub(" ", text)
    clock = _CLOCK.search(rest)
    minutes = None
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        meridiem = (clock.group(3) or "").lower()
        if meridiem and 1 <= hour <= 12:
            hour = hour % 12 + (12 if meridiem == "p" else 0)
        if hour < 24 and minute < 60:
            minutes = hour * 60 + minute
    return day, minutes


def unreadable(error: str) -> PageFacts:
    return PageFacts(error=error)

