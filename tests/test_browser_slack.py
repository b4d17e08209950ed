"""The sandbox's Slack view in a real headless browser: what a newcomer sees wikibot post."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.conftest import SandboxSlack, screenshot, slack_signed
from tests.test_slack_examples import example_services  # noqa: F401 - the fixture


def test_the_slack_view_shows_the_example_channel_with_wikibots_message(
        browser_page, sandbox_with_examples, example_services):  # noqa: F811
    from wikibot.web import create_app

    config, services = example_services
    slack = SandboxSlack(sandbox_with_examples)
    channel = "inc-140-checkout-latency"
    channel_id = [m for m in slack.messages(channel)][0]["permalink"].split("/archives/")[1].split("/")[0]
    body = urlencode({"command": "/postmortem", "channel_id": channel_id, "channel_name": channel,
                      "user_id": slack.users()["dana@example.com"]["id"], "text": ""})
    create_app(config, services).test_client().post("/hooks/slack/commands", data=body, headers=slack_signed(body))
    services.slack.wait()

    page = browser_page
    page.goto(sandbox_with_examples.url + "/slack/")
    page.click(f"text=#{channel}")
    page.wait_for_url("**/slack/archives/*")
    text = page.inner_text("main")
    assert "Rolling back payments" in text and "Rollback done" in text  # a thread reply is shown
    assert "Post-mortem for INC-140 started" in text and "Refresh timeline" in text
    assert page.locator(".slack-pin").count() == 2
    image = page.locator(".slack-file img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "slack-channel")
    permalink = [m for m in slack.messages(channel) if m.get("bot_id")][0]["permalink"]
    page.goto(permalink)
    assert page.evaluate("location.hash").startswith("#p")
    assert "Post-mortem for INC-140" in page.inner_text(":target")


def test_in_the_slack_view_postmortem_and_the_refresh_button_reach_wikibot(
        browser_page, sandbox_with_examples, example_services):  # noqa: F811
    from service_sandbox import SandboxServer
    from wikibot.slack.wiring import connect_sandbox_slack
    from wikibot.web import create_app

    config, services = example_services
    server = SandboxServer(create_app(config, services)).start()
    try:
        sandbox_config = config.model_copy(update={"sandbox": config.sandbox.model_copy(
            update={"port": sandbox_with_examples.server.port})})
        assert connect_sandbox_slack(sandbox_config, server.url)  # what `wikibot serve` does on the sandbox
        page = browser_page
        page.goto(sandbox_with_examples.url + "/slack/")
        page.click("text=#inc-140-checkout-latency")
        page.fill(".slack-composer input[name=text]", "/postmortem")
        with page.expect_navigation():  # the sandbox calls wikibot, then redirects back
            page.click(".slack-composer button")
        assert "Creating the post-mortem for INC-140" in page.inner_text(".slack-ephemeral")
        services.slack.wait()
        page.reload()
        assert "Post-mortem for INC-140 started" in page.inner_text("main")
        with page.expect_navigation():
            page.click("text=Refresh timeline")
        services.slack.wait()
        page.reload()
        assert "Timeline: 0 new rows" in page.locator(".slack-ephemeral").last.inner_text()
        screenshot(page, "slack-postmortem-flow")
    finally:
        server.stop()
