"""What a click on a reminder's buttons does: "Snooze a week" and "Not doing (say why)".

Both are recorded on the reminder (its answer) and as a hold on the item, so later reminders
leave it out. "Not doing" also comments on the Jira issue with the reason the person gave in the
message's "Why not?" box. Only the person the reminder was for can answer it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from wikibot.atlassian.jira import JiraGateway
from wikibot.errors import WikibotError
from wikibot.pages.cells import is_jira_key
from wikibot.slack import reminders as plan
from wikibot.slack.client import SlackApi
from wikibot.store.schema import utcnow
from wikibot.store.slack import SlackStore
from wikibot.sync.issues import NOT_DOING_LABEL

log = logging.getLogger(__name__)
MAX_REASON = 1000


class ReminderAnswers:
    def __init__(self, *, api: SlackApi, store: SlackStore, jira: JiraGateway, snooze_days: int) -> None:
        self.api = api
        self.store = store
        self.jira = jira
        self.snooze_days = snooze_days

    def handle(self, payload: dict[str, Any], action: dict[str, Any]) -> dict[str, Any] | None:
        if action.get("action_id") not in (plan.SNOOZE_ACTION, plan.NOT_DOING_ACTION):
            return None
        parsed = plan.parse_value(str(action.get("value", "")))
        user = str((payload.get("user") or {}).get("id", ""))
        reminder = self.store.reminder(parsed[0]) if parsed else None
        if parsed is None or reminder is None or reminder.slack_user != user:
            return {"response_type": "ephemeral", "replace_original": False,
                    "text": "This reminder is not yours to answer."}
        _reminder_id, item = parsed
        now = utcnow()
        if action["action_id"] == plan.SNOOZE_ACTION:
            self.store.hold(user, item, "snooze", now + timedelta(days=self.snooze_days), None, now)
            self.store.answer(reminder.id, "snooze", now)
            self._confirm(reminder.channel_id, f"Snoozed {plan.item_name(item)} for {self.snooze_days} days.")
            return None
        reason = _reason(payload)
        if not reason:
            self._confirm(reminder.channel_id, f"Please say why you are not doing {plan.item_name(item)} in the box "
                                               "under the list, then press \"Not doing\" again.")
            return None
        self.store.hold(user, item, "not_doing", None, reason, now)
        self.store.answer(reminder.id, "not_doing", now)
        note = f"Noted: you are not doing {plan.item_name(item)}."
        if is_jira_key(item):
            try:
                self._comment(item, user, reason)
                # The label marks the page's row too: the sync's status mirror shows "Not doing".
                self.jira.add_label(item, NOT_DOING_LABEL)
                note += " I added your reason to the issue."
            except WikibotError as exc:
                log.warning("could not comment on %s: %s", item, exc)
                note += " (The Jira comment failed; please add it yourself.)"
        self._confirm(reminder.channel_id, note)
        return None

    def _comment(self, key: str, user: str, reason: str) -> None:
        name = self.api.user(user).name
        text = f"{name} answered a wikibot reminder in Slack: not doing this.\nWhy: {reason}"
        self.jira.add_comment(key, text)

    def _confirm(self, channel: str | None, text: str) -> None:
        if not channel:
            return
        try:
            self.api.post(channel, text)
        except WikibotError as exc:
            log.warning("could not confirm a reminder answer: %s", exc)


def _reason(payload: dict[str, Any]) -> str:
    values = ((payload.get("state") or {}).get("values") or {}).get(plan.WHY_BLOCK) or {}
    value = (values.get("why") or {}).get("value") or ""
    return " ".join(str(value).split())[:MAX_REASON]
