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


def test_record_keys_set_at_import_and_filled_for_older_rows(engine):
    """Imports give every incident a random record key; migration 0012 fills older rows."""
    from alembic import command
    from sqlalchemy import select

    from assessments.imports import import_files
    from assessments.models import Incident
    from assessments.settings import SAMPLES_DIR

    import_files(engine, [SAMPLES_DIR / "synthetic_incidents.csv"])

    def keys() -> list[int | None]:
        with engine.connect() as conn:
            return list(conn.execute(select(Incident.record_key)).scalars())

    imported = keys()
    assert None not in imported
    assert min(imported) >= 0
    assert max(imported) <= 255
    assert len(set(imported)) > 200  # random, not one value
    config = db._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    db.migrate(engine)
    filled = keys()
    assert None not in filled
    assert min(filled) >= 0
    assert max(filled) <= 255
    assert len(set(filled)) > 200
    assert filled != imported  # drawn again, at random


def test_episode_record_keys_set_at_import_and_filled_for_older_rows(engine):
    """Episode imports give every episode a random record key; migration 0019 fills older rows."""
    from alembic import command
    from sqlalchemy import select

    from assessments.episodes import import_episodes
    from assessments.models import Episode
    from assessments.settings import SAMPLES_DIR

    import_episodes(engine, SAMPLES_DIR / "synthetic_episodes.csv", key=b"k" * 32)

    def keys() -> list[int | None]:
        with engine.connect() as conn:
            return list(conn.execute(select(Episode.record_key)).scalars())

    imported = keys()
    assert None not in imported
    assert 0 <= min(imported) <= max(imported) <= 255
    assert len(set(imported)) > 100  # random, not one value
    config = db._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0018")
    assert "record_key" not in {c["name"] for c in sa.inspect(engine).get_columns("episode")}
    db.migrate(engine)
    filled = keys()
    assert None not in filled
    assert 0 <= min(filled) <= max(filled) <= 255
    assert len(set(filled)) > 100
    assert filled != imported  # drawn again, at random
