"""``wikibot install-button``: the wiki's post-mortem index page with the "Create post-mortem" button.

Confluence's REST API cannot press a create-from-template button, so the button is a link to
wikibot's form. Re-running updates the same page (found by title), never adds a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

from wikibot.clients import service_error
from wikibot.create import PostmortemCreator
from wikibot.retry import with_retries
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


def install_button(creator: PostmortemCreator, *, form_url: str, project: str, debrief_within_days: int) -> ButtonResult:
    confluence, space = creator.confluence, creator.space
    template = load_template("index.xml")
    parent_id = creator.parent_id()
    try:
        parent = with_retries(lambda: confluence.get_page_by_id(parent_id))
        body = template.render(form_url=form_url, jql=outstanding_actions_jql(project),
                               parent_title=parent["title"], debrief_within_days=debrief_within_days)
        found = with_retries(lambda: confluence.get_page_by_title(space, INDEX_TITLE, expand="body.storage,version"))
        results = (found or {}).get("results") or []
        if not results:
            page = with_retries(lambda: confluence.create_page(space, INDEX_TITLE, body, parent_id=parent_id))
            return ButtonResult(str(page["id"]), _url(page), created=True, changed=True)
        page = results[0]
        if page.get("body", {}).get("storage", {}).get("value", "").strip() == body.strip():
            return ButtonResult(str(page["id"]), _url(found, page), created=False, changed=False)
        updated = with_retries(lambda: confluence.update_page(page["id"], INDEX_TITLE, body, parent_id=parent_id))
        return ButtonResult(str(updated["id"]), _url(updated), created=False, changed=True)
    except Exception as exc:
        raise service_error("Confluence", exc) from None


def _url(envelope: dict, page: dict | None = None) -> str:
    page = page or envelope
    base = envelope.get("_links", {}).get("base") or page.get("_links", {}).get("base", "")
    return base + page.get("_links", {}).get("webui", "")
