"""``wikibot audit`` and ``wikibot share``: thin wrappers over ``wikibot.audit``.

``audit`` exits 0 when every post-mortem is in order, 4 (``FINDINGS``) when there are findings (so cron
or CI can alert) and 5 (``INCOMPLETE``) when the audit itself hit errors; a configuration or service
problem that stops it altogether exits with that error's own status (2 or 3).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wikibot.cli.group import CliContext, cli
from wikibot.errors import InputError


@cli.command()
@click.option("--page", "page_id", metavar="ID", default=None, help="Audit only this page (its id).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table", show_default=True,
              help="Output format.")
@click.option("--output", metavar="FILE", default=None, help="Write the report to FILE instead of stdout.")
@click.option("--publish", is_flag=True,
              help="Also update the wiki report page, labels, comments and chat, as the nightly run does.")
@click.pass_obj
def audit(obj: CliContext, page_id: str | None, fmt: str, output: str | None, publish: bool) -> None:
    """Check every post-mortem for missing sections, stale pages, overdue debriefs and actions, blame."""
    from wikibot.audit import run_audit
    from wikibot.audit.report import render

    if page_id is not None and not page_id.isdigit():
        raise InputError(f"--page {page_id!r}: give the page's numeric id")
    services = obj.site_services()
    try:
        report = run_audit(services, page_id=page_id, publish=publish)
    finally:
        services.close()
    text = render(report, fmt)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--output {output}: cannot write: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)
    sys.exit(report.exit_code)


@cli.command()
@click.argument("page")
@click.option("--again", is_flag=True, help="Share even if it was shared before.")
@click.option("--force", is_flag=True, help="Share a page that is not Published yet (the message says its status).")
@click.pass_obj
def share(obj: CliContext, page: str, again: bool, force: bool) -> None:
    """Post a post-mortem's summary to the company channel (slack.company_channel or notify.share_webhook_url), once."""
    from wikibot.audit.share import page_id_of, share_page

    page_id = page_id_of(page)
    services = obj.site_services()
    try:
        shared = share_page(services, page_id, again=again, force=force)
    finally:
        services.close()
    click.echo(f"shared: {shared.title} ({shared.url})")
