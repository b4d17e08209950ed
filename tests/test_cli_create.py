"""`wikibot new` and `wikibot install-button` against the sandbox."""

from __future__ import annotations

import html

from click.testing import CliRunner

from tests.conftest import write_config_file
from tests.test_sync import page_titled, space_id
from wikibot.cli import cli


def write(tmp_path, config) -> str:
    return write_config_file(config, tmp_path, "cli.yaml")


def test_new_prints_the_page_url_then_reports_an_existing_page(tmp_path, config, sandbox):
    path = write(tmp_path, config)
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", path, "new", "--incident-id", "INC-3", "--title", "Disk full"])
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().startswith(sandbox.wiki_url + "/spaces/INC/pages/")
    second = runner.invoke(cli, ["--config", path, "new", "--incident-id", "INC-3", "--title", "Disk full"])
    assert second.stdout == first.stdout
    assert "already existed" in second.stderr


def test_new_with_bad_input_is_one_line_exit_2(tmp_path, config):
    result = CliRunner().invoke(cli, ["--config", write(tmp_path, config),
                                      "new", "--incident-id", "bad id", "--title", "x"])
    assert result.exit_code == 2
    assert result.stderr.startswith("wikibot: invalid input: incident_id:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_new_with_an_id_colliding_with_another_incident_is_one_line_exit_2(tmp_path, config, sandbox):
    path = write(tmp_path, config)
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", path, "new", "--incident-id", "INC-3", "--title", "Disk full"])
    assert first.exit_code == 0
    result = runner.invoke(cli, ["--config", path, "new", "--incident-id", "inc_3", "--title", "Disk full",
                                 "--summary", "a\x00b"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("wikibot: incident id 'inc_3' collides with incident 'INC-3'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_install_button_creates_the_index_once_and_then_leaves_it(tmp_path, config, confluence):
    path = write(tmp_path, config)
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", path, "install-button"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("created: ")
    second = runner.invoke(cli, ["--config", path, "install-button"])
    assert second.stdout.startswith("unchanged: ")
    found = confluence.get("api/v2/pages", params={"space-id": space_id(confluence), "title": "Post-mortem index",
                                                   "body-format": "storage"})["results"]
    assert len(found) == 1
    body = found[0]["body"]["storage"]["value"]
    assert "/postmortems/new" in body
    assert 'ac:name="children"' in body and 'ac:name="jira"' in body
    assert 'labels = "post-mortem" AND statusCategory != Done' in html.unescape(body)


def test_install_button_updates_the_index_when_the_form_url_changes(tmp_path, make_config, confluence):
    runner = CliRunner()
    runner.invoke(cli, ["--config", write(tmp_path, make_config()), "install-button"])
    moved = make_config(server={"public_url": "https://wikibot.example.com"})
    result = runner.invoke(cli, ["--config", write(tmp_path, moved), "install-button"])
    assert result.stdout.startswith("updated: ")
    body = page_titled(confluence, "Post-mortem index")
    assert "https://wikibot.example.com/postmortems/new" in body["body"]["storage"]["value"]


def test_new_under_a_parent_page_title_that_does_not_exist_is_a_configuration_error(tmp_path, make_config, sandbox):
    path = write(tmp_path, make_config(confluence={"parent_page": "Nope"}))
    result = CliRunner().invoke(cli, ["--config", path, "new", "--incident-id", "INC-5", "--title", "x"])
    assert result.exit_code == 2, result.output
    assert result.stderr == "wikibot: Confluence: no page titled 'Nope' in space INC (confluence.parent_page)\n"


def test_a_parent_page_id_that_does_not_exist_is_named_not_an_empty_sync_or_a_bare_http_error(tmp_path, make_config,
                                                                                             sandbox):
    path = write(tmp_path, make_config(confluence={"parent_page": "424242"}))
    new = CliRunner().invoke(cli, ["--config", path, "new", "--incident-id", "INC-5", "--title", "x"])
    assert new.exit_code == 2, new.output
    assert new.stderr == "wikibot: Confluence: no page with id 424242 (confluence.parent_page)\n"
    sync = CliRunner().invoke(cli, ["--config", path, "sync"])  # was "0 post-mortem page(s)", exit 0
    assert sync.exit_code != 0 and "no page with id 424242 (confluence.parent_page)" in sync.output
