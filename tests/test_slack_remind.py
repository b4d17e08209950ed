"""wikibot remind against the sandbox: one DM inside working hours, none outside or twice a day; buttons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from tests.conftest import slack_signed
from tests.search_index import time_passes
from wikibot.incident import Incident
from wikibot.slack.remind import run_remind

BOB, DANA = "557058:bb22", "557058:dd44"
NOON_LA = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # Wednesday: 12:00 Los Angeles (Bob), 21:00 Warsaw (Dana)
NEXT_NOON_LA = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
MORNING_WARSAW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 Warsaw, 01:00 Los Angeles


@pytest.fixture
def postmortem(slack_services, jira):
    """A post-mortem led by Dana (empty sections) with an overdue action of Bob's."""
    page = slack_services.creator.create(Incident(incident_id="INC-500", title="Queue backlog", lead=DANA))
    issue = jira.create_issue({"project": {"key": "OPS"}, "summary": "Alert on queue depth",
                               "issuetype": {"name": "Task"},
                               "labels": ["post-mortem", f"pm-{page.page_id}", "incident-inc-500"],
                               "assignee": {"accountId": BOB}, "duedate": "2026-11-20"})
    time_passes()  # the reminders run days later
    return {"page": page, "issue": issue["key"]}


def dms(slack, email):
    return [m for m in slack.messages(user=slack.users()[email]["id"]) if m.get("bot_id")]


def button(dm, name=None):
    """The DM's first button, or its ``wikibot_remind_<name>`` button."""
    return next(e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
                if name is None or e["action_id"] == f"wikibot_remind_{name}")


def click(slack_client, slack_services, user, action, state=None):
    payload = {"type": "block_actions", "user": {"id": user}, "channel": {"id": "D"}, "actions": [action]}
    if state is not None:
        payload["state"] = {"values": state}
    body = urlencode({"payload": json.dumps(payload)})
    response = slack_client.post("/hooks/slack/interactions", data=body, headers=slack_signed(body))
    slack_services.slack.wait()
    return response


def test_one_dm_to_the_owner_inside_their_working_hours_and_none_outside_or_twice(slack, slack_services, postmortem):
    report = run_remind(slack_services, NOON_LA)
    [bob] = dms(slack, "bob@example.com")
    assert postmortem["issue"] in bob["text"] and "overdue" in bob["text"]
    assert dms(slack, "dana@example.com") == []
    assert report.sent == 1 and report.skipped["outside working hours"] == 1
    again = run_remind(slack_services, NOON_LA)
    assert again.sent == 0 and len(dms(slack, "bob@example.com")) == 1
    morning = run_remind(slack_services, MORNING_WARSAW)
    [dana] = dms(slack, "dana@example.com")
    assert "Sections still empty in post-mortems you lead" in dana["text"] and "Root Cause" in dana["text"]
    assert morning.skipped["outside working hours"] == 1 and len(dms(slack, "bob@example.com")) == 1
    later = run_remind(slack_services, NEXT_NOON_LA)
    assert later.skipped["nothing changed"] == 1 and len(dms(slack, "bob@example.com")) == 1
    assert [r.local_day for r in slack_services.db.slack.reminders_of(slack.users()["bob@example.com"]["id"])] \
        == ["2026-12-02"]


def test_snooze_silences_the_item_and_is_recorded(slack, slack_client, slack_services, postmortem):
    run_remind(slack_services, NOON_LA)
    [dm] = dms(slack, "bob@example.com")
    bob = slack.users()["bob@example.com"]["id"]
    snooze = button(dm, "snooze")
    assert click(slack_client, slack_services, bob, snooze).status_code == 200
    [reminder] = slack_services.db.slack.reminders_of(bob)
    assert reminder.answer == "snooze"
    assert "Snoozed" in dms(slack, "bob@example.com")[-1]["text"]
    assert run_remind(slack_services, NEXT_NOON_LA).sent == 0


def test_not_doing_comments_the_reason_on_the_jira_issue(slack, slack_client, slack_services, jira, postmortem):
    run_remind(slack_services, NOON_LA)
    [dm] = dms(slack, "bob@example.com")
    bob = slack.users()["bob@example.com"]["id"]
    no = button(dm, "not_doing")
    click(slack_client, slack_services, bob, no,
          state={"wikibot_remind_why": {"why": {"type": "plain_text_input", "value": "Queue is being replaced"}}})
    comments = jira.issue_get_comments(postmortem["issue"])["comments"]
    assert any("Queue is being replaced" in str(c["body"]) for c in comments)
    assert slack_services.db.slack.reminders_of(bob)[0].answer == "not_doing"


def test_not_doing_comments_once_after_a_lost_answer_and_a_second_click(
        sandbox, slack, slack_client, slack_services, jira, postmortem):
    run_remind(slack_services, NOON_LA)
    [dm] = dms(slack, "bob@example.com")
    bob = slack.users()["bob@example.com"]["id"]
    no = button(dm, "not_doing")
    why = {"wikibot_remind_why": {"why": {"type": "plain_text_input", "value": "Queue is being replaced"}}}
    sandbox.fault(drop=True, after=True, count=1, method="POST",  # the comment lands, its answer is lost
                  path_prefix=f"/rest/api/2/issue/{postmortem['issue']}/comment")
    click(slack_client, slack_services, bob, no, state=why)
    click(slack_client, slack_services, bob, no, state=why)
    comments = jira.issue_get_comments(postmortem["issue"])["comments"]
    assert len([c for c in comments if "Queue is being replaced" in str(c["body"])]) == 1
    assert "I added your reason to the issue." in dms(slack, "bob@example.com")[-1]["text"]


def test_someone_else_cannot_answer_your_reminder(slack, slack_client, slack_services, postmortem):
    run_remind(slack_services, NOON_LA)
    [dm] = dms(slack, "bob@example.com")
    snooze = button(dm)
    response = click(slack_client, slack_services, slack.users()["eve@example.com"]["id"], snooze)
    assert response.json["text"] == "This reminder is not yours to answer."


def test_the_lead_hears_after_ignored_reminders(make_config, sandbox, slack, jira, postmortem, slack_config):
    from wikibot.services import Services

    config = make_config(slack=slack_config.slack.model_dump(mode="json") | {
        "bot_token": "xoxb-sandbox-token", "signing_secret": "s"}, remind={"escalate_after": 2})
    services = Services(config)
    try:
        run_remind(services, NOON_LA)
        jira.create_issue({"project": {"key": "OPS"}, "summary": "Second", "issuetype": {"name": "Task"},
                           "labels": ["post-mortem", f"pm-{postmortem['page'].page_id}"],
                           "assignee": {"accountId": BOB}})
        time_passes()
        run_remind(services, NEXT_NOON_LA)
        jira.create_issue({"project": {"key": "OPS"}, "summary": "Third", "issuetype": {"name": "Task"},
                           "labels": ["post-mortem", f"pm-{postmortem['page'].page_id}"],
                           "assignee": {"accountId": BOB}})
        time_passes()
        evening_for_dana = run_remind(services, datetime(2026, 12, 4, 20, 0, tzinfo=UTC))
        monday_morning_for_dana = run_remind(services, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
        later = run_remind(services, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    finally:
        services.close()
    assert evening_for_dana.escalated == 0  # the lead hears about it in her own working hours
    assert monday_morning_for_dana.escalated == 1 and later.escalated == 0
    told = [m for m in dms(slack, "dana@example.com") if "has not answered" in m["text"]]
    assert len(told) == 1 and "Bob Chen" in told[0]["text"]


def test_remind_at_rejects_a_bad_time(slack_config, tmp_path):
    from click.testing import CliRunner

    from wikibot.cli import cli

    result = CliRunner().invoke(cli, ["remind", "--at", "tomorrow"])
    assert result.exit_code == 2 and "--at: 'tomorrow' is not an ISO time" in result.output


def test_not_doing_without_a_reason_asks_for_one_and_records_nothing(slack, slack_client, slack_services, postmortem):
    run_remind(slack_services, NOON_LA)
    [dm] = dms(slack, "bob@example.com")
    bob = slack.users()["bob@example.com"]["id"]
    no = button(dm, "not_doing")
    click(slack_client, slack_services, bob, no, state={"wikibot_remind_why": {"why": {"value": None}}})
    assert "Please say why" in dms(slack, "bob@example.com")[-1]["text"]
    assert slack_services.db.slack.reminders_of(bob)[0].answer is None


def test_not_doing_marks_the_row_on_the_page_and_the_action_is_no_longer_overdue(slack, slack_client, slack_services,
                                                                                 jira, sandbox):
    from tests.test_sync import body_of, edit_as, mention
    from wikibot.audit import run_audit
    from wikibot.pages import parse_page
    from wikibot.sync import run_sync
    from wikibot.sync.actions import outstanding_actions

    page = slack_services.creator.create(Incident(incident_id="INC-501", title="Queue backlog", lead=DANA))
    row = (f"<tr><td><p>Alert on queue depth</p></td><td><p>{mention(BOB)}</p></td>"
           '<td><p><time datetime="2026-11-20" /></p></td>' + "<td><p></p></td>" * 3 + "</tr>")
    edit_as(sandbox, page.page_id, lambda body: body.replace("<tr>" + "<td><p></p></td>" * 6 + "</tr>", row, 1))
    assert run_sync(slack_services, page.page_id).created == 1
    time_passes()  # the nightly audit, hours after the sync
    overdue = [f.kind for p in run_audit(slack_services, page_id=page.page_id, now=NOON_LA).pages for f in p.findings]
    assert "overdue_action" in overdue
    run_remind(slack_services, NOON_LA)
    [dm] = dms(slack, "bob@example.com")
    no = button(dm, "not_doing")
    click(slack_client, slack_services, slack.users()["bob@example.com"]["id"], no,
          state={"wikibot_remind_why": {"why": {"type": "plain_text_input", "value": "Queue is being replaced"}}})
    time_passes()  # the next sync runs later: until Jira's index has the label, a search shows the issue without it
    run_sync(slack_services, page.page_id)
    time_passes()
    [item] = parse_page(body_of(sandbox.confluence(), page.page_id)).action_items
    assert item.status == "Not doing"
    assert "post-mortem-not-doing" in jira.issue(item.jira_key, fields="labels")["fields"]["labels"]
    # Declined with a reason: still open in Jira, but neither an overdue finding nor overdue in `wikibot actions`.
    audited = [f.kind for p in run_audit(slack_services, page_id=page.page_id, now=NOON_LA).pages for f in p.findings]
    assert "overdue_action" not in audited
    [action] = [a for a in outstanding_actions(slack_services.jira, sandbox.confluence_url, NOON_LA.date())
                if a.key == item.jira_key]
    assert (action.status, action.days_overdue) == ("Not doing", 0)


def test_a_lead_is_not_reminded_of_an_optional_section_whatever_the_page_calls_it(slack, slack_services, postmortem,
                                                                                 sandbox):
    from tests.test_sync import edit_as

    edit_as(sandbox, postmortem["page"].page_id,
            lambda body: body.replace("<h2>Data &amp; Analysis</h2>", "<h2>Appendix</h2>"))
    time_passes()
    run_remind(slack_services, MORNING_WARSAW)
    [dana] = dms(slack, "dana@example.com")
    assert "Root Cause" in dana["text"]
    assert "Appendix" not in dana["text"]  # "Appendix" is Data & Analysis: optional, as in the audit


def test_a_declined_action_is_not_reminded_even_without_a_due_date(slack, slack_services, jira, postmortem):
    page = postmortem["page"].page_id
    declined = jira.create_issue({"project": {"key": "OPS"}, "summary": "Replace the queue",
                                  "issuetype": {"name": "Task"},
                                  "labels": ["post-mortem", f"pm-{page}", "incident-inc-500", "post-mortem-not-doing"],
                                  "assignee": {"accountId": BOB}})["key"]
    run_remind(slack_services, NOON_LA)
    [bob] = dms(slack, "bob@example.com")
    assert postmortem["issue"] in bob["text"] and declined not in bob["text"]


def test_an_action_one_day_late_is_reminded_as_one_day_overdue(slack, slack_services, jira):
    page = slack_services.creator.create(Incident(incident_id="INC-501", title="Disk full", lead=DANA))
    jira.create_issue({"project": {"key": "OPS"}, "summary": "Alert on disk usage", "issuetype": {"name": "Task"},
                       "labels": ["post-mortem", f"pm-{page.page_id}", "incident-inc-501"],
                       "assignee": {"accountId": BOB}, "duedate": "2026-12-01"})
    time_passes()
    run_remind(slack_services, NOON_LA)
    [bob] = dms(slack, "bob@example.com")
    assert "(due 2026-12-01, 1 day overdue)" in bob["text"]


def test_snoozing_an_empty_section_is_confirmed_by_the_section_title(slack, slack_client, slack_services, postmortem):
    run_remind(slack_services, MORNING_WARSAW)
    [dm] = dms(slack, "dana@example.com")
    dana = slack.users()["dana@example.com"]["id"]
    snooze = button(dm, "snooze")
    assert click(slack_client, slack_services, dana, snooze).status_code == 200
    confirmation = dms(slack, "dana@example.com")[-1]["text"]
    assert confirmation.startswith("Snoozed the section “") and "page:" not in confirmation
