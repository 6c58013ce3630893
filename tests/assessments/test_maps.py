"""Map aggregation: the database's GROUP BY equals pandas on the real Staffordshire data."""

from __future__ import annotations

import h3
import pandas as pd
import pytest

from assessments import imports, maps
from assessments.incidents import load_incidents
from geo.cells import cells_to_parent
from geo.filters import IncidentFilter
from geo.hexes import count_by_cell
from tests.conftest import import_frame


@pytest.fixture
def staffordshire(engine, police_uk_files):
    imports.import_files(engine, police_uk_files)
    return engine


@pytest.mark.parametrize("res", [7, 8, 9])
def test_database_aggregate_equals_pandas_on_real_data(staffordshire, police_uk_files, res):
    everything = IncidentFilter()
    in_sql = maps.count_cells(staffordshire, everything, res=res).sort_values("h3_cell")
    in_sql = in_sql[["h3_cell", "count"]]  # (and the key sums, for disclosure control)
    # An outside truth: h3 itself, point by point: the parent at ``res`` of each point's
    # resolution-12 cell (H3 nesting is approximate, so parents, not direct indexing, are what
    # keeps counts consistent across resolutions).
    frame = pd.concat(pd.read_csv(p, usecols=["Latitude", "Longitude"]) for p in police_uk_files)
    frame = frame.dropna()
    cells = [
        h3.str_to_int(h3.cell_to_parent(h3.latlng_to_cell(lat, lon, 12), res))
        for lat, lon in zip(frame["Latitude"], frame["Longitude"], strict=True)
    ]
    truth = pd.Series(cells).value_counts()
    assert in_sql["count"].sum() == 42_398
    assert dict(zip(in_sql["h3_cell"], in_sql["count"], strict=True)) == truth.to_dict()
    in_pandas = count_by_cell(load_incidents(staffordshire), res=res).sort_values("h3_cell")
    assert in_pandas.reset_index(drop=True).equals(in_sql.reset_index(drop=True))


def test_filters_in_sql_match_pandas(engine, tmp_path):
    frame = pd.DataFrame(
        {
            "lat": [52.80, 52.80, 52.81, 52.90, 52.90],
            "lon": [-2.10, -2.10, -2.11, -2.20, -2.20],
            "month": ["2025-01", "2025-02", "2025-03", "2025-03", "2025-04"],
            "category": ["Drugs", "Robbery", "Drugs", "County lines", "Drugs"],
            "kind": ["incident", "incident", "missing_from", "incident", "incident"],
            "flags": [",cse,", "", ",drugs,cse,", ",county_lines,", ""],
        }
    )
    import_frame(engine, frame, tmp_path / "f.csv")
    stored = load_incidents(engine)
    for filt in (
        IncidentFilter(flags=("cse",)),
        IncidentFilter(kinds=("incident",)),
        IncidentFilter(categories=("Drugs",), start_month=pd.Timestamp("2025-02-01").date()),
        IncidentFilter(end_month=pd.Timestamp("2025-03-01").date()),
    ):
        with_keys = maps.count_cells(engine, filt, res=9).sort_values("h3_cell")
        in_sql = with_keys[["h3_cell", "count"]]
        in_pandas = count_by_cell(stored, res=9, filt=filt).sort_values("h3_cell")
        assert in_sql.reset_index(drop=True).equals(in_pandas.reset_index(drop=True)), filt
        assert (with_keys["keysum"] <= 255 * with_keys["count"]).all()
    # Key sums add up like counts: children into parents, months into the whole.
    fine = maps.count_cells(engine, IncidentFilter(), res=9)
    coarse = maps.count_cells(engine, IncidentFilter(), res=7).set_index("h3_cell")
    parents = fine.groupby(cells_to_parent(fine["h3_cell"].to_numpy(), 7))[["count", "keysum"]]
    pd.testing.assert_frame_equal(
        parents.sum().sort_index(), coarse[["count", "keysum"]].sort_index(), check_names=False
    )
    by_month = maps.monthly_counts(engine, IncidentFilter())
    assert by_month["keysum"].sum() == coarse["keysum"].sum()
    monthly = maps.monthly_counts(engine, IncidentFilter(flags=("cse",)))
    assert monthly["count"].tolist() == [1, 1]
    everything = count_by_cell(stored, res=7).set_index("h3_cell")["count"]
    cell = h3.str_to_int(h3.cell_to_parent(h3.latlng_to_cell(52.80, -2.10, 12), 7))
    detail = maps.cell_detail(engine, IncidentFilter(), cell=cell, res=7)
    assert detail["count"].sum() == everything[cell]
    assert set(detail["category"]) <= {"Drugs", "Robbery"}
