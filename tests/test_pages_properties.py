"""Properties of the page model over generated pages (hypothesis).

* write-back then parse gives the same items, with the key added;
* every byte outside the touched cell (or, when a Ticket column is added, outside the inserted cells)
  is unchanged; a second identical write changes nothing;
* parsing never raises anything but PageParseError, on random text or random storage-format-ish markup;
* editing a page that parsed never raises anything but EditError.

The generated action-item pages record where each ticket cell and each row end is while they are
built, so the byte checks do not rely on the editor's own tokenizer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wikibot.pages import EditError, PageParseError, apply_edits, parse_page, set_ticket

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENTITIES = ["&nbsp;", "&amp;", "&lt;", "&gt;", "&quot;", "&mdash;", "&rarr;", "&eacute;", "&#233;", "&#x1F525;"]
WORDS = ["alert", "proxy", "disk", "caf\u00e9", "\u65e5\u672c", "\U0001F680", "retry", "p99", "db", "on-call"]
HEADERS = {
    "summary": ["Action", "Action Item", "Description", "What", "Task"],
    "owner": ["Owner", "Assignee", "Who", "Responsible"],
    "due": ["Due", "Due date", "When", "Target date"],
    "priority": ["Priority", "Severity", "P"],
    "status": ["Status"],
    "notes": ["Notes", "Type"],
}
ATTRIBUTES = ['data-layout="default"', 'ac:local-id="a1&amp;b"', 'style="width: 10px" class="x > y"',
              "data-highlight-colour='#f4f5f7'", 'colspan="1"']


@st.composite
def inline_text(draw, *, allow_empty: bool = True) -> str:
    """Reader text with entities, inline markup and unicode; no '<' or '&' left unescaped."""
    parts = draw(st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ENTITIES), st.just(" ")),
                          max_size=6))
    if not allow_empty:
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(WORDS)))
    text = "".join(parts)
    wrap = draw(st.sampled_from(["{}", "<p>{}</p>", "<p><strong>{}</strong></p>", "<p>{}</p><p />",
                                 "<em>{}</em>", "<p>{}<br /></p>"]))
    return wrap.format(text)


def attrs(draw) -> str:
    chosen = draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=2, unique=True))
    return "".join(" " + a for a in chosen)


EMPTY_TICKET_CELLS = ["", "<p />", "<p></p>", "<p>&nbsp;</p>", "<p><br /></p>"]
NOISE = [
    "<h2>Impact</h2><p>Caf&eacute; &amp; bar&nbsp;&rarr; done</p>",
    '<ac:structured-macro ac:name="code" ac:macro-id="c1"><ac:plain-text-body><![CDATA[<h2>Action items</h2>'
    "<table><tr><td>x</td></tr></table> &nbsp; ]]></ac:plain-text-body></ac:structured-macro>",
    '<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">Note</ac:parameter><ac:rich-text-body>'
    "<p>Blameless.</p></ac:rich-text-body></ac:structured-macro>",
    "<table><tbody><tr><th>Metric</th></tr><tr><td>9.8 s</td></tr></tbody></table>",
    "<!-- a comment with <td> inside -->",
]


@dataclass
class GeneratedPage:
    body: str
    has_ticket_column: bool
    ticket_cells: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Data row number (1-based) -> (start, end) of the ticket cell's content."""
    insertion_points: list[int] = field(default_factory=list)
    """Offsets of every ``</tr>`` and of ``</colgroup>`` of the action table."""


@st.composite
def action_pages(draw) -> GeneratedPage:
    """A page with noise around an "Action items" table with random columns, cells and attributes."""
    names = ["summary"] + draw(st.lists(st.sampled_from(["owner", "due", "priority", "status", "notes"]),
                                        unique=True, max_size=4))
    with_ticket = draw(st.booleans())
    if with_ticket:
        names.append("ticket")
    names = draw(st.permutations(names))
    headers = [draw(st.sampled_from(HEADERS.get(n, ["Ticket", "Jira", "Tracking"]))) for n in names]
    bold_td = draw(st.booleans())
    out: list[str] = [draw(st.sampled_from(NOISE)), "<h2>Action items</h2>"]
    page = GeneratedPage("", with_ticket)
    out.append(f"<table{attrs(draw)}><colgroup>" + "<col />" * len(names))
    page.insertion_points.append(sum(map(len, out)))
    out.append("</colgroup><tbody>")
    cell = "<td><p><strong>{}</strong></p></td>" if bold_td else "<th><p>{}</p></th>"
    out.append("<tr>" + "".join(cell.format(h) for h in headers))
    page.insertion_points.append(sum(map(len, out)))
    out.append("</tr>")
    for number in range(1, draw(st.integers(1, 5)) + 1):
        out.append(f"<tr{attrs(draw)}>")
        for name in names:
            if name == "ticket":
                out.append(f"<td{attrs(draw)}>")
                start = sum(map(len, out))
                out.append(draw(st.sampled_from(EMPTY_TICKET_CELLS)))
                page.ticket_cells[number] = (start, sum(map(len, out)))
                out.append("</td>")
            else:
                out.append(f"<td{attrs(draw)}>{draw(inline_text(allow_empty=name != 'summary'))}</td>")
        page.insertion_points.append(sum(map(len, out)))
        out.append("</tr>")
    out.append("</tbody></table>")
    if draw(st.booleans()):
        out.append("<ac:task-list><ac:task><ac:task-id>9</ac:task-id><ac:task-status>incomplete</ac:task-status>"
                   f"<ac:task-body>{draw(inline_text(allow_empty=False))}</ac:task-body></ac:task></ac:task-list>")
    out.append("<h2>Lessons</h2><p>Keep&nbsp;&nbsp;this.</p>" + draw(st.sampled_from(NOISE)))
    page.body = "".join(out)
    return page


def comparable(item) -> tuple:
    return (item.summary, item.owner, item.due, item.priority, item.done, item.identity, item.kind)


@SETTINGS
@given(action_pages(), st.data())
def test_write_back_then_parse_gives_the_same_items_with_the_key_added(page: GeneratedPage, data):
    items = parse_page(page.body).action_items
    target = data.draw(st.sampled_from(items))
    assume(target.jira_key is None)
    new = set_ticket(page.body, target, "OPS-4242")
    after = parse_page(new).action_items
    assert [comparable(i) for i in after] == [comparable(i) for i in items]
    assert [i.jira_key for i in after] == [("OPS-4242" if i is target else i.jira_key) for i in items]


@SETTINGS
@given(action_pages(), st.data())
def test_every_byte_outside_the_touched_cell_is_unchanged(page: GeneratedPage, data):
    items = [i for i in parse_page(page.body).action_items if i.kind == "row" and i.jira_key is None]
    assume(items)
    target = data.draw(st.sampled_from(items))
    new = set_ticket(page.body, target, "OPS-7")
    old = page.body
    if page.has_ticket_column:
        start, end = page.ticket_cells[int(target.position.split("r")[1])]
        tail = len(old) - end
        assert new[:start] == old[:start] and new[len(new) - tail:] == old[end:]
        assert "OPS-7" in new[start:len(new) - tail]
    else:
        # Only insertions, at the ends of rows and of the colgroup; the pieces in between are intact.
        cursor, pieces = 0, []
        for point in page.insertion_points:
            pieces.append(old[cursor:point])
            cursor = point
        pieces.append(old[cursor:])
        pattern = "".join(re.escape(p) + ("((?:<t[dh]>.*?</t[dh]>)+|<col />)" if i < len(pieces) - 1 else "")
                          for i, p in enumerate(pieces))
        assert re.fullmatch(pattern, new, re.S)


@SETTINGS
@given(action_pages(), st.data())
def test_write_back_is_idempotent(page: GeneratedPage, data):
    items = parse_page(page.body).action_items
    edits = [(item, f"OPS-{n}", "Done") for n, item in enumerate(items, start=1)
             if data.draw(st.booleans()) and item.jira_key is None]
    once = apply_edits(page.body, edits).body
    twice = apply_edits(once, edits)
    assert twice.body == once and not twice.changed


# -- robustness ----------------------------------------------------------------------------------

TAGS = ["p", "h1", "h2", "table", "tbody", "tr", "td", "th", "ul", "li", "strong", "ac:structured-macro",
        "ac:parameter", "ac:rich-text-body", "ac:task-list", "ac:task", "ac:task-body", "ac:placeholder",
        "ac:layout-cell", "ac:link", "ri:user", "time", "colgroup", "col"]
ATTRS = ['colspan="{}"', 'rowspan="{}"', 'ac:name="{}"', 'ri:account-id="{}"', 'datetime="{}"', 'x:y="{}"']
VALUES = ["0", "2", "-1", "99999999999", "abc", "jira", "status", "details", "Action items", "2026-12-03",
          "&amp;", "&nbsp;", "&bogus;", "\u00e9"]


def markup() -> st.SearchStrategy[str]:
    """Storage-format-ish fragments: known tags, odd attribute values, entities good and bad, CDATA,
    and sometimes a missing end tag."""
    leaves = st.one_of(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).map(
            lambda t: t.replace("&", "&amp;").replace("<", "&lt;")),
        st.sampled_from(ENTITIES + ["&bogus;", "&#0;", "&#xD800;", "<br />", "<![CDATA[<h1>x</h1>]]>",
                                    "<!-- c -->", "Action items", "OPS-12", "<", "&", "]]>"]),
    )

    def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        def build(tag: str, attr: str | None, value: str, kids: list[str], closed: bool) -> str:
            start = f"<{tag}{' ' + attr.format(value) if attr else ''}>{''.join(kids)}"
            return start + f"</{tag}>" if closed else start

        return st.builds(build, st.sampled_from(TAGS), st.one_of(st.none(), st.sampled_from(ATTRS)),
                         st.sampled_from(VALUES), st.lists(children, max_size=4),
                         st.sampled_from([True, True, True, False]))

    return st.recursive(leaves, element, max_leaves=30)


@SETTINGS
@given(st.text())
def test_parse_never_raises_anything_but_page_parse_error_on_random_text(text: str):
    try:
        parse_page(text)
    except PageParseError as exc:
        assert "\n" not in str(exc)


@SETTINGS
@given(st.lists(markup(), max_size=6).map("".join))
def test_parse_never_raises_anything_but_page_parse_error_on_random_markup(body: str):
    try:
        parse_page(body)
    except PageParseError as exc:
        assert "\n" not in str(exc)


@SETTINGS
@given(st.lists(markup(), max_size=6).map(lambda parts: "<h2>Action items</h2>" + "".join(parts)))
def test_editing_any_readable_page_raises_nothing_but_edit_error(body: str):
    try:
        items = parse_page(body).action_items
    except PageParseError:
        return
    for item in items:
        try:
            new = set_ticket(body, item, "OPS-99")
        except EditError:
            continue
        assert parse_page(new).action_items
