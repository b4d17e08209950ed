"""``wikibot install-button``: the wiki's post-mortem index page with the "Create post-mortem" button.

Confluence's REST API cannot press a create-from-template button, so the button is a link to
wikibot's form. Re-running updates the same page (found by title), never adds a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

from wikibot.atlassian.confluence import TitleTaken, VersionConflict
from wikibot.create import PostmortemCreator
from wikibot.templates import load_template

INDEX_TITLE = "Post-mortem index"
ACTIONS_LABEL = "post-mortem"


@dataclass(frozen=True)
class ButtonResult:
    page_id: str
    url: str
    created: bool
    changed: bool


def outstanding_actions_jql(project: str) -> str:
    """JQL for open post-mortem actions; values are quoted, never spliced in bare."""
    quoted = project.replace("\\", "\\\\").replace('"', '\\"')
    return (f'project = "{quoted}" AND labels = "{ACTIONS_LABEL}" AND statusCategory != Done '
            "ORDER BY duedate ASC")


def install_button(creator: PostmortemCreator, *, form_url: str, project: str,
                   debrief_within_days: int) -> ButtonResult:
    confluence = creator.confluence
    template = load_template("index.xml")
    parent_id = creator.parent_id()
    parent = confluence.page(parent_id)
    body = template.render(form_url=form_url, jql=outstanding_actions_jql(project),
                           parent_title=parent.title, debrief_within_days=debrief_within_days)
    for _attempt in range(3):
        page = confluence.page_titled(INDEX_TITLE)
        if page is None:
            try:
                created = confluence.create_page(INDEX_TITLE, body, parent_id, retry=True)
            except TitleTaken:
                continue  # an earlier attempt landed (its answer was lost): read it and compare
            return ButtonResult(created.id, created.url, created=True, changed=True)
        if page.body.strip() == body.strip():
            return ButtonResult(page.id, page.url, created=False, changed=False)
        try:
            confluence.update_body(page, body, message="wikibot install-button")
        except VersionConflict:
            continue  # someone saved meanwhile: read again, then write once more
        return ButtonResult(page.id, page.url, created=False, changed=True)
    raise VersionConflict(f"Confluence: the page {INDEX_TITLE!r} keeps changing; not updated this time", status=409)
