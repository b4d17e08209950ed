"""End to end on pages written the way people write them (issue #15): nothing recognisable is lost,
nothing unrecognisable is silent, and the audit's blame check is one people can trust."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.conftest import write_config_file
from tests.test_sync import action_page, all_issues, keys_on_page, make_page, mention, row, table
from wikibot.cli import cli

UNKNOWN = "557058:gone"  # an account Jira will not assign


def test_sync_twice_then_audit_every_item_filed_once_and_everything_else_reported(services, sandbox, confluence,
                                                                                   jira, tmp_path):
    tables = action_page(
        table(row("Rotate the signing key", mention(UNKNOWN), "2026-12-20", "", ""),
              row("Alert on certificate expiry", "Eve Martin", "2026-12-18", "", ""),
              row("Write the renewal runbook", "Somebody Else", "2026-12-22", "", "")),
        "<ul><li>Add a canary for the login flow \u2014 Bob Chen <time datetime=\"2026-12-19\" /></li></ul>",
        "<table><tbody><tr><th><p>Metric</p></th><th><p>Value</p></th></tr>"
        "<tr><td><p>Failed logins</p></td><td><p>41 %</p></td></tr></tbody></table>")
    body = tables.replace("<h2>Impact</h2><p>Checkout returned 502s.</p>",
                          "<h2>Impact</h2><p>Logins failed for 47 minutes.</p><h2>Root Cause</h2>"
                          "<p>We forgot to check the expiry date. The careless-mode flag was on. "
                          "Bob didn't renew the certificate.</p>")
    page_id = make_page(services, confluence, body)
    path = write_config_file(services.config, tmp_path)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(cli, ["--config", path, "sync", "--json"])
        assert result.exit_code == 0, result.output
    issues = all_issues(jira)
    assert sorted(i["fields"]["summary"] for i in issues) == [
        "Add a canary for the login flow", "Alert on certificate expiry", "Rotate the signing key",
        "Write the renewal runbook"]
    assert all(keys_on_page(confluence, page_id))
    by_summary = {i["fields"]["summary"]: i["fields"] for i in issues}
    assert by_summary["Alert on certificate expiry"]["assignee"]["displayName"] == "Eve Martin"
    assert by_summary["Add a canary for the login flow"]["assignee"]["displayName"] == "Bob Chen"

    actions = runner.invoke(cli, ["--config", path, "actions"])
    assert "(unassigned: not assignable in Jira: " in actions.output
    assert "Somebody Else (unassigned: not a Jira user: no Jira user is called 'Somebody Else')" in actions.output

    audit = runner.invoke(cli, ["--config", path, "audit", "--format", "json"])
    [page] = json.loads(audit.stdout)["pages"]
    kinds = [f["kind"] for f in page["findings"]]
    assert kinds.count("owner_not_assignable") == 1 and kinds.count("owner_not_a_user") == 1
    assert [f["message"] for f in page["findings"] if f["kind"] == "actions_not_recognised"] and \
        all("Metric" in f["message"] for f in page["findings"] if f["kind"] == "actions_not_recognised")
    blame = [f["message"] for f in page["findings"] if f["kind"] == "blame_language"]
    assert len(blame) == 1 and "Bob didn't renew the certificate." in blame[0]
