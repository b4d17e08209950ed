"""wikibot's exception hierarchy.

Every error a user can cause or an operator can fix is a ``WikibotError`` whose message is one
line saying what went wrong and what to do; the CLI prints it without a traceback and exits
with ``exit_code``. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class WikibotError(Exception):
    """Base class: a one-line, user-facing message and the CLI exit status it maps to."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(WikibotError):
    """The configuration file or environment is invalid. Exit status 2, like a usage error."""

    exit_code = 2


class InputError(WikibotError):
    """A file or argument given on the command line cannot be used."""

    exit_code = 2


class ServiceError(WikibotError):
    """Confluence or Jira could not be reached, refused us, or answered something unusable.

    ``status`` is the HTTP status the service answered, when it answered at all.
    """

    exit_code = 3

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
