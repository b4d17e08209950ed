"""Action items as people write them: lists, tasks in table cells, list task bodies, placeholder tasks,
tables without an action column, and what under Action items could not be read (issue #14, #15.3)."""

from __future__ import annotations

import pytest

from wikibot.pages import Edit, apply_edits, parse_page
from wikibot.pages.model import Unrecognised

ANA = '<ac:link><ri:user ri:account-id="557058:ana" /></ac:link>'


def task(task_id: int, body: str, status: str = "incomplete") -> str:
    return (f"<ac:task><ac:task-id>{task_id}</ac:task-id><ac:task-status>{status}</ac:task-status>"
            f"<ac:task-body>{body}</ac:task-body></ac:task>")


def items(body: str) -> list[tuple]:
    return [(i.summary, i.owner, i.due, i.jira_key, i.done, i.kind) for i in parse_page(body).action_items]


# -- point 3: bulleted and numbered lists ---------------------------------------------------------


@pytest.mark.parametrize(("entry", "summary", "owner", "due"), [
    ("Add an alert on queue age \u2014 Priya Raman", "Add an alert on queue age", "Priya Raman", None),
    ("Add an alert on queue age \u2013 Payments SRE", "Add an alert on queue age", "Payments SRE", None),
    ("Add an alert on queue age (Priya)", "Add an alert on queue age", "Priya", None),
    ("Add an alert on queue age (RabbitMQ)", "Add an alert on queue age (RabbitMQ)", None, None),
    ("Add an alert on queue age, owner: Lea Brandt, due 2026-11-07", "Add an alert on queue age",
     "Lea Brandt", "2026-11-07"),
    (f"Add an alert on queue age {ANA}", "Add an alert on queue age", "557058:ana", None),
    (f"{ANA} add an alert on queue age <time datetime=\"2026-12-03\" />", "add an alert on queue age",
     "557058:ana", "2026-12-03"),
    ("Add an alert on queue age (Tom\u00e1s Ortega) 2026-10-31", "Add an alert on queue age",
     "Tom\u00e1s Ortega", "2026-10-31"),
    ("Add an alert on queue age by 3 Dec 2026", "Add an alert on queue age", None, "2026-12-03"),
    ("Move rotation into the change calendar (owner TBD)", "Move rotation into the change calendar (owner TBD)",
     None, None),
    ("<p>Ask <strong>@dana</strong></p>", "Ask", "dana", None),
    (f"Page on queue age. Owner: {ANA} due 2026-12-01", "Page on queue age.", "557058:ana", "2026-12-01"),
    (f"Page on queue age \u2013 Owner: {ANA}, due <time datetime=\"2026-11-20\" />", "Page on queue age",
     "557058:ana", "2026-11-20"),
    (f"Page on queue age. Who: {ANA} When: <time datetime=\"2026-11-20\" />", "Page on queue age.",
     "557058:ana", "2026-11-20"),
    ("Page on queue age (owner: Dana Whitfield, due 2026-12-10)", "Page on queue age", "Dana Whitfield",
     "2026-12-10"),
    (f"Find out who {ANA}", "Find out who", "557058:ana", None),
    ("Rotate the certificate issued 2026-01-05, due 2026-12-01", "Rotate the certificate issued 2026-01-05", None,
     "2026-12-01"),
    ("Review the 2026-03-01 incident (due 3 Dec 2026)", "Review the 2026-03-01 incident", None, "2026-12-03"),
    ("Ship the fix by Sprint 12, 2026", "Ship the fix by Sprint 12, 2026", None, None),
    (f"Renouveler le certificat \u2014 Responsable : {ANA}, \u00e9ch\u00e9ance <time datetime=\"2026-12-01\" />",
     "Renouveler le certificat", "557058:ana", "2026-12-01"),
    ("Zertifikat erneuern, verantwortlich: Jonas Weber, f\u00e4llig bis 2026-12-01", "Zertifikat erneuern",
     "Jonas Weber", "2026-12-01"),
    ("Revisar el certificado (responsable: Ana P\u00e9rez, plazo 2026-12-01)", "Revisar el certificado",
     "Ana P\u00e9rez", "2026-12-01"),
    (f"Page on queue age {ANA} by <time datetime=\"2026-11-20\" />", "Page on queue age", "557058:ana",
     "2026-11-20"),
    (f"{ANA}: page on queue age", "page on queue age", "557058:ana", None),
    (f"Page on queue age | {ANA} | <time datetime=\"2026-11-20\" />", "Page on queue age", "557058:ana",
     "2026-11-20"),
    ("Find the owner", "Find the owner", None, None),
])
def test_each_list_item_under_action_items_is_an_item_with_owner_and_due(entry, summary, owner, due):
    for tag in ("ul", "ol"):
        body = f"<h2>Action items</h2><{tag}><li>{entry}</li></{tag}>"
        assert items(body) == [(summary, owner, due, None, None, "list")]


@pytest.mark.parametrize(("label", "summary"), [(", ticket:", "Page on queue age"), (" bug", "Page on queue age bug")])
def test_a_label_left_bare_by_a_jira_macro_leaves_the_summary(label: str, summary: str):
    jira = '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-1</ac:parameter></ac:structured-macro>'
    body = f"<h2>Action items</h2><ul><li>Page on queue age{label} {jira}</li></ul>"
    assert items(body) == [(summary, None, None, "OPS-1", None, "list")]


ADF_PANEL = ('<ac:adf-extension><ac:adf-node type="panel"><ac:adf-attribute key="panel-type">note</ac:adf-attribute>'
             "<ac:adf-content><ul><li><p>Fix the proxy \u2014 Ana Lima</p></li></ul></ac:adf-content></ac:adf-node>"
             '<ac:adf-fallback><div class="panel"><div class="panelContent"><ul><li><p>Fix the proxy \u2014 Ana Lima'
             "</p></li></ul></div></div></ac:adf-fallback></ac:adf-extension>")
DECISION = ('<ac:adf-extension><ac:adf-node type="decision-list"><ac:adf-attribute key="local-id">d1</ac:adf-attribute>'
            '<ac:adf-node type="decision-item"><ac:adf-attribute key="state">DECIDED</ac:adf-attribute><ac:adf-content>'
            "Keep the old cluster until March</ac:adf-content></ac:adf-node></ac:adf-node><ac:adf-fallback>"
            '<ul class="decision-list"><li>Keep the old cluster until March</li></ul></ac:adf-fallback>'
            "</ac:adf-extension>")


def test_a_new_editor_panel_is_read_once_not_again_from_its_fallback_and_a_decision_is_no_action():
    model = parse_page(f"<h2>Action items</h2>{ADF_PANEL}<p>Decisions:</p><ul><li>Cap retries</li></ul>{DECISION}")
    assert [(i.summary, i.owner) for i in model.action_items] == [("Fix the proxy", "Ana Lima"), ("Cap retries", None)]
    assert model.sections[0].text.splitlines() == [
        "Fix the proxy \u2014 Ana Lima", "Decisions:", "Cap retries", "Keep the old cluster until March"]
    assert [u.text for u in model.unrecognised] == ["Keep the old cluster until March"]


def test_nested_list_items_are_items_too_and_a_wrapper_item_is_not():
    body = ("<h2>Follow-ups</h2><ul><li>Alerting<ul><li>Add queue-age alert</li><li>Page on it</li></ul></li>"
            "<li><ol><li>Only nested</li></ol></li></ul>")
    assert [i.summary for i in parse_page(body).action_items] == [
        "Alerting", "Add queue-age alert", "Page on it", "Only nested"]
    assert [i.position for i in parse_page(body).action_items] == ["l1i1", "l1i2", "l1i3", "l1i5"]


def test_owner_due_and_ticket_lines_under_an_item_are_its_fields_not_items_of_their_own():
    body = ("<h2>Action items</h2><ul><li>Write the failover runbook<ul><li>Owner: Carla Souza</li>"
            '<li>Due: <time datetime="2026-12-04" /></li><li>Ticket: OPS-41</li><li>Page the DBA on lag</li></ul></li>'
            f"<li>Add a lag alert<ul><li>Owner: {ANA}</li><li>Issue: lag is not graphed</li></ul></li>"
            "<li>Cap the retries<ul><li>Owner: TBD</li></ul></li><li><ul><li>Owner: under no item</li></ul></li></ul>")
    assert items(body) == [("Write the failover runbook", "Carla Souza", "2026-12-04", "OPS-41", None, "list"),
                           ("Page the DBA on lag", None, None, None, None, "list"),
                           ("Add a lag alert", "557058:ana", None, None, None, "list"),
                           ("Issue: lag is not graphed", None, None, None, None, "list"),
                           ("Cap the retries", None, None, None, None, "list"),
                           ("Owner: under no item", None, None, None, None, "list")]
    assert parse_page(body).action_items[2].owner_is_user


@pytest.mark.parametrize(("line", "owner", "due", "written"), [
    ("Encargado: Ana", "Ana", None, None),
    ("Wer: Ana", "Ana", None, None),
    ("Quién: Ana", "Ana", None, None),
    ("Fecha: 2026-12-01", None, "2026-12-01", None),
    ("Termin: 2026-12-01", None, "2026-12-01", None),
    ("Data limite: 2026-12-01", None, "2026-12-01", None),
    ("Due: next sprint", None, None, "next sprint"),
    ("When: after the migration", None, None, "after the migration"),
])
def test_a_field_line_takes_every_label_an_owner_or_due_column_may_have_and_keeps_a_due_that_is_no_date(
        line, owner, due, written):
    [item] = parse_page(f"<h2>Action items</h2><ul><li>Fix the proxy<ul><li>{line}</li></ul></li></ul>").action_items
    assert (item.summary, item.owner, item.due, item.due_written) == ("Fix the proxy", owner, due, written)


def test_a_target_line_under_an_item_is_an_item_of_its_own_not_a_due_date():
    body = "<h2>Action items</h2><ul><li>Fix the proxy<ul><li>Target: 99.9%</li></ul></li></ul>"
    assert [i.summary for i in parse_page(body).action_items] == ["Fix the proxy", "Target: 99.9%"]


def test_a_key_written_into_an_item_with_field_lines_goes_into_the_item_and_reads_back():
    body = "<h2>Action items</h2><ul><li>Add a lag alert<ul><li>Owner: Ana</li></ul></li></ul>"
    [item] = parse_page(body).action_items
    new = apply_edits(body, [Edit(item, "OPS-5")]).body
    assert new.index("OPS-5") < new.index("<ul><li>Owner")
    assert items(new) == [("Add a lag alert", "Ana", None, "OPS-5", None, "list")]


@pytest.mark.parametrize("entry", ["@bob add the alert", "@bob: add the alert", "@bob \u2014 add the alert"])
def test_a_leading_mention_typed_as_text_is_the_owner(entry: str):
    assert items(f"<h2>Action items</h2><ul><li>{entry}</li></ul>") == [
        ("add the alert", "bob", None, None, None, "list")]


@pytest.mark.parametrize("entry", ["@here: rotate the keys", "Rotate the keys @channel", "Rotate the keys — @oncall"])
def test_a_mention_of_many_people_pasted_from_slack_names_no_owner(entry: str):
    [item] = parse_page(f"<h2>Action items</h2><ul><li>{entry}</li></ul>").action_items
    assert item.owner is None and item.summary == entry


def test_list_items_read_their_ticket_and_checkbox():
    jira = ('<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-9</ac:parameter>'
            "</ac:structured-macro>")
    body = (f"<h2>Next steps</h2><ol><li>[x] Add a dead-letter queue {jira}</li>"
            '<li>[ ] Alert on retries (<a href="https://jira.example.com/browse/PAY-12">PAY-12</a>)</li>'
            "<li>Rotate keys \u2014 Ana (OPS-77)</li></ol>")
    assert items(body) == [("Add a dead-letter queue", None, None, "OPS-9", True, "list"),
                           ("Alert on retries", None, None, "PAY-12", False, "list"),
                           ("Rotate keys", "Ana", None, "OPS-77", None, "list")]


@pytest.mark.parametrize("struck", ["<s>{}</s>", "<del>{}</del>", "<strike>{}</strike>",
                                    '<span style="text-decoration: line-through;">{}</span>'])
def test_a_list_item_or_action_cell_struck_through_as_a_whole_is_done(struck: str):
    body = (f"<h2>Action items</h2><ul><li>{struck.format('Rotate the keys')} \u2014 Ana</li>"
            f"<li>Use the {struck.format('v1')} v2 client</li><li>[ ] {struck.format('Checkbox wins')}</li></ul>"
            "<table><tbody><tr><th>Action</th><th>Owner</th></tr>"
            f"<tr><td><p>{struck.format('Drain the queue')}</p></td><td>Bo</td></tr></tbody></table>")
    assert [(i.summary, i.done) for i in parse_page(body).action_items] == [
        ("Rotate the keys", True), ("Use the v1 v2 client", None), ("Checkbox wins", False), ("Drain the queue", True)]


def test_a_struck_item_stays_done_with_the_same_identity_once_its_key_is_written():
    body = "<h2>Action items</h2><ul><li><s>Rotate the keys</s></li></ul>"
    [item] = parse_page(body).action_items
    [after] = parse_page(apply_edits(body, [Edit(item, "OPS-3")]).body).action_items
    assert (after.done, after.jira_key, after.identity) == (True, "OPS-3", item.identity)


def test_a_status_column_wins_over_strike_through():
    body = ("<h2>Action items</h2><table><tbody><tr><th>Action</th><th>Status</th></tr>"
            "<tr><td><s>Drain the queue</s></td><td>Open</td></tr></tbody></table>")
    assert [i.done for i in parse_page(body).action_items] == [False]


def test_adding_an_owner_or_a_date_to_a_list_item_keeps_its_identity():
    before = parse_page("<h2>Action items</h2><ul><li>Add alert</li></ul>").action_items[0]
    after = parse_page("<h2>Action items</h2><ul><li>Add alert \u2014 Ana, due 2026-12-01</li></ul>").action_items[0]
    assert before.identity == after.identity and (after.owner, after.due) == ("Ana", "2026-12-01")


def test_lists_outside_action_items_are_not_items():
    assert items("<h2>Impact</h2><ul><li>Slow checkout \u2014 Ana</li></ul>") == []


def test_a_list_inside_an_expand_is_read_and_one_inside_an_unknown_macro_is_reported():
    body = ('<h2>Action items</h2><ac:structured-macro ac:name="expand"><ac:rich-text-body><ul><li>In expand</li>'
            '</ul></ac:rich-text-body></ac:structured-macro><ac:structured-macro ac:name="vendor-widget">'
            "<ac:rich-text-body><ul><li>In widget</li></ul></ac:rich-text-body></ac:structured-macro>")
    model = parse_page(body)
    assert [i.summary for i in model.action_items] == ["In expand"]
    assert model.unrecognised == [Unrecognised("Action items", "macro", "In widget")]


# -- point 4: tasks in table cells ----------------------------------------------------------------


def test_a_task_list_in_the_task_column_yields_its_tasks_with_the_rows_owner_and_date():
    tasks = task(1, "Rebuild on a replica") + task(2, f"Alert on build time {ANA}", "complete")
    cell = f"<ac:task-list>{tasks}</ac:task-list>"
    body = ("<h2>Action items</h2><table><tbody><tr><th>Area</th><th>Tasks</th><th>Owner</th><th>Due</th></tr>"
            f"<tr><td>Index</td><td>{cell}</td><td>Bo</td><td>2026-10-30</td></tr></tbody></table>")
    assert items(body) == [("Rebuild on a replica", "Bo", "2026-10-30", None, False, "task"),
                           ("Alert on build time", "557058:ana", "2026-10-30", None, True, "task")]
    first, second = parse_page(body).action_items
    assert (first.owner_is_user, second.owner_is_user) == (False, True)


def test_a_task_reads_an_owner_and_date_written_after_it_as_a_list_item_does():
    tasks = (task(1, f"Add a soak period. Owner: {ANA} due 2026-12-01")
             + task(2, "Document the limits (owner: Ines Duarte, due 15 Dec 2026)"))
    assert items(f"<h2>Action items</h2><ac:task-list>{tasks}</ac:task-list>") == [
        ("Add a soak period.", "557058:ana", "2026-12-01", None, False, "task"),
        ("Document the limits", "Ines Duarte", "2026-12-15", None, False, "task")]
    body = ("<h2>Action items</h2><table><tbody><tr><th>Tasks</th><th>Owner</th></tr>"
            f"<tr><td><ac:task-list>{tasks}</ac:task-list></td><td>Bo</td></tr></tbody></table>")
    assert [(i.owner, i.owner_is_user) for i in parse_page(body).action_items] == [
        ("557058:ana", True), ("Ines Duarte", False)]


def test_a_task_in_a_status_column_is_still_the_rows_checkbox():
    body = ("<h2>Action items</h2><table><tbody><tr><th>Action</th><th>Done</th></tr><tr><td>Add alert</td>"
            f"<td><ac:task-list>{task(5, '')}</ac:task-list></td></tr></tbody></table>")
    assert items(body) == [("Add alert", None, None, None, False, "row")]


def test_tasks_in_a_table_without_an_action_column_are_still_tasks():
    body = ("<h2>Action items</h2><table><tbody><tr><th>Team</th><th>Notes</th></tr>"
            f"<tr><td>Search</td><td><ac:task-list>{task(8, 'Page on-call')}</ac:task-list></td></tr></tbody></table>")
    model = parse_page(body)
    assert [(i.summary, i.kind) for i in model.action_items] == [("Page on-call", "task")]
    assert model.unrecognised == []


# -- points 5 and 6: task bodies that are lists, empty and placeholder tasks ----------------------


def test_a_task_whose_body_is_a_list_reads_the_lists_text():
    nested = task(3, "<ol><li><ul><li>Document the rebuild</li></ul></li></ol>")
    body = f"<h2>Action items</h2><ac:task-list>{nested}</ac:task-list>"
    assert items(body) == [("Document the rebuild", None, None, None, False, "task")]


def test_a_task_with_text_keeps_its_summary_without_its_nested_list():
    body = f"<h2>Action items</h2><ac:task-list>{task(3, 'Rebuild<ul><li>detail</li></ul>')}</ac:task-list>"
    assert [i.summary for i in parse_page(body).action_items] == ["Rebuild"]


@pytest.mark.parametrize("task_body", [
    '<ac:placeholder ac:type="mention">Type your task here.</ac:placeholder>',
    "",
    "<p>&nbsp;</p>",
])
def test_empty_and_placeholder_tasks_are_not_items(task_body: str):
    body = f"<h2>Action items</h2><ac:task-list>{task(4, task_body)}{task(5, 'Real one')}</ac:task-list>"
    assert [i.summary for i in parse_page(body).action_items] == ["Real one"]
    self_closing = ("<h2>Action items</h2><ac:task-list><ac:task><ac:task-id>6</ac:task-id><ac:task-status>"
                    "incomplete</ac:task-status><ac:task-body /></ac:task></ac:task-list>")
    assert parse_page(self_closing).action_items == []


def test_a_task_with_only_an_owner_is_still_an_item():
    body = f"<h2>Action items</h2><ac:task-list>{task(7, ANA)}</ac:task-list>"
    assert items(body) == [("", "557058:ana", None, None, False, "task")]


# -- point 7: tables without an action column -----------------------------------------------------


def test_a_metrics_table_under_action_items_gives_no_items_and_is_reported():
    body = ("<h2>Action items</h2><table><tbody><tr><th>#</th><th>Metric</th><th>Value</th></tr>"
            "<tr><td>1</td><td>Error rate</td><td>41 %</td></tr><tr><td>Total</td><td colspan=\"2\">48 %</td></tr>"
            "</tbody></table>")
    model = parse_page(body)
    assert model.action_items == []
    assert model.unrecognised == [Unrecognised("Action items", "table", "# | Metric | Value")]


@pytest.mark.parametrize("headers", [["Action", "Notes"], ["", "Owner"], ["Problem", "Due date"], ["Tasks"],
                                     ["Next steps", "Who"]])
def test_a_table_naming_the_action_or_an_owner_or_a_due_date_is_read(headers: list[str]):
    head = "".join(f"<th>{h}</th>" for h in headers)
    row = "".join(f"<td>{'Add alert' if i == 0 else 'x'}</td>" for i in range(len(headers)))
    body = f"<h2>Action items</h2><table><tbody><tr>{head}</tr><tr>{row}</tr></tbody></table>"
    assert [i.summary for i in parse_page(body).action_items] == ["Add alert"]


def test_an_action_cell_holding_only_a_list_is_one_item_whose_summary_is_the_list():
    body = ("<h2>Action items</h2><table><tbody><tr><th>Action</th><th>Owner</th></tr>"
            "<tr><td><ol><li><p>Patch the resolver</p></li><li><p>Roll it out</p></li></ol></td><td>Ana</td></tr>"
            "<tr><td><p>Alert on lag</p><ul><li>details, not the action</li></ul></td><td>Bo</td></tr></tbody></table>")
    assert items(body) == [("Patch the resolver; Roll it out", "Ana", None, None, None, "row"),
                           ("Alert on lag", "Bo", None, None, None, "row")]
    [first, _] = parse_page(body).action_items
    assert items(apply_edits(body, [Edit(first, "OPS-8")]).body)[0][3] == "OPS-8"


CERTS = "Zertifikate inventarisieren"


@pytest.mark.parametrize(("heading", "headers", "summary", "done"), [
    ("Action items", ("Ma\u00dfnahme", "Verantwortlich", "F\u00e4llig bis", "Erledigt"), CERTS, "ja"),
    ("Action items", ("Action corrective", "Responsable", "\u00c9ch\u00e9ance", "Statut"), CERTS, "Termin\u00e9"),
    ("Action items", ("Acci\u00f3n", "Responsable", "Fecha l\u00edmite", "Estado"), CERTS, "Hecho"),
    ("A\u00e7\u00f5es corretivas", ("A\u00e7\u00e3o", "Respons\u00e1vel", "Prazo", "Situa\u00e7\u00e3o"),
     "Inventariar certificados", "Conclu\u00eddo"),
    ("A\u00e7\u00f5es corretivas", ("対応内容", "担当者", "期限", "ステータス"), "Inventariar certificados", "完了"),
])
def test_a_table_with_german_french_spanish_portuguese_or_japanese_column_names_is_read_as_in_english(
        heading: str, headers: tuple[str, ...], summary: str, done: str):
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = (f"<h2>{heading}</h2><table><tbody><tr>{head}</tr><tr><td>{summary}</td>"
            f"<td>{ANA}</td><td><time datetime=\"2026-12-15\" /></td><td>{done}</td></tr></tbody></table>")
    assert items(body) == [(summary, "557058:ana", "2026-12-15", None, True, "row")]


def test_a_jira_macro_or_browse_link_in_the_summary_cell_is_the_rows_ticket_when_its_own_cell_has_none():
    jira = '<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-1</ac:parameter></ac:structured-macro>'
    body = ("<h2>Action items</h2><table><tbody><tr><th>Action</th><th>Owner</th><th>Ticket</th></tr>"
            f"<tr><td>Cap retries {jira}</td><td>Ana</td><td /></tr>"
            '<tr><td>Rotate certs (<a href="https://j.example/browse/OPS-2">OPS-2</a>)</td><td>Bo</td><td /></tr>'
            "<tr><td>Backport the fix for KAFKA-1234</td><td>Cy</td><td /></tr></tbody></table>")
    assert [(i.summary, i.jira_key) for i in parse_page(body).action_items] == [
        ("Cap retries", "OPS-1"), ("Rotate certs", "OPS-2"), ("Backport the fix for KAFKA-1234", None)]
    without_column = body.replace("<th>Ticket</th>", "").replace("<td /></tr>", "</tr>")
    first = parse_page(without_column).action_items[0]
    assert first.jira_key == "OPS-1"
    assert apply_edits(without_column, [Edit(first, "OPS-1")]).changed is False  # never a second ticket


SMART_LINK = '<a href="https://acme.atlassian.net/browse/OPS-7" data-card-appearance="inline">https://acme.atlassian.net/browse/OPS-7</a>'


@pytest.mark.parametrize("entry", [
    f"Fix the proxy {SMART_LINK}", f"Fix the proxy ({SMART_LINK})",
    '<a href="https://acme.atlassian.net/browse/OPS-7">OPS-7</a>: Fix the proxy',
])
def test_a_pasted_issue_link_is_the_items_ticket_and_no_part_of_its_summary(entry: str):
    for body in (f"<h2>Action items</h2><ul><li>{entry}</li></ul>",
                 f"<h2>Action items</h2><table><tr><th>Action</th><th>Owner</th></tr><tr><td>{entry}</td><td /></tr>"
                 "</table>"):
        assert [(i.summary, i.jira_key) for i in parse_page(body).action_items] == [("Fix the proxy", "OPS-7")]
    described = '<h2>Action items</h2><ul><li><a href="https://j.example/browse/OPS-7">Fix the proxy</a></li></ul>'
    assert [(i.summary, i.jira_key) for i in parse_page(described).action_items] == [("Fix the proxy", "OPS-7")]


def test_a_mention_that_shows_a_name_gives_the_owner_not_words_of_the_summary():
    mention = ('<ac:link><ri:user ri:userkey="k5" /><ac:plain-text-link-body><![CDATA[Ana Lima]]>'
               "</ac:plain-text-link-body></ac:link>")
    task_list = f"<ac:task-list>{task(1, f'Fix the proxy {mention}')}</ac:task-list>"
    for body in (f"<h2>Action items</h2><ul><li>Fix the proxy {mention}</li></ul>",
                 f"<h2>Action items</h2>{task_list}"):
        assert [(i.summary, i.owner) for i in parse_page(body).action_items] == [("Fix the proxy", "k5")]


def test_a_table_without_owner_and_due_columns_reads_its_rows_as_list_items():
    body = ("<h2>Action items</h2><table><tbody><tr><th>Action</th><th>Status</th></tr>"
            f"<tr><td>Cap retries \u2014 Ana Lima, due 2026-12-01</td><td>Open</td></tr>"
            f"<tr><td>[x] Rotate certs {ANA} <time datetime=\"2026-11-03\" /></td><td /></tr></tbody></table>")
    assert items(body) == [("Cap retries", "Ana Lima", "2026-12-01", None, False, "row"),
                           ("Rotate certs", "557058:ana", "2026-11-03", None, None, "row")]
    headerless = f"<h2>Action items</h2><table><tbody><tr><td>[x] Rotate certs {ANA}</td></tr></tbody></table>"
    assert items(headerless) == [("Rotate certs", "557058:ana", None, None, True, "row")]


def test_a_headerless_table_under_action_items_is_still_read_as_rows():
    body = "<h2>Action items</h2><table><tbody><tr><td>Add alert</td><td>Ana</td></tr></tbody></table>"
    assert [i.summary for i in parse_page(body).action_items] == ["Add alert"]


def test_an_empty_table_without_an_action_column_is_not_reported():
    body = "<h2>Action items</h2><table><tbody><tr><th>Metric</th></tr><tr><td><p /></td></tr></tbody></table>"
    assert parse_page(body).unrecognised == []


# -- what under Action items is not read as items (issue #15, item 3) -----------------------------


def test_prose_after_the_items_or_without_items_is_reported_an_intro_above_items_is_not():
    body = ("<h2>Action items</h2><p>We agreed on these:</p><ul><li>Add alert</li></ul><p>Also rotate the keys.</p>"
            "<h2>Follow-ups</h2><p>Nothing yet, see next week.</p>")
    assert parse_page(body).unrecognised == [
        Unrecognised("Action items", "text", "Also rotate the keys."),
        Unrecognised("Follow-ups", "text", "Nothing yet, see next week."),
    ]


def test_template_guidance_and_instruction_panels_under_action_items_are_not_reported():
    body = ('<h2>Action items</h2><p><ac:placeholder>List the actions.</ac:placeholder></p>'
            '<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Instructions</ac:parameter>'
            "<ac:rich-text-body><p>One row per action.</p></ac:rich-text-body></ac:structured-macro>"
            "<p>Write one row per action.</p>")
    assert parse_page(body, instructions=["Write one row per action."]).unrecognised == []


def test_long_unrecognised_text_is_quoted_short():
    body = "<h2>Action items</h2><p>" + "word " * 100 + "</p>"
    (note,) = parse_page(body).unrecognised
    assert len(note.text) <= 80 and note.text.endswith("\u2026")


def test_content_outside_action_items_is_never_reported():
    body = "<h2>Impact</h2><table><tbody><tr><th>Metric</th></tr><tr><td>9</td></tr></tbody></table><p>Prose.</p>"
    assert parse_page(body).unrecognised == []
