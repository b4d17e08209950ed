"""The ``wikibot`` command line. Thin by design: parse input, call one function, format output.

The group and its error handling live in ``group``; each concern's commands live in a module beside
it (``core``, ``create``, …), which registers them on the group when imported here.
"""

from __future__ import annotations

from wikibot.cli import audit, core, create, db, slack, sync  # noqa: F401 - registers the commands
from wikibot.cli.group import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="wikibot")
