"""The subset of Confluence Query Language the sandbox understands: text → typed AST.

Values are checked while parsing (ids are numbers, dates are dates, each field gets only the
operators Confluence allows for it), so a query that parses can always be run; running it is
:mod:`service_sandbox.cql_sql`'s job.

Every way a query can be wrong — syntax, an unsupported field or operator, a bad date, a runaway
nesting depth — is one :class:`CQLError` carrying the 0-based character position, so the HTTP layer
can answer Confluence's 400 and no other exception escapes :func:`parse`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["And", "CQLError", "Clause", "DateRange", "Not", "Or", "Query", "RelativeDate", "Sort", "parse"]

MAX_DEPTH = 64
_MAX_OFFSET_DAYS = 36_600
_ID_DIGITS = 18  # SQLite integers are 64-bit

_KEYWORDS = frozenset({"and", "or", "not", "in", "order", "by", "asc", "desc"})
_OPERATORS = ("!=", "!~", ">=", "<=", "=", "~", ">", "<")
_WORD_STOP = set(" \t\r\n\f\v()," + "=!~<>\"'")

# field -> operators it accepts; aliases map to the canonical name.
_EQUALITY = frozenset({"=", "!=", "in", "not in"})
_FIELDS: dict[str, frozenset[str]] = {
    "type": _EQUALITY, "space": _EQUALITY, "label": _EQUALITY, "id": _EQUALITY,
    "parent": _EQUALITY, "ancestor": _EQUALITY,
    "title": _EQUALITY | {"~", "!~"},
    "created": frozenset({"=", "!=", ">", ">=", "<", "<="}),
    "lastmodified": frozenset({"=", "!=", ">", ">=", "<", "<="}),
}
_ALIASES = {"space.key": "space", "content": "id", "content.id": "id"}
_NUMERIC = frozenset({"id", "parent", "ancestor"})
DATE_FIELDS = frozenset({"created", "lastmodified"})
SORTABLE = frozenset({"lastmodified", "created", "title"})

_DATE_FORMATS = (("%Y-%m-%d", timedelta(days=1)), ("%Y/%m/%d", timedelta(days=1)),
                 ("%Y-%m-%d %H:%M", timedelta(minutes=1)), ("%Y/%m/%d %H:%M", timedelta(minutes=1)))
_OFFSET = re.compile(r"([+-]?)([0-9]{1,6})([yMwdhm])")
_UNIT_DAYS = {"y": 366, "M": 31, "w": 7, "d": 1, "h": 1 / 24, "m": 1 / 1440}
_PERIODS = {"day": "d", "week": "w", "month": "M", "year": "y"}
_DATE_FUNCTIONS = {"now": ("now", "")} | {
    f"{anchor}of{period}": (anchor, unit) for anchor in ("start", "end") for period, unit in _PERIODS.items()}


class CQLError(ValueError):
    """A query the sandbox cannot run; ``position`` is the 0-based offset of the culprit."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


# -- AST ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DateRange:
    """A literal date: the half-open interval it names (a whole day, or a whole minute)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class RelativeDate:
    """``now("-3d")``, ``startOfDay()``, ``endOfMonth("+1M")`` …: kept symbolic because "now" is
    the sandbox clock at the time the query runs (see ``cql_sql.resolve_date``)."""

    anchor: str  # "now" | "start" | "end"
    period: str  # unit letter of the period ("d", "w", "M", "y"); "" for now()
    offset: tuple[int, str]  # (signed amount, unit letter)


Value = str | int | DateRange | RelativeDate


@dataclass(frozen=True)
class Clause:
    field: str  # canonical lower-case name
    op: str  # "=", "!=", "~", "!~", ">", ">=", "<", "<=", "in", "not in"
    values: tuple[Value, ...]
    position: int


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    where: Node
    order: tuple[Sort, ...] = ()


# -- tokenizer ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # word | string | op | ( | ) | , | eof
    text: str
    pos: int

    def keyword(self) -> str | None:
        return self.text.lower() if self.kind == "word" and self.text.lower() in _KEYWORDS else None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            tokens.append(_Token(ch, ch, i))
            i += 1
        elif ch in "\"'":
            value, end = _read_string(text, i)
            tokens.append(_Token("string", value, i))
            i = end
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            tokens.append(_Token("op", op, i))
            i += len(op)
        elif ch in _WORD_STOP:
            raise CQLError(f"unexpected character {ch!r}", i)
        else:
            start = i
            while i < n and text[i] not in _WORD_STOP and not text[i].isspace():
                i += 1
            tokens.append(_Token("word", text[start:i], start))
    tokens.append(_Token("eof", "", n))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """A quoted string with backslash escapes (``\\"``, ``\\'``, ``\\\\``); returns (value, end)."""
    quote, out, i = text[start], [], start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif ch == quote:
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise CQLError("unterminated string", start)


# -- parser -------------------------------------------------------------------------------------
def parse(text: str) -> Query:
    """Parse a CQL query; raises :class:`CQLError` (and nothing else) when it cannot be run."""
    return _Parser(_tokenize(text)).query()


class _Parser:
    """Recursive descent. Precedence, loosest first: OR, AND, NOT, parentheses/clauses."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        tok = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return tok

    def expect(self, kind: str, what: str) -> _Token:
        if self.tok.kind != kind:
            raise CQLError(f"expected {what}, found {self._describe()}", self.tok.pos)
        return self.advance()

    def _describe(self) -> str:
        return "end of query" if self.tok.kind == "eof" else repr(self.tok.text)

    def query(self) -> Query:
        where = self.or_expr()
        order: list[Sort] = []
        if self.tok.keyword() == "order":
            self.advance()
            if self.tok.keyword() != "by":
                raise CQLError(f"expected 'by' after 'order', found {self._describe()}", self.tok.pos)
            self.advance()
            order.append(self.sort())
            while self.tok.kind == ",":
                self.advance()
                order.append(self.sort())
        if self.tok.kind != "eof":
            raise CQLError(f"expected 'and', 'or', 'order by' or end of query, found {self._describe()}",
                           self.tok.pos)
        return Query(where, tuple(order))

    def sort(self) -> Sort:
        tok = self.expect("word", "a field to order by")
        name = tok.text.lower()
        if name not in SORTABLE:
            raise CQLError(f"cannot order by {tok.text!r} (use one of {', '.join(sorted(SORTABLE))})", tok.pos)
        descending = False
        if self.tok.keyword() in ("asc", "desc"):
            descending = self.advance().text.lower() == "desc"
        return Sort(name, descending)

    def nested(self, parse_inner: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CQLError("query nested too deeply", self.tok.pos)
        try:
            return parse_inner()
        finally:
            self.depth -= 1

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.tok.keyword() == "or":
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.tok.keyword() == "and":
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        if self.tok.keyword() == "not":
            self.advance()
            return Not(self.nested(self.not_expr))
        if self.tok.kind == "(":
            self.advance()
            inner = self.nested(self.or_expr)
            self.expect(")", "')'")
            return inner
        return self.clause()

    def clause(self) -> Clause:
        tok = self.tok
        if tok.kind != "word" or tok.keyword():
            raise CQLError(f"expected a field name, found {self._describe()}", tok.pos)
        self.advance()
        field = _ALIASES.get(tok.text.lower(), tok.text.lower())
        if field not in _FIELDS:
            raise CQLError(f"unsupported field {tok.text!r} (the sandbox knows {', '.join(sorted(_FIELDS))})",
                           tok.pos)
        op_pos = self.tok.pos
        if self.tok.keyword() == "not":
            self.advance()
            if self.tok.keyword() != "in":
                raise CQLError(f"expected 'in' after 'not', found {self._describe()}", self.tok.pos)
            op = "not in"
        elif self.tok.keyword() == "in":
            op = "in"
        elif self.tok.kind == "op":
            op = self.tok.text
        else:
            raise CQLError(f"expected an operator after {tok.text!r}, found {self._describe()}", self.tok.pos)
        self.advance()
        if op not in _FIELDS[field]:
            raise CQLError(f"operator {op!r} is not supported for field {tok.text!r}", op_pos)
        if op.endswith("in"):
            self.expect("(", "'(' after 'in'")
            values = [self.value(field)]
            while self.tok.kind == ",":
                self.advance()
                values.append(self.value(field))
            self.expect(")", "')' or ','")
        else:
            values = [self.value(field)]
        return Clause(field, op, tuple(values), tok.pos)

    def value(self, field: str) -> Value:
        tok = self.tok
        if tok.kind == "string" or (tok.kind == "word" and not tok.keyword()):
            self.advance()
        else:
            raise CQLError(f"expected a value, found {self._describe()}", tok.pos)
        if tok.kind == "word" and self.tok.kind == "(":
            return self.function(tok, field)
        if field in _NUMERIC:
            if not tok.text.isascii() or not tok.text.isdigit() or len(tok.text) > _ID_DIGITS:
                raise CQLError(f"{field} must be a content id, not {tok.text!r}", tok.pos)
            return int(tok.text)
        if field in DATE_FIELDS:
            return _date_literal(tok)
        return tok.text

    def function(self, name: _Token, field: str) -> RelativeDate:
        self.advance()  # "("
        args: list[_Token] = []
        if self.tok.kind != ")":
            args.append(self.expect_value_token())
            while self.tok.kind == ",":
                self.advance()
                args.append(self.expect_value_token())
        self.expect(")", "')' to close the function call")
        fname = name.text.lower()
        if field not in DATE_FIELDS or fname not in _DATE_FUNCTIONS:
            raise CQLError(f"function {name.text}() is not supported for field {field!r}", name.pos)
        if len(args) > 1:
            raise CQLError(f"{name.text}() takes at most one argument", args[1].pos)
        anchor, period = _DATE_FUNCTIONS[fname]
        return RelativeDate(anchor, period, _offset(args[0]) if args else (0, "d"))

    def expect_value_token(self) -> _Token:
        if self.tok.kind in ("string", "word"):
            return self.advance()
        raise CQLError(f"expected a function argument, found {self._describe()}", self.tok.pos)


def _date_literal(tok: _Token) -> DateRange:
    for fmt, length in _DATE_FORMATS:
        try:
            start = datetime.strptime(tok.text.strip(), fmt).replace(tzinfo=UTC)
            return DateRange(start, start + length)
        except ValueError:
            continue
        except OverflowError:
            break
    raise CQLError(f"invalid date {tok.text!r} (use \"yyyy-mm-dd\" or \"yyyy-mm-dd hh:mm\")", tok.pos)


def _offset(tok: _Token) -> tuple[int, str]:
    text = tok.text.replace(" ", "")
    if not text:
        return 0, "d"
    match = _OFFSET.fullmatch(text)
    if match is None:
        raise CQLError(f"invalid date offset {tok.text!r} (like \"-3d\", \"+1w\", \"-2h\")", tok.pos)
    amount = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
    if abs(amount) * _UNIT_DAYS[match.group(3)] > _MAX_OFFSET_DAYS:
        raise CQLError(f"date offset {tok.text!r} is too large", tok.pos)
    return amount, match.group(3)
