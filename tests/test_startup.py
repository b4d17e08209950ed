"""CLI start-up: a command imports only what it uses, when it uses it.

Run from cron, ``wikibot sync`` and ``wikibot audit`` pay their imports on every run; Alembic and
Flask alone once cost more than the rest. These tests pin *what* is imported, by running the real
command in a subprocess and reading its ``sys.modules``; how long that takes is measured by
``bench/startup.py``, never here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_config_file
from wikibot.status import ExitStatus
from wikibot.store import Database, migrate

# Runs the real entry point (``python -m wikibot``), then records what it imported.
DRIVER = """
import json, runpy, sys
out, sys.argv = sys.argv[1], ["wikibot", *sys.argv[2:]]
code = 0
try:
    runpy.run_module("wikibot", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code or 0
with open(out, "w") as handle:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, handle)
"""

NEVER_FOR_A_CLI_COMMAND = {"alembic", "mako", "flask", "werkzeug", "waitress"}


def run_and_list_imports(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """Run ``wikibot *args`` in a fresh interpreter; its exit status and the packages it imported."""
    out = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIKIBOT_")}
    result = subprocess.run([sys.executable, "-c", DRIVER, str(out), *args], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env=env)
    assert out.exists(), result.stderr
    found = json.loads(out.read_text())
    return found["exit"], {name.split(".")[0] for name in found["modules"]} | set(found["modules"])


@pytest.fixture
def up_to_date_config(examples_config, tmp_path) -> str:
    """A config file for the example sandbox whose database is already at the head revision."""
    database = Database(examples_config.database.url)
    database.create_schema()
    database.dispose()
    return write_config_file(examples_config, tmp_path)


@pytest.mark.parametrize("command, ran", [
    (["sync"], "wikibot.sync.runner"),
    (["sync", "--dry-run"], "wikibot.sync.runner"),
    (["audit"], "wikibot.audit.runner"),
    (["audit", "--format", "json"], "wikibot.audit.runner"),
])
def test_sync_and_audit_on_an_up_to_date_database_import_neither_alembic_nor_flask(
        tmp_path, up_to_date_config, command, ran):
    status, imported = run_and_list_imports(tmp_path, "--config", up_to_date_config, *command)
    # the examples have findings (audit) and items that cannot be filed as they are (sync)
    assert status in (ExitStatus.OK, ExitStatus.FINDINGS, ExitStatus.INCOMPLETE)
    assert ran in imported and "atlassian" in imported  # the command really ran against the sandbox
    assert imported & NEVER_FOR_A_CLI_COMMAND == set()


def test_db_check_reads_the_revision_without_alembic(tmp_path, up_to_date_config):
    status, imported = run_and_list_imports(tmp_path, "--config", up_to_date_config, "db", "check")
    assert status == 0
    assert "alembic" not in imported


def test_the_first_run_on_an_empty_database_still_migrates_it(tmp_path, examples_config):
    status, imported = run_and_list_imports(tmp_path, "--config", write_config_file(examples_config, tmp_path),
                                            "audit")
    assert status in (ExitStatus.OK, ExitStatus.FINDINGS)
    assert "alembic" in imported
    database = Database(examples_config.database.url)
    assert migrate.current(database.engine) == migrate.head()
    database.dispose()


@pytest.mark.parametrize("command", [["--help"], ["sync", "--help"], ["audit", "--help"], ["--version"]])
def test_help_and_version_import_no_service_library(tmp_path, command):
    status, imported = run_and_list_imports(tmp_path, *command)
    assert status == 0
    assert imported & {"atlassian", "sqlalchemy", "pydantic", "jinja2", "lxml", "requests",
                       *NEVER_FOR_A_CLI_COMMAND} == set()


def test_the_head_revision_read_without_alembic_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert migrate.head() == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def test_a_database_never_migrated_has_no_revision(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/empty.db")
    assert migrate.current(database.engine) is None
    database.dispose()
