"""Schema migrations (Alembic), run by wikibot itself so operators never need a separate step.

Every replica runs ``upgrade`` at start; on PostgreSQL an advisory lock makes the others wait
for the first, and on SQLite the database's own write lock does.

Alembic is imported only when a migration is due. Importing it (with Mako, Pygments and every
dialect's DDL module) costs more than the rest of a CLI command's start, and almost every start
finds the database already at the head revision: one query against ``alembic_version``, compared
with the head read from the versions directory, says so without it.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

_LOCK_ID = 7_316_254_912  # arbitrary, constant: "wikibot migrations"
_VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
_VERSION_TABLE = "alembic_version"  # Alembic's default; env.py does not change it


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", "wikibot:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head() -> str:
    """The head revision, from the ``revision``/``down_revision`` lines of the versions directory.

    The files are parsed, not executed, so Alembic stays unimported. Anything unexpected (no
    single head, a revision that is not a literal) is left to Alembic, which explains it.
    """
    graph = _graph()
    heads = sorted(graph[0] - graph[1]) if graph else []
    return heads[0] if len(heads) == 1 else _alembic_head()


def revisions() -> frozenset[str]:
    """Every revision this wikibot has a migration for (one it does not know was written by another)."""
    graph = _graph()
    if graph:
        return frozenset(graph[0])
    from alembic.script import ScriptDirectory

    return frozenset(script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions())


@cache
def _graph() -> tuple[frozenset[str], frozenset[str]] | None:
    """``(revisions, parents)`` read from the versions directory; None when a revision is not a literal."""
    found: set[str] = set()
    parents: set[str] = set()
    for path in _VERSIONS.glob("*.py"):
        values = _literals(path, ("revision", "down_revision"))
        if "revision" not in values:
            continue  # __init__.py
        revision, down = values["revision"], values.get("down_revision")
        if not isinstance(revision, str):
            return None
        found.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):  # a merge revision has several parents
            parents.update(parent for parent in down if isinstance(parent, str))
    return frozenset(found), frozenset(parents)


def _literals(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in names:
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                found[node.targets[0].id] = None
    return found


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current(engine: Engine) -> str | None:
    """The database's revision (None when it has never been migrated), read as Alembic stores it."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(_VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalars().all()
    # Several rows mean several branches: not a state wikibot's linear history makes; Alembic sorts it out.
    return rows[0] if len(rows) == 1 else None


def upgrade(engine: Engine) -> None:
    """Migrate to the head revision; a database already there costs one query and no Alembic."""
    if current(engine) == head():
        return
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        command.upgrade(alembic_config(conn), "head")
