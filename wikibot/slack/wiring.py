"""Build the Slack app from the configuration: the one place its parts are put together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wikibot.slack.app import SlackApp
from wikibot.slack.client import SlackApi

if TYPE_CHECKING:
    from wikibot.services import Services


def build_slack_app(services: Services) -> SlackApp | None:
    config = services.config
    endpoint = config.slack_endpoint()
    if endpoint is None:
        return None
    api_url, token, secret = endpoint
    api = SlackApi(api_url, token, timeout=config.http.timeout)
    return SlackApp(api=api, creator=services.creator, store=services.db.slack, config=config.slack,
                    signing_secret=secret)
