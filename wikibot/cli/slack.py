"""``wikibot timeline`` and ``wikibot remind``: the Slack app's commands (thin wrappers)."""

from __future__ import annotations

import sys

import click

from wikibot.cli.group import CliContext, cli
from wikibot.errors import ConfigError, InputError
from wikibot.status import ExitStatus


@cli.command()
@click.argument("page_id", metavar="PAGE")
@click.option("--channel", "channel_id", metavar="ID", default=None,
              help="The incident's Slack channel id (default: the one /postmortem ran in).")
@click.pass_obj
def timeline(obj: CliContext, page_id: str, channel_id: str | None) -> None:
    """Draft PAGE's timeline and Data & Analysis from its incident's Slack channel again (merges)."""
    if not page_id.isdigit():
        raise InputError(f"PAGE must be a page id (digits), not {page_id!r}")
    from wikibot.slack.wiring import build_drafter, build_slack_api

    services = obj.site_services()
    try:
        api = build_slack_api(services)
        if api is None:
            raise ConfigError("no Slack app configured (set slack.bot_token)")
        channel = channel_id or services.db.slack.channel_of_page(page_id)
        if channel is None:
            raise InputError(f"no Slack channel is linked to page {page_id}; give --channel C...")
        services.confluence.asked_page(page_id, label=services.config.postmortem.label)  # before any Slack work
        result = build_drafter(services, api).draft(page_id, channel)
    finally:
        services.close()
    click.echo(result.summary())


@cli.command()
@click.option("--at", "at", metavar="ISO-TIME", default=None,
              help="Judge working hours and 'once a day' at this moment instead of now (e.g. 2026-12-01T10:00Z).")
@click.pass_obj
def remind(obj: CliContext, at: str | None) -> None:
    """Direct-message people their overdue actions and empty sections (in their working hours)."""
    from datetime import UTC, datetime

    from wikibot.slack.remind import run_remind
    from wikibot.store.schema import utcnow

    now = utcnow()
    if at is not None:
        try:
            now = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"--at: {at!r} is not an ISO time such as 2026-12-01T10:00:00Z") from None
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    services = obj.site_services()
    try:
        report = run_remind(services, now)
    finally:
        services.close()
    click.echo(report.summary())
    if report.errors:
        sys.exit(ExitStatus.INCOMPLETE)
