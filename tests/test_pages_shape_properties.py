"""The page model does not depend on how a page is dressed (hypothesis).

For any valid list of sections with action items:

* wrapping it in an ``<h1>`` page title gives the same sections and items;
* moving every heading to other levels (keeping which is a section and which a sub-heading) gives
  the same sections and items;
* numbering and decorating the headings ("1. ", "📋 ", trailing colon) gives the same section names;
* writing the action table as a bulleted or numbered list gives the same items (summary, owner, due);
* writing a key back into any of those items, in either form, finds it again with that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wikibot.pages import parse_page, set_ticket

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)

KNOWN = ["Summary", "Impact", "Trigger", "Detection", "Resolution", "Root Cause", "What went well",
         "What went wrong", "Lessons learned", "Data & Analysis"]
UNKNOWN = ["Customers", "Vendors", "Open questions", "Technical details", "Comms"]
ACTION_HEADINGS = ["Action items", "Follow-ups", "Next steps", "Corrective and Preventative Measures", "Remediation"]
TITLES = ["Postmortem", "INC-2041 checkout outage", "Incident report", "Retro: payments webhooks"]
WORDS = ["add", "alert", "queue", "rotate", "keys", "runbook", "replica", "cache", "warm", "p99", "caf\u00e9",
         "index", "retries"]
OWNERS = ["Priya Raman", "Bo", "Lea Brandt", "Tom\u00e1s Ortega"]
MENTION = '<ac:link><ri:user ri:account-id="{}" /></ac:link>'


@dataclass(frozen=True)
class Action:
    summary: str
    owner: str | None
    mention: bool
    due: str | None
    time_tag: bool


@dataclass(frozen=True)
class Draft:
    sections: list[tuple[str, str, str | None]]
    """(heading, paragraph or "", sub-heading or None); one of them is the Action items heading."""
    actions_at: int
    actions: list[Action]


actions = st.builds(
    Action,
    summary=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(lambda w: " ".join(w).capitalize()),
    owner=st.one_of(st.none(), st.sampled_from(OWNERS)),
    mention=st.booleans(),
    due=st.one_of(st.none(), st.dates().map(lambda d: d.isoformat()).filter(lambda d: "2000" <= d <= "2099")),
    time_tag=st.booleans(),
)


@st.composite
def drafts(draw) -> Draft:
    names = draw(st.lists(st.sampled_from(KNOWN + UNKNOWN), min_size=1, max_size=5, unique=True))
    if not any(name in KNOWN for name in names):
        names.append(draw(st.sampled_from(KNOWN)))
    at = draw(st.integers(0, len(names)))
    names.insert(at, draw(st.sampled_from(ACTION_HEADINGS)))
    sections = [(name, draw(st.sampled_from(["", "It was slow.", "A deploy &amp; a flush."])),
                 draw(st.one_of(st.none(), st.sampled_from(["Details", "Notes"])))) for name in names]
    return Draft(sections, at, draw(st.lists(actions, min_size=1, max_size=4)))


def owner_markup(action: Action, n: int) -> str:
    if action.owner is None:
        return ""
    return MENTION.format(f"557058:{n}") if action.mention else escape(action.owner)


def due_markup(action: Action) -> str:
    if action.due is None:
        return ""
    return f'<time datetime="{action.due}" />' if action.time_tag else action.due


def as_table(items: list[Action]) -> str:
    rows = "".join(f"<tr><td><p>{escape(a.summary)}</p></td><td><p>{owner_markup(a, n)}</p></td>"
                   f"<td><p>{due_markup(a)}</p></td></tr>" for n, a in enumerate(items))
    return ("<table><tbody><tr><th><p>Action</p></th><th><p>Owner</p></th><th><p>Due date</p></th></tr>"
            f"{rows}</tbody></table>")


def as_list(items: list[Action], tag: str) -> str:
    entries = []
    for n, a in enumerate(items):
        text = escape(a.summary)
        if a.owner is not None:
            text += f" {owner_markup(a, n)}" if a.mention else f" \u2014 {escape(a.owner)}"
        if a.due is not None:
            text += f" {due_markup(a)}" if a.time_tag else f", due {a.due}"
        entries.append(f"<li><p>{text}</p></li>")
    return f"<{tag}>{''.join(entries)}</{tag}>"


def render(draft: Draft, *, level: int = 2, sub: int = 3, title: str | None = None,
           actions_markup: str | None = None, decorate=lambda n, heading: heading) -> str:
    parts = [f"<h1>{escape(title)}</h1><p>Owner: the incident lead.</p>"] if title is not None else []
    for n, (heading, paragraph, subheading) in enumerate(draft.sections):
        parts.append(f"<h{level}>{escape(decorate(n, heading))}</h{level}>")
        if paragraph:
            parts.append(f"<p>{paragraph}</p>")
        if subheading:
            parts.append(f"<h{sub}>{subheading}</h{sub}><p>More.</p>")
        if n == draft.actions_at:
            parts.append(actions_markup if actions_markup is not None else as_table(draft.actions))
    return "".join(parts)


def shape(body: str) -> tuple:
    model = parse_page(body)
    return ([(s.name.casefold(), s.status) for s in model.sections],
            [(i.summary, i.owner, i.due) for i in model.action_items])


@SETTINGS
@given(drafts(), st.sampled_from(TITLES))
def test_wrapping_the_sections_in_an_h1_title_changes_nothing(draft: Draft, title: str):
    assert shape(render(draft, title=title)) == shape(render(draft))


@SETTINGS
@given(drafts(), st.integers(1, 5), st.integers(1, 5), st.booleans())
def test_moving_headings_to_other_levels_changes_nothing(draft: Draft, level: int, depth: int, titled: bool):
    sub = min(level + depth, 6)
    if sub == level:
        level, sub = 5, 6
    moved = render(draft, level=level, sub=sub, title="Postmortem" if titled and level > 1 else None)
    assert shape(moved) == shape(render(draft))


DECORATIONS = [lambda n, h: f"{n + 1}. {h}", lambda n, h: f"\U0001F4CB {h}", lambda n, h: f"{h}:",
               lambda n, h: f"{n + 1}) \u26a0\ufe0f {h} :", lambda n, h: h.upper()]


@SETTINGS
@given(drafts(), st.sampled_from(DECORATIONS))
def test_numbered_and_decorated_headings_name_the_same_sections(draft: Draft, decorate):
    assert shape(render(draft, decorate=decorate)) == shape(render(draft))


@SETTINGS
@given(drafts(), st.sampled_from(["ul", "ol"]))
def test_a_table_of_actions_written_as_a_list_gives_the_same_items(draft: Draft, tag: str):
    listed = render(draft, actions_markup=as_list(draft.actions, tag))
    assert shape(listed)[1] == shape(render(draft))[1]
    assert [i.kind for i in parse_page(listed).action_items] == ["list"] * len(draft.actions)


@SETTINGS
@given(drafts(), st.sampled_from(["table", "ul"]), st.data())
def test_a_key_written_into_any_item_of_either_form_is_read_back(draft: Draft, form: str, data):
    body = render(draft, actions_markup=as_list(draft.actions, "ul") if form == "ul" else None)
    items = parse_page(body).action_items
    target = data.draw(st.sampled_from(items))
    after = parse_page(set_ticket(body, target, "OPS-4242")).action_items
    assert [(i.summary, i.owner, i.due, i.identity) for i in after] == \
        [(i.summary, i.owner, i.due, i.identity) for i in items]
    assert [i.jira_key for i in after] == ["OPS-4242" if i.identity == target.identity else None for i in items]
