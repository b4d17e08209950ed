"""Section names: what a heading is called once cleaned, and which template section it stands for.

People number their headings ("1. Impact"), decorate them ("📋 Timeline"), end them with a colon
("Root cause:") and call the same thing by different names ("Follow-ups", "Corrective and
Preventative Measures", "Next steps" are all the template's "Action items"). The page model applies
this table once, while reading, so every consumer (audit, sync, CLI) sees the same section names:

* :func:`clean_title` is the heading as a person would name it (leading numbering and emoji and a
  trailing colon removed, whitespace collapsed);
* :meth:`SectionNames.name_of` is the template section it stands for (the synonym table, extended by
  ``postmortem.section_aliases``), else the cleaned title;
* :meth:`SectionNames.scope_of` says whether its content is action items, deferred items or the
  timeline.

Pure: no configuration is read here; callers pass the configured aliases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

Scope = Literal["action", "deferred", "timeline"]

ACTION_ITEMS = "Action items"
DEFERRED = "Things we should do if we have time"
TIMELINE = "Timeline of events"

SYNONYMS: dict[str, tuple[str, ...]] = {
    "Summary": ("summary", "issue summary", "incident summary", "executive summary", "overview", "tldr",
                "what happened", "zusammenfassung", "überblick", "résumé", "synthèse", "resumen",
                "resumo", "visão geral", "概要"),
    "Impact and Scope": ("impact", "scope", "impact and scope", "customer impact", "user impact",
                         "business impact", "impact assessment", "detailed description of impact",
                         "impact and metrics", "auswirkungen", "auswirkung", "impacto", "影響", "影響範囲"),
    "Trigger": ("trigger", "triggers", "triggering event", "what triggered it", "proximate cause", "auslöser",
                "déclencheur", "desencadenante", "gatilho"),
    "Detection": ("detection", "how we found out", "how it was detected", "discovery", "erkennung", "détection",
                  "detección", "detecção", "deteção", "検知"),
    "Resolution": ("resolution", "mitigation", "recovery", "resolution and recovery", "mitigation and resolution",
                   "how it was fixed", "response", "lösung", "behebung", "wiederherstellung", "résolution",
                   "resolución", "mitigación", "resolução", "mitigação", "recuperação", "復旧",
                   "暫定対応"),
    TIMELINE: ("timeline", "timeline of events", "incident timeline", "chronology", "sequence of events",
               "time line", "zeitlicher ablauf", "zeitleiste", "ablauf", "chronologie", "déroulement",
               "cronología", "línea de tiempo", "linha do tempo", "cronologia", "タイムライン",
               "時系列", "経緯"),
    "Root Cause": ("root cause", "root causes", "root cause analysis", "rca", "cause", "causes",
                   "contributing factors", "why it happened", "5 whys", "five whys", "ursache", "ursachen",
                   "ursachenanalyse", "cause racine", "causes racines", "causa raíz", "causas", "causa raiz",
                   "análise de causa raiz", "根本原因", "原因"),
    "What went well": ("what went well", "went well", "things that went well", "what worked", "what went right",
                       "was lief gut", "ce qui a bien fonctionné", "ce qui sest bien passé", "qué salió bien",
                       "o que deu certo", "良かった点"),
    "What didn't go well": ("what didnt go well", "what did not go well", "what went wrong", "what went badly",
                            "what could have gone better", "what could be improved", "areas for improvement",
                            "things that went wrong", "what didnt go so well", "what can be improved",
                            "was lief schlecht", "was lief nicht gut", "ce qui na pas fonctionné",
                            "ce qui sest mal passé", "qué salió mal", "o que deu errado",
                            "o que pode melhorar", "悪かった点", "改善点"),
    "Lessons learned": ("lessons learned", "lessons learnt", "learnings", "lessons", "takeaways", "key takeaways",
                        "erkenntnisse", "leçons apprises", "enseignements",
                        "lecciones aprendidas", "lições aprendidas", "教訓"),
    "Where we got lucky": ("where we got lucky", "where we were lucky", "lucky", "wo wir glück hatten"),
    ACTION_ITEMS: ("action items", "action item", "actions", "follow ups", "followups", "follow up",
                   "follow up actions", "follow up items", "next steps", "remediation", "remediations",
                   "remediation items", "remediation actions", "corrective actions", "corrective action",
                   "corrective and preventative measures", "corrective and preventive measures",
                   "corrective and preventive actions", "corrective and preventative actions",
                   "preventive measures", "preventative measures", "preventive actions", "preventative actions",
                   "action plan", "todo", "to do", "to dos", "todos", "tasks", "measures", "countermeasures",
                   "actions and owners",
                   "maßnahmen", "folgemaßnahmen", "gegenmaßnahmen", "aufgaben", "nächste schritte",
                   "actions correctives", "plan daction", "prochaines étapes", "acciones", "acciones correctivas",
                   "próximos pasos", "plan de acción", "ações", "ações corretivas", "ações preventivas",
                   "itens de ação", "plano de ação", "próximos passos", "再発防止策", "対応策", "恒久対応",
                   "恒久対策", "今後の対応", "アクションアイテム"),
    DEFERRED: ("things we should do if we have time", "if we have time", "nice to have", "nice to haves",
               "aspirational", "stretch goals", "wishlist", "wish list", "wenn wir zeit haben",
               "si nous avons le temps", "si tenemos tiempo", "se tivermos tempo"),
    "Data & Analysis": ("data and analysis", "supporting information", "supporting data", "appendix",
                        "analysis", "data", "evidence", "graphs", "anhang", "annexe", "anexo"),
}
"""Section → the names people give it (compared as :func:`name_key`), in English and the names German,
French, Spanish, Portuguese and Japanese pages give the same sections (Japanese incident reports
call the actions 再発防止策 "recurrence prevention" or 対応策/恒久対応 "countermeasures/permanent fix",
the mitigation 暫定対応 "interim response"). The keys are the sections of wikibot's templates
plus "Summary" and "Lessons learned", which many pages have. Documented in README."""

_SCOPES: dict[str, Scope] = {ACTION_ITEMS: "action", DEFERRED: "deferred", TIMELINE: "timeline"}
_DEFERRED_WORDS = ("if we have time", "nice to have", "nice-to-have", "aspirational")
_ACTION_WORDS = ("follow up", "followup", "remediation")
"""Words that make any heading an Action items heading ("Follow-up work", "Remediation and follow-up
steps"), compared within :func:`name_key`."""
_BARE_NUMBER = re.compile(r"\d+(?:\.\d+)*\s+(?=\D)")

_NUMBERING = re.compile(r"(?:\d+(?:\.\d+)+\.?|\d+[.)]|\d+\s*[-\u2013\u2014:]|[A-Za-z][.)]|[IVXivx]+\.)\s+")
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:\s*")
_PARENTHESES = re.compile(r"\s*[(\[].*?[)\]]")
_NOT_WORD = re.compile(r"[^\w\s]")


def _is_decoration(char: str) -> bool:
    """Emoji, symbols, punctuation, joiners and spaces: what may precede a heading's first word."""
    return unicodedata.category(char)[0] in "SPZC" or char in "\ufe0f\u200d\u20e3"


@lru_cache(maxsize=4096)
def clean_title(text: str) -> str:
    """A heading as a person names it: no leading emoji, bullets or numbering, no trailing colon."""
    title = " ".join(text.split())
    while True:
        shortcode = _SHORTCODE.match(title)
        rest = title[shortcode.end():] if shortcode else title
        start = 0
        while start < len(rest) and _is_decoration(rest[start]) and rest[start] not in "([\"'":
            start += 1
        rest = rest[start:]
        numbering = _NUMBERING.match(rest)
        if numbering:
            rest = rest[numbering.end():]
        if rest == title or not rest:
            break
        title = rest
    return title.rstrip(" :\uff1a")


@lru_cache(maxsize=4096)
def name_key(title: str) -> str:
    """A name as compared: case, accents' width forms, "&"/"and", punctuation and emoji ignored."""
    text = unicodedata.normalize("NFKC", title).casefold().replace("&", " and ")
    return " ".join(_NOT_WORD.sub("", text.replace("-", " ").replace("/", " ")).split())


class SectionNames:
    """The synonym table plus configured aliases (heading → section name), looked up by key."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self._canonical: dict[str, str] = {}
        for name, synonyms in SYNONYMS.items():
            self._canonical[name_key(name)] = name
            for synonym in synonyms:
                self._canonical.setdefault(name_key(synonym), name)
        for heading, target in (aliases or {}).items():
            if name_key(heading) and target.strip():
                self._canonical[name_key(heading)] = self.exactly(target) or target.strip()
        self._cache: dict[str, tuple[str | None, Scope | None]] = {}

    def exactly(self, name: str) -> str | None:
        """The section ``name`` is in the table, compared as :func:`name_key` only (no parts, no words
        within): what an alias's target must be for its heading to take that section's role."""
        return self._canonical.get(name_key(name))

    def lookup(self, title: str) -> tuple[str | None, Scope | None]:
        """(template section or None, scope) of a cleaned heading."""
        found = self._cache.get(title)
        if found is None:
            found = self._cache[title] = self._lookup(title)
        return found

    def _lookup(self, title: str) -> tuple[str | None, Scope | None]:
        lowered = title.lower()
        key = name_key(title)
        name = self._canonical.get(key) or self._canonical.get(name_key(_PARENTHESES.sub("", title)))
        if name is None:
            name = self._named_part(title)
        if any(word in lowered for word in _DEFERRED_WORDS):
            return (name if name and _SCOPES.get(name) == "deferred" else DEFERRED), "deferred"
        if name is not None:
            return name, _SCOPES.get(name)
        if "action item" in lowered or any(word in key for word in _ACTION_WORDS):
            return ACTION_ITEMS, "action"
        if "timeline" in lowered:
            return TIMELINE, "timeline"
        return None, None

    def _named_part(self, title: str) -> str | None:
        """The section a heading names in one of its parts: "1 Summary" (numbered without a dot, which
        :func:`clean_title` keeps so that "5 Whys" stays itself) or one side of "Zusammenfassung /
        Summary" (headings written in two languages)."""
        bare = _BARE_NUMBER.match(title)
        if bare:
            return self.lookup(title[bare.end():])[0]
        if " / " in title:
            return next(filter(None, (self._canonical.get(name_key(part)) for part in title.split(" / "))), None)
        return None

    def name_of(self, title: str) -> str:
        """The template section a cleaned heading stands for, else the heading itself."""
        return self.lookup(title)[0] or title

    def known(self, title: str) -> bool:
        """Whether a cleaned heading is a post-mortem section name wikibot knows."""
        return self.lookup(title)[0] is not None

    def scope_of(self, title: str) -> Scope | None:
        return self.lookup(title)[1]


BUILTIN = SectionNames()


@lru_cache(maxsize=32)
def _configured(items: frozenset[tuple[str, str]]) -> SectionNames:
    return SectionNames(dict(items))


def section_names(aliases: Mapping[str, str] | None = None) -> SectionNames:
    """The built-in table, extended by ``aliases`` (built once per distinct mapping)."""
    return _configured(frozenset(aliases.items())) if aliases else BUILTIN
