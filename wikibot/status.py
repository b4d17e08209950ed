"""wikibot's exit statuses: one name, and one meaning, per code.

Cron jobs and CI alert on these, so a code never changes meaning. ``click``'s own usage errors
(an unknown option, a missing argument) exit 2, which is why every "you gave me something I
cannot use" error shares ``USAGE``. The table is documented in the README ("Exit statuses").
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitStatus(IntEnum):
    """Process exit status constants."""

    OK = 0
    """Everything the command was asked to do was done."""
    ERROR = 1
    """A user-facing failure that is none of the below (e.g. a page already shared), or a bug."""
    USAGE = 2
    """Bad configuration, input or command line: fix the config, the file or the arguments."""
    SERVICE = 3
    """Confluence, Jira or Slack could not be reached, refused us, or answered something unusable."""
    FINDINGS = 4
    """The audit ran to the end and found something to fix."""
    INCOMPLETE = 5
    """The run finished, but some pages or items failed or were skipped (errors, a page busy with another sync)."""
    DATABASE = 6
    """wikibot's own database is damaged, unreadable or at an unknown schema revision (``db check``)."""
