"""The dashboard's state: the latest post-mortem snapshot, and when each post-mortem was completed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, Text, insert, select, update
from sqlalchemy.exc import IntegrityError

from wikibot.store.schema import aware, metadata

dashboard_snapshots = Table(
    "dashboard_snapshots",
    metadata,
    Column("name", String(32), primary_key=True),  # "latest"
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("rows", Text, nullable=False),
)

postmortem_milestones = Table(
    "postmortem_milestones",
    metadata,
    Column("page_id", String(32), primary_key=True),
    Column("completed_on", String(10), nullable=False),  # YYYY-MM-DD
)


class DashboardStore:
    def __init__(self, engine) -> None:  # noqa: ANN001 - sqlalchemy Engine
        self.engine = engine

    def save(self, rows: Sequence[dict[str, Any]], taken_at: datetime) -> None:
        """Replace the snapshot, and note the first time each post-mortem is seen complete.

        A page already complete when first seen is dated by its last edit: changing its status was
        an edit, and if nothing changed since, that edit is when it was completed.
        """
        payload = json.dumps(list(rows), ensure_ascii=False)
        with self.engine.begin() as conn:
            if not conn.execute(update(dashboard_snapshots).where(dashboard_snapshots.c.name == "latest")
                                .values(taken_at=taken_at, rows=payload)).rowcount:
                conn.execute(insert(dashboard_snapshots).values(name="latest", taken_at=taken_at, rows=payload))
            known = set(conn.execute(select(postmortem_milestones.c.page_id)).scalars())
        from wikibot.dashboard import COMPLETE_STATUSES

        for row in rows:
            if row["page_id"] in known or (row.get("status") or "").strip().lower() not in COMPLETE_STATUSES:
                continue
            completed = row.get("modified") or taken_at.date().isoformat()
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(postmortem_milestones).values(page_id=row["page_id"], completed_on=completed))
            except IntegrityError:
                pass  # another replica recorded it first

    def latest(self) -> tuple[datetime | None, list[dict[str, Any]]]:
        with self.engine.connect() as conn:
            row = conn.execute(select(dashboard_snapshots).where(dashboard_snapshots.c.name == "latest")).mappings().first()
        if row is None:
            return None, []
        return aware(row["taken_at"]), json.loads(row["rows"])

    def milestones(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {r.page_id: r.completed_on for r in conn.execute(select(postmortem_milestones))}
