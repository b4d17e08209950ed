"""render_storage: storage format in, allow-listed HTML out, for the sandbox's browser-facing pages."""

from __future__ import annotations

import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from service_sandbox.render import render_storage

# Every element the renderer may emit; anything else in its output is a leak from the input.
ALLOWED_TAGS = frozenset(
    ["p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "u", "s", "code", "pre", "ul", "ol", "li",
     "table", "thead", "tbody", "tfoot", "tr", "th", "td", "br", "hr", "blockquote", "a", "span", "div",
     "details", "summary"])
URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "background", "poster")
USERS = {"557058:aa11": "Ana Lima", "557058:bb22": "Bob Chen"}


def tree(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html or "<span></span>", create_parent="div")


def assert_safe(html: str, extra_tags: frozenset[str] = frozenset()) -> None:
    """Parse the output as a browser would and check nothing in it can run script or style the page."""
    for el in tree(html).iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag in ALLOWED_TAGS | extra_tags, f"unexpected <{el.tag}> in {html!r}"
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), f"event handler {name} in {html!r}"
            assert name.lower() != "style", html
            if name.lower() in URL_ATTRS:
                cleaned = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
                assert not cleaned.startswith(("javascript:", "vbscript:", "data:")), html
    assert "<script" not in html.lower() and "<iframe" not in html.lower()


def render(body: str, **kwargs: object) -> str:
    out = render_storage(body, user_name=USERS.get, jira_browse_url="https://jira.example.com", **kwargs)
    assert isinstance(out, Markup)
    assert_safe(out)
    return str(out)


def macro(name: str, params: dict[str, str] | None = None, body: str = "") -> str:
    ps = "".join(f'<ac:parameter ac:name="{k}">{v}</ac:parameter>' for k, v in (params or {}).items())
    return f'<ac:structured-macro ac:name="{name}" ac:schema-version="1">{ps}{body}</ac:structured-macro>'


# --- structure ---------------------------------------------------------------------------------

def test_headings_paragraphs_and_inline_formatting_survive() -> None:
    out = render("<h2>Impact</h2><p>Some <strong>bold</strong>, <em>it</em>, <u>u</u>, <s>s</s>, "
                 "<code>x</code><br/>next</p><hr/><blockquote><p>q</p></blockquote>")
    assert out == ("<h2>Impact</h2><p>Some <strong>bold</strong>, <em>it</em>, <u>u</u>, <s>s</s>, "
                   "<code>x</code><br>next</p><hr><blockquote><p>q</p></blockquote>")


def test_tables_keep_spans_and_drop_other_attributes() -> None:
    out = render('<table data-layout="default" ac:local-id="t1"><colgroup><col/></colgroup><tbody>'
                 '<tr><th><p>A</p></th><th><p>B</p></th></tr>'
                 '<tr><td colspan="2" data-highlight-colour="red" class="x"><p>wide</p></td></tr>'
                 '<tr><td rowspan="abc"><p>bad span</p></td></tr></tbody></table>')
    assert out == ('<table><tbody><tr><th><p>A</p></th><th><p>B</p></th></tr>'
                   '<tr><td colspan="2"><p>wide</p></td></tr><tr><td><p>bad span</p></td></tr></tbody></table>')


def test_html_entities_are_decoded_but_cdata_is_left_literal() -> None:
    out = render("<p>a&nbsp;b &mdash; &rarr; &amp; &lt;x&gt; &bogus; AT&T</p>"
                 + macro("code", body="<ac:plain-text-body><![CDATA[a &nbsp; <b>]]></ac:plain-text-body>"))
    assert "<p>a\u00a0b \u2014 \u2192 &amp; &lt;x&gt; &amp;bogus; AT&amp;T</p>" in out
    assert "a &amp;nbsp; &lt;b&gt;" in out


def test_unknown_html_is_unwrapped_to_its_text() -> None:
    assert render("<p><font color='red'>red</font> <b>b</b> <i>i</i></p>") == \
        "<p>red <strong>b</strong> <em>i</em></p>"


def test_links_keep_safe_hrefs_only() -> None:
    out = render('<p><a href="https://ok.example.com/x?a=1&amp;b=2">ok</a> <a href="/rel">rel</a> '
                 '<a href="mailto:a@example.com">mail</a> <a href="ftp://x">ftp</a></p>')
    hrefs = [a.get("href") for a in tree(out).iter("a")]
    assert hrefs == ["https://ok.example.com/x?a=1&b=2", "/rel", "mailto:a@example.com"]
    assert "ftp" in out


# --- macros ------------------------------------------------------------------------------------

def test_placeholder_renders_as_grey_span() -> None:
    assert render("<p><ac:placeholder>Describe the impact</ac:placeholder></p>") == \
        '<p><span class="placeholder">Describe the impact</span></p>'


def test_status_lozenge_has_colour_class_and_title() -> None:
    out = render(macro("status", {"colour": "Green", "title": "DONE"}) + macro("status", {"colour": "Pink"}))
    assert '<span class="status status-green" title="DONE">DONE</span>' in out
    assert 'class="status status-grey"' in out


def test_jira_macro_links_to_the_issue_and_jql_is_described() -> None:
    out = render(macro("jira", {"server": "System JIRA", "serverId": "abc", "key": "OPS-1"}))
    assert out == '<a class="jira" href="https://jira.example.com/browse/OPS-1" rel="nofollow">OPS-1</a>'
    out = render(macro("jira", {"jqlQuery": "project = OPS AND labels = postmortem", "columns": "key"}))
    assert "Jira issues: <code>project = OPS AND labels = postmortem</code>" in out


def test_jira_key_that_is_not_a_key_is_not_a_link() -> None:
    out = render(macro("jira", {"key": "javascript:alert(1)"}))
    assert "<a" not in out


@pytest.mark.parametrize("name", ["info", "note", "warning", "tip", "panel"])
def test_panels_render_as_titled_divs(name: str) -> None:
    out = render(macro(name, {"title": "Heads up"}, "<ac:rich-text-body><p>Body</p></ac:rich-text-body>"))
    assert out == (f'<div class="panel panel-{name}"><div class="panel-title">Heads up</div>'
                   '<div class="panel-body"><p>Body</p></div></div>')


def test_expand_becomes_details() -> None:
    out = render(macro("expand", {"title": "More"}, "<ac:rich-text-body><p>hidden</p></ac:rich-text-body>"))
    assert out == '<details class="expand"><summary>More</summary><p>hidden</p></details>'


@pytest.mark.parametrize("name", ["code", "noformat"])
def test_code_shows_cdata_as_escaped_text(name: str) -> None:
    out = render(macro(name, {"language": "sql"},
                       "<ac:plain-text-body><![CDATA[<h2>not a heading</h2>\n<table>]]></ac:plain-text-body>"))
    assert "&lt;h2&gt;not a heading&lt;/h2&gt;\n&lt;table&gt;" in out
    assert tree(out).find(".//h2") is None and tree(out).find(".//pre/code") is not None


def test_page_properties_children_toc_anchor_button_and_unknown() -> None:
    out = render(macro("details", {"id": "pm"},
                       "<ac:rich-text-body><table><tbody><tr><th><p>Severity</p></th><td><p>SEV-2</p></td>"
                       "</tr></tbody></table></ac:rich-text-body>"))
    assert out.startswith('<div class="page-properties"><table>') and "SEV-2" in out
    assert "(child pages list)" in render(macro("children"))
    assert "table of contents" in render(macro("toc"))
    assert render("<p>a" + macro("anchor", {"": "top"}) + "b</p>") == "<p>ab</p>"
    button = render(macro("create-from-template", {"templateId": "1", "buttonLabel": "Create post-mortem"}))
    assert button == '<span class="button" role="button">Create post-mortem</span>'
    assert "macro: gadget" in render(macro("gadget", {"url": "x"}))


# --- links, tasks and inline resources ---------------------------------------------------------

def test_user_mentions_use_display_name_with_fallbacks() -> None:
    out = render('<p><ac:link><ri:user ri:account-id="557058:aa11"/></ac:link> '
                 '<ac:link><ri:user ri:account-id="557058:zz99"/></ac:link> '
                 '<ac:link><ri:user ri:userkey="8a7f80"/></ac:link> '
                 '<ac:link><ri:user ri:username="jdoe"/></ac:link></p>')
    assert [s.text for s in tree(out).find_class("mention")] == ["@Ana Lima", "@557058:zz99", "@8a7f80", "@jdoe"]


def test_a_failing_user_lookup_costs_the_name_not_the_page() -> None:
    def broken(account_id: str) -> str:
        raise RuntimeError("directory down")

    out = render_storage('<p><ac:link><ri:user ri:account-id="557058:aa11"/></ac:link></p>', user_name=broken)
    assert "@557058:aa11" in out


def test_page_links_show_title_or_link_body() -> None:
    out = render('<p><ac:link><ri:page ri:content-title="Runbook" ri:space-key="INC"/></ac:link> '
                 '<ac:link><ri:page ri:content-title="X"/><ac:plain-text-link-body><![CDATA[see <this>]]>'
                 '</ac:plain-text-link-body></ac:link></p>')
    assert [s.text for s in tree(out).find_class("page-link")] == ["Runbook", "see <this>"]


def test_task_list_renders_checkboxes_with_bodies() -> None:
    out = render('<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status>'
                 '<ac:task-body>Fix alert <ac:link><ri:user ri:account-id="557058:bb22"/></ac:link> '
                 '<time datetime="2026-12-04"/></ac:task-body></ac:task>'
                 '<ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status>'
                 '<ac:task-body>Write runbook</ac:task-body></ac:task></ac:task-list>')
    items = tree(out).findall(".//ul/li")
    assert [li.get("class") for li in items] == ["task task-complete", "task task-incomplete"]
    assert items[0].text_content() == "☑ Fix alert @Bob Chen 4 Dec 2026"
    assert items[1].text_content() == "☐ Write runbook"


def test_time_emoticon_image_and_layout() -> None:
    out = render('<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell><p><time datetime="2026-12-04"/>'
                 ' <ac:emoticon ac:name="tick"/> <ac:emoticon ac:name="x" ac:emoji-fallback="🎉"/></p>'
                 '</ac:layout-cell><ac:layout-cell><ac:image><ri:attachment ri:filename="graph.png"/></ac:image>'
                 '</ac:layout-cell></ac:layout-section></ac:layout>')
    root = tree(out)
    assert root.find_class("layout-section")[0].get("class") == "layout-section layout-two_equal"
    assert len(root.find_class("layout-cell")) == 2
    assert "4 Dec 2026" in out and "✅" in out and "🎉" in out and "[image]" in out


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["<p>unclosed", "<p>a</b>", "<br>", "a ]]> b", "<p>\x00</p>", "&#0;"])
def test_malformed_body_is_shown_as_escaped_source_with_a_notice(body: str) -> None:
    out = render(body)
    assert 'class="render-error"' in out
    assert tree(out).find_class("storage-source")[0].text_content().replace("\ufffd", "\x00") == body


def test_dtd_entities_are_never_expanded() -> None:
    laughs = ('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<p>&b;</p>')
    assert "a" * 20 not in render(laughs)
    xxe = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><p>&e;</p>'
    assert "root:" not in render(xxe)


def test_empty_body_renders_empty() -> None:
    assert render("") == ""


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<p><script>alert(1)</script>after</p>",
    '<img src="x" onerror="alert(1)"/>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<p onclick="alert(1)" onmouseover="alert(1)">x</p>',
    '<iframe src="https://evil.example.com"></iframe>',
    '<p style="width: expression(alert(1))">x</p>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"/>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)"/>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"/>',
    '<base href="javascript:alert(1)//"/>',
    '<table background="javascript:alert(1)"><tbody><tr><td onmouseover="alert(1)">x</td></tr></tbody></table>',
    macro("info", {"title": "<script>alert(1)</script>"}, "<ac:rich-text-body><p>x</p></ac:rich-text-body>"),
    macro("expand", {"title": '"><img src=x onerror=alert(1)>'}),
    macro("expand", {"title": "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"}),
    macro("status", {"colour": '"><script>alert(1)</script>', "title": '" onmouseover="alert(1)'}),
    macro("jira", {"key": '"><script>alert(1)</script>'}),
    macro("jira", {"jqlQuery": '<iframe src="javascript:alert(1)"></iframe>'}),
    macro("code", {"title": "<script>x</script>"},
          "<ac:plain-text-body><![CDATA[x]]><script>alert(1)</script>]]></ac:plain-text-body>"),
    macro("code", body="<ac:plain-text-body><![CDATA[x]]><script>alert(1)</script></ac:plain-text-body>"),
    macro("code", body="<ac:plain-text-body><![CDATA[</code></pre><script>alert(1)</script>]]></ac:plain-text-body>"),
    macro('x" onload="alert(1)', {"a": "<script>b</script>"}),
    macro("create-from-template", {"buttonLabel": '<img src="x" onerror="alert(1)"/>'}),
    '<ac:link><ri:url ri:value="javascript:alert(1)"/><ac:plain-text-link-body><![CDATA[x]]>'
    "</ac:plain-text-link-body></ac:link>",
    '<ac:link><ri:user ri:account-id="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"/></ac:link>',
    '<ac:link><ri:page ri:content-title="&lt;script&gt;alert(1)&lt;/script&gt;"/></ac:link>',
    '<ac:layout><ac:layout-section ac:type="x&quot; onclick=&quot;alert(1)"><ac:layout-cell>x'
    "</ac:layout-cell></ac:layout-section></ac:layout>",
    '<ac:emoticon ac:name="&quot; onmouseover=&quot;x" ac:emoji-fallback="&lt;script&gt;"/>',
    '<time datetime="&lt;script&gt;alert(1)&lt;/script&gt;"/>',
    '<ac:image ac:alt="x&quot; onerror=&quot;alert(1)"><ri:url ri:value="javascript:alert(1)"/></ac:image>',
    '<ac:placeholder><script>alert(1)</script></ac:placeholder>',
    '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
    '<p xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></p>',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_never_produce_executable_markup(payload: str) -> None:
    out = render(payload)
    assert "alert(1)</script>" not in out


def test_script_content_is_dropped_not_shown() -> None:
    assert render("<p>a<script>alert(1)</script>b</p>") == "<p>ab</p>"


def test_unsafe_jira_base_url_gives_no_link() -> None:
    out = render_storage(macro("jira", {"key": "OPS-1"}), jira_browse_url="javascript:alert(1)//")
    assert_safe(out)
    assert "href" not in out


# --- properties --------------------------------------------------------------------------------

@settings(deadline=None, max_examples=300)
@given(st.text())
def test_never_raises_on_arbitrary_text(body: str) -> None:
    out = render_storage(body)
    assert isinstance(out, str)
    assert_safe(out)


TAGS = ["p", "h2", "table", "tr", "td", "a", "script", "iframe", "style", "svg", "img", "ac:structured-macro",
        "ac:parameter", "ac:rich-text-body", "ac:plain-text-body", "ac:link", "ri:user", "ri:url", "ac:task",
        "ac:layout-section", "ac:emoticon", "time", "x:y"]
ATTRS = ["href", "onclick", "style", "ac:name", "ri:value", "ri:account-id", "colspan", "datetime", "ac:type",
         "src", "onerror"]
VALUES = ["javascript:alert(1)", "code", "status", "jira", "expand", "https://ok", "2", "x\" y", "<script>",
          "&amp;", "&nbsp;", "OPS-1"]


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    attrs = st.lists(st.tuples(st.sampled_from(ATTRS), st.sampled_from(VALUES)), max_size=3, unique_by=lambda a: a[0])
    return st.builds(
        lambda tag, attributes, inner: "<{0}{1}>{2}</{0}>".format(
            tag, "".join(f' {k}="{v.replace(chr(34), "&quot;").replace("<", "&lt;")}"' for k, v in attributes), inner),
        st.sampled_from(TAGS), attrs, children)


_TEXT = st.one_of(st.sampled_from(["x", "&nbsp;", "&lt;script&gt;", "<![CDATA[<script>]]>", " "]),
                  st.text(alphabet="ab <>&;\"'", max_size=4))
FRAGMENTS = st.recursive(_TEXT, lambda inner: _element(st.lists(inner, max_size=4).map("".join)), max_leaves=30)


@settings(deadline=None, max_examples=300)
@given(st.lists(FRAGMENTS, max_size=4).map("".join))
def test_generated_storage_never_yields_executable_markup(body: str) -> None:
    assert_safe(render_storage(body, user_name=USERS.get, jira_browse_url="https://jira.example.com"))


# --- the page templates that show the rendered body ----------------------------------------------

@pytest.fixture
def ui_app():
    """A bare Flask app rooted at the sandbox package, so templates and ``static`` resolve as in the sandbox."""
    from pathlib import Path

    from flask import Flask

    import service_sandbox.render as render_module

    return Flask("sandbox_ui_test", root_path=str(Path(render_module.__file__).parent))


def test_page_template_shows_body_labels_comments_and_escapes_metadata(ui_app) -> None:
    from flask import render_template

    with ui_app.test_request_context():
        out = render_template(
            "sandbox/page.html",
            space={"key": "INC", "name": "Incidents"},
            page={"id": "42", "title": "PM <script>x</script>", "version": 3, "when": "27 Nov 2026",
                  "by_name": "Ana Lima", "labels": ["postmortem", {"name": "sev-2"}]},
            ancestors=[{"id": "1", "title": "Post-mortems", "url": "/wiki/spaces/INC/pages/1"}],
            body_html=render_storage("<h2>Impact</h2><p>ok</p>"),
            comments=[{"by_name": "Bob Chen", "when": "yesterday", "body_html": render_storage("<p>LGTM</p>")}],
            index_url="/wiki/_sandbox/ui",
        )
    page_tags = frozenset({"header", "main", "nav", "article", "section"})
    assert_safe(out.split("<body>", 1)[1].split("</body>", 1)[0], page_tags)
    assert "<h2>Impact</h2><p>ok</p>" in out and "<p>LGTM</p>" in out
    assert "PM &lt;script&gt;x&lt;/script&gt;" in out
    assert "Last edited by <strong>Ana Lima</strong> on 27 Nov 2026, version 3" in out
    assert ">postmortem<" in out and ">sev-2<" in out and "Sandbox" in out
    assert 'href="/static/sandbox.css"' in out and 'href="/wiki/spaces/INC/pages/1"' in out


def test_index_template_lists_spaces_as_a_tree(ui_app) -> None:
    from flask import render_template

    with ui_app.test_request_context():
        out = render_template("sandbox/index.html", spaces=[
            {"key": "INC", "name": "Incidents", "pages": [
                {"title": "Post-mortems", "url": "/p/1", "depth": 0},
                {"title": "PM <b>1</b>", "url": "/p/2", "depth": 1}]},
            {"key": "EMPTY", "name": "Empty", "pages": []}])
    assert '<li style="--depth: 1"><a href="/p/2">PM &lt;b&gt;1&lt;/b&gt;</a></li>' in out
    assert "No pages in this space." in out
    with ui_app.test_client().get("/static/sandbox.css") as response:
        assert response.status_code == 200 and b".status-green" in response.data
