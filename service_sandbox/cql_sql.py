"""Compile a parsed CQL :class:`~service_sandbox.cql.Query` into SQL over the sandbox's content rows.

Why SQL: search must stay fast over thousands of pages with large bodies, and every supported field
is metadata. The ``WHERE`` targets ``cf_content`` (alias ``c``) and the label tables defined in
:mod:`service_sandbox.confluence_store`; bodies are loaded afterwards, only for the returned slice.
Timestamps are stored as zero-padded ISO strings, so string comparison is chronological.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime, timedelta

from service_sandbox.cql import DATE_FIELDS, And, Clause, DateRange, Node, Not, Or, Query, RelativeDate, Value
from service_sandbox.store import iso

__all__ = ["compile_sql", "resolve_date"]

_MS = timedelta(milliseconds=1)
_SORT_COLUMNS = {"lastmodified": "c.modified", "created": "c.created", "title": "c.title_lower"}

# -- compilation --------------------------------------------------------------------------------
_LABELLED = ("c.id IN (SELECT cl.content_id FROM cf_content_labels cl "
             "JOIN cf_labels l ON l.id = cl.label_id WHERE l.name IN ({}))")
_DESCENDANTS = ("c.id IN (WITH RECURSIVE sub(id) AS ("
                "SELECT id FROM cf_content WHERE parent_id IN ({}) "
                "UNION SELECT x.id FROM cf_content x JOIN sub ON x.parent_id = sub.id) SELECT id FROM sub)")


def compile_sql(query: Query, now: datetime) -> tuple[str, list[object], str]:
    """``(where, params, order_by)`` for ``SELECT … FROM cf_content c``; ``now`` resolves now() etc."""
    params: list[object] = []
    where = _node_sql(query.where, now, params)
    order = [f"{_SORT_COLUMNS[s.field]} {'DESC' if s.descending else 'ASC'}" for s in query.order]
    return where, params, ", ".join([*order, "c.id ASC"])


def _node_sql(node: Node, now: datetime, params: list[object]) -> str:
    if isinstance(node, And | Or):
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(_node_sql(item, now, params) for item in node.items) + ")"
    if isinstance(node, Not):
        return f"NOT {_node_sql(node.item, now, params)}"
    return _clause_sql(node, now, params)


def _clause_sql(clause: Clause, now: datetime, params: list[object]) -> str:
    field, op, values = clause.field, clause.op, clause.values
    if field in DATE_FIELDS:
        return _date_sql("c.created" if field == "created" else "c.modified", op, values[0], now, params)
    negate = op in ("!=", "!~", "not in")
    if op in ("~", "!~"):
        params.append("%" + _like_escape(str(values[0]).lower()) + "%")
        sql = "c.title_lower LIKE ? ESCAPE '\\'"
    else:
        marks = ", ".join("?" * len(values))
        params.extend(_normalise(field, v) for v in values)
        sql = {
            "type": f"c.type IN ({marks})",
            "space": f"c.space_key IN ({marks})",
            "title": f"c.title_lower IN ({marks})",
            "id": f"c.id IN ({marks})",
            "parent": f"IFNULL(c.parent_id, 0) IN ({marks})",
            "label": _LABELLED.format(marks),
            "ancestor": _DESCENDANTS.format(marks),
        }[field]
    return f"NOT ({sql})" if negate else f"({sql})"


def _normalise(field: str, value: Value) -> Value:
    if field == "space":
        return str(value).upper()
    if field in ("type", "title", "label"):
        return str(value).lower()
    return value


def _like_escape(text: str) -> str:
    """Literal ``%``/``_`` are escaped; CQL's wildcards ``*`` and ``?`` become LIKE's."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%").replace("?", "_")


def _date_sql(column: str, op: str, value: Value, now: datetime, params: list[object]) -> str:
    """Dates name intervals: ``= "2024-07-01"`` is that whole day, ``> "2024-07-01"`` is after it."""
    span = resolve_date(value, now) if isinstance(value, RelativeDate) else value
    assert isinstance(span, DateRange)
    start, end = iso(span.start), iso(span.end)
    if op in ("=", "!="):
        params.extend([start, end])
        sql = f"({column} >= ? AND {column} < ?)"
        return f"NOT {sql}" if op == "!=" else sql
    bound, comparison = {">": (end, ">="), ">=": (start, ">="), "<": (start, "<"), "<=": (end, "<")}[op]
    params.append(bound)
    return f"({column} {comparison} ?)"


def resolve_date(value: RelativeDate, now: datetime) -> DateRange:
    """The moment a date function names, as a 1 ms interval so ``=`` and ``<=`` stay meaningful.

    Like JQL's functions: the offset moves the anchor (now, or the start of the current day, week,
    month or year) and ``endOf…`` is the last millisecond of the shifted period. Weeks start on
    Monday and every date is UTC, the sandbox's only time zone.
    """
    moment = now
    if value.anchor != "now":
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if value.period == "w":
            moment -= timedelta(days=moment.weekday())
        elif value.period == "M":
            moment = moment.replace(day=1)
        elif value.period == "y":
            moment = moment.replace(month=1, day=1)
    moment = _shift(moment, *value.offset)
    if value.anchor == "end":
        moment = _shift(moment, 1, value.period) - _MS
    return DateRange(moment, moment + _MS)


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("y", "M"):
        months = moment.month - 1 + amount * (12 if unit == "y" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))
    scale = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
    return moment + scale[unit] * amount
