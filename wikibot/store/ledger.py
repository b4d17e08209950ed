"""The Jira sync ledger: which page item became which Jira issue, and what both sides said last time.

One row per filed (or being-filed) action item. It is one of two independent guards against
duplicates — the other is the marker labels on the issue itself (``wikibot.sync.issues``):

* ``state = "pending"`` is written *before* a create is sent and turned into ``"created"`` with
  the key when the answer arrives. A pending row that outlives its run means the outcome is
  unknown (crash, lost response): the next run adopts the issue its marker search finds, and only
  re-files once the row is older than the settle time, so a lagging search index cannot cause a
  second issue.
* ``"created"`` rows remember the key even while Confluence is down, so a failed write-back is
  finished later instead of filing again.
* ``base_page``/``base_jira`` hold each side's value of the page-owned fields at the last sync
  (JSON, in Jira's terms), which is what tells "the page changed" from "Jira changed" — and both
  from a conflict.

``origin_identity`` is the item identity when the issue was filed (it is in the issue's labels and
remote-link globalId, so it never changes); ``identity``/``fingerprint`` follow the row as people
move and reword it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, RowMapping

from wikibot.store.schema import aware, metadata, utcnow

sync_ledger = Table(
    "sync_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("page_id", String(32), nullable=False),
    Column("issue_key", String(64)),
    Column("state", String(16), nullable=False),  # pending | created
    Column("origin_identity", String(128), nullable=False),
    Column("identity", String(128), nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("base_page", Text, nullable=False, default="{}"),
    Column("base_jira", Text, nullable=False, default="{}"),
    Column("linked", Boolean, nullable=False, default=False),
    Column("want_done", Boolean, nullable=False, default=False),
    Column("written", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("page_id", "issue_key", name="uq_sync_ledger_page_issue"),
    Index("ix_sync_ledger_page", "page_id"),
)

_MUTABLE = frozenset({"issue_key", "state", "identity", "fingerprint", "base_page", "base_jira", "linked",
                      "want_done", "written"})


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger row. ``id`` is None until inserted."""

    page_id: str
    origin_identity: str
    identity: str
    fingerprint: str
    state: str = "created"
    issue_key: str | None = None
    base_page: Mapping[str, Any] = field(default_factory=dict)
    base_jira: Mapping[str, Any] = field(default_factory=dict)
    linked: bool = False
    want_done: bool = False
    written: bool = False
    created_at: datetime | None = None
    id: int | None = None


class SyncLedger:
    """Small, explicit operations over ``sync_ledger``; every call is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, page_ids: Iterable[str]) -> dict[str, list[LedgerEntry]]:
        """Every row of these pages (one query), grouped by page."""
        wanted = list(dict.fromkeys(page_ids))
        found: dict[str, list[LedgerEntry]] = {page_id: [] for page_id in wanted}
        if not wanted:
            return found
        with self.engine.connect() as conn:
            rows = conn.execute(select(sync_ledger).where(sync_ledger.c.page_id.in_(wanted))
                                .order_by(sync_ledger.c.id)).mappings().all()
        for row in rows:
            found[row["page_id"]].append(_entry(row))
        return found

    def insert(self, entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
        """Insert rows; returns them with their ids."""
        stored = []
        now = utcnow()
        with self.engine.begin() as conn:
            for entry in entries:
                values = _values(entry)
                result = conn.execute(insert(sync_ledger).values(**values, created_at=now, updated_at=now))
                key = result.inserted_primary_key
                if key is None:  # a single-row insert into a table with an integer key always has one
                    raise RuntimeError("sync_ledger: the insert returned no key")
                stored.append(replace(entry, id=key[0], created_at=now))
        return stored

    def update(self, entry_id: int, **changes: Any) -> None:
        unknown = set(changes) - _MUTABLE
        if unknown:
            raise ValueError(f"not ledger fields: {sorted(unknown)}")
        values = {k: json.dumps(dict(v), sort_keys=True) if k.startswith("base_") else v for k, v in changes.items()}
        with self.engine.begin() as conn:
            conn.execute(update(sync_ledger).where(sync_ledger.c.id == entry_id).values(**values, updated_at=utcnow()))

    def delete(self, entry_ids: Iterable[int]) -> None:
        ids = list(entry_ids)
        if ids:
            with self.engine.begin() as conn:
                conn.execute(delete(sync_ledger).where(sync_ledger.c.id.in_(ids)))


def _values(entry: LedgerEntry) -> dict[str, Any]:
    return {"page_id": entry.page_id, "issue_key": entry.issue_key, "state": entry.state,
            "origin_identity": entry.origin_identity, "identity": entry.identity,
            "fingerprint": entry.fingerprint, "base_page": json.dumps(dict(entry.base_page), sort_keys=True),
            "base_jira": json.dumps(dict(entry.base_jira), sort_keys=True), "linked": entry.linked,
            "want_done": entry.want_done, "written": entry.written}


def _entry(row: RowMapping) -> LedgerEntry:
    return LedgerEntry(
        page_id=row["page_id"], origin_identity=row["origin_identity"], identity=row["identity"],
        fingerprint=row["fingerprint"], state=row["state"], issue_key=row["issue_key"],
        base_page=json.loads(row["base_page"] or "{}"), base_jira=json.loads(row["base_jira"] or "{}"),
        linked=bool(row["linked"]), want_done=bool(row["want_done"]), written=bool(row["written"]),
        created_at=aware(row["created_at"]), id=row["id"],
    )
