"""What a ``/postmortem`` command asks for: pure parsing, no I/O.

``/postmortem`` alone, in ``#inc-7301-checkout``: incident ``INC-7301`` (from the channel name
through ``slack.incident_channel_pattern``, upper-cased), title from the channel topic.
``/postmortem INC-7301 Checkout errors``: both given. ``/postmortem Checkout errors`` in an incident
channel: the channel's id with that title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GIVEN_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*-\d+$")


@dataclass(frozen=True)
class Request:
    """The parts of Slack's slash-command form wikibot uses."""

    channel_id: str
    channel_name: str
    user_id: str
    text: str

    @classmethod
    def from_form(cls, form: dict[str, str]) -> Request:
        return cls(channel_id=form.get("channel_id", ""), channel_name=form.get("channel_name", ""),
                   user_id=form.get("user_id", ""), text=" ".join(form.get("text", "").split()))


def incident_id_of_channel(channel_name: str, pattern: str) -> str | None:
    match = re.search(pattern, channel_name)
    return match.group("id").upper() if match and match.group("id") else None


def parse(text: str, channel_name: str, pattern: str) -> tuple[str | None, str | None]:
    """``(incident_id, title)`` from the command text and the channel; either may be None."""
    first, _, rest = text.strip().partition(" ")
    if first and _GIVEN_ID.match(first):
        return first.upper(), rest.strip() or None
    return incident_id_of_channel(channel_name, pattern), text.strip() or None


USAGE = ("Run /postmortem in the incident's channel (named like inc-123-…), or give the incident: "
         "/postmortem INC-123 Short title")
