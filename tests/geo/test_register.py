from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from geo import InputError
from geo.hotspots import find_hotspots
from geo.register import DEFAULT_MATCH_THRESHOLD, match_to_register
from tests.geo.planted import planted_frame

CENTRE = h3.latlng_to_cell(52.8, -2.1, 10)


def _disk(cell: str, k: int) -> np.ndarray:
    return np.array(sorted(h3.str_to_int(c) for c in h3.grid_disk(cell, k)), dtype=np.int64)


def _halves(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a cell set into its western and eastern halves (by cell centre longitude)."""
    lon = np.array([h3.cell_to_latlng(h3.int_to_str(c))[1] for c in cells])
    order = np.argsort(lon, kind="stable")
    west = np.sort(cells[order[: len(cells) // 2]])
    east = np.sort(cells[order[len(cells) // 2 :]])
    return west, east


def _far(k: int = 40) -> str:
    return h3.grid_ring(CENTRE, k)[0]


def test_identical_and_grown_hotspots_continue() -> None:
    a = _disk(CENTRE, 2)
    b = _disk(_far(), 1)
    existing = {"HS-1": a, "HS-2": b}
    new = pd.Series({7: _disk(CENTRE, 3), 8: b})  # the first grew by a ring
    result = match_to_register(new, existing)
    assert result.new["matched_id"].to_dict() == {7: "HS-1", 8: "HS-2"}
    assert result.new["relation"].tolist() == ["continued", "continued"]
    assert result.new.loc[7, "shared_cells"] == len(a)
    assert result.new.loc[7, "similarity"] == 1.0
    assert result.existing["status"].tolist() == ["active", "active"]
    assert result.existing["successor"].to_dict() == {"HS-1": 7, "HS-2": 8}
    assert result.lineage.empty
    # Jaccard is stricter: 19 of 37 cells is ~0.51
    jaccard = match_to_register(new, existing, measure="jaccard", threshold=0.6)
    assert jaccard.new.loc[7, "relation"] == "new"
    assert jaccard.existing.loc["HS-1", "status"] == "not currently active"


def test_split_records_lineage_and_the_larger_part_keeps_the_id() -> None:
    parent = _disk(CENTRE, 3)  # 37 cells
    west, east = _halves(parent)
    east = east[1:]  # west is the larger part
    result = match_to_register({"w": west, "e": east}, {"HS-9": parent})
    assert result.new["relation"].to_dict() == {"w": "split-from", "e": "split-from"}
    assert result.new["matched_id"].to_dict() == {"w": "HS-9", "e": None}
    assert result.existing.loc["HS-9", "status"] == "active"
    assert result.existing.loc["HS-9", "successor"] == "w"
    edges = set(result.lineage[["parent_id", "child", "kind"]].itertuples(index=False, name=None))
    assert edges == {("HS-9", "w", "split"), ("HS-9", "e", "split")}
    shared = result.lineage.set_index("child")["shared_cells"]
    assert shared.to_dict() == {"w": len(west), "e": len(east)}


def test_merge_records_lineage_and_the_larger_parent_keeps_its_id() -> None:
    whole = _disk(CENTRE, 3)
    west, east = _halves(whole)
    east = east[2:]
    result = match_to_register({"m": whole}, {"HS-1": east, "HS-2": west})
    assert result.new.loc["m", "relation"] == "merged-from"
    assert result.new.loc["m", "matched_id"] == "HS-2"
    assert result.existing["status"].to_dict() == {
        "HS-1": "not currently active",
        "HS-2": "active",
    }
    edges = set(result.lineage[["parent_id", "child", "kind"]].itertuples(index=False, name=None))
    assert edges == {("HS-1", "m", "merge"), ("HS-2", "m", "merge")}


def test_new_and_vanished_hotspots() -> None:
    result = match_to_register(
        {"fresh": _disk(_far(), 1)}, {"HS-old": _disk(CENTRE, 1), "HS-other": _disk(_far(80), 0)}
    )
    assert result.new.loc["fresh", "relation"] == "new"
    assert result.new.loc["fresh", "matched_id"] is None
    assert (result.existing["status"] == "not currently active").all()
    assert result.existing["successor"].isna().all()
    assert result.existing.index.tolist() == ["HS-old", "HS-other"]  # never dropped


def test_edge_contact_below_the_threshold_does_not_link() -> None:
    a = _disk(CENTRE, 2)  # 19 cells
    neighbour_centre = h3.grid_ring(CENTRE, 4)[0]
    b = _disk(neighbour_centre, 2)  # touches a along an edge
    assert 0 < len(np.intersect1d(a, b)) / len(b) < DEFAULT_MATCH_THRESHOLD
    result = match_to_register({"n": b}, {"HS-1": a})
    assert result.new.loc["n", "relation"] == "new"
    low = match_to_register({"n": b}, {"HS-1": a}, threshold=0.01)
    assert low.new.loc["n", "relation"] == "continued"


def test_ids_are_kept_one_to_one_when_a_split_and_merge_cross() -> None:
    # old A and B; new X takes most of A and a little of B, new Y most of B
    a = _disk(CENTRE, 2)
    b = _disk(_far(6), 2)
    x = np.concatenate([a, b[:10]])
    y = b[10:]
    result = match_to_register({"x": x, "y": y}, {"A": a, "B": b}, threshold=0.4)
    assert result.new["matched_id"].to_dict() == {"x": "A", "y": "B"}
    assert result.new.loc["x", "relation"] == "merged-from"
    assert result.new.loc["y", "relation"] == "split-from"
    assert result.existing["status"].eq("active").all()
    kinds = result.lineage.set_index(["parent_id", "child"])["kind"].to_dict()
    assert kinds == {("A", "x"): "merge", ("B", "x"): "merge", ("B", "y"): "split"}


def test_empty_inputs_and_bad_options() -> None:
    nothing = match_to_register({}, {})
    assert nothing.new.empty
    assert nothing.existing.empty
    assert nothing.lineage.empty
    only_new = match_to_register({1: [5, 6]}, {})
    assert only_new.new.loc[1, "relation"] == "new"
    with pytest.raises(InputError, match="threshold"):
        match_to_register({}, {}, threshold=0)
    with pytest.raises(InputError, match="measure"):
        match_to_register({}, {}, measure="dice")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="duplicate ids"):
        match_to_register(pd.Series([[1], [2]], index=["a", "a"]), {})


def test_recomputing_after_one_more_month_keeps_the_ids() -> None:
    centres = [(0.0, 0.0), (2000.0, 0.0), (-3000.0, 2500.0), (4000.0, -4000.0)]
    months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    before = planted_frame(centres, months=months, seed=11)
    first = find_hotspots(before)
    register = pd.Series(list(first["cells"]), index=[f"HS-{i + 1}" for i in range(len(first))])
    # one more month: the same places go on, plus a brand-new cluster far from the others
    extra = planted_frame([*centres, (-6000.0, -6000.0)], per_cluster=30, months=["2025-07"])
    extra = extra[extra["cluster"] >= 0]
    second = find_hotspots(pd.concat([before, extra], ignore_index=True))
    assert len(second) == len(first) + 1
    result = match_to_register(second["cells"], register)
    assert result.existing["status"].eq("active").all()
    kept = result.new.dropna(subset=["matched_id"])
    assert len(kept) == len(first)
    assert (kept["relation"] == "continued").all()
    # each id went to the hotspot in the same place
    for label, register_id in kept["matched_id"].items():
        old = first.iloc[int(register_id.split("-")[1]) - 1]
        new = second.loc[label]
        assert abs(old["centroid_lat"] - new["centroid_lat"]) < 5e-4
        assert abs(old["centroid_lon"] - new["centroid_lon"]) < 5e-4
    assert result.new["relation"].value_counts()["new"] == 1
    assert result.lineage.empty


def test_sliding_window_split_and_merge_end_to_end() -> None:
    """Two places joined by a run of busy points in spring split when the window moves on."""
    months = [f"2025-{m:02d}" for m in range(1, 10)]
    places = planted_frame(
        [(0.0, 0.0), (500.0, 0.0)], per_cluster=[400, 300], noise=0, months=months, seed=5
    )
    bridge = planted_frame(
        [(x, 0.0) for x in range(100, 450, 50)],
        per_cluster=15,
        spread_m=5,
        noise=0,
        months=months[:3],
        seed=6,
    )
    frame = pd.concat([places, bridge], ignore_index=True)
    month = frame["month"].dt.month

    spring = find_hotspots(frame[month <= 6])
    assert len(spring) == 1
    register = pd.Series({"HS-1": spring.loc[0, "cells"]})

    summer = find_hotspots(frame[month >= 4])
    assert len(summer) == 2
    split = match_to_register(summer["cells"], register)
    assert split.new["relation"].tolist() == ["split-from", "split-from"]
    assert set(split.lineage["kind"]) == {"split"}
    assert split.lineage["parent_id"].tolist() == ["HS-1", "HS-1"]
    # the part sharing more cells with the spring hotspot keeps its id, the other gets a new one
    keeper = split.lineage.sort_values("shared_cells")["child"].iloc[-1]
    assert split.new["matched_id"].to_dict() == {keeper: "HS-1", 1 - keeper: None}

    register = pd.Series(
        {"HS-1": summer.loc[keeper, "cells"], "HS-2": summer.loc[1 - keeper, "cells"]}
    )
    whole = find_hotspots(frame)
    assert len(whole) == 1
    merge = match_to_register(whole["cells"], register)
    assert merge.new.loc[0, "relation"] == "merged-from"
    kept = merge.new.loc[0, "matched_id"]
    # most shared cells wins; a tie goes to the register hotspot listed first
    ranked = merge.lineage.sort_values(["shared_cells", "parent_id"], ascending=[False, True])
    assert kept == ranked["parent_id"].iloc[0]
    assert merge.existing["status"].to_dict() == {
        "HS-1": "active" if kept == "HS-1" else "not currently active",
        "HS-2": "active" if kept == "HS-2" else "not currently active",
    }
    assert sorted(merge.lineage["parent_id"]) == ["HS-1", "HS-2"]
    assert set(merge.lineage["kind"]) == {"merge"}
