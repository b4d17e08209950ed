"""Messages the Slack app posts to people: the customer-facing teams' request for input. Pure text.

Sent once, when the post-mortem is created, to each of ``slack.customer_channels``: the page
link, what is known so far (the incident's title and its first timeline events), and where on
the page to add what customers reported (on the page itself: nothing reads replies). Every piece
of user text is escaped for mrkdwn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wikibot.create import CreateResult
from wikibot.notify import slack_escape, slack_link
from wikibot.slack.mrkdwn import Person, to_plain
from wikibot.slack.timeline import Event

KNOWN_SO_FAR = 3


def customer_request(incident_id: str, result: CreateResult, events: Sequence[Event],
                     people: Mapping[str, Person]) -> str:
    lines = [f":wave: Customer-facing teams: the post-mortem for *{slack_escape(incident_id)}* has started: "
             f"{slack_link(result.url, result.title)}"]
    if events:
        lines.append("What we know so far:")
        for event in events[:KNOWN_SO_FAR]:
            who = people.get(event.user, Person(event.user)).name
            text = " ".join(to_plain(event.text, people).split())[:200]
            lines.append(f"• {event.when:%H:%M} UTC {slack_escape(who)}: {slack_escape(text)}")
    # Nothing reads replies to this message: promising to copy them over lost what support wrote there.
    lines.append("What did customers tell you? Please add it to *Impact and Scope* on the page "
                 "(who was affected, what they saw, when): replies to this message are not copied there.")
    return "\n".join(lines)
