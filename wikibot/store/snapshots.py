"""The dashboard's state: the latest post-mortem snapshot, and the day each post-mortem was first
seen debriefed (its Status Debriefed or Published), which stands in for a missing "Debrief held"."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, DateTime, String, Table, Text, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from wikibot.store.schema import aware, metadata

if TYPE_CHECKING:
    from wikibot.figures import Figure

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
    Column("completed_on", String(10), nullable=False),  # YYYY-MM-DD: first seen Debriefed/Published
)


class DashboardStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, rows: Sequence[dict[str, Any]], taken_at: datetime) -> None:
        """Replace the snapshot; each action item keeps the day the first snapshot held it."""
        from wikibot.dashboard_rows import carry_first_seen

        _, previous = self.latest()
        payload = json.dumps(carry_first_seen(rows, previous, taken_at.date()), ensure_ascii=False)
        with self.engine.begin() as conn:
            if not conn.execute(update(dashboard_snapshots).where(dashboard_snapshots.c.name == "latest")
                                .values(taken_at=taken_at, rows=payload)).rowcount:
                conn.execute(insert(dashboard_snapshots).values(name="latest", taken_at=taken_at, rows=payload))

    def latest(self) -> tuple[datetime | None, list[dict[str, Any]]]:
        with self.engine.connect() as conn:
            query = select(dashboard_snapshots).where(dashboard_snapshots.c.name == "latest")
            row = conn.execute(query).mappings().first()
        if row is None:
            return None, []
        return aware(row["taken_at"]), json.loads(row["rows"])

    def update_row(self, page_id: str, **values: Any) -> None:
        """Change one post-mortem's row in the snapshot (after the dashboard edited its page), so the
        dashboard shows the edit before the next audit."""
        taken_at, rows = self.latest()
        if taken_at is None:
            return
        payload = json.dumps([{**r, **values} if r["page_id"] == page_id else r for r in rows], ensure_ascii=False)
        with self.engine.begin() as conn:
            conn.execute(update(dashboard_snapshots).where(dashboard_snapshots.c.name == "latest",
                                                           dashboard_snapshots.c.taken_at == taken_at)
                         .values(rows=payload))

    def record_debriefed(self, candidates: Mapping[str, date]) -> dict[str, date]:
        """Record the pages seen debriefed for the first time (page id → day), and return every page's day."""
        known = self.debriefed()
        for page_id, day in candidates.items():
            if page_id in known:
                continue
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(postmortem_milestones).values(page_id=page_id, completed_on=day.isoformat()))
                known[page_id] = day
            except IntegrityError:  # another replica recorded it first
                known = self.debriefed()
        return known

    def debriefed(self) -> dict[str, date]:
        with self.engine.connect() as conn:
            return {r.page_id: date.fromisoformat(r.completed_on) for r in conn.execute(select(postmortem_milestones))}

    def figures(self, today: date, debrief_within_days: int) -> list[Figure]:
        """The headline figures (``wikibot.figures``) from the latest snapshot and the shares sent."""
        from wikibot.dashboard_rows import rows_from_snapshot
        from wikibot.figures import headline_figures
        from wikibot.store.audits import audit_shares

        _, rows = self.latest()
        with self.engine.connect() as conn:
            shared = set(conn.execute(select(audit_shares.c.page_id).where(audit_shares.c.state == "sent")).scalars())
        return headline_figures(rows_from_snapshot(rows), shared, today, debrief_within_days)
