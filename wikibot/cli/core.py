"""Commands that need no running service: check-config, sandbox, parse."""

from __future__ import annotations

import json
import sys

import click

from wikibot.cli.group import CliContext, cli
from wikibot.errors import InputError

# Bigger than any page Confluence accepts (5 MiB), so the parser's own limit decides.
_PARSE_READ_LIMIT = 64 * 1024 * 1024


@cli.command("check-config")
@click.pass_obj
def check_config_cmd(obj: CliContext) -> None:
    """Validate the configuration, connect to Confluence and Jira, and show what was found."""
    from wikibot.diagnostics import check_config
    from wikibot.services import Services

    config = obj.config
    services = Services(config)
    report = check_config(config, services)
    for line in report.lines:
        click.echo(line)
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if report.problems:
        sys.exit(report.exit_code)
    click.echo("ok: configuration works")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8990, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--db", metavar="PATH", default=None, help="SQLite file for the sandbox's state (default: in memory).")
@click.option("--user", default=None, help="Email wikibot authenticates as (default: wikibot@example.com).")
@click.option("--token", default=None, help="API token every account authenticates with (default: sandbox-token).")
@click.option("--examples", is_flag=True, help="Seed realistic example post-mortem pages.")
@click.option("--profile", default="cloud", show_default=True,
              help="Deployment to emulate: cloud, or datacenter (/confluence, /jira).")
def sandbox(host: str, port: int, db: str | None, user: str | None, token: str | None, examples: bool,
            profile: str) -> None:
    """Run the Confluence + Jira emulator in the foreground."""
    from service_sandbox.foreground import SandboxStartError, run_sandbox

    try:
        run_sandbox(host=host, port=port, db=db, user=user, token=token, examples=examples, echo=click.echo,
                    profile=profile)
    except SandboxStartError as exc:
        raise InputError(str(exc)) from exc


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON.")
def parse(file: str, as_json: bool) -> None:
    """Read a storage-format page body (FILE, or - for stdin) and print its post-mortem model."""
    from wikibot.pages import PageParseError, decode_body, format_table, parse_page

    data = _read_input(file)
    try:
        model = parse_page(decode_body(data))
    except PageParseError as exc:
        raise InputError(f"{file}: {exc}") from None
    if as_json:
        click.echo(json.dumps(model.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_table(model))


def _read_input(file: str) -> bytes:
    try:
        if file == "-":
            return sys.stdin.buffer.read(_PARSE_READ_LIMIT + 1)
        with open(file, "rb") as handle:
            return handle.read(_PARSE_READ_LIMIT + 1)
    except OSError as exc:
        raise InputError(f"{file}: {exc.strerror or exc}") from None
