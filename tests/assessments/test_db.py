from __future__ import annotations

import sqlalchemy as sa

from assessments import db
from assessments.models import Base


def test_migrations_build_every_table_and_are_current(engine):
    tables = set(sa.inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert db.schema_is_current(engine)


def test_migrations_match_the_models(engine):
    """Autogenerate finds nothing to add: the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrate_is_idempotent(engine):
    db.migrate(engine)
    db.migrate(engine)
    assert db.schema_is_current(engine)


def test_heads_read_from_the_scripts_agree_with_alembic(engine):
    """The cheap check of ``migrate`` (no Alembic import) finds the heads Alembic finds."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db._alembic_config(engine))
    assert db._script_heads() == frozenset(script.get_heads())


def test_migrate_brings_an_older_schema_to_head(engine):
    """A store one revision behind is not taken for current: ``migrate`` applies the rest."""
    from alembic import command

    config = db._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
    assert not db.schema_is_current(engine)
    db.migrate(engine)
    assert db.schema_is_current(engine)
