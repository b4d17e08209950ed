"""``wikibot sync`` and ``wikibot actions``: thin wrappers over ``wikibot.sync``."""

from __future__ import annotations

import json
import sys

import click

from wikibot.cli.group import CliContext, cli
from wikibot.errors import InputError
from wikibot.status import ExitStatus


@cli.command()
@click.option("--page", "page_id", metavar="ID", default=None, help="Sync only this page (its id).")
@click.option("--dry-run", is_flag=True, help="Show what would be created and updated; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def sync(obj: CliContext, page_id: str | None, dry_run: bool, as_json: bool) -> None:
    """File every post-mortem action item as one Jira issue and keep both in step."""
    from wikibot.sync import run_sync

    services = obj.site_services()
    try:
        report = run_sync(services, page_id, dry_run=dry_run)
    finally:
        services.close()
    click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if as_json else report.summary())
    if report.unfinished:
        sys.exit(ExitStatus.INCOMPLETE)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option("--overdue", is_flag=True, help="Only actions past their due date.")
@click.pass_obj
def actions(obj: CliContext, as_json: bool, as_csv: bool, overdue: bool) -> None:
    """List open post-mortem actions across all pages (incident, owner, due date, page link).

    Days overdue are counted in audit.timezone, as the audit and the dashboard count them.
    """
    if as_json and as_csv:
        raise InputError("give --json or --csv, not both")
    from wikibot.audit.rules import local_today
    from wikibot.services import Services
    from wikibot.sync.actions import outstanding_actions, to_csv, to_text

    services = Services(obj.config)
    try:
        found = outstanding_actions(services.jira, services.confluence.url, local_today(obj.config))
    finally:
        services.close()
    if overdue:
        found = [a for a in found if a.days_overdue]
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in found], ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(to_csv(found), nl=False)
    else:
        click.echo(to_text(found))
