"""Scheduled jobs: the right slots, once per slot across replicas, missed runs caught up at start."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from tests.conftest import DATABASES
from wikibot.config import parse_config
from wikibot.metrics import Metrics
from wikibot.scheduler import JobRunner, JobSpec, Scheduler, job_specs, last_slot
from wikibot.store import Database


class FakeServices:
    """Just what the scheduler touches (``JobServices``): a config, a database and metrics (no HTTP needed)."""

    def __init__(self, db: Database, **sections: dict) -> None:
        self.db = db
        self.metrics = Metrics()
        self.config = parse_config({"confluence": {"space": "INC", "parent_page": "P"}, "jira": {"project": "OPS"},
                                    **sections}, source="test", environ={})


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    database.create_schema()
    yield database
    database.dispose()


NIGHTLY = CronTrigger.from_crontab("0 2 * * *", timezone=ZoneInfo("UTC"))


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2026, 11, 27, 5, 0, tzinfo=UTC), datetime(2026, 11, 27, 2, 0, tzinfo=UTC)),
    (datetime(2026, 11, 27, 1, 59, tzinfo=UTC), datetime(2026, 11, 26, 2, 0, tzinfo=UTC)),
    (datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 27, 2, 0, tzinfo=UTC)),
])
def test_last_slot_is_the_latest_fire_time_not_after_now(now, expected):
    assert last_slot(NIGHTLY, now) == expected


def test_last_slot_respects_the_configured_time_zone():
    berlin = CronTrigger.from_crontab("0 2 * * *", timezone=ZoneInfo("Europe/Berlin"))
    assert last_slot(berlin, datetime(2026, 11, 27, 5, 0, tzinfo=UTC)) == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def test_job_specs_come_from_the_configuration(db):
    services = FakeServices(db, audit={"schedule": "30 3 * * *", "timezone": "Europe/Berlin"})
    specs = {spec.name: spec for spec in job_specs(services.config)}
    assert set(specs) == {"sync", "audit", "remind"}  # the sandbox has a Slack workspace: reminders run
    fire = specs["audit"].trigger.get_next_fire_time(None, datetime(2026, 11, 27, 0, 0, tzinfo=UTC))
    assert fire.astimezone(ZoneInfo("Europe/Berlin")).hour == 3


def test_without_a_slack_app_there_is_no_reminder_job(db):
    services = FakeServices(db, confluence={"url": "https://acme.atlassian.net/wiki", "username": "u", "token": "t",
                                            "space": "INC", "parent_page": "P"},
                            jira={"url": "https://acme.atlassian.net", "username": "u", "token": "t", "project": "OPS"})
    assert {spec.name for spec in job_specs(services.config)} == {"sync", "audit"}


def test_the_schedule_line_names_every_job_that_runs_remind_included_when_there_is_slack(db):
    # `wikibot scheduler` printed sync and audit only, while it ran the reminders too.
    from wikibot.scheduler import describe_schedule

    assert describe_schedule(FakeServices(db).config) == \
        "sync '0 * * * *', audit '0 2 * * *' (UTC), remind '*/30 * * * *' (UTC)"
    site = {"url": "https://acme.atlassian.net", "username": "u", "token": "t"}
    no_slack = FakeServices(db, confluence={**site, "url": site["url"] + "/wiki", "space": "INC", "parent_page": "P"},
                            jira={**site, "project": "OPS"}).config
    assert describe_schedule(no_slack) == "sync '0 * * * *', audit '0 2 * * *' (UTC)"


def counting_job():
    calls: list[int] = []
    lock = threading.Lock()

    def job(_services) -> dict:
        with lock:
            calls.append(1)
        return {"ok": True}

    return job, calls


@pytest.mark.parametrize("database_url", DATABASES, indirect=True)
def test_two_replicas_firing_the_same_slot_run_the_job_once(db):
    job, calls = counting_job()
    spec = JobSpec("audit", NIGHTLY, "unused:unused")
    slot = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    replicas = [JobRunner(FakeServices(db)) for _ in range(2)]
    threads = [threading.Thread(target=r.run_slot, args=(spec, slot, job)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1]
    assert [run.status for run in db.job_runs.recent("audit")] == ["ok"]


def test_a_failing_job_is_recorded_as_an_error_and_does_not_raise(db):
    def broken(_services) -> dict:
        raise RuntimeError("Confluence down")

    services = FakeServices(db)
    runner = JobRunner(services)
    assert runner.run_slot(JobSpec("sync", NIGHTLY, "x:y"), datetime(2026, 11, 27, 2, tzinfo=UTC), broken)
    [run] = db.job_runs.recent("sync")
    assert run.status == "error" and "Confluence down" in run.error
    assert 'wikibot_job_runs_total{job="sync",status="error"} 1.0' in services.metrics.render().decode()


def test_a_slot_missed_while_down_runs_once_at_start(db):
    job, calls = counting_job()
    services = FakeServices(db)
    spec = JobSpec("audit", NIGHTLY, "tests.test_scheduler:unused")
    scheduler = Scheduler(services, specs=[spec])
    scheduler.runner.run_slot(spec, datetime(2026, 11, 25, 2, 0, tzinfo=UTC), job)
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the 26th and 27th were missed
    scheduler.runner.run_slot = lambda s, slot, func=None: JobRunner.run_slot(scheduler.runner, s, slot, job)
    assert scheduler.catch_up(spec, now)
    assert not scheduler.catch_up(spec, now)
    assert len(calls) == 2
    assert db.job_runs.last_slot("audit") == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_the_scheduler_starts_and_stops_cleanly_without_running_anything_early(db):
    services = FakeServices(db)
    yearly = CronTrigger.from_crontab("0 0 1 1 *", timezone=ZoneInfo("UTC"))  # last fired > 40 days ago: no catch-up
    scheduler = Scheduler(services, specs=[JobSpec("audit", yearly, "tests.test_scheduler:unused")])
    before = datetime.now(UTC)
    scheduler.start()
    try:
        assert scheduler.running
        assert scheduler.next_runs() == {"audit": yearly.get_next_fire_time(None, before)}
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running
    assert db.job_runs.recent("audit") == []  # neither the slot nor a catch-up ran early


def test_an_on_demand_run_uses_its_own_slot(db):
    job, calls = counting_job()
    runner = JobRunner(FakeServices(db))
    spec = JobSpec("audit", NIGHTLY, "x:y")
    assert runner.run_now(spec, job) and runner.run_now(spec, job)
    assert len(calls) == 2


def test_cron_validation_errors_name_the_key():
    from wikibot.errors import ConfigError

    with pytest.raises(ConfigError, match="sync.schedule: not a cron expression"):
        parse_config({"confluence": {"space": "I", "parent_page": "P"}, "jira": {"project": "O"},
                      "sync": {"schedule": "every hour"}}, source="c", environ={})
