"""Scheduled jobs (sync, audit) with APScheduler, run once per slot across all replicas.

APScheduler has no inter-process locking, so it only decides *when* to try; whether this
process runs a slot is decided by the database (``store.jobs``): the first replica to claim
``(job, slot)`` runs it, a dead runner's lease expires and another takes over, and a slot
missed while every replica was down is run once at the next start. The scheduler is started
by ``wikibot serve`` or ``wikibot scheduler``, never by ``create_app``.
"""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from wikibot.store.schema import utcnow

if TYPE_CHECKING:
    from wikibot.config import Config
    from wikibot.metrics import Metrics
    from wikibot.store import Database

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
HEARTBEAT_SECONDS = 60.0


class JobServices(Protocol):
    """What the scheduler itself uses of the wiring (``wikibot.services.Services`` in production):
    the configuration, the database that decides who runs a slot, and the metrics. Each job is
    handed the same object and may use more of it."""

    @property
    def config(self) -> Config: ...

    @property
    def db(self) -> Database: ...

    @property
    def metrics(self) -> Metrics: ...


Job = Callable[[Any], dict[str, Any]]
"""A job: called with the services, returns a JSON-able summary (its parameter is the full
``Services`` in production, which a Protocol of what the scheduler uses cannot name)."""


@dataclass(frozen=True)
class JobSpec:
    name: str
    trigger: CronTrigger
    target: str  # "module:function", called with the Services; returns a JSON-able summary


def job_specs(config: Config) -> list[JobSpec]:
    """The jobs wikibot schedules, with their triggers from the configuration."""
    audit_zone = ZoneInfo(config.audit.timezone)
    return [
        JobSpec("sync", CronTrigger.from_crontab(config.sync.schedule, timezone=audit_zone),
                "wikibot.sync:scheduled_sync"),
        JobSpec("audit", CronTrigger.from_crontab(config.audit.schedule, timezone=audit_zone),
                "wikibot.audit:scheduled_audit"),
    ] + ([JobSpec("remind", CronTrigger.from_crontab(config.remind.schedule, timezone=ZoneInfo("UTC")),
                  "wikibot.slack.remind:scheduled_remind")] if config.slack_endpoint() is not None else [])


def describe_schedule(config: Config) -> str:
    """What ``serve`` and ``scheduler`` print at start: every job :func:`job_specs` runs, with its cron."""
    zones = {"sync": "", "audit": f" ({config.audit.timezone})", "remind": " (UTC)"}
    crons = {"sync": config.sync.schedule, "audit": config.audit.schedule, "remind": config.remind.schedule}
    return ", ".join(f"{spec.name} '{crons[spec.name]}'{zones[spec.name]}" for spec in job_specs(config))


def last_slot(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest fire time of ``trigger`` at or before ``now`` (cron has no "previous" API)."""
    for lookback in (timedelta(days=1), timedelta(days=40)):
        fire = trigger.get_next_fire_time(None, now - lookback)
        latest = None
        steps = 0
        while fire is not None and fire <= now and steps < 100_000:
            latest = fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            steps += 1
        if latest is not None:
            return latest
    return None


def resolve(target: str) -> Job:
    module, _, name = target.partition(":")
    job: Job = getattr(importlib.import_module(module), name)
    return job


class JobRunner:
    """Runs one slot of one job if this process wins it, with a heartbeat on its lease."""

    def __init__(self, services: JobServices, owner: str | None = None) -> None:
        self.services = services
        self.owner = owner or uuid.uuid4().hex

    def run_slot(self, spec: JobSpec, slot: datetime, func: Job | None = None) -> bool:
        runs = self.services.db.job_runs
        if not runs.claim(spec.name, slot, self.owner, LEASE):
            return False
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(spec.name, slot, stop), daemon=True)
        beat.start()
        summary, error = None, None
        try:
            summary = (func or resolve(spec.target))(self.services)
        except Exception as exc:  # the job's boundary: logged with its traceback, recorded
            log.exception("job %s (slot %s) failed", spec.name, slot.isoformat())
            error = f"{type(exc).__name__}: {exc}"[:2000]
        finally:
            stop.set()
        runs.finish(spec.name, slot, self.owner, summary=summary, error=error)
        if error is None:
            log.info("job %s (slot %s) done: %s", spec.name, slot.isoformat(), summary)
        self.services.metrics.record_job(spec.name, summary, error)
        return True

    def run_now(self, spec: JobSpec, func: Job | None = None) -> bool:
        """An on-demand run ("run audit now"): its own slot, so it never collides with a scheduled one."""
        return self.run_slot(spec, utcnow(), func)

    def _heartbeat(self, job: str, slot: datetime, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            self.services.db.job_runs.heartbeat(job, slot, self.owner, LEASE)


class Scheduler:
    """APScheduler wired to ``JobRunner``: fires at each cron slot and catches up missed ones at start."""

    def __init__(self, services: JobServices, specs: list[JobSpec] | None = None) -> None:
        self.services = services
        self.specs = specs if specs is not None else job_specs(services.config)
        self.runner = JobRunner(services)
        self._scheduler = BackgroundScheduler(timezone=ZoneInfo(services.config.audit.timezone),
                                              job_defaults={"coalesce": True, "max_instances": 1,
                                                            "misfire_grace_time": 3600})

    def start(self) -> None:
        for spec in self.specs:
            self._scheduler.add_job(self._fire, spec.trigger, args=(spec,), id=spec.name, name=spec.name)
        self._scheduler.start()
        for spec in self.specs:
            self._scheduler.add_job(self.catch_up, args=(spec,), id=f"{spec.name}-catch-up")

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def next_runs(self) -> dict[str, datetime | None]:
        """When each scheduled job fires next (None: paused), for the operator and for tests."""
        return {spec.name: self._scheduler.get_job(spec.name).next_run_time for spec in self.specs}

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing; with ``wait``, let running jobs finish (graceful shutdown)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)

    def catch_up(self, spec: JobSpec, now: datetime | None = None) -> bool:
        """Run the latest slot once if no replica ever started it (e.g. missed while all were down)."""
        slot = last_slot(spec.trigger, now or utcnow())
        done = self.services.db.job_runs.last_slot(spec.name)
        if slot is None or (done is not None and done >= slot):
            return False
        return self.runner.run_slot(spec, slot)

    def _fire(self, spec: JobSpec) -> None:
        slot = last_slot(spec.trigger, utcnow() + timedelta(seconds=1))
        if slot is None:
            return
        if not self.runner.run_slot(spec, slot) and not self.services.db.job_runs.is_done(spec.name, slot):
            # Another replica holds it. If that replica dies, take over once its lease expires.
            retry_at = utcnow() + LEASE + timedelta(seconds=5)
            self._scheduler.add_job(self._retry, "date", run_date=retry_at, args=(spec, slot))

    def _retry(self, spec: JobSpec, slot: datetime) -> None:
        if not self.services.db.job_runs.is_done(spec.name, slot):
            self.runner.run_slot(spec, slot)
