"""The example post-mortems: real-looking storage format that seeds the sandbox and feeds demos and audits."""

from __future__ import annotations

import dataclasses
import html.entities
import re
from importlib import resources

import lxml.html
import pytest
from lxml import etree

from service_sandbox.examples import EXAMPLE_PAGES, SRE_SECTIONS, STANDARD_SECTIONS, ExamplePage
from service_sandbox.render import render_storage

AC = "http://atlassian.com/content"
RI = "http://atlassian.com/resource/identifier"
SEEDED_USERS = {"557058:aa11": "Ana Lima", "557058:bb22": "Bob Chen", "557058:cc33": "Chidi Okafor",
                "557058:dd44": "Dana Kowalski", "557058:ee55": "Eve Martin"}
PROPERTY_KEYS = ["Incident", "Severity", "Incident date", "Lead investigator", "Status", "Debrief due", "Debrief held",
                 "Debrief recording", "Incident channel"]
STAGES = {"Draft", "In review", "Debriefed", "Published"}


def _numeric(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in ("amp", "lt", "gt", "quot", "apos"):
        return match.group(0)
    return "".join(f"&#{ord(c)};" for c in html.entities.html5[name + ";"])


def parse(page: ExamplePage) -> etree._Element:
    """Strict XML, as the storage-format notes prescribe: wrap, declare prefixes, replace HTML entities."""
    body = re.sub(r"&([A-Za-z][A-Za-z0-9]*);", _numeric, page.body)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{body}</root>', parser)


def headings(root: etree._Element) -> list[str]:
    return [" ".join("".join(h.itertext()).split()) for h in root.iter("h2", "h3")]


def macros(root: etree._Element, name: str) -> list[etree._Element]:
    return [m for m in root.iter(f"{{{AC}}}structured-macro") if m.get(f"{{{AC}}}name") == name]


def page_properties(root: etree._Element) -> dict[str, etree._Element]:
    table = macros(root, "details")[0].find(f"{{{AC}}}rich-text-body/table")
    return {"".join(row.find("th").itertext()).strip(): row.find("td") for row in table.iter("tr")}


def is_subsequence(needles: tuple[str, ...], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(h == n for h in it) for n in needles)


@pytest.fixture(params=EXAMPLE_PAGES, ids=lambda p: p.title[:40])
def page(request: pytest.FixtureRequest) -> ExamplePage:
    return request.param


def test_there_are_five_or_six_distinct_pages() -> None:
    assert 5 <= len(EXAMPLE_PAGES) <= 6
    assert len({p.title for p in EXAMPLE_PAGES}) == len(EXAMPLE_PAGES)


def test_every_xml_file_is_an_example() -> None:
    files = {f.name for f in resources.files("service_sandbox.examples").iterdir() if f.name.endswith(".xml")}
    assert len(files) == len(EXAMPLE_PAGES)
    assert {p.body for p in EXAMPLE_PAGES} == {
        resources.files("service_sandbox.examples").joinpath(f).read_text(encoding="utf-8") for f in files}


def test_example_page_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        EXAMPLE_PAGES[0].title = "x"  # type: ignore[misc]


def test_is_well_formed_once_wrapped(page: ExamplePage) -> None:
    assert len(parse(page)) > 0


def test_has_the_sections_of_one_template_in_order(page: ExamplePage) -> None:
    found = headings(parse(page))
    assert is_subsequence(STANDARD_SECTIONS, found) or is_subsequence(SRE_SECTIONS, found), found


def test_starts_with_page_properties(page: ExamplePage) -> None:
    root = parse(page)
    first_macro = next(root.iter(f"{{{AC}}}structured-macro"))
    assert first_macro.get(f"{{{AC}}}name") == "details"
    assert list(root.iter()).index(first_macro) < list(root.iter()).index(next(root.iter("h2")))
    props = page_properties(root)
    assert list(props) == PROPERTY_KEYS
    assert "".join(props["Status"].itertext()).strip() == page.status
    lead = props["Lead investigator"].find(f".//{{{RI}}}user")
    assert lead.get(f"{{{RI}}}account-id") in SEEDED_USERS


def test_labels_and_metadata_are_consistent(page: ExamplePage) -> None:
    props = page_properties(parse(page))
    severity = "".join(props["Severity"].itertext()).strip()
    assert "postmortem" in page.labels
    assert [label for label in page.labels if re.fullmatch(r"sev-\d", label)] == [f"sev-{severity[-1]}"]
    assert page.status in STAGES
    assert page.created_days_ago >= page.modified_days_ago >= 0


def test_mentions_use_seeded_accounts(page: ExamplePage) -> None:
    ids = {u.get(f"{{{RI}}}account-id") for u in parse(page).iter(f"{{{RI}}}user")}
    assert ids and ids <= set(SEEDED_USERS)


def test_renders_cleanly(page: ExamplePage) -> None:
    out = render_storage(page.body, user_name=SEEDED_USERS.get, jira_browse_url="https://jira.example.com")
    assert 'class="render-error"' not in out
    doc = lxml.html.fragment_fromstring(str(out), create_parent="div")
    assert [" ".join(h.text_content().split()) for h in doc.iter("h2", "h3")] == headings(parse(page))
    lead = page_properties(parse(page))["Lead investigator"].find(f".//{{{RI}}}user").get(f"{{{RI}}}account-id")
    assert f"@{SEEDED_USERS[lead]}" in doc.text_content()
    assert "557058:" not in doc.text_content()


def _by_stage() -> dict[str, list[ExamplePage]]:
    stages: dict[str, list[ExamplePage]] = {}
    for p in EXAMPLE_PAGES:
        stages.setdefault(p.status, []).append(p)
    return stages


def test_the_stages_the_brief_asks_for_are_all_present() -> None:
    stages = _by_stage()
    published = [p for p in stages["Published"] if is_subsequence(STANDARD_SECTIONS, headings(parse(p)))]
    assert published and all("ac:placeholder" not in p.body for p in published)
    assert any('ac:name="jira"' in p.body and "<time datetime=" in p.body for p in published)
    assert any(p.body.count("<ac:placeholder") >= 3 for p in stages["Draft"])
    assert any("<ac:task-list>" in p.body for p in stages["Debriefed"])
    assert any(is_subsequence(SRE_SECTIONS, headings(parse(p))) for p in EXAMPLE_PAGES)
    stale = [p for p in EXAMPLE_PAGES if p.created_days_ago == 12 and p.modified_days_ago == 9]
    assert stale and "should have known" in stale[0].body and "Debriefed" not in stale[0].status


def test_code_macro_text_does_not_become_markup() -> None:
    """A CDATA `<h2>` or `<table>` must stay text: naive parsers that count it as a heading are wrong."""
    page = next(p for p in EXAMPLE_PAGES if "<![CDATA[" in p.body and "<h2>" in p.body.split("<![CDATA[")[1])
    root = parse(page)
    assert macros(root, "expand") and macros(root, "status") and root.find(f".//{{{AC}}}layout") is not None
    out = str(render_storage(page.body))
    assert "&lt;h2&gt;Marketing&lt;/h2&gt;" in out and "&amp;nbsp;" in out
    assert out.count("<h2>") == len(root.findall(".//h2"))


def test_seeded_example_issues_are_the_ones_the_pages_cite() -> None:
    """``examples/issues.json`` is data the sandbox seeds without wikibot's parser; it must match the pages."""
    from service_sandbox.example_issues import example_issues
    from wikibot.pages import parse_page

    cited = {}
    for page in EXAMPLE_PAGES:
        for item in parse_page(page.body).action_items:
            if item.jira_key and item.jira_key.startswith("OPS-"):
                cited.setdefault(item.jira_key, (item.summary, item.owner, item.due, bool(item.done), page.title))
    seeded = {row["key"]: (row["summary"], row["owner"], row["due"], row["done"], row["page_title"])
              for row in example_issues()}
    assert seeded == cited


def test_the_sandbox_package_never_imports_wikibot() -> None:
    """The emulator is its own package: its contract is readable and changeable without wikibot."""
    import ast
    from pathlib import Path

    import service_sandbox

    root = Path(service_sandbox.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n == "wikibot" or n.startswith("wikibot.")]
    assert offenders == []
