"""Fuzz the JSON endpoints from their OpenAPI description: no 5xx, no traceback, every error JSON.

The schema is loaded eagerly from the document the app serves (``SPEC``; the last test proves the
two are the same) rather than lazily from a fixture: schemathesis's lazy loader reaches into a
private attribute of pytest's test items that pytest 9.2 no longer has.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from tests.conftest import WEBHOOK_SECRET
from wikibot.web.openapi import SPEC

schema = schemathesis.openapi.from_dict(SPEC)


@pytest.fixture
def fuzz_url(make_config):
    """The app over real HTTP: schemathesis's own probes (ignored_auth sends one without
    credentials) go through the schema's transport, which only a base URL reaches."""
    from service_sandbox import SandboxServer
    from wikibot.web import create_app

    # Budgets far above what the fuzzer sends: the limits are specified in test_web_hooks, and here a
    # 429 would hide what an endpoint answers (schemathesis wants 401 for a request without credentials).
    app = create_app(make_config(webhook={"rate_limit_per_minute": 100_000, "failed_auth_per_minute": 100_000}))
    with SandboxServer(app) as server:  # a threaded WSGI server; nothing sandbox-specific
        yield server.url


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_json_endpoints_never_fail_and_always_answer_json(case, fuzz_url):
    for headers in ({"X-Wikibot-Token": WEBHOOK_SECRET}, {}):
        # The schema documents the shape; the server's own rules (a date that parses, a known
        # severity, unknown keys ignored) decide acceptance, so only the answers are checked here.
        response = case.call_and_validate(base_url=fuzz_url, headers=headers, excluded_checks=[
            checks.positive_data_acceptance, checks.negative_data_rejection])
        assert response.status_code < 500, response.text
        assert "Traceback" not in response.text
        if response.status_code >= 400 and case.path.startswith("/hooks/"):
            content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"][0]
            assert content_type.startswith("application/json")
            assert "error" in response.json()


def test_the_openapi_document_is_served(client):
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/hooks/postmortem" in spec["paths"]
    assert spec == SPEC  # what the fuzz test reads is what clients get
