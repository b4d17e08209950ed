"""The command line: one-line errors with the right exit status, and check-config against a live sandbox."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests
from click.testing import CliRunner

from wikibot.cli import cli
from wikibot.status import ExitStatus


def run_wikibot(*args: str, cwd: Path | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in a subprocess, as a user would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_")}
    return subprocess.run([sys.executable, "-m", "wikibot", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env)


def write_config(tmp_path: Path, sandbox, token: str | None = None) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"""
confluence:
  url: {sandbox.wiki_url}
  username: {sandbox.user}
  token: {token or sandbox.token}
  space: INC
  parent_page: Post-mortems
jira:
  url: {sandbox.url}
  username: {sandbox.user}
  token: {token or sandbox.token}
  project: OPS
webhook: {{secret: hook-secret-value}}
""")
    return path


def test_bad_config_prints_one_line_naming_the_key_and_exits_2(tmp_path):
    (tmp_path / "config.yaml").write_text("confluence: {space: INC, parent_page: P}\njira: {}\n")
    result = run_wikibot("check-config", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "wikibot: config.yaml: jira.project: field required\n"
    assert "Traceback" not in result.stdout + result.stderr


def test_missing_named_config_file_is_a_one_line_error(tmp_path):
    result = run_wikibot("--config", str(tmp_path / "nope.yaml"), "check-config")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("nope.yaml: config file not found")
    assert len(result.stderr.strip().splitlines()) == 1


def test_check_config_prints_space_parent_project_and_issue_types_without_secrets(tmp_path, sandbox):
    result = CliRunner().invoke(cli, ["--config", str(write_config(tmp_path, sandbox)), "check-config"])
    assert result.exit_code == 0, result.output
    assert "space: INC" in result.output
    assert "parent page: Post-mortems" in result.output
    assert "project: OPS" in result.output
    assert "issue types: " in result.output and "Task" in result.output and "Bug" in result.output
    assert sandbox.token not in result.output
    assert "hook-secret-value" not in result.output


def test_check_config_reports_a_template_file_that_does_not_exist(tmp_path, sandbox):
    path = tmp_path / "config.yaml"
    path.write_text(write_config(tmp_path, sandbox).read_text() + "postmortem: {template: no-such-template.xml}\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "problem: postmortem.template: " in result.output and "no-such-template.xml" in result.output
    assert "ok: configuration works" not in result.output


def test_config_problems_are_printed_one_line_each_without_a_traceback(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("confluence: {space: INC, parent_pag: P}\njira: {projectt: OPS}\n")
    result = run_wikibot("--config", str(config), "check-config")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"wikibot: {config}: confluence.parent_pag: unknown key (did you mean parent_page?)",
        f"wikibot: {config}: jira.projectt: unknown key (did you mean project?)"]


def test_check_config_says_which_deployment_api_and_base_url_it_uses(tmp_path, sandbox):
    result = CliRunner().invoke(cli, ["--config", str(write_config(tmp_path, sandbox)), "check-config"])
    assert result.exit_code == 0, result.output
    assert (f"  mode: cloud; API: REST v2 (v1 only for CQL search and label writes); base URL: {sandbox.wiki_url}"
            in result.output)
    assert f"  mode: cloud; API: REST v2 (issues), v3 enhanced JQL search; base URL: {sandbox.url}" in result.output


def test_check_config_with_a_scoped_token_goes_through_the_gateway(tmp_path, sandbox):
    path = write_config(tmp_path, sandbox)
    text = path.read_text().replace(f"token: {sandbox.token}\n  space", f"token: {sandbox.scoped_token}\n  space")
    path.write_text(text.replace("  space: INC", "  token_type: scoped\n  space: INC"))
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    assert result.exit_code == 0, result.output
    cloud_id = sandbox.store.cloud_id()
    assert (f"mode: cloud, scoped token through the gateway (cloudId {cloud_id}); API: REST v2 (v1 only for CQL "
            f"search and label writes); base URL: {sandbox.url}/ex/confluence/{cloud_id}/wiki") in result.output
    assert "space: INC" in result.output and "parent page: Post-mortems" in result.output


def test_check_config_with_a_wrong_token_reports_401_and_exits_3(tmp_path, sandbox):
    config = write_config(tmp_path, sandbox, token="tok-3f9a")
    result = CliRunner().invoke(cli, ["--config", str(config), "check-config"])
    assert result.exit_code == 3
    assert "rejected the credentials (401)" in result.output
    assert "tok-3f9a" not in result.output


def test_check_config_on_the_sandbox_defaults_says_how_to_start_the_sandbox(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"confluence: {{space: INC, parent_page: P}}\njira: {{project: OPS}}\n"
                      f"sandbox: {{port: {free_port()}}}\n")
    result = run_wikibot("--config", str(config), "check-config")
    assert result.returncode == 3
    # With the file serve would use: an in-memory sandbox forgets what the database remembers.
    assert "start `wikibot serve`, or `wikibot sandbox --examples --port " in result.stderr
    assert "--db var/sandbox.db`" in result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sandbox_command_serves_both_products_until_interrupted():
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_")}
    # Ctrl-C as from a terminal: a pytest-xdist worker ignores SIGINT, and a child would inherit that.
    proc = subprocess.Popen([sys.executable, "-m", "wikibot", "sandbox", "--port", "0", "--examples"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert match, first
        base = match.group(0)
        auth = ("wikibot@example.com", "sandbox-token")
        spaces = requests.get(f"{base}/wiki/api/v2/spaces", params={"keys": "INC"}, auth=auth, timeout=5).json()
        assert [space["key"] for space in spaces["results"]] == ["INC"]
        assert requests.get(f"{base}/wiki/rest/api/space/INC", auth=auth, timeout=5).status_code == 410  # as on Cloud
        assert requests.get(f"{base}/rest/api/2/project/OPS", auth=auth, timeout=5).json()["key"] == "OPS"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err


def test_sandbox_on_a_taken_port_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_wikibot("sandbox", "--port", str(port))
    assert result.returncode == 2
    assert result.stderr.startswith(f"wikibot: cannot listen on 127.0.0.1:{port}")
    assert len(result.stderr.strip().splitlines()) == 1


def check_config_with(tmp_path, sandbox, old: str, new: str):
    path = write_config(tmp_path, sandbox)
    path.write_text(path.read_text().replace(old, new))
    return CliRunner().invoke(cli, ["--config", str(path), "check-config"])


def test_check_config_names_a_jira_project_that_does_not_exist_as_a_usage_problem(tmp_path, sandbox):
    result = check_config_with(tmp_path, sandbox, "project: OPS", "project: NOPE")
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "problem: jira.project: Jira: HTTP 404: No project could be found with key 'NOPE'." in result.output


def test_check_config_names_a_space_that_does_not_exist_as_a_usage_problem(tmp_path, sandbox):
    result = check_config_with(tmp_path, sandbox, "space: INC", "space: NOPE")
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "problem: confluence.space: Confluence: no space with key 'NOPE'" in result.output


def test_check_config_names_a_parent_page_id_that_does_not_exist_as_a_usage_problem(tmp_path, sandbox):
    result = check_config_with(tmp_path, sandbox, "parent_page: Post-mortems", "parent_page: '99999999'")
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "problem: confluence.parent_page: no page with id 99999999" in result.output


def test_check_config_refuses_an_issue_type_the_project_does_not_have(tmp_path, sandbox):
    # Every action item would fail to be filed, hourly, while check-config said "ok".
    result = check_config_with(tmp_path, sandbox, "project: OPS", "project: OPS\n  issue_type: Epicc")
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "problem: jira.issue_type: 'Epicc' is not an issue type of OPS (it has: Task, Bug)" in result.output
    assert "ok: configuration works" not in result.output



def test_a_command_on_the_embedded_sandbox_when_it_is_not_running_says_how_to_reach_it(tmp_path):
    # confluence.url is empty, so "check confluence.url" would send people to the wrong key.
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(f"confluence: {{space: INC, parent_page: P}}\njira: {{project: OPS}}\n"
                      f"sandbox: {{port: {port}}}\ndatabase: {{url: 'sqlite:///{tmp_path / 'w.db'}'}}\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "sync"])
    assert result.exit_code == ExitStatus.SERVICE, result.output
    assert result.stderr == (f"wikibot: Confluence: cannot connect to http://127.0.0.1:{port}/wiki (the embedded "
                             "sandbox, as confluence.url is empty: start `wikibot serve`, or set sandbox.port to the "
                             "port it serves the sandbox on)\n")


def test_check_config_refuses_a_priority_map_naming_a_priority_jira_does_not_have(tmp_path, sandbox):
    # Jira refuses an issue with such a priority, so every action item marked "urgent" would never be filed.
    result = check_config_with(tmp_path, sandbox, "project: OPS",
                               "project: OPS\n  priority_map: {urgent: Blocker, high: High}")
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "priorities: Highest, High, Medium, Low, Lowest" in result.output
    assert ("problem: jira.priority_map: 'urgent' → 'Blocker', which is not a priority OPS's Task issues can have "
            "(they can have: Highest, High, Medium, Low, Lowest)") in result.output


def test_check_config_refuses_priorities_for_a_project_whose_create_screen_has_no_priority(
        tmp_path, sandbox, hide_from_jira_screen):
    hide_from_jira_screen("priority")
    refused = check_config_with(tmp_path, sandbox, "project: OPS", "project: OPS")
    accepted = check_config_with(tmp_path, sandbox, "project: OPS", "project: OPS\n  priority_map: {}")
    assert refused.exit_code == ExitStatus.USAGE, refused.output
    assert ("problem: jira.priority_map: OPS's Task issues have no Priority field on their create screen, so Jira "
            "refuses every priority (sync files the action items without one, the page's priority in the "
            "description)") in refused.output
    assert accepted.exit_code == 0, accepted.output
    assert "priorities: none (no Priority field on the create screen)" in accepted.output


def test_check_config_passes_when_jira_does_not_list_its_create_fields(tmp_path, sandbox):
    # An older Data Center has no paged createmeta: its absence must not fail a working configuration.
    sandbox.fault(status=404, count=None, method="GET", path_prefix="/rest/api/2/issue/createmeta")
    try:
        result = CliRunner().invoke(cli, ["--config", str(write_config(tmp_path, sandbox)), "check-config"])
    finally:
        sandbox.clear_faults()
    assert result.exit_code == 0, result.output
    assert "priorities: not listed (" in result.output


def test_check_config_refuses_a_webhook_secret_short_enough_to_guess(tmp_path, sandbox):
    result = check_config_with(tmp_path, sandbox, "secret: hook-secret-value", "secret: s3cret")
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert "problem: webhook.secret: only 6 characters, which a caller could guess: use at least 16" in result.output
    assert "s3cret" not in result.output


def test_check_config_names_a_required_section_that_no_template_has(tmp_path, sandbox):
    # The audit compares required_sections with the templates' sections: a name they lack is never asked for.
    result = check_config_with(tmp_path, sandbox, "project: OPS",
                               "project: OPS\npostmortem: {required_sections: [Root cause, Bogus Section]}")
    assert result.exit_code == ExitStatus.USAGE, result.output
    problems = [line for line in result.output.splitlines() if line.startswith("problem: ")]
    assert len(problems) == 1 and problems[0].startswith(
        "problem: postmortem.required_sections: 'Bogus Section' is a section of no configured template (they have: ")


def test_check_config_names_a_section_alias_whose_section_wikibot_does_not_know(tmp_path, sandbox):
    result = check_config_with(tmp_path, sandbox, "project: OPS",
                               "project: OPS\npostmortem: {section_aliases: {Post-incident actions: Action itemz}}")
    assert result.exit_code == ExitStatus.USAGE, result.output
    assert ("problem: postmortem.section_aliases: 'Post-incident actions' names 'Action itemz', a section of no "
            "configured template nor one wikibot knows") in result.output
    documented = check_config_with(tmp_path, sandbox, "project: OPS",
                                   "project: OPS\npostmortem: {section_aliases: {Post-incident actions: Action items},"
                                   " required_sections: [Root cause, RCA, Post-incident actions]}")
    assert documented.exit_code == 0, documented.output
