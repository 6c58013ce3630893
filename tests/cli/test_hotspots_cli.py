"""``saferplaces hotspots compute`` and ``hotspots list``: scopes, windows, resolution 7."""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessments.models import Hotspot
from cli.main import main
from geo.cells import cell_to_str, cells_to_parent, points_to_cells
from tests.conftest import import_frame
from tests.geo.planted import planted_frame

MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]


def _missing_from(seed: int = 4) -> pd.DataFrame:
    centres = [(0.0, 0.0), (6_000.0, 0.0), (-6_000.0, 4_000.0)]
    frame = planted_frame(centres, per_cluster=30, spread_m=400, noise=60, seed=seed)
    return frame.assign(kind="missing_from", category="Missing episode")


def test_missing_from_compute_registers_resolution_7_cells_only(configured, capsys, tmp_path):
    """Issue 18: ``hotspots compute --kind missing_from --min-samples 5`` used to register
    hotspots made of resolution-10 cells; now every cell is resolution 7 and holds at least the
    suppression threshold (5) of the run's missing-from locations."""
    frame = _missing_from()
    import_frame(configured, frame, tmp_path / "missing.csv")
    assert (
        main(["hotspots", "compute", "--kind", "missing_from", "--min-samples", "5", "--json"]) == 0
    )
    run = json.loads(capsys.readouterr().out)
    assert run["n_hotspots"] >= 1
    assert run["params"]["cell_res"] == 7
    assert run["scope"] == "missing-from locations; all districts; all months"

    # counted as the map counts them: the resolution-7 parent of each stored resolution-12 cell
    parents = cells_to_parent(points_to_cells(frame["lat"], frame["lon"]), 7)
    per_cell = pd.Series([cell_to_str(c) for c in parents]).value_counts()
    with Session(configured) as session:
        hotspots = session.scalars(select(Hotspot)).all()
    assert hotspots
    for hotspot in hotspots:
        cells = [h3.int_to_str(int(c)) for c in hotspot.cells]
        assert {h3.get_resolution(c) for c in cells} == {7}
        assert (per_cell.reindex(cells).fillna(0) >= 5).all()
        assert hotspot.n_incidents == int(per_cell.reindex(cells).sum())

    assert main(["hotspots", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {h["scope"] for h in listed["hotspots"]} == {run["scope"]}


def test_list_shows_every_hotspot_with_its_scope(configured, capsys, tmp_path):
    incidents = planted_frame([(0.0, 0.0), (3_000.0, 1_000.0)], per_cluster=200, months=MONTHS)
    import_frame(configured, incidents, tmp_path / "incidents.csv")
    import_frame(configured, _missing_from(), tmp_path / "missing.csv")
    assert main(["hotspots", "compute", "--months", "3"]) == 0
    said = capsys.readouterr().out
    assert "(incidents; all districts; last 3 months)" in said
    assert "2 new" in said
    assert main(["hotspots", "compute", "--kind", "missing_from", "--min-samples", "5"]) == 0
    capsys.readouterr()
    # the same three months, asked for as dates ending at the newest month: the same scope
    assert main(["hotspots", "compute", "--from", "2025-04", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["new"], again["continued"], again["inactive"]) == (0, 2, 0)

    assert main(["hotspots", "list"]) == 0
    text = capsys.readouterr().out
    assert "incidents; all districts; last 3 months:" in text
    assert "missing-from locations; all districts; all months:" in text
    assert main(["hotspots", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["hotspots"]
    scopes = pd.Series([r["scope"] for r in rows]).value_counts().to_dict()
    assert scopes["incidents; all districts; last 3 months"] == 2
    assert all(
        np.isin(
            list(r),
            [
                "id",
                "name",
                "scope",
                "source",
                "status",
                "active",
                "n_incidents",
                "districts",
                "first_month",
                "last_month",
                "recurred",
                "trend",
                "trend_p",
            ],
        ).all()
        for r in rows
    )


def test_months_and_dates_together_are_refused(configured, capsys):
    assert main(["hotspots", "compute", "--months", "3", "--from", "2025-01", "--json"]) == 2
    assert "either --months or --from/--to" in json.loads(capsys.readouterr().out)["error"]
