"""``wikibot remind``: gather each person's open items, ask ``reminders.decide``, send, record.

Items come from Jira (open ``post-mortem`` issues that are overdue or undated, by assignee email)
and from the post-mortem pages (empty required sections, for the page's lead). People are found
on Slack by email. Every reminder is recorded before it is posted (its id is in the buttons) and
forgotten again if the post fails, so a failure never counts as "reminded today".
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from wikibot.atlassian.confluence import postmortems_cql, still_labelled
from wikibot.audit.checks import DONE_STATUSES, LEAD_KEYS, STATUS_KEYS, UNFINISHED, section_required
from wikibot.audit.facts import title_key
from wikibot.audit.item_checks import days_text
from wikibot.audit.rules import local_today
from wikibot.errors import ConfigError, WikibotError
from wikibot.pages import PageModel, PageParseError, parse_page
from wikibot.slack import reminders as plan
from wikibot.slack.client import SlackApi, SlackUser
from wikibot.store.slack import Reminder
from wikibot.sync.actions import FIELDS, OUTSTANDING_JQL, parse_action
from wikibot.sync.issues import NOT_DOING

if TYPE_CHECKING:
    from wikibot.services import Services

log = logging.getLogger(__name__)


@dataclass
class RemindReport:
    sent: int = 0
    escalated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items()))
        text = f"Sent {self.sent} reminder{'s' * (self.sent != 1)}"
        text += f", told {self.escalated} lead{'s' * (self.escalated != 1)}" if self.escalated else ""
        text += f"; skipped: {skipped}" if skipped else ""
        return text + "." + "".join(f"\nerror: {e}" for e in self.errors)

    def to_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "escalated": self.escalated, "skipped": dict(self.skipped), "errors": self.errors}


class ReminderRun:
    def __init__(self, services: Services, api: SlackApi) -> None:
        self.services = services
        self.api = api
        self.store = services.db.slack
        self.config = services.config
        self._emails: dict[str, str | None] = {}
        self._slack: dict[str, SlackUser | None] = {}

    # -- gathering ------------------------------------------------------------------------------
    def email_of(self, account_id: str) -> str | None:
        if account_id not in self._emails:
            try:
                user = self.services.jira.user(account_id) or {}
            except WikibotError as exc:  # an unknown account is skipped, not fatal
                log.warning("Jira user %s not found: %s", account_id, type(exc).__name__)
                user = {}
            self._emails[account_id] = user.get("emailAddress")
        return self._emails[account_id]

    def slack_user(self, email: str) -> SlackUser | None:
        key = email.lower()
        if key not in self._slack:
            self._slack[key] = self.api.user_by_email(email)
        return self._slack[key]

    def items_by_email(self, today: date) -> dict[str, list[plan.Item]]:
        found: dict[str, list[plan.Item]] = defaultdict(list)
        leads: dict[str, str] = {}
        required = self.config.postmortem.required_names()
        c = self.config
        cql = postmortems_cql(c.confluence.space, c.postmortem.label, self.services.parent_page.page_id())
        for page in still_labelled(self.services.confluence.search_pages(cql), c.postmortem.label):
            try:
                model = parse_page(page.body, aliases=c.postmortem.section_aliases)
            except PageParseError:
                continue
            lead_email = self._lead_email(model)
            if lead_email is None:
                continue
            leads[page.id] = lead_email
            if _prop(model.properties, STATUS_KEYS).casefold() in DONE_STATUSES:
                continue
            for section in model.sections:
                if section.status in UNFINISHED and section_required(section.name, required):
                    found[lead_email].append(plan.Item(key=f"page:{page.id}:{section.title}", text=section.title,
                                                       url=page.url, kind="section", page_title=page.title))
        jira = self.services.jira
        wiki_url = self.services.confluence.url.rstrip("/")
        for raw in jira.search(OUTSTANDING_JQL, FIELDS):
            action = parse_action(raw, jira_url=jira.url.rstrip("/"), wiki_url=wiki_url, today=today)
            email = ((raw.get("fields") or {}).get("assignee") or {}).get("emailAddress")
            if not email or action.status == NOT_DOING or (action.due is not None and not action.days_overdue):
                continue
            due = (f"due {action.due.isoformat()}, {days_text(action.days_overdue or 0)} overdue" if action.due
                   else "no due date")
            lead = self.slack_user(leads[action.page_id]) if action.page_id in leads else None
            found[email].append(plan.Item(key=action.key, text=f"{action.key} {action.summary} ({due})",
                                          url=action.issue_url, kind="action", lead=lead.id if lead else None))
        return found

    def _lead_email(self, model: PageModel) -> str | None:
        keys = {title_key(k): v for k, v in model.property_users.items()}
        account = next((keys[title_key(k)] for k in LEAD_KEYS if title_key(k) in keys), None)
        return self.email_of(account) if account else None

    # -- the run --------------------------------------------------------------------------------
    def run(self, now: datetime) -> RemindReport:
        report = RemindReport()
        hours = plan.parse_hours(self.config.remind.working_hours)
        for email, items in sorted(self.items_by_email(local_today(self.config, now)).items()):
            try:
                self._one(email, items, now, hours, report)
            except WikibotError as exc:
                report.errors.append(f"{email}: {exc}")
        return report

    def _one(self, email: str, items: list[plan.Item], now: datetime, hours: tuple[time, time],
             report: RemindReport) -> None:
        user = self.slack_user(email)
        if user is None:
            report.skipped["not on Slack"] += 1
            return
        history = self.store.reminders_of(user.id)
        self._escalate(user, items, history, now, hours, report)
        last = plan.LastReminder(history[0].local_day, history[0].digest) if history else None
        decision = plan.decide(tz=user.tz, items=items, holds=self.store.holds(user.id, now), last=last, now=now,
                               hours=hours)
        if not decision.send:
            report.skipped[decision.reason] += 1
            return
        channel = self.api.open_dm(user.id)
        reminder_id = self.store.record_reminder(user.id, now, decision.local_day, decision.digest,
                                                 json.dumps([i.key for i in decision.items]), channel, None)
        text, blocks = plan.message(reminder_id, decision.items, self.config.remind.snooze_days)
        try:
            ts = self.api.post(channel, text, blocks=blocks)
        except WikibotError:
            self.store.forget_reminder(reminder_id)
            raise
        self.store.set_message(reminder_id, ts)
        report.sent += 1

    def _escalate(self, user: SlackUser, items: list[plan.Item], history: list[Reminder], now: datetime,
                  hours: tuple[time, time], report: RemindReport) -> None:
        after = self.config.remind.escalate_after
        answered = [None if r.escalated else r.answer is not None for r in history]
        if not plan.should_escalate(answered, after):
            return
        leads = sorted({i.lead for i in items if i.lead and i.lead != user.id})
        if any(plan.not_at_work(now, self.api.user(lead).tz, hours) for lead in leads):
            return  # the leads hear about it in their own working hours, on a later run
        for lead in leads:
            mine = [i for i in items if i.lead == lead]
            self.api.post(self.api.open_dm(lead), plan.escalation_text(user.name, after, mine))
            report.escalated += 1
        self.store.mark_escalated([r.id for r in history[:after]])


def _prop(properties: dict[str, str], names: tuple[str, ...]) -> str:
    keys = {title_key(k): v for k, v in properties.items()}
    return next((keys[title_key(n)].strip() for n in names if title_key(n) in keys), "")


def run_remind(services: Services, now: datetime) -> RemindReport:
    from wikibot.slack.wiring import build_slack_api

    api = build_slack_api(services)
    if api is None:
        raise ConfigError("no Slack app configured (set slack.bot_token)")
    return ReminderRun(services, api).run(now)


def scheduled_remind(services: Services) -> dict[str, Any]:
    """The scheduler's job (``remind.schedule``)."""
    from wikibot.store.schema import utcnow

    return run_remind(services, utcnow()).to_dict()
