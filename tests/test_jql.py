"""The sandbox's JQL: parser shape and errors, evaluation semantics, and property-based checks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service_sandbox import jira_catalog
from service_sandbox.jql import And, Clause, Empty, Function, JQLError, Not, Or, Query, SortKey, Value, ValueList, parse
from service_sandbox.jql_eval import IssueRecord, SearchContext, search

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ANA, BOB = "557058:aa11", "557058:bb22"


def ctx(current_user: str | None = ANA) -> SearchContext:
    vocabulary = {**jira_catalog.vocabulary(),
                  "project": {"ops": "OPS", "10000": "OPS", "operations": "OPS"},
                  "user": {ANA: ANA, BOB: BOB}}
    return SearchContext(now=NOW, current_user=current_user, vocabulary=vocabulary, ranks=jira_catalog.ranks(),
                         user_names={ANA: "Ana Lima", BOB: "Bob Chen"})


def issue(number: int, **fields: object) -> IssueRecord:
    fields.setdefault("project", "OPS")
    fields.setdefault("summary", f"Issue {number}")
    return IssueRecord(id=10000 + number, key=f"OPS-{number}", **fields)


def keys(jql: str, records: list[IssueRecord], context: SearchContext | None = None) -> list[str]:
    return [r.key for r in search(parse(jql), records, context or ctx())]


def clause(field: str, op: str, value: str) -> Clause:
    return Clause(field, op, Value(value))


# -- parser ----------------------------------------------------------------------------------------
def test_and_binds_tighter_than_or() -> None:
    assert parse("a = 1 or b = 2 and c = 3").where == Or((clause("a", "=", "1"),
                                                          And((clause("b", "=", "2"), clause("c", "=", "3")))))


def test_not_binds_tighter_than_and_and_parentheses_override() -> None:
    assert parse("not a = 1 and b = 2").where == And((Not(clause("a", "=", "1")), clause("b", "=", "2")))
    assert parse("(a = 1 or b = 2) and c = 3").where == And((Or((clause("a", "=", "1"), clause("b", "=", "2"))),
                                                            clause("c", "=", "3")))
    assert parse("NOT (a = 1 OR b = 2)").where == Not(Or((clause("a", "=", "1"), clause("b", "=", "2"))))


def test_symbolic_boolean_operators_are_accepted() -> None:
    assert parse("a = 1 && !b = 2 || c = 3").where == Or((And((clause("a", "=", "1"), Not(clause("b", "=", "2")))),
                                                         clause("c", "=", "3")))


def test_keywords_are_case_insensitive() -> None:
    query = parse("Project = OPS AnD LABELS Is NoT Empty oRdEr By Key DESC")
    assert query == Query(And((clause("Project", "=", "OPS"), Clause("LABELS", "is not", Empty()))),
                          (SortKey("Key", descending=True),))


def test_quoted_values_unescape_and_keep_reserved_words_as_values() -> None:
    where = parse(r"""summary ~ "db \"primary\" failover" and labels = 'it\'s' or labels = "and" """).where
    assert isinstance(where, Or)
    assert where.terms[0].terms[0].operand == Value('db "primary" failover', quoted=True)
    assert where.terms[1].operand == Value("and", quoted=True)
    assert parse(r'summary ~ "caf\u00e9"').where.operand == Value("café", quoted=True)


def test_quoted_field_names_and_bare_values_with_punctuation() -> None:
    query = parse('"Story Points" = 3 and assignee = 557058:aa11 and key = OPS-17 and duedate > -1d')
    assert [c.field for c in query.where.terms] == ["Story Points", "assignee", "key", "duedate"]
    assert [c.operand.text for c in query.where.terms] == ["3", "557058:aa11", "OPS-17", "-1d"]


def test_in_lists_and_functions() -> None:
    query = parse("labels in (a, \"b c\", 'd') and status not in (Done) and duedate < startOfDay(-1d) "
                  "and assignee = currentUser()")
    assert query.where.terms[0] == Clause("labels", "in", ValueList((Value("a"), Value("b c", True),
                                                                    Value("d", True))))
    assert query.where.terms[1] == Clause("status", "not in", ValueList((Value("Done"),)))
    assert query.where.terms[2].operand == Function("startOfDay", ("-1d",))
    assert query.where.terms[3].operand == Function("currentUser")


def test_order_by_alone_and_with_several_keys() -> None:
    assert parse("order by created") == Query(None, (SortKey("created"),))
    assert parse("project = OPS order by duedate asc, priority desc, key").order_by == (
        SortKey("duedate"), SortKey("priority", True), SortKey("key"))
    assert parse("") == Query(None)


@pytest.mark.parametrize(("jql", "message"), [
    ('summary ~ "unfinished', 'The quoted string "unfinished has not been completed. (line 1, character 11)'),
    ("status Done", "Expecting operator but got 'Done'. The valid operators are '=', '!=', '<', '>', '<=', "
                    "'>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character 8)"),
    ("labels in a", "Expecting '(' to start a list of values but got 'a'. (line 1, character 11)"),
    ("labels is foo", "Expecting 'EMPTY' or 'NULL' but got 'foo'. (line 1, character 11)"),
    ("labels = and", "'and' is a reserved JQL word. You must surround it in quotation marks"),
    ("labels = a b", "Expecting either 'OR' or 'AND' but got 'b'. (line 1, character 12)"),
    ("(labels = a", "Expecting ')' but got the end of the query. (line 1, character 12)"),
    ("labels in ()", "Expecting either a value, list or function but got ')'. (line 1, character 12)"),
    ("labels =", "Expecting either a value, list or function but got the end of the query."),
    ("a = 1 &b = 2", "The character '&' is a reserved JQL character."),
    ("project = OPS\nand = 2", "Expecting a field name but got '='. (line 2, character 5)"),
    ("order created", "Expecting 'by' but got 'created'."),
    (r'summary ~ "a\q"', r"The escape sequence '\q' in the quoted string is invalid."),
])
def test_syntax_errors_read_like_jira(jql: str, message: str) -> None:
    with pytest.raises(JQLError) as caught:
        parse(jql)
    assert str(caught.value).startswith("Error in the JQL Query: ")
    assert message in str(caught.value)


def test_deep_nesting_is_a_jql_error_not_a_crash() -> None:
    with pytest.raises(JQLError, match="nested"):
        parse("(" * 5000 + "a = 1" + ")" * 5000)
    with pytest.raises(JQLError, match="nested"):
        parse("not " * 5000 + "a = 1")


JQL_PIECES = st.sampled_from(["project", "labels", "status", "=", "!=", "<", ">=", "~", "!~", "in", "not",
                              "is", "empty", "and", "or", "order", "by", "asc", "desc", "(", ")", ",", '"',
                              "'", "\\", "now()", "x", "OPS-1", "-1d", "&&", "||", "!", "&", "\n", " "])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(JQL_PIECES, max_size=30).map(" ".join),
                 st.lists(JQL_PIECES, max_size=30).map("".join)))
def test_parser_raises_only_jqlerror_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(JQLError):
        parse(text)


# -- evaluation ------------------------------------------------------------------------------------
LABELS = ["pm", "PM-2", "ops", "alert", "db"]
STATUSES = [s.name for s in jira_catalog.STATUSES]


@st.composite
def records(draw: st.DrawFn) -> list[IssueRecord]:
    count = draw(st.integers(min_value=0, max_value=12))
    result = []
    for n in range(1, count + 1):
        status = draw(st.sampled_from(jira_catalog.STATUSES))
        labels = frozenset(draw(st.lists(st.sampled_from(LABELS), max_size=3)))
        result.append(issue(n, status=status.name, status_category=status.category.key, labels=labels))
    return result


def oracle_clause(field: str, op: str, values: list[str]) -> Callable[[IssueRecord], bool]:
    """Jira's documented semantics, written the plain way: != and NOT IN skip empty fields."""
    wanted = {v.lower() for v in values}
    if field == "labels":
        def has(r: IssueRecord) -> bool:
            return bool({label.lower() for label in r.labels} & wanted)
        empty = lambda r: not r.labels  # noqa: E731
    else:
        has = lambda r: r.status.lower() in wanted  # noqa: E731
        empty = lambda r: False  # noqa: E731
    return {"=": has, "in": has, "!=": lambda r: not empty(r) and not has(r),
            "not in": lambda r: not empty(r) and not has(r), "is": empty, "is not": lambda r: not empty(r)}[op]


@st.composite
def simple_clauses(draw: st.DrawFn) -> tuple[str, object]:
    field = draw(st.sampled_from(["labels", "status"]))
    ops = ["=", "!=", "in", "not in"] + (["is", "is not"] if field == "labels" else [])
    op = draw(st.sampled_from(ops))
    pool = LABELS if field == "labels" else STATUSES
    values = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)) if op in ("in", "not in") else \
        [draw(st.sampled_from(pool))]
    values = [v.upper() if draw(st.booleans()) else v for v in values]
    if op in ("is", "is not"):
        text = f"{field} {op} EMPTY"
    elif op in ("in", "not in"):
        text = f"{field} {op} (" + ", ".join(f'"{v}"' for v in values) + ")"
    else:
        text = f'{field} {op} "{values[0]}"'
    return text, oracle_clause(field, op, values)


@settings(max_examples=200, deadline=None)
@given(records(), simple_clauses(), simple_clauses(), st.sampled_from(["and", "or", "and not"]))
def test_evaluation_matches_a_python_oracle(issues: list[IssueRecord], left: tuple, right: tuple,
                                            joiner: str) -> None:
    (left_text, left_match), (right_text, right_match) = left, right
    combine = {"and": lambda r: left_match(r) and right_match(r), "or": lambda r: left_match(r) or right_match(r),
               "and not": lambda r: left_match(r) and not right_match(r)}[joiner]
    expected = sorted(r.key for r in issues if combine(r))
    assert sorted(keys(f"{left_text} {joiner} ({right_text})", issues)) == expected
    assert sorted(keys(left_text, issues)) == sorted(r.key for r in issues if left_match(r))


def test_not_equal_skips_issues_without_labels_but_not_clause_includes_them() -> None:
    issues = [issue(1, labels=frozenset({"pm"})), issue(2), issue(3, labels=frozenset({"db"}))]
    assert keys("labels != pm", issues) == ["OPS-3"]
    assert keys("not labels = pm", issues) == ["OPS-3", "OPS-2"]
    assert keys("labels is EMPTY", issues) == ["OPS-2"]


def test_status_category_matches_by_name_key_or_id() -> None:
    issues = [issue(1, status="Done", status_category="done"), issue(2),
              issue(3, status="In Progress", status_category="indeterminate")]
    for jql in ("statusCategory = Done", "statusCategory = done", "statuscategory = 3"):
        assert keys(jql, issues) == ["OPS-1"]
    assert keys('statusCategory != "To Do" order by key', issues) == ["OPS-1", "OPS-3"]
    assert keys("statusCategory = new", issues) == ["OPS-2"]


def test_dates_compare_with_literals_periods_and_functions() -> None:
    issues = [issue(1, duedate=date(2026, 6, 14)), issue(2, duedate=date(2026, 6, 15)),
              issue(3, duedate=date(2026, 12, 1)), issue(4),
              issue(5, created=NOW - timedelta(hours=2)), issue(6, created=NOW - timedelta(days=3))]
    assert keys('duedate < "2026-06-15" order by key', issues) == ["OPS-1"]
    assert keys("duedate <= 2026/06/15 order by key", issues) == ["OPS-1", "OPS-2"]
    assert keys('duedate = "2026-12-01"', issues) == ["OPS-3"]
    assert keys("duedate < startOfDay() order by key", issues) == ["OPS-1"]
    assert keys("duedate >= startOfDay(-1d) and duedate <= endOfDay() order by key", issues) == ["OPS-1", "OPS-2"]
    assert keys("duedate < now() order by key", issues) == ["OPS-1", "OPS-2"]
    assert keys("duedate is EMPTY order by key", issues) == ["OPS-4", "OPS-5", "OPS-6"]
    assert keys('created > "-1d"', issues) == ["OPS-5"]
    assert keys("created >= -4d and created < -1d", issues) == ["OPS-6"]


def test_text_search_matches_words_prefixes_and_phrases() -> None:
    issues = [issue(1, summary="Add DB failover alert"), issue(2, summary="Failover drill", description="db team"),
              issue(3, summary="Alerting gaps")]
    assert keys('summary ~ "failover"', issues) == ["OPS-2", "OPS-1"]
    assert keys('summary ~ "db failover"', issues) == ["OPS-1"]
    assert keys('text ~ "db failover" order by key', issues) == ["OPS-1", "OPS-2"]
    assert keys('summary ~ "alert*" order by key', issues) == ["OPS-1", "OPS-3"]
    assert keys('summary ~ "\\"failover alert\\""', issues) == ["OPS-1"]
    assert keys('summary ~ "\\"alert failover\\""', issues) == []
    assert keys('summary !~ alert order by key', issues) == ["OPS-2", "OPS-3"]


def test_keys_users_projects_and_resolution() -> None:
    issues = [issue(1, assignee=ANA), issue(2, assignee=BOB, resolution="Done"), issue(3)]
    assert keys("key in (OPS-1, ops-3) order by key", issues) == ["OPS-1", "OPS-3"]
    assert keys("issuekey = 10002", issues) == ["OPS-2"]
    assert keys("assignee = currentUser()", issues) == ["OPS-1"]
    assert keys(f'assignee = "{BOB}"', issues) == ["OPS-2"]
    assert keys("assignee is EMPTY", issues) == ["OPS-3"]
    assert keys("project = Operations and resolution = Unresolved order by key", issues) == ["OPS-1", "OPS-3"]


def test_order_by_sorts_empty_values_last_and_priority_by_severity() -> None:
    issues = [issue(1, duedate=date(2026, 7, 1), priority="Low"), issue(2, priority="Highest"),
              issue(3, duedate=date(2026, 6, 1), priority="Medium")]
    assert keys("project = OPS order by duedate", issues) == ["OPS-3", "OPS-1", "OPS-2"]
    assert keys("project = OPS order by duedate desc", issues) == ["OPS-2", "OPS-1", "OPS-3"]
    assert keys("project = OPS order by priority desc", issues) == ["OPS-2", "OPS-3", "OPS-1"]
    assert keys("project = OPS", issues) == ["OPS-3", "OPS-2", "OPS-1"]


@pytest.mark.parametrize(("jql", "message"), [
    ("foo = 1", "Field 'foo' does not exist or you do not have permission to view it."),
    ("issue.property[wikibot].pageId = 98765",
     "Field 'issue.property[wikibot].pageId' does not exist or you do not have permission to view it."),
    ("status = Closed", "The value 'Closed' does not exist for the field 'status'."),
    ("project in (OPS, NOPE)", "The value 'NOPE' does not exist for the field 'project'."),
    ("assignee = jdoe", "The value 'jdoe' does not exist for the field 'assignee'."),
    ("key = OPS-99", "An issue with key 'OPS-99' does not exist for field 'key'."),
    ("key = 1.0", "The issue key '1.0' for field 'key' is invalid."),
    ("status ~ Done", "The operator '~' is not supported by the 'status' field."),
    ("duedate < tomorrow", "Date value 'tomorrow' for field 'duedate' is invalid."),
    ("duedate < startOfYear()", "Unable to find JQL function 'startOfYear()'."),
    ("project = OPS order by labels", "Field 'labels' does not support sorting."),
])
def test_semantic_errors_name_the_field_and_value(jql: str, message: str) -> None:
    with pytest.raises(JQLError) as caught:
        search(parse(jql), [issue(1)], ctx())
    assert message in str(caught.value)
