"""wikibot as a Slack app: /postmortem, the timeline drafted from the channel, reminders, shares.

``client`` is the one place Slack's Web API is called; ``mrkdwn``, ``timeline`` and ``reminders``
are pure logic; ``app`` wires them to the creator and the wiki.
"""
