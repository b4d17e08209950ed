"""Build the Slack app from the configuration: the one place its parts are put together."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import requests

from wikibot.config import Config
from wikibot.create import CreateResult
from wikibot.errors import WikibotError
from wikibot.slack.answers import ReminderAnswers
from wikibot.slack.app import SlackApp
from wikibot.slack.asks import customer_request
from wikibot.slack.client import SlackApi
from wikibot.slack.draft import ChannelDrafter, DraftResult, account_finder

if TYPE_CHECKING:
    from wikibot.services import Services

log = logging.getLogger(__name__)


def build_slack_api(services: Services) -> SlackApi | None:
    endpoint = services.config.slack_endpoint()
    if endpoint is None:
        return None
    api_url, token, _secret = endpoint
    return SlackApi(api_url, token, timeout=services.config.http.timeout)


def build_drafter(services: Services, api: SlackApi) -> ChannelDrafter:
    return ChannelDrafter(api=api, wiki=services.confluence, drafts=services.db.slack,
                          account_by_email=account_finder(services.jira, services.confluence),
                          reactions=services.config.slack.timeline_reactions)


def build_slack_app(services: Services) -> SlackApp | None:
    endpoint = services.config.slack_endpoint()
    api = build_slack_api(services)
    if endpoint is None or api is None:
        return None
    slack = services.config.slack
    store = services.db.slack
    drafter = build_drafter(services, api)

    def after_create(incident_id: str, channel_id: str, result: CreateResult) -> str:
        try:
            drafted = drafter.draft(result.page_id, channel_id)
            note = drafted.summary()
        except WikibotError as exc:
            log.warning("drafting page %s from Slack failed: %s", result.page_id, exc)
            drafted, note = DraftResult(rows=0, files=0), f"The timeline could not be drafted: {exc}"
        for channel in slack.customer_channels:
            try:
                api.post(channel, customer_request(incident_id, result, drafted.events, drafted.people or {}))
            except WikibotError as exc:
                log.warning("could not ask %s for customer input: %s", channel, exc)
        return note

    def refresh(page_id: str, _clicked_in: str) -> str:
        """Only a page /postmortem linked to a channel, and only from that channel's messages."""
        linked = store.channel_of_page(page_id) if page_id.isdigit() else None
        if linked is None:
            return f"Page {page_id} is not linked to a Slack channel (run /postmortem in the incident's channel)."
        return drafter.draft(page_id, linked).summary()

    answers = ReminderAnswers(api=api, store=store, jira=services.jira,
                              snooze_days=services.config.remind.snooze_days)
    return SlackApp(api=api, creator=services.creator, store=store, config=slack, signing_secret=endpoint[2],
                    after_create=after_create, refresh=refresh, on_action=answers.handle)


def connect_sandbox_slack(config: Config, base_url: str) -> bool:
    """On the embedded sandbox, tell its Slack where this app's hooks are (a Slack app's request URLs).

    Only a convenience for trying wikibot: a failure is logged and ``serve`` carries on.
    """
    endpoint = config.slack_endpoint()
    if endpoint is None or not endpoint[0].startswith(config.sandbox_url):
        return False
    settings = {"commands_url": f"{base_url}/hooks/slack/commands",
                "interactions_url": f"{base_url}/hooks/slack/interactions", "signing_secret": endpoint[2]}
    try:
        requests.post(config.sandbox_url + "/_sandbox/slack/app", json=settings, timeout=5).raise_for_status()
    except requests.RequestException as exc:
        log.warning("could not connect the sandbox's Slack to wikibot: %s", type(exc).__name__)
        return False
    return True
