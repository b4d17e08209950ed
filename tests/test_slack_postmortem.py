"""/postmortem in an incident channel: signed, answered at once, one page per incident, link posted."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import slack_signed
from wikibot.slack.app import REFRESH_ACTION
from wikibot.slack.reminders import NOT_DOING_ACTION, SNOOZE_ACTION


def command(client, channel_id: str, channel_name: str, user: str, text: str = "", headers: dict | None = None):
    body = urlencode({"command": "/postmortem", "text": text, "channel_id": channel_id, "channel_name": channel_name,
                      "user_id": user, "team_id": "T0SANDBOX", "response_url": "https://hooks.example/x"})
    return client.post("/hooks/slack/commands", data=body, headers=headers or slack_signed(body))


def test_postmortem_in_an_incident_channel_answers_at_once_then_posts_the_page_link(
        slack, slack_client, slack_services, sandbox):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("inc-7301-checkout-errors", "Checkout errors after the payments deploy")
    started = time.monotonic()
    response = command(slack_client, channel, "inc-7301-checkout-errors", ana)
    assert time.monotonic() - started < 3
    assert response.status_code == 200
    assert response.json["response_type"] == "ephemeral" and "INC-7301" in response.json["text"]
    slack_services.slack.wait()
    posted = [m for m in slack.messages(channel) if m.get("bot_id")]
    assert len(posted) == 1 and "started" in posted[0]["text"]
    pages = sandbox.cql_settled('label = "incident-inc-7301"')
    assert len(pages) == 1
    assert "Checkout errors after the payments deploy" in pages[0]["title"]
    body = sandbox.page(pages[0]["id"])["body"]["storage"]["value"]
    lead_row = body[body.index("Lead investigator"):body.index("Status")]
    assert '<ri:user ri:account-id="557058:aa11" />' in lead_row  # Ana ran /postmortem: she leads it
    assert f"/slack/archives/{channel}" in body  # the incident channel is linked from the page
    assert any(e.get("action_id") == "wikibot_refresh_timeline"
               for b in posted[0]["blocks"] if b["type"] == "actions" for e in b["elements"])


def test_a_second_postmortem_finds_the_same_page(slack, slack_client, slack_services, sandbox):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("inc-7302-db", "Database failover")
    for _ in range(2):
        command(slack_client, channel, "inc-7302-db", ana)
        slack_services.slack.wait()
    texts = [m["text"] for m in slack.messages(channel) if m.get("bot_id")]
    assert len(texts) == 2 and "already exists" in texts[1]
    assert len(sandbox.cql_settled('label = "incident-inc-7302"')) == 1


def test_the_incident_and_title_can_be_given_in_the_text(slack, slack_client, slack_services, sandbox):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("war-room")
    command(slack_client, channel, "war-room", ana, text="ops-55 Login outage")
    slack_services.slack.wait()
    page = sandbox.cql_settled('label = "incident-ops-55"')[0]
    assert "Login outage" in page["title"] and "(OPS-55)" in page["title"]


def test_without_an_incident_id_the_user_gets_the_usage_privately(slack, slack_client, slack_services):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("general")
    response = command(slack_client, channel, "general", ana)
    assert response.status_code == 200 and "inc-123" in response.json["text"]
    slack_services.slack.wait()
    assert slack.messages(channel) == []


def test_a_bad_old_or_missing_signature_is_401_and_nothing_happens(slack, slack_client, slack_services):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("inc-7303-x")
    body = urlencode({"text": "", "channel_id": channel, "channel_name": "inc-7303-x", "user_id": ana})
    bad = [slack_signed(body, secret="wrong"), slack_signed(body, timestamp=int(time.time()) - 6 * 60),
           {**slack_signed(body), "X-Slack-Request-Timestamp": "soon"},
           {"Content-Type": "application/x-www-form-urlencoded"}]
    for headers in bad:
        response = slack_client.post("/hooks/slack/commands", data=body, headers=headers)
        assert response.status_code == 401 and "error" in response.json
    tampered = slack_signed(body)
    response = slack_client.post("/hooks/slack/commands", data=body + "&x=1", headers=tampered)
    assert response.status_code == 401
    slack_services.slack.wait()
    assert slack.messages(channel) == []


def test_without_a_slack_app_the_hooks_are_404(client):
    assert client.post("/hooks/slack/commands", data="x=1").status_code == 404


def test_a_confluence_outage_is_told_to_the_user_privately(sandbox, slack, slack_client, slack_services):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("inc-7304-outage", "Outage")
    # Every wiki write fails: the v2 page create and the v1 label write after it.
    sandbox.fault(status=500, count=None, path_prefix="/wiki/", method="POST")
    command(slack_client, channel, "inc-7304-outage", ana)
    slack_services.slack.wait()
    messages = slack.messages(channel)
    assert len(messages) == 1 and messages[0]["ephemeral_to"] == ana
    assert "Could not create the post-mortem for INC-7304" in messages[0]["text"]


def test_a_rate_limited_post_is_retried_after_retry_after(sandbox, slack, slack_client, slack_services):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("inc-7305-limits", "Limits")
    sandbox.fault(status=429, retry_after=1, count=1, path_prefix="/slack/api/chat.postMessage")
    command(slack_client, channel, "inc-7305-limits", ana)
    slack_services.slack.wait()
    assert len([m for m in slack.messages(channel) if m.get("bot_id")]) == 1


def test_interactions_need_a_valid_signature_too(slack_client):
    body = urlencode({"payload": "{}"})
    response = slack_client.post("/hooks/slack/interactions", data=body, headers=slack_signed(body, secret="wrong"))
    assert response.status_code == 401
    response = slack_client.post("/hooks/slack/interactions", data="payload=nope", headers=slack_signed("payload=nope"))
    assert response.status_code == 400


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                       max_size=3), max_leaves=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=JSON_VALUES, channel=JSON_VALUES, actions=JSON_VALUES, state=JSON_VALUES,
       action_id=st.sampled_from([REFRESH_ACTION, SNOOZE_ACTION, NOT_DOING_ACTION, "other"]))
def test_any_signed_interaction_is_answered_never_a_500(slack_client, slack_services, user, channel, actions, state,
                                                        action_id):
    # Signed by Slack, but its shape is still input: a payload whose "user" is 5 was a traceback.
    for payload in ({"type": "block_actions", "user": user, "channel": channel, "actions": actions, "state": state},
                    {"type": "block_actions", "user": {"id": "U0ANALIMA"}, "actions": [{"action_id": action_id,
                                                                                       "value": actions}],
                     "state": {"values": state}}):
        body = urlencode({"payload": json.dumps(payload)})
        response = slack_client.post("/hooks/slack/interactions", data=body, headers=slack_signed(body))
        assert response.status_code < 500, payload
    slack_services.slack.wait()

def test_refresh_only_drafts_pages_linked_to_a_channel(slack_services):
    assert "not linked to a Slack channel" in slack_services.slack.refresh("424242", "C0000001")
    assert "not linked to a Slack channel" in slack_services.slack.refresh("../x", "C0000001")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300), channel_name=st.text(max_size=90))
def test_any_signed_command_gets_a_private_answer_never_an_error(slack_client, slack_services, text, channel_name):
    body = urlencode({"command": "/postmortem", "text": text, "channel_id": "C0000404", "channel_name": channel_name,
                      "user_id": "U0ANALIMA"})
    response = slack_client.post("/hooks/slack/commands", data=body, headers=slack_signed(body))
    assert response.status_code == 200 and response.json["response_type"] == "ephemeral"
    slack_services.slack.wait()


def test_check_config_reports_the_slack_workspace(slack_config):
    from wikibot.diagnostics import check_config
    from wikibot.services import Services

    report = check_config(slack_config, Services(slack_config))
    assert any(line.startswith("  workspace: ") and line.endswith("as U0WIKIBOT") for line in report.lines)
    assert report.problems == []
    wrong = slack_config.model_copy(update={"slack": slack_config.slack.model_copy(update={
        "bot_token": type(slack_config.slack.bot_token)("xoxb-wrong")})})
    assert check_config(wrong, Services(wrong)).problems == ["slack.bot_token: Slack: auth.test: invalid_auth"]
