"""The sandbox's Slack speaks the Web API as strictly as Slack: driven with the real slack_sdk."""

from __future__ import annotations

import base64

import pytest
import requests
from slack_sdk.errors import SlackApiError

from service_sandbox.store import SEED_USERS

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def test_seeded_people_are_the_confluence_and_jira_people_with_slack_ids_and_time_zones(slack):
    users = slack.users()
    assert set(users) == {email for _id, _name, email in SEED_USERS}
    assert users["bob@example.com"]["tz"] == "America/Los_Angeles"
    assert all(u["id"].startswith("U") for u in users.values())


def test_a_wrong_or_missing_token_is_a_slack_error_not_an_http_error(slack):
    with pytest.raises(SlackApiError) as bad:
        slack.client(token="xoxb-wrong").auth_test()
    assert bad.value.response["error"] == "invalid_auth"
    raw = requests.post(slack.api_url + "auth.test", timeout=5)
    assert raw.status_code == 200 and raw.json() == {"ok": False, "error": "not_authed"}


def test_unknown_methods_and_channels_answer_slack_error_codes(slack):
    assert requests.post(slack.api_url + "chat.nothing", headers={"Authorization": "Bearer x"},
                         timeout=5).json()["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as missing:
        slack.client().conversations_info(channel="C999")
    assert missing.value.response["error"] == "channel_not_found"


def test_history_pages_newest_first_with_a_cursor_and_leaves_replies_to_conversations_replies(slack):
    users = slack.users()
    ana = users["ana@example.com"]["id"]
    channel = slack.channel("inc-1-paging")
    roots = [slack.post(channel, ana, f"message {i}")["ts"] for i in range(5)]
    slack.post(channel, ana, "a reply", thread_ts=roots[0])
    client = slack.client()
    first = client.conversations_history(channel=channel, limit=2)
    assert [m["text"] for m in first["messages"]] == ["message 4", "message 3"]
    assert first["has_more"] and first["response_metadata"]["next_cursor"]
    every = [m["text"] for page in client.conversations_history(channel=channel, limit=2) for m in page["messages"]]
    assert every == [f"message {i}" for i in range(4, -1, -1)]
    root = next(m for m in client.conversations_history(channel=channel)["messages"] if m["ts"] == roots[0])
    assert root["reply_count"] == 1 and root["thread_ts"] == roots[0]
    thread = client.conversations_replies(channel=channel, ts=roots[0])["messages"]
    assert [m["text"] for m in thread] == ["message 0", "a reply"]


def test_a_bad_cursor_is_invalid_cursor(slack):
    channel = slack.channel("inc-2-cursor")
    with pytest.raises(SlackApiError) as bad:
        slack.client().conversations_history(channel=channel, cursor="not-a-cursor")
    assert bad.value.response["error"] == "invalid_cursor"


def test_the_bot_cannot_read_or_post_where_it_was_not_invited(slack):
    channel = slack.channel("private-talk", bot_member=False)
    for call in (lambda c: c.conversations_history(channel=channel),
                 lambda c: c.chat_postMessage(channel=channel, text="hi")):
        with pytest.raises(SlackApiError) as refused:
            call(slack.client())
        assert refused.value.response["error"] == "not_in_channel"


def test_pins_reactions_and_files_come_back_in_slack_shapes_and_downloads_need_the_token(slack):
    bob = slack.users()["bob@example.com"]["id"]
    channel = slack.channel("inc-3-files", "Disk full on db-2")
    seeded = slack.post(channel, bob, "the graph", pinned=True, reactions=["pushpin"],
                        files=[{"name": "disk.png", "mimetype": "image/png", "content_base64": PNG}])
    assert seeded["permalink"].endswith(f"/archives/{channel}/p{seeded['ts'].replace('.', '')}")
    client = slack.client()
    pins = client.pins_list(channel=channel)["items"]
    message = pins[0]["message"]
    assert message["pinned_to"] == [channel] and message["reactions"][0]["name"] == "pushpin"
    file = client.files_info(file=message["files"][0]["id"])["file"]
    assert file["name"] == "disk.png" and file["mimetype"] == "image/png"
    url = file["url_private_download"]
    with_token = requests.get(url, headers={"Authorization": "Bearer xoxb-sandbox-token"}, timeout=5)
    assert with_token.content == base64.b64decode(PNG)
    without = requests.get(url, timeout=5)
    assert without.status_code == 200 and without.headers["Content-Type"].startswith("text/html")
    assert client.conversations_info(channel=channel)["channel"]["topic"]["value"] == "Disk full on db-2"


def test_direct_messages_reuse_one_channel_and_are_listed_by_user(slack):
    dana = slack.users()["dana@example.com"]
    client = slack.client()
    assert client.users_lookupByEmail(email="DANA@example.com")["user"]["id"] == dana["id"]
    assert client.users_info(user=dana["id"])["user"]["tz"] == "Europe/Warsaw"
    first = client.conversations_open(users=dana["id"])["channel"]["id"]
    assert client.conversations_open(users=dana["id"])["channel"]["id"] == first
    client.chat_postMessage(channel=first, text="your actions")
    assert [m["text"] for m in slack.messages(user=dana["id"])] == ["your actions"]
    with pytest.raises(SlackApiError) as unknown:
        client.users_lookupByEmail(email="nobody@example.com")
    assert unknown.value.response["error"] == "users_not_found"


def test_ephemeral_messages_are_listed_for_tests_but_not_in_history(slack):
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("inc-4-ephemeral")
    slack.client().chat_postEphemeral(channel=channel, user=ana, text="creating…")
    assert slack.client().conversations_history(channel=channel)["messages"] == []
    assert slack.messages(channel)[0]["ephemeral_to"] == ana


def test_an_injected_429_is_slacks_ratelimited_with_retry_after(sandbox, slack):
    sandbox.fault(status=429, retry_after=7, path_prefix="/slack/api/chat.postMessage")
    channel = slack.channel("inc-5-limits")
    response = requests.post(slack.api_url + "chat.postMessage", json={"channel": channel, "text": "x"},
                             headers={"Authorization": "Bearer xoxb-sandbox-token"}, timeout=5)
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json() == {"ok": False, "error": "ratelimited"}
    assert slack.client().chat_postMessage(channel=channel, text="x")["ok"]


def test_empty_text_and_overlong_text_are_refused(slack):
    channel = slack.channel("inc-6-text")
    for text, code in (("  ", "no_text"), ("x" * 40_001, "msg_too_long")):
        response = requests.post(slack.api_url + "chat.postMessage", json={"channel": channel, "text": text},
                                 headers={"Authorization": "Bearer xoxb-sandbox-token"}, timeout=5)
        assert response.json() == {"ok": False, "error": code}


def test_controls_refuse_bad_input_with_json_4xx(slack):
    response = requests.post(slack.url + "/_sandbox/slack/channels", json={"name": "Has Spaces"}, timeout=5)
    assert response.status_code == 400
    slack.channel("taken")
    assert requests.post(slack.url + "/_sandbox/slack/channels", json={"name": "taken"}, timeout=5).status_code == 409
    bad = requests.post(slack.url + "/_sandbox/slack/messages", json={"channel": "taken", "user": "U0ANALIMA",
                        "text": "x", "files": [{"name": "a", "mimetype": "b", "content_base64": "%%%"}]}, timeout=5)
    assert bad.status_code == 400 and "base64" in bad.json()["error"]


def test_the_web_view_shows_channels_threads_and_permalinks_land_on_the_message(slack):
    users = slack.users()
    channel = slack.channel("inc-7-view", "A topic")
    root = slack.post(channel, users["eve@example.com"]["id"], "Customers see *errors* <https://x.example|here>")
    slack.post(channel, users["bob@example.com"]["id"], "on it", thread_ts=root["ts"])
    index = requests.get(slack.url + "/slack/", timeout=5).text
    assert "#inc-7-view" in index
    page = requests.get(root["permalink"], timeout=5)
    assert page.status_code == 200 and "<strong>errors</strong>" in page.text and "Eve Martin" in page.text
    assert '<a href="https://x.example">here</a>' in page.text and "on it" in page.text


def test_examples_seed_an_incident_channel_with_a_pinned_graph(tmp_path):
    from service_sandbox import SandboxServer, SandboxStore, create_sandbox_app
    from tests.conftest import RunningSandbox, SandboxSlack

    with SandboxServer(create_sandbox_app(SandboxStore(), examples=True)) as server:
        slack = SandboxSlack(RunningSandbox(server))
        messages = slack.messages("inc-140-checkout-latency")
        assert any(m.get("files") and m.get("pinned_to") for m in messages)
        assert any(m.get("reply_count") for m in messages)
        image = next(m for m in messages if m.get("files"))["files"][0]
        data = requests.get(image["url_private"], headers={"Authorization": "Bearer xoxb-sandbox-token"}, timeout=5)
        assert data.content.startswith(b"\x89PNG")


def test_the_app_settings_control_needs_all_three_strings(slack):
    bad = requests.post(slack.url + "/_sandbox/slack/app", json={"commands_url": "http://x"}, timeout=5)
    assert bad.status_code == 400
    good = requests.post(slack.url + "/_sandbox/slack/app", json={
        "commands_url": "http://127.0.0.1:9/c", "interactions_url": "http://127.0.0.1:9/i", "signing_secret": "s"},
        timeout=5)
    assert good.json() == {"commands_url": "http://127.0.0.1:9/c", "interactions_url": "http://127.0.0.1:9/i"}


def test_a_command_sent_from_the_view_to_an_app_that_is_down_says_so_privately(slack):
    requests.post(slack.url + "/_sandbox/slack/app", json={
        "commands_url": "http://127.0.0.1:9/c", "interactions_url": "http://127.0.0.1:9/i", "signing_secret": "s"},
        timeout=5).raise_for_status()
    ana = slack.users()["ana@example.com"]["id"]
    channel = slack.channel("inc-8-down")
    requests.post(f"{slack.url}/slack/archives/{channel}/command", data={"user": ana, "text": "/postmortem"},
                  timeout=10)
    [answer] = slack.messages(channel)
    assert answer["ephemeral_to"] == ana and "did not answer" in answer["text"]


def test_only_chat_methods_accept_a_channel_name(slack):
    slack.channel("named")
    assert slack.client().chat_postMessage(channel="#named", text="hi")["ok"]
    for call in (lambda c: c.conversations_info(channel="named"), lambda c: c.conversations_history(channel="named"),
                 lambda c: c.pins_list(channel="named")):
        with pytest.raises(SlackApiError) as refused:
            call(slack.client())
        assert refused.value.response["error"] == "channel_not_found"


def test_blocks_beyond_slacks_limits_are_invalid_blocks(slack):
    channel = slack.channel("inc-9-blocks")
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    for blocks in ([section] * 51, [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
                   [{"type": "actions", "elements": [{"type": "button", "value": "v" * 2001, "action_id": "a"}]}],
                   ["not a block"]):
        response = requests.post(slack.api_url + "chat.postMessage", json={"channel": channel, "text": "t",
                                 "blocks": blocks}, headers={"Authorization": "Bearer xoxb-sandbox-token"}, timeout=5)
        assert response.json() == {"ok": False, "error": "invalid_blocks"}
    assert slack.client().chat_postMessage(channel=channel, text="t", blocks=[section] * 50)["ok"]
