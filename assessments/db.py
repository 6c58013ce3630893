"""Database engine, sessions and migrations: one code path for SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.orm import Session, sessionmaker

from assessments.settings import get_settings
from geo import InputError

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "SQLITE_BUSY_SECONDS",
    "StoreBusyError",
    "clear_engines",
    "get_engine",
    "grant_app_role",
    "is_postgres",
    "migrate",
    "schema_is_current",
    "session_scope",
]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: How long a SQLite writer waits for another (a large import, say) before giving up.
SQLITE_BUSY_SECONDS = 30.0


class StoreBusyError(InputError):
    """The SQLite store stayed locked by another writer for longer than a writer waits.

    Nothing was changed by the statement that waited (its transaction is rolled back), so the
    user can simply try again; PostgreSQL writers queue instead.
    """


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MB page cache: big imports, indexed
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    """Return the (cached) engine for ``url``, or for the configured database.

    The cache is keyed on the URL itself, so ``get_engine()`` and ``get_engine(its_url)`` share
    one engine and its pool, and a change of configured database is followed.
    """
    url = url or get_settings().database_url
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = _make_engine(url)
    return engine


def clear_engines() -> None:
    """Close and forget every cached engine (tests, or after the configured database changed)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def json_text(value: Any) -> str:
    """Return ``value`` as JSON text, as every JSON column stores it.

    orjson, not the standard library: a hotspot run writes tens of thousands of places, each
    with its counts and key sums by month, category and profile (50 MB of JSON at 1M
    incidents), and orjson writes them about ten times faster. numpy numbers are written as
    numbers; dictionary keys that are not text become text (as ``json.dumps`` makes them).
    """
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


def _make_engine(url: str) -> Engine:
    json_columns = {"json_serializer": json_text, "json_deserializer": orjson.loads}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **json_columns)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "handle_error", _sqlite_busy)
        return engine
    return create_engine(url, pool_pre_ping=True, **json_columns)


def _sqlite_busy(context: ExceptionContext) -> None:
    """Turn SQLite's "database is locked" into a message a user can act on."""
    if "database is locked" in str(context.original_exception):
        msg = (
            f"The store is busy: another import or save held it for more than "
            f"{SQLITE_BUSY_SECONDS:g} seconds, so nothing was changed. Try again in a minute."
        )
        raise StoreBusyError(msg) from context.original_exception


def is_postgres(engine: Engine) -> bool:
    """Whether ``engine`` talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any error."""
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest) with Alembic.

    A store already at the newest revision costs one query: Alembic (about a second to import)
    is loaded only when there is something to apply.
    """
    engine = engine or get_engine()
    if revision == "head" and schema_is_current(engine):
        return
    from alembic import command

    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


_ROLE_NAME = r"^[a-z_][a-z0-9_]{0,62}$"


def grant_app_role(engine: Engine, role: str) -> list[str]:
    """PostgreSQL: give ``role`` (which owns nothing) what the app needs, and no more.

    Run as the schema's owner, after :func:`migrate`. The role may read and write the app's
    tables, but only read and add audit events: no UPDATE, DELETE, TRUNCATE or TRIGGER on
    ``audit_event``, and, owning no table, it can neither drop nor disable a trigger nor change
    the schema. Returns the statements run. The role itself is created by the database
    administrator (``CREATE ROLE saferplaces_app LOGIN PASSWORD '...'``).
    """
    import re

    if not is_postgres(engine):
        msg = "an app role is a PostgreSQL feature; SQLite has no roles (see the README)"
        raise InputError(msg)
    if not re.match(_ROLE_NAME, role):
        msg = f"a role name is lower-case letters, digits and _, not {role!r}"
        raise InputError(msg)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_event FROM {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]
    with engine.begin() as conn:
        owns = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = :r"),
            {"r": role},
        ).scalar_one()
        if owns:
            msg = f"role {role} owns {owns} tables: the app's role must own nothing"
            raise InputError(msg)
        for statement in statements:
            conn.execute(text(statement))
    return statements


def schema_is_current(engine: Engine | None = None) -> bool:
    """Whether the database has every migration applied (its revisions are the scripts' heads)."""
    engine = engine or get_engine()
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        applied = {
            row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))
        }
    return applied == _script_heads()


@cache
def _script_heads() -> frozenset[str]:
    """Return the head revisions of the migration scripts, read from source without Alembic.

    Each script assigns ``revision`` and ``down_revision`` (a string, a tuple of strings for a
    merge, or ``None``) at module level; a head is a revision no other script revises.
    """
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in sorted((_MIGRATIONS / "versions").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            else:
                continue
            if not isinstance(target, ast.Name):
                continue
            if target.id == "revision":
                revisions.add(ast.literal_eval(value))
            elif target.id == "down_revision":
                down = ast.literal_eval(value)
                revised.update([down] if isinstance(down, str) else (down or ()))
    return frozenset(revisions - revised)
