"""The whole flow on the example channel the sandbox seeds (what `wikibot serve` shows out of the box)."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
import requests

from tests.conftest import SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SandboxSlack, slack_signed


@pytest.fixture
def example_services(examples_config, sandbox_with_examples):
    from wikibot.config import parse_config
    from wikibot.services import Services

    data = examples_config.model_dump(mode="json", exclude={"source"})
    data["confluence"]["token"] = data["jira"]["token"] = sandbox_with_examples.token
    data["webhook"]["secret"] = "x"
    data["slack"] = {"bot_token": SLACK_BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET,
                     "api_url": sandbox_with_examples.url + "/slack/api/",
                     "customer_channels": ["customer-support"], "company_channel": "incidents"}
    config = parse_config(data, source="test", environ={})
    services = Services(config)
    yield config, services
    services.close()


def test_postmortem_in_the_example_channel_drafts_timeline_and_graph_once(sandbox_with_examples, example_services):
    from wikibot.web import create_app

    config, services = example_services
    slack = SandboxSlack(sandbox_with_examples)
    client = create_app(config, services).test_client()
    channel = slack.messages("inc-140-checkout-latency")
    channel_id = requests.get(sandbox_with_examples.url + "/_sandbox/slack/messages",
                              params={"channel": "inc-140-checkout-latency"}, timeout=5).json()["channel"]
    body = urlencode({"command": "/postmortem", "text": "", "channel_id": channel_id,
                      "channel_name": "inc-140-checkout-latency", "user_id": slack.users()["dana@example.com"]["id"]})
    started = time.monotonic()
    assert client.post("/hooks/slack/commands", data=body, headers=slack_signed(body)).status_code == 200
    assert time.monotonic() - started < 3
    services.slack.wait()
    [found] = sandbox_with_examples.cql_settled('label = "incident-inc-140"')
    page = sandbox_with_examples.page(found["id"])
    stored = page["body"]["storage"]["value"]
    timeline = stored[stored.index("Timeline of events"):stored.index("Root Cause")]
    pinned_or_reacted = [m for m in channel
                         if m.get("pinned_to") or m.get("reactions", [{}])[0].get("name") == "pushpin"]
    for message in pinned_or_reacted:
        assert message["permalink"] in timeline
    analysis = stored[stored.index("Data &amp; Analysis"):]
    assert "<ac:image" in analysis and "checkout-p99.png" in analysis
    [asked] = slack.messages("customer-support")
    assert "*INC-140*" in asked["text"] and "Impact and Scope" in asked["text"]
    summary = services.slack.refresh(page["id"], channel_id)
    assert summary.startswith("Timeline: 0 new rows; Data & Analysis: 0 new files")
