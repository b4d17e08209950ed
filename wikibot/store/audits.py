"""The audit's state: cached page facts, what was already said to whom, and the run history.

* ``audit_page_cache``: the facts read from one version of each page (``wikibot.audit.facts``), so an
  unchanged page is never parsed again. Valid while the version and the facts key (templates, blame
  phrases, extraction version) are unchanged.
* ``audit_first_seen``: when each action item was first seen without a ticket (``unsynced_action``).
* ``audit_templates``: the template a page was made from, read once from its ``wikibot`` content
  property when its headings did not tell.
* ``audit_users``: account id → display name, so leads are named without a lookup every night.
* ``audit_comments``: the fingerprint of the finding set last commented on each page: one comment
  per new set, never one per night.
* ``audit_shares``: one row per page whose summary went to the company channel (``sent``), or that
  was already Published when the audit first saw it (``baseline``: never shared automatically).
* ``audit_report_pages``: the report page's id, version and body hash as last written.
* ``audit_runs`` / ``audit_run_kinds``: every run with its counts, for the dashboard's trends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from wikibot.store.schema import aware, metadata, utcnow

if TYPE_CHECKING:
    from wikibot.store import Database

audit_page_cache = Table(
    "audit_page_cache", metadata,
    Column("page_id", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("facts_key", String(32), nullable=False),
    Column("status", String(128)),
    Column("facts", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

audit_first_seen = Table(
    "audit_first_seen", metadata,
    Column("page_id", String(32), primary_key=True),
    Column("identity", String(128), primary_key=True),
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

audit_templates = Table(
    "audit_templates", metadata,
    Column("page_id", String(32), primary_key=True),
    Column("template", String(128)),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)

audit_users = Table(
    "audit_users", metadata,
    Column("account_id", String(128), primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

audit_comments = Table(
    "audit_comments", metadata,
    Column("page_id", String(32), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("commented_at", DateTime(timezone=True), nullable=False),
)

audit_shares = Table(
    "audit_shares", metadata,
    Column("page_id", String(32), primary_key=True),
    Column("state", String(16), nullable=False),  # baseline | sending | sent
    Column("title", Text),
    Column("url", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_report_pages = Table(
    "audit_report_pages", metadata,
    Column("title", String(255), primary_key=True),
    Column("page_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_runs = Table(
    "audit_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trigger", String(32), nullable=False),
    Column("scope", String(32)),  # a page id for `wikibot audit --page`; NULL: every post-mortem
    Column("status", String(16), nullable=False),  # running | ok | error
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("pages", Integer, nullable=False, default=0),
    Column("pages_with_findings", Integer, nullable=False, default=0),
    Column("findings", Integer, nullable=False, default=0),
    Column("parsed", Integer, nullable=False, default=0),
    Column("reused", Integer, nullable=False, default=0),
    Column("errors", Text, nullable=False, default="[]"),
)

audit_run_kinds = Table(
    "audit_run_kinds", metadata,
    Column("run_id", Integer, ForeignKey("audit_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(64), primary_key=True),
    Column("count", Integer, nullable=False),
)

SHARE_CLAIM_LEASE = timedelta(minutes=10)
NAMES_MAX_AGE = timedelta(days=7)  # display names change rarely; re-read weekly


@dataclass(frozen=True)
class CachedFacts:
    version: int
    facts_key: str
    status: str | None
    facts: str


@dataclass(frozen=True)
class AuditRun:
    id: int
    trigger: str
    scope: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    pages: int
    pages_with_findings: int
    findings: int
    parsed: int
    reused: int
    by_kind: dict[str, int]
    errors: list[str]


class AuditStore:
    """Small bulk operations over the audit tables; each call is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- page facts -----------------------------------------------------------------------------
    def cached(self) -> dict[str, CachedFacts]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_page_cache)).mappings().all()
        return {r["page_id"]: CachedFacts(r["version"], r["facts_key"], r["status"], r["facts"]) for r in rows}

    def save_cached(self, entries: Mapping[str, CachedFacts]) -> None:
        if not entries:
            return
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(delete(audit_page_cache).where(audit_page_cache.c.page_id.in_(list(entries))))
            conn.execute(insert(audit_page_cache), [
                {"page_id": page_id, "version": e.version, "facts_key": e.facts_key, "status": e.status,
                 "facts": e.facts, "saved_at": now} for page_id, e in entries.items()])

    def forget_pages(self, page_ids: Iterable[str]) -> None:
        """Drop the cached facts and first-seen times of pages that are gone."""
        gone = list(page_ids)
        with self.engine.begin() as conn:
            for start in range(0, len(gone), 400):
                chunk = gone[start:start + 400]
                conn.execute(delete(audit_page_cache).where(audit_page_cache.c.page_id.in_(chunk)))
                conn.execute(delete(audit_first_seen).where(audit_first_seen.c.page_id.in_(chunk)))

    # -- unsynced items ---------------------------------------------------------------------------
    def first_seen(self) -> dict[tuple[str, str], datetime]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_first_seen)).all()
        return {(r.page_id, r.identity): aware(r.first_seen) for r in rows}

    def update_first_seen(self, add: Mapping[tuple[str, str], datetime], drop: Iterable[tuple[str, str]]) -> None:
        """Record newly seen unticketed items and forget the ones that got a ticket or went away."""
        drop = list(drop)
        if not add and not drop:
            return
        with self.engine.begin() as conn:
            for start in range(0, len(drop), 400):
                conn.execute(delete(audit_first_seen).where(
                    tuple_(audit_first_seen.c.page_id, audit_first_seen.c.identity).in_(drop[start:start + 400])))
            if add:
                conn.execute(insert(audit_first_seen), [
                    {"page_id": p, "identity": i, "first_seen": at} for (p, i), at in add.items()])

    # -- templates and names ----------------------------------------------------------------------
    def templates(self) -> dict[str, str | None]:
        with self.engine.connect() as conn:
            return {r.page_id: r.template for r in conn.execute(select(audit_templates))}

    def save_template(self, page_id: str, template: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(audit_templates).where(audit_templates.c.page_id == page_id))
            conn.execute(insert(audit_templates).values(page_id=page_id, template=template, checked_at=utcnow()))

    def names(self, max_age: timedelta) -> dict[str, str]:
        """Display names fetched less than ``max_age`` ago."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_users).where(audit_users.c.fetched_at > utcnow() - max_age)).all()
        return {r.account_id: r.display_name for r in rows}

    def save_names(self, names: Mapping[str, str]) -> None:
        if not names:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(audit_users).where(audit_users.c.account_id.in_(list(names))))
            conn.execute(insert(audit_users), [{"account_id": a, "display_name": n, "fetched_at": utcnow()}
                                               for a, n in names.items()])

    # -- comments ---------------------------------------------------------------------------------
    def comment_fingerprints(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {r.page_id: r.fingerprint for r in conn.execute(select(audit_comments))}

    def save_comment_fingerprint(self, page_id: str, fingerprint: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(audit_comments).where(audit_comments.c.page_id == page_id))
            conn.execute(insert(audit_comments).values(page_id=page_id, fingerprint=fingerprint,
                                                       commented_at=utcnow()))

    # -- shares -----------------------------------------------------------------------------------
    def share_states(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {r.page_id: r.state for r in conn.execute(select(audit_shares.c.page_id, audit_shares.c.state))}

    def mark_baseline(self, page_ids: Iterable[str]) -> None:
        """Pages already Published when first seen: never shared automatically (``share`` still can)."""
        for page_id in page_ids:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(audit_shares).values(page_id=page_id, state="baseline", updated_at=utcnow()))
            except IntegrityError:
                pass

    def claim_share(self, page_id: str, *, again: bool = False) -> str | None:
        """Claim the right to share ``page_id`` now: its previous state ("" if none), or None if it
        was already shared (or another caller is sharing it right now)."""
        now = utcnow()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(audit_shares).values(page_id=page_id, state="sending", updated_at=now))
            return ""
        except IntegrityError:
            pass
        with self.engine.begin() as conn:
            row = conn.execute(select(audit_shares).where(audit_shares.c.page_id == page_id)).mappings().first()
            if row is None:
                return self.claim_share(page_id, again=again)
            stuck = row["state"] == "sending" and aware(row["updated_at"]) < now - SHARE_CLAIM_LEASE
            if not (row["state"] == "baseline" or stuck or (again and row["state"] == "sent")):
                return None
            query = update(audit_shares).where(audit_shares.c.page_id == page_id, audit_shares.c.state == row["state"])
            if stuck:  # compare-and-set on the age too, so two rescuers cannot both win
                query = query.where(audit_shares.c.updated_at < now - SHARE_CLAIM_LEASE)
            taken = conn.execute(query.values(state="sending", updated_at=now)).rowcount
        return row["state"] if taken else None

    def finish_share(self, page_id: str, title: str, url: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(audit_shares).where(audit_shares.c.page_id == page_id)
                         .values(state="sent", title=title, url=url, updated_at=utcnow()))

    def release_share(self, page_id: str, previous: str) -> None:
        """Undo a claim after a failure: back to the previous state, or no row."""
        with self.engine.begin() as conn:
            if previous:
                conn.execute(update(audit_shares).where(audit_shares.c.page_id == page_id)
                             .values(state=previous, updated_at=utcnow()))
            else:
                conn.execute(delete(audit_shares).where(audit_shares.c.page_id == page_id,
                                                        audit_shares.c.state == "sending"))

    # -- report page ------------------------------------------------------------------------------
    def report_page(self, title: str) -> tuple[str, int, str] | None:
        """(page id, version, body hash) as last written by wikibot."""
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_report_pages).where(audit_report_pages.c.title == title)).first()
        return (row.page_id, row.version, row.body_hash) if row else None

    def save_report_page(self, title: str, page_id: str, version: int, body_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(audit_report_pages).where(audit_report_pages.c.title == title))
            conn.execute(insert(audit_report_pages).values(title=title, page_id=page_id, version=version,
                                                           body_hash=body_hash, updated_at=utcnow()))

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, trigger: str, started_at: datetime, scope: str | None = None) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(insert(audit_runs).values(trigger=trigger, scope=scope, status="running",
                                                            started_at=started_at, errors="[]"))
            key = result.inserted_primary_key
            if key is None:  # a single-row insert into a table with an integer key always has one
                raise RuntimeError("audit_runs: the insert returned no key")
            return int(key[0])

    def finish_run(self, run_id: int, summary: Mapping[str, Any], *, failed: bool = False) -> None:
        by_kind: Mapping[str, int] = summary.get("findings_by_kind") or {}
        with self.engine.begin() as conn:
            conn.execute(update(audit_runs).where(audit_runs.c.id == run_id).values(
                status="error" if failed else "ok", finished_at=utcnow(), pages=summary.get("pages", 0),
                pages_with_findings=summary.get("pages_with_findings", 0), findings=summary.get("findings", 0),
                parsed=summary.get("parsed", 0), reused=summary.get("reused", 0),
                errors=json.dumps(list(summary.get("errors") or []), ensure_ascii=False)))
            if by_kind:
                conn.execute(insert(audit_run_kinds), [{"run_id": run_id, "kind": k, "count": c}
                                                       for k, c in by_kind.items()])

    def recent_runs(self, limit: int = 30, *, every_scope: bool = False) -> list[AuditRun]:
        query = select(audit_runs).order_by(audit_runs.c.id.desc()).limit(limit)
        if not every_scope:
            query = query.where(audit_runs.c.scope.is_(None))
        with self.engine.connect() as conn:
            runs = conn.execute(query).mappings().all()
            ids = [r["id"] for r in runs]
            kinds = conn.execute(select(audit_run_kinds).where(audit_run_kinds.c.run_id.in_(ids))).all() if ids else []
        by_run: dict[int, dict[str, int]] = {}
        for row in kinds:
            by_run.setdefault(row.run_id, {})[row.kind] = row._mapping["count"]
        return [AuditRun(id=r["id"], trigger=r["trigger"], scope=r["scope"], status=r["status"],
                         started_at=aware(r["started_at"]),
                         finished_at=aware(r["finished_at"]) if r["finished_at"] else None, pages=r["pages"],
                         pages_with_findings=r["pages_with_findings"], findings=r["findings"], parsed=r["parsed"],
                         reused=r["reused"], by_kind=by_run.get(r["id"], {}), errors=json.loads(r["errors"] or "[]"))
                for r in runs]


def recent_runs(db: Database, limit: int = 30) -> list[AuditRun]:
    """The latest audits of every post-mortem, newest first, with findings by kind (the dashboard's
    trends); one-page audits (``wikibot audit --page``) are left out, they would look like dips."""
    return AuditStore(db.engine).recent_runs(limit)
