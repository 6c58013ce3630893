"""Alembic environment: runs on a connection handed over by ``assessments.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from assessments.models import Base
from assessments.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    with create_engine(url).begin() as conn:
        _run(conn)
