"""Job runs: each scheduled slot of a job runs once across every replica, and is recorded.

A run is a row keyed by (job, slot) — the slot is the cron time it belongs to — so replicas
whose schedulers fire at the same moment insert the same key and only one wins. The winner
holds a lease on the row (renewed while it works); if it dies, the lease expires and another
replica takes the run over. Finished rows are the history the dashboard charts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Table, Text, UniqueConstraint, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from wikibot.store.schema import aware, metadata, utcnow

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    Column("slot", DateTime(timezone=True), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # running | ok | error
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("lease_expires_at", DateTime(timezone=True), nullable=False),
    Column("summary", Text),
    Column("error", Text),
    UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),
)


@dataclass(frozen=True)
class JobRun:
    job: str
    slot: datetime
    status: str
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any] | None
    error: str | None


class JobRuns:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, job: str, slot: datetime, owner: str, ttl: timedelta) -> bool:
        """Claim the run of ``job`` for ``slot``: True if we must run it now."""
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(job_runs).values(job=job, slot=slot, owner=owner, status="running",
                                                     started_at=now, lease_expires_at=now + ttl))
            return True
        except IntegrityError:
            pass
        with self.engine.begin() as conn:  # take over a run whose owner died
            return bool(conn.execute(
                update(job_runs)
                .where(job_runs.c.job == job, job_runs.c.slot == slot, job_runs.c.status == "running",
                       job_runs.c.lease_expires_at < now)
                .values(owner=owner, started_at=now, lease_expires_at=now + ttl)
            ).rowcount)

    def heartbeat(self, job: str, slot: datetime, owner: str, ttl: timedelta) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(
                update(job_runs).where(job_runs.c.job == job, job_runs.c.slot == slot, job_runs.c.owner == owner)
                .values(lease_expires_at=utcnow() + ttl)
            ).rowcount)

    def finish(self, job: str, slot: datetime, owner: str, *, summary: dict[str, Any] | None = None,
               error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(job_runs).where(job_runs.c.job == job, job_runs.c.slot == slot, job_runs.c.owner == owner)
                .values(status="error" if error else "ok", finished_at=utcnow(), error=error,
                        summary=json.dumps(summary, default=str) if summary is not None else None)
            )

    def is_done(self, job: str, slot: datetime) -> bool:
        with self.engine.connect() as conn:
            status = conn.execute(select(job_runs.c.status)
                                  .where(job_runs.c.job == job, job_runs.c.slot == slot)).scalar()
        return status in ("ok", "error")

    def last_slot(self, job: str) -> datetime | None:
        """The latest slot of ``job`` that any replica started (finished or not)."""
        with self.engine.connect() as conn:
            slot = conn.execute(select(job_runs.c.slot).where(job_runs.c.job == job)
                                .order_by(job_runs.c.slot.desc()).limit(1)).scalar()
        return aware(slot) if slot else None

    def recent(self, job: str | None = None, limit: int = 50) -> list[JobRun]:
        query = select(job_runs).order_by(job_runs.c.started_at.desc()).limit(limit)
        if job:
            query = query.where(job_runs.c.job == job)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [JobRun(job=r["job"], slot=aware(r["slot"]), status=r["status"], started_at=aware(r["started_at"]),
                       finished_at=aware(r["finished_at"]) if r["finished_at"] else None,
                       summary=json.loads(r["summary"]) if r["summary"] else None, error=r["error"]) for r in rows]
