"""Headings pasted as bold paragraphs: pages from Google Docs or Word often have no heading elements.

Their sections start at a paragraph in bold (``<p><strong>Action items</strong></p>``, ``<p><b><span
style=...>Root cause</span></b></p>``). The reader takes such a paragraph as a heading only on a page
where at most one real heading is a section name wikibot knows and more bold paragraphs are (an
"Appendix" heading added under a pasted document does not hide them), only when it stands on the page
itself or in a layout cell (not in a table, list or macro), only when its whole text is bold and is a
known section name, and only the first paragraph naming each section and, after "Action items", none
naming a section that comes before it on every template (a bold "Detection" or "Response" under Action
items labels a group of actions). A bold "Summary" label on a page with proper ``<h2>`` sections stays
text, and so does a bold sentence.

Pure: lxml elements in, titles out.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from wikibot.pages.names import ACTION_ITEMS, SectionNames
from wikibot.pages.tree import ac

_BOLD = frozenset({"strong", "b"})
_BOLD_WRAPPERS = frozenset({"span", "font", "u", "em", "i", ac("inline-comment-marker")})
_BOLD_TITLE_MAX = 80
_LAYOUT_TAGS = frozenset({ac("layout"), ac("layout-section"), ac("layout-cell")})


def bold_headings(root: etree._Element, names: SectionNames, title_of: Callable[[etree._Element], str]
                  ) -> dict[etree._Element, str]:
    """Paragraphs that act as headings (module docstring): paragraph -> title (``title_of``: a heading's
    title, as the reader reads it). Only paragraphs of the page itself or of its layouts, never of a
    table, list, panel or other macro (a bold "Actions" label in a cell is no heading)."""
    found = {}
    named: set[str] = set()
    for paragraph in root.iter("p"):
        parent = paragraph.getparent()
        while parent is not None and parent is not root and parent.tag in _LAYOUT_TAGS:
            parent = parent.getparent()
        if parent is root and _all_bold(paragraph):
            title = title_of(paragraph)
            name = names.name_of(title)
            if len(title) <= _BOLD_TITLE_MAX and names.known(title) and name not in named \
                    and not (ACTION_ITEMS in named and name in _BEFORE_ACTIONS):
                found[paragraph] = title
                named.add(name)
    return found


_BEFORE_ACTIONS = frozenset({"Summary", "Impact and Scope", "Trigger", "Detection", "Resolution", "Root Cause"})
"""Sections that come before Action items on every template: named in bold below it, they label groups."""


def _all_bold(element: etree._Element, inside: bool = False) -> bool:
    """Whether every visible character of ``element`` is inside ``<strong>``/``<b>`` (wrapped in spans
    or underlining, as Word and Google Docs write it); a colon or whitespace may stand outside."""
    if not inside and (element.text or "").strip(" \t\n\xa0:"):
        return False
    bold = inside
    for child in element:
        tag = child.tag
        if tag in _BOLD:
            bold = True
        elif tag in _BOLD_WRAPPERS:
            if not _all_bold(child, inside):
                return False
            bold = True
        elif tag != "br":
            return False
        if not inside and (child.tail or "").strip(" \t\n\xa0:"):
            return False
    return bold
