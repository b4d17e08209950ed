"""Reading the content of an Action items section into action items, and what could not be.

People write action items as table rows, as Confluence tasks (also inside table cells), and as
bulleted or numbered lists. Each block under an Action items heading is walked once:

* a table with a column that names the action: each data row is an item, except that a Task cell
  holding ``<ac:task-list>`` yields its tasks (taking the row's owner and due date when they have
  none), and a task elsewhere in a row is that row's checkbox;
* a table without such a column is not read as items (a metrics table under Action items gives
  no items "1", "2", "Total"); its tasks still are;
* a task is an item unless its body is empty or only the editor's placeholder;
* each list item is an item (owner from a mention or a trailing "— Name"/"(Name)", due date from
  ``<time>`` or a date in the text, done from a "[x]" or from its whole text struck through), also
  in expand/panel-like macros; not inside other macros; a nested line that is only an owner, due
  date or ticket label with its value ("Owner: @ana") gives that field to the item above it;
* anything else with visible text is recorded as :class:`~wikibot.pages.model.Unrecognised`, so
  the audit can say that it was not read, instead of staying silent; except prose followed by items
  of the same section ("We agreed on these actions:"), which introduces them.

Pure: lxml elements in, model values out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from lxml import etree

from wikibot.pages import cells, lines
from wikibot.pages.identity import list_position, row_position, task_position
from wikibot.pages.markup import MACRO_TAGS, is_instruction_panel, macro_name, struck_out
from wikibot.pages.model import (
    ActionItem,
    ListSpot,
    TableShape,
    TaskSpot,
    Unrecognised,
    UnrecognisedKind,
)
from wikibot.pages.names import SectionNames
from wikibot.pages.reading import USER, Reading, collapse, text_content
from wikibot.pages.rows import RowReader
from wikibot.pages.tables import Table, Tables
from wikibot.pages.text import read
from wikibot.pages.tree import ac

TASK = ac("task")
COUNTED = ("table", TASK, "li")
"""The tags whose elements the editor finds by their index among all of that tag in the body."""
_TASK_BODY = ac("task-body")
_LISTS = ("ul", "ol")
_ITEM_TAGS = ("table", TASK, "ul", "ol")
_OPEN_MACROS = frozenset({"expand", "ui-expand", "info", "note", "tip", "warning", "panel", "section",
                          "column", "excerpt", "details", "ui-tabs", "ui-tab", "div"})
"""Macros that only frame their body: a list inside one is read as usual."""
_QUOTE = 80


class ActionReader:
    """Collects the action items (and unrecognised content) of a page, block by block."""

    def __init__(self, root: etree._Element, names: SectionNames, instructions: frozenset[str],
                 tables: Tables | None = None, census: list[etree._Element] | None = None) -> None:
        self.root = root
        self.census = census
        """The page's elements of the :data:`COUNTED` tags (and maybe others) in document order."""
        self.tables = tables if tables is not None else Tables()
        self.names = names
        self.instructions = instructions
        self.items: list[ActionItem] = []
        self._notes: list[tuple[Unrecognised, int]] = []  # with the number of items read before it
        self._item_sections: list[str] = []
        self._tables = self._lists = self._tasks = 0
        self._ordinals: dict[str, dict[etree._Element, int]] = {}
        self._fields_read: set[etree._Element] = set()

    # -- entry points ---------------------------------------------------------------------------

    @property
    def unrecognised(self) -> list[Unrecognised]:
        """The notes, without prose that introduces items below it in the same section."""
        kept = []
        for note, before in self._notes:
            if note.kind == "text" and note.section in self._item_sections[before:]:
                continue
            kept.append(note)
        return kept

    def block(self, block: etree._Element, section: str) -> None:
        """One block (an element without a heading inside) under an Action items heading."""
        self._read_block(block, section)
        self._item_sections += [section] * (len(self.items) - len(self._item_sections))

    def _read_block(self, block: etree._Element, section: str) -> None:
        bearing = list(block.iter(*_ITEM_TAGS))
        if not bearing:
            self._prose(block, section)
            return
        containers: set[etree._Element] = set()
        for element in bearing:
            for ancestor in element.iterancestors():
                if ancestor in containers:
                    break
                containers.add(ancestor)
                if ancestor is block:
                    break
        self._visit(block, containers, section)

    def text(self, text: str, section: str) -> None:
        """Loose text between blocks under an Action items heading."""
        self._note(section, "text", collapse(text))

    # -- walking --------------------------------------------------------------------------------

    def _visit(self, element: etree._Element, containers: set[etree._Element], section: str) -> None:
        tag = element.tag
        if tag == "table":
            self._table(element, section)
            return
        if tag == TASK:
            self._task(element)
            return
        if tag in _LISTS:
            self._list(element)
            return
        if tag in MACRO_TAGS:
            if is_instruction_panel(element):
                return
            if macro_name(element) not in _OPEN_MACROS:
                self._closed_macro(element, section)
                return
        if element.text:
            self.text(element.text, section)
        for child in element:
            if child in containers or child.tag in _ITEM_TAGS:
                self._visit(child, containers, section)
            else:
                self._prose(child, section)
            if child.tail:
                self.text(child.tail, section)

    def _closed_macro(self, macro: etree._Element, section: str) -> None:
        """A macro wikibot does not open: its tasks and tables are read, its lists and text are not."""
        found = False
        for element in _outside_tables(macro, TASK):
            found = True
            if element.tag == "table":
                self._table(element, section)
            else:
                self._task(element)
        if not found:
            self._prose(macro, section)
        elif next(macro.iter(*_LISTS), None) is not None:
            self._note(section, "macro", read(macro, summary=True).text)

    def _prose(self, element: etree._Element, section: str) -> None:
        if element.tag in MACRO_TAGS and is_instruction_panel(element):
            return
        kind: UnrecognisedKind = "macro" if element.tag in MACRO_TAGS and macro_name(element) not in _OPEN_MACROS \
            else "text"
        self._note(section, kind, read(element).text)

    def _note(self, section: str, kind: UnrecognisedKind, text: str) -> None:
        if not text or text.casefold() in self.instructions:
            return
        quoted = text if len(text) <= _QUOTE else text[:_QUOTE - 1].rstrip() + "\u2026"
        self._notes.append((Unrecognised(section, kind, quoted), len(self.items)))

    def _ordinal(self, element: etree._Element) -> int:
        """Index of a table, task or list item among all of its tag in the body, as the editor counts."""
        tag = element.tag
        table = self._ordinals.get(tag)
        if table is None:
            found = self.root.iter(tag) if self.census is None else (e for e in self.census if e.tag == tag)
            table = self._ordinals[tag] = {e: i for i, e in enumerate(found)}
        return table[element]

    # -- tables ---------------------------------------------------------------------------------

    def _table(self, element: etree._Element, section: str) -> None:
        table = self.tables.layout(element)
        columns = cells.map_columns(table.headers)
        if not columns.actions:
            tasks = [t for t in _outside_tables(element, TASK) if t.tag == TASK]
            for task in tasks:
                self._task(task)
            if not tasks:
                rows = [read(row.element).text for row in table.data_rows]
                if any(rows):
                    headers = " | ".join(h for h in table.headers if h)
                    self._note(section, "table", headers or next(filter(None, rows)))
            return
        self._tables += 1
        shape = _Once(partial(_shape, table, columns, partial(self._ordinal, element)))
        reader = RowReader(table, columns, shape, self.names, self._task, _tasks_in)
        for number, row in enumerate(table.data_rows, start=1):
            item = reader.read(row, row_position(self._tables, number))
            if item is not None:
                self.items.append(item)

    # -- tasks and lists ------------------------------------------------------------------------

    def _task(self, task: etree._Element,
              defaults: tuple[str | None, bool, str | None] = (None, False, None)) -> None:
        self._tasks += 1
        task_id = state = ""
        body = None
        for child in task:
            if child.tag == ac("task-id"):
                task_id = text_content(child).strip()
            elif child.tag == ac("task-status"):
                state = text_content(child).strip().lower()
            elif child.tag == _TASK_BODY:
                body = child
        reading = read(body, summary=True) if body is not None else Reading()
        if not reading.text and body is not None and next(body.iter(*_LISTS), None) is not None:
            reading = read(body, summary=True, lists=True)
        if not reading.text and not reading.facts:
            return  # an empty task, or the editor's "Type your task here" placeholder
        line = lines.line_action(reading.text, dropped=lines.left_out(reading))
        summary, users = line.summary, reading.found(USER)
        owner, owner_is_user, due = defaults
        if line.owner and not users:
            owner, owner_is_user = line.owner, False
        self.items.append(ActionItem(
            summary=summary, owner=users[0] if users else owner,
            due=cells.due_of(reading, written=line.due) or due, priority=None,
            jira_key=cells.ticket_of(reading), done=(state == "complete") if state else None,
            status=state or None, owner_is_user=bool(users) or (owner_is_user and owner is not None),
            kind="task", position=task_position(task_id, self._tasks),
            spot_source=partial(self._task_spot, task), read_with=self.names,
        ))

    def _task_spot(self, task: etree._Element) -> TaskSpot:
        return TaskSpot(self._ordinal(task))

    def _list_spot(self, li: etree._Element) -> ListSpot:
        return ListSpot(self._ordinal(li))

    def _list(self, element: etree._Element) -> None:
        """Every item of a list (nested items too) is an action item; tasks in it are tasks."""
        self._lists += 1
        number = 0
        for node in _outside_tables(element, "li", TASK, skip_tasks=True):
            if node.tag == TASK:
                self._task(node)
            elif node.tag == "li":
                number += 1
                self._list_item(node, list_position(self._lists, number))

    def _list_item(self, li: etree._Element, position: str) -> None:
        if li in self._fields_read:
            return  # an "Owner: Ana" line under an item: read with that item
        reading = read(li, summary=True)
        if not reading.text and not reading.facts:
            return  # holds only a nested list (or nothing)
        line = lines.line_action(reading.text, dropped=lines.left_out(reading))
        users = reading.found(USER)
        owner, owner_is_user = (users[0], True) if users else (line.owner, False)
        due, ticket = cells.due_of(reading, written=line.due), cells.ticket_of(reading)
        due_written = None
        done = True if line.done is None and struck_out(li, line.summary) else line.done
        for field, value, is_user in self._field_lines(li):
            if field == "owner" and owner is None:
                owner, owner_is_user = value, is_user
            elif field == "due" and due is None:
                due = value
            elif field == "due_written" and due_written is None:
                due_written = value
            elif field == "ticket" and ticket is None:
                ticket = value
        self.items.append(ActionItem(
            summary=line.summary, owner=owner, due=due, priority=None,
            jira_key=ticket, status=None, owner_is_user=owner_is_user,
            done=done, kind="list", position=position,
            spot_source=partial(self._list_spot, li), read_with=self.names,
            due_written=due_written if due is None else None,
        ))

    def _field_lines(self, li: etree._Element) -> Iterator[tuple[str, str | None, bool]]:
        """(field, value, value is a user id) of the lines of ``li``'s nested lists that are only an
        owner, due date or ticket label and its value ("Owner: @ana", "Due: 2026-12-01"): teams put
        them under the action. Those lines are not items of their own (labels:
        :func:`~wikibot.pages.cells.field_of_label`). A due date that is not one comes as the field
        "due_written" with the text as written ("Due: next sprint")."""
        for nested in li:
            if nested.tag not in _LISTS:
                continue
            for sub in nested:
                if sub.tag != "li" or next(sub.iter(*_ITEM_TAGS[1:]), None) is not None:
                    continue
                reading = read(sub, summary=True)
                label, colon, value = reading.text.replace("\uff1a", ":").partition(":")
                field = cells.field_of_label(label) if colon else None
                if field is None:
                    continue
                self._fields_read.add(sub)
                if field == "owner":
                    users = reading.found(USER)
                    name = value.strip()
                    yield field, users[0] if users else (name if name.lower() not in lines.NO_OWNER else None), \
                        bool(users)
                elif field == "due":
                    due = cells.due_of(reading)
                    yield ("due", due, False) if due or not value.strip() else ("due_written", value.strip(), False)
                else:
                    yield field, cells.ticket_of(reading), False


class _Once:
    """A function of no arguments, called at most once (``functools.cache`` costs more to set up than
    the one table shape it keeps)."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], TableShape]) -> None:
        self._make: Callable[[], TableShape] | None = make
        self._value: TableShape | None = None

    def __call__(self) -> TableShape:
        if self._make is not None:
            self._value, self._make = self._make(), None
        assert self._value is not None
        return self._value


def _shape(table: Table, columns: cells.Columns, ordinal: Callable[[], int]) -> TableShape:
    """What the editor needs to know of an action table (see :class:`TableShape`)."""
    header = table.header_row
    return TableShape(
        ordinal=ordinal(),
        header_rows=tuple(row.index for row in table.rows if row.header),
        header_tag="th" if header is None or all(c.tag == "th" for c in header.cells) else "td",
        pads=tuple(row.free_columns_before(table.columns) for row in table.rows),
        has_ticket_column=columns.get("ticket") is not None,
        separators=tuple(row.index for row in table.rows if not row.header and table.is_separator(row)),
    )


def _tasks_in(cell: etree._Element) -> list[etree._Element]:
    """The tasks of a summary cell, not those of tables nested in it."""
    if next(cell.iter(TASK), None) is None:
        return []
    return [t for t in _outside_tables(cell, TASK) if t.tag == TASK]


def _outside_tables(element: etree._Element, *tags: str, skip_tasks: bool = False) -> Iterator[etree._Element]:
    """Tables and ``tags`` elements inside ``element``, in document order, skipping anything inside a
    table already yielded and (``skip_tasks``) inside a task."""
    inside: set[etree._Element] = {element}
    for node in element.iter("table", *tags):
        if node in inside:
            continue
        if node.tag == "table" or (skip_tasks and node.tag == TASK):
            inside.update(node.iter("table", *tags))
            inside.discard(node)
        yield node
