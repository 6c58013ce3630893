"""What an import keeps about a file: safe labels, keyed references, categories held for approval.

Each test reproduces a leak of issue 14 and runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from assessments import db, imports
from assessments.categories import decide_category, pending_categories
from assessments.incidents import taxonomy_in_store
from assessments.models import ImportBatch, Incident
from assessments.settings import install_secret
from assessments.store import store_summary
from cli.identity import Operator
from geo import PermissionDeniedError
from geo.ingest import POLICE_UK_COLUMNS

ADMIN = Operator(username="ada", role="admin")
ANALYST = Operator(username="ana", role="analyst")


def _police(path, crime_ids, month="2025-01"):
    rows = [
        f"{cid},{month},Staffordshire Police,Staffordshire Police,-2.11{i % 10},52.80{i % 10},"
        f"On or near Victoria Road,E01029368,Stafford 001A,Burglary,,"
        for i, cid in enumerate(crime_ids)
    ]
    path.write_text(",".join(POLICE_UK_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    return path


def _all_text(engine) -> str:
    """Every value of every table, as one text (to look for what must not be stored)."""
    parts = []
    with engine.connect() as conn:
        for table in db_tables(engine):
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def db_tables(engine) -> list[str]:
    return [t for t in sa.inspect(engine).get_table_names() if t != "alembic_version"]


def test_the_file_name_is_stored_as_a_label_and_a_keyed_hash(engine, tmp_path):
    name = "Jane_Smith_DOB_2009-04-12_missing.csv"
    path = tmp_path / name
    path.write_text("latitude,longitude,category,month\n52.8,-2.1,Drugs,2025-01\n")
    report = imports.import_files(engine, [path])
    batch_id = report.batches[0].batch_id
    assert report.batches[0].file == f"upload {batch_id}"
    with Session(engine) as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch.file_name == f"upload {batch_id}"
        assert batch.name_hash == hmac.new(install_secret(), name.encode(), "sha256").hexdigest()
    assert store_summary(engine)["last_import"]["file"] == f"upload {batch_id}"
    text = _all_text(engine)
    assert "Jane" not in text
    assert "2009-04-12" not in text
    again = imports.import_files(engine, [path])
    assert again.batches[0].duplicate
    assert name not in " ".join(again.batches[0].notes)


def test_a_police_uk_file_is_labelled_by_its_month(engine, tmp_path):
    path = _police(tmp_path / "2025-01-staffordshire-street.csv", ["a" * 64])
    report = imports.import_files(engine, [path])
    assert report.batches[0].file == "police.uk street file, 2025-01"


def test_references_are_stored_keyed_never_as_a_plain_sha256(engine, tmp_path):
    path = tmp_path / "refs.csv"
    path.write_text("latitude,longitude,category,month,ref\n52.8,-2.1,Drugs,2025-01,AB-123\n")
    imports.import_files(engine, [path])
    with engine.connect() as conn:
        stored = conn.execute(sa.select(Incident.source_ref)).scalar_one()
    assert stored == hmac.new(install_secret(), b"AB-123", hashlib.sha256).hexdigest()
    assert stored != hashlib.sha256(b"AB-123").hexdigest()[:40]


def test_new_categories_wait_for_an_administrator_before_the_filters_offer_them(engine, tmp_path):
    path = tmp_path / "partner.csv"
    path.write_text(
        "latitude,longitude,category,month\n52.8,-2.1,Drugs,2025-01\n52.8,-2.1,Hate crime,2025-01\n"
    )
    imports.import_files(engine, [path])
    assert taxonomy_in_store(engine)["categories"] == ["Drugs"]
    assert pending_categories(engine) == ["Hate crime"]
    with Session(engine) as session, session.begin(), pytest.raises(PermissionDeniedError):
        decide_category(session=session, actor=ANALYST, name="Hate crime", decision="approved")
    with Session(engine) as session, session.begin():
        decide_category(session=session, actor=ADMIN, name="Hate crime", decision="approved")
    assert taxonomy_in_store(engine)["categories"] == ["Drugs", "Hate crime"]
    assert pending_categories(engine) == []


def test_the_upgrade_keys_stored_crime_ids_and_keeps_fingerprints(engine, tmp_path):
    """Revision 0013 re-keys police.uk Crime IDs stored as given, labels the batches, and a
    re-published month imported after the upgrade still finds its rows."""
    crime_ids = [f"{i:064x}" for i in range(1, 9)]
    first = _police(tmp_path / "2025-01-staffordshire-street.csv", crime_ids)
    imports.import_files(engine, [first])
    secret = install_secret()
    keyed = {hmac.new(secret, c.encode(), hashlib.sha256).hexdigest(): c for c in crime_ids}
    with engine.connect() as conn:
        before = dict(conn.execute(sa.select(Incident.source_ref, Incident.row_key)).all())
    config = db._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0012")
    with engine.begin() as conn:  # as the old code stored them: Crime IDs and names as given
        for ref, raw in keyed.items():
            conn.execute(
                sa.text(
                    "UPDATE incident SET source_ref = :raw, row_key = 0 - id "
                    "WHERE source_ref = :ref"
                ),
                {"raw": raw, "ref": ref},
            )
        conn.execute(sa.text("UPDATE import_batch SET file_name = 'Jane_Smith.csv'"))
    db.migrate(engine)
    with engine.connect() as conn:
        after = dict(conn.execute(sa.select(Incident.source_ref, Incident.row_key)).all())
        label = conn.execute(sa.select(ImportBatch.file_name)).scalar_one()
    assert after == before
    assert label.startswith("upload ")
    (tmp_path / "x").mkdir()
    republished = _police(
        tmp_path / "x" / "2025-01-staffordshire-street.csv", [*crime_ids, "b" * 64]
    )
    report = imports.import_files(engine, [republished])
    assert report.batches[0].stored == 1
    assert report.batches[0].rejected_by_reason == {"already stored (duplicate row)": 8}


def test_site_and_boundary_file_names_are_not_stored(engine, tmp_path, ltla_geojson):
    from assessments import site_imports
    from tests.conftest import add_north_district

    with Session(engine) as session, session.begin():
        add_north_district(session)
    path = tmp_path / "Jane_Smith_sites.csv"
    path.write_text("name,type,latitude,longitude\nRiverside Park,park,52.8,-2.1\n")
    assert site_imports.import_sites(engine, path, actor=ADMIN).stored == 1
    boundaries = tmp_path / "Chloe_Whitmore_boundaries.geojson"
    boundaries.write_bytes(ltla_geojson.read_bytes())
    imports.import_districts(engine, boundaries, only_codes=["E07000197"])
    text = _all_text(engine)
    assert "Jane_Smith" not in text
    assert "Chloe_Whitmore" not in text
