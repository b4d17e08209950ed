"""Exit statuses: each code has one name and one meaning, pinned here so cron and CI can rely on them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from tests.conftest import write_config_file
from wikibot.audit.checks import PageAudit
from wikibot.audit.facts import Finding
from wikibot.audit.report import AuditReport
from wikibot.cli import cli
from wikibot.diagnostics import CheckReport
from wikibot.errors import ConfigError, DatabaseError, InputError, NotOnSite, ServiceError, WikibotError
from wikibot.incident import InvalidInput
from wikibot.status import ExitStatus

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_every_code_has_one_name():
    assert {status.name: int(status) for status in ExitStatus} == {
        "OK": 0, "ERROR": 1, "USAGE": 2, "SERVICE": 3, "FINDINGS": 4, "INCOMPLETE": 5, "DATABASE": 6}


def test_the_readme_documents_every_code():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for status in ExitStatus:
        assert f"| {int(status)} | `{status.name}` |" in readme


@pytest.mark.parametrize(("error", "status"), [
    (WikibotError("x"), ExitStatus.ERROR),
    (ConfigError("x"), ExitStatus.USAGE),
    (InputError("x"), ExitStatus.USAGE),
    (InvalidInput({"title": "required"}), ExitStatus.USAGE),
    (ServiceError("x"), ExitStatus.SERVICE),
    (DatabaseError("x"), ExitStatus.DATABASE),
    (NotOnSite("x", status=404), ExitStatus.USAGE),  # a configured name the service does not have
])
def test_each_error_maps_to_its_status(error, status):
    assert error.exit_code is status


def _page(*findings: Finding) -> PageAudit:
    return PageAudit(page_id="1", title="PM", url="http://wiki/1", status="Draft", lead=None, template=None,
                     sections=(), required=(), filled=0, created=None, modified=None, modified_by=None,
                     findings=findings)


def test_an_audit_exits_ok_findings_or_incomplete_and_errors_outrank_findings():
    finding = Finding("empty_section", "Impact", None, None, "Impact is empty")
    assert AuditReport(generated_at=NOW, pages=[_page()]).exit_code is ExitStatus.OK
    assert AuditReport(generated_at=NOW, pages=[_page(finding)]).exit_code is ExitStatus.FINDINGS
    assert AuditReport(generated_at=NOW, pages=[_page(finding)], errors=["Jira: down"]).exit_code \
        is ExitStatus.INCOMPLETE


def test_check_config_is_usage_for_a_wrong_name_and_service_for_a_failing_service():
    assert CheckReport().exit_code is ExitStatus.OK
    wrong_name = CheckReport(problems=["confluence.parent_page: no page titled 'P' in space INC"])
    assert wrong_name.exit_code is ExitStatus.USAGE
    down = CheckReport()
    down.service_problem("jira.project: Jira: cannot connect to http://jira")
    assert down.exit_code is ExitStatus.SERVICE


def test_click_usage_errors_share_the_usage_code():
    result = CliRunner().invoke(cli, ["audit", "--no-such-option"])
    assert result.exit_code == ExitStatus.USAGE


def test_a_bad_config_file_exits_usage(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("confluence: {space: INC, parent_pag: P}\njira: {project: OPS}\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    assert result.exit_code == ExitStatus.USAGE, result.output


def test_an_unreachable_service_exits_service(make_config, tmp_path):
    config = make_config(confluence={"url": "http://127.0.0.1:9/wiki"})
    result = CliRunner().invoke(cli, ["--config", write_config_file(config, tmp_path), "audit"])
    assert result.exit_code == ExitStatus.SERVICE, result.output


def test_a_damaged_database_exits_database_from_db_check_and_from_any_command_that_opens_it(tmp_path):
    (tmp_path / "bad.db").write_bytes(b"garbage" * 500)
    path = tmp_path / "config.yaml"
    path.write_text(f"confluence: {{space: INC, parent_page: P}}\njira: {{project: OPS}}\n"
                    f"database: {{url: 'sqlite:///{tmp_path / 'bad.db'}'}}\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "db", "check"])
    assert result.exit_code == ExitStatus.DATABASE, result.output
    result = CliRunner().invoke(cli, ["--config", str(path), "sync"])
    assert result.exit_code == ExitStatus.DATABASE, result.output
