"""Reading post-mortem pages: sections, action items, deferred items, properties, malformed input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from wikibot.pages import ActionItem, PageParseError, decode_body, format_table, parse_page

CORPUS = Path(__file__).parent / "corpus"
CORPUS_PAGES = sorted(CORPUS.glob("*.xml"))


def action_table(headers: list[str], *rows: list[str], header_cell: str = "th") -> str:
    head = "".join(f"<{header_cell}><p>{h}</p></{header_cell}>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<h2>Action items</h2><table><tbody><tr>{head}</tr>{body}</tbody></table>"


def only_item(body: str) -> ActionItem:
    items = parse_page(body).action_items
    assert len(items) == 1, items
    return items[0]


# -- corpus -------------------------------------------------------------------------------------


def test_corpus_has_pages_in_several_team_styles():
    assert len(CORPUS_PAGES) >= 5


@pytest.mark.parametrize("page", CORPUS_PAGES, ids=lambda p: p.stem)
def test_corpus_page_parses_to_its_expected_json(page: Path):
    expected = json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert parse_page(page.read_text(encoding="utf-8")).to_dict() == expected


def test_a_corpus_section_no_synonym_names_is_read_with_a_configured_alias():
    body = (CORPUS / "cloudflare_blog_style.xml").read_text(encoding="utf-8")
    heading = "What we\u2019re doing to make sure this doesn\u2019t happen again"
    model = parse_page(body, aliases={heading: "Action items"})
    assert [(i.summary, i.owner, i.due, i.jira_key) for i in model.action_items][:3] == [
        ("Deploy rate-limiting rules progressively, region by region, with automatic rollback on CPU.",
         "63f1a2b3c4d5e6f7a8b9c0d1", "2026-12-01", None),
        # (a trailing "— name" is an owner only in capitals: "— retry storms" must stay in the summary)
        ("Run every new expression through a back-tracking check in CI \u2014 Edge Security team", None, None, None),
        ("Move the kill switch off the control plane", None, None, "EDGE-5120")]
    assert model.unrecognised == []  # "The following work is planned:" introduces the items


def test_to_dict_has_exactly_the_cli_contract_keys():
    data = parse_page((CORPUS / "wikibot_template.xml").read_text(encoding="utf-8")).to_dict()
    assert set(data) == {"sections", "action_items", "deferred", "properties", "unrecognised"}
    assert all(set(s) == {"title", "name", "status"} for s in data["sections"])
    assert all(set(i) == {"summary", "owner", "due", "priority", "jira_key", "done"}
               for i in data["action_items"])
    assert all(set(d) == {"summary"} for d in data["deferred"])
    assert data["properties"]["Severity"] == "SEV-1"
    json.dumps(data)


# -- sections -----------------------------------------------------------------------------------


def test_sections_split_at_the_highest_heading_level_and_deeper_headings_belong_to_their_parent():
    model = parse_page("<h2>Impact</h2><h3>Customers</h3><p>Many.</p><h2>Trigger</h2><p>A deploy.</p>")
    assert [(s.title, s.level) for s in model.sections] == [("Impact", 2), ("Trigger", 2)]
    assert model.sections[0].text == "Customers\nMany."


# -- known sections under a group title -----------------------------------------------------------

HOWD_WE_DO = ("<h2>Overview</h2><p>Queue delays.</p><h2>Root Cause</h2><p>A job targeted a host name.</p>"
              "<h2>How\u2019d We Do?</h2>"
              "<h3>What Went Well</h3><ul><li>Paging worked.</li></ul>"
              "<h3>What Didn\u2019t Go Well</h3><ul><li>Nobody knew the job ran there.</li></ul>"
              "<h2>Action Items</h2><ul><li>Target the replica role \u2014 Ana Silva</li></ul>"
              "<h2>Messaging</h2><h3>Internal</h3><p>Delayed.</p><h3>External</h3><p>Late.</p>")


LEAD = ("<h2>Summary</h2><p>It broke.</p><h2>Impact</h2><p>Slow.</p><h2>Resolution</h2><p>Rolled back.</p>"
        "<h2>Detection</h2><p>An alert.</p>")
"""Four known h2 sections: the page's sections are at h2 however many known h3s follow."""


def outline(body: str, **kwargs) -> list[tuple[str, str, int, str]]:
    """(name, status, level, text) of the sections after :data:`LEAD`."""
    return [(s.name, s.status, s.level, s.text) for s in parse_page(LEAD + body, **kwargs).sections][4:]


def test_known_sections_under_a_heading_that_names_none_are_sections_of_their_own():
    assert [(s.name, s.status, s.level, s.text) for s in parse_page(HOWD_WE_DO).sections] == [
        ("Summary", "filled", 2, "Queue delays."), ("Root Cause", "filled", 2, "A job targeted a host name."),
        ("How\u2019d We Do?", "filled", 2, ""),
        ("What went well", "filled", 3, "Paging worked."),
        ("What didn't go well", "filled", 3, "Nobody knew the job ran there."),
        ("Action items", "filled", 2, "Target the replica role \u2014 Ana Silva"),
        ("Messaging", "filled", 2, "Internal\nDelayed.\nExternal\nLate.")]
    assert [(i.summary, i.owner) for i in parse_page(HOWD_WE_DO).action_items] == [
        ("Target the replica role", "Ana Silva")]


@pytest.mark.parametrize(("group", "nested", "names"), [
    ("Retrospective", ["What went well", "What went wrong", "Where we got lucky"],
     ["What went well", "What didn't go well", "Where we got lucky"]),
    ("Analysis", ["Root cause", "Trigger"], ["Root Cause", "Trigger"]),  # a catch-all is a group title too
    ("Appendix", ["Timeline"], ["Timeline of events"]),
])
def test_group_titles_seen_on_real_pages_hold_sections_of_their_own(group: str, nested: list[str],
                                                                     names: list[str]):
    body = f"<h2>{group}</h2>" + "".join(f"<h3>{title}</h3><p>About {title.lower()}.</p>" for title in nested)
    group_name = parse_page(f"<h2>{group}</h2>").sections[0].name
    assert [(name, level) for name, _, level, _ in outline(body)] == [
        (group_name, 2), *((name, 3) for name in names)]


def test_a_nested_heading_whose_section_the_page_already_has_stays_text_of_its_group():
    body = ("<h2>Root Cause</h2><p>A job targeted a host name.</p><h2>Retrospective</h2><p>We met on Friday.</p>"
            "<h3>Root cause</h3><p>Also: no runbook.</p><h3>What went well</h3><p>Paging.</p>")
    assert outline(body) == [("Root Cause", "filled", 2, "A job targeted a host name."),
                             ("Retrospective", "filled", 2, "We met on Friday.\nRoot cause\nAlso: no runbook."),
                             ("What went well", "filled", 3, "Paging.")]


def test_a_known_section_keeps_its_sub_headings_even_when_they_name_sections():
    body = ("<h2>Lessons learned</h2><h3>What went well</h3><p>Paging.</p><h3>What went wrong</h3><p>Docs.</p>"
            "<h2>What happened</h2><h3>Trigger</h3><p>A deploy.</p>")
    assert outline(body) == [("Lessons learned", "filled", 2, "What went well\nPaging.\nWhat went wrong\nDocs."),
                             ("Summary", "filled", 2, "Trigger\nA deploy.")]


def test_a_nested_section_holds_its_sub_headings_and_ends_at_a_heading_of_its_level():
    body = ("<h2>Retrospective</h2><p>Intro.</p><h3>Root cause</h3><p>No runbook.</p><h4>Trigger</h4><p>A deploy.</p>"
            "<h3>Open questions</h3><p>Who owns the job?</p><h3>What went well</h3><p>Paging.</p>"
            "<h2>Lessons learned</h2><p>Practise.</p>")
    assert outline(body) == [
        ("Retrospective", "filled", 2, "Intro.\nOpen questions\nWho owns the job?"),
        ("Root Cause", "filled", 3, "No runbook.\nTrigger\nA deploy."),
        ("What went well", "filled", 3, "Paging."), ("Lessons learned", "filled", 2, "Practise.")]


def test_a_known_section_under_a_group_sub_heading_is_a_section_of_its_own():
    body = "<h2>Retrospective</h2><h3>Discussion</h3><p>Long.</p><h4>What went well</h4><p>Paging.</p>"
    assert outline(body) == [("Retrospective", "filled", 2, "Discussion\nLong."),
                             ("What went well", "filled", 4, "Paging.")]


@pytest.mark.parametrize(("nested", "statuses"), [
    ("<h3>What went well</h3><p>Paging.</p><h3>What went wrong</h3>", ["filled", "filled", "empty"]),
    ("<h3>What went well</h3><p><ac:placeholder>List what worked</ac:placeholder></p><h3>What went wrong</h3><p />",
     ["placeholder", "placeholder", "empty"]),
    ("<h3>What went well</h3><h3>What went wrong</h3><p>&nbsp;</p>", ["empty", "empty", "empty"]),
])
def test_a_group_title_is_as_written_as_the_best_of_its_sections_and_each_has_its_own_status(
        nested: str, statuses: list[str]):
    assert [status for _, status, _, _ in outline(f"<h2>Retrospective</h2>{nested}")] == statuses


def test_a_group_titles_own_text_decides_its_status_when_its_sections_are_unwritten():
    body = "<h2>Retrospective</h2><p>Held on 4 Nov.</p><h3>What went well</h3><h3>What went wrong</h3>"
    assert outline(body) == [("Retrospective", "filled", 2, "Held on 4 Nov."), ("What went well", "empty", 3, ""),
                             ("What didn't go well", "empty", 3, "")]


def test_template_guidance_in_a_nested_section_is_a_placeholder():
    body = "<h2>Retrospective</h2><h3>What went well</h3><p>List what worked.</p><h3>What went wrong</h3><p>Docs.</p>"
    assert [(name, status) for name, status, _, _ in outline(body, instructions=["List what worked."])] == [
        ("Retrospective", "filled"), ("What went well", "placeholder"), ("What didn't go well", "filled")]


def test_action_items_and_wish_lists_under_a_group_are_sections_and_keep_their_scopes():
    body = ("<h2>Follow-through</h2><h3>Action items</h3><ul><li>Add an alert \u2014 Ana Silva</li></ul>"
            "<h3>Nice to have</h3><ul><li>Rewrite the scheduler</li></ul>")
    assert [(name, level) for name, _, level, _ in outline(body)] == [
        ("Follow-through", 2), ("Action items", 3), ("Things we should do if we have time", 3)]
    model = parse_page(LEAD + body)
    assert [(i.summary, i.owner) for i in model.action_items] == [("Add an alert", "Ana Silva")]
    assert [d.summary for d in model.deferred] == ["Rewrite the scheduler"]


NESTED_TITLES = ["Retrospective", "Open questions", "What went well", "What went wrong", "Root cause", "Trigger",
                 "Lessons learned", "Analysis", "Action items", "Summary"]


@given(st.lists(st.tuples(st.integers(2, 4), st.sampled_from(NESTED_TITLES)), max_size=8))
def test_whatever_the_nesting_every_paragraph_is_text_of_exactly_one_section(headings: list[tuple[int, str]]):
    body = LEAD + "".join(f"<h{level}>{title}</h{level}><p>p{i}.</p>" for i, (level, title) in enumerate(headings))
    sections = parse_page(body).sections
    assume(sections[0].level == 2)
    lines = [line for s in sections for line in s.text.splitlines()]
    assert sorted(line for line in lines if line.startswith("p")) == sorted(f"p{i}." for i in range(len(headings)))


def test_headings_before_the_first_section_or_after_a_higher_heading_are_never_nested_sections():
    body = ("<h1>Postmortem</h1><h3>What went well</h3><p>Intro.</p>" + LEAD
            + "<h2>Retrospective</h2><p>x</p><h1>Appendix</h1><h3>Root cause</h3><p>logs</p>")
    assert [s.name for s in parse_page(body).sections][4:] == ["Retrospective"]


GDOCS = ("<p><strong>Summary</strong></p><p>The primary failed over twice.</p>"
         '<p><span style="font-size: 18.0px;"><b>Root cause:</b></span></p><p>A stale config.</p>'
         "<p><u><strong>Action Items</strong></u></p><ul><li>Pin the config \u2014 Ana Silva</li></ul>"
         "<p><strong>Nice to have</strong></p><ul><li>Rewrite the failover script</li></ul>")


def test_on_a_page_without_headings_a_wholly_bold_paragraph_naming_a_section_is_its_heading():
    model = parse_page(GDOCS)
    assert [(s.title, s.name, s.status) for s in model.sections] == [
        ("Summary", "Summary", "filled"), ("Root cause", "Root Cause", "filled"),
        ("Action Items", "Action items", "filled"), ("Nice to have", "Things we should do if we have time", "filled")]
    assert [(i.summary, i.owner) for i in model.action_items] == [("Pin the config", "Ana Silva")]
    assert [d.summary for d in model.deferred] == ["Rewrite the failover script"]


def test_a_bold_paragraph_under_an_h1_title_is_a_section_heading_below_it():
    model = parse_page("<h1>INC-42: failover loop</h1>" + GDOCS)
    assert [s.title for s in model.sections] == ["Summary", "Root cause", "Action Items", "Nice to have"]


def test_one_real_section_heading_added_to_a_pasted_document_does_not_hide_its_bold_headings():
    model = parse_page(GDOCS + "<h2>Appendix</h2><p>Graphs of the replication lag.</p>")
    assert [s.title for s in model.sections][:3] == ["Summary", "Root cause", "Action Items"]
    assert [(i.summary, i.owner) for i in model.action_items] == [("Pin the config", "Ana Silva")]


def test_a_second_bold_paragraph_naming_a_section_already_started_labels_a_group_instead():
    body = ("<p><strong>Detection</strong></p><p>A customer told us.</p><p><strong>Action items</strong></p>"
            "<p><strong>Detection</strong></p><ul><li>Alert on replication lag</li></ul>")
    model = parse_page(body)
    assert [s.title for s in model.sections] == ["Detection", "Action items"]
    assert [i.summary for i in model.action_items] == ["Alert on replication lag"]


def test_bold_detection_or_response_under_bold_action_items_label_groups_of_actions():
    body = ("<p><strong>Summary</strong></p><p>It broke.</p><p><strong>Action items</strong></p>"
            "<p><strong>Detection</strong></p><ul><li>Alert on replication lag</li></ul>"
            "<p><strong>Response</strong></p><ul><li>Write the failover runbook</li></ul>"
            "<p><strong>Lessons learned</strong></p><p>Practise failovers.</p>")
    model = parse_page(body)
    assert [s.title for s in model.sections] == ["Summary", "Action items", "Lessons learned"]
    assert [i.summary for i in model.action_items] == ["Alert on replication lag", "Write the failover runbook"]
    assert model.unrecognised == []


def test_bold_paragraph_headings_in_layout_cells_start_sections_and_bold_labels_in_tables_or_panels_do_not():
    cell = "<ac:layout><ac:layout-section ac:type=\"two_equal\"><ac:layout-cell>{}</ac:layout-cell>" \
           "<ac:layout-cell>{}</ac:layout-cell></ac:layout-section></ac:layout>"
    body = cell.format("<p><strong>Summary</strong></p><p>It broke.</p>",
                       "<p><strong>Action items</strong></p><ul><li>Fix it</li></ul>"
                       "<table><tbody><tr><td><p><strong>Timeline</strong></p></td></tr></tbody></table>"
                       '<ac:structured-macro ac:name="info"><ac:rich-text-body><p><strong>Lessons learned</strong></p>'
                       "</ac:rich-text-body></ac:structured-macro>")
    model = parse_page(body)
    assert [s.title for s in model.sections] == ["Summary", "Action items"]
    assert [i.summary for i in model.action_items] == ["Fix it"]


@pytest.mark.parametrize("body", [
    "<h2>Summary</h2><p>x</p><p><strong>Action items</strong></p><ul><li>Stays under Summary</li></ul>",
    "<p><strong>Action items</strong> are below.</p><ul><li>Not a heading: not all bold</li></ul>",
    "<p><strong>We rolled back at 10:42</strong></p><ul><li>Not a heading: no section name</li></ul>",
    "<ul><li><strong>Action items</strong></li><li>Not a paragraph</li></ul>",
])
def test_a_bold_paragraph_is_text_on_a_page_with_section_headings_or_when_it_is_no_section_name(body: str):
    assert parse_page(body).action_items == []


def test_content_before_the_first_heading_is_not_a_section():
    model = parse_page("<p>Reminder: be blameless.</p><h1>Summary</h1><p>x</p>")
    assert [s.title for s in model.sections] == ["Summary"]


def test_heading_text_is_what_a_reader_sees():
    body = ('<h1><ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">a1</ac:parameter>'
            '</ac:structured-macro>Root&nbsp;&nbsp;<em>cause</em>\n &amp; fix</h1><p>x</p>')
    assert parse_page(body).sections[0].title == "Root cause & fix"


def test_headings_inside_layout_cells_start_sections():
    body = ("<ac:layout><ac:layout-section ac:type=\"two_equal\"><ac:layout-cell><h2>Left</h2><p>a</p>"
            "</ac:layout-cell><ac:layout-cell><h2>Right</h2><p /></ac:layout-cell></ac:layout-section>"
            "</ac:layout>")
    assert [(s.title, s.status) for s in parse_page(body).sections] == [("Left", "filled"), ("Right", "empty")]


def test_code_macro_cdata_is_text_never_structure():
    body = ('<h2>Logs</h2><ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[<h2>Action items</h2>'
            '<table><tr><th>Action</th></tr><tr><td>fake</td></tr></table> &nbsp;]]></ac:plain-text-body>'
            '</ac:structured-macro>')
    model = parse_page(body)
    assert [s.title for s in model.sections] == ["Logs"]
    assert model.action_items == []
    assert "&nbsp;" in model.sections[0].text


@pytest.mark.parametrize(("content", "status"), [
    ("<p>Real content.</p>", "filled"),
    ("", "empty"),
    ("<p>&nbsp;</p><p /><p><br /></p>  ", "empty"),
    ("<table><tbody><tr><th><p>A</p></th><th><p>B</p></th></tr><tr><td><p /></td><td>&nbsp;</td></tr></tbody></table>",
     "empty"),
    ("<p><ac:placeholder>Describe the impact</ac:placeholder></p>", "placeholder"),
    ('<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Instructions</ac:parameter>'
     "<ac:rich-text-body><p>Say what happened.</p></ac:rich-text-body></ac:structured-macro>", "placeholder"),
    ('<ac:structured-macro ac:name="note"><ac:parameter ac:name="title">Instructions</ac:parameter>'
     "<ac:rich-text-body><p>Say what happened.</p></ac:rich-text-body></ac:structured-macro><p>It broke.</p>",
     "filled"),
    ('<p><ac:image><ri:attachment ri:filename="graph.png" /></ac:image></p>', "filled"),
])
def test_section_status(content: str, status: str):
    assert parse_page(f"<h2>Impact</h2>{content}").sections[0].status == status


def test_unchanged_template_instruction_text_counts_as_placeholder():
    body = "<h2>Impact</h2><p>Who was affected,  and for how long?</p><h2>Trigger</h2><p>A deploy.</p>"
    model = parse_page(body, instructions=["Who was affected, and for how long?", "What set it off?"])
    assert [s.status for s in model.sections] == ["placeholder", "filled"]
    assert parse_page(body).sections[0].status == "filled"


def test_section_text_is_plain_reader_text_one_line_per_block():
    body = ('<h2>What went wrong</h2><p>The <strong>alert</strong> was&nbsp;late.</p>'
            '<ul><li>Nobody was paged &rarr; <ac:link><ri:user ri:account-id="abc" /></ac:link> noticed.</li></ul>')
    assert parse_page(body).sections[0].text == "The alert was late.\nNobody was paged \u2192 @abc noticed."


# -- action items -------------------------------------------------------------------------------


def test_columns_are_mapped_by_header_meaning_not_position():
    body = action_table(["Jira", "Target date", "Who", "P", "What", "Done"],
                        ["OPS-1", "2026-12-03", "Ana", "P1", "Add alert", "Closed"])
    item = only_item(body)
    assert (item.summary, item.owner, item.due, item.priority, item.jira_key, item.done) == \
        ("Add alert", "Ana", "2026-12-03", "P1", "OPS-1", True)


def test_a_first_row_of_bold_td_cells_is_the_header_row():
    body = action_table(["<strong>Owner</strong>", "<strong>Action</strong>"], ["Ana", "Add alert"],
                        header_cell="td")
    assert (only_item(body).summary, only_item(body).owner) == ("Add alert", "Ana")


def test_colspan_and_rowspan_do_not_shift_columns():
    body = ("<h2>Action items</h2><table><tbody><tr><th>Action</th><th>Owner</th><th>Due</th><th>Ticket</th></tr>"
            '<tr><td colspan="4"><strong>Short term</strong></td></tr>'
            '<tr><td>First</td><td rowspan="2">Ana</td><td colspan="1">2026-01-02</td><td>OPS-1</td></tr>'
            "<tr><td>Second</td><td>2026-01-03</td><td>OPS-2</td></tr>"
            '<tr><td colspan="2">Third, owner unknown</td><td>2026-01-04</td><td>OPS-3</td></tr></tbody></table>')
    items = parse_page(body).action_items
    assert [(i.summary, i.owner, i.due, i.jira_key) for i in items] == [
        ("First", "Ana", "2026-01-02", "OPS-1"),
        ("Second", "Ana", "2026-01-03", "OPS-2"),
        ("Third, owner unknown", None, "2026-01-04", "OPS-3"),
    ]


def test_a_table_nested_in_a_cell_neither_shifts_columns_nor_adds_items():
    nested = "<table><tbody><tr><th>Owner</th><th>Ticket</th></tr><tr><td>Bob</td><td>X-9</td></tr></tbody></table>"
    body = action_table(["Action", "Owner", "Ticket"], [f"<p>Add alert</p>{nested}", "Ana", "OPS-1"])
    item = only_item(body)
    assert (item.summary, item.owner, item.jira_key) == ("Add alert", "Ana", "OPS-1")


def test_rows_whose_cells_are_all_empty_are_skipped():
    body = action_table(["Action", "Owner"], ["<p>&nbsp;</p>", "<p><br /></p>"], ["Add alert", ""], ["", ""])
    assert [i.summary for i in parse_page(body).action_items] == ["Add alert"]


def test_cell_text_decodes_entities_drops_markup_reads_status_macro_and_collapses_spaces():
    status = ('<ac:structured-macro ac:name="status"><ac:parameter ac:name="colour">Green</ac:parameter>'
              '<ac:parameter ac:name="title">IN PROGRESS</ac:parameter></ac:structured-macro>')
    summary = "<p>Fix&nbsp;&nbsp;<em>the</em>\n <strong>R&amp;D</strong>&mdash;proxy</p>"
    body = action_table(["Action", "Status"], [summary, status])
    item = only_item(body)
    assert item.summary == "Fix the R&D\u2014proxy"
    assert (item.status, item.done) == ("IN PROGRESS", False)


@pytest.mark.parametrize(("cell", "owner"), [
    ('<ac:link><ri:user ri:account-id="557058:aa" ri:userkey="k" ri:username="u" /></ac:link>', "557058:aa"),
    ('<ac:link><ri:user ri:userkey="8a7f" ri:username="u" /></ac:link>', "8a7f"),
    ('<ac:link><ri:user ri:username="jsmith" /></ac:link>', "jsmith"),
    ("<p>Platform&nbsp;team</p>", "Platform team"),
    ("<p />", None),
])
def test_owner_is_the_most_stable_user_id_of_a_mention_else_the_text(cell: str, owner: str | None):
    assert only_item(action_table(["Action", "Owner"], ["Do it", cell])).owner == owner


@pytest.mark.parametrize(("cell", "due"), [
    ('<time datetime="2026-12-03" />', "2026-12-03"),
    ("2026-12-03", "2026-12-03"),
    ("3 Dec 2026", "2026-12-03"),
    ("Dec 3, 2026", "2026-12-03"),
    ("December 3, 2026", "2026-12-03"),
    ("3rd December 2026", "2026-12-03"),
    ("03/04/2026", None),
    ("12/25/2026", None),
    ("next sprint", None),
    ("31 Feb 2026", None),
])
def test_due_dates_are_normalised_only_when_unambiguous(cell: str, due: str | None):
    assert only_item(action_table(["Action", "Due"], ["Do it", cell])).due == due


@pytest.mark.parametrize(("cell", "written"), [
    ("next sprint", "next sprint"),
    ("<p>17.09.2026</p>", "17.09.2026"),
    ("31 Feb 2026", "31 Feb 2026"),
    ('<time datetime="2026-12-03" />', None),
    ("3 Dec 2026", None),
    ("", None),
    ("<p><ac:placeholder>When?</ac:placeholder></p>", None),
])
def test_a_due_cell_without_a_readable_date_keeps_what_it_says(cell: str, written: str | None):
    assert only_item(action_table(["Action", "Due"], ["Do it", cell])).due_written == written


@pytest.mark.parametrize(("cell", "key"), [
    ('<ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">OPS-17</ac:parameter></ac:structured-macro>',
     "OPS-17"),
    ('<a href="https://example.atlassian.net/browse/OPS-18?focusedCommentId=1">the ticket</a>', "OPS-18"),
    ("<p>see OPS-19</p>", "OPS-19"),
    ("<p>n/a</p>", None),
])
def test_ticket_comes_from_a_jira_macro_a_browse_link_or_a_plain_key(cell: str, key: str | None):
    assert only_item(action_table(["Action", "Ticket"], ["Do it", cell])).jira_key == key


def test_tasks_in_the_action_items_section_are_items_with_owner_due_ticket_and_done():
    body = ("<h2>Action items</h2><ac:task-list>"
            "<ac:task><ac:task-id>7</ac:task-id><ac:task-status>complete</ac:task-status><ac:task-body>"
            'Add failover alert <ac:link><ri:user ri:account-id="u1" /></ac:link> <time datetime="2026-08-01" />'
            "</ac:task-body></ac:task>"
            "<ac:task><ac:task-id>8</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>"
            'Rotate keys <ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">SEC-4</ac:parameter>'
            "</ac:structured-macro></ac:task-body></ac:task></ac:task-list>")
    items = parse_page(body).action_items
    assert [(i.summary, i.owner, i.due, i.jira_key, i.done, i.identity.split("-")[0:2]) for i in items] == [
        ("Add failover alert", "u1", "2026-08-01", None, True, ["task", "7"]),
        ("Rotate keys", None, None, "SEC-4", False, ["task", "8"]),
    ]


def test_action_items_section_is_found_case_insensitively_at_any_heading_level():
    body = "<h1>Follow-up</h1><h3>ACTION ITEMS</h3>" + action_table(["Action"], ["Do it"]).split("</h2>")[1]
    assert only_item(body).summary == "Do it"


def test_deferred_items_are_never_action_items():
    body = (action_table(["Action"], ["Committed"]) + "<h3>Nice to have</h3><ul><li>Someday<ul><li>Maybe</li></ul>"
            "</li></ul><table><tbody><tr><th>Action</th></tr><tr><td>Deferred row</td></tr></tbody></table>"
            "<h2>If we have time</h2><ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>incomplete"
            "</ac:task-status><ac:task-body>Deferred task</ac:task-body></ac:task></ac:task-list>"
            "<h2>Aspirational</h2><ul><li>Dream</li></ul>")
    model = parse_page(body)
    assert [i.summary for i in model.action_items] == ["Committed"]
    assert [d.summary for d in model.deferred] == ["Someday", "Maybe", "Deferred row", "Deferred task", "Dream"]


# -- identity -----------------------------------------------------------------------------------


def test_item_identity_is_short_label_safe_and_built_from_position_and_fingerprint():
    items = parse_page(action_table(["Action"], ["Add alert"], ["Fix proxy"])).action_items
    assert [i.position for i in items] == ["t1r1", "t1r2"]
    for item in items:
        assert item.identity == f"{item.position}-{item.fingerprint[:8]}"
        assert item.identity.replace("-", "").isalnum() and len(item.identity) <= 40


def test_fingerprint_ignores_case_spacing_punctuation_and_markup_but_not_wording():
    a = only_item(action_table(["Action"], ["<p>Add <strong>alert</strong>.</p>"]))
    b = only_item(action_table(["Action"], ["add&nbsp;ALERT"]))
    c = only_item(action_table(["Action"], ["Add alerts"]))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_identity_survives_a_ticket_being_added():
    before = only_item(action_table(["Action", "Ticket"], ["Add alert", ""]))
    after = only_item(action_table(["Action", "Ticket"], ["Add alert", "OPS-3"]))
    assert before.identity == after.identity and after.jira_key == "OPS-3"


# -- properties, timeline, table output ---------------------------------------------------------


def test_page_properties_are_read_with_user_ids_for_mentions():
    body = ('<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody>'
            "<tr><th><p>Severity</p></th><td><p>SEV-2</p></td></tr>"
            '<tr><th><p>Lead</p></th><td><p><ac:link><ri:user ri:account-id="5b10" /></ac:link></p></td></tr>'
            '<tr><th><p>Date</p></th><td><p><time datetime="2026-10-14" /></p></td></tr>'
            "</tbody></table></ac:rich-text-body></ac:structured-macro><h2>Summary</h2>")
    model = parse_page(body)
    assert model.properties == {"Severity": "SEV-2", "Lead": "@5b10", "Date": "2026-10-14"}
    assert model.property_users == {"Lead": "5b10"}


def test_page_properties_under_a_title_row_and_with_a_key_over_two_rows_are_read_pair_by_pair():
    body = ('<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tbody>'
            '<tr><th colspan="2"><p><strong>Incident details</strong></p></th></tr>'
            "<tr><th><p>Severity</p></th><td><p>SEV-2</p></td></tr>"
            '<tr><th rowspan="2"><p>Duration</p></th><td><p>Outage: 12 min</p></td></tr>'
            "<tr><td><p>Degraded: 40 min</p></td></tr>"
            '<tr><th><p>Lead</p></th><td><p><ac:link><ri:user ri:account-id="5b10" /></ac:link></p></td></tr>'
            "</tbody></table></ac:rich-text-body></ac:structured-macro><h2>Summary</h2>")
    model = parse_page(body)
    assert model.properties == {"Severity": "SEV-2", "Duration": "Outage: 12 min Degraded: 40 min", "Lead": "@5b10"}
    assert model.property_users == {"Lead": "5b10"}
    across = body.replace('<th colspan="2"><p><strong>Incident details</strong></p></th></tr>',
                          '<th colspan="2"><p>Incident details</p></th></tr><tr><th>Status</th><th>Owner</th></tr>'
                          "<tr><td>Open</td><td>Ana</td></tr>", 1)
    assert list(parse_page(across).properties.items())[:2] == [("Status", "Open"), ("Owner", "Ana")]


def test_timeline_rows_map_column_names_to_cell_text():
    body = ("<h2>Timeline</h2><table><tbody><tr><th>Time</th><th>Event</th></tr>"
            "<tr><td>14:00</td><td>Deploy &amp; alert</td></tr><tr><td /><td /></tr></tbody></table>")
    assert parse_page(body).timeline == [{"Time": "14:00", "Event": "Deploy & alert"}]


def test_format_table_shows_sections_items_and_deferred_as_plain_text():
    text = format_table(parse_page((CORPUS / "wikibot_template.xml").read_text(encoding="utf-8")))
    assert "placeholder  Impact" in text
    assert "Throttle shard rebalancing" in text and "OPS-214" in text
    assert "- Evaluate faster disks" in text


# -- malformed input ----------------------------------------------------------------------------


def assert_rejected_quickly(body: str, message: str, **kwargs) -> None:
    started = time.perf_counter()
    with pytest.raises(PageParseError, match=message) as info:
        parse_page(body, **kwargs)
    assert time.perf_counter() - started < 2
    assert "\n" not in str(info.value)


def test_truncated_page_is_rejected():
    body = (CORPUS / "wikibot_template.xml").read_text(encoding="utf-8")
    assert_rejected_quickly(body[: len(body) // 2], "not well-formed")


def test_entity_expansion_bomb_is_rejected_without_expanding():
    bomb = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><p>&lol3;</p>')
    assert_rejected_quickly(bomb, "DOCTYPE")


def test_a_doctype_inside_a_code_block_is_just_text():
    body = '<h2>Logs</h2><ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[<!DOCTYPE html>]]>' \
           "</ac:plain-text-body></ac:structured-macro>"
    assert parse_page(body).sections[0].text == "<!DOCTYPE html>"


def test_a_page_over_the_size_limit_is_rejected_before_parsing():
    assert_rejected_quickly("<p>" + "x" * (20 * 1024 * 1024) + "</p>", "limit")
    assert_rejected_quickly("<p>" + "\u00e9" * 600 + "</p>", "limit", max_bytes=1000)


def test_ten_thousand_levels_of_nesting_is_rejected_not_a_recursion_error():
    assert_rejected_quickly("<div>" * 10_000 + "</div>" * 10_000, "nested deeper")


def test_binary_data_is_rejected():
    assert_rejected_quickly("\x00\x01\x02PK\x03\x04", "not well-formed")
    with pytest.raises(PageParseError, match="not UTF-8"):
        decode_body(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(PageParseError, match="not UTF-8"):
        decode_body(b"<p>caf\xe9</p>")


def test_decode_body_accepts_utf8_with_or_without_bom():
    assert decode_body("\ufeff<p>café</p>".encode()) == "<p>café</p>"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_decode_body_accepts_utf16_and_utf32_exports(encoding: str):
    text = "<h2>Impact</h2><p>caf\u00e9 \U0001F525</p>"
    with_bom = text.encode(encoding) if encoding in ("utf-16", "utf-32") else ("\ufeff" + text).encode(encoding)
    assert decode_body(with_bom) == text


def test_utf16_without_a_bom_is_recognised_by_its_first_character():
    assert decode_body("<p>x</p>".encode("utf-16-le")) == "<p>x</p>"
    assert decode_body("<p>x</p>".encode("utf-16-be")) == "<p>x</p>"


def test_broken_utf16_is_a_one_line_error_naming_the_encoding():
    with pytest.raises(PageParseError, match="not UTF-16-LE text: invalid bytes"):
        decode_body(b"\xff\xfe<\x00p\x00\x00\xd8")


@pytest.mark.parametrize("prefix", ['<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0'?>\n",
                                    '\ufeff<?xml version="1.0" encoding="utf-16"?>\r\n', "\ufeff"])
def test_a_leading_xml_declaration_or_bom_is_accepted(prefix: str):
    model = parse_page(prefix + "<h2>Impact</h2><p>x</p>")
    assert [(s.title, s.status) for s in model.sections] == [("Impact", "filled")]


def test_an_xml_declaration_elsewhere_is_an_error_naming_its_line():
    assert_rejected_quickly('<p>x</p>\n<?xml version="1.0"?><p>y</p>',
                            r"an XML declaration \(<\?xml \.\.\.\?>\) on line 2 is not at the start of the page")


def test_line_numbers_of_errors_stay_those_of_the_body_after_a_declaration():
    assert_rejected_quickly('<?xml version="1.0"?>\n<p>ok</p>\n<p>&bogus;</p>', "at line 3")


def test_unknown_entity_is_rejected_with_its_name_and_line():
    assert_rejected_quickly("<p>ok</p>\n<p>&bogus;</p>", r"unknown entity &bogus; at line 2")


def test_undeclared_namespace_prefixes_are_tolerated():
    body = '<h2>Impact</h2><p><foo:widget foo:id="1">Shown</foo:widget></p>'
    assert parse_page(body).sections[0].text == "Shown"


@pytest.mark.parametrize("body", [
    action_table(["Action", "Owner"], *[[f"Item {i}", '<p>x</p>'] for i in range(3000)]).replace(
        "<td><p>x</p></td>", '<td colspan="1000"><p>x</p></td>'),
    action_table(["Action", "Owner"], *[["<p>a</p>"] + ['<p>b</p>'] * 300 for _ in range(300)]).replace(
        "<td><p>b</p></td>", '<td rowspan="300"><p>b</p></td>'),
    "<h2>Nice to have</h2>" + "<ul><li>x" * 120 + "</li></ul>" * 120 + "<ul>" + "<li>y</li>" * 100_000 + "</ul>",
    "<h2>Action items</h2>" + "<h3>Empty</h3>" * 50_000,
], ids=["wide colspans", "many rowspans", "deep and long lists", "many headings"])
def test_pathological_but_well_formed_pages_are_read_in_bounded_time(body: str):
    started = time.perf_counter()
    model = parse_page(body)
    model.to_dict()
    assert model.timeline == [] and time.perf_counter() - started < 5
