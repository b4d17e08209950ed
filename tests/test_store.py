"""wikibot's database: incident claims, leases and job runs hold across threads and replicas."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import DATABASES, url_for
from wikibot.errors import ConfigError
from wikibot.store import Database


@pytest.fixture(params=DATABASES)
def db(request, tmp_path):
    """Each test here runs against SQLite and, when available, PostgreSQL."""
    database = Database(url_for(request.param, tmp_path))
    database.create_schema()
    yield database
    database.dispose()


def test_the_sqlite_file_and_its_folder_are_created(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/state/wikibot.db")
    database.create_schema()
    assert (tmp_path / "state" / "wikibot.db").exists()


def test_an_unusable_database_url_is_a_config_error():
    with pytest.raises(ConfigError, match="database.url"):
        Database("not a url at all")


def test_exactly_one_of_many_concurrent_claimants_owns_an_incident(db):
    claims = []
    threads = [threading.Thread(target=lambda: claims.append(db.claim_incident("INC-1"))) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(claim.owner for claim in claims) == 1


def test_a_finished_incident_is_returned_to_later_claimants(db):
    claim = db.claim_incident("INC-1")
    db.finish_incident("INC-1", claim.token, "42", "http://wiki/42", "Title")
    again = db.claim_incident("INC-1")
    assert not again.owner and again.record.page_id == "42"


def test_a_released_claim_can_be_taken_again(db):
    claim = db.claim_incident("INC-1")
    db.release_incident("INC-1", claim.token)
    assert db.claim_incident("INC-1").owner


def test_a_stale_claim_is_taken_over_by_exactly_one_rescuer(db):
    from sqlalchemy import update

    from wikibot.store import incidents

    db.claim_incident("INC-1")
    with db.engine.begin() as conn:  # the claimant died ten minutes ago
        conn.execute(update(incidents).values(claimed_at=datetime.now(UTC) - timedelta(minutes=10)))
    rescuers = [db.claim_incident("INC-1") for _ in range(3)]
    assert [r.owner for r in rescuers] == [True, False, False]


def test_the_session_secret_is_created_once_and_shared(db):
    other = Database(db.url)
    try:
        assert db.secret_key() == other.secret_key()
    finally:
        other.dispose()
    assert len(db.secret_key()) >= 32


def test_a_lease_has_one_holder_until_released_or_expired(db):
    owner = db.leases.acquire("job", timedelta(minutes=5))
    assert owner and db.leases.acquire("job", timedelta(minutes=5)) is None
    db.leases.release("job", owner)
    expired = db.leases.acquire("job", timedelta(seconds=-1))
    assert expired and db.leases.acquire("job", timedelta(minutes=5)) not in (None, expired)


def _holder_of_a_process_that_exited() -> str:
    import subprocess
    import sys

    code = "from wikibot.store.holders import this_process; print(this_process())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_a_lease_whose_holder_process_is_gone_is_taken_over_at_once(db):
    from sqlalchemy import update

    from wikibot.store.locks import leases

    dead = db.leases.acquire("sync-page:1", timedelta(minutes=10))
    with db.engine.begin() as conn:
        conn.execute(update(leases).where(leases.c.name == "sync-page:1")
                     .values(holder=_holder_of_a_process_that_exited()))
    taker = db.leases.acquire("sync-page:1", timedelta(minutes=10))
    assert taker not in (None, dead)
    assert db.leases.acquire("sync-page:1", timedelta(minutes=10)) is None  # the new holder (us) is alive
    assert not db.leases.renew("sync-page:1", dead, timedelta(minutes=1))


def test_a_lease_can_be_renewed_only_by_its_holder(db):
    owner = db.leases.acquire("job", timedelta(minutes=5))
    assert db.leases.renew("job", owner, timedelta(minutes=5))
    assert not db.leases.renew("job", "someone-else", timedelta(minutes=5))


SLOT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_a_job_slot_is_claimed_once(db):
    assert db.job_runs.claim("audit", SLOT, "a", timedelta(minutes=5))
    assert not db.job_runs.claim("audit", SLOT, "b", timedelta(minutes=5))


def test_a_job_slot_whose_runner_died_is_taken_over_after_its_lease(db):
    assert db.job_runs.claim("audit", SLOT, "a", timedelta(seconds=-1))
    assert db.job_runs.claim("audit", SLOT, "b", timedelta(minutes=5))
    assert not db.job_runs.claim("audit", SLOT, "c", timedelta(minutes=5))


def test_finished_runs_are_recorded_with_their_summary(db):
    db.job_runs.claim("audit", SLOT, "a", timedelta(minutes=5))
    db.job_runs.finish("audit", SLOT, "a", summary={"pages": 3})
    [run] = db.job_runs.recent("audit")
    assert (run.status, run.summary, run.slot) == ("ok", {"pages": 3}, SLOT)
    assert db.job_runs.is_done("audit", SLOT)
    assert db.job_runs.last_slot("audit") == SLOT


def test_a_holder_is_gone_only_when_its_process_on_this_host_has_exited():
    import subprocess
    import sys

    from wikibot.store.holders import is_gone, this_process

    host, pid, started = this_process().rsplit(":", 2)
    assert not is_gone(this_process())
    assert not is_gone(f"another-host:{pid}:{started}") and not is_gone(None) and not is_gone("garbage")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    assert is_gone(f"{host}:{child.pid}:{started}")
    assert is_gone(f"{host}:{os.getppid()}:1")  # a live pid, but not the process that held the claim
