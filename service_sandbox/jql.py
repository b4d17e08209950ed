"""JQL text → syntax tree, for the sandbox's Jira search.

Only syntax lives here (evaluation is ``jql_eval``), so the grammar can be unit-tested and fuzzed on
its own. Every failure is a :class:`JQLError` whose message reads like Jira's own ("Error in the JQL
Query: ... (line 1, character 9)"), because wikibot surfaces those messages to people writing
filters, and the client library passes them through verbatim.

Grammar (keywords case-insensitive, ``&&``/``||``/``!`` accepted as in Jira)::

    query    := [or] [ORDER BY sort {"," sort}]
    or       := and {OR and}
    and      := not {AND not}
    not      := (NOT | "!") not | "(" or ")" | clause
    clause   := field op operand
    op       := = | != | < | <= | > | >= | ~ | !~ | IN | NOT IN | IS | IS NOT
    operand  := value | function "(" [value {"," value}] ")" | "(" operand {"," operand} ")" | EMPTY | NULL
    sort     := field [ASC | DESC]
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "Error in the JQL Query: "
MAX_DEPTH = 100  # nesting of parentheses/NOT; deeper input is rejected instead of overflowing the stack
RESERVED_WORDS = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"})
VALID_OPERATORS = ("'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'")
_SYMBOLS = ("!=", "!~", "<=", ">=", "&&", "||", "=", "<", ">", "~", "!", "(", ")", ",")
_WORD_STOP = set(" \t\r\n()\"',=!<>~&|")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t", " ": " "}


class JQLError(ValueError):
    """A query Jira would reject with 400; ``str(err)`` is the message Jira would put in errorMessages."""


# -- syntax tree ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Empty:
    """The ``EMPTY``/``NULL`` keyword."""


@dataclass(frozen=True)
class ValueList:
    items: tuple[Value | Function, ...]


Operand = Value | Function | Empty | ValueList


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # "=", "!=", "<", "<=", ">", ">=", "~", "!~", "in", "not in", "is", "is not"
    operand: Operand


@dataclass(frozen=True)
class And:
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    term: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[SortKey, ...] = ()


# -- lexer ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "symbol", "eof"
    text: str
    pos: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words

    def shown(self) -> str:
        """How an error message names this token."""
        return "the end of the query" if self.kind == "eof" else f"'{self.text}'"


def _where(source: str, pos: int) -> str:
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return f" (line {line}, character {column})"


def _fail(source: str, pos: int, message: str) -> JQLError:
    return JQLError(PREFIX + message + _where(source, pos))


def tokenize(source: str) -> list[Token]:
    """Split JQL into tokens; quoted strings are unescaped, bare words kept verbatim."""
    tokens: list[Token] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            text, end = _read_string(source, i)
            tokens.append(Token("string", text, i))
            i = end
        elif source.startswith(_SYMBOLS, i):
            symbol = next(s for s in _SYMBOLS if source.startswith(s, i))
            tokens.append(Token("symbol", symbol, i))
            i += len(symbol)
        elif ch in "&|":
            raise _fail(source, i, f"The character '{ch}' is a reserved JQL character. "
                                   "You must enclose it in a string to use it in a query.")
        else:
            start = i
            while i < len(source) and source[i] not in _WORD_STOP and not source[i].isspace():
                i += 1
            tokens.append(Token("word", source[start:i], start))
    tokens.append(Token("eof", "", len(source)))
    return tokens


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote, i = source[start], start + 1
    out: list[str] = []
    while i < len(source):
        ch = source[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\":
            escape = source[i + 1: i + 2]
            if escape in _ESCAPES:
                out.append(_ESCAPES[escape])
                i += 2
                continue
            if escape == "u" and _is_hex(source[i + 2: i + 6]):
                out.append(chr(int(source[i + 2: i + 6], 16)))
                i += 6
                continue
            raise _fail(source, i, f"The escape sequence '\\{escape}' in the quoted string is invalid.")
        out.append(ch)
        i += 1
    raise _fail(source, start, f"The quoted string {source[start:]} has not been completed.")


def _is_hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdefABCDEF" for c in text)


# -- parser --------------------------------------------------------------------------------------
def parse(source: str) -> Query:
    """Parse JQL text; raises :class:`JQLError` (and nothing else) on any malformed input."""
    if not isinstance(source, str):
        raise JQLError(PREFIX + "The query must be a string.")
    return _Parser(source).query()


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message: str, token: Token | None = None) -> JQLError:
        return _fail(self.source, (token or self.tok).pos, message)

    def expect_symbol(self, symbol: str) -> None:
        if self.tok.kind != "symbol" or self.tok.text != symbol:
            raise self.fail(f"Expecting '{symbol}' but got {self.tok.shown()}.")
        self.take()

    def query(self) -> Query:
        where = None
        if self.tok.kind != "eof" and not self._at_order_by():
            where = self.or_expr()
        order_by: tuple[SortKey, ...] = ()
        if self._at_order_by():
            self.take()
            if not self.tok.is_word("by"):
                raise self.fail(f"Expecting 'by' but got {self.tok.shown()}.")
            self.take()
            order_by = self.sort_keys()
        if self.tok.kind != "eof":
            expected = "either 'OR' or 'AND'" if not order_by else "',' or the end of the query"
            raise self.fail(f"Expecting {expected} but got {self.tok.shown()}.")
        return Query(where, order_by)

    def _at_order_by(self) -> bool:
        return self.tok.is_word("order")

    def or_expr(self) -> Node:
        terms = [self.and_expr()]
        while self.tok.is_word("or") or (self.tok.kind == "symbol" and self.tok.text == "||"):
            self.take()
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def and_expr(self) -> Node:
        terms = [self.not_expr()]
        while self.tok.is_word("and") or (self.tok.kind == "symbol" and self.tok.text == "&&"):
            self.take()
            terms.append(self.not_expr())
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def not_expr(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.fail(f"The query is nested more than {MAX_DEPTH} levels deep.")
            return self._not_expr()
        finally:
            self.depth -= 1

    def _not_expr(self) -> Node:
        if self.tok.is_word("not") or (self.tok.kind == "symbol" and self.tok.text == "!"):
            self.take()
            return Not(self.not_expr())
        if self.tok.kind == "symbol" and self.tok.text == "(":
            self.take()
            inner = self.or_expr()
            self.expect_symbol(")")
            return inner
        return self.clause()

    def field(self) -> str:
        token = self.tok
        if token.kind == "string" or (token.kind == "word" and token.text.lower() not in RESERVED_WORDS):
            self.take()
            return token.text
        if token.kind == "word":
            raise self.fail(f"'{token.text}' is a reserved JQL word. You must surround it in quotation "
                            "marks to use it in a query.")
        raise self.fail(f"Expecting a field name but got {token.shown()}.")

    def clause(self) -> Clause:
        field = self.field()
        op = self.operator()
        if op in ("is", "is not"):
            if not self.tok.is_word("empty", "null"):
                raise self.fail(f"Expecting 'EMPTY' or 'NULL' but got {self.tok.shown()}.")
            self.take()
            return Clause(field, op, Empty())
        if op in ("in", "not in"):
            if not (self.tok.kind == "symbol" and self.tok.text == "("):
                raise self.fail(f"Expecting '(' to start a list of values but got {self.tok.shown()}.")
            return Clause(field, op, self.value_list())
        return Clause(field, op, self.operand())

    def operator(self) -> str:
        token = self.tok
        if token.kind == "symbol" and token.text in ("=", "!=", "<", "<=", ">", ">=", "~", "!~"):
            self.take()
            return token.text
        if token.is_word("in"):
            self.take()
            return "in"
        if token.is_word("is"):
            self.take()
            if self.tok.is_word("not"):
                self.take()
                return "is not"
            return "is"
        if token.is_word("not") and self.tokens[self.i + 1].is_word("in"):
            self.i += 2
            return "not in"
        raise self.fail(f"Expecting operator but got {token.shown()}. The valid operators are "
                        f"{VALID_OPERATORS}.")

    def operand(self) -> Operand:
        if self.tok.is_word("empty", "null"):
            self.take()
            return Empty()
        if self.tok.kind == "symbol" and self.tok.text == "(":
            return self.value_list()
        return self.single_value()

    def single_value(self) -> Value | Function:
        token = self.tok
        if token.kind == "string":
            self.take()
            return Value(token.text, quoted=True)
        if token.kind == "word":
            if token.text.lower() in RESERVED_WORDS:
                raise self.fail(f"'{token.text}' is a reserved JQL word. You must surround it in "
                                "quotation marks to use it in a query.")
            self.take()
            if self.tok.kind == "symbol" and self.tok.text == "(":
                return Function(token.text, self.function_args())
            return Value(token.text)
        raise self.fail(f"Expecting either a value, list or function but got {token.shown()}.")

    def function_args(self) -> tuple[str, ...]:
        self.expect_symbol("(")
        args: list[str] = []
        if self.tok.kind == "symbol" and self.tok.text == ")":
            self.take()
            return ()
        while True:
            if self.tok.kind not in ("word", "string"):
                raise self.fail(f"Expecting a function argument but got {self.tok.shown()}.")
            args.append(self.take().text)
            if self.tok.kind == "symbol" and self.tok.text == ",":
                self.take()
                continue
            self.expect_symbol(")")
            return tuple(args)

    def value_list(self) -> ValueList:
        self.expect_symbol("(")
        items = [self.single_value()]
        while self.tok.kind == "symbol" and self.tok.text == ",":
            self.take()
            items.append(self.single_value())
        self.expect_symbol(")")
        return ValueList(tuple(items))

    def sort_keys(self) -> tuple[SortKey, ...]:
        keys = []
        while True:
            field = self.field()
            descending = False
            if self.tok.is_word("asc", "desc"):
                descending = self.take().text.lower() == "desc"
            keys.append(SortKey(field, descending))
            if not (self.tok.kind == "symbol" and self.tok.text == ","):
                return tuple(keys)
            self.take()
