"""Commands that start post-mortems: serve (webhook + form), new, install-button."""

from __future__ import annotations

import click

from wikibot.cli.group import CliContext, cli

_VERBOSE = click.option("--verbose", "-v", is_flag=True,
                        help="Also show libraries' INFO lines (alembic, apscheduler, waitress, ...).")


@cli.command()
@click.option("--host", default=None, help="Interface to listen on (default: server.host).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="Port (default: server.port).")
@click.option("--sandbox-port", default=None, type=click.IntRange(1, 65535),
              help="Port of the embedded sandbox (default: sandbox.port).")
@click.option("--no-scheduler", is_flag=True, help="Serve only; run `wikibot scheduler` elsewhere.")
@_VERBOSE
@click.pass_obj
def serve(obj: CliContext, host: str | None, port: int | None, sandbox_port: int | None, no_scheduler: bool,
          verbose: bool) -> None:
    """Run the service (dashboard, form, webhooks, scheduled jobs); on the sandbox when no Confluence is configured."""
    from wikibot.serve import serve as run

    config = obj.config
    notes = []
    if sandbox_port is not None and sandbox_port != config.sandbox.port:
        if config.uses_sandbox:
            where = "a config.yaml" if config.source.startswith("(") else config.source  # no file: built-in defaults
            notes.append(f"the other commands (new, sync, audit, ...) look for the sandbox at sandbox.port "
                         f"({config.sandbox.port}): set sandbox.port: {sandbox_port} in {where} for them")
        config = config.model_copy(update={"sandbox": config.sandbox.model_copy(update={"port": sandbox_port})})
    run(config, host=host or config.server.host, port=config.server.port if port is None else port,
        echo=click.echo, scheduler=not no_scheduler, verbose=verbose, notes=notes)


@cli.command()
@_VERBOSE
@click.pass_obj
def scheduler(obj: CliContext, verbose: bool) -> None:
    """Run the scheduled jobs (sync, audit) alone, without the web service."""
    from wikibot.serve import run_scheduler

    run_scheduler(obj.config, echo=click.echo, verbose=verbose)


@cli.command()
@click.option("--incident-id", required=True, help="e.g. INC-42 or the Jira key.")
@click.option("--title", required=True, help="What happened, in a few words.")
@click.option("--severity", default=None, help="SEV-0 … SEV-5 (or 0 … 5).")
@click.option("--lead", default=None, help="Lead investigator: account id or name.")
@click.option("--started-at", default=None, help="When the incident started (ISO date or date-time).")
@click.option("--summary", default=None, help="Initial report.")
@click.option("--channel-url", default=None, help="Incident chat channel URL.")
@click.pass_obj
def new(obj: CliContext, **fields: str | None) -> None:
    """Create the post-mortem page for an incident and print its URL."""
    from wikibot.incident import parse_incident

    incident = parse_incident(fields)  # bad input: one line, before any request
    services = obj.site_services()
    try:
        result = services.creator.create(incident)
    finally:
        services.close()
    click.echo(result.url)
    if not result.created:
        click.echo(f"(already existed: {result.title})", err=True)


@cli.command("install-button")
@click.pass_obj
def install_button_cmd(obj: CliContext) -> None:
    """Create or update the wiki's post-mortem index page with the "Create post-mortem" button."""
    from wikibot.button import install_button

    config = obj.config
    services = obj.site_services()
    try:
        result = install_button(services.creator, form_url=config.server.base_url() + "/postmortems/new",
                                project=config.jira.project,
                                debrief_within_days=config.postmortem.debrief_within_days)
    finally:
        services.close()
    state = "created" if result.created else ("updated" if result.changed else "unchanged")
    click.echo(f"{state}: {result.url}")
