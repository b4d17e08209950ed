"""The ``wikibot`` click group, its per-invocation context and its one error boundary.

Every command module (``core``, ``create``, …) registers its commands on ``cli`` from here;
``wikibot.cli`` imports them all, so this module never imports a command module.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from wikibot import __version__
from wikibot.errors import WikibotError

if TYPE_CHECKING:
    from wikibot.config import Config
    from wikibot.services import Services


class CliContext:
    """Per-invocation state: the --config option, loaded lazily so `sandbox` and `parse` need no config."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from wikibot.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def site_services(self) -> Services:
        """Services for a command that writes to the wiki or Jira or remembers what it did, once the
        database is known to belong to the configured site (:mod:`wikibot.site`): against another
        site the same page ids name other pages, so such a command refuses in one line."""
        from wikibot.site import site_services

        return site_services(self.config)


def fail(error: WikibotError) -> NoReturn:
    """Print the error (one line per problem) and exit with its status; never a traceback for a user's mistake."""
    for line in str(error).splitlines():
        click.echo(f"wikibot: {line}", err=True)
    sys.exit(error.exit_code)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WikibotError as error:
            fail(error)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", metavar="PATH", envvar=None,
              help="Configuration file (default: $WIKIBOT_CONFIG, else ./config.yaml).")
@click.version_option(__version__, prog_name="wikibot")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """Incident post-mortems on Confluence and Jira."""
    ctx.obj = CliContext(config_path)
