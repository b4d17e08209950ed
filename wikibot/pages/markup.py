"""Storage-format vocabulary: what each tag is to a reader, and the facts read off single elements.

Shared by the reader-text walk and its shortcuts (:mod:`wikibot.pages.text`) and the action reader,
so that they agree on what a macro, a block, a cell or inline markup is: one table (:data:`KIND`),
one dict lookup per element.
"""

from __future__ import annotations

import re

from lxml import etree

from wikibot.pages.names import name_key
from wikibot.pages.reading import text_content
from wikibot.pages.tree import RI, ac, ri

RI_PREFIX = f"{{{RI}}}"
NAME_ATTR = ac("name")
PARAMETER = ac("parameter")
MACRO_TAGS = (ac("structured-macro"), ac("macro"))
"""The two elements a macro is stored as (``ac:macro`` on older pages)."""
PLACEHOLDER = ac("placeholder")
AC_LINK_TAG = ac("link")
LINK_BODIES = frozenset({ac("link-body"), ac("plain-text-link-body")})
USER_TAG = ri("user")
URL_TAG = ri("url")
USER_ATTRS = (ri("account-id"), ri("userkey"), ri("username"))
LINK_TARGET_ATTRS = (ri("content-title"), ri("filename"), ri("value"), ri("space-key"))
EMOJI_FALLBACK = ac("emoji-fallback")
EMOTICON_TEXT = {"tick": "\u2714", "cross": "\u2718", "warning": "\u26a0"}
NESTED_ENTRIES = frozenset({ac("task-list"), "ul", "ol", "table"})
NESTED_TASKS_AND_TABLES = frozenset({ac("task-list"), "table"})
INLINE_MACROS = frozenset({"status", "jira", "anchor"})
PANEL_MACROS = frozenset({"info", "note", "tip", "warning", "panel"})
# Macros that are structure or decoration: a section holding only these (and no text) is not filled.
# Any other macro (a chart, a diagram, an embedded file, a Jira query) counts as content.
DECORATION_MACROS = PANEL_MACROS | frozenset({
    "anchor", "toc", "toc-zone", "expand", "details", "code", "noformat", "status", "excerpt",
    "section", "column", "ui-expand", "ui-tabs", "ui-tab",
})

# What the walk does with each tag (one dict lookup per element).
(K_SKIP, K_MUTE_FLAG, K_IMAGE, K_TASK_STATUS, K_MACRO, K_CELL, K_BLOCK, K_TIME, K_BR, K_EMOTICON, K_A,
 K_AC_LINK) = range(12)
KIND: dict[str, int] = {
    PARAMETER: K_SKIP, ac("task-id"): K_SKIP, ac("task-uuid"): K_SKIP, ac("adf-attribute"): K_SKIP,
    PLACEHOLDER: K_MUTE_FLAG, ac("image"): K_IMAGE, "img": K_IMAGE, ac("task-status"): K_TASK_STATUS,
    ac("structured-macro"): K_MACRO, ac("macro"): K_MACRO, "td": K_CELL, "th": K_CELL,
    "time": K_TIME, "br": K_BR, ac("emoticon"): K_EMOTICON, "a": K_A, AC_LINK_TAG: K_AC_LINK,
}
ROW_CONTAINERS = frozenset({"table", "thead", "tbody", "tfoot"})
SKIPPED = frozenset(tag for tag, kind in KIND.items() if kind == K_SKIP)
KIND.update(dict.fromkeys((
    "p", "div", "li", "ul", "ol", "table", "tr", "blockquote", "pre", "hr", "h1", "h2", "h3", "h4",
    "h5", "h6", "thead", "tbody", "tfoot", "caption", "dl", "dt", "dd",
    ac("task"), ac("task-list"), ac("task-body"), ac("layout"), ac("layout-section"),
    ac("layout-cell"), ac("rich-text-body"), ac("plain-text-body"),
    ac("adf-extension"), ac("adf-node"), ac("adf-content"),  # (new-editor nodes: see wikibot.pages.tree)
), K_BLOCK))

# Inline markup that adds nothing but its text: an element holding only these is read by libxml2 in C
# (``text_content``), which is most cells, headings and paragraphs of a page (see :func:`wikibot.pages.text.shortcut`).
INLINE = frozenset({"strong", "em", "b", "i", "u", "s", "span", "code", "sub", "sup", "small", "del", "ins",
                     "mark", "q", "cite", "abbr", "kbd", "var", "samp", "font", "big", "strike", "tt",
                     ac("inline-comment-marker")})  # (where a reviewer's comment is anchored: just its text)
FRAMES = {tag: ("\t" if kind == K_CELL else "\n") for tag, kind in KIND.items()
          if kind == K_CELL or (kind == K_BLOCK and not tag.startswith("{") and tag not in ("ul", "ol", "table", "tr"))}
"""Cells and plain blocks: the whitespace the walk puts around their text (what shortcuts may unwrap)."""


KEY_PATTERN = r"[A-Z][A-Z0-9_]+-[1-9][0-9]*"
"""A Jira issue key (``OPS-17``)."""
BROWSE = re.compile(rf"/browse/({KEY_PATTERN})(?![\w-])")
"""A link to a Jira issue, and its key."""


def issue_link_key(link: etree._Element, href: str) -> str | None:
    """The key of a link to a Jira issue that shows nothing but its own URL or key (a pasted URL, a
    smart link card): in an item's summary it is the item's ticket, as a Jira macro is."""
    found = BROWSE.search(href)
    if found is None:
        return None
    text = " ".join(text_content(link).split())
    return found.group(1) if text.rstrip("/") in (href.rstrip("/"), found.group(1)) else None


def macro_name(element: etree._Element) -> str | None:
    """The lower-cased ``ac:name`` of a macro element, or None for anything else."""
    if KIND.get(element.tag) != K_MACRO:
        return None
    return (element.get(NAME_ATTR) or "").lower()


def macro_parameter(element: etree._Element, name: str) -> str | None:
    """The stripped text of the macro's own ``ac:parameter`` called ``name`` (case-insensitive)."""
    wanted = name.lower()
    for child in element:
        if child.tag == PARAMETER and (child.get(NAME_ATTR) or "").lower() == wanted:
            return text_content(child).strip()
    return None


def user_id(element: etree._Element) -> str | None:
    """The most stable identifier of an ``ri:user``: Cloud account id, then DC user key, then name."""
    for attr in USER_ATTRS:
        value = element.get(attr)
        if value:
            return value
    return None


def is_instruction_panel(element: etree._Element) -> bool:
    """An info/note/tip/warning/panel macro titled "Instructions ..." (template guidance by convention)."""
    if macro_name(element) not in PANEL_MACROS:
        return False
    return (macro_parameter(element, "title") or "").lower().startswith("instruction")


STRUCK_TAGS = ("s", "del", "strike", "span")
"""What strike-through is stored as: ``<s>``/``<del>`` (pasted, new editor), ``<strike>``, and the
classic editor's ``<span style="text-decoration: line-through;">`` (Confluence Storage Format)."""
PLAIN_INLINE = INLINE - frozenset(STRUCK_TAGS)
"""Inline markup that cannot strike text through: a cell of text and these only is *plain* (the
walk's shortcut reads it), and the row reader need not look for strike-through in it."""
_NOT_OWN = frozenset({"ul", "ol", "table", ac("task-list")})


def _is_struck(node: etree._Element) -> bool:
    return node.tag != "span" or "line-through" in (node.get("style") or "")


def struck_text(element: etree._Element) -> str:
    """The text of ``element`` that is struck through, outside its nested lists and tables (other
    entries): teams strike an action out when it is done."""
    parts = []
    for node in element.iter(*STRUCK_TAGS):
        if not _is_struck(node):
            continue
        outer = False
        for ancestor in node.iterancestors():
            if ancestor is element:
                break
            if ancestor.tag in _NOT_OWN or (ancestor.tag in STRUCK_TAGS and _is_struck(ancestor)):
                outer = True
                break
        if not outer:
            parts.append(text_content(node))
    return " ".join(parts)


def struck_out(element: etree._Element, summary: str) -> bool:
    """Whether all of an item's summary (read from ``element``) is struck through: a done item, also
    after wikibot wrote a Jira macro (no text) after it. Part of it struck ("use <s>v1</s> v2") is an
    edit of the wording, not done."""
    if not summary or next(element.iter(*STRUCK_TAGS), None) is None:
        return False
    wanted = name_key(summary)
    return bool(wanted) and f" {wanted} " in f" {name_key(struck_text(element))} "
