"""Page templates: autoescaped storage format, CDATA-safe, strict, validated at load."""

from __future__ import annotations

import pytest
from lxml import etree

from wikibot.errors import ConfigError
from wikibot.templates import BUILTIN_DIR, WRAP_OPEN, TemplateSet, cdata, load_template, sample_context

SECTIONS = ["Impact and Scope", "Trigger", "Resolution", "Timeline of events", "Root Cause", "What went well",
            "What didn't go well", "Action items", "Things we should do if we have time", "Data & Analysis"]
SRE_SECTIONS = ["Impact and Scope", "Trigger", "Detection", "Resolution", "Timeline of events", "Root Cause",
                "What went well", "What didn't go well", "Where we got lucky", "Action items",
                "Things we should do if we have time", "Data & Analysis"]

HOSTILE = ('</p><ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>alert(1)</script>]]>'
           "</ac:plain-text-body></ac:structured-macro><p>")


def tree(body: str) -> etree._Element:
    return etree.fromstring(f"{WRAP_OPEN}{body.replace('&nbsp;', '&#160;')}</root>".encode())


def context(**incident: object) -> dict:
    values = sample_context()
    values["incident"] = {**values["incident"], **incident}
    return values


def test_shipped_templates_load_with_their_declared_name_and_version():
    assert load_template("postmortem.xml").ref == "postmortem@2"
    assert load_template("sre.xml").ref == "sre@2"
    assert load_template("index.xml").ref == "index@1"


def test_hostile_title_lands_as_text_never_as_markup():
    body = load_template("postmortem.xml").render(**context(id=HOSTILE, summary=None))
    root = tree(body)
    ns = {"ac": "http://atlassian.com/content"}
    assert not root.xpath("//ac:structured-macro[@ac:name='html']", namespaces=ns)
    assert HOSTILE in "".join(root.itertext())


def test_text_inside_cdata_is_split_at_the_terminator_not_entity_escaped():
    body = load_template("postmortem.xml").render(**context(summary="a ]]> b <em>raw</em> & c"))
    root = tree(body)
    texts = [el.text for el in root.iter("{http://atlassian.com/content}plain-text-body")]
    assert texts == ["a ]]> b <em>raw</em> & c"]


@pytest.mark.parametrize("name", ["postmortem.xml", "sre.xml"])
def test_no_value_can_make_a_page_that_is_not_well_formed(name):
    # Defence in depth (issue #16, 1): even a caller that skipped validation cannot break the page.
    bad = "a\x00\x01\ufffe\uffff\ud800b"
    body = load_template(name).render(**context(id=bad, title=bad, summary=bad, channel_url="https://x/" + bad,
                                                 started=bad))
    assert "ab" in "".join(tree(body).itertext())


def test_cdata_filter_splits_every_terminator():
    assert str(cdata("x]]>y]]>")) == "x]]]]><![CDATA[>y]]]]><![CDATA[>"


@pytest.mark.parametrize("suffix", [".xml", ".j2", ".xml.j2", ".txt"])
def test_values_are_autoescaped_whatever_the_file_suffix(tmp_path, suffix):
    path = tmp_path / f"team{suffix}"
    path.write_text("<h2>Impact</h2><p>{{ incident.title }}</p>")
    body = load_template(path).render(**context(title="<b>bold</b> & co"))
    assert body == "<h2>Impact</h2><p>&lt;b&gt;bold&lt;/b&gt; &amp; co</p>"


def test_a_template_using_an_undefined_value_is_refused_at_load(tmp_path):
    path = tmp_path / "typo.xml"
    path.write_text("<p>{{ incident.titel }}</p>")
    with pytest.raises(ConfigError, match="undefined value"):
        load_template(path)


def test_a_template_that_renders_malformed_storage_format_is_refused_at_load(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<h2>Impact</h2><p>{{ incident.title }}")
    with pytest.raises(ConfigError, match="broken.xml: renders malformed storage format"):
        load_template(path)


def test_a_template_with_jinja_syntax_errors_names_the_line(tmp_path):
    path = tmp_path / "syntax.xml"
    path.write_text("<p>\n{% if %}</p>")
    with pytest.raises(ConfigError, match="syntax.xml: line 2: template syntax error"):
        load_template(path)


def test_a_missing_template_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read template"):
        load_template(tmp_path / "nope.xml")


def test_relative_names_resolve_in_page_templates():
    assert load_template("postmortem.xml").path == BUILTIN_DIR / "postmortem.xml"


def test_template_set_chooses_by_severity_case_insensitively_else_default():
    default, sre = load_template("postmortem.xml"), load_template("sre.xml")
    templates = TemplateSet(default, {"SEV-1": sre})
    assert templates.choose("sev-1") is sre
    assert templates.choose("SEV-3") is default
    assert templates.choose(None) is default


@pytest.mark.parametrize(("name", "sections"), [("postmortem.xml", SECTIONS), ("sre.xml", SRE_SECTIONS)])
def test_rendered_page_parses_into_exactly_the_template_sections_all_placeholder(name, sections):
    from wikibot.pages import parse_page

    model = parse_page(load_template(name).render(**sample_context()))
    assert [s.title for s in model.sections] == sections
    assert {s.status for s in model.sections} == {"placeholder"}
    assert model.action_items == []


def test_rendered_page_properties_carry_the_incident_metadata():
    from wikibot.pages import parse_page

    model = parse_page(load_template("postmortem.xml").render(**sample_context()))
    props = {k.lower(): v for k, v in model.properties.items()}
    assert props["incident"] == "INC-0"
    assert props["severity"] == "SEV-2"
    assert props["status"] == "Draft"
    assert "2026-01-08" in props["debrief due"]
