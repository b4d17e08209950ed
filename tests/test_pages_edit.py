"""Writing Jira keys and statuses back into pages: minimal, idempotent, never overwriting people."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from wikibot.pages import (
    Edit,
    EditError,
    ItemNotFound,
    TicketConflict,
    apply_edits,
    jira_macro,
    parse_page,
    set_status,
    set_ticket,
)

CORPUS = Path(__file__).parent / "corpus"
MACRO_17 = jira_macro("OPS-17")
LOZENGE = ('<ac:structured-macro ac:name="status" ac:macro-id="m1"><ac:parameter ac:name="colour">Grey'
           '</ac:parameter><ac:parameter ac:name="title">TO DO</ac:parameter></ac:structured-macro>')


def page(*rows: str, headers: str = "<th><p>Action</p></th><th><p>Owner</p></th><th><p>Ticket</p></th>",
         before: str = "<h2>Impact</h2><p>Caf&eacute; &amp; bar&nbsp;&rarr; <![CDATA[<raw>]]></p>") -> str:
    return (f'{before}<h2>Action items</h2><table data-layout="default" ac:local-id="t1"><colgroup><col />'
            f'<col /><col /></colgroup><tbody><tr>{headers}</tr>{"".join(rows)}</tbody></table>'
            "<h2>Lessons</h2><p>Keep&nbsp;this  exactly.</p>")


def changes(old: str, new: str) -> list[tuple[str, str, str]]:
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    return [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def items(body: str):
    return parse_page(body).action_items


ROW_EMPTY = '<tr><td><p>Add alert</p></td><td><p>Ana</p></td><td data-highlight-colour="#fff"><p /></td></tr>'
ROW_OTHER = "<tr><td><p>Fix proxy</p></td><td><p>Bo</p></td><td><p></p></td></tr>"


# -- tickets in an existing Ticket column --------------------------------------------------------


def test_set_ticket_fills_the_empty_ticket_cell_and_changes_nothing_else():
    body = page(ROW_EMPTY, ROW_OTHER)
    new = set_ticket(body, items(body)[0], "OPS-17")
    cell_start = body.index('<td data-highlight-colour="#fff">') + len('<td data-highlight-colour="#fff">')
    cell_end = body.index("</td>", cell_start)
    assert new[:cell_start] == body[:cell_start]
    assert new[len(new) - (len(body) - cell_end):] == body[cell_end:]
    assert new[cell_start:len(new) - (len(body) - cell_end)] == f"<p>{MACRO_17}</p>"
    assert [(i.summary, i.jira_key) for i in items(new)] == [("Add alert", "OPS-17"), ("Fix proxy", None)]


def test_set_ticket_can_name_the_jira_server():
    body = page(ROW_EMPTY)
    new = set_ticket(body, items(body)[0], "OPS-17", server="System JIRA", server_id="8a7f-1")
    assert ('<ac:parameter ac:name="server">System JIRA</ac:parameter>'
            '<ac:parameter ac:name="serverId">8a7f-1</ac:parameter>'
            '<ac:parameter ac:name="key">OPS-17</ac:parameter>') in new


def test_setting_the_same_ticket_twice_changes_nothing_the_second_time():
    body = page(ROW_EMPTY)
    once = set_ticket(body, items(body)[0], "OPS-17")
    assert set_ticket(once, items(body)[0], "OPS-17") == once


def test_a_different_key_already_in_the_cell_is_never_overwritten():
    body = page(ROW_EMPTY)
    mine = set_ticket(body, items(body)[0], "OPS-5")
    with pytest.raises(TicketConflict, match="already links OPS-5; not replacing it with OPS-17"):
        set_ticket(mine, items(body)[0], "OPS-17")
    result = apply_edits(mine, [Edit(items(body)[0], "OPS-17")])
    assert result.body == mine and not result.changed
    assert [type(e) for e in result.skipped] == [TicketConflict]


def test_text_in_the_ticket_cell_is_kept_and_the_macro_added_after_it():
    body = page("<tr><td>Add alert</td><td>Ana</td><td><p>TBD</p></td></tr>")
    new = set_ticket(body, items(body)[0], "OPS-17")
    assert new == body.replace("<p>TBD</p></td>", f"<p>TBD</p><p>{MACRO_17}</p></td>")


def test_a_self_closing_ticket_cell_keeps_its_attributes():
    body = page('<tr><td>Add alert</td><td>Ana</td><td class="x" /></tr>')
    new = set_ticket(body, items(body)[0], "OPS-17")
    assert f'<td class="x"><p>{MACRO_17}</p></td>' in new
    assert items(new)[0].jira_key == "OPS-17"


def test_template_placeholders_in_an_empty_ticket_cell_are_replaced():
    body = page("<tr><td>Add alert</td><td>Ana</td><td><p><ac:placeholder>Jira key</ac:placeholder></p></td></tr>")
    new = set_ticket(body, items(body)[0], "OPS-17")
    assert "ac:placeholder" not in new and items(new)[0].jira_key == "OPS-17"


def test_keys_that_are_not_jira_keys_are_refused():
    body = page(ROW_EMPTY)
    for bad in ("ops-1", "OPS", "<b>OPS-1</b>", "OPS-1 OR 1=1"):
        with pytest.raises(EditError, match="not a Jira issue key"):
            set_ticket(body, items(body)[0], bad)


# -- adding a Ticket column ----------------------------------------------------------------------


def test_a_table_without_ticket_column_gets_one_with_a_header_and_a_cell_in_every_row():
    body = page("<tr><td>Add alert</td><td>Ana</td></tr>", "<tr><td>Fix proxy</td><td>Bo</td></tr>",
                headers="<th><p>Action</p></th><th><p>Owner</p></th>")
    new = set_ticket(body, items(body)[1], "OPS-17")
    assert [tag for tag, _, _ in changes(body, new)] == ["insert"] * 4
    assert "<th><p><strong>Ticket</strong></p></th></tr>" in new
    assert "<col /><col /><col /><col /></colgroup>" in new
    assert [(i.summary, i.owner, i.jira_key) for i in items(new)] == \
        [("Add alert", "Ana", None), ("Fix proxy", "Bo", "OPS-17")]
    assert [i.identity for i in items(new)] == [i.identity for i in items(body)]
    assert set_ticket(new, items(body)[1], "OPS-17") == new


def test_the_new_ticket_column_lands_after_rowspans_and_ragged_rows():
    body = page('<tr><td>Add alert</td><td rowspan="2">Ana</td></tr>', "<tr><td>Fix proxy</td></tr>",
                "<tr><td>Short row</td></tr>", headers="<th>Action</th><th>Owner</th>")
    edits = [Edit(item, f"OPS-{n}") for n, item in enumerate(items(body), start=1)]
    new = apply_edits(body, edits).body
    assert [(i.summary, i.owner, i.jira_key) for i in items(new)] == [
        ("Add alert", "Ana", "OPS-1"), ("Fix proxy", "Ana", "OPS-2"), ("Short row", None, "OPS-3")]


def test_a_bold_td_header_row_gets_a_bold_td_ticket_header():
    body = page("<tr><td>Add alert</td><td>Ana</td></tr>",
                headers="<td><strong>What</strong></td><td><strong>Who</strong></td>")
    new = set_ticket(body, items(body)[0], "OPS-17")
    assert "<td><p><strong>Ticket</strong></p></td></tr>" in new
    assert items(new)[0].jira_key == "OPS-17"


def test_a_headerless_table_cannot_get_a_named_ticket_column():
    body = "<h2>Action items</h2><table><tbody><tr><td>Add alert</td><td>Ana</td></tr></tbody></table>"
    with pytest.raises(EditError, match="no header row"):
        set_ticket(body, items(body)[0], "OPS-17")


# -- tasks ---------------------------------------------------------------------------------------


TASKS = ("<h2>Action items</h2><ac:task-list><ac:task><ac:task-id>3</ac:task-id><ac:task-status>incomplete"
         '</ac:task-status><ac:task-body>Rotate keys <ac:link><ri:user ri:account-id="u1" /></ac:link>'
         "</ac:task-body></ac:task><ac:task><ac:task-id>4</ac:task-id><ac:task-status>complete</ac:task-status>"
         "<ac:task-body /></ac:task></ac:task-list>")


def test_a_task_gets_the_macro_appended_to_its_body_once():
    new = set_ticket(TASKS, items(TASKS)[0], "OPS-17")
    assert changes(TASKS, new) == [("insert", "", f" {MACRO_17}")]
    assert (items(new)[0].summary, items(new)[0].jira_key) == ("Rotate keys", "OPS-17")
    assert set_ticket(new, items(TASKS)[0], "OPS-17") == new


@pytest.mark.parametrize(("typed", "summary"), [
    ("- Rotate keys", "Rotate keys"), ("&mdash; Rotate keys", "Rotate keys"), (": Rotate keys", "Rotate keys"),
    ("&mdash;Rotate keys", "\u2014Rotate keys"), ("--no-verify is banned", "--no-verify is banned"),
])
def test_a_task_keeps_its_summary_once_its_ticket_is_written_whatever_it_starts_with(typed: str, summary: str):
    body = TASKS.replace("Rotate keys ", f"{typed} ")
    new = set_ticket(body, items(body)[0], "OPS-17")
    assert items(body)[0].summary == items(new)[0].summary == summary


def test_status_is_never_written_into_tasks():
    assert set_status(TASKS, items(TASKS)[0], "Done") == TASKS


# -- list items and tasks in table cells ------------------------------------------------------------


LIST = ("<h2>Follow-ups</h2><ul><li><p>Add alert &mdash; Ana</p><ul><li>Tune it (Bo Li)</li></ul></li>"
        "<li>Rotate keys<br /> by 2026-12-03</li><li><p>First</p><p>Second &amp; last</p></li></ul>"
        "<p>Keep&nbsp;me.</p>")


@pytest.mark.parametrize(("index", "inserted_after"), [
    (0, "<li><p>Add alert &mdash; Ana"), (1, "<li>Tune it (Bo Li)"), (2, "<br /> by 2026-12-03"),
    (3, "<p>Second &amp; last"),
])
def test_a_list_item_gets_the_macro_at_the_end_of_its_own_text(index: int, inserted_after: str):
    target = items(LIST)[index]
    new = set_ticket(LIST, target, "OPS-17")
    assert changes(LIST, new) == [("insert", "", f" {MACRO_17}")]
    assert new.index(MACRO_17) == LIST.index(inserted_after) + len(inserted_after) + 1
    after = items(new)
    assert [(i.summary, i.owner, i.due) for i in after] == [(i.summary, i.owner, i.due) for i in items(LIST)]
    assert after[index].jira_key == "OPS-17" and after[index].identity == target.identity
    assert set_ticket(new, target, "OPS-17") == new


def test_every_list_item_gets_its_key_in_one_pass_and_a_second_pass_changes_nothing():
    edits = [Edit(item, f"OPS-{n}") for n, item in enumerate(items(LIST), start=1)]
    once = apply_edits(LIST, edits)
    assert [i.jira_key for i in items(once.body)] == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]
    assert once.jira_keys == {"OPS-1", "OPS-2", "OPS-3", "OPS-4"}
    again = apply_edits(once.body, edits)
    assert again.body == once.body and not again.changed


def test_a_task_in_a_table_cell_gets_the_macro_in_its_task_body():
    body = ('<h2>Action items</h2><table class="confluenceTable"><tbody><tr><th class="confluenceTh">Tasks</th>'
            '<th class="confluenceTh">Owner</th></tr><tr><td class="confluenceTd"><ac:task-list><ac:task>'
            "<ac:task-id>31</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>Rebuild on a "
            "replica</ac:task-body></ac:task><ac:task><ac:task-id>32</ac:task-id><ac:task-status>incomplete"
            "</ac:task-status><ac:task-body>Alert on build time</ac:task-body></ac:task></ac:task-list></td>"
            "<td>Bo</td></tr></tbody></table>")
    second = items(body)[1]
    new = set_ticket(body, second, "OPS-17")
    assert changes(body, new) == [("insert", "", f" {MACRO_17}")]
    assert f"Alert on build time {MACRO_17}</ac:task-body>" in new
    assert [(i.summary, i.owner, i.jira_key) for i in items(new)] == [
        ("Rebuild on a replica", "Bo", None), ("Alert on build time", "Bo", "OPS-17")]


def test_items_under_a_configured_alias_are_edited_with_the_same_names():
    body = "<h2>Post-incident work</h2><ul><li>Add alert</li></ul>"
    (item,) = parse_page(body, aliases={"Post-incident work": "Action items"}).action_items
    new = set_ticket(body, item, "OPS-17")
    assert MACRO_17 in new
    assert parse_page(new, aliases={"Post-incident work": "Action items"}).action_items[0].jira_key == "OPS-17"


# -- statuses ------------------------------------------------------------------------------------


STATUS_HEADERS = "<th><p>Action</p></th><th><p>Status</p></th><th><p>Ticket</p></th>"


def test_set_status_mirrors_a_jira_status_as_a_lozenge_when_the_column_uses_lozenges():
    body = page(f"<tr><td>Add alert</td><td><p>{LOZENGE}</p></td><td /></tr>", headers=STATUS_HEADERS)
    new = set_status(body, items(body)[0], "In Progress")
    assert '<ac:parameter ac:name="colour">Blue</ac:parameter><ac:parameter ac:name="title">In Progress' in new
    assert items(new)[0].status == "In Progress"
    assert set_status(new, items(body)[0], "In Progress") == new


def test_set_status_writes_plain_text_into_a_plain_text_status_column():
    body = page("<tr><td>Add alert</td><td><p>open</p></td><td /></tr>", headers=STATUS_HEADERS)
    new = set_status(body, items(body)[0], "Done")
    assert new == body.replace("<p>open</p>", "<p>Done</p>")
    assert items(new)[0].done is True


def test_set_status_is_a_no_op_without_a_status_column_or_with_a_yes_no_done_column():
    body = page(ROW_EMPTY)
    assert set_status(body, items(body)[0], "Done") == body
    done = page("<tr><td>Add alert</td><td>No</td><td /></tr>",
                headers="<th><p>Action</p></th><th><p>Done?</p></th><th><p>Ticket</p></th>")
    assert set_status(done, items(done)[0], "Done") == done


# -- batches and changed pages -------------------------------------------------------------------


def test_apply_edits_writes_all_keys_and_statuses_of_a_page_in_one_pass():
    body = page(f"<tr><td>Add alert</td><td><p>{LOZENGE}</p></td><td /></tr>",
                f"<tr><td>Fix proxy</td><td><p>{LOZENGE}</p></td><td /></tr>", headers=STATUS_HEADERS)
    first, second = items(body)
    result = apply_edits(body, [(first, "OPS-1", "Done"), (second, "OPS-2", None)])
    assert result.changed and result.skipped == []
    assert [(i.jira_key, i.done) for i in items(result.body)] == [("OPS-1", True), ("OPS-2", False)]


def test_items_are_found_again_after_rows_are_reordered_or_inserted_above():
    body = page(ROW_EMPTY, ROW_OTHER)
    add_alert = items(body)[0]
    changed = page('<tr><td>New first row</td><td>Cy</td><td /></tr>', ROW_OTHER, ROW_EMPTY)
    new = set_ticket(changed, add_alert, "OPS-17")
    assert {i.summary: i.jira_key for i in items(new)} == \
        {"New first row": None, "Fix proxy": None, "Add alert": "OPS-17"}


def test_an_item_whose_summary_was_lightly_edited_is_found_by_position():
    body = page(ROW_EMPTY, ROW_OTHER)
    edited = body.replace("Add alert", "Add an alert for 5xx")
    new = set_ticket(edited, items(body)[0], "OPS-17")
    assert [i.jira_key for i in items(new)] == ["OPS-17", None]


def test_an_item_that_is_no_longer_on_the_page_raises_and_nothing_is_written():
    body = page(ROW_EMPTY, ROW_OTHER)
    gone = page(ROW_OTHER)
    with pytest.raises(ItemNotFound, match="no longer on the page"):
        apply_edits(gone, [(items(body)[0], "OPS-17", None), (items(body)[1], "OPS-18", None)])


def test_editing_a_corpus_page_touches_only_the_ticket_cells():
    body = (CORPUS / "wikibot_template.xml").read_text(encoding="utf-8")
    todo = [item for item in items(body) if item.jira_key is None]
    result = apply_edits(body, [Edit(item, f"OPS-{900 + n}") for n, item in enumerate(todo)])
    empty_cell = "<td><p /></td></tr><tr><td><p>Move the rebalance"
    assert body.count(empty_cell) == 1
    assert result.body == body.replace(empty_cell, f"<td><p>{jira_macro('OPS-900')}</p></td></tr><tr><td><p>Move "
                                                   "the rebalance")
    assert [i.jira_key for i in items(result.body)] == ["OPS-214", "OPS-900", "OPS-230", "OPS-231"]


_TOKEN = re.compile(r"<[^>]+>|[^<]+")
_NEW_CELL_TOKENS = {"<td>", "</td>", "<th>", "</th>", "<p />", "<p>", "</p>", "<strong>", "</strong>", "Ticket",
                    "<col />"}
_EMPTY_CONTENT = re.compile(r"(?:\s|&nbsp;|<p\s*/>|<p>|</p>)*")


def _token_changes(old: str, new: str) -> list[tuple[str, str]]:
    """(old, new) markup of every change, tags and text runs as tokens (so a splice shows whole)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [("".join(a[i1:i2]), "".join(b[j1:j2])) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def _is_written_key(old: str, new: str) -> bool:
    """A change the editor may make: a Jira macro added (after the text there, or into an empty cell),
    a new Ticket cell or column, a group label widened by one column."""
    if 'ac:name="jira"' in new:
        return new.startswith(old) or _EMPTY_CONTENT.fullmatch(old) is not None
    if not old:  # (the diff may align a new cell a tag early: "</td><td><p />" for "<td><p /></td>")
        return set(_TOKEN.findall(new)) <= _NEW_CELL_TOKENS
    return re.sub(r"\d+", "", old) == re.sub(r"\d+", "", new) and "colspan" in old


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.xml")), ids=lambda p: p.stem)
def test_writing_every_missing_key_into_a_corpus_page_changes_nothing_else_and_reads_back(path: Path):
    body = path.read_text(encoding="utf-8")
    before = parse_page(body)
    todo = [item for item in before.action_items if item.jira_key is None]
    keys = {item.identity: f"WB-{n}" for n, item in enumerate(todo, start=1)}
    result = apply_edits(body, [Edit(item, keys[item.identity]) for item in todo])
    assert result.skipped == []
    assert all(_is_written_key(old, new) for old, new in _token_changes(body, result.body)), \
        [change for change in _token_changes(body, result.body) if not _is_written_key(*change)]
    after = parse_page(result.body)
    assert [(i.summary, i.owner, i.due, i.done, i.jira_key or keys[i.identity]) for i in before.action_items] == \
        [(i.summary, i.owner, i.due, i.done, i.jira_key) for i in after.action_items]
    assert {k: v for k, v in after.to_dict().items() if k != "action_items"} == \
        {k: v for k, v in before.to_dict().items() if k != "action_items"}
    assert apply_edits(result.body, [Edit(item, keys[item.identity]) for item in todo]).changed is False


def test_a_list_item_in_a_new_editor_panel_gets_its_key_in_the_panel_and_the_items_after_it_in_theirs():
    from tests.test_pages_actions import ADF_PANEL

    body = f"<h2>Action items</h2>{ADF_PANEL}<ul><li><p>Cap retries</p></li></ul>"
    panel_item, after = items(body)
    new = apply_edits(body, [Edit(panel_item, "OPS-1"), Edit(after, "OPS-2")]).body
    assert new == body.replace("Ana Lima</p></li></ul></ac:adf-content>",
                               f"Ana Lima {jira_macro('OPS-1')}</p></li></ul></ac:adf-content>", 1).replace(
        "Cap retries</p>", f"Cap retries {jira_macro('OPS-2')}</p>")
    assert [(i.summary, i.jira_key) for i in items(new)] == [("Fix the proxy", "OPS-1"), ("Cap retries", "OPS-2")]


def test_a_ticket_cell_spanning_two_rows_is_reported_not_written():
    body = page('<tr><td>Add alert</td><td>Ana</td><td rowspan="2"><p /></td></tr>',
                "<tr><td>Fix proxy</td><td>Bo</td></tr>")
    result = apply_edits(body, [Edit(items(body)[1], "OPS-17")])
    assert result.body == body and "spans several rows" in str(result.skipped[0])


def test_a_new_ticket_column_widens_group_label_rows_instead_of_making_them_items():
    from wikibot.pages import parse_page, set_ticket

    body = ('<h2>Action items</h2><table><tbody><tr><th><p>What</p></th><th><p>Who</p></th></tr>'
            '<tr><td colspan="2"><p><strong>Short term</strong></p></td></tr>'
            '<tr><td><p>Cap retries</p></td><td><p>Ana</p></td></tr>'
            '<tr><td colspan = \'2\' class="x"><p>Long term</p></td></tr>'
            '<tr><td><p>Rotate certs</p></td><td><p>Bob</p></td></tr></tbody></table>')
    model = parse_page(body)
    assert [item.summary for item in model.action_items] == ["Cap retries", "Rotate certs"]
    edited = set_ticket(body, model.action_items[0], "OPS-1")
    assert '<td colspan="3"><p><strong>Short term</strong></p></td>' in edited
    assert "<td colspan = '3' class=\"x\"><p>Long term</p></td>" in edited
    again = parse_page(edited)
    assert [(i.summary, i.jira_key) for i in again.action_items] == [("Cap retries", "OPS-1"), ("Rotate certs", None)]
