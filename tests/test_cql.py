"""The sandbox's CQL: parsing (precedence, quoting, errors with positions) and compiling to runnable SQL."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_sandbox.confluence_store import SCHEMA
from service_sandbox.cql import And, Clause, CQLError, DateRange, Not, Or, RelativeDate, Sort, parse
from service_sandbox.cql_sql import compile_sql, resolve_date

WEDNESDAY = datetime(2024, 7, 10, 15, 30, tzinfo=UTC)


def clause(field: str, op: str, *values: object) -> Clause:
    """A clause as the parser builds it, ignoring its position."""
    return Clause(field, op, tuple(values), position=-1)


def shape(node: object) -> object:
    """The AST with positions dropped, so tests compare structure."""
    if isinstance(node, Clause):
        return clause(node.field, node.op, *node.values)
    if isinstance(node, And | Or):
        return type(node)(tuple(shape(item) for item in node.items))
    if isinstance(node, Not):
        return Not(shape(node.item))
    return node


def where(text: str) -> object:
    return shape(parse(text).where)


# -- structure ----------------------------------------------------------------------------------
def test_and_binds_tighter_than_or() -> None:
    assert where("type = page or space = INC and label = x") == Or((
        clause("type", "=", "page"), And((clause("space", "=", "INC"), clause("label", "=", "x")))))


def test_not_binds_tighter_than_and() -> None:
    assert where("not type = page and space = INC") == And((
        Not(clause("type", "=", "page")), clause("space", "=", "INC")))


def test_parentheses_override_precedence() -> None:
    assert where("(type = page or type = comment) and space = INC") == And((
        Or((clause("type", "=", "page"), clause("type", "=", "comment"))), clause("space", "=", "INC")))


def test_chains_of_the_same_operator_are_flat() -> None:
    assert where("id = 1 and id = 2 and id = 3") == And((clause("id", "=", 1), clause("id", "=", 2),
                                                         clause("id", "=", 3)))


def test_keywords_and_field_names_are_case_insensitive() -> None:
    query = parse("TYPE = page AND Space.Key = INC ORDER BY LastModified DESC, title")
    assert shape(query.where) == And((clause("type", "=", "page"), clause("space", "=", "INC")))
    assert query.order == (Sort("lastmodified", True), Sort("title", False))


def test_in_and_not_in_take_lists() -> None:
    assert where("label in (a, 'b c', \"d\") and space not in (X)") == And((
        clause("label", "in", "a", "b c", "d"), clause("space", "not in", "X")))


def test_content_is_an_alias_of_id_and_ids_are_numbers() -> None:
    assert where("content = 42 or ancestor != 7") == Or((clause("id", "=", 42), clause("ancestor", "!=", 7)))


def test_title_takes_contains_operators() -> None:
    assert where('title ~ "post mortem" and title !~ draft') == And((
        clause("title", "~", "post mortem"), clause("title", "!~", "draft")))


@pytest.mark.parametrize("text, value", [
    (r'title = "say \"hi\""', 'say "hi"'),
    (r"title = 'it\'s'", "it's"),
    (r'title = "back\\slash"', "back\\slash"),
    ("title = 'double \" inside single'", 'double " inside single'),
    ('title = "and"', "and"),
])
def test_quoted_values_unescape_backslashes(text: str, value: str) -> None:
    assert where(text) == clause("title", "=", value)


def test_dates_name_whole_days_or_minutes() -> None:
    assert where('created >= "2024-07-01"') == clause(
        "created", ">=", DateRange(datetime(2024, 7, 1, tzinfo=UTC), datetime(2024, 7, 2, tzinfo=UTC)))
    assert where('lastmodified < "2024/07/01 10:00"') == clause(
        "lastmodified", "<", DateRange(datetime(2024, 7, 1, 10, tzinfo=UTC), datetime(2024, 7, 1, 10, 1, tzinfo=UTC)))


def test_date_functions_stay_symbolic_until_run() -> None:
    assert where('lastmodified < now("-3d")') == clause("lastmodified", "<", RelativeDate("now", "", (-3, "d")))
    assert where("created >= startOfWeek()") == clause("created", ">=", RelativeDate("start", "w", (0, "d")))


@pytest.mark.parametrize("value, expected", [
    (RelativeDate("now", "", (-3, "d")), datetime(2024, 7, 7, 15, 30, tzinfo=UTC)),
    (RelativeDate("start", "d", (0, "d")), datetime(2024, 7, 10, tzinfo=UTC)),
    (RelativeDate("start", "w", (0, "d")), datetime(2024, 7, 8, tzinfo=UTC)),
    (RelativeDate("start", "M", (-1, "M")), datetime(2024, 6, 1, tzinfo=UTC)),
    (RelativeDate("end", "M", (0, "d")), datetime(2024, 7, 31, 23, 59, 59, 999000, tzinfo=UTC)),
    (RelativeDate("start", "y", (1, "y")), datetime(2025, 1, 1, tzinfo=UTC)),
])
def test_date_functions_resolve_against_the_clock(value: RelativeDate, expected: datetime) -> None:
    assert resolve_date(value, WEDNESDAY).start == expected


# -- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, position, fragment", [
    ('title = "unterminated', 8, "unterminated string"),
    ("type = page and", 15, "expected a field name"),
    ("type == page", 6, "expected a value"),
    ("colour = red", 0, "unsupported field 'colour'"),
    ('title > "x"', 6, "operator '>' is not supported"),
    ("id = abc", 5, "must be a content id"),
    ('created > "2024-13-01"', 10, "invalid date"),
    ("(type = page", 12, "expected ')'"),
    ("type = page)", 11, "expected 'and', 'or', 'order by'"),
    ("type = page order size", 18, "expected 'by'"),
    ("type = page order by size", 21, "cannot order by 'size'"),
    ("label = and", 8, "expected a value"),
    ("label in (a b)", 12, "expected ')' or ','"),
    ('created < now("-3x")', 14, "invalid date offset"),
    ("label = now()", 8, "not supported for field 'label'"),
    ("type ! page", 5, "unexpected character '!'"),
    ("", 0, "expected a field name"),
])
def test_errors_say_what_and_where(text: str, position: int, fragment: str) -> None:
    with pytest.raises(CQLError) as caught:
        parse(text)
    assert caught.value.position == position
    assert fragment in caught.value.message
    assert str(caught.value).endswith(f"at position {position}")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(CQLError, match="nested too deeply"):
        parse("(" * 500 + "type = page" + ")" * 500)
    with pytest.raises(CQLError, match="nested too deeply"):
        parse("not " * 500 + "type = page")


@given(st.text())
def test_arbitrary_text_raises_only_cql_error(text: str) -> None:
    with contextlib.suppress(CQLError):
        parse(text)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@given(st.text())
def test_any_text_round_trips_through_quoting(text: str) -> None:
    assert where(f"title = {quote(text)}") == clause("title", "=", text)


# Generated valid queries: every one must parse, compile and run in SQLite against the real schema.
_words = st.text(min_size=1, max_size=12).map(quote) | st.sampled_from(["page", "INC", "post-mortem", "sev_1"])
_ids = st.integers(min_value=0, max_value=10**18 - 1).map(str)
_dates = st.sampled_from(['"2024-07-01"', '"2024/07/01 10:00"', 'now("-3d")', "now()", "startOfMonth()",
                          "endOfYear('+1y')", 'startOfWeek("-2w")', 'endOfDay("-36h")'])


def _clause_for(field: str, values: st.SearchStrategy[str], ops: list[str]) -> st.SearchStrategy[str]:
    single = st.tuples(st.sampled_from(ops), values).map(lambda p: f"{field} {p[0]} {p[1]}")
    listed = st.tuples(st.sampled_from(["in", "not in"]), st.lists(values, min_size=1, max_size=3)).map(
        lambda p: f"{field} {p[0]} ({', '.join(p[1])})")
    return single | listed if "=" in ops and field not in ("created", "lastmodified") else single


_clauses = st.one_of(
    *[_clause_for(f, _words, ["=", "!="]) for f in ("type", "space", "space.key", "label")],
    _clause_for("title", _words, ["=", "!=", "~", "!~"]),
    *[_clause_for(f, _ids, ["=", "!="]) for f in ("id", "content", "parent", "ancestor")],
    *[_clause_for(f, _dates, ["=", "!=", ">", ">=", "<", "<="]) for f in ("created", "lastmodified")],
)
_queries = st.recursive(_clauses, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["and", "OR", "And"]), inner).map(" ".join),
    inner.map(lambda q: f"not {q}"),
    inner.map(lambda q: f"({q})"),
), max_leaves=8)
_order = st.lists(st.tuples(st.sampled_from(["created", "lastmodified", "title"]),
                            st.sampled_from(["", " asc", " desc"])).map("".join), max_size=2).map(
    lambda keys: f" order by {', '.join(keys)}" if keys else "")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_queries, _order)
def test_every_valid_query_parses_and_runs_in_sqlite(text: str, order_by: str) -> None:
    sql, params, order = compile_sql(parse(text + order_by), WEDNESDAY)
    _empty_database().execute(f"SELECT c.id FROM cf_content c WHERE {sql} ORDER BY {order}", params).fetchall()


@cache
def _empty_database() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.executescript(SCHEMA)
    return conn
