"""The outstanding-actions report: open post-mortem issues across all pages, from one JQL search."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from click.testing import CliRunner

from tests.conftest import write_config_file
from tests.search_index import time_passes
from tests.test_sync import ANA, action_page, all_issues, make_page, mention, row, sync, table
from wikibot.cli import cli
from wikibot.store.schema import utcnow
from wikibot.sync.actions import outstanding_actions

TODAY = utcnow().date()  # the CLI's "today"


def when(days: int) -> str:
    return f'<time datetime="{(TODAY + timedelta(days=days)).isoformat()}" />'


def seed(services, confluence, jira) -> dict[str, str]:
    """Two pages, four items: one done, one overdue, one due later, one without a due date."""
    first = make_page(services, confluence, action_page(table(
        row("Add alert", mention(ANA), when(-9), "High", ""),
        row("Fix proxy", "Payments SRE", when(10), "", ""))), title="PM one")
    second = make_page(services, confluence, action_page(table(
        row("Tune pool", "", "", "", ""),
        row("Already done", mention(ANA), when(-30), "", ""))), title="PM two")
    report = sync(services)
    assert report.created == 4
    keys = {i["fields"]["summary"]: i["key"] for i in
            all_issues(jira)}
    jira.set_issue_status(keys["Already done"], "Done")
    time_passes()  # the report runs later: until Jira's index catches up it still finds the issue open
    return {"first": first, "second": second, **keys}


def test_open_actions_come_with_incident_owner_due_date_lateness_and_page_link(services, sandbox, confluence, jira):
    seeded = seed(services, confluence, jira)
    sandbox.reset_stats()
    actions = outstanding_actions(services.jira, services.confluence.url, TODAY)
    assert sandbox.stats()["requests"] == 1
    assert [a.summary for a in actions] == ["Add alert", "Fix proxy", "Tune pool"]
    late = actions[0]
    assert (late.owner, late.incident, late.days_overdue) == ("Ana Lima", "INC-7", 9)
    assert late.due == TODAY - timedelta(days=9)
    assert late.page_url.endswith(f"pageId={seeded['first']}") and late.issue_url.endswith(f"/browse/{late.key}")
    assert (actions[1].owner, actions[1].days_overdue) == ("Payments SRE", 0)
    assert (actions[2].owner, actions[2].due, actions[2].days_overdue) == (None, None, None)


def test_the_cli_lists_json_csv_and_only_overdue(config, services, confluence, jira, tmp_path):
    seed(services, confluence, jira)
    path = write_config_file(config, tmp_path)
    runner = CliRunner()
    as_json = runner.invoke(cli, ["--config", str(path), "actions", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert len(json.loads(as_json.output)) == 3
    as_csv = runner.invoke(cli, ["--config", str(path), "actions", "--csv", "--overdue"])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [r["summary"] for r in rows] == ["Add alert"] and int(rows[0]["days_overdue"]) > 0
    text = runner.invoke(cli, ["--config", str(path), "actions"])
    assert "Add alert" in text.output and "pageId=" in text.output
    both = runner.invoke(cli, ["--config", str(path), "actions", "--json", "--csv"])
    assert both.exit_code == 2 and "not both" in both.output


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_kept_as_text():
    # Summaries and names come from wiki pages anyone may edit; "=HYPERLINK(...)" ran when the CSV was opened.
    from wikibot.sync.actions import Action, to_csv

    action = Action(key="OPS-1", summary='=HYPERLINK("http://evil.example","click")', status="To Do",
                    owner="@admin", due=None, days_overdue=None, incident="+INC-1", page_id="1",
                    page_url="http://wiki/p/1", issue_url="http://jira/browse/OPS-1", unassigned="-1+1")
    [row] = list(csv.DictReader(io.StringIO(to_csv([action]))))
    assert row["summary"] == '\'=HYPERLINK("http://evil.example","click")'
    assert (row["owner"], row["incident"], row["unassigned"]) == ("'@admin", "'+INC-1", "'-1+1")
    assert row["key"] == "OPS-1" and row["page_url"] == "http://wiki/p/1"


def test_days_overdue_are_counted_in_the_audit_time_zone_not_utc(make_config, sandbox, confluence, jira, tmp_path):
    # A manager east or west of UTC: on whichever side today's local date differs from UTC's, an action
    # due yesterday (local) is one day overdue, as the audit and the dashboard count it.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from wikibot.services import Services

    zone = "Pacific/Kiritimati" if utcnow().hour >= 10 else "Pacific/Pago_Pago"  # UTC+14 / UTC-11
    local = datetime.now(ZoneInfo(zone)).date()
    assert local != TODAY
    config = make_config(audit={"timezone": zone})
    services = Services(config)
    try:
        make_page(services, confluence, action_page(table(
            row("Add alert", mention(ANA), f'<time datetime="{(local - timedelta(days=1)).isoformat()}" />', "",
                ""))), title="PM local")
        assert sync(services).created == 1
    finally:
        services.close()
    sandbox.catch_up()  # Monday morning: the search has long caught up with the night's sync
    result = CliRunner().invoke(cli, ["--config", write_config_file(config, tmp_path), "actions", "--json"])
    assert result.exit_code == 0, result.output
    [action] = json.loads(result.output)
    assert action["days_overdue"] == 1
