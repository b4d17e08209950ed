"""Share a finished post-mortem with the whole company, once.

When a page's status becomes Published (seen by the nightly audit) or someone runs ``wikibot share
PAGE``, its summary — title, impact, root cause, action items with Jira links — goes to
``notify.share_webhook_url``. The database records each share (``audit_shares``): the row is
claimed before the message is sent, so two runs cannot both send it, and released if building the
message fails, so a later run tries again. Delivery itself is the notifier's (a few retries in the
background); a message the chat service never accepts is logged, not re-sent.
"""

from __future__ import annotations

import re
from typing import Any

from wikibot.atlassian.content import WikiPage
from wikibot.audit.facts import title_key
from wikibot.errors import ConfigError, InputError, WikibotError
from wikibot.notify import Notifier, slack_escape, slack_link
from wikibot.pages import PageModel, PageParseError, parse_page
from wikibot.store.audits import NAMES_MAX_AGE, AuditStore

EXCERPT = 500
MAX_ITEMS = 15
_PAGE_ID = re.compile(r"(?:pageId=|/pages/)(\d+)")
_USER_MENTION = re.compile(r"@(\S+)")


class AlreadyShared(WikibotError):
    """The page's summary was already shared (``--again`` shares it anyway)."""


def page_id_of(text: str) -> str:
    """A page id from an id or a page URL (``.../pages/123/...`` or ``...?pageId=123``)."""
    text = text.strip()
    if text.isdigit():
        return text
    match = _PAGE_ID.search(text)
    if match is None:
        raise InputError(f"{text!r} is not a page id or a Confluence page URL")
    return match.group(1)


def share_page(services: Any, page_id: str, *, store: AuditStore | None = None, again: bool = False) -> WikiPage:
    """Post the page's summary to the company channel unless it was already shared; returns the page."""
    webhook = services.config.notify.share_webhook_url
    if not webhook:
        raise ConfigError("notify.share_webhook_url is not set: there is no channel to share to")
    store = store or AuditStore(services.db.engine)
    previous = store.claim_share(page_id, again=again)
    if previous is None:
        raise AlreadyShared(f"page {page_id} was already shared (use --again to share it once more)")
    try:
        page = services.confluence.page(page_id)
        try:
            model = parse_page(page.body)
        except PageParseError as exc:
            raise InputError(f"page {page_id} cannot be read: {exc}") from None
        jira_url = services.config.jira_endpoint()[0]
        text = share_message(page, model, jira_url, store.names(NAMES_MAX_AGE))
        notifier = Notifier(webhook)
        notifier.send(text)
        notifier.flush(timeout=15)
    except BaseException:
        store.release_share(page_id, previous)
        raise
    store.finish_share(page_id, page.title, page.url)
    return page


def share_message(page: WikiPage, model: PageModel, jira_url: str, names: dict[str, str] | None = None) -> str:
    """The shared summary (Slack mrkdwn; every page-derived text escaped)."""
    names = names or {}
    lines = [f":mega: *Post-mortem published:* {slack_link(page.url, page.title)}"]
    for label, words in (("Impact", ("impact",)), ("Root cause", ("root cause",))):
        text = _section_text(model, words)
        if text:
            lines.append(f"*{label}:* {slack_escape(_mentions(text, names))}")
    items = [i for i in model.action_items if i.summary]
    if items:
        lines.append(f"*Action items ({len(items)}):*")
        for item in items[:MAX_ITEMS]:
            ticket = f"{slack_link(f'{jira_url}/browse/{item.jira_key}', item.jira_key)} " if item.jira_key else ""
            owner = names.get(item.owner or "", item.owner) if item.owner_is_user else item.owner
            extra = ", ".join(filter(None, (owner, f"due {item.due}" if item.due else None)))
            lines.append(f"• {ticket}{slack_escape(_mentions(item.summary, names))}"
                         f"{f' ({slack_escape(extra)})' if extra else ''}")
        if len(items) > MAX_ITEMS:
            lines.append(f"… and {len(items) - MAX_ITEMS} more on the page.")
    return "\n".join(lines)


def _section_text(model: PageModel, words: tuple[str, ...]) -> str:
    """The first section whose title starts with one of ``words``, cut to a readable excerpt."""
    section = next((s for s in model.sections if title_key(s.title).startswith(words)), None)
    if section is None or section.status != "filled":
        return ""
    text = " ".join(section.text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT].rsplit(" ", 1)[0] + " …"


def _mentions(text: str, names: dict[str, str]) -> str:
    """Reader text writes a mention as ``@<account id>``; show the name when it is known."""
    return _USER_MENTION.sub(lambda m: f"@{names[m.group(1)]}" if m.group(1) in names else m.group(0), text)
