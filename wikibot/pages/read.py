"""Reading a page: sections, action items, deferred items, Page Properties and the timeline.

The page is cut into *units* in document order: headings, blocks (elements without a heading inside)
and loose text. Containers that hold a heading (layouts, a macro body) are opened so that the heading
and the blocks around it land in the right section; everything else is read as a whole.

Sections are cut at one heading level: the level whose headings are most often post-mortem section
names (:mod:`wikibot.pages.names`), the highest level on a tie or when none is; a lone first heading
above all others is the page's title (``<h1>Postmortem</h1>`` over ``<h2>`` sections), neither a
section nor a scope, unless it is a better section name than the headings below it.
Deeper headings belong to their section; a higher heading after the sections started closes the
current section (a group title such as "Appendix") without opening one.

Known sections nested under a group title are sections of their own. Templates group sections under
a heading that names none: PagerDuty's "How'd We Do?" h2 over h3 "What Went Well" and "What Didn't
Go Well", a "Retrospective" over "What went wrong", an "Analysis" over "Root cause" and "Trigger".
Read as one section, the audit would miss the sections people wrote. So a deeper heading is a
section (at its own level, until the next heading of that level or higher) when

* it names a known section that is not the name of a section at the section level of this page
  (a "Root cause" h3 in the "Retrospective" of a page with a "Root Cause" h2 stays its text), and
* the section it sits in is a *group title*: a name wikibot does not know, or the catch-all "Data &
  Analysis" ("Analysis", "Appendix", "Supporting information"; :mod:`wikibot.pages.sections`).

A known section keeps its sub-headings, whatever they are called: "What went well" under "Lessons
learned" (the SRE book's layout) is a lesson, "Detection" under "What happened" part of the story,
"Nice to have" under "Action items" its deferred part; and a section nested in a group holds its
own sub-headings. The group title stays a section, so that a page's sections (by which the audit
finds its template, and judges a page of no known template) follow from its headings alone, never
from what is written under them. Its text is what it holds outside its nested sections (an intro,
a sub-heading that names no section, such as "Open questions"), so no sentence is read twice or
lost; its status is the best of its own and its nested sections' (a group is written when anything
in it is), so a title that only groups sections is never reported empty.

Pages pasted from Google Docs or Word often have no heading elements at all: their sections start at
a paragraph in bold, which then counts as a heading one level below the page's deepest real heading
(the rules: :mod:`wikibot.pages.bold`).

Every heading, at any level, also sets a *scope* until the next heading of the same or a higher
level: "Action items" (or a synonym), "If we have time" (deferred) or "Timeline". A "Nice to have"
sub-heading under "Action items" therefore yields deferred items, not action items, and an "Action
items" sub-heading works under any parent. What an Action items scope holds is read by
:mod:`wikibot.pages.actions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from copy import deepcopy
from functools import partial

from lxml import etree

from wikibot.pages import cells
from wikibot.pages.actions import COUNTED, TASK, ActionReader
from wikibot.pages.bold import bold_headings
from wikibot.pages.markup import MACRO_TAGS, macro_name
from wikibot.pages.model import DeferredItem, PageModel, Section, SectionStatus
from wikibot.pages.names import BUILTIN, SectionNames, clean_title, section_names
from wikibot.pages.properties import read_properties
from wikibot.pages.reading import Reading, collapse
from wikibot.pages.sections import nested_sections, section_level
from wikibot.pages.tables import Row, Tables, layout, outermost_tables, unnested
from wikibot.pages.text import HeaderRows, read, reader_text, shortcut
from wikibot.pages.tree import DEFAULT_MAX_BYTES, ac, parse_fragment, remove_keeping_tail

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HEADING_TAGS = frozenset(_HEADINGS)


def parse_page(body: str, *, instructions: Iterable[str] = (), aliases: Mapping[str, str] | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> PageModel:
    """Read a storage-format body (``body.storage.value``) into a :class:`PageModel`.

    ``instructions``: guidance texts of wikibot's own template; a section whose only text is one of
    them (whitespace and case ignored) is a ``placeholder``. ``aliases``: heading → section name,
    added to the built-in synonym table (``postmortem.section_aliases``). Raises
    :class:`PageParseError` for anything that is not a well-formed page of at most ``max_bytes`` bytes.
    """
    return read_page(body, names=section_names(aliases), instructions=instructions, max_bytes=max_bytes)


def read_page(body: str, *, names: SectionNames = BUILTIN, instructions: Iterable[str] = (),
              max_bytes: int = DEFAULT_MAX_BYTES) -> PageModel:
    """:func:`parse_page` with the section names already built (the editor re-reads with the same)."""
    root = parse_fragment(body, max_bytes=max_bytes)
    return _PageReader(root, names, instructions).model()


def scope_of(title: str, names: SectionNames = BUILTIN) -> str | None:
    """What a heading announces: "deferred", "action", "timeline" or nothing."""
    return names.scope_of(clean_title(title))


def _units(root: etree._Element, census: list[etree._Element],
           bold: Iterable[etree._Element] = ()) -> Iterator[tuple[str, etree._Element | str]]:
    """("heading" | "block" | "text", value) in document order (see the module docstring); ``census``
    holds at least every heading of the page, in document order; ``bold``: paragraphs that are
    headings too (:func:`wikibot.pages.bold.bold_headings`)."""
    headings = [h for h in census if h.tag in _HEADING_TAGS]
    if len(headings) < len(census):  # some tables (or tasks, list items): leave out headings inside tables
        in_tables = {h for t in census if t.tag == "table" for h in t.iter(*_HEADINGS)}
        if in_tables:
            headings = [h for h in headings if h not in in_tables]
    headings.extend(bold)
    heading_set = set(headings)
    if all(heading.getparent() is root for heading in headings):  # the usual page: nothing to open
        if root.text:
            yield "text", root.text
        for child in root:
            yield ("heading" if child in heading_set else "block"), child
            if child.tail:
                yield "text", child.tail
        return
    containers: set[etree._Element] = set()
    for heading in headings:
        for ancestor in heading.iterancestors():
            if ancestor in containers:
                break
            containers.add(ancestor)
    stack: list[tuple[str, etree._Element | str]] = [("open", root)]
    while stack:
        kind, value = stack.pop()
        if kind != "open" or isinstance(value, str):  # only "text" carries a string
            yield kind, value
            continue
        if value.text:
            yield "text", value.text
        for child in reversed(value):
            if child.tail:
                stack.append(("text", child.tail))
            if child in heading_set:
                stack.append(("heading", child))
            else:
                stack.append(("open" if child in containers else "block", child))


class _SectionBuilder:
    """Collects a section's parts; decides its status with a walk that stops once the answer is known.

    The section's text is read only if someone asks for it (see :class:`Section`).
    """

    def __init__(self, title: str, name: str, level: int, limit: int, header_rows: HeaderRows) -> None:
        self.header_rows = header_rows
        self.title = title
        self.name = name
        self.level = level
        self.limit = limit
        self.parts: list[etree._Element | str] = []
        self.probe = Reading()
        self.nested: tuple[_SectionBuilder, ...] = ()  # the sections of its own a group title holds

    def add_block(self, block: etree._Element) -> None:
        self.parts.append(block)
        if not self.probe.stopped:
            read(block, into=self.probe, header_rows=self.header_rows, limit=self.limit)

    def add_text(self, text: str, *, counts: bool = True) -> None:
        self.parts.append(text)
        probe = self.probe
        if counts and not probe.stopped:
            probe.pieces.append(text)
            probe.status_pieces.append(text)
            if not text.isspace():
                probe.visible += len(text)
                probe.stopped = probe.visible > self.limit

    def build(self, instructions: frozenset[str]) -> Section:
        status = self._status(instructions)
        if self.nested:  # a group title
            status = min((status, *(b._status(instructions) for b in self.nested)), key=_STATUS_RANK.index)
        return Section(self.title, status, self.level, self.name, self.text, self.prose)

    def text(self) -> str:
        """The section's reader text (asked for through :attr:`Section.text`)."""
        return _section_text(tuple(self.parts))

    def prose(self) -> str:
        """The section's reader text without code (asked for through :attr:`Section.prose`)."""
        return _section_prose(tuple(self.parts))

    def _status(self, instructions: frozenset[str]) -> SectionStatus:
        probe = self.probe
        if probe.objects or probe.stopped:
            return "filled"
        text = probe.status_text.casefold()
        if not text:
            return "placeholder" if probe.placeholder else "empty"
        if text in instructions or (instructions and all(
                line.casefold() in instructions for line in probe.status_lines)):
            return "placeholder"
        return "filled"


_STATUS_RANK: tuple[SectionStatus, ...] = ("filled", "placeholder", "empty")
"""A group title's status is the best of its own and its nested sections' (see the module docstring)."""


def _section_text(parts: tuple[etree._Element | str, ...]) -> str:
    reading = Reading()
    for part in parts:
        if isinstance(part, str):
            reading.pieces.append(part)
        else:
            read(part, into=reading)
    return reading.lines


_CODE_MACROS = frozenset({"code", "noformat"})
_CODE_TAGS = frozenset({"code", "pre", "kbd", "samp"})


def _section_prose(parts: tuple[etree._Element | str, ...]) -> str:
    """The section's reader text without code: code and noformat macros, ``<code>``/``<pre>``.

    Asked for only where the wording is judged (blame): the parts are copied and their code cut out
    (each element's tail text kept), so the page itself is untouched.
    """
    if not any(isinstance(p, etree._Element) and _has_code(p) for p in parts):
        return _section_text(parts)
    pruned: list[etree._Element | str] = []
    for part in parts:
        if isinstance(part, str) or not _has_code(part):
            pruned.append(part)
            continue
        copy = deepcopy(part)
        for element in [e for e in copy.iter() if _is_code(e)]:
            if element is copy:
                break
            remove_keeping_tail(element, " ")
        else:
            pruned.append(copy)
    return _section_text(tuple(pruned))


def _heading_title(heading: etree._Element) -> str:
    """A heading as a person names it (:func:`clean_title`); a status lozenge in it ("Corrective
    actions [DRAFT]") says how far the section is, it is not part of its name."""
    found = shortcut(heading)
    if isinstance(found, str):  # inline markup only (most headings): no macro in it
        return clean_title(collapse(found))
    if any(macro_name(macro) == "status" for macro in heading.iter(*MACRO_TAGS)):
        heading = deepcopy(heading)
        for macro in [m for m in heading.iter(*MACRO_TAGS) if macro_name(m) == "status"]:
            remove_keeping_tail(macro, " ")
    return clean_title(reader_text(heading))


def _is_code(element: etree._Element) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return False
    return (etree.QName(tag).localname in _CODE_TAGS if not tag.startswith("{") else
            tag in MACRO_TAGS and macro_name(element) in _CODE_MACROS)


def _has_code(element: etree._Element) -> bool:
    return any(_is_code(e) for e in element.iter())


class _PageReader:
    def __init__(self, root: etree._Element, names: SectionNames, instructions: Iterable[str]) -> None:
        self.root = root
        self.names = names
        self.instructions = frozenset(filter(None, (collapse(s).casefold() for s in instructions)))
        # Past this many visible characters a section cannot be a template instruction any more.
        self.limit = 4 * sum(map(len, self.instructions)) + 16 if self.instructions else 0
        self.tables = Tables()
        # One pass over the tree finds the headings, what the editor counts (tables, tasks, list items)
        # and the macros (Page Properties are in ``details`` macros).
        self.census = list(root.iter(*_HEADINGS, *COUNTED, *MACRO_TAGS))
        self.actions = ActionReader(root, names, self.instructions, self.tables, self.census)
        self.deferred: list[DeferredItem] = []
        self.timeline_blocks: list[etree._Element] = []

    def model(self) -> PageModel:
        sections = self._sections()
        properties, users = read_properties(self.census, self.tables)
        return PageModel(sections, self.actions.items, self.deferred, properties, users,
                         partial(_timeline_rows, tuple(self.timeline_blocks)), self.actions.unrecognised)

    def _sections(self) -> list[Section]:
        units = list(_units(self.root, self.census))
        titles = {value: _heading_title(value) for kind, value in units
                  if kind == "heading" and not isinstance(value, str)}
        levels = {heading: int(heading.tag[1]) for heading in titles}
        known = sum(map(self.names.known, titles.values()))
        order = None  # the headings in document order, when not that of ``titles`` (bold paragraphs come last)
        if known <= 1:
            bold = bold_headings(self.root, self.names, _heading_title)
            if len(bold) > known:
                units = list(_units(self.root, self.census, bold))
                titles.update(bold)
                levels.update(dict.fromkeys(bold, min(max(levels.values(), default=1) + 1, 6)))
                order = [value for kind, value in units if kind == "heading" and not isinstance(value, str)]
        top, deeper_known = section_level([(levels[h], t) for h, t in titles.items()], self.names)
        nested: set[etree._Element] = set()
        if deeper_known:  # a heading below the sections names one: it may be a section of its own
            order = order or list(titles)
            nested = {order[i] for i in nested_sections([(levels[h], titles[h]) for h in order], top, self.names)}
        builders: list[_SectionBuilder] = []
        current: _SectionBuilder | None = None
        group: _SectionBuilder | None = None  # the open top-level section
        inner: list[_SectionBuilder] = []  # the sections nested in it that are open, outermost first
        started = False
        scopes: list[tuple[int, str | None, str]] = []
        scope: str | None = None  # the innermost scope that names one, and its heading
        heading = ""
        for kind, value in units:
            if kind == "heading" and not isinstance(value, str):  # (headings are elements; narrows the type)
                level, title = levels[value], titles[value]
                started = started or level == top
                if not started:
                    continue  # the page's title: neither a section nor a scope
                while scopes and scopes[-1][0] >= level:
                    scopes.pop()
                scopes.append((level, self.names.scope_of(title), title))
                scope, heading = next(((s, t) for _, s, t in reversed(scopes) if s is not None), (None, ""))
                if level == top:
                    current = group = self._builder(title, level)
                    builders.append(current)
                    inner.clear()
                elif level < top:
                    current = group = None
                elif group is not None:
                    while inner and inner[-1].level >= level:
                        inner.pop()  # a nested section ends where a heading of its level or higher starts
                    if value in nested:
                        current = self._builder(title, level)
                        builders.append(current)
                        group.nested += (current,)
                        inner.append(current)
                    else:
                        current = inner[-1] if inner else group
                        current.add_text(f"\n{title}\n", counts=False)
                continue
            if kind == "text":
                if current is not None:
                    current.add_text(value)
                if scope == "action":
                    self.actions.text(value, heading)
                continue
            if current is not None:
                current.add_block(value)
            if scope == "action":
                self.actions.block(value, heading)
            elif scope == "deferred":
                self._deferred_block(value)
            elif scope == "timeline":
                self.timeline_blocks.append(value)
        return [builder.build(self.instructions) for builder in builders]

    def _builder(self, title: str, level: int) -> _SectionBuilder:
        return _SectionBuilder(title, self.names.name_of(title), level, self.limit, self.tables.header_rows)

    # -- deferred items, timeline, properties ---------------------------------------------------

    def _deferred_block(self, block: etree._Element) -> None:
        for element in unnested(block, "li", TASK):
            if element.tag == "table":
                table = self.tables.layout(element)
                column = cells.map_columns(table.headers).get("summary")
                texts = [_text_at(row, column, summary=True)
                         for row in table.data_rows if not table.is_separator(row)]
            else:
                body = element if element.tag == "li" else element.find(ac("task-body"))
                texts = [read(body, summary=True).text if body is not None else ""]
            self.deferred.extend(DeferredItem(text) for text in texts if text)


def _timeline_rows(blocks: tuple[etree._Element, ...]) -> list[dict[str, str]]:
    """Rows of the timeline tables: column name (or "column N") -> cell text; empty rows skipped."""
    rows = []
    for block in blocks:
        for element in outermost_tables(block):
            table = layout(element)
            names = [name or f"column {i + 1}" for i, name in
                     enumerate(table.headers or [""] * table.columns)]
            for row in table.data_rows:
                entry = {name: _text_at(row, column) for column, name in enumerate(names)}
                if any(entry.values()):
                    rows.append(entry)
    return rows


def _text_at(row: Row, column: int | None, *, summary: bool = False) -> str:
    """Text of the cell starting at ``column`` (a colspan continuation has none)."""
    cell = row.cell_starting_at(column) if column is not None else None
    return read(cell, summary=summary).text if cell is not None else ""
