"""The Jira gateway: searches follow every page, lag is worked around by id or key, errors keep their cause."""

from __future__ import annotations

import pytest
import requests

from tests.search_index import time_passes
from wikibot.atlassian.jira import JiraGateway
from wikibot.errors import ServiceError


@pytest.fixture
def gateway(services) -> JiraGateway:
    return services.jira


def file(gateway: JiraGateway, *summaries: str, assignee: str | None = None) -> list:
    fields = [{"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": s,
               **({"assignee": {"accountId": assignee}} if assignee else {})} for s in summaries]
    return gateway.create_batch(fields)


def test_a_search_follows_next_page_token_to_the_last_page(gateway, sandbox):
    file(gateway, *(f"Item {n}" for n in range(5)))
    sandbox.catch_up()
    sandbox.reset_stats()
    found = list(gateway.search("project = OPS order by key asc", ("summary",), limit=2))
    assert [issue["fields"]["summary"] for issue in found] == [f"Item {n}" for n in range(5)]
    assert sandbox.stats()["by_route"] == {"GET /rest/api/3/search/jql": 3}


def test_issues_by_key_drops_keys_that_do_not_exist(gateway):
    [a, b] = [created.key for created in file(gateway, "A", "B")]
    time_passes()
    found = gateway.issues_by_key([a, "OPS-999", b], ("status",))
    assert sorted(issue["key"] for issue in found) == sorted([a, b])


def test_a_bulk_create_fails_only_the_bad_element(gateway):
    fields = [{"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Fine"},
              {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "Unassignable",
               "assignee": {"accountId": "557058:nobody"}}]
    fine, bad = gateway.create_batch(fields)
    assert fine.key and fine.id and fine.error is None
    assert bad.key is None and "assignee" in (bad.error or "")


def test_a_lagging_search_misses_a_new_issue_but_reconcile_and_a_read_by_key_see_it(gateway, sandbox):
    sandbox.fault(index_lag_ms=3000)
    [created] = file(gateway, "Just filed")
    assert list(gateway.search("project = OPS", ("summary",))) == []
    [found] = gateway.search("project = OPS", ("summary",), reconcile=[created.id])
    assert found["key"] == created.key
    assert gateway.issue(created.key, ("summary",))["fields"]["summary"] == "Just filed"
    assert gateway.issue("OPS-999", ("summary",)) is None


def test_a_refused_call_is_one_service_error_chained_to_the_librarys(gateway, sandbox):
    sandbox.fault(status=403, count=1, path_prefix="/rest/api/2/project")
    with pytest.raises(ServiceError) as info:
        gateway.project("OPS")
    assert info.value.status == 403 and isinstance(info.value.__cause__, requests.HTTPError)
