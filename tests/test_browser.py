"""The people-facing pages in a real headless browser, with screenshots saved as test artifacts."""

from __future__ import annotations

import os

from tests.conftest import screenshot


def test_the_form_creates_the_page_and_lands_on_it_in_the_wiki(browser_page, live_app, sandbox):
    page = browser_page
    page.goto(f"{live_app}/postmortems/new?incident_id=INC-77")
    assert page.input_value("#incident_id") == "INC-77"
    page.fill("#title", "Search latency spike")
    page.select_option("#severity", "SEV-2")
    page.fill("#lead", "Ana Lima")
    screenshot(page, "form-filled")
    page.click("button[type=submit]")
    page.wait_for_url(f"{sandbox.wiki_url}/spaces/INC/pages/**")
    assert "Search latency spike (INC-77)" in page.inner_text("h1")
    assert "@Ana Lima" in page.inner_text("body")
    assert os.path.exists(screenshot(page, "created-page"))


def test_the_form_shows_validation_errors_beside_the_fields(browser_page, live_app):
    page = browser_page
    page.goto(f"{live_app}/postmortems/new")
    page.fill("#incident_id", "bad id!")
    page.click("button[type=submit]")
    assert page.get_attribute("#incident_id", "aria-invalid") == "true"
    assert "required" in page.inner_text("form")
    screenshot(page, "form-errors")


def test_the_dashboard_renders_tables_and_charts_and_sorts(browser_page, examples_config):
    from wikibot.audit import run_audit
    from service_sandbox import SandboxServer
    from wikibot.services import Services
    from wikibot.web import create_app

    services = Services(examples_config)
    run_audit(services)
    server = SandboxServer(create_app(services.config, services)).start()
    try:
        page = browser_page
        page.goto(server.url + "/")
        assert page.locator("#postmortems tbody tr").count() == 6
        assert page.locator("svg.chart").count() == 3
        assert page.locator("#actions tbody tr").count() >= 5
        screenshot(page, "dashboard")
        page.click("#postmortems th >> text=Post-mortem")
        titles = page.locator("#postmortems tbody tr td:first-child").all_inner_texts()
        assert titles == sorted(titles, key=str.lower, reverse=True) or titles == sorted(titles, key=str.lower)
    finally:
        server.stop()
        services.close()
