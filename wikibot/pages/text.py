"""Reader text: what a person sees when Confluence renders a piece of storage format.

One iterative walk (an explicit stack, so deep nesting cannot hit Python's recursion limit) produces the
text and, on the way, the facts later steps need from the same elements: user mentions, dates, Jira
keys, link targets and task states. Collecting them in the same pass keeps the read path to one visit
per element.

Rules that differ from ``itertext()``:

* macro parameters, task ids, placeholders (editor-only) and resource identifiers are not text;
* a status lozenge reads as its title, a single-issue Jira macro as its key, a ``<time>`` as its date,
  a link without a body as the page title / file name / URL it points to, a mention as ``@<id>``;
* block elements start new lines, so ``<p>a</p><p>b</p>`` reads "a\\nb", not "ab".

In *status* mode the walk also separates text that makes a section "filled" from text that does not:
table header rows and ``th`` cells (a table with headers but empty data cells is empty) and
info/note panels titled "Instructions" (a common convention for template guidance). It can stop as
soon as the answer is known (``limit``), which keeps deciding the status of a long section cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lxml import etree

from wikibot.pages.markup import (
    AC_LINK_TAG,
    DECORATION_MACROS,
    EMOJI_FALLBACK,
    EMOTICON_TEXT,
    FRAMES,
    INLINE_MACROS,
    K_A,
    K_AC_LINK,
    K_BLOCK,
    K_BR,
    K_CELL,
    K_EMOTICON,
    K_IMAGE,
    K_MACRO,
    K_MUTE_FLAG,
    K_TASK_STATUS,
    K_TIME,
    KIND,
    LINK_BODIES,
    LINK_TARGET_ATTRS,
    NAME_ATTR,
    NESTED_ENTRIES,
    NESTED_TASKS_AND_TABLES,
    PANEL_MACROS,
    PARAMETER,
    PLACEHOLDER,
    PLAIN_INLINE,
    RI_PREFIX,
    ROW_CONTAINERS,
    SKIPPED,
    URL_TAG,
    USER_TAG,
    is_instruction_panel,
    issue_link_key,
    macro_parameter,
    user_id,
)
from wikibot.pages.reading import JIRA, LINK, TASK, TIME, USER, Reading, collapse, text_content
from wikibot.pages.tree import ac, ri

HeaderRows = Callable[[etree._Element], Iterable[etree._Element]]


def read(element: etree._Element, *, summary: bool = False, into: Reading | None = None,
         header_rows: HeaderRows | None = None, limit: int | None = None, lists: bool = False) -> Reading:
    """Walk ``element`` (its tail excluded) and return its :class:`Reading` (``into``, if given).

    ``summary``: read an item's summary (a task body, a summary cell, a list item) - dates and Jira
    macros add no text (they are the item's due date and ticket, and must not change its
    fingerprint), nested lists are other entries (unless ``lists``: a task whose body is a list) and
    nested tables are details.

    ``header_rows``: status mode - fill ``status_pieces`` too, muting the rows this function returns
    for each table. ``limit``: in status mode, stop (``stopped``) once an object or more than
    ``limit`` visible characters were seen.
    """
    frame, body = _unwrap(element)
    if body is not None and into is None and header_rows is None and len(body) == 1 and _blank(body.text):
        lone = body[0]
        if _blank(lone.tail):
            found = _read_lone_object(lone, summary)
            if found is not None:
                reading = Reading()
                reading.pieces.append(found[0])
                reading.facts, reading.objects = found[1], found[2]
                return reading
    plain = _plain_text(frame, body)
    out = into if into is not None else Reading()
    status = header_rows is not None
    pieces, status_pieces, facts = out.pieces, out.status_pieces, out.facts
    if plain is not None:
        pieces.append(plain)
        if status and element.tag != "th":
            status_pieces.append(plain)
            if limit is not None and not plain.isspace():
                out.visible += len(plain)
                out.stopped = out.visible > limit
        return out
    nested = NESTED_TASKS_AND_TABLES if lists else NESTED_ENTRIES
    muted_rows: set[etree._Element] = set()
    stack: list[tuple[etree._Element | str | etree.ElementChildIterator, bool]] = [(element, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, muted = pop()
        if isinstance(node, str):
            value = node
        elif isinstance(node, etree.ElementChildIterator):  # the rows of a table, one at a time (see below)
            child = next(node, None)
            if child is not None:
                push((node, muted))
                tail = child.tail
                if tail:
                    push((tail, muted))
                push((child, muted))
            continue
        else:
            tag = node.tag
            kind = KIND.get(tag)
            value = ""
            if kind is None:
                if tag.startswith(RI_PREFIX):
                    _read_resource(node, tag, out)
                    continue
            elif kind <= K_TASK_STATUS:
                if kind == K_MUTE_FLAG:
                    out.placeholder = True
                elif kind == K_IMAGE:
                    out.objects = True
                elif kind == K_TASK_STATUS:
                    facts.append((TASK, text_content(node).strip().lower()))
                continue
            elif kind == K_BLOCK:
                if summary and tag in nested and node is not element:
                    continue
                if header_rows is not None and tag == "table":  # status mode
                    muted_rows.update(header_rows(node))
                elif muted_rows and node in muted_rows and _inert(node):
                    continue
                value = "\n"
                push((value, muted))
            elif kind == K_CELL:
                if status and not muted:  # only status mode looks at ``muted``
                    muted = tag == "th" or (bool(muted_rows) and node.getparent() in muted_rows)
                    if muted and _inert(node):
                        continue
                value = "\t"
                push((value, muted))
            elif kind == K_MACRO:
                name = (node.get(NAME_ATTR) or "").lower()
                value = _read_macro(node, name, out, summary)
                if status and name in PANEL_MACROS and is_instruction_panel(node):
                    out.placeholder = muted = True
                if name not in INLINE_MACROS:
                    value = "\n" + value
                    push(("\n", muted))
            elif kind == K_TIME:
                value = node.get("datetime") or ""
                if value:
                    facts.append((TIME, value))
                out.objects = True
                if summary:
                    value = ""
            elif kind == K_BR:
                value = "\n"
            elif kind == K_EMOTICON:
                value = node.get(EMOJI_FALLBACK) or EMOTICON_TEXT.get(node.get(NAME_ATTR) or "", "")
            elif kind == K_A:
                href = node.get("href")
                if href:
                    facts.append((LINK, href))
                    if summary:
                        key = issue_link_key(node, href)
                        if key is not None:  # the item's ticket, as a Jira macro: no text of the summary
                            facts.append((JIRA, key))
                            continue
            elif kind == K_AC_LINK:
                if summary:  # a mention is the item's owner: its id is a fact, its name no text of the summary
                    user = node.find(USER_TAG)
                    if user is not None:
                        _read_resource(user, USER_TAG, out)
                        continue
                for child in node:
                    if child.tag in LINK_BODIES:
                        break
                else:
                    value = _link_target_text(node, summary)
            text = node.text
            if text:
                value += text
            if limit is not None and tag in ROW_CONTAINERS:
                # Deciding a status usually stops in the first data row: do not stack a long table's rows.
                push((iter(node), muted))
            else:
                for child in reversed(node):
                    tail = child.tail
                    if tail:
                        push((tail, muted))
                    push((child, muted))  # (a macro parameter or task id is skipped when popped)
        if value:
            pieces.append(value)
            if status and not muted:
                status_pieces.append(value)
                if limit is not None and not value.isspace():
                    out.visible += len(value)
                    if out.visible > limit:
                        out.stopped = True
                        return out
        if limit is not None and out.objects:
            out.stopped = True
            return out
    return out


_FLAGGING = (ac("image"), "img", "time", ac("structured-macro"), ac("macro"), PLACEHOLDER, USER_TAG)
"""What can make content count for a status although its text is muted: objects and placeholders."""


def _inert(node: etree._Element) -> bool:
    """Muted content that holds nothing of :data:`_FLAGGING`: walking it in status mode adds no status
    text (it is muted), no object and no placeholder, so the walk skips it (header rows, ``th``
    cells: a table's first row, walked at every section's status)."""
    return next(node.iter(*_FLAGGING), None) is None


def _unwrap(element: etree._Element) -> tuple[str, etree._Element | None]:
    """(frame, body) for the shortcuts of :func:`read`: ``body`` is ``element``, or its only child when
    that is a block with nothing but whitespace around it (``<td><p>...</p></td>``), and ``frame`` the
    whitespace the walk adds around ``body``'s text; ``body`` is None unless ``element`` is a block or
    a cell."""
    frame = FRAMES.get(element.tag)
    if frame is None:
        return "", None
    if len(element) == 1:
        first = element[0]
        if _blank(element.text) and _blank(first.tail):
            inner = FRAMES.get(first.tag)
            if inner is not None:
                return frame + inner, first
    return frame, element


def _plain_text(frame: str, body: etree._Element | None) -> str | None:
    """The walk's text for an unwrapped body of inline markup only; None when it needs the full walk."""
    if body is None:
        return None
    if not len(body):
        return frame + (body.text or "") + frame[::-1]  # (text_content, without its cost)
    inline = _inline_text(body)
    return None if inline is None else frame + inline + frame[::-1]


def shortcut(element: etree._Element, summary: bool = False) -> str | Lone | None:
    """What :func:`read` finds without walking ``element``, for callers that collapse the text: the
    text of a cell or block of inline markup only (a string, not collapsed, without the whitespace the
    walk adds around blocks), the reading (text, facts, objects) of one holding a lone date, mention
    or status/Jira macro, else None (it needs the walk).

    The same tests as :func:`_unwrap`, :func:`_read_lone_object` and :func:`_plain_text`, in one
    function: this runs for nearly every cell and heading of a page.
    """
    if element.tag not in FRAMES:
        return None
    body = element
    count = len(element)
    text = element.text
    if count == 1 and (not text or text.isspace()):
        first = element[0]
        tail = first.tail
        if not tail or tail.isspace():
            if first.tag not in FRAMES:  # a lone object right in the cell
                return _read_lone_object(first, summary) or _inline_text(element)
            body = first
            count = len(first)
            text = first.text
    if count == 0:
        return text or ""
    if count == 1 and (not text or text.isspace()):
        lone = body[0]
        tail = lone.tail
        if not tail or tail.isspace():
            found = _read_lone_object(lone, summary)
            if found is not None:
                return found
    return _inline_text(body)


def _inline_text(body: etree._Element) -> str | None:
    """The text of an element holding inline markup only (none that may strike it through), else None."""
    for node in body.iterdescendants():
        if node.tag not in PLAIN_INLINE:
            return None
    return text_content(body)


def _blank(text: str | None) -> bool:
    return not text or text.isspace()


Lone = tuple[str, list[tuple[str, str]], bool]
"""What the walk reads from a lone object: (text, facts, objects)."""


def _read_lone_object(node: etree._Element, summary: bool) -> Lone | None:
    """The walk's reading of an element that holds nothing but ``node``, when ``node`` is a date, a
    mention or a status/Jira macro: most cells of an action table, read without walking them.

    Equal to the walk's text (up to whitespace), facts and flags. None for anything else (the caller
    walks it).
    """
    tag = node.tag
    if tag == "time":
        if len(node) or not _blank(node.text):
            return None
        value = node.get("datetime") or ""
        return ("" if summary else value), ([(TIME, value)] if value else []), True
    if tag == AC_LINK_TAG:
        if len(node) != 1 or not _blank(node.text):
            return None
        user = node[0]
        if user.tag != USER_TAG or not _blank(user.tail):
            return None
        ident = user_id(user)
        if not ident:
            return "", [], True
        return ("" if summary else f"@{ident}"), [(USER, ident)], True
    if KIND.get(tag) == K_MACRO:
        name = (node.get(NAME_ATTR) or "").lower()
        if name not in _LONE_MACROS or not _blank(node.text):
            return None
        wanted = _LONE_MACROS[name]
        value = None  # as macro_parameter(node, wanted), found in the same pass over the children
        for child in node:
            child_tag = child.tag
            if child_tag not in SKIPPED or not _blank(child.tail):
                return None
            if value is None and child_tag == PARAMETER and (child.get(NAME_ATTR) or "").lower() == wanted:
                value = (text_content(child) if len(child) else child.text or "").strip()
        if name == "status":
            return value or "", [], False
        return ("" if summary else value or ""), ([(JIRA, value)] if value else []), True
    return None


_LONE_MACROS = {"jira": "key", "status": "title"}


def _read_macro(node: etree._Element, name: str, out: Reading, summary: bool) -> str:
    """The text a macro shows by itself (its body, if any, is walked as its children)."""
    if name == "status":
        return macro_parameter(node, "title") or ""
    if name == "jira":
        key = macro_parameter(node, "key")
        if key:
            out.facts.append((JIRA, key))
        out.objects = True
        return "" if summary else (key or "")
    if name not in DECORATION_MACROS:
        out.objects = True
    return ""


def _read_resource(node: etree._Element, tag: str, out: Reading) -> None:
    if tag == USER_TAG:
        ident = user_id(node)
        if ident:
            out.facts.append((USER, ident))
        out.objects = True
    elif tag == URL_TAG:
        value = node.get(ri("value"))
        if value:
            out.facts.append((LINK, value))


def _link_target_text(link: etree._Element, summary: bool) -> str:
    """What Confluence shows for an ``ac:link`` without a body: the target's title, file or URL.

    A mention shows the person's name, which only the REST API knows; ``@<id>`` stands in for it so a
    Page Property naming a person is not mistaken for an empty one. A summary leaves it out (in a task
    it is the owner).
    """
    for child in link:
        if child.tag == USER_TAG:
            ident = user_id(child)
            return "" if summary or not ident else f"@{ident}"
        for attr in LINK_TARGET_ATTRS:
            value = child.get(attr)
            if value:
                return value
    return ""


def reader_text(element: etree._Element) -> str:
    """Collapsed reader text of one element (a cell, a heading, a list item)."""
    found = shortcut(element)
    if found is None:
        return read(element).text
    return collapse(found if isinstance(found, str) else found[0])
