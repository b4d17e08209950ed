"""Evaluate a parsed JQL :class:`~service_sandbox.jql.Query` against issue records in Python.

Why Python and not SQL: the sandbox holds at most a few thousand issues, and loading them as
:class:`IssueRecord` tuples and filtering with compiled closures takes a few milliseconds for
~5,000 issues, while keeping Jira's semantics (multi-valued labels, ``!=`` skipping empty fields,
date functions, nulls sorting last) in one readable place instead of spread over generated SQL.

Semantics follow Jira Cloud, with these documented simplifications:
- ``!=`` and ``NOT IN`` never match an empty field (Jira's rule); ``NOT clause`` is plain negation.
- Label matching ignores case, as Jira's folded label index does.
- ``~`` matches whole words, case-insensitively, every term required; ``term*`` is a prefix match and
  a value wrapped in double quotes is a phrase. No stemming or stop words.
- Dates and times are UTC; date-only fields compare as midnight of that day.
- Without ORDER BY, results come newest key first; ties are broken by issue id in the direction of
  the last sort key, so paging is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from service_sandbox.jql import And, Clause, Empty, Function, JQLError, Node, Not, Or, Query, Value, ValueList

Predicate = Callable[["IssueRecord"], bool]
_WORD = re.compile(r"\w+")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-[0-9]+$")
_PERIOD = re.compile(r"^\s*(?:[+-]?\d+[wdhm]\s*)+$")
_PERIOD_PART = re.compile(r"([+-]?)(\d+)([wdhm])")
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}


@dataclass(frozen=True)
class IssueRecord:
    """One issue as the evaluator sees it: reference fields hold canonical names, users account ids."""

    id: int
    key: str
    summary: str = ""
    project: str = ""
    description: str | None = None
    status: str = "To Do"
    status_category: str = "new"
    priority: str | None = None
    issuetype: str = "Task"
    assignee: str | None = None
    reporter: str | None = None
    duedate: date | None = None
    created: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    updated: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    resolution: str | None = None
    resolutiondate: datetime | None = None
    labels: frozenset[str] = frozenset()

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass(frozen=True)
class SearchContext:
    """What a query is evaluated against besides the issues: the clock, the caller, valid values.

    ``vocabulary`` maps a choice field (project, status, statuscategory, priority, issuetype,
    resolution, user) to ``{lower-cased alias: canonical value}``; a value outside it is an error,
    as in Jira. ``ranks`` orders choice values for ORDER BY (e.g. priority Highest before Lowest).
    """

    now: datetime
    current_user: str | None = None
    vocabulary: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    ranks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    user_names: Mapping[str, str] = field(default_factory=dict)


# field name (lower case) → (kind, record attribute, vocabulary name)
_FIELDS: dict[str, tuple[str, str, str]] = {
    "project": ("choice", "project", "project"),
    "status": ("choice", "status", "status"),
    "statuscategory": ("choice", "status_category", "statuscategory"),
    "priority": ("choice", "priority", "priority"),
    "issuetype": ("choice", "issuetype", "issuetype"),
    "type": ("choice", "issuetype", "issuetype"),
    "resolution": ("choice", "resolution", "resolution"),
    "assignee": ("choice", "assignee", "user"),
    "reporter": ("choice", "reporter", "user"),
    "labels": ("labels", "labels", ""),
    "key": ("key", "key", ""),
    "issuekey": ("key", "key", ""),
    "id": ("key", "key", ""),
    "summary": ("text", "summary", ""),
    "description": ("text", "description", ""),
    "text": ("text", "text", ""),
    "duedate": ("date", "duedate", ""),
    "due": ("date", "duedate", ""),
    "created": ("date", "created", ""),
    "createddate": ("date", "created", ""),
    "updated": ("date", "updated", ""),
    "updateddate": ("date", "updated", ""),
    "resolutiondate": ("date", "resolutiondate", ""),
    "resolved": ("date", "resolutiondate", ""),
}
_OPERATORS = {
    "choice": {"=", "!=", "in", "not in", "is", "is not"},
    "labels": {"=", "!=", "in", "not in", "is", "is not"},
    "key": {"=", "!=", "in", "not in"},
    "text": {"~", "!~", "is", "is not"},
    "date": {"=", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"},
}


def search(query: Query, records: Iterable[IssueRecord], ctx: SearchContext) -> list[IssueRecord]:
    """The records matching ``query``, in its order. Raises :class:`JQLError` for invalid fields/values."""
    records = list(records)
    predicate = _Compiler(ctx, records).node(query.where) if query.where is not None else None
    matched = [r for r in records if predicate(r)] if predicate else records
    return sort_records(matched, query, ctx)


def sort_records(records: list[IssueRecord], query: Query, ctx: SearchContext) -> list[IssueRecord]:
    """Apply ORDER BY with Jira's null handling (empty values sort as greatest)."""
    keys = [(_sort_value(k.field, ctx), k.descending) for k in query.order_by] or [(_key_order, True)]
    ordered = sorted(records, key=lambda r: r.id, reverse=keys[-1][1])
    for value, descending in reversed(keys):
        ordered.sort(key=value, reverse=descending)
    return ordered


def _sort_value(name: str, ctx: SearchContext) -> Callable[[IssueRecord], tuple]:
    spec = _FIELDS.get(name.lower())
    if spec is None:
        raise JQLError(f"Field '{name}' does not exist or you do not have permission to view it.")
    kind, attr, vocabulary = spec
    if kind == "key":
        return _key_order
    if kind == "labels" or attr == "text":
        raise JQLError(f"Field '{name}' does not support sorting.")
    if vocabulary == "user":
        return lambda r: _nullable(ctx.user_names.get(getattr(r, attr), getattr(r, attr)), str.casefold)
    if vocabulary in ctx.ranks:
        rank = ctx.ranks[vocabulary]
        return lambda r: _nullable(getattr(r, attr), lambda v: rank.get(v, len(rank)))
    if kind == "date":
        return lambda r: _nullable(getattr(r, attr), _as_datetime)
    return lambda r: _nullable(getattr(r, attr), lambda v: str(v).casefold())


def _key_order(record: IssueRecord) -> tuple:
    """Keys sort by project, then number (OPS-9 before OPS-10), as in Jira."""
    return (0, record.project, record.number)


def _nullable(value: object, convert: Callable) -> tuple:
    return (1,) if value is None else (0, convert(value))


class _Compiler:
    """Turns a syntax tree into one closure, validating field names, operators and values first."""

    def __init__(self, ctx: SearchContext, records: list[IssueRecord]) -> None:
        self.ctx = ctx
        self.records = records
        self._keys: dict[str, IssueRecord] | None = None

    def node(self, node: Node) -> Predicate:
        if isinstance(node, And):
            parts = [self.node(t) for t in node.terms]
            return lambda r: all(p(r) for p in parts)
        if isinstance(node, Or):
            parts = [self.node(t) for t in node.terms]
            return lambda r: any(p(r) for p in parts)
        if isinstance(node, Not):
            inner = self.node(node.term)
            return lambda r: not inner(r)
        return self.clause(node)

    def clause(self, clause: Clause) -> Predicate:
        name = clause.field
        spec = _FIELDS.get(name.lower())
        if spec is None:
            raise JQLError(f"Field '{name}' does not exist or you do not have permission to view it.")
        kind, attr, vocabulary = spec
        if clause.op not in _OPERATORS[kind]:
            raise JQLError(f"The operator '{clause.op.upper()}' is not supported by the '{name}' field.")
        if isinstance(clause.operand, Empty):
            if clause.op not in ("=", "is", "!=", "is not"):
                raise JQLError(f"The operator '{clause.op.upper()}' does not support searching for EMPTY.")
            empty = _is_empty(attr)
            return empty if clause.op in ("=", "is") else (lambda r: not empty(r))
        if isinstance(clause.operand, ValueList) != (clause.op in ("in", "not in")):
            raise JQLError(f"The operator '{clause.op.upper()}' does not support the value given for "
                           f"field '{name}'.")
        items = clause.operand.items if isinstance(clause.operand, ValueList) else (clause.operand,)
        compile_kind = getattr(self, f"_{kind}")
        return compile_kind(name, attr, vocabulary, clause.op, items)

    # -- per kind ----------------------------------------------------------------------------
    def _choice(self, name: str, attr: str, vocabulary: str, op: str, items: tuple) -> Predicate:
        wanted = {self._canonical(name, vocabulary, item) for item in items}
        if op in ("=", "in"):
            return lambda r: getattr(r, attr) in wanted
        return lambda r: getattr(r, attr) is not None and getattr(r, attr) not in wanted

    def _canonical(self, name: str, vocabulary: str, item: Value | Function) -> str | None:
        if isinstance(item, Function):
            if item.name.lower() == "currentuser" and vocabulary == "user" and not item.args:
                return self.ctx.current_user
            raise _function_error(item)
        aliases = self.ctx.vocabulary.get(vocabulary, {})
        if item.text.lower() not in aliases:
            raise JQLError(f"The value '{item.text}' does not exist for the field '{name}'.")
        return aliases[item.text.lower()]

    def _labels(self, name: str, attr: str, vocabulary: str, op: str, items: tuple) -> Predicate:
        wanted = {self._plain(item).casefold() for item in items}
        folded = lambda r: {label.casefold() for label in r.labels}  # noqa: E731
        if op in ("=", "in"):
            return lambda r: not wanted.isdisjoint(folded(r))
        return lambda r: bool(r.labels) and wanted.isdisjoint(folded(r))

    def _key(self, name: str, attr: str, vocabulary: str, op: str, items: tuple) -> Predicate:
        wanted = {self._issue_id(name, self._plain(item)) for item in items}
        if op in ("=", "in"):
            return lambda r: r.id in wanted
        return lambda r: r.id not in wanted

    def _issue_id(self, name: str, text: str) -> int | None:
        if text.isdigit():
            return int(text)
        if not _KEY.match(text):
            raise JQLError(f"The issue key '{text}' for field '{name}' is invalid.")
        if self._keys is None:
            self._keys = {r.key.upper(): r for r in self.records}
        record = self._keys.get(text.upper())
        if record is None:
            raise JQLError(f"An issue with key '{text}' does not exist for field '{name}'.")
        return record.id

    def _text(self, name: str, attr: str, vocabulary: str, op: str, items: tuple) -> Predicate:
        text = self._plain(items[0]).strip()
        if not _WORD.search(text):
            raise JQLError(f"The field '{name}' does not support searching for an empty string.")
        matcher = _text_matcher(text)
        if attr == "text":
            return lambda r: matcher(_words(f"{r.summary} {r.description or ''}")) == (op == "~")
        return lambda r: matcher(_words(getattr(r, attr))) == (op == "~")

    def _date(self, name: str, attr: str, vocabulary: str, op: str, items: tuple) -> Predicate:
        bounds = [self._moment(name, item) for item in items]
        value = lambda r: _as_datetime(getattr(r, attr))  # noqa: E731
        compare: Callable[[datetime], bool] = {
            "=": lambda v: v == bounds[0], "!=": lambda v: v != bounds[0],
            "<": lambda v: v < bounds[0], "<=": lambda v: v <= bounds[0],
            ">": lambda v: v > bounds[0], ">=": lambda v: v >= bounds[0],
            "in": lambda v: v in bounds, "not in": lambda v: v not in bounds,
        }[op]
        return lambda r: getattr(r, attr) is not None and compare(value(r))

    def _moment(self, name: str, item: Value | Function) -> datetime:
        now = self.ctx.now.astimezone(UTC)
        if isinstance(item, Function):
            return _date_function(item, now)
        text = item.text.strip()
        if _PERIOD.match(text):
            return now + _period(text)
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        raise JQLError(f"Date value '{item.text}' for field '{name}' is invalid. Valid formats include: "
                       "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
                       "format e.g. '-5d', '4w 2d'.")

    @staticmethod
    def _plain(item: Value | Function) -> str:
        if isinstance(item, Function):
            raise _function_error(item)
        return item.text


# -- helpers -------------------------------------------------------------------------------------
def _is_empty(attr: str) -> Predicate:
    if attr == "text":
        return lambda r: not r.summary and not r.description
    return lambda r: not getattr(r, attr)


def _words(text: str | None) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


def _text_matcher(text: str) -> Callable[[list[str]], bool]:
    """All terms must occur as words (``term*``: as a word prefix); ``"a b"`` must occur as a phrase."""
    if len(text) > 1 and text.startswith('"') and text.endswith('"'):
        terms = [(_words(text), False)]
    else:
        terms = [(_words(t.rstrip("*")), t.endswith("*")) for t in text.split() if _WORD.search(t)]
    return lambda words: all(_contains(words, phrase, prefix) for phrase, prefix in terms)


def _contains(words: list[str], phrase: list[str], prefix: bool) -> bool:
    size = len(phrase)
    for i in range(len(words) - size + 1):
        window = words[i:i + size]
        last_ok = window[-1].startswith(phrase[-1]) if prefix else window[-1] == phrase[-1]
        if last_ok and window[:-1] == phrase[:-1]:
            return True
    return False


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=UTC)


def _period(text: str) -> timedelta:
    """``-1d``, ``4w 2d``, ``+3h``: Jira's relative periods (a leading sign applies to the whole)."""
    total = timedelta()
    sign = -1 if text.strip().startswith("-") else 1
    for explicit, amount, unit in _PERIOD_PART.findall(text):
        part_sign = -1 if explicit == "-" else (1 if explicit == "+" else sign)
        total += part_sign * int(amount) * _UNITS[unit]
    return total


def _date_function(item: Function, now: datetime) -> datetime:
    name = item.name.lower()
    if len(item.args) > 1 or name not in ("now", "startofday", "endofday"):
        raise _function_error(item)
    offset = timedelta()
    if item.args:
        arg = item.args[0].strip()
        arg = arg + "d" if arg.lstrip("+-").isdigit() else arg
        if name == "now" or not _PERIOD.match(arg):
            raise JQLError(f"Function '{item.name}' cannot take '{item.args[0]}' as an argument.")
        offset = _period(arg)
    if name == "now":
        return now
    start = datetime.combine((now + offset).date(), time(), tzinfo=UTC)
    return start if name == "startofday" else start + timedelta(days=1) - timedelta(milliseconds=1)


def _function_error(item: Function) -> JQLError:
    return JQLError(f"Unable to find JQL function '{item.name}({', '.join(item.args)})'.")
