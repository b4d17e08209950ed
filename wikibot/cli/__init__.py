"""The ``wikibot`` command line. Thin by design: parse input, call one function, format output.

The group and its error handling live here; each concern's commands live in a module beside it
(``core``, ``create``, …), registered at the bottom of this file.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from wikibot import __version__
from wikibot.errors import WikibotError


class _Context:
    """Per-invocation state: the --config option, loaded lazily so `sandbox` and `parse` need no config."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Any = None

    @property
    def config(self) -> Any:
        if self._config is None:
            from wikibot.config import load_config

            self._config = load_config(self.config_path)
        return self._config


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
    ctx.obj = _Context(config_path)


def main() -> None:
    cli(prog_name="wikibot")


from wikibot.cli import audit, core, create, db, slack, sync  # noqa: E402,F401 - registers the commands
