"""The audit's rules, pure: page facts + metadata + clock + Jira state + config → findings.

No HTTP here: bodies are built as storage format, parsed with the page model, and judged with an
injected ``now``. ``postmortem_body`` is shared with the end-to-end audit tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service_sandbox.examples import STANDARD_SECTIONS
from wikibot.atlassian.content import WikiPage
from wikibot.audit.blame import BlameMatcher
from wikibot.audit.checks import audit_page, required_sections
from wikibot.audit.facts import (
    Finding,
    ItemFacts,
    PageFacts,
    TemplateCatalogue,
    extract_facts,
    profile_template,
    timeline_findings,
)
from wikibot.audit.item_checks import unrecognised_findings
from wikibot.audit.report import AuditReport, render
from wikibot.audit.rules import Evidence, JiraState, Rules, sync_interval
from wikibot.config_sections import DEFAULT_BLAME_PHRASES
from wikibot.pages import parse_page
from wikibot.status import ExitStatus
from wikibot.templates import load_template

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
POSTMORTEM = profile_template(load_template("postmortem.xml"))
SRE = profile_template(load_template("sre.xml"))
CATALOGUE = TemplateCatalogue([POSTMORTEM, SRE])
MATCHER = BlameMatcher(DEFAULT_BLAME_PHRASES)
RULES = Rules()
REQUIRED = tuple(t for t in STANDARD_SECTIONS if t not in ("Data & Analysis", "Things we should do if we have time"))
GUIDANCE = {**SRE.guidance, **POSTMORTEM.guidance}
ALL_FILLED = {title: f"What we learnt about {title.lower()}." for title in STANDARD_SECTIONS}
COMPLETE_ITEM = {"summary": "Alert on pool saturation", "owner": "557058:bb22", "due": "2026-12-31", "key": "OPS-100"}


# -- building pages (also used by tests/test_audit.py) ----------------------------------------------
def _user(account: str) -> str:
    """A mention as the running test's deployment writes it (``ri:userkey`` on Data Center)."""
    from tests.profiles import CURRENT_PROFILE

    if CURRENT_PROFILE[0] == "datacenter" and account.startswith("557058:"):
        from service_sandbox.datacenter import userkey

        return f'<ac:link><ri:user ri:userkey="{userkey(account)}" /></ac:link>'
    return f'<ac:link><ri:user ri:account-id="{escape(account)}" /></ac:link>'


def _cells(*cells: str, tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}><p>{c}</p></{tag}>" for c in cells) + "</tr>"


def postmortem_body(*, status: str = "Draft", lead: str | None = "557058:aa11", debrief_due: date | None = None,
                    filled: dict[str, str] | None = None, items: list[dict] = (), timeline: list[tuple] = (),
                    drop: tuple[str, ...] = (), sections: tuple[str, ...] = STANDARD_SECTIONS) -> str:
    """A post-mortem in wikibot's template layout; unfilled sections keep the template's guidance.

    ``items``: dicts with ``summary`` and optional ``owner`` (account id), ``due`` (ISO) or ``due_text``
    (the Due cell as written), ``key``, ``done``.
    """
    filled = filled or {}
    props = [("Incident", "INC-1"), ("Severity", "SEV-2"), ("Lead investigator", _user(lead) if lead else ""),
             ("Status", escape(status)),
             ("Debrief due", f'<time datetime="{debrief_due.isoformat()}" />' if debrief_due else "")]
    parts = ['<ac:structured-macro ac:name="details" ac:schema-version="1"><ac:rich-text-body><table><tbody>',
             *(_cells(f"<strong>{k}</strong>", v).replace("<td><p><strong>", "<th><p>", 1)
               .replace("</strong></p></td>", "</p></th>", 1) for k, v in props),
             "</tbody></table></ac:rich-text-body></ac:structured-macro>"]
    for title in sections:
        if title in drop:
            continue
        parts.append(f"<h2>{escape(title)}</h2>")
        if title in filled:
            parts.append(f"<p>{escape(filled[title])}</p>")
        elif title in GUIDANCE:
            parts.append(f"<p><ac:placeholder>{escape(GUIDANCE[title])}</ac:placeholder></p>")
        if title.startswith("Timeline") and timeline:
            rows = "".join(_cells(escape(t), escape(e), "log") for t, e in timeline)
            parts.append(f"<table><tbody>{_cells('Time (UTC)', 'Event', 'Source', tag='th')}{rows}</tbody></table>")
        if title == "Action items" and (items or title in filled):
            # A filled Action items section holds items: prose alone would be "not recognised".
            parts.append(_action_table(items or [COMPLETE_ITEM]))
    return "\n".join(parts)


def _action_table(items: list[dict]) -> str:
    with_status = any("done" in item for item in items)
    header = ["Action", "Owner", "Due date", "Priority", "Ticket"] + (["Status"] if with_status else [])
    rows = []
    for item in items:
        cells = [escape(item["summary"]), _user(item["owner"]) if item.get("owner") else "",
                 f'<time datetime="{item["due"]}" />' if item.get("due") else escape(item.get("due_text", "")),
                 "High",
                 (f'<ac:structured-macro ac:name="jira" ac:schema-version="1"><ac:parameter ac:name="key">'
                  f'{item["key"]}</ac:parameter></ac:structured-macro>') if item.get("key") else ""]
        if with_status:
            cells.append("Done" if item.get("done") else "Open")
        rows.append(_cells(*cells))
    return f"<table><tbody>{_cells(*header, tag='th')}{''.join(rows)}</tbody></table>"


def meta(page_id: str = "1", *, created: timedelta = timedelta(days=1), modified: timedelta = timedelta(hours=1),
         editor: str = "Bob Chen") -> WikiPage:
    return WikiPage(id=page_id, title=f"PM {page_id}", version=1, body="", url=f"https://wiki/pages/{page_id}",
                    created=NOW - created, created_by="Ana Lima", modified=NOW - modified, modified_by=editor)


def facts_of(body: str) -> PageFacts:
    model = parse_page(body, instructions=CATALOGUE.instructions)
    return extract_facts(model, CATALOGUE.by_headings([s.title for s in model.sections]), MATCHER)


def judge(body: str, page: WikiPage | None = None, rules: Rules = RULES, **evidence) -> list[Finding]:
    return list(audit_page(page or meta(), facts_of(body), CATALOGUE, rules,
                           Evidence(now=NOW, **evidence)).findings)


def kinds(findings: list[Finding]) -> list[str]:
    return [f.kind for f in findings]


# -- sections ----------------------------------------------------------------------------------------
def test_a_complete_fresh_page_has_no_findings():
    assert judge(postmortem_body(filled=ALL_FILLED)) == []


def test_required_sections_default_to_the_template_without_data_and_analysis():
    facts = facts_of(postmortem_body())
    assert facts.template == "postmortem"
    assert required_sections(facts, CATALOGUE, RULES) == REQUIRED
    findings = judge(postmortem_body(filled={"Trigger": "A deploy."}))
    assert kinds(findings) == ["placeholder_section"] * (len(REQUIRED) - 1)
    assert {f.section for f in findings} == set(REQUIRED) - {"Trigger"}


def test_an_empty_wish_list_is_not_a_finding_by_default_and_its_guidance_reads_as_optional():
    body = postmortem_body(filled={**ALL_FILLED, "Things we should do if we have time": ""})
    assert judge(body) == []
    assert "optional" in POSTMORTEM.guidance["Things we should do if we have time"].lower()
    rules = Rules(required_sections=("Things we should do if we have time",))
    assert kinds(judge(body, rules=rules)) in (["empty_section"], ["placeholder_section"])


def test_configured_required_sections_replace_the_default():
    rules = Rules(required_sections=("Root cause", "impact and scope", "Not in the template"))
    findings = judge(postmortem_body(filled={"Impact and Scope": "Users."}), rules=rules)
    assert [(f.kind, f.section) for f in findings] == [("placeholder_section", "Root Cause")]


def test_empty_section_and_missing_section_of_a_known_template():
    body = postmortem_body(filled={**ALL_FILLED, "Root Cause": " "}, drop=("Trigger",), sections=SRE.sections)
    facts = facts_of(body)
    assert facts.template is None  # headings alone do not identify it once a section is deleted
    facts = replace(facts, template="sre")  # as read from the page's `wikibot` content property
    found = audit_page(meta(), facts, CATALOGUE, RULES, Evidence(now=NOW)).findings
    assert [(f.kind, f.section) for f in found if f.kind.endswith("section")] == [
        ("missing_section", "Trigger"), ("empty_section", "Root Cause"),
        ("placeholder_section", "Detection"), ("placeholder_section", "Where we got lucky")]
    assert "how long after it started" not in found[0].message and "It should say" in found[1].message


def test_a_page_from_an_unknown_template_is_judged_on_the_sections_it_has():
    body = "<h2>Summary</h2><p>It broke.</p><h2>Lessons</h2><p></p><h2>Supporting information</h2>"
    findings = judge(body)
    assert [(f.kind, f.section) for f in findings] == [("empty_section", "Lessons")]


def test_guidance_pasted_as_text_is_still_a_placeholder():
    body = postmortem_body(filled={**ALL_FILLED, "Trigger": POSTMORTEM.guidance["Trigger"].upper()})
    assert [(f.kind, f.section) for f in judge(body)] == [("placeholder_section", "Trigger")]


def renamed(body: str) -> str:
    """The page as people edit it: an h1 title, numbered headings with colons, synonyms."""
    return ("<h1>Postmortem: INC-1</h1>" + body.replace("<h2>Root Cause</h2>", "<h2>5. Root causes:</h2>")
            .replace("<h2>Action items</h2>", "<h2>\U0001F4CB Follow-ups</h2>")
            .replace("<h2>What went well</h2>", "<h2>6) What went well</h2>"))


def test_renamed_numbered_headings_under_an_h1_title_are_the_templates_sections():
    model = parse_page(renamed(postmortem_body(filled=ALL_FILLED)), instructions=CATALOGUE.instructions)
    assert CATALOGUE.by_headings([s.name for s in model.sections]) == "postmortem"
    facts = extract_facts(model, "postmortem", MATCHER)
    assert audit_page(meta(), facts, CATALOGUE, RULES, Evidence(now=NOW)).findings == ()


def test_a_page_pasted_from_a_document_with_bold_paragraphs_for_headings_has_its_sections_and_items():
    body = re.sub(r"<h2>(.*?)</h2>", r"<p><strong>\1</strong></p>", postmortem_body(filled=ALL_FILLED))
    assert "<h2>" not in body
    facts = extract_facts(parse_page(body, instructions=CATALOGUE.instructions), "postmortem", MATCHER)
    assert [i.summary for i in facts.items] == [COMPLETE_ITEM["summary"]]
    assert audit_page(meta(), facts, CATALOGUE, RULES, Evidence(now=NOW)).findings == ()


def test_findings_about_a_renamed_section_quote_the_pages_heading():
    body = renamed(postmortem_body(filled={**ALL_FILLED, "Root Cause": " "}))
    facts = extract_facts(parse_page(body, instructions=CATALOGUE.instructions), "postmortem", MATCHER)
    (finding,) = audit_page(meta(), facts, CATALOGUE, RULES, Evidence(now=NOW)).findings
    assert (finding.kind, finding.section, finding.ref) == ("empty_section", "Root causes", "root cause")
    assert finding.message.startswith("“Root causes” is empty.")


def test_configured_aliases_reach_the_audit_through_the_page_model():
    body = postmortem_body(filled=ALL_FILLED).replace("<h2>Root Cause</h2>", "<h2>Why it broke</h2>")
    plain = extract_facts(parse_page(body), "postmortem", MATCHER)
    assert kinds(audit_page(meta(), plain, CATALOGUE, RULES, Evidence(now=NOW)).findings) == ["missing_section"]
    aliased = extract_facts(parse_page(body, aliases={"Why it broke": "Root Cause"}), "postmortem", MATCHER)
    assert audit_page(meta(), aliased, CATALOGUE, RULES, Evidence(now=NOW)).findings == ()


def test_two_sections_with_one_name_count_as_written_when_either_is():
    body = "<h2>Impact</h2><p>Users.</p><h2>Customer impact</h2><p /><h2>Trigger</h2><p>x</p>"
    assert judge(body, rules=Rules(required_sections=("Impact and Scope", "Trigger"))) == []


HOWD_WE_DO = ("<h2>Overview</h2><p>Queue delays.</p><h2>Root Cause</h2><p>A job targeted a host name.</p>"
              "<h2>Resolution</h2><p>Stopped it.</p><h2>Impact</h2><p>6 % late.</p><h2>How\u2019d We Do?</h2>"
              "<h3>What Went Well</h3><ul><li>Paging worked.</li></ul><h3>What Didn\u2019t Go Well</h3>{went_badly}"
              "<h2>Action Items</h2><table><tbody>" + _cells("Action", "Owner", "Due", tag="th")
              + _cells("Target the replica role", '<ac:link><ri:user ri:account-id="557058:bb22" /></ac:link>',
                       '<time datetime="2026-12-31" />')
              + "</tbody></table>")


def test_sections_written_under_a_group_title_such_as_pagerdutys_howd_we_do_are_not_missing():
    rules = Rules(required_sections=("Summary", "Root Cause", "What went well", "What didn't go well"))
    body = HOWD_WE_DO.format(went_badly="<ul><li>Nobody knew the job ran there.</li></ul>")
    assert judge(body, rules=rules) == []
    assert judge(body) == []  # judged on its own sections: the group title is written when its sections are
    unwritten = judge(HOWD_WE_DO.format(went_badly="<p />"), rules=rules)
    assert [(f.kind, f.section) for f in unwritten] == [("empty_section", "What Didn\u2019t Go Well")]


def test_action_items_content_not_read_as_items_becomes_a_finding_with_a_hint():
    body = ("<h2>Follow-ups</h2><ul><li>Add alert \u2014 Ana</li></ul><p>Also rotate keys.</p>"
            "<table><tbody><tr><th>Metric</th><th>Value</th></tr><tr><td>Errors</td><td>41 %</td></tr></tbody></table>")
    facts = PageFacts.from_json(facts_of(body).to_json())
    assert facts.unrecognised == (("Follow-ups", "text", "Also rotate keys."),
                                  ("Follow-ups", "table", "Metric | Value"))
    found = unrecognised_findings(facts)
    assert [(f.kind, f.section) for f in found] == [("actions_not_recognised", "Follow-ups")] * 2
    assert "one action per table row, task or list item" in found[0].message
    assert "no column that names the action" in found[1].message
    assert len({f.ref for f in found}) == 2


def test_the_audit_reports_action_items_prose_and_tables_it_cannot_file():
    prose = postmortem_body(filled={**ALL_FILLED}).replace(
        "<table><tbody><tr><th><p>Action</p>",
        "<p>Someone should look at the pool.</p><table><tbody><tr><th><p>Action</p>")
    assert judge(prose) == []  # prose above items introduces them
    only_prose = postmortem_body(filled=ALL_FILLED).split("<h2>Action items</h2>")
    body = only_prose[0] + "<h2>Action items</h2><p>Look at the pool sizes.</p><h2>" + only_prose[1].split("<h2>", 1)[1]
    assert [(f.kind, f.section) for f in judge(body)] == [("actions_not_recognised", "Action items")]


def test_facts_keep_section_names_through_the_cache():
    facts = facts_of(renamed(postmortem_body(filled=ALL_FILLED)))
    again = PageFacts.from_json(facts.to_json())
    assert again.names == facts.names and ("Root causes", "Root Cause", "filled") in again.named_sections


# -- time ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("idle", "stale"),
                         [(timedelta(days=3), True), (timedelta(days=3) - timedelta(minutes=1), False)])
def test_stale_after_the_configured_days_while_unfinished(idle, stale):
    body = postmortem_body(filled={**ALL_FILLED, "Root Cause": ""})
    findings = judge(body, meta(modified=idle, created=timedelta(days=4)))
    assert ("stale" in kinds(findings)) is stale
    if stale:
        message = next(f.message for f in findings if f.kind == "stale")
        assert "3 days" in message and "Bob Chen" in message and "Root Cause" in message


def test_a_finished_page_is_never_stale():
    body = postmortem_body(filled=ALL_FILLED, status="Published")
    assert judge(body, meta(modified=timedelta(days=30), created=timedelta(days=31))) == []


@pytest.mark.parametrize(("status", "due", "created", "overdue"), [
    ("Draft", date(2026, 11, 26), 3, True),
    ("In review", date(2026, 11, 27), 3, False),        # due today: not yet
    ("Debriefed", date(2026, 11, 1), 30, False),
    ("published", date(2026, 11, 1), 30, False),
    ("Draft", None, 8, True),                            # created + 7 days
    ("Draft", None, 7, False),
])
def test_debrief_overdue(status, due, created, overdue):
    body = postmortem_body(filled=ALL_FILLED, status=status, debrief_due=due)
    findings = judge(body, meta(created=timedelta(days=created)))
    assert kinds(findings) == (["debrief_overdue"] if overdue else [])


def test_debrief_deadline_is_counted_in_the_audit_time_zone():
    body = postmortem_body(filled=ALL_FILLED, debrief_due=date(2026, 11, 26))
    tokyo = Rules(timezone=ZoneInfo("Asia/Tokyo"))  # 02:00 UTC is 11:00 in Tokyo: same day
    honolulu = Rules(timezone=ZoneInfo("Pacific/Honolulu"))  # ... and 16:00 the day before in Honolulu
    assert kinds(judge(body, rules=tokyo)) == ["debrief_overdue"]
    assert kinds(judge(body, rules=honolulu)) == []


# -- action items ---------------------------------------------------------------------------------------
def test_items_without_owner_or_due_date_unless_done():
    items = [{"summary": "Alert on queue age", "owner": "557058:bb22", "due": "2026-12-10", "key": "OPS-1"},
             {"summary": "No owner", "due": "2026-12-10", "key": "OPS-2"},
             {"summary": "No date", "owner": "557058:bb22", "key": "OPS-3"},
             {"summary": "Finished long ago", "key": "OPS-4", "done": True}]
    findings = judge(postmortem_body(filled=ALL_FILLED, items=items))
    assert [(f.kind, f.item) for f in findings] == [("missing_owner", "No owner"), ("missing_due", "No date")]


def test_a_due_date_that_is_not_a_date_is_quoted_in_the_missing_due_finding():
    items = [{"summary": "Renew the certificate", "owner": "557058:bb22", "due_text": "next sprint", "key": "OPS-1"},
             {"summary": "Rotate the keys", "owner": "557058:bb22", "due_text": "2026-02-30", "key": "OPS-2"}]
    findings = judge(postmortem_body(filled=ALL_FILLED, items=items))
    assert [f.kind for f in findings] == ["missing_due", "missing_due"]
    assert "is due “next sprint”, which is not a date wikibot can read" in findings[0].message
    assert "YYYY-MM-DD" in findings[0].message and "“2026-02-30”" in findings[1].message


def test_unsynced_action_only_after_one_sync_interval():
    items = [{"summary": "Add a canary", "owner": "557058:bb22", "due": "2026-12-10"}]
    body = postmortem_body(filled=ALL_FILLED, items=items)
    identity = facts_of(body).items[0].identity
    young = {("1", identity): NOW - timedelta(minutes=59)}
    old = {("1", identity): NOW - timedelta(minutes=61)}
    assert judge(body, first_seen=young) == []
    assert kinds(judge(body, first_seen=old)) == ["unsynced_action"]
    assert judge(body, first_seen=old, tickets={("1", identity): "OPS-9"}) == []
    assert judge(body, first_seen=old, rules=Rules(sync_statuses=("Published",))) == []


def test_an_action_done_on_the_page_but_open_in_jira_is_a_finding_saying_to_close_it():
    items = [{"summary": "Ticked, open in Jira", "owner": "a", "due": "2026-11-20", "key": "OPS-1", "done": True},
             {"summary": "Ticked, done in Jira", "owner": "a", "due": "2026-11-20", "key": "OPS-2", "done": True},
             {"summary": "Ticked, no ticket", "done": True},
             {"summary": "Open", "owner": "a", "due": "2026-12-20", "key": "OPS-3"}]
    jira = {"OPS-1": JiraState("OPS-1", "In Progress", False, None),
            "OPS-2": JiraState("OPS-2", "Done", True, None), "OPS-3": JiraState("OPS-3", "To Do", False, None)}
    findings = judge(postmortem_body(filled=ALL_FILLED, items=items), jira=jira)
    assert [(f.kind, f.item) for f in findings] == [("done_on_page_only", "Ticked, open in Jira")]
    assert findings[0].message == ("OPS-1 “Ticked, open in Jira” is marked done on the page but is still In Progress "
                                   "in Jira, which wikibot's reports and reminders follow: close it in Jira (or Not "
                                   "doing).")


def test_overdue_action_needs_jira_not_done_and_the_due_date_passed():
    items = [{"summary": "Overdue", "owner": "a", "due": "2026-11-20", "key": "OPS-1"},
             {"summary": "Done in Jira", "owner": "a", "due": "2026-11-20", "key": "OPS-2"},
             {"summary": "Jira moved the date", "owner": "a", "due": "2026-11-20", "key": "OPS-3"},
             {"summary": "Unknown to Jira", "owner": "a", "due": "2026-11-20", "key": "OPS-4"},
             {"summary": "Due today", "owner": "a", "due": "2026-11-27", "key": "OPS-5"}]
    jira = {"OPS-1": JiraState("OPS-1", "In Progress", False, None),
            "OPS-2": JiraState("OPS-2", "Done", True, "2026-11-20"),
            "OPS-3": JiraState("OPS-3", "To Do", False, "2026-12-20"),
            "OPS-5": JiraState("OPS-5", "To Do", False, None)}
    findings = judge(postmortem_body(filled=ALL_FILLED, items=items), jira=jira)
    assert [(f.kind, f.item) for f in findings] == [("overdue_action", "Overdue")]
    assert "OPS-1" in findings[0].message and "In Progress" in findings[0].message


def test_an_action_whose_jira_issue_does_not_exist_is_told_so_and_what_to_do():
    items = [{"summary": "Deleted in Jira", "owner": "a", "due": "2026-11-20", "key": "OPS-4"},
             {"summary": "Not searchable yet", "owner": "a", "due": "2026-11-20", "key": "OPS-6"},
             {"summary": "Done on the page", "owner": "a", "due": "2026-11-20", "key": "OPS-8", "done": True}]
    findings = judge(postmortem_body(filled=ALL_FILLED, items=items), gone=frozenset({"OPS-4", "OPS-8"}))
    assert [(f.kind, f.item) for f in findings] == [("ticket_not_found", "Deleted in Jira")]
    assert findings[0].message == ("OPS-4 “Deleted in Jira” links a Jira issue that Jira says does not exist "
                                   "(deleted, a mistyped key, or a project wikibot may not browse): write the key of "
                                   "the issue that tracks it in the Ticket cell, or file a new one.")


def test_a_declined_action_needs_no_owner_date_or_finishing():
    items = [{"summary": "Replace the queue", "owner": "", "due": "", "key": "OPS-7"},
             {"summary": "Declined long ago", "owner": "a", "due": "2026-11-01", "key": "OPS-8"}]
    jira = {"OPS-7": JiraState("OPS-7", "To Do", False, None, not_doing=True),
            "OPS-8": JiraState("OPS-8", "In Progress", False, "2026-11-01", not_doing=True)}
    assert judge(postmortem_body(filled=ALL_FILLED, items=items), jira=jira) == []
    still_open = {key: replace(state, not_doing=False) for key, state in jira.items()}
    assert kinds(judge(postmortem_body(filled=ALL_FILLED, items=items), jira=still_open)) == \
        ["missing_owner", "missing_due", "overdue_action"]


def test_too_many_action_items():
    items = [{"summary": f"Action {n}", "owner": "a", "due": "2026-12-10", "key": f"OPS-{n}"} for n in range(1, 12)]
    body = postmortem_body(filled=ALL_FILLED, items=items)
    assert kinds(judge(body)) == ["too_many_actions"]
    assert judge(body, rules=Rules(max_action_items=11)) == []
    assert "if we have time" in judge(body)[0].message


# -- wording and timeline ----------------------------------------------------------------------------------
def test_blame_language_quotes_the_sentence():
    body = postmortem_body(filled={**ALL_FILLED, "Root Cause": "The query was slow. It was Bob's fault."})
    [finding] = judge(body)
    assert (finding.kind, finding.section) == ("blame_language", "Root Cause")
    assert "“It was Bob's fault.”" in finding.message


def test_blame_needs_a_person_as_subject_known_from_the_directory_or_the_page():
    root = ("We forgot to check the expiry date. The careless-mode flag was on. "
            "Dana didn't renew the certificate. The lead should have paged sooner.")
    body = postmortem_body(filled={**ALL_FILLED, "Root Cause": root})
    assert judge(body) == []  # nobody here is known to be a person: "Dana" could be a system
    [finding] = judge(body, names={"557058:dd44": "Dana Kowalski"})
    assert "“Dana didn't renew the certificate.”" in finding.message and "(“didn't”)" in finding.message
    named_on_the_page = replace(facts_of(body), people=("Dana Kowalski",))  # e.g. a plain-text owner
    found = audit_page(meta(), named_on_the_page, CATALOGUE, RULES, Evidence(now=NOW)).findings
    assert [f.kind for f in found] == ["blame_language"]


def test_timeline_out_of_order_and_unreadable_rows():
    rows = [{"Time (UTC)": "14:00", "Event": "a"}, {"Time (UTC)": "14:09", "Event": "b"},
            {"Time (UTC)": "14:02", "Event": "c"}, {"Time (UTC)": "soon after", "Event": "d"},
            {"Time (UTC)": "", "Event": "continued"}, {"Time (UTC)": "2:30 PM", "Event": "e"}]
    found = timeline_findings(rows, "Timeline of events")
    assert [(f.item, f.message.split(":")[0]) for f in found] == [
        ("row 3", "Timeline row 3 (“14"), ("row 4", "Timeline row 4")]
    assert all(f.section == "Timeline of events" for f in found)


@pytest.mark.parametrize("times", [
    ["23:50", "00:10", "00:40"],                              # past midnight
    ["2026-11-14 23:50", "2026-11-15 00:10", "00:20"],        # dates, then a time on the last date
    ["14 Nov 2026 09:00", "14:02Z", "~14:30 UTC", "15h05"],
    ["2026-11-14", "2026-11-14 10:00", "2026-11-15"],
])
def test_timelines_in_order(times):
    assert timeline_findings([{"When": t, "What": "x"} for t in times]) == []


def test_timeline_with_separate_date_and_time_columns():
    rows = [{"Date": "2026-11-15", "Time": "01:00"}, {"Date": "2026-11-14", "Time": "23:00"}]
    assert [f.item for f in timeline_findings(rows)] == ["row 2"]


def test_timeline_findings_come_from_the_page():
    body = postmortem_body(filled=ALL_FILLED, timeline=[("10:00", "a"), ("09:00", "b")])
    assert [(f.kind, f.section) for f in judge(body)] == [("timeline_order", "Timeline of events")]


# -- facts, sync interval, report ----------------------------------------------------------------------------
def test_unreadable_page_is_one_finding():
    facts = PageFacts(error="not well-formed (line 1)")
    audit = audit_page(meta(), facts, CATALOGUE, RULES, Evidence(now=NOW))
    assert kinds(list(audit.findings)) == ["unreadable"] and not audit.readable


@given(st.lists(st.tuples(st.text(max_size=20), st.sampled_from(["filled", "empty", "placeholder"])), max_size=5),
       st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4), st.booleans())
def test_facts_survive_the_json_round_trip(sections, properties, done):
    facts = PageFacts(sections=tuple(sections), properties=properties, template="postmortem",
                      items=(ItemFacts("t1r1-abcd1234", "x", None, "2026-01-01", "OPS-1", done),),
                      blame_candidates=(("S", "Bob forgot to."),), people=("Ana Lima",))
    assert PageFacts.from_json(facts.to_json()) == facts


@pytest.mark.parametrize(("schedule", "interval"), [
    ("0 * * * *", timedelta(hours=1)), ("*/15 * * * *", timedelta(minutes=15)), ("0 2 * * *", timedelta(days=1)),
])
def test_sync_interval_from_the_cron_schedule(schedule, interval):
    assert sync_interval(schedule, UTC, NOW) == interval


def test_report_json_contract_and_exit_codes():
    body = postmortem_body(status="Draft <b>", filled={**ALL_FILLED, "Trigger": ""})
    page = audit_page(meta(), facts_of(body), CATALOGUE, RULES, Evidence(now=NOW, names={"557058:aa11": "Ana"}))
    report = AuditReport(generated_at=NOW, pages=[page])
    data = json.loads(render(report, "json"))
    assert set(data) == {"generated_at", "pages", "summary"}
    [entry] = data["pages"]
    assert set(entry) == {"page_id", "title", "url", "status", "lead", "sections", "findings", "debrief"}
    assert entry["debrief"] == {"held": None, "from": None, "note": None}
    assert entry["lead"] == "Ana" and entry["status"] == "Draft <b>"
    assert set(entry["findings"][0]) == {"kind", "section", "item", "message"}
    assert data["summary"]["findings_by_kind"] == {"empty_section": 1}
    assert report.exit_code == ExitStatus.FINDINGS
    assert AuditReport(generated_at=NOW, pages=[]).exit_code == ExitStatus.OK
    assert AuditReport(generated_at=NOW, pages=[], errors=["Jira: down"]).exit_code == ExitStatus.INCOMPLETE
    html = render(report, "html")
    assert "Draft &lt;b&gt;" in html and "Draft <b>" not in html
    assert "PM 1" in render(report, "table") and "7/8" in render(report, "table")


def test_blame_phrases_in_code_and_inline_code_are_not_blame():
    code = ('<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[# Bob forgot to set this\n'
            'careless_mode = true]]></ac:plain-text-body></ac:structured-macro>')
    root = (f"<p>The flag <code>Bob didn't</code> was set.</p>{code}"
            '<ac:structured-macro ac:name="noformat"><ac:plain-text-body><![CDATA[ERROR: he failed to connect]]>'
            "</ac:plain-text-body></ac:structured-macro><p>Then he forgot to page anyone.</p>")
    body = postmortem_body(filled=ALL_FILLED).replace(
        f"<p>{ALL_FILLED['Root Cause']}</p>", f"<p>{ALL_FILLED['Root Cause']}</p>{root}")
    blame = [f.message for f in judge(body, names={"557058:bb22": "Bob Chen"}) if f.kind == "blame_language"]
    assert len(blame) == 1 and "“Then he forgot to page anyone.”" in blame[0]


def test_reports_with_no_post_mortems_or_one_finding_read_as_english():
    empty = AuditReport(generated_at=NOW, pages=[])
    assert render(empty, "table") == "No post-mortems found.\n\n0 pages, 0 with findings\n"
    assert "<td colspan=\"6\">No post-mortems found.</td>" in render(empty, "html")
    body = postmortem_body(filled={**ALL_FILLED, "Trigger": ""})
    one = AuditReport(generated_at=NOW, pages=[audit_page(meta(), facts_of(body), CATALOGUE, RULES, Evidence(now=NOW))])
    assert render(one, "table").endswith("\n1 page, 1 with findings (1 finding: empty section 1)\n")


def test_a_lead_is_named_or_said_to_be_unknown_or_left_as_an_id_when_jira_was_not_asked():
    body = postmortem_body(filled=ALL_FILLED, lead="557058:ff66")
    lead = lambda **evidence: audit_page(meta(), facts_of(body), CATALOGUE, RULES,  # noqa: E731
                                         Evidence(now=NOW, **evidence)).lead
    assert lead(names={"557058:ff66": "Fay Fox"}) == "Fay Fox"
    assert lead(unknown_people=frozenset({"557058:ff66"})) == "unknown user (557058:ff66)"
    assert lead() == "557058:ff66"
