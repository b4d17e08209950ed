"""`wikibot db …`: look after wikibot's own database."""

from __future__ import annotations

import sys

import click

from wikibot.cli.group import CliContext, cli
from wikibot.status import ExitStatus


@cli.group()
def db() -> None:
    """wikibot's own database (database.url)."""


@db.command("check")
@click.pass_obj
def check(obj: CliContext) -> None:
    """Check the database is readable, intact and at the expected schema revision."""
    from wikibot.diagnostics import redact_url
    from wikibot.store import Database

    database = Database(obj.config.database.url)
    try:
        health = database.check()
    finally:
        database.dispose()
    click.echo(f"database: {redact_url(obj.config.database.url)}")
    for note in health.notes:
        click.echo(f"note: {note}")
    for problem in health.problems:
        click.echo(f"problem: {problem}", err=True)
    if health.problems:
        if health.damaged:
            click.echo("To recover: restore the latest backup (README, Backups), or move the file aside and start "
                       "wikibot with an empty database; Jira and Confluence carry the identities that prevent "
                       "duplicates.", err=True)
        sys.exit(ExitStatus.DATABASE)
    click.echo("ok: database is healthy" + ("" if health.notes else " and up to date"))


@db.command("upgrade")
@click.pass_obj
def upgrade(obj: CliContext) -> None:
    """Create or migrate the schema now (wikibot also does this at every start)."""
    from wikibot.store import Database, migrate

    database = Database(obj.config.database.url)
    try:
        database.create_schema()
        click.echo(f"database at revision {migrate.current(database.engine)}")
    finally:
        database.dispose()


@db.command("forget-site")
@click.pass_obj
def forget_site(obj: CliContext) -> None:
    """Forget which Confluence/Jira site the database belongs to (after moving a site to a new URL).

    The next start records the configured site. Never do this to point a database at a different
    site: its page ids and issue keys would name other pages and issues there.
    """
    from wikibot import site
    from wikibot.store import Database

    database = Database(obj.config.database.url)
    try:
        database.create_schema()
        forgotten = site.forget_site(database)
    finally:
        database.dispose()
    click.echo("forgot the recorded site; the next start records the configured one" if forgotten
               else "no site was recorded; the next start records the configured one")
