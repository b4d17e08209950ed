"""Sections as people write them: the level that carries them, cleaned titles, synonyms and aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikibot.pages import parse_page
from wikibot.pages.names import SYNONYMS, SectionNames, clean_title, name_key, section_names


def sections(body: str, **kwargs) -> list[tuple[str, str]]:
    return [(s.title, s.status) for s in parse_page(body, **kwargs).sections]


# -- which heading level carries the sections (issue #14, point 1) --------------------------------


def test_a_lone_h1_title_above_h2_sections_is_a_title_not_the_only_section():
    body = "<h1>Postmortem</h1><h2>Root Cause</h2><p>x</p><h2>Resolution</h2><p></p>"
    assert sections(body) == [("Root Cause", "filled"), ("Resolution", "empty")]


def test_the_page_title_repeated_as_h1_is_a_title_even_when_the_sections_have_unknown_names():
    body = "<h1>INC-42 checkout outage</h1><p>Intro.</p><h2>Customers</h2><p>a</p><h2>Vendors</h2><p />"
    assert sections(body) == [("Customers", "filled"), ("Vendors", "empty")]


def test_the_level_whose_headings_are_section_names_wins_over_a_higher_level_of_group_titles():
    body = ("<h1>Part one: the incident</h1><h2>Impact</h2><p>a</p><h2>Root cause</h2><p>b</p>"
            "<h1>Part two: what we do now</h1><h2>Action items</h2><p /><h2>Lessons learned</h2><p>c</p>")
    assert sections(body) == [("Impact", "filled"), ("Root cause", "filled"), ("Action items", "empty"),
                              ("Lessons learned", "filled")]


def test_several_h1_sections_with_h2_details_stay_h1_sections():
    body = ("<h1>What happened</h1><h2>Detection</h2><p>a</p><h1>Root cause</h1><p>b</p>"
            "<h1>Action items</h1><h2>Nice to have</h2><ul><li>x</li></ul>")
    model = parse_page(body)
    assert [(s.title, s.level) for s in model.sections] == [("What happened", 1), ("Root cause", 1),
                                                             ("Action items", 1)]
    assert model.sections[0].text == "Detection\na"


def test_a_heading_above_the_section_level_after_the_sections_closes_the_current_section():
    body = "<h1>Title</h1><h2>Impact</h2><p>a</p><h2>Trigger</h2><p /><h1>Appendix</h1><p>logs</p>"
    assert sections(body) == [("Impact", "filled"), ("Trigger", "empty")]


def test_a_lone_h1_above_a_single_h2_with_an_unknown_name_is_still_the_section():
    assert sections("<h1>Impact</h1><p>a</p><h2>Details</h2><p>b</p>") == [("Impact", "filled")]


def test_a_lone_h1_that_names_a_section_better_than_its_h2_groups_is_the_section():
    body = ("<h1>Action items</h1><h2>Short term</h2><ul><li>Add alert</li></ul>"
            "<h2>Long term</h2><ul><li>Replace the queue</li></ul>")
    model = parse_page(body)
    assert [s.title for s in model.sections] == ["Action items"]
    assert [i.summary for i in model.action_items] == ["Add alert", "Replace the queue"]


def test_the_pages_title_sets_no_scope_even_when_it_reads_like_one():
    body = "<h1>Timeline and action items of INC-7</h1><h2>Impact</h2><ul><li>Slow</li></ul><h2>Root cause</h2><p>x</p>"
    model = parse_page(body)
    assert [s.title for s in model.sections] == ["Impact", "Root cause"]
    assert model.action_items == [] and model.timeline == []


# -- cleaned titles (point 1) ---------------------------------------------------------------------


@pytest.mark.parametrize(("heading", "title"), [
    ("1. Impact", "Impact"),
    ("2.3 Root causes:", "Root causes"),
    ("3) Resolution", "Resolution"),
    ("A. Detection", "Detection"),
    ("IV. Timeline", "Timeline"),
    ("\U0001F4CB Timeline", "Timeline"),
    ("\u26a0\ufe0f What went wrong :", "What went wrong"),
    (":warning: Detection", "Detection"),
    ("1. \U0001F4CB Timeline", "Timeline"),
    ("Root&nbsp;cause&nbsp;:", "Root cause"),
    ("5 Whys", "5 Whys"),
    ("2026-10-14 outage", "2026-10-14 outage"),
    ("What happened \U0001F525", "What happened \U0001F525"),
])
def test_titles_lose_leading_numbering_and_emoji_and_a_trailing_colon(heading: str, title: str):
    assert parse_page(f"<h2>{heading}</h2><p>x</p>").sections[0].title == title


def test_clean_title_never_empties_a_heading_that_is_only_decoration():
    assert clean_title("\U0001F525") == "\U0001F525"
    assert clean_title("  1.  ") == "1."


# -- synonyms and aliases (point 2) ---------------------------------------------------------------


def test_a_status_lozenge_in_a_heading_is_not_part_of_its_name():
    lozenge = ('<ac:structured-macro ac:name="status"><ac:parameter ac:name="title">DRAFT</ac:parameter>'
               "</ac:structured-macro>")
    body = f"<h2>Summary</h2><p>x</p><h2>Corrective actions {lozenge} (2026)</h2><ul><li>Fix X</li></ul>"
    model = parse_page(body)
    assert [(s.title, s.name) for s in model.sections][1] == ("Corrective actions (2026)", "Action items")
    assert [i.summary for i in model.action_items] == ["Fix X"]
    assert lozenge in body  # the page itself is untouched


@pytest.mark.parametrize(("heading", "name"), [
    ("Corrective and Preventative Measures", "Action items"),
    ("Follow-ups", "Action items"),
    ("Remediation", "Action items"),
    ("Next steps", "Action items"),
    ("ACTION ITEMS", "Action items"),
    ("Action items \u2705", "Action items"),
    ("Open action items", "Action items"),
    ("Lessons learned", "Lessons learned"),
    ("Issue Summary", "Summary"),
    ("Detection", "Detection"),
    ("Root Causes", "Root Cause"),
    ("Contributing factors", "Root Cause"),
    ("What went wrong", "What didn't go well"),
    ("Timeline (UTC)", "Timeline of events"),
    ("Supporting information", "Data & Analysis"),
    ("Follow-ups (nice to have)", "Things we should do if we have time"),
    ("Customer communication", "Customer communication"),
    ("What can be improved", "What didn't go well"),
    ("What Didn\u2019t Go So Well", "What didn't go well"),
    ("Impact &amp; Metrics", "Impact and Scope"),
    ("3 Measures", "Action items"),
    ("Actions &amp; owners", "Action items"),
    ("1 Root cause", "Root Cause"),
    ("1 Zusammenfassung / Summary", "Summary"),
    ("Follow-up work", "Action items"),
    ("Remediation and follow-up steps already completed", "Action items"),
    ("7. Ma\u00dfnahmen", "Action items"),
    ("Zeitlicher Ablauf", "Timeline of events"),
    ("Wenn wir Zeit haben", "Things we should do if we have time"),
    ("Actions correctives", "Action items"),
    ("Plan d\u2019action", "Action items"),
    ("\u00bfQu\u00e9 sali\u00f3 mal?", "What didn't go well"),
    ("Pr\u00f3ximos pasos", "Action items"),
    ("A\u00e7\u00f5es corretivas", "Action items"),
    ("4. Linha do tempo", "Timeline of events"),
    ("Causa-raiz", "Root Cause"),
    ("Se tivermos tempo", "Things we should do if we have time"),
    ("\u518d\u767a\u9632\u6b62\u7b56", "Action items"),
    ("3. \u6839\u672c\u539f\u56e0", "Root Cause"),
    ("\u30bf\u30a4\u30e0\u30e9\u30a4\u30f3", "Timeline of events"),
    ("\u66ab\u5b9a\u5bfe\u5fdc", "Resolution"),
    ("2026 outage", "2026 outage"),
])
def test_headings_map_to_the_section_they_stand_for(heading: str, name: str):
    assert parse_page(f"<h2>{heading}</h2><p>x</p>").sections[0].name == name


def test_every_synonym_maps_back_to_its_section():
    names = SectionNames()
    for section, synonyms in SYNONYMS.items():
        assert names.name_of(section) == section
        for synonym in synonyms:
            assert names.name_of(synonym) == section, synonym


def test_the_readme_documents_every_synonym():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The page model"):readme.index("## The sandbox")]
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in table.splitlines() if line.startswith("| ")}
    for section, synonyms in SYNONYMS.items():
        assert section in rows, section
        documented = {name_key(s) for s in rows[section].split(",")} | {name_key(section)}
        assert {name_key(s) for s in synonyms} <= documented, section


def test_no_synonym_is_listed_for_two_sections():
    owners: dict[str, str] = {}
    for section, synonyms in SYNONYMS.items():
        for synonym in (section, *synonyms):
            assert owners.setdefault(name_key(synonym), section) == section, synonym


@pytest.mark.parametrize("heading", ["Follow-ups", "Next steps", "Corrective and Preventative Measures",
                                     "4. Remediation:"])
def test_a_synonym_of_action_items_makes_its_content_action_items(heading: str):
    body = f"<h2>{heading}</h2><table><tbody><tr><th>Action</th></tr><tr><td>Add alert</td></tr></tbody></table>"
    assert [i.summary for i in parse_page(body).action_items] == ["Add alert"]


def test_configured_aliases_extend_the_table_and_reach_the_items():
    body = ("<h2>Kaizen</h2><p>x</p><h2>Post-incident work</h2><ul><li>Add alert \u2014 Ana</li></ul>"
            "<h2>Parking lot</h2><ul><li>Someday</li></ul>")
    plain = parse_page(body)
    assert [s.name for s in plain.sections] == ["Kaizen", "Post-incident work", "Parking lot"]
    assert plain.action_items == [] and plain.deferred == []
    aliases = {"Kaizen": "What didn't go well", "Post-incident work": "Action items",
               "Parking lot": "If we have time"}
    model = parse_page(body, aliases=aliases)
    assert [s.name for s in model.sections] == ["What didn't go well", "Action items",
                                                "Things we should do if we have time"]
    assert [(i.summary, i.owner) for i in model.action_items] == [("Add alert", "Ana")]
    assert [d.summary for d in model.deferred] == ["Someday"]


def test_an_alias_to_a_section_wikibot_does_not_know_names_it_as_configured():
    names = section_names({"Comms": "Customer communication"})
    assert names.name_of("Comms") == "Customer communication"
    assert section_names({"Comms": "Customer communication"}) is names  # built once per mapping


def test_known_names_decide_the_level_with_aliases_too():
    body = "<h1>Retro</h1><h2>Kaizen</h2><p>a</p><h2>Post-incident work</h2><p>b</p>"
    assert sections(body, aliases={"Kaizen": "Root Cause"}) == [("Kaizen", "filled"),
                                                                 ("Post-incident work", "filled")]
