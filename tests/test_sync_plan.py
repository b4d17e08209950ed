"""The sync planner and issue builder: pure decisions, tested without servers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wikibot.config_sections import DEFAULT_PRIORITY_MAP
from wikibot.pages import parse_page
from wikibot.store.ledger import LedgerEntry
from wikibot.sync.actions import parse_action
from wikibot.sync.issues import (
    JiraIssue,
    PageInfo,
    draft_issue,
    global_id,
    issue_from_json,
    issue_summary,
    item_label,
    jira_length,
    page_info,
    page_values,
)
from wikibot.sync.plan import Rules, merge, plan_page

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
INFO = PageInfo("100", "PM-2026-11-30 Checkout 502s", "http://wiki/x/100", "Draft", "incident-inc-7", "INC-7")
RULES = Rules(project="OPS", priority_map=DEFAULT_PRIORITY_MAP, now=NOW)
HEADERS = "<th><p>Action</p></th><th><p>Owner</p></th><th><p>Due</p></th><th><p>Priority</p></th><th><p>Ticket</p></th>"
USER = '<ac:link><ri:user ri:account-id="557058:aa11" /></ac:link>'


def row(summary: str, owner: str = "", due: str = "", priority: str = "", ticket: str = "") -> str:
    cells = [summary, owner, f'<time datetime="{due}" />' if due else "", priority, ticket]
    return "<tr>" + "".join(f"<td><p>{c}</p></td>" for c in cells) + "</tr>"


def page(*rows: str, headers: str = HEADERS, extra: str = "") -> str:
    return f"<h2>Action items</h2><table><tbody><tr>{headers}</tr>{''.join(rows)}</tbody></table>{extra}"


def items(body: str):
    return parse_page(body).action_items


def issue(key: str, item, *, summary: str | None = None, status: str = "To Do", done: bool = False,
          duedate: str | None = None, priority: str | None = "Medium") -> JiraIssue:
    return JiraIssue(key=key, page_id="100", origin=item.identity if item is not None else None,
                     summary=summary if summary is not None else issue_summary(item.summary), duedate=duedate,
                     priority=priority, status=status, done=done)


def entry(key: str | None, item, *, state: str = "created", created_at: datetime = NOW, **kw) -> LedgerEntry:
    values = page_values(item, DEFAULT_PRIORITY_MAP)
    return LedgerEntry(page_id="100", origin_identity=item.identity, identity=item.identity,
                       fingerprint=item.fingerprint, state=state, issue_key=key, base_page=kw.pop("base_page", values),
                       base_jira=kw.pop("base_jira", values), created_at=created_at, id=kw.pop("id", 1), **kw)


# -- building issues -----------------------------------------------------------------------------


def test_a_new_item_gets_every_field_the_issue_asks_for():
    [item] = items(page(row("Add a  DB\nfailover alert", USER, "2026-12-20", "P1")))
    draft = draft_issue(item, INFO, project="OPS", issue_type="Task", labels=("sre",),
                        priority_map=DEFAULT_PRIORITY_MAP)
    fields = draft.fields
    assert fields["summary"] == "Add a DB failover alert"
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["labels"] == ["post-mortem", "incident-inc-7", "sre", "pm-100", f"pmi-100-{item.identity}"]
    assert fields["assignee"] == {"accountId": "557058:aa11"}
    assert fields["duedate"] == "2026-12-20" and fields["priority"] == {"name": "High"}
    assert "http://wiki/x/100" in fields["description"] and "INC-7" in fields["description"]
    assert draft.warnings == ()


def test_an_owner_who_is_not_a_user_is_named_in_the_description_and_an_unknown_priority_is_left_unset():
    [item] = items(page(row("Fix proxy", "Search team", "", "Urgent-ish")))
    draft = draft_issue(item, INFO, project="OPS", issue_type="Bug", labels=(), priority_map=DEFAULT_PRIORITY_MAP)
    assert "assignee" not in draft.fields and "priority" not in draft.fields and "duedate" not in draft.fields
    assert "Owner: Search team" in draft.fields["description"]
    assert draft.warnings == ("priority 'Urgent-ish' is not in jira.priority_map: left unset",)


def test_a_due_date_that_is_not_a_date_is_left_unset_and_quoted_in_the_description():
    written = "<tr><td><p>Fix proxy</p></td><td><p>Search team</p></td><td><p>next sprint</p></td><td /><td /></tr>"
    [item] = items(page(written))
    draft = draft_issue(item, INFO, project="OPS", issue_type="Task", labels=(), priority_map=DEFAULT_PRIORITY_MAP)
    assert "duedate" not in draft.fields
    assert "Due on the page: next sprint" in draft.fields["description"]
    assert draft.warnings == ("due date 'next sprint' is not a date: left unset",)


@given(st.text())
def test_summaries_are_one_line_within_jiras_limit_and_stable(text):
    summary = issue_summary(text)
    assert jira_length(summary) <= 255 and "\n" not in summary and "\r" not in summary
    assert issue_summary(summary) == summary


def test_a_summary_is_cut_to_255_as_jira_counts_so_emoji_count_twice():
    """Jira measures Java chars (UTF-16 units): 200 letters and 60 emoji are 260 characters, 320 units."""
    summary = issue_summary("x" * 200 + "\U0001f4a5" * 60)
    assert jira_length(summary) <= 255 and summary.endswith("…") and len(summary) == 200 + 27 + 1
    assert issue_summary("\U0001f4a5" * 127) == "\U0001f4a5" * 127  # 254 units: kept whole


def test_markers_are_valid_labels_and_the_link_id_is_stable():
    task = ("<h2>Action items</h2><ac:task-list><ac:task><ac:task-id>9</ac:task-id><ac:task-status>incomplete"
            "</ac:task-status><ac:task-body>Rotate keys</ac:task-body></ac:task></ac:task-list>")
    for body in (page(row("x" * 300)), task):
        [item] = items(body)
        label = item_label("123456", item.identity)
        assert len(label) <= 255 and " " not in label
        assert global_id("123456", item.identity) == global_id("123456", item.identity)


def test_page_info_reads_status_and_incident_from_page_properties_or_labels():
    body = ('<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody><tr><th><p>Incident</p></th>'
            "<td><p>INC-101</p></td></tr><tr><th><p>Status</p></th><td><p>Published</p></td></tr></tbody></table>"
            "</ac:rich-text-body></ac:structured-macro>")
    info = page_info("1", "T", "u", ["postmortem"], parse_page(body))
    assert (info.status, info.incident_label, info.incident, info.published) == \
        ("Published", "incident-inc-101", "INC-101", True)
    labelled = page_info("1", "T", "u", ["postmortem", "incident-inc-42"], parse_page("<p>x</p>"))
    assert (labelled.incident_label, labelled.incident, labelled.status) == ("incident-inc-42", "INC-42", None)


def test_search_results_are_read_back_with_their_markers():
    raw = {"key": "OPS-3", "fields": {"summary": "S", "labels": ["pm-review", "pm-100", "pmi-100-t1r2-0a1b2c3d",
                                                                  "post-mortem"],
                                      "status": {"name": "Done", "statusCategory": {"key": "done"}},
                                      "priority": {"name": "High"}, "duedate": "2026-12-01"}}
    parsed = issue_from_json(raw)
    assert (parsed.page_id, parsed.origin, parsed.done, parsed.priority) == ("100", "t1r2-0a1b2c3d", True, "High")


# -- planning ------------------------------------------------------------------------------------


def test_every_new_item_is_planned_once_and_items_filed_elsewhere_are_left_alone():
    body = page(row("Add alert", USER), row("Fix proxy", ticket="OPS-900"), row("", "Ana"))
    plan = plan_page(INFO, items(body), [], [], RULES)
    assert [n.item.summary for n in plan.new] == ["Add alert"]
    assert [i.jira_key for i in plan.foreign] == ["OPS-900"]
    assert [n.reason for n in plan.skipped] == ["no summary yet"]
    assert plan.already_synced == 1


def test_an_issue_filed_before_a_lost_answer_is_adopted_not_filed_again():
    [item] = items(page(row("Add alert")))
    plan = plan_page(INFO, [item], [], [issue("OPS-1", item)], RULES)
    assert plan.new == []
    [linked] = plan.linked
    assert (linked.key, linked.record, linked.write_key, linked.link) == ("OPS-1", True, True, True)


def test_a_ledger_row_keeps_the_key_while_confluence_was_down_even_if_jira_search_lags():
    [item] = items(page(row("Add alert")))
    plan = plan_page(INFO, [item], [entry("OPS-1", item, linked=True)], [], RULES)
    assert plan.new == [] and plan.linked[0].write_key and not plan.linked[0].link
    assert "marker search did not return" in plan.warnings[0].reason


def test_rows_moved_or_reworded_before_the_key_was_written_still_bind():
    before = items(page(row("Add alert for 5xx"), row("Fix proxy")))
    filed = [issue("OPS-1", before[0]), issue("OPS-2", before[1])]
    moved = items(page(row("New row on top"), row("Fix proxy"), row("Add alert for 5xx errors")))
    plan = plan_page(INFO, moved, [], filed, RULES)
    assert {x.item.summary: x.key for x in plan.linked} == \
        {"Fix proxy": "OPS-2", "Add alert for 5xx errors": "OPS-1"}
    assert [n.item.summary for n in plan.new] == ["New row on top"]


def test_a_deleted_row_leaves_its_issue_alone_and_is_reported():
    [gone, kept] = items(page(row("Add alert", ticket="OPS-1"), row("Fix proxy", ticket="OPS-2")))
    plan = plan_page(INFO, [kept], [entry("OPS-1", gone, id=1), entry("OPS-2", kept, id=2)],
                     [issue("OPS-1", gone), issue("OPS-2", kept)], RULES)
    assert plan.new == [] and [x.key for x in plan.linked] == ["OPS-2"]
    assert [(n.key, n.reason) for n in plan.warnings] == \
        [("OPS-1", "its row is no longer on the page; the issue is left alone")]


def test_a_row_someone_linked_to_another_issue_keeps_it_and_ours_is_reported():
    [item] = items(page(row("Add alert", ticket="OPS-77")))
    plan = plan_page(INFO, [item], [], [issue("OPS-1", item)], RULES)
    assert plan.new == [] and plan.foreign == [item]
    assert [(n.key, n.reason) for n in plan.warnings] == \
        [("OPS-1", "its row now links OPS-77; the issue is left alone")]


def test_a_key_pasted_into_a_second_row_does_not_steal_the_issue():
    body = page(row("Add alert", ticket="OPS-1"), row("Fix proxy", ticket="OPS-1"))
    first, second = items(body)
    plan = plan_page(INFO, [first, second], [], [issue("OPS-1", second)], RULES)
    assert [x.item.summary for x in plan.linked] == ["Fix proxy"]
    assert [i.summary for i in plan.foreign] == ["Add alert"]


def test_a_create_with_unknown_outcome_is_waited_for_then_filed_again():
    [item] = items(page(row("Add alert")))
    fresh = entry(None, item, state="pending", created_at=NOW - timedelta(minutes=1))
    waiting = plan_page(INFO, [item], [fresh], [], RULES)
    assert waiting.new == [] and "no known outcome" in waiting.skipped[0].reason
    old = entry(None, item, state="pending", created_at=NOW - timedelta(hours=1))
    again = plan_page(INFO, [item], [old], [], RULES)
    assert [n.stale for n in again.new] == [old]


def test_a_pending_row_whose_issue_shows_up_is_resolved_by_adoption():
    [item] = items(page(row("Add alert")))
    pending = entry(None, item, state="pending", want_done=True)
    plan = plan_page(INFO, [item], [pending], [issue("OPS-5", item)], RULES)
    [linked] = plan.linked
    assert (linked.key, linked.entry, linked.record, linked.done) == ("OPS-5", pending, True, True)


def test_done_items_are_filed_then_moved_to_done_and_late_rows_on_published_pages_are_flagged():
    body = page(row("Add alert", ticket="OPS-1"), row("Fix proxy"),
                headers=HEADERS.replace("Priority", "Status")).replace("<td><p></p></td><td><p></p></td></tr>",
                                                                       "<td><p>Done</p></td><td><p></p></td></tr>")
    first, second = items(body)
    published = replace(INFO, status="Published")
    plan = plan_page(published, [first, second], [entry("OPS-1", first)], [issue("OPS-1", first)], RULES)
    [new] = plan.new
    assert new.want_done and new.flagged
    assert "added after the page was published" in [n.reason for n in plan.warnings]


def test_jiras_status_is_mirrored_into_a_status_column_only():
    with_status = page(row("Add alert", ticket="OPS-1"), headers=HEADERS.replace("Priority", "Status"))
    [item] = items(with_status)
    plan = plan_page(INFO, [item], [entry("OPS-1", item)], [issue("OPS-1", item, status="In Progress")], RULES)
    assert plan.linked[0].status == "In Progress" and plan.linked[0].edit().jira_key is None
    [plain] = items(page(row("Add alert", ticket="OPS-1")))
    quiet = plan_page(INFO, [plain], [entry("OPS-1", plain)], [issue("OPS-1", plain, status="Done")], RULES)
    assert quiet.linked[0].status is None and quiet.linked[0].edit() is None


def test_a_page_edit_updates_the_issue_and_an_edit_on_both_sides_keeps_jiras_value():
    [old] = items(page(row("Add alert", due="2026-12-20", priority="High", ticket="OPS-1")))
    [new] = items(page(row("Add an alert", due="2026-12-24", priority="Low", ticket="OPS-1")))
    jira_edit = issue("OPS-1", old, priority="Highest", duedate="2026-12-20")
    plan = plan_page(INFO, [new], [entry("OPS-1", old)], [jira_edit], RULES)
    [linked] = plan.linked
    assert linked.update == {"summary": "Add an alert", "duedate": "2026-12-24"}
    assert [(c.field, c.page_value, c.jira_value) for c in linked.conflicts] == [("priority", "Low", "Highest")]
    off = plan_page(INFO, [new], [entry("OPS-1", old)], [jira_edit], replace(RULES, update_issues=False))
    assert off.linked[0].update == {} and off.linked[0].conflicts == ()


def test_the_dry_run_description_names_every_action():
    [item] = items(page(row("Add alert")))
    described = plan_page(INFO, [item], [], [issue("OPS-1", item)], RULES).describe()
    assert [d["action"] for d in described] == ["adopt", "link", "write key"]
    assert all(d["page"] == "100" for d in described)


# -- properties ----------------------------------------------------------------------------------

values = st.fixed_dictionaries({"summary": st.sampled_from(["a", "b", "c"]),
                                "duedate": st.sampled_from([None, "2026-12-01", "2026-12-02"]),
                                "priority": st.sampled_from([None, "High", "Low"])})


@given(values, values, values, values, st.booleans())
def test_merge_never_overrides_jira_and_is_quiet_once_settled(page_now, page_base, jira_now, jira_base, on):
    update, conflicts, new_page, new_jira = merge(page_now, page_base, jira_now, jira_base, update_issues=on)
    for name in update:
        assert jira_now[name] == jira_base[name], "a field Jira changed is never pushed"
        assert page_now[name] != page_base[name]
    for conflict in conflicts:
        name = conflict.field
        assert page_now[name] != page_base[name] and jira_now[name] != jira_base[name]
    settled_jira = {**jira_now, **update}
    assert new_jira == settled_jira
    assert merge(page_now, new_page, settled_jira, new_jira, update_issues=on)[:2] == ({}, ())


summaries = st.lists(st.text(alphabet="abcdefgh ", min_size=1, max_size=12).filter(str.strip), min_size=1,
                     max_size=6, unique_by=lambda s: " ".join(s.split()))


@settings(max_examples=60, deadline=None)
@given(summaries, st.data())
def test_an_item_that_has_an_issue_is_never_planned_again(texts, data):
    its = items(page(*(row(t) for t in texts)))
    filed = data.draw(st.lists(st.sampled_from(range(len(its))), unique=True))
    via_ledger = data.draw(st.lists(st.sampled_from(filed), unique=True)) if filed else []
    issues = [issue(f"OPS-{n + 1}", its[n]) for n in filed if n not in via_ledger]
    entries = [entry(f"OPS-{n + 1}", its[n], id=n + 1) for n in via_ledger]
    plan = plan_page(INFO, its, entries, issues, RULES)
    assert sorted(new.item.identity for new in plan.new) == sorted(its[n].identity for n in range(len(its))
                                                                   if n not in filed)
    assert {x.item.identity: x.key for x in plan.linked} == {its[n].identity: f"OPS-{n + 1}" for n in filed}


def test_outstanding_actions_read_owner_incident_page_and_lateness():
    from datetime import date

    raw = {"key": "OPS-9", "fields": {"summary": "Fix", "status": {"name": "To Do"}, "duedate": "2026-11-28",
                                      "labels": ["post-mortem", "incident-inc-7", "pm-100"],
                                      "description": {"type": "doc", "content": [{"type": "paragraph", "content": [
                                          {"type": "text", "text": "From x"}, {"type": "hardBreak"},
                                          {"type": "text", "text": "Owner: Search team"}]}]}}}
    action = parse_action(raw, jira_url="http://j", wiki_url="http://w/wiki", today=date(2026, 12, 1))
    assert (action.owner, action.incident, action.days_overdue) == ("Search team", "INC-7", 3)
    assert action.page_url == "http://w/wiki/pages/viewpage.action?pageId=100"
    assert action.issue_url == "http://j/browse/OPS-9"


@pytest.mark.parametrize("text, expected", [("High", "High"), (" p1 ", "High"), ("urgent", None), (None, None)])
def test_priorities_map_by_lower_case_name(text, expected):
    from wikibot.sync.issues import jira_priority

    assert jira_priority(text, DEFAULT_PRIORITY_MAP) == expected
