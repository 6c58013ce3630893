"""The store's totals (Home, ``saferplaces status``) come from ``incident_summary``, which imports
keep: they must always equal what grouping every incident gives, through imports (small and
bulk), undoing a batch, removing the samples and the upgrade that fills the table."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from assessments import db, imports
from assessments.models import Incident, IncidentSummary
from assessments.samples import load_samples
from assessments.settings import SAMPLES_DIR
from assessments.store import store_summary
from geo import InputError


def _live(engine) -> dict:  # type: ignore[no-untyped-def]
    """The totals straight from every incident (what the summary replaces)."""
    keysum = func.coalesce(func.sum(Incident.record_key), 0)
    with engine.connect() as conn:
        kinds = conn.execute(select(Incident.kind, func.count(), keysum).group_by(Incident.kind))
        by_kind = {k: (int(n), int(ks)) for k, n, ks in kinds}
        months = conn.execute(
            select(Incident.month, Incident.kind, func.count(), keysum).group_by(
                Incident.month, Incident.kind
            )
        )
        by_month = {(str(m)[:7], k): (int(n), int(ks)) for m, k, n, ks in months}
        districts = conn.execute(
            select(Incident.district_code, Incident.kind, func.count(), keysum).group_by(
                Incident.district_code, Incident.kind
            )
        )
        by_district = {(d, k): (int(n), int(ks)) for d, k, n, ks in districts}
        latest = conn.execute(select(func.max(Incident.month))).scalar()
    return {
        "by_kind": by_kind,
        "by_month": by_month,
        "by_district": by_district,
        "latest": None if latest is None else str(latest)[:7],
    }


def _from_summary(engine) -> dict:  # type: ignore[no-untyped-def]
    summary = store_summary(engine)
    return {
        "by_kind": {k: (n, summary["by_kind_keysum"][k]) for k, n in summary["by_kind"].items()},
        "by_month": {
            (r["month"], r["kind"]): (r["count"], r["keysum"]) for r in summary["by_month"]
        },
        "by_district": {
            (r["district"], r["kind"]): (r["count"], r["keysum"]) for r in summary["by_district"]
        },
        "latest": None if summary["latest_month"] is None else str(summary["latest_month"])[:7],
    }


def test_totals_match_every_incident_through_imports_undo_and_sample_removal(
    engine, police_uk_files, ltla_geojson
):
    load_samples(engine)
    samples = _live(engine)
    assert sum(n for n, _ in samples["by_kind"].values()) > 1000
    assert _from_summary(engine) == samples

    # Real districts and two real months: the samples go, the real rows are summed by district.
    imports.import_districts(engine, ltla_geojson, only_codes=["E07000197", "E07000198"])
    report = imports.import_files(engine, police_uk_files[:2])
    assert sum(b.stored for b in report.batches) > 10_000
    live = _live(engine)
    assert _from_summary(engine) == live
    assert {d for d, _ in live["by_district"]} >= {"E07000197", None}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(IncidentSummary)).scalar_one() < 100

    # A bulk load (indexes set aside and rebuilt) keeps it too, and so does undoing a batch.
    bulk = imports.import_files(engine, police_uk_files[2:], chunk_rows=5_000)
    assert _from_summary(engine) == _live(engine)
    imports.delete_batch(engine, bulk.batches[0].batch_id, actor="test")
    after = _live(engine)
    assert _from_summary(engine) == after
    assert sum(n for n, _ in after["by_kind"].values()) == sum(
        b.stored for b in [*report.batches, *bulk.batches[1:]]
    )


def test_a_failed_import_leaves_the_totals_as_they_were(engine, tmp_path):
    imports.import_files(engine, [SAMPLES_DIR / "synthetic_incidents.csv"])
    before = _from_summary(engine)
    bad = tmp_path / "bad.csv"
    frame = pd.read_csv(SAMPLES_DIR / "synthetic_incidents.csv").head(50)
    frame["name"] = "Jane Smith"  # personal data: the whole file is refused
    frame.to_csv(bad, index=False)
    with pytest.raises(InputError, match="name"):
        imports.import_files(engine, [bad])
    assert _from_summary(engine) == before == _live(engine)


def test_the_upgrade_fills_the_totals_from_the_incidents_already_stored(engine, police_uk_files):
    from alembic import command

    imports.import_files(engine, police_uk_files[:1])
    live = _live(engine)
    config = db._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0020")
    db.migrate(engine)
    assert _from_summary(engine) == live
