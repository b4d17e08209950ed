"""Share on publish through the Slack Web API to slack.company_channel (the webhook path stays)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET
from tests.test_audit import create_page, edit_page
from tests.test_share import published_body
from wikibot.audit import run_audit
from wikibot.services import Services


def test_a_page_becoming_published_is_posted_once_to_the_company_channel(make_config, sandbox, slack, confluence):
    channel = slack.channel("incidents")
    config = make_config(slack={"bot_token": SLACK_BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET,
                                "api_url": sandbox.url + "/slack/api/", "company_channel": "incidents"})
    services = Services(config)
    try:
        now = sandbox.store.now()
        page_id = create_page(sandbox, confluence, "PM checkout", published_body("Debriefed"), created=now)
        run_audit(services, publish=True, now=now)
        edit_page(sandbox, confluence, page_id, published_body(), at=now + timedelta(hours=1))
        run_audit(services, publish=True, now=now + timedelta(hours=2))
        run_audit(services, publish=True, now=now + timedelta(hours=3))
    finally:
        services.close()
    [message] = slack.messages(channel)
    assert message["text"].startswith(":mega: *Post-mortem published:* <") and "PM checkout" in message["text"]


def test_a_failed_post_is_retried_by_the_next_run(make_config, sandbox, slack, confluence):
    channel = slack.channel("incidents")
    config = make_config(slack={"bot_token": SLACK_BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET,
                                "api_url": sandbox.url + "/slack/api/", "company_channel": "incidents"})
    services = Services(config)
    try:
        from wikibot.audit.share import share_page
        from wikibot.errors import WikibotError

        now = sandbox.store.now()
        page_id = create_page(sandbox, confluence, "PM db", published_body(), created=now)
        sandbox.fault(status=500, count=None, path_prefix="/slack/api/chat.postMessage")
        try:
            share_page(services, page_id)
        except WikibotError as exc:
            assert "chat.postMessage" in str(exc)
        else:
            raise AssertionError("the failed post was not reported")
        sandbox.clear_faults()
        share_page(services, page_id)
    finally:
        services.close()
    assert len(slack.messages(channel)) == 1
