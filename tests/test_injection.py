"""Hostile text reaches four destinations, and each gets it escaped for itself.

Storage format (pages wikibot writes), Slack mrkdwn (chat), HTML (the dashboard) and query
languages (CQL/JQL built only from quoted literals). The same payload list is thrown at each.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from lxml import etree, html

from service_sandbox.cql import parse as parse_cql
from service_sandbox.jql import parse as parse_jql
from wikibot.atlassian.confluence import postmortems_cql
from wikibot.button import outstanding_actions_jql
from wikibot.incident import InvalidInput, parse_incident
from wikibot.notify import Notifier
from wikibot.templates import WRAP_OPEN, load_template, sample_context

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</p><ac:structured-macro ac:name=\"html\"><ac:plain-text-body><![CDATA[<script>x</script>]]>"
    "</ac:plain-text-body></ac:structured-macro>",
    "]]><script>x</script><![CDATA[",
    "&lt;b&gt; &amp; &nbsp; &#60;",
    "<!channel> <@U123> <https://evil.example|click here>",
    '" OR project = SECRET OR summary ~ "',
    "\\\" or 1=1 --",
    "javascript:alert(1)",
    "{{ 7*7 }} {% raw %}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_storage_format_gets_every_payload_as_text(payload):
    context = sample_context()
    context["incident"] = {**context["incident"], "title": payload, "id": "INC-1", "summary": payload}
    context["lead"] = {"account_id": None, "name": payload}
    body = load_template("postmortem.xml").render(**context)
    root = etree.fromstring(f"{WRAP_OPEN}{body.replace('&nbsp;', '&#160;')}</root>".encode())
    ns = {"ac": "http://atlassian.com/content"}
    assert not root.xpath("//ac:structured-macro[@ac:name='html']", namespaces=ns)
    assert not root.xpath("//script | //img")
    assert payload in "".join(root.itertext())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_chat_messages_escape_slack_markup(payload):
    sent: list[str] = []
    notifier = Notifier("http://chat.invalid/hook")
    notifier.send = sent.append  # type: ignore[method-assign]
    incident = SimpleNamespace(lead=payload, severity=None)
    result = SimpleNamespace(url="https://wiki.example/p?a=1&b=2", title=payload)
    notifier.page_created(incident, result, datetime(2026, 12, 1, tzinfo=UTC).date())
    [text] = sent
    for control in ("<!channel>", "<@U123>", "<https://evil.example|", "<script>"):
        assert control not in text


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_dashboard_shows_page_text_as_text(payload, app, client, services):
    from wikibot.store.snapshots import DashboardStore

    row = {"page_id": "1", "title": payload, "url": "https://wiki.example/p/1", "incident": payload,
           "severity": payload, "lead": payload, "status": payload, "created": "2026-11-01", "modified": "2026-11-01",
           "age_days": 3,
           "filled": 1, "required": 2, "debrief_due": None, "debrief_overdue": False, "actions_open": 0,
           "actions_done": 0, "actions_overdue": 0, "findings": 0, "finding_kinds": []}
    DashboardStore(services.db.engine).save([row], datetime.now(UTC))
    page = client.get("/").text
    tree = html.fromstring(page)
    assert not tree.xpath("//script | //img")
    assert not [el for el in tree.iter() if any(attr.startswith("on") for attr in el.attrib)]
    assert payload in tree.xpath("string(//table[@id='postmortems'])")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_queries_carry_values_only_as_quoted_literals(payload):
    query = parse_jql(outstanding_actions_jql(payload))
    assert [(c.field, getattr(c.operand, "text", None)) for c in query.where.terms] == [
        ("project", payload), ("labels", "post-mortem"), ("statusCategory", "Done")]
    cql = postmortems_cql(payload, payload, "123")
    assert payload in repr(parse_cql(cql))  # the whole payload stayed one literal…
    assert repr(parse_cql(cql)).count("Clause(") == 4  # …in one of the four clauses


@pytest.mark.parametrize("payload", PAYLOADS)
def test_webhook_text_is_kept_as_text_and_only_an_http_url_becomes_a_link(payload):
    with pytest.raises(InvalidInput) as refused:
        parse_incident({"incident_id": "INC-1", "title": payload, "channel_url": payload})
    assert refused.value.fields == {"channel_url": "must be an http(s) URL"}  # and nothing else: the title is fine
    incident = parse_incident({"incident_id": "INC-1", "title": payload, "channel_url": "https://chat.example.com/c/1"})
    assert incident.title == " ".join(payload.split())
