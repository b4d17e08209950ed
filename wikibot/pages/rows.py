"""One data row of an action table read into an action item, every cell read once and cheaply.

A row is read for up to six fields, and the nightly audit reads every row of every page, so the cost
of reading a cell is most of the cost of an action table (issue 17). Most cells hold text with inline
markup, or a lone mention, date or Jira macro: :func:`read_cell` takes those from the walk's shortcuts
(:func:`wikibot.pages.text.shortcut`) and walks only the others with :func:`wikibot.pages.text.read`.
The result is exactly that of ``read(cell)`` (and of ``read(cell, summary=True)`` for the summary
cell), reduced to what the fields need: the text collapsed once, the facts and whether the cell holds
an object.

Pure: lxml elements in, model values out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import NamedTuple

from lxml import etree

from wikibot.pages import cells, lines
from wikibot.pages.markup import MACRO_TAGS, macro_name, struck_out
from wikibot.pages.model import ActionItem, TableShape, TableSpot
from wikibot.pages.names import SectionNames
from wikibot.pages.reading import USER, collapse
from wikibot.pages.tables import Row, Table
from wikibot.pages.text import read, shortcut

_NO_FACTS: tuple[tuple[str, str], ...] = ()


class Cell(NamedTuple):
    """What the item fields need from a cell's reading (see :class:`wikibot.pages.reading.Reading`)."""

    text: str
    facts: Sequence[tuple[str, str]]
    objects: bool
    plain: bool
    """Only text and inline markup (so no task, date, mention or macro either, and no strike-through:
    :data:`~wikibot.pages.markup.PLAIN_INLINE`)."""

    def found(self, kind: str) -> list[str]:
        """Values of the facts of one kind, in document order."""
        return [value for k, value in self.facts if k == kind] if self.facts else []


EMPTY = Cell("", _NO_FACTS, False, True)
_cell = partial(tuple.__new__, Cell)
"""``Cell(*values)`` without the generated ``__new__`` (a Python function): a cell is made per cell read."""


def read_cell(cell: etree._Element, *, summary: bool = False) -> Cell:
    """``read(cell, summary=summary)`` as a :class:`Cell`; most cells without the walk."""
    found = shortcut(cell, summary)
    if found is None:
        reading = read(cell, summary=summary)
        return _cell((reading.text, reading.facts, reading.objects, False))
    if isinstance(found, str):
        return _cell((collapse(found), _NO_FACTS, False, True))
    text, facts, objects = found
    return _cell((collapse(text), facts, objects, False))


TaskReader = Callable[[etree._Element, tuple[str | None, bool, str | None]], None]
"""Reads a task of a row's summary cell as an item, with the row's (owner, owner is a user, due)."""

_FIELDS = ("owner", "due", "priority", "ticket", "status")
"""The fields a row is read for besides its summary, in the order :meth:`RowReader._fields` gives them."""
_Found = tuple[Cell, etree._Element | None, bool]
_NOTHING: _Found = (EMPTY, None, False)


class RowReader:
    """Reads the data rows of one action table into items; which column holds what is worked out once."""

    def __init__(self, table: Table, columns: cells.Columns, shape: Callable[[], TableShape], names: SectionNames,
                 task_reader: TaskReader, tasks_of: Callable[[etree._Element], list[etree._Element]]) -> None:
        self.table = table
        self.columns = columns
        self.shape = shape
        self.names = names
        self.task_reader = task_reader
        self.tasks_of = tasks_of
        self.summary_column = columns.fields.get("summary")
        self.columns_of = [columns.fields.get(name) for name in _FIELDS]
        self.line = columns.get("owner") is None and columns.get("due") is None
        """No Owner or Due column: the summary cell is read as a list item ("Fix X — Ana, due ...")."""

    def _fields(self, row: Row) -> list[_Found]:
        """Per field of :data:`_FIELDS`: (reading, cell, whether the cell is the row's own) of the cell
        that starts in the field's column (fields have distinct columns: every cell is read once)."""
        if not row.merged:
            own = row.cells
            count = len(own)
            return [(read_cell(own[column]), own[column], True) if column is not None and column < count
                    else _NOTHING for column in self.columns_of]
        found = []
        for column in self.columns_of:
            slot = row.slot_at(column) if column is not None else None
            found.append((read_cell(slot.cell), slot.cell, slot.here) if slot is not None and slot.start == column
                         else _NOTHING)
        return found

    def read(self, row: Row, position: str) -> ActionItem | None:
        """The item of one data row; None for a separator, an empty row or a row of tasks (each of
        which ``task_reader`` gets instead, with the row's owner and due date as defaults)."""
        if self.table.is_separator(row):
            return None
        (owner, _, _), (due, _, _), (priority, _, _), (ticket, ticket_cell, ticket_here), \
            (status, status_cell, status_here) = self._fields(row)
        column = self.summary_column
        summary_cell = row.cell_starting_at(column) if column is not None else None
        summary = ""
        value = EMPTY
        if summary_cell is not None:
            value = read_cell(summary_cell, summary=True)
            if not value.plain:
                tasks = self.tasks_of(summary_cell)
                if tasks:
                    defaults = (cells.owner_of(owner), bool(owner.found(USER)), cells.due_of(due))
                    for task in tasks:
                        self.task_reader(task, defaults)
                    return None
                if not value.text and next(summary_cell.iter("ul", "ol"), None) is not None:
                    # Only a list ("1. Patch A 2. Patch B"): the list is the action, its entries one
                    # summary ("Patch A; Patch B"), as in a task body (which joins them without "; ",
                    # kept so: the identities of tasks already filed hang on it).
                    reading = read(summary_cell, summary=True, lists=True)
                    value = _cell(("; ".join(reading.lines.split("\n")), reading.facts, reading.objects, False))
            summary = value.text if self.line or not lines.left_out(value) else lines.tidied(value.text)
        if not summary and not any(v.text or v.objects for v in map(read_cell, row.cells)):
            return None
        spot = partial(_spot, self.shape, row, ticket_cell if ticket_here else None,
                       not (ticket.text or ticket.objects), ticket_cell is not None and not ticket_here,
                       status_cell if status_here and self.columns.status_writable else None,
                       status_cell if status_cell is not None and not status.plain else None)
        has_status = status_cell is not None
        owner_id, owner_is_user, due_date = cells.owner_of(owner), bool(owner.found(USER)), cells.due_of(due)
        done = cells.done_of(status) if has_status else None
        if self.line and summary:
            line = lines.line_action(summary, dropped=lines.left_out(value))
            users = value.found(USER)
            summary, owner_id, owner_is_user = line.summary, users[0] if users else line.owner, bool(users)
            due_date, done = cells.due_of(value, written=line.due), done if has_status else line.done
        if done is None and summary_cell is not None and not value.plain and struck_out(summary_cell, summary):
            done = True  # (no Status column or checkbox says otherwise: an action struck out is done)
        # A Jira macro or /browse/ link in the summary cell is the item's ticket when its own cell has none.
        jira_key = cells.ticket_of(ticket) or (cells.ticket_of(value, plain_text=False) if value.facts else None)
        return ActionItem(
            summary=summary, owner=owner_id, due=due_date, priority=priority.text or None, jira_key=jira_key,
            done=done, status=(status.text or None) if has_status else None, owner_is_user=owner_is_user,
            kind="row", position=position, spot_source=spot, read_with=self.names,
            due_written=(due.text or None) if due_date is None else None,
        )


def _spot(shape: Callable[[], TableShape], row: Row, ticket_cell: etree._Element | None, ticket_cell_empty: bool,
          ticket_spans_rows: bool, status_cell: etree._Element | None,
          lozenge_cell: etree._Element | None) -> TableSpot:
    """The row's :class:`TableSpot` (``lozenge_cell``: the status cell, if it may hold a status macro)."""
    return TableSpot(
        table=shape(),
        row=row.index,
        ticket_cell=row.cells.index(ticket_cell) if ticket_cell is not None else None,
        ticket_cell_empty=ticket_cell_empty,
        ticket_spans_rows=ticket_spans_rows,
        status_cell=row.cells.index(status_cell) if status_cell is not None else None,
        status_lozenge=lozenge_cell is not None and any(
            macro_name(m) == "status" for m in lozenge_cell.iter(*MACRO_TAGS)),
    )
