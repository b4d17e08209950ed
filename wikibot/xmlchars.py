"""The one sanitiser for text that reaches storage format (pure logic, no I/O).

Confluence storage format is XML 1.0, whose ``Char`` production allows only TAB, LF, CR,
U+0020–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF. Anything else — C0 controls, NUL, lone
surrogates, the non-characters U+FFFE/U+FFFF — makes the page not well-formed: Confluence refuses
it or the next audit cannot read it. Escaping does not help (``&#0;`` is just as illegal), so such
characters are either dropped (free text, where nothing is lost that a reader could see) or refused
(identifiers and URLs, where dropping one would silently turn a value into a different one).

Every way in (webhook, form, CLI, Jira issue bodies) validates through ``wikibot.incident``, which
uses this module; the template layers use ``finalize`` so no rendered value can break a page even
if a caller forgets.
"""

from __future__ import annotations

import re

from markupsafe import Markup

# The complement of XML 1.0 (5th edition) ``Char``; Python strings may hold lone surrogates.
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (for free text: summaries, titles, names)."""
    return NOT_XML_CHAR.sub("", text)


def is_clean(text: str) -> bool:
    return NOT_XML_CHAR.search(text) is None


def require_clean(text: str) -> str:
    """``text`` unchanged, or ``ValueError`` when it holds a forbidden character (ids, URLs).

    Dropping a character from an identifier or an address would make it name something else,
    so the caller is told instead (the message becomes the field's 400).
    """
    found = NOT_XML_CHAR.search(text)
    if found is not None:
        raise ValueError(f"contains a character that cannot be stored (U+{ord(found.group()):04X})")
    return text


def finalize(value: object) -> object:
    """A jinja ``finalize`` hook: every string a template prints loses forbidden characters.

    Defence in depth for page templates and the audit report page; ``Markup`` stays ``Markup``
    (already escaped, e.g. the ``cdata`` filter's output), anything else is printed as jinja would.
    """
    if isinstance(value, Markup):
        return Markup(clean(str(value)))
    if isinstance(value, str):
        return clean(value)
    return value
