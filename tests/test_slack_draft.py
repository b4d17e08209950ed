"""The page drafted from the incident channel: timeline rows, the channel's files, customer teams asked."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest

from service_sandbox.datacenter import userkey
from tests.conftest import slack_signed

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-graph-").decode()
CSV = base64.b64encode(b"region,p99\neu,4.2\n").decode()


@pytest.fixture
def incident_channel(slack):
    users = slack.users()
    ana, bob, eve = (users[f"{n}@example.com"]["id"] for n in ("ana", "bob", "eve"))
    channel = slack.channel("inc-9001-checkout", "Checkout p99 above 4 s")
    slack.post(channel, ana, "Alert: *checkout p99 > 4s*, <@" + bob + "> please join", reactions=["pushpin"])
    root = slack.post(channel, bob, "Looking at the payments deploy")
    slack.post(channel, ana, "query result attached", thread_ts=root["ts"],
               files=[{"name": "p99.csv", "mimetype": "text/csv", "content_base64": CSV}])
    slack.post(channel, bob, "Latency graph", pinned=True,
               files=[{"name": "p99.png", "mimetype": "image/png", "content_base64": PNG}])
    slack.post(channel, eve, "just chatting")
    return {"id": channel, "name": "inc-9001-checkout", "ana": ana, "root": root}


def run_postmortem(slack_client, slack_services, channel, user):
    body = urlencode({"command": "/postmortem", "text": "", "channel_id": channel["id"],
                      "channel_name": channel["name"], "user_id": user})
    assert slack_client.post("/hooks/slack/commands", data=body, headers=slack_signed(body)).status_code == 200
    slack_services.slack.wait()


def the_page(sandbox, incident="inc-9001"):
    """The incident's one page (found by its label) as v2 gives it, and its storage body."""
    found = sandbox.cql_settled(f'label = "incident-{incident}"')
    assert len(found) == 1
    page = sandbox.page(found[0]["id"])
    return page, page["body"]["storage"]["value"]


def attachments_of(sandbox, page_id: str) -> list[dict]:
    """The page's attachments (v2's list: Cloud reads attachments only through v2)."""
    return sandbox.confluence().get(f"api/v2/pages/{page_id}/attachments", params={"limit": 250})["results"]


def edit_as_a_person(sandbox, page: dict, body: str, user: str = "bob@example.com") -> None:
    """Bob saves ``body`` over the version read (v2, his own account)."""
    sandbox.confluence(user=user).put(f"api/v2/pages/{page['id']}", data={
        "id": page["id"], "status": "current", "title": page["title"],
        "version": {"number": page["version"]["number"] + 1},
        "body": {"representation": "storage", "value": body}})


def timeline_of(body: str) -> str:
    return body[body.index("Timeline of events"):body.index("Root Cause")]


@pytest.fixture
def customer_config(make_config, sandbox, slack):
    slack.channel("customer-support")
    from tests.conftest import SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET

    return make_config(slack={"bot_token": SLACK_BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET,
                              "api_url": sandbox.url + "/slack/api/", "customer_channels": ["customer-support"]})


@pytest.mark.both_profiles
def test_creation_drafts_pinned_reacted_and_thread_root_messages_into_the_timeline(
        slack, slack_client, slack_services, sandbox, incident_channel):
    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    _page, body = the_page(sandbox)
    timeline = timeline_of(body)
    for text in ("<strong>checkout p99 &gt; 4s</strong>", "Looking at the payments deploy", "Latency graph"):
        assert text in timeline
    assert "just chatting" not in body and "query result attached" not in timeline
    # Bob, found by his email: by account id on Cloud, by his Confluence user key on Data Center.
    bob = ('ri:userkey="' + userkey("557058:bb22") if sandbox.profile == "datacenter"
           else 'ri:account-id="557058:bb22')
    assert f'<ac:link><ri:user {bob}" /></ac:link>' in timeline
    assert f'/archives/{incident_channel["id"]}/p{incident_channel["root"]["ts"].replace(".", "")}"' in timeline
    link = [m for m in slack.messages(incident_channel["id"]) if m.get("bot_id")][-1]
    assert "Timeline: 3 new rows" in link["text"]


def test_the_channels_files_are_attached_once_and_shown_in_data_and_analysis(
        slack, slack_client, slack_services, sandbox, incident_channel):
    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    page, body = the_page(sandbox)
    attachments = attachments_of(sandbox, page["id"])
    names = sorted(a["title"] for a in attachments)
    assert len(names) == 2 and names[0].endswith("-p99.csv") and names[1].endswith("-p99.png")
    data = body[body.index("Data &amp; Analysis"):]
    assert "<ac:image" in data and "Latency graph" in data and "query result attached" in data
    summary = slack_services.slack.refresh(page["id"], incident_channel["id"])
    assert summary.startswith("Timeline: 0 new rows; Data & Analysis: 0 new files")
    assert len(attachments_of(sandbox, page["id"])) == 2
    assert the_page(sandbox)[1] == body


def test_a_refresh_adds_new_events_and_never_touches_rows_people_edited(
        slack, slack_client, slack_services, config, sandbox, incident_channel):
    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    page, body = the_page(sandbox)
    edited = body.replace("Looking at the payments deploy", "Bob suspected the payments deploy (edited)")
    edit_as_a_person(sandbox, page, edited)
    slack.post(incident_channel["id"], incident_channel["ana"], "Rolled back", reactions=["pushpin"])
    summary = slack_services.slack.refresh(page["id"], incident_channel["id"])
    assert summary.startswith("Timeline: 1 new row;")
    _page, after = the_page(sandbox)
    assert "Bob suspected the payments deploy (edited)" in after and "Looking at the payments" not in after
    assert timeline_of(after).count("Slack message") == 4


def test_a_row_or_file_a_person_deleted_is_not_drafted_again(slack, slack_client, slack_services, sandbox,
                                                              incident_channel):
    import re

    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    page, body = the_page(sandbox)
    row = next(r for r in re.findall(r"<tr>.*?</tr>", body, re.S) if "Looking at the payments deploy" in r)
    csv_entry = next(p for p in re.findall(r"<p>.*?</p>", body, re.S) if "-p99.csv" in p)
    edit_as_a_person(sandbox, page, body.replace(row, "").replace(csv_entry, ""))
    slack.post(incident_channel["id"], incident_channel["ana"], "Rolled back", reactions=["pushpin"])
    summary = slack_services.slack.refresh(page["id"], incident_channel["id"])
    assert summary.startswith("Timeline: 1 new row; Data & Analysis: 0 new files")
    _page, after = the_page(sandbox)
    assert "Rolled back" in after
    assert "Looking at the payments deploy" not in after and "-p99.csv" not in after
    assert timeline_of(after).count("Slack message") == 3  # 3 drafted, 1 deleted, 1 new


def test_the_refresh_button_redrafts_and_answers_privately(
        slack, slack_client, slack_services, sandbox, incident_channel):
    import json

    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    page, _body = the_page(sandbox)
    payload = json.dumps({"type": "block_actions", "user": {"id": incident_channel["ana"]},
                          "channel": {"id": incident_channel["id"]},
                          "actions": [{"action_id": "wikibot_refresh_timeline", "value": page["id"]}]})
    body = urlencode({"payload": payload})
    response = slack_client.post("/hooks/slack/interactions", data=body, headers=slack_signed(body))
    assert response.status_code == 200
    slack_services.slack.wait()
    answer = slack.messages(incident_channel["id"])[-1]
    assert answer["ephemeral_to"] == incident_channel["ana"] and answer["text"].startswith("Timeline: 0 new rows")


def test_customer_channels_are_asked_on_creation_with_the_link_and_what_is_known(
        slack, sandbox, customer_config, incident_channel):
    from wikibot.services import Services
    from wikibot.web import create_app

    services = Services(customer_config)
    try:
        client = create_app(customer_config, services).test_client()
        run_postmortem(client, services, incident_channel, incident_channel["ana"])
        run_postmortem(client, services, incident_channel, incident_channel["ana"])
    finally:
        services.close()
    asked = slack.messages("customer-support")
    assert len(asked) == 1
    assert "INC-9001" in asked[0]["text"] and "Impact and Scope" in asked[0]["text"]
    assert "checkout p99 &gt; 4s" in asked[0]["text"]
    assert "replies to this message are not copied there" in asked[0]["text"]  # no promise nothing keeps


def test_wikibot_timeline_redrafts_a_page_from_its_linked_channel(
        slack, slack_client, slack_services, slack_config, sandbox, incident_channel, tmp_path):
    from pathlib import Path

    import yaml
    from click.testing import CliRunner

    from tests.conftest import SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, write_config_file
    from wikibot.cli import cli

    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    page, _ = the_page(sandbox)
    slack.post(incident_channel["id"], incident_channel["ana"], "Customer impact over", pinned=True)
    path = write_config_file(slack_config, tmp_path)
    data = yaml.safe_load(Path(path).read_text())
    data["slack"].update(bot_token=SLACK_BOT_TOKEN, signing_secret=SLACK_SIGNING_SECRET)
    Path(path).write_text(yaml.safe_dump(data))
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", path, "timeline", page["id"]])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Timeline: 1 new row;")
    unknown = runner.invoke(cli, ["--config", path, "timeline", "424242"])
    assert unknown.exit_code == 2 and "no Slack channel is linked to page 424242" in unknown.output
    bad = runner.invoke(cli, ["--config", path, "timeline", "abc"])
    assert bad.exit_code == 2 and "PAGE must be a page id" in bad.output
    wrong_channel = runner.invoke(cli, ["--config", path, "timeline", page["id"], "--channel", "CNOPE"])
    assert wrong_channel.exit_code == 2, wrong_channel.output
    assert wrong_channel.stderr == ("wikibot: Slack has no channel CNOPE that wikibot can see (a private channel "
                                    "needs the app invited: /invite @wikibot)\n")
    outside = slack.channel("inc-elsewhere", bot_member=False)
    not_invited = runner.invoke(cli, ["--config", path, "timeline", page["id"], "--channel", outside])
    assert not_invited.exit_code == 2
    assert not_invited.stderr == (f"wikibot: wikibot is not in Slack channel {outside}: invite it there "
                                  "(/invite @wikibot)\n")
    # With --channel, the page is still checked first: one that does not exist, or is no post-mortem
    # (the space's home page), gets nothing from the channel.
    home = next(p for p in sandbox.cql("type = page") if p["title"] == "Incidents Home")
    before = sandbox.page(home["id"])["version"]["number"]
    missing = runner.invoke(cli, ["--config", path, "timeline", "424242", "--channel", incident_channel["id"]])
    assert missing.exit_code == 2 and missing.stderr == "wikibot: page 424242: no such Confluence page\n"
    other = runner.invoke(cli, ["--config", path, "timeline", home["id"], "--channel", incident_channel["id"]])
    assert other.exit_code == 2, other.output
    assert other.stderr == (f"wikibot: page {home['id']} ('Incidents Home') is not a post-mortem "
                            "(no label 'postmortem')\n")
    assert sandbox.page(home["id"])["version"]["number"] == before


def test_a_wiki_outage_while_drafting_still_posts_the_link_and_says_what_failed(
        sandbox, slack, slack_client, slack_services, incident_channel):
    sandbox.fault(status=500, count=None, path_prefix="/wiki/api/v2/pages/", method="PUT")
    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    [link] = [m for m in slack.messages(incident_channel["id"]) if m.get("bot_id")]
    assert "started" in link["text"] and "The timeline could not be drafted" in link["text"]
    sandbox.clear_faults()
    page, _ = the_page(sandbox)
    assert slack_services.slack.refresh(page["id"], incident_channel["id"]).startswith("Timeline: 3 new rows")


def test_a_lost_answer_to_the_page_write_still_reports_what_was_drafted_once(
        sandbox, slack, slack_client, slack_services, incident_channel):
    sandbox.fault(drop=True, after=True, count=1, path_prefix="/wiki/api/v2/pages/", method="PUT")
    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    [link] = [m for m in slack.messages(incident_channel["id"]) if m.get("bot_id")]
    assert "Timeline: 3 new rows; Data &amp; Analysis: 2 new files." in link["text"]
    page, body = the_page(sandbox)
    assert timeline_of(body).count("Slack message") == 3 and len(attachments_of(sandbox, page["id"])) == 2


def test_a_file_that_cannot_be_downloaded_is_counted_and_the_rest_is_drafted(
        sandbox, slack, slack_client, slack_services, incident_channel):
    sandbox.fault(status=503, count=None, path_prefix="/slack/files-pri/")
    run_postmortem(slack_client, slack_services, incident_channel, incident_channel["ana"])
    [link] = [m for m in slack.messages(incident_channel["id"]) if m.get("bot_id")]
    assert "Timeline: 3 new rows; Data &amp; Analysis: 0 new files (2 could not be copied)" in link["text"]
    sandbox.clear_faults()
    page, _ = the_page(sandbox)
    assert "2 new files" in slack_services.slack.refresh(page["id"], incident_channel["id"])
