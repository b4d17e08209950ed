"""Schema migrations: they build exactly the tables the code declares, both ways, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from tests.conftest import DATABASES, url_for
from wikibot.cli import cli
from wikibot.status import ExitStatus
from wikibot.store import Database, migrate
from wikibot.store.schema import metadata


@pytest.fixture(params=DATABASES)
def database(request, tmp_path):
    db = Database(url_for(request.param, tmp_path))
    yield db
    db.dispose()


def test_migrations_create_exactly_the_declared_schema(database):
    database.create_schema()
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert migrate.current(database.engine) == migrate.head()


def test_migrating_twice_is_harmless_and_downgrade_empties_the_database(database):
    database.create_schema()
    database.create_schema()
    with database.engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "base")
    with database.engine.connect() as conn:
        tables = set(conn.dialect.get_table_names(conn)) - {"alembic_version"}
    assert tables == set()


def test_a_corrupt_sqlite_file_is_refused_with_a_clear_message(tmp_path):
    from wikibot.errors import DatabaseError

    path = tmp_path / "wikibot.db"
    path.write_bytes(b"this is not a database" * 100)
    broken = Database(f"sqlite:///{path}")
    expected = "^database.url: cannot open or migrate the database: file is not a database"
    with pytest.raises(DatabaseError, match=expected):
        broken.create_schema()
    broken.dispose()


def test_db_check_reports_a_healthy_database_and_a_broken_one(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(f"confluence: {{space: I, parent_page: P}}\njira: {{project: O}}\n"
                    f"database: {{url: 'sqlite:///{tmp_path}/good.db'}}\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(good), "db", "upgrade"]).exit_code == 0
    healthy = runner.invoke(cli, ["--config", str(good), "db", "check"])
    assert healthy.exit_code == 0 and "ok: database is healthy" in healthy.stdout
    (tmp_path / "bad.db").write_bytes(b"garbage" * 500)
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("good.db", "bad.db"))
    broken = runner.invoke(cli, ["--config", str(bad), "db", "check"])
    assert broken.exit_code == ExitStatus.DATABASE and "problem: cannot read the database" in broken.stderr


def db_check(tmp_path, url: str):
    config = tmp_path / "db.yaml"
    config.write_text(f"confluence: {{space: I, parent_page: P}}\njira: {{project: O}}\ndatabase: {{url: '{url}'}}\n")
    return CliRunner().invoke(cli, ["--config", str(config), "db", "check"])


def test_db_check_on_a_database_wikibot_has_not_started_on_yet_is_no_emergency(tmp_path):
    # A new user's first `db check`: nothing is damaged, so no "restore the latest backup".
    result = db_check(tmp_path, f"sqlite:///{tmp_path}/fresh.db")
    assert result.exit_code == 0, result.output
    assert "note: the database has no schema yet: wikibot creates it at its first start" in result.stdout
    assert "restore" not in result.output


def test_db_check_on_an_older_revision_says_it_migrates_itself(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    database = Database(url)
    with database.engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0007")
    database.dispose()
    result = db_check(tmp_path, url)
    assert result.exit_code == 0, result.output
    assert f"note: schema is at revision 0007, wikibot {migrate.head()} migrates it at its next start" in result.stdout


def database_at_an_unknown_revision(url: str) -> Database:
    """A database a newer wikibot wrote: its schema at revision 0099, which this one does not know."""
    database = Database(url)
    database.create_schema()
    with database.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    return database


def test_db_check_on_a_revision_this_wikibot_does_not_know_is_a_problem(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    database_at_an_unknown_revision(url).dispose()
    result = db_check(tmp_path, url)
    assert result.exit_code == ExitStatus.DATABASE
    assert "problem: schema is at revision 0099, which this wikibot does not know" in result.stderr


def test_a_database_at_a_revision_this_wikibot_does_not_know_is_refused_in_one_line_not_alembics_traceback(tmp_path):
    from wikibot.errors import DatabaseError

    url = f"sqlite:///{tmp_path}/newer.db"
    database = database_at_an_unknown_revision(url)
    with pytest.raises(DatabaseError, match=r"^database.url: cannot open or migrate the database: the schema is at "
                                            r"revision 0099, which this wikibot does not know"):
        database.create_schema()
    database.dispose()
    assert db_check(tmp_path, url).exit_code == ExitStatus.DATABASE  # (writes db.yaml for the command below)
    upgrade = CliRunner().invoke(cli, ["--config", str(tmp_path / "db.yaml"), "db", "upgrade"])
    assert upgrade.exit_code == ExitStatus.DATABASE, upgrade.output
    assert len(upgrade.stderr.strip().splitlines()) == 1

def test_db_check_on_a_server_that_does_not_answer_does_not_advise_restoring_a_backup(tmp_path):
    result = db_check(tmp_path, "postgresql+psycopg://wikibot:x@127.0.0.1:9/wikibot")
    assert result.exit_code == ExitStatus.DATABASE
    assert "problem: cannot connect to the database: " in result.stderr
    assert "restore" not in result.output and "is the database server running?" in result.stderr


def test_wikibot_refuses_to_work_on_a_corrupt_database(tmp_path):
    import subprocess
    import sys

    (tmp_path / "w.db").write_bytes(b"garbage" * 500)
    (tmp_path / "config.yaml").write_text(f"confluence: {{space: I, parent_page: P}}\njira: {{project: O}}\n"
                                          f"database: {{url: 'sqlite:///{tmp_path}/w.db'}}\nsandbox: {{port: 1}}\n")
    result = subprocess.run([sys.executable, "-m", "wikibot", "new", "--incident-id", "I-1", "--title", "t"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == ExitStatus.DATABASE
    assert result.stderr.startswith("wikibot: database.url: cannot open or migrate the database")


def test_0005_labels_existing_claims_and_drops_those_that_were_given_another_incidents_page(tmp_path):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from wikibot.store import incidents

    db = Database(f"sqlite:///{tmp_path}/old.db")
    with db.engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0004")
        start = datetime(2026, 11, 1, tzinfo=UTC)
        for minute, (incident_id, page_id) in enumerate([("INC-1", "10"), ("INC_1", "10"), ("inc.2", "20"),
                                                         ("INC-2", "21"), ("OPS-3", None)]):
            conn.exec_driver_sql(
                "INSERT INTO incidents (incident_id, state, claim_token, claimed_at, page_id) VALUES (?, ?, ?, ?, ?)",
                (incident_id, "created" if page_id else "creating", f"t{minute}", start + timedelta(minutes=minute),
                 page_id))
    db.create_schema()
    with db.engine.connect() as conn:
        rows = dict(conn.execute(select(incidents.c.incident_id, incidents.c.label)).all())
    db.dispose()
    assert rows == {"INC-1": "incident-inc-1", "inc.2": "incident-inc-2", "INC-2": None, "OPS-3": "incident-ops-3"}


def damaged_in_the_middle(tmp_path) -> str:
    """A healthy SQLite file of ~600 KiB with 16 KiB of garbage written over its middle."""
    import random

    from sqlalchemy import insert

    from wikibot.store import settings

    path = tmp_path / "w.db"
    db = Database(f"sqlite:///{path}")
    db.create_schema()
    with db.engine.begin() as conn:
        conn.execute(insert(settings), [{"key": f"k{i}", "value": "v" * 1000} for i in range(400)])
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    data = bytearray(path.read_bytes())
    middle = len(data) // 2 // 4096 * 4096
    data[middle:middle + 16384] = random.Random(1).randbytes(16384)
    path.write_bytes(bytes(data))
    return str(path)


def test_a_database_damaged_in_the_middle_is_refused_at_start(tmp_path):
    from wikibot.errors import DatabaseError

    broken = Database(f"sqlite:///{damaged_in_the_middle(tmp_path)}")
    with pytest.raises(DatabaseError, match=r"^database.url: cannot open or migrate the database: .*wikibot db check"):
        broken.create_schema()
    assert broken.check().problems  # and `db check` (integrity_check) says so
    broken.dispose()


@pytest.mark.parametrize("command", [["new", "--incident-id", "I-1", "--title", "t"], ["sync"]])
def test_commands_refuse_a_database_damaged_in_the_middle_with_one_line(tmp_path, command):
    import subprocess
    import sys

    path = damaged_in_the_middle(tmp_path)
    (tmp_path / "config.yaml").write_text(f"confluence: {{space: I, parent_page: P}}\njira: {{project: O}}\n"
                                          f"database: {{url: 'sqlite:///{path}'}}\nsandbox: {{port: 1}}\n")
    result = subprocess.run([sys.executable, "-m", "wikibot", *command], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == ExitStatus.DATABASE
    assert result.stderr.startswith("wikibot: database.url: cannot open or migrate the database")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
