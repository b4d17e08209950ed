"""/healthz, /readyz, /metrics, access control and logs: what operators rely on."""

from __future__ import annotations

import base64
import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import WEBHOOK_SECRET
from wikibot.logs import configure_logging


def samples(client) -> dict[tuple[str, tuple], float]:
    text = client.get("/metrics").text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_healthz_answers_while_the_process_is_up(client, sandbox):
    sandbox.fault(status=503, count=None)
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_is_ready_when_the_database_and_both_services_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "checks": {"database": "ok", "confluence": "ok", "jira": "ok"}}


def test_readyz_is_503_naming_the_service_that_is_down(client, sandbox):
    sandbox.fault(status=503, count=None, path_prefix="/rest/api/2")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["jira"].startswith("error") and response.json["checks"]["confluence"] == "ok"


def test_metrics_parse_and_count_requests_by_route_template_and_external_calls(client):
    client.post("/hooks/postmortem", json={"incident_id": "INC-1", "title": "t"},
                headers={"X-Wikibot-Token": WEBHOOK_SECRET})
    client.get("/postmortems/new?x=1")
    values = samples(client)
    requests_total = "wikibot_http_requests_total"
    assert values[(requests_total, (("method", "POST"), ("route", "/hooks/postmortem"), ("status", "201")))] == 1
    assert values[(requests_total, (("method", "GET"), ("route", "/postmortems/new"), ("status", "200")))] == 1
    assert values[("wikibot_pages_created_total", ())] == 1
    assert values[("wikibot_webhook_seconds_count", (("route", "/hooks/postmortem"),))] == 1
    assert values[("wikibot_external_calls_total", (("outcome", "ok"), ("service", "confluence")))] >= 2


def test_metrics_never_show_secrets(client, config):
    text = client.get("/metrics").text
    for secret in config.secrets():
        assert secret not in text


def test_two_apps_in_one_process_have_separate_registries(make_config):
    from wikibot.web import create_app

    first, second = create_app(make_config()), create_app(make_config())
    first.test_client().get("/healthz")
    assert "wikibot_http_requests_total" in second.test_client().get("/metrics").text


def test_basic_auth_guards_pages_but_not_webhooks_or_health(make_config):
    from wikibot.web import create_app

    app = create_app(make_config(server={"auth": {"mode": "basic", "username": "mgr", "password": "pw-123456"}}))
    client = app.test_client()
    assert client.get("/postmortems/new").status_code == 401
    good = base64.b64encode(b"mgr:pw-123456").decode()
    assert client.get("/postmortems/new", headers={"Authorization": f"Basic {good}"}).status_code == 200
    bad = base64.b64encode(b"mgr:nope").decode()
    assert client.get("/postmortems/new", headers={"Authorization": f"Basic {bad}"}).status_code == 401
    assert client.get("/healthz").status_code == 200
    assert client.post("/hooks/postmortem", json={}).status_code == 401  # its own secret, not basic auth


def test_header_auth_trusts_only_requests_that_carry_the_proxy_header(make_config):
    from wikibot.web import create_app

    client = create_app(make_config(server={"auth": {"mode": "header", "header": "X-Auth-User"}})).test_client()
    assert client.get("/postmortems/new").status_code == 403
    assert client.get("/postmortems/new", headers={"X-Auth-User": "ana"}).status_code == 200


@pytest.mark.secret_logged_on_purpose
def test_json_logs_are_one_object_per_line_with_secrets_redacted(config):
    stream = io.StringIO()
    handler = configure_logging("info", "json", config.secrets(), stream)
    try:
        secret = config.secrets()[0]
        logging.getLogger("wikibot.test").warning("calling with token=%s", secret)
        logging.getLogger("wikibot.test").error("failed: Authorization: Basic %s", "dXNlcjpwYXNzd29yZA==")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    events = [json.loads(line) for line in lines]
    assert events[0]["level"] == "warning" and events[0]["logger"] == "wikibot.test"
    assert secret not in stream.getvalue() and "dXNlcjpwYXNzd29yZA==" not in stream.getvalue()


@pytest.mark.parametrize("values", [[""], ["  "], ["", "mallory"], ["ana", "mallory"], [", mallory"], ["ana,mallory"]])
def test_header_auth_refuses_an_empty_or_repeated_proxy_header(make_config, values):
    # Issue #16, 7: a client's own empty header plus the proxy's appended one arrived as ", mallory".
    from wikibot.web import create_app

    client = create_app(make_config(server={"auth": {"mode": "header", "header": "X-Auth-User"}})).test_client()
    response = client.get("/postmortems/new", headers=[("X-Auth-User", v) for v in values])
    assert response.status_code == 403 and "mallory" not in response.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json"])
def test_a_wrong_method_on_an_operations_endpoint_answers_json_as_probes_expect(client, path):
    response = client.post(path)
    assert response.status_code == 405 and response.headers["Allow"]
    assert response.json == {"error": "The method is not allowed for the requested URL."}


def test_a_client_that_asks_for_json_gets_its_errors_as_json_anywhere(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.json["error"]
    assert client.get("/no/such/page").mimetype == "text/html"  # a browser still gets the page
