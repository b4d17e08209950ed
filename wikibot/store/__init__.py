"""wikibot's own state in ``database.url`` (SQLAlchemy): SQLite for one process, PostgreSQL for several.

Everything that makes a write idempotent across retries, restarts and replicas lives here —
incident → page claims now; the sync ledger, audit history and job leases as they arrive. The
database's unique constraints, not in-process locks, are what make "exactly once" hold.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Engine, RowMapping, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError

from wikibot.errors import ConfigError, DatabaseError, WikibotError
from wikibot.status import ExitStatus
from wikibot.store.holders import is_gone, this_process
from wikibot.store.schema import aware as _aware
from wikibot.store.schema import metadata, utcnow

incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String(128), primary_key=True),  # exact (trimmed, NFC): the identity
    Column("state", String(16), nullable=False),  # "creating" | "created"
    Column("claim_token", String(64), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("page_id", String(32)),
    Column("url", Text),
    Column("title", Text),
    Column("created_at", DateTime(timezone=True)),
    # The page label ``incident-<slug>``: unique, so two ids that fold to one label cannot both
    # claim (NULL only for rows that collided before 0005 and kept a page of their own).
    Column("label", String(255)),
    Column("holder", String(128)),  # ``holders.this_process()`` of the claimant
    UniqueConstraint("label", name="uq_incidents_label"),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


@dataclass(frozen=True)
class IncidentRecord:
    incident_id: str
    state: str
    page_id: str | None
    url: str | None
    title: str | None


@dataclass(frozen=True)
class Claim:
    """The outcome of asking to create the page for an incident.

    ``owner``: this caller must create the page (and then ``finish`` or ``release``);
    otherwise ``record`` is the finished page, or ``None`` while another caller is creating it.
    """

    owner: bool
    token: str | None = None
    record: IncidentRecord | None = None
    rescued: bool = False  # taken over from a caller that died before it finished (and told anyone)


class IncidentIdCollision(WikibotError):
    """Another incident's id folds to the same page label: refused, never answered with its page."""

    exit_code = ExitStatus.USAGE

    def __init__(self, incident_id: str, other_id: str, label: str) -> None:
        super().__init__(f"incident id {incident_id!r} collides with incident {other_id!r} (both make the "
                         f"label {label}); use a distinct id")
        self.incident_id = incident_id
        self.other_id = other_id


@dataclass(frozen=True)
class Health:
    """What ``wikibot db check`` found (``problems`` empty: healthy)."""

    problems: list[str]
    notes: list[str] = field(default_factory=list)
    damaged: bool = True
    """Restoring a backup is the remedy for the problems (not for a server that does not answer)."""


class Database:
    """The one object that touches wikibot's database. Built once from the config."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)
        self.leases = Leases(self.engine)
        self.job_runs = JobRuns(self.engine)
        self.slack = SlackStore(self.engine)
        self.replays = Replays(self.engine)

    def create_schema(self) -> None:
        """Create or migrate the schema to the latest revision; refuse an unusable database clearly.

        A SQLite file damaged in the middle still opens and may answer most queries, so its
        structure is checked first (``PRAGMA quick_check``, proportional to the file's size):
        wikibot does no work on a database it cannot trust.
        """
        try:
            damage = self._quick_check() or self._unknown_revision()
            if not damage:
                migrate.upgrade(self.engine)
        except SQLAlchemyError as exc:
            damage = _short(exc)
        if damage:
            raise DatabaseError(f"database.url: cannot open or migrate the database: {damage} "
                              "(run `wikibot db check`; see README, Backups)")

    def _unknown_revision(self) -> str | None:
        """A revision no migration here names (a newer wikibot wrote it): Alembic cannot go from there."""
        current = migrate.current(self.engine)
        if current is None or current in migrate.revisions():
            return None
        return f"the schema is at revision {current}, which this wikibot does not know (written by a newer wikibot?)"

    def _quick_check(self) -> str | None:
        """What SQLite's ``quick_check`` finds wrong (first finding), or ``None``."""
        if self.engine.dialect.name != "sqlite":
            return None
        with self.engine.connect() as conn:
            result = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check(5)")]
        return None if result == ["ok"] else "integrity check failed: " + " ".join(result[0].split())[:200]

    def check(self) -> Health:
        """What ``wikibot db check`` reports: damage, a revision this wikibot does not know, or a
        database that cannot be reached; a schema not created or migrated yet is only a note (every
        start migrates it)."""
        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            if self.engine.dialect.name != "sqlite":  # nothing was read, so nothing is known to be damaged
                return Health(problems=[f"cannot connect to the database: {_short(exc)} (is the database server "
                                        "running? check database.url)"], damaged=False)
            return Health(problems=[f"cannot read the database: {_short(exc)}"])
        problems, notes = [], []
        try:
            with conn:
                if conn.dialect.name == "sqlite":
                    result = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
                    if result != ["ok"]:
                        problems.append("integrity check failed: " + "; ".join(result[:5]))
                else:
                    conn.execute(select(1))
                empty = not inspect(conn).get_table_names()
            current, head = migrate.current(self.engine), migrate.head()
            if current is None and empty:
                notes.append("the database has no schema yet: wikibot creates it at its first start "
                             "(or run `wikibot db upgrade`)")
            elif current is None or current not in migrate.revisions():
                problems.append(f"schema is at revision {current or 'none'}, which this wikibot does not know "
                                f"(it expects {head}; was it written by a newer wikibot?)")
            elif current != head:
                notes.append(f"schema is at revision {current}, wikibot {head} migrates it at its next start "
                             "(or run `wikibot db upgrade`)")
        except SQLAlchemyError as exc:
            problems.append(f"cannot read the database: {_short(exc)}")
        return Health(problems=problems, notes=notes)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- incident → page ----------------------------------------------------------------------
    def claim_incident(self, incident_id: str, lease: timedelta = timedelta(minutes=2),
                       label: str | None = None) -> Claim:
        """Claim the right to create ``incident_id``'s page; exactly one caller wins at a time.

        A claim older than ``lease``, or whose holder process is gone from this host (``kill -9``),
        belongs to a caller that died mid-creation: it is taken over with a compare-and-set on its
        token, so two rescuers cannot both win. ``label`` is unique across incidents: an id whose
        label another incident already has raises ``IncidentIdCollision``.
        """
        token = uuid.uuid4().hex
        now = utcnow()
        holder = this_process()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(incidents).values(incident_id=incident_id, state="creating", label=label,
                                                      claim_token=token, claimed_at=now, holder=holder))
            return Claim(owner=True, token=token)
        except IntegrityError:
            pass
        with self.engine.begin() as conn:
            row = conn.execute(select(incidents).where(incidents.c.incident_id == incident_id)).mappings().first()
            if row is None:
                other = label and conn.execute(select(incidents.c.incident_id)
                                               .where(incidents.c.label == label)).scalar()
                if other and label:
                    raise IncidentIdCollision(incident_id, other, label)
                return self.claim_incident(incident_id, lease, label)  # released meanwhile: try again
            if row["state"] == "created":
                return Claim(owner=False, record=_record(row))
            if _aware(row["claimed_at"]) > now - lease and not is_gone(row["holder"]):
                return Claim(owner=False)
            taken = conn.execute(
                update(incidents)
                .where(incidents.c.incident_id == incident_id, incidents.c.claim_token == row["claim_token"])
                .values(claim_token=token, claimed_at=now, holder=holder)
            ).rowcount
        return Claim(owner=True, token=token, rescued=True) if taken else Claim(owner=False)

    def finish_incident(self, incident_id: str, token: str, page_id: str, url: str, title: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(incidents)
                .where(incidents.c.incident_id == incident_id, incidents.c.claim_token == token)
                .values(state="created", page_id=page_id, url=url, title=title, created_at=utcnow())
            )

    def release_incident(self, incident_id: str, token: str) -> None:
        """Give up a claim after a failure, so a retry can start again at once."""
        with self.engine.begin() as conn:
            conn.execute(delete(incidents).where(incidents.c.incident_id == incident_id,
                                                 incidents.c.claim_token == token,
                                                 incidents.c.state == "creating"))

    def incident(self, incident_id: str) -> IncidentRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(incidents).where(incidents.c.incident_id == incident_id)).mappings().first()
        return _record(row) if row else None

    # -- settings -----------------------------------------------------------------------------
    def setting(self, key: str, default_factory: Callable[[], str] | None = None) -> str | None:
        """A stored value; with ``default_factory``, created once and shared by every replica."""
        with self.engine.connect() as conn:
            value = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
        if value is not None or default_factory is None:
            return value
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(settings).values(key=key, value=default_factory()))
        except IntegrityError:
            pass  # another replica stored it first; use theirs
        return self.setting(key)

    def remembers_pages(self) -> bool:
        """Does the database hold any page id (an incident's page, a synced action item)?"""
        with self.engine.connect() as conn:
            return any(conn.execute(select(table.c.page_id).limit(1)).first() is not None
                       for table in (incidents, ledger.sync_ledger))

    def secret_key(self) -> str:
        """The key that signs session cookies (CSRF tokens), the same on every replica."""
        return self.setting("secret_key", lambda: secrets.token_urlsafe(32)) or ""

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))


def _record(row: RowMapping) -> IncidentRecord:
    return IncidentRecord(incident_id=row["incident_id"], state=row["state"], page_id=row["page_id"],
                          url=row["url"], title=row["title"])


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database.url: not a SQLAlchemy URL: {url!r}") from None
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            # The driver is an optional extra (pyproject.toml), imported only when configured.
            hint = "pip install 'wikibot[postgres]'" if parsed.get_backend_name() == "postgresql" else "install it"
            raise ConfigError(f"database.url: its driver {exc.name or ''} is not installed ({hint})") from None
        except (ArgumentError, ImportError) as exc:
            raise ConfigError(f"database.url: {_short(exc)}") from None
    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # DBAPI objects: untyped
        cursor = dbapi_conn.cursor()
        if database and database != ":memory:":
            # WAL + synchronous=NORMAL: crash-safe (no corruption); a power cut may lose the last
            # commits, which the Jira/Confluence-side identities recover from anyway.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def _short(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]


# Every table module registers on ``metadata``; import them so ``create_schema`` sees them all.
from wikibot.store import audits, ledger, migrate, replays, snapshots  # noqa: E402,F401
from wikibot.store.jobs import JobRuns  # noqa: E402
from wikibot.store.locks import Leases  # noqa: E402
from wikibot.store.replays import Replays  # noqa: E402
from wikibot.store.slack import SlackStore  # noqa: E402

__all__ = ["Claim", "Database", "IncidentIdCollision", "IncidentRecord", "JobRuns", "Leases", "OperationalError",
           "Replays", "utcnow"]
