"""The store a command works on: the configured engine, migrated once per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["store_engine"]


def store_engine(*, migrate: bool = True) -> Engine:
    """Return the configured engine, with every migration applied unless ``migrate`` is false.

    SQLAlchemy and the database modules are imported here, when a command runs, not when the
    command line is parsed. Migrating a store whose schema is current costs one query
    (``assessments.db.migrate``).
    """
    from assessments import db
    from assessments.settings import get_settings

    settings = get_settings()
    engine = db.get_engine()
    if migrate:
        db.migrate(engine)  # as the schema's owner
    return db.get_engine(settings.working_url)  # as the app's role when one is configured
