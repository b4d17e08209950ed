"""Recording the debrief: the "Debrief held" property, read by the audit and set from the dashboard
as a one-cell, version-checked edit that never overwrites a person's."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.search_index import time_passes
from tests.test_audit_checks import ALL_FILLED, CATALOGUE, NOW, RULES, facts_of, meta, postmortem_body
from wikibot.atlassian.confluence import ConfluenceGateway
from wikibot.audit.checks import audit_page
from wikibot.audit.rules import Evidence
from wikibot.debrief import AlreadyRecorded, mark_debriefed
from wikibot.pages import parse_page
from wikibot.pages.edit import PropertyConflict, set_property
from wikibot.pages.errors import EditError
from wikibot.templates import load_template, sample_context

HELD = '<time datetime="2026-11-12" />'


def with_held(body: str, value: str) -> str:
    due = '<tr><th><p>Debrief due</p></th>'
    start = body.index(due)
    end = body.index("</tr>", start) + 5
    return body[:end] + f"<tr><th><p>Debrief held</p></th><td><p>{value}</p></td></tr>" + body[end:]


# -- the templates and the audit ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["postmortem.xml", "sre.xml"])
def test_the_templates_carry_an_empty_debrief_held_property(name):
    model = parse_page(load_template(name).render(**sample_context()))
    assert "Debrief held" in model.properties and model.properties["Debrief held"] == ""


def test_the_audit_reads_debrief_held_from_the_page():
    body = with_held(postmortem_body(filled=ALL_FILLED, status="In review"), HELD)
    page = audit_page(meta(), facts_of(body), CATALOGUE, RULES, Evidence(now=NOW))
    assert (page.debrief_held, page.debrief_held_from, page.debrief_note) == (date(2026, 11, 12), "page", None)


def test_a_held_debrief_is_never_overdue_whatever_the_status():
    body = with_held(postmortem_body(filled=ALL_FILLED, status="In review", debrief_due=date(2026, 11, 1)), HELD)
    page = audit_page(meta(), facts_of(body), CATALOGUE, RULES, Evidence(now=NOW))
    assert "debrief_overdue" not in [f.kind for f in page.findings]


def test_debriefed_without_a_date_counts_from_the_day_first_seen_and_says_so():
    body = postmortem_body(filled=ALL_FILLED, status="Debriefed")
    page = audit_page(meta(), facts_of(body), CATALOGUE, RULES,
                      Evidence(now=NOW, debriefed_seen={"1": date(2026, 11, 20)}))
    assert (page.debrief_held, page.debrief_held_from) == (date(2026, 11, 20), "status")
    assert "“Debrief held” is empty" in page.debrief_note and "2026-11-20" in page.debrief_note
    assert page.to_dict()["debrief"] == {"held": "2026-11-20", "from": "status", "note": page.debrief_note}
    assert page.findings == ()  # a note, not a finding: nothing to nag about in comments or labels


def test_the_reports_say_so_when_the_debrief_day_is_the_one_first_seen():
    from wikibot.audit.report import AuditReport, render

    page = audit_page(meta(), facts_of(postmortem_body(filled=ALL_FILLED, status="Debriefed")), CATALOGUE, RULES,
                      Evidence(now=NOW, debriefed_seen={"1": date(2026, 11, 20)}))
    report = AuditReport(generated_at=NOW, pages=[page])
    assert "    note: Status is Debriefed but “Debrief held” is empty: counted as held on 2026-11-20" in render(
        report, "table")
    assert '<p class="note">Status is Debriefed' in render(report, "html")


def test_a_draft_has_no_debrief_even_if_it_was_once_seen_debriefed():
    page = audit_page(meta(), facts_of(postmortem_body(filled=ALL_FILLED)), CATALOGUE, RULES,
                      Evidence(now=NOW, debriefed_seen={"1": date(2026, 11, 20)}))
    assert page.debrief_held is None


# -- the edit ---------------------------------------------------------------------------------------
def template_body() -> str:
    return load_template("postmortem.xml").render(**sample_context())


def test_setting_debrief_held_changes_only_its_cell():
    body = template_body()
    new = set_property(body, "Debrief held", HELD, after="Debrief due")
    start = body.index("<tr><th><p>Debrief held</p></th><td>") + len("<tr><th><p>Debrief held</p></th><td>")
    assert new[:start] == body[:start]
    assert new[start:].startswith(f"<p>{HELD}</p></td>")
    assert new.endswith(body[body.index("</td>", start):])
    assert parse_page(new).properties["Debrief held"] == "2026-11-12"


def test_setting_it_again_is_a_no_op_and_a_different_date_a_person_wrote_is_kept():
    once = set_property(template_body(), "Debrief held", HELD)
    assert set_property(once, "Debrief held", HELD) == once
    with pytest.raises(PropertyConflict, match="2026-11-12"):
        set_property(once, "Debrief held", '<time datetime="2026-11-13" />')


def test_a_page_without_the_row_gets_one_after_debrief_due():
    body = postmortem_body(filled=ALL_FILLED, debrief_due=date(2026, 11, 20))
    new = set_property(body, "Debrief held", HELD, after="Debrief due")
    assert parse_page(new).properties["Debrief held"] == "2026-11-12"
    due_row_end = body.index("</tr>", body.index("Debrief due")) + 5
    assert new[:due_row_end] == body[:due_row_end] and new[due_row_end:].startswith("<tr><th><p>Debrief held</p>")
    assert new[due_row_end:].split("</tr>", 1)[1] == body[due_row_end:]


def test_a_page_without_page_properties_is_refused_with_a_reason():
    with pytest.raises(EditError, match="no Page Properties"):
        set_property("<h2>Impact</h2><p>x</p>", "Debrief held", HELD)


# -- against Confluence (the sandbox) ----------------------------------------------------------------
@pytest.fixture
def wiki_and_page(examples_config):
    from wikibot.services import Services

    services = Services(examples_config)
    wiki = services.confluence
    [page] = wiki.pages_titled("PM-2026-11-24 Delayed webhook deliveries", body=True)
    yield services, wiki, page
    services.close()


def test_marking_debriefed_writes_one_new_version_with_the_date(wiki_and_page):
    _, wiki, page = wiki_and_page
    marked = mark_debriefed(wiki, page.id, date(2026, 11, 30))
    after = wiki.page(page.id)
    assert marked.changed and after.version == page.version + 1
    assert parse_page(after.body).properties["Debrief held"] == "2026-11-30"
    assert not mark_debriefed(wiki, page.id, date(2026, 11, 30)).changed  # idempotent: no second version
    assert wiki.page(page.id).version == after.version
    with pytest.raises(AlreadyRecorded):
        mark_debriefed(wiki, page.id, date(2026, 11, 29))


class PersonSavesFirst(ConfluenceGateway):
    """Someone saves the page between wikibot's read and its write, once."""

    raced = False

    def update_body(self, page, body, message="wikibot"):
        if not self.raced:
            self.raced = True
            fresh = self.page(page.id)
            super().update_body(fresh, fresh.body + "<p>A person's late addition.</p>", "a person")
        return super().update_body(page, body, message)


def test_a_409_re_reads_the_page_and_re_applies_only_this_edit(wiki_and_page):
    _, wiki, page = wiki_and_page
    racing = PersonSavesFirst(wiki.client, space=wiki.space, site_url=wiki.site_url)
    assert mark_debriefed(racing, page.id, date(2026, 11, 30)).changed
    after = wiki.page(page.id)
    assert after.version == page.version + 2
    assert "A person's late addition." in after.body
    assert parse_page(after.body).properties["Debrief held"] == "2026-11-30"


# -- the dashboard action -----------------------------------------------------------------------------
@pytest.fixture
def dashboard(wiki_and_page):
    from wikibot.audit import run_audit
    from wikibot.web import create_app

    services, wiki, page = wiki_and_page
    run_audit(services)
    client = create_app(services.config, services).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    return client, token, services, wiki, page


def test_mark_debriefed_from_the_dashboard_sets_the_page_and_updates_the_figures(dashboard):
    from wikibot.audit import run_audit

    client, token, services, wiki, page = dashboard
    today = date.today()
    response = client.post(f"/postmortems/{page.id}/debriefed", data={"csrf_token": token, "held": today.isoformat()})
    assert response.status_code == 303
    html = client.get("/").text
    assert f"debrief held {today.isoformat()}" in html and f"held {today.isoformat()}" in html
    assert parse_page(wiki.page(page.id).body).properties["Debrief held"] == today.isoformat()
    time_passes()
    report = run_audit(services)  # the next audit reads it from the page
    audited = next(p for p in report.pages if p.page_id == page.id)
    assert (audited.debrief_held, audited.debrief_held_from) == (today, "page")


def test_mark_debriefed_refuses_without_the_token_for_unknown_pages_and_future_days(dashboard):
    client, token, _, wiki, page = dashboard
    assert client.post(f"/postmortems/{page.id}/debriefed", data={"held": "2026-11-30"}).status_code == 400
    assert client.post("/postmortems/99999/debriefed", data={"csrf_token": token}).status_code == 404
    future = (date.today() + timedelta(days=3)).isoformat()
    client.post(f"/postmortems/{page.id}/debriefed", data={"csrf_token": token, "held": future})
    assert "has not come yet" in client.get("/").text
    client.post(f"/postmortems/{page.id}/debriefed", data={"csrf_token": token, "held": "<b>soon</b>"})
    assert "&lt;b&gt;soon&lt;/b&gt;” is not a date" in client.get("/").text
    assert wiki.page(page.id).version == page.version  # nothing was written


def test_a_lost_response_to_the_write_is_retried_safely_and_lands_once(wiki_and_page, sandbox_with_examples):
    _, wiki, page = wiki_and_page
    sandbox_with_examples.fault(drop=True, after=True, method="PUT", path_prefix="/wiki/api/v2/pages/", count=1)
    mark_debriefed(wiki, page.id, date(2026, 11, 30))
    after = wiki.page(page.id)
    assert after.version == page.version + 1
    assert parse_page(after.body).properties["Debrief held"] == "2026-11-30"


def test_confluence_down_is_one_clear_line_on_the_dashboard_and_nothing_is_written(dashboard, sandbox_with_examples):
    client, token, _, wiki, page = dashboard
    sandbox_with_examples.fault(status=503, count=None, method="PUT", path_prefix="/wiki/api/v2/pages/")
    response = client.post(f"/postmortems/{page.id}/debriefed", data={"csrf_token": token})
    assert response.status_code == 303
    html = client.get("/").text
    assert 'class="alert"' in html and "Confluence" in html and "Recorded on" not in html
    sandbox_with_examples.clear_faults()
    assert wiki.page(page.id).version == page.version



def test_the_page_history_says_who_recorded_the_debrief(wiki_and_page):
    _, wiki, page = wiki_and_page
    mark_debriefed(wiki, page.id, date(2026, 11, 30), by="Ana Lima")
    version = wiki.client.get(f"api/v2/pages/{page.id}")["version"]
    assert version["message"] == "wikibot: debrief held 2026-11-30 (recorded by Ana Lima)"
