"""Share a finished post-mortem with the whole company, once.

When a page's status becomes Published (seen by the nightly audit) or someone runs ``wikibot share
PAGE``, its summary — title, impact, root cause, action items with Jira links — goes to
``slack.company_channel`` through the Slack Web API, or else to ``notify.share_webhook_url`` (for
teams with only an incoming webhook). The database records each share (``audit_shares``): the row is
claimed before the message is sent, so two runs cannot both send it, and released if building the
message fails, so a later run tries again. Delivery itself is the notifier's (a few retries in the
background); a message the chat service never accepts is logged, not re-sent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from wikibot.atlassian.content import WikiPage
from wikibot.audit.blame import BlameMatcher, split_sentences
from wikibot.audit.checks import STATUS_KEYS
from wikibot.audit.facts import page_people, title_key
from wikibot.errors import ConfigError, InputError, WikibotError
from wikibot.notify import Notifier, slack_escape, slack_link
from wikibot.pages import PageModel, PageParseError, parse_page
from wikibot.store.audits import NAMES_MAX_AGE, AuditStore

if TYPE_CHECKING:
    from wikibot.services import Services

EXCERPT = 500
MAX_ITEMS = 15
_PAGE_ID = re.compile(r"(?:pageId=|/pages/)(\d+)")
_USER_MENTION = re.compile(r"(?<!\S)@([\w.:-]*\w)")
"""A mention as reader text writes it: "@557058:bb22." (Cloud), "@jane.doe" (a Data Center username);
"bob@example.com" is none."""


class AlreadyShared(WikibotError):
    """The page's summary was already shared (``--again`` shares it anyway)."""


class NotPublished(WikibotError):
    """The page is not Published yet (``--force`` shares it anyway, saying its real status)."""


PUBLISHED = "published"


def page_id_of(text: str) -> str:
    """A page id from an id or a page URL (``.../pages/123/...`` or ``...?pageId=123``)."""
    text = text.strip()
    if text.isdigit():
        return text
    match = _PAGE_ID.search(text)
    if match is None:
        raise InputError(f"{text!r} is not a page id or a Confluence page URL")
    return match.group(1)


def share_page(services: Services, page_id: str, *, store: AuditStore | None = None, again: bool = False,
               force: bool = False) -> WikiPage:
    """Post the page's summary to the company channel unless it was already shared; returns the page.

    Only a Published page is shared: a Draft announced company-wide as "published" would spread
    a story the team has not finished (or debriefed). ``force`` shares it anyway and the message
    says its real status. Every way of sharing (CLI, share on publish) comes through here.
    """
    webhook = services.config.notify.share_webhook_url
    channel = services.config.slack.company_channel
    if not webhook and not channel:
        raise ConfigError("neither slack.company_channel nor notify.share_webhook_url is set: there is no channel "
                          "to share to")
    store = store or AuditStore(services.db.engine)
    previous = store.claim_share(page_id, again=again)
    if previous is None:
        raise AlreadyShared(f"page {page_id} was already shared (use --again to share it once more)")
    try:
        page = services.confluence.asked_page(page_id, label=services.config.postmortem.label)
        try:
            model = parse_page(page.body, aliases=services.config.postmortem.section_aliases)
        except PageParseError as exc:
            raise InputError(f"page {page_id} cannot be read: {exc}") from None
        status = page_status(model)
        if status.casefold() != PUBLISHED and not force:
            raise NotPublished(f"page {page_id} is {status}, not Published: publish it first "
                               "(set its Status to Published), or share it anyway with --force")
        jira_url = services.config.jira_endpoint()[0]
        audit = services.config.audit
        text = share_message(page, model, jira_url, _names(services, store, model),
                             BlameMatcher(audit.blame_phrases, audit.blame_always))
        if channel:
            _post_to_channel(services, channel, text)
        else:
            notifier = Notifier(webhook)
            notifier.send(text)
            notifier.flush(timeout=15)
    except BaseException:
        store.release_share(page_id, previous)
        raise
    store.finish_share(page_id, page.title, page.url)
    return page


def _post_to_channel(services: Services, channel: str, text: str) -> None:
    """Through the Web API, synchronously: a failure releases the claim so a later run retries."""
    from wikibot.slack.wiring import build_slack_api

    api = build_slack_api(services)
    if api is None:
        raise ConfigError("slack.company_channel is set but there is no Slack app (set slack.bot_token)")
    api.post(channel, text)


def _names(services: Services, store: AuditStore, model: PageModel) -> dict[str, str]:
    """Display names of the people the message names, asking Jira for those the database lacks.

    The audit only looks up leads, and a first share may come before any audit: without this, owners
    reached the company channel as account ids. Names are a courtesy: Jira failing (or not knowing an
    account, e.g. someone who left) leaves them out rather than stopping the share.
    """
    names = store.names(NAMES_MAX_AGE)
    accounts = {i.owner for i in model.action_items if i.owner_is_user and i.owner}
    for words in _SECTIONS.values():
        accounts.update(_USER_MENTION.findall(_section_text(model, words)))
    found: dict[str, str] = {}
    for account in sorted(accounts - names.keys()):
        try:
            name = services.jira.user_name(account)
        except WikibotError:
            break
        if name:
            found[account] = name
    store.save_names(found)
    return {**names, **found}


_SECTIONS = {"Impact": ("impact",), "Root cause": ("root cause",)}


def share_message(page: WikiPage, model: PageModel, jira_url: str, names: dict[str, str] | None = None,
                  blame: BlameMatcher | None = None) -> str:
    """The shared summary (Slack mrkdwn; every page-derived text escaped).

    Readers outside the team see it: a sentence or action item ``blame`` says blames a person is left
    out (the audit asks the team to rewrite it; the company channel should not spread it meanwhile),
    with the same people the audit knows (the directory's names and those the page writes), and a
    person whose name is not known is not shown as an account id.
    """
    names = names or {}
    status = page_status(model)
    heading = ("Post-mortem published" if status.casefold() == PUBLISHED
               else f"Post-mortem shared before it was published (status: {slack_escape(status)})")
    lines = [f":mega: *{heading}:* {slack_link(page.url, page.title)}"]
    matcher = blame.with_people([*names.values(), *page_people(model)]) if blame else None
    for label, words in _SECTIONS.items():
        text = _section_text(model, words, matcher)
        if text:
            lines.append(f"*{label}:* {slack_escape(_mentions(text, names))}")
    items = [i for i in model.action_items if i.summary]
    shown = [i for i in items if matcher is None or matcher.find(_mentions(i.summary, names)) is None]
    if items:
        lines.append(f"*Action items ({len(items)}):*")
        for item in shown[:MAX_ITEMS]:
            ticket = f"{slack_link(f'{jira_url}/browse/{item.jira_key}', item.jira_key)} " if item.jira_key else ""
            owner = names.get(item.owner or "") if item.owner_is_user else item.owner
            extra = ", ".join(filter(None, (owner, f"due {item.due}" if item.due else None)))
            lines.append(f"• {ticket}{slack_escape(_mentions(item.summary, names))}"
                         f"{f' ({slack_escape(extra)})' if extra else ''}")
        if len(items) > len(shown[:MAX_ITEMS]):
            lines.append(f"… and {len(items) - len(shown[:MAX_ITEMS])} more on the page.")
    return "\n".join(lines)


def page_status(model: PageModel) -> str:
    """The post-mortem's own stage from its Page Properties ("Draft" when it names none)."""
    keys = {title_key(k): v for k, v in model.properties.items()}
    return next((keys[title_key(k)].strip() for k in STATUS_KEYS if keys.get(title_key(k), "").strip()), "Draft")


def _section_text(model: PageModel, words: tuple[str, ...], blame: BlameMatcher | None = None) -> str:
    """The first section whose title (or name) starts with one of ``words``, cut to a readable excerpt
    (without the sentences ``blame`` finds blaming a person)."""
    section = next((s for s in model.sections
                    if title_key(s.title).startswith(words) or title_key(s.name).startswith(words)), None)
    if section is None or section.status != "filled":
        return ""
    sentences = split_sentences(section.text)
    if blame is not None:
        sentences = [s for s in sentences if blame.find(s) is None]
    text = " ".join(" ".join(sentences).split())
    return text if len(text) <= EXCERPT else text[:EXCERPT].rsplit(" ", 1)[0] + " …"


def _mentions(text: str, names: dict[str, str]) -> str:
    """Reader text writes a mention as ``@<account id>``: the name when it is known, else "a colleague"
    (an account id means nothing to the reader)."""
    return _USER_MENTION.sub(lambda m: f"@{names[m.group(1)]}" if m.group(1) in names else "a colleague", text)
