"""``wikibot timeline`` and ``wikibot remind``: the Slack app's commands (thin wrappers)."""

from __future__ import annotations

import click

from wikibot.cli import _Context, cli
from wikibot.errors import ConfigError, InputError


@cli.command()
@click.argument("page_id", metavar="PAGE")
@click.option("--channel", "channel_id", metavar="ID", default=None,
              help="The incident's Slack channel id (default: the one /postmortem ran in).")
@click.pass_obj
def timeline(obj: _Context, page_id: str, channel_id: str | None) -> None:
    """Draft PAGE's timeline and Data & Analysis from its incident's Slack channel again (merges)."""
    if not page_id.isdigit():
        raise InputError(f"PAGE must be a page id (digits), not {page_id!r}")
    from wikibot.services import Services
    from wikibot.slack.wiring import build_drafter, build_slack_api

    services = Services(obj.config)
    try:
        api = build_slack_api(services)
        if api is None:
            raise ConfigError("no Slack app configured (set slack.bot_token)")
        channel = channel_id or services.db.slack.channel_of_page(page_id)
        if channel is None:
            raise InputError(f"no Slack channel is linked to page {page_id}; give --channel C...")
        result = build_drafter(services, api).draft(page_id, channel)
    finally:
        services.close()
    click.echo(result.summary())
