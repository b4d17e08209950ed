"""The dashboard: post-mortems from the latest audit, sortable and filterable; trends; outstanding actions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from wikibot.audit import run_audit
from wikibot.dashboard_rows import (
    ActionRow,
    Row,
    actions_over_time,
    carry_first_seen,
    debriefs_by_month,
    findings_by_day,
    open_actions_by_age,
    select_rows,
)


def row(**fields) -> Row:
    base = dict(page_id="1", title="PM", url="u", incident=None, severity=None, lead=None, status="Draft",
                created="2026-11-01", modified="2026-11-01", age_days=1, filled=0, required=9, debrief_due=None,
                debrief_overdue=False, actions_open=0, actions_done=0, actions_overdue=0, findings=0)
    return Row(**{**base, **fields})


def test_rows_sort_by_any_column_with_missing_values_last():
    rows = [row(page_id="a", title="B", age_days=3), row(page_id="b", title="A", age_days=None),
            row(page_id="c", title="C", age_days=9)]
    assert [r.page_id for r in select_rows(rows, sort="age_days", descending=True)] == ["c", "a", "b"]
    assert [r.page_id for r in select_rows(rows, sort="title")] == ["b", "a", "c"]
    assert [r.page_id for r in select_rows(rows, sort="nonsense")] == ["a", "c", "b"]


def test_rows_filter_by_status_and_text():
    rows = [row(page_id="a", status="Draft", title="Checkout"), row(page_id="b", status="Published", lead="Ana")]
    assert [r.page_id for r in select_rows(rows, status="published")] == ["b"]
    assert [r.page_id for r in select_rows(rows, query="checkout")] == ["a"]
    assert [r.page_id for r in select_rows(rows, query="ana")] == ["b"]


def test_debriefs_per_month_count_within_and_past_the_target_by_the_month_of_the_debrief():
    rows = [row(page_id="a", incident_date="2026-11-01", debrief_held="2026-11-05"),
            row(page_id="b", incident_date="2026-10-01", debrief_held="2026-11-20"),
            row(page_id="c", incident_date="2026-11-01")]
    labels, within, late = debriefs_by_month(rows, 7, date(2026, 11, 27), 3)
    assert labels == ["Sep", "Oct", "Nov"]
    assert (within, late) == ([0, 0, 1], [0, 0, 1])


def test_a_declined_action_is_not_past_due_on_its_row_nor_in_the_age_chart():
    from tests.test_audit_checks import ALL_FILLED, CATALOGUE, facts_of, meta, postmortem_body
    from wikibot.audit.checks import audit_page
    from wikibot.audit.rules import Evidence, JiraState, Rules
    from wikibot.dashboard_rows import rows_from_snapshot, snapshot_rows

    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    items = [{"summary": "Replace the queue", "owner": "557058:bb22", "due": "2026-11-01", "key": "OPS-8"},
             {"summary": "Alert on depth", "owner": "557058:bb22", "due": "2026-11-01", "key": "OPS-9"}]
    jira = {"OPS-8": JiraState("OPS-8", "In Progress", False, "2026-11-01", not_doing=True),
            "OPS-9": JiraState("OPS-9", "To Do", False, "2026-11-01")}
    facts = facts_of(postmortem_body(filled=ALL_FILLED, items=items))
    page = audit_page(meta(), facts, CATALOGUE, Rules(), Evidence(now=now, jira=jira))
    assert [f.kind for f in page.findings] == ["overdue_action"]
    [snap] = snapshot_rows([page], {page.page_id: facts}, now, jira, UTC)
    snap["actions"] = [{**a, "first_seen": "2026-11-01"} for a in snap["actions"]]
    [dashboard_row] = rows_from_snapshot([snap])
    assert (dashboard_row.actions_open, dashboard_row.actions_overdue) == (2, 1)
    _, series = open_actions_by_age([dashboard_row], now.date())
    assert sum(series["past due"]) == 1


def test_actions_over_time_counts_open_and_closed_at_each_week_end_with_one_label_per_week():
    issues = [(date(2026, 11, 1), None), (date(2026, 11, 2), date(2026, 11, 10)), (date(2026, 11, 25), None)]
    labels, open_counts, closed = actions_over_time(issues, date(2026, 11, 27), weeks=3)
    assert labels == ["13 Nov", "20 Nov", "27 Nov"]
    assert open_counts == [1, 1, 2] and closed == [1, 1, 1]


class Run:
    def __init__(self, day: int, by_kind: dict, hour: int = 2) -> None:
        self.started_at, self.by_kind = datetime(2026, 11, day, hour, tzinfo=UTC), by_kind


def test_findings_per_day_take_the_last_audit_of_each_day_so_the_axis_never_repeats_a_day():
    runs = [Run(1, {"stale": 5}, hour=2), Run(1, {"stale": 2, "blame_language": 1}, hour=9), Run(2, {"stale": 1})]
    labels, series = findings_by_day(runs)
    assert labels == ["1 Nov", "2 Nov"]
    assert series == {"stale": [2, 1], "blame_language": [1, 0]}


def test_findings_per_day_fold_the_rare_kinds_into_other():
    runs = [Run(1, {"stale": 5, "missing_due": 3, "blame_language": 1, "timeline_order": 1})]
    labels, series = findings_by_day(runs, kinds_limit=2)
    assert labels == ["1 Nov"] and series == {"stale": [5], "missing_due": [3], "other": [2]}


def test_findings_per_day_are_days_in_the_audit_time_zone():
    from zoneinfo import ZoneInfo

    labels, _ = findings_by_day([Run(1, {"stale": 1}, hour=23)], zone=ZoneInfo("Asia/Tokyo"))
    assert labels == ["2 Nov"]


def test_open_actions_by_age_split_past_due_not_yet_due_and_undated():
    actions = (ActionRow("a", "2026-11-20", False, "2026-11-25"), ActionRow("b", "2026-12-20", False, "2026-10-01"),
               ActionRow("c", None, False, "2026-06-01"), ActionRow("d", "2026-11-01", True, "2026-11-01"))
    labels, series = open_actions_by_age([row(actions=actions)], date(2026, 11, 27))
    assert labels == ["under\n1 week", "1–4\nweeks", "1–3\nmonths", "over 3\nmonths"]
    assert series == {"past due": [1, 0, 0, 0], "not yet due": [0, 0, 1, 0], "no due date": [0, 0, 0, 1]}


def test_actions_keep_the_day_they_were_first_seen_from_snapshot_to_snapshot():
    first = carry_first_seen([{"page_id": "1", "created": "2026-10-01", "actions": [{"identity": "x"}]}], [],
                             date(2026, 11, 1))
    assert first[0]["actions"][0]["first_seen"] == "2026-10-01"  # there at the page's first audit
    later = carry_first_seen([{"page_id": "1", "created": "2026-10-01",
                               "actions": [{"identity": "x"}, {"identity": "y"}]}], first, date(2026, 11, 5))
    assert [a["first_seen"] for a in later[0]["actions"]] == ["2026-10-01", "2026-11-05"]


# Every dashboard test over the example pages runs on Cloud and on Data Center.
pytestmark = pytest.mark.both_profiles


@pytest.fixture
def audited(examples_config):
    from wikibot.services import Services

    services = Services(examples_config)
    run_audit(services)
    yield services
    services.close()


@pytest.fixture
def examples_client(audited):
    from wikibot.web import create_app

    return create_app(audited.config, audited).test_client()


def postmortem_table(html: str) -> str:
    return html.split('id="postmortems"')[1].split("</table>")[0]


def titles_in(html: str) -> list[str]:
    return re.findall(r'<td class="title"><a href="http[^"]+"[^>]*>([^<]+)</a></td>', postmortem_table(html))


def test_the_dashboard_lists_every_post_mortem_with_its_facts(examples_client):
    html = examples_client.get("/").text
    assert len(titles_in(html)) == 6
    assert "PM-2026-10-14 Checkout API 502s after PgBouncer pool change" in html
    assert "INC-101" in html and "SEV-2" in html and "Ana Lima" in html and "Published" in html
    assert 'class="bar"' in html and "<svg" in html


def test_the_dashboard_sorts_and_filters_through_links(examples_client):
    html = examples_client.get("/?status=Draft&sort=title&dir=asc").text
    titles = titles_in(html)
    assert titles == sorted(titles) and len(titles) == 2
    assert 'aria-sort="ascending"' in html


def test_the_dashboard_lists_outstanding_actions_overdue_first(examples_client):
    html = examples_client.get("/").text
    section = html.split('id="actions"')[1]
    keys = re.findall(r'>(OPS-\d+)</a>', section)
    assert keys and "OPS-12" not in keys  # done in Jira
    assert section.index('class="overdue"') < section.index("</tbody>")


def test_run_buttons_need_the_csrf_token_and_start_the_job(examples_client, audited):
    assert examples_client.post("/run/audit").status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', examples_client.get("/").text).group(1)
    response = examples_client.post("/run/sync", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/?started=sync")


def test_before_any_audit_the_dashboard_says_how_to_get_data(client):
    html = client.get("/").text
    assert "No audit has run yet" in html and "No post-mortems match." in html


# -- the headline figures, everywhere they are shown ---------------------------------------------------
FIGURE_KEYS = ["debriefed_within_target", "median_days_to_debrief", "actions_past_due",
               "median_open_action_age_days", "postmortems_shared"]


def test_the_dashboard_shows_the_headline_figures_with_their_definitions(examples_client):
    html = examples_client.get("/").text
    for key in FIGURE_KEYS:
        assert f'id="figure-{key}"' in html
    assert html.index('id="figure-debriefed_within_target"') < html.index('class="chart-card"')
    assert "Of this quarter&#39;s post-mortems whose debrief is due" in html


def test_the_dashboard_draws_four_titled_charts_with_human_labels(examples_client):
    html = examples_client.get("/").text
    assert re.findall(r'<figure class="chart-card" id="chart-([\w-]+)"><h3', html) == [
        "debriefs", "findings", "action-age", "actions"]
    findings_chart = html.split('id="chart-findings"')[1].split("</figure>")[0]
    assert "Missing due date" in html and "missing_due" not in findings_chart


def test_metrics_export_the_headline_figures_from_the_database(examples_client):
    text = examples_client.get("/metrics").text
    assert re.search(r"^wikibot_postmortem_actions_past_due \d+(\.\d+)?$", text, re.M)
    assert re.search(r"^wikibot_postmortems_debriefed_within_target_ratio [\d.]+$", text, re.M)
    assert re.search(r"^wikibot_postmortem_open_action_median_age_days [\d.]+$", text, re.M)
    assert "wikibot_postmortems_shared 0.0" in text


def test_audit_json_includes_the_headline_figures(examples_config, tmp_path):
    import json

    from click.testing import CliRunner

    from tests.conftest import write_config_file
    from wikibot.cli import cli

    result = CliRunner().invoke(cli, ["--config", write_config_file(examples_config, tmp_path), "audit",
                                      "--format", "json"])
    data = json.loads(result.stdout)
    assert [f["key"] for f in data["figures"]] == FIGURE_KEYS
    past_due = next(f for f in data["figures"] if f["key"] == "actions_past_due")
    assert past_due["value"] >= 1 and past_due["definition"].startswith("Open action items")
    debriefed = next(p for p in data["pages"] if "EU search" in p["title"])
    assert debriefed["debrief"]["from"] == "page"  # the example page records its "Debrief held" date


def test_a_metrics_scrape_survives_the_figures_failing_to_load():
    from wikibot.metrics import Metrics

    def broken():
        raise RuntimeError("database gone")

    metrics = Metrics()
    metrics.export_figures(broken)
    text = metrics.render().decode()
    assert "wikibot_http_requests_total" in text and "wikibot_postmortem_actions_past_due" not in text


HOSTILE_TITLES = ('<script>alert("x")</script> & \'quotes\'', "🔥 Checkout 502s", "תקלה בתשלומים!")


def test_page_titles_are_escaped_and_keep_their_own_direction(services, sandbox, confluence, app):
    from tests.test_audit import create_page
    from tests.test_audit_checks import postmortem_body

    for title in HOSTILE_TITLES:
        create_page(sandbox, confluence, title, postmortem_body(), created=sandbox.store.now())
    run_audit(services)
    html = app.test_client().get("/").text
    assert "<script>alert" not in html
    assert sorted(titles_in(html)) == sorted([
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quotes&#39;", "🔥 Checkout 502s", "תקלה בתשלומים!"])
    # A right-to-left title in a left-to-right table keeps its "!" where its reader expects it.
    assert len(re.findall(r'<td class="title"><a href="[^"]+" dir="auto">', postmortem_table(html))) == 3
