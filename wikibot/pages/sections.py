"""Where sections start, decided on the page's list of headings alone (the rules: :mod:`wikibot.pages.read`).

Pure and cheap: each function takes ``(level, cleaned title)`` pairs in document order and looks at
nothing else, so the reader never walks the tree again to cut its sections.
"""

from __future__ import annotations

from collections.abc import Sequence

from wikibot.pages.names import SectionNames

CATCH_ALL = frozenset({"Data & Analysis"})
"""Known sections whose titles are catch-alls ("Analysis", "Appendix", "Supporting information"): like a
title wikibot does not know, they group the sections written under them."""


def section_level(headings: Sequence[tuple[int, str]], names: SectionNames) -> tuple[int, bool]:
    """The heading level that carries the sections (0 without headings), and whether a deeper heading
    names a known section (only then can one be a section of its own: :func:`nested_sections`)."""
    levels = sorted({level for level, _ in headings})
    if not levels:
        return 0, False
    known = {level: 0 for level in levels}
    count = {level: 0 for level in levels}
    for level, title in headings:
        count[level] += 1
        known[level] += names.known(title)
    candidates = levels
    top, below = levels[0], levels[1] if len(levels) > 1 else 0
    if below and count[top] == 1 and headings[0][0] == top and known[below] >= known[top] \
            and (count[below] > 1 or known[below]):
        candidates = levels[1:]
    chosen = max(candidates, key=lambda level: (known[level], -level))
    return chosen, any(known[level] for level in levels if level > chosen)


def is_group_title(name: str | None) -> bool:
    """Whether a section whose heading stands for ``name`` (:meth:`SectionNames.lookup`: None for no
    known section) only groups what is under it: a title wikibot does not know, or a catch-all."""
    return name is None or name in CATCH_ALL


def nested_sections(headings: Sequence[tuple[int, str]], top: int, names: SectionNames) -> set[int]:
    """Indexes of the headings below ``top`` that are sections of their own: they name a known section
    that is no ``top``-level section of the page, and the section they sit in (the nearest open one,
    at ``top`` or itself nested) is a group title (:func:`is_group_title`)."""
    own: set[str] | None = None  # the names of the top-level sections, once a candidate needs them
    nested: set[int] = set()
    open_sections: list[tuple[int, bool]] = []  # (level, groups what is under it), outermost first
    for index, (level, title) in enumerate(headings):
        name = names.lookup(title)[0]
        if level <= top:
            open_sections = [(level, is_group_title(name))] if level == top else []
            continue
        while open_sections and open_sections[-1][0] >= level:
            open_sections.pop()
        if name is None or not open_sections or not open_sections[-1][1]:
            continue
        if own is None:
            own = {names.name_of(t) for lvl, t in headings if lvl == top}
        if name not in own:
            nested.add(index)
            open_sections.append((level, False))
    return nested
