"""wikibot's exception hierarchy.

Every error a user can cause or an operator can fix is a ``WikibotError`` whose message is one
line saying what went wrong and what to do; the CLI prints it without a traceback and exits
with ``exit_code``. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from wikibot.status import ExitStatus


class WikibotError(Exception):
    """Base class: a one-line, user-facing message and the CLI exit status it maps to."""

    exit_code: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(WikibotError):
    """The configuration file or environment is invalid. Exit status 2, like click's usage errors."""

    exit_code = ExitStatus.USAGE


class InputError(WikibotError):
    """A file or argument given on the command line cannot be used."""

    exit_code = ExitStatus.USAGE


class DatabaseError(WikibotError):
    """wikibot's own database is damaged, or cannot be opened or migrated (``wikibot db check`` says more).

    Not a ``ConfigError``: ``database.url`` names the right database, but its content cannot be trusted."""

    exit_code = ExitStatus.DATABASE


class ServiceError(WikibotError):
    """Confluence or Jira could not be reached, refused us, or answered something unusable.

    ``status`` is the HTTP status the service answered, when it answered at all.
    """

    exit_code = ExitStatus.SERVICE

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NotOnSite(ConfigError, ServiceError):
    """The configuration names something the service says does not exist (``confluence.parent_page``).

    A configuration mistake for the CLI (exit 2); still the service's answer for callers that handle
    ``ServiceError`` (a webhook answers 502, a sync reports it)."""
