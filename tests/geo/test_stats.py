from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from esda.getisord import G_Local
from libpysal.weights import W, lat2W
from scipy import sparse, stats

from geo import InputError
from geo.cells import cells_to_parent
from geo.stats import (
    EMERGING_CLASSES,
    _gi_z,
    count_cells,
    count_cells_by_month,
    emerging_hot_spots,
    gi_star,
    neighbour_weights,
    study_cells,
)
from tests.geo.planted import planted_frame

CENTRE = h3.latlng_to_cell(52.8, -2.1, 9)


def _disk(cell: str, k: int) -> list[int]:
    return [h3.str_to_int(c) for c in h3.grid_disk(cell, k)]


def _lattice(k: int) -> np.ndarray:
    return np.array(sorted(_disk(CENTRE, k)), dtype=np.int64)


def test_gi_star_equals_esda_on_an_h3_lattice() -> None:
    rng = np.random.default_rng(7)
    lattice = _lattice(6)
    counts = pd.Series(rng.poisson(3, len(lattice)), index=lattice)
    counts[_disk(CENTRE, 1)] += 12
    result = gi_star(counts, k=1)
    study = result.index.to_numpy()
    # the study area is the lattice plus its empty outer ring
    assert len(study) == len(_lattice(7))
    assert (result.loc[_lattice(7)[~np.isin(_lattice(7), lattice)], "count"] == 0).all()
    # esda with libpysal weights built independently from h3-py's grid_disk
    members = set(study.tolist())
    neighbours = {
        c: [n for n in _disk(h3.int_to_str(c), 1) if n in members and n != c] for c in study
    }
    w = W(neighbours, silence_warnings=True)
    y = result["count"].reindex(w.id_order).to_numpy(dtype=float)
    expected = G_Local(y, w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(result["z"].reindex(w.id_order).to_numpy(), expected.Zs, atol=1e-6)
    np.testing.assert_allclose(result["p"].reindex(w.id_order), 2 * expected.p_norm, atol=1e-9)
    assert result.loc[h3.str_to_int(CENTRE), "spot"] == "hot"


def test_gi_z_equals_esda_on_a_rook_lattice_for_many_columns() -> None:
    rng = np.random.default_rng(8)
    w = lat2W(12, 12, rook=True)
    values = rng.gamma(2.0, 3.0, size=(144, 3))
    weights = sparse.csr_array(w.sparse) + sparse.eye_array(144, format="csr")
    z = _gi_z(values, weights)
    for column in range(3):
        expected = G_Local(values[:, column], w, transform="B", star=True, permutations=0)
        np.testing.assert_allclose(z[:, column], expected.Zs, atol=1e-6)


def test_fdr_correction_and_bins() -> None:
    rng = np.random.default_rng(9)
    lattice = _lattice(8)
    counts = pd.Series(rng.poisson(4, len(lattice)), index=lattice)
    counts[_disk(CENTRE, 1)] = 25
    adjusted = gi_star(counts)
    raw = gi_star(counts, fdr=False)
    np.testing.assert_allclose(adjusted["q"], stats.false_discovery_control(adjusted["p"]))
    np.testing.assert_array_equal(raw["q"], raw["p"])
    assert (adjusted["spot"] != "not significant").sum() <= (raw["spot"] != "not significant").sum()
    hot = adjusted["spot"] == "hot"
    assert hot.any()
    assert (adjusted.loc[hot, "bin"] >= 2).all()
    assert set(adjusted["bin"]) <= {-3, -2, -1, 0, 1, 2, 3}


def test_uniform_field_has_no_significant_cells() -> None:
    lattice = _lattice(8)
    result = gi_star(pd.Series(5, index=lattice))
    # outer empty ring makes the border cells lower; nothing inside is hot
    assert (result.loc[_lattice(5), "spot"] == "not significant").all()
    flat = gi_star(pd.Series(0, index=lattice))
    assert (flat["z"] == 0).all()
    assert (flat["spot"] == "not significant").all()


def test_study_cells_and_weights() -> None:
    cells = np.array([h3.str_to_int(CENTRE)], dtype=np.int64)
    study = study_cells(cells, k=2)
    np.testing.assert_array_equal(study, _lattice(2))
    np.testing.assert_array_equal(study_cells(cells, k=0), cells)
    weights = neighbour_weights(study, k=1)
    assert weights.shape == (19, 19)
    assert (weights.diagonal() == 1).all()
    assert (weights != weights.T).nnz == 0
    degrees = np.asarray(weights.sum(axis=1)).ravel()
    centre_row = int(np.searchsorted(study, cells[0]))
    assert degrees[centre_row] == 7
    assert degrees.min() == 4  # corner cells of the outer ring: itself, 2 on the ring, 1 inside
    with pytest.raises(InputError, match="ascending"):
        neighbour_weights(study[::-1])
    with pytest.raises(InputError, match="k must be 0 or more"):
        study_cells(cells, k=-1)


def test_counts_from_an_incident_frame() -> None:
    frame = planted_frame([(0, 0)], per_cluster=100, noise=50)
    counts = count_cells(frame, res=9)
    assert counts.sum() == len(frame)
    np.testing.assert_array_equal(
        np.sort(counts.index.to_numpy()), np.unique(cells_to_parent(frame["h3_cell"], 9))
    )
    by_month = count_cells_by_month(frame, res=9)
    assert by_month.to_numpy().sum() == len(frame)
    assert [str(c) for c in by_month.columns] == [f"2025-0{m}" for m in range(1, 7)]
    np.testing.assert_array_equal(by_month.sum(axis=1).sort_index(), counts.sort_index())
    from_coordinates = count_cells(frame.drop(columns=["h3_cell"]), res=9)
    pd.testing.assert_series_equal(from_coordinates.sort_index(), counts.sort_index())
    with pytest.raises(InputError, match="no location"):
        count_cells(frame.drop(columns=["h3_cell"]).assign(lat=np.nan), res=9)
    with pytest.raises(InputError, match="between 0 and 12"):
        count_cells(frame, res=13)


def _cube(rate: int) -> pd.DataFrame:
    lattice = _lattice(12)
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.poisson(rate, size=(len(lattice), 12)), index=lattice)


def test_emerging_hot_spot_classes() -> None:
    counts = _cube(4)
    ring = h3.grid_ring(CENTRE, 8)
    t = np.arange(12)
    planted = {
        "persistent hot spot": np.full(12, 40),
        "new hot spot": np.r_[np.full(11, 4), 60],
        "historical hot spot": np.r_[np.full(11, 40), 4],
        "intensifying hot spot": 20 + 6 * t,
        "diminishing hot spot": 90 - 6 * t,
        "consecutive hot spot": np.r_[np.full(9, 4), [50, 50, 50]],
        "sporadic hot spot": np.where(np.isin(t, [2, 5, 8, 11]), 50, 4),
    }
    for position, series in enumerate(planted.values()):
        for cell in _disk(ring[6 * position], 1):
            counts.loc[cell] = series
    result = emerging_hot_spots(counts)
    for position, name in enumerate(planted):
        assert result.loc[h3.str_to_int(ring[6 * position]), "pattern"] == name
    assert set(result["pattern"]) <= set(EMERGING_CLASSES)
    persistent = result.loc[h3.str_to_int(ring[0])]
    assert persistent["hot_steps"] == 12
    assert persistent["final_bin"] == 3
    assert result["pattern"].value_counts()["no pattern"] > len(result) / 2


def test_emerging_cold_spot_classes_and_oscillating() -> None:
    counts = _cube(10)
    ring = h3.grid_ring(CENTRE, 8)
    for cell in _disk(CENTRE, 2):
        counts.loc[cell, :6] = 0  # cold for the first seven months
    for cell in _disk(CENTRE, 1):
        counts.loc[cell, 11] = 40  # then hot in the final one
    for cell in _disk(ring[0], 2):
        counts.loc[cell, :] = 0
    for cell in _disk(ring[16], 2):
        counts.loc[cell, 11] = 0
    for cell in _disk(ring[32], 2):
        counts.loc[cell, :10] = 0
    result = emerging_hot_spots(counts)
    assert result.loc[h3.str_to_int(CENTRE), "pattern"] == "oscillating hot spot"
    assert result.loc[h3.str_to_int(CENTRE), "cold_steps"] == 7
    assert result.loc[h3.str_to_int(ring[0]), "pattern"] == "persistent cold spot"
    assert result.loc[h3.str_to_int(ring[16]), "pattern"] == "new cold spot"
    assert result.loc[h3.str_to_int(ring[32]), "pattern"] == "historical cold spot"


def test_emerging_needs_time_steps() -> None:
    with pytest.raises(InputError, match="at least one time step"):
        emerging_hot_spots(pd.DataFrame(index=_lattice(1)))
