from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score

from geo import InputError
from geo.cells import cells_to_parent
from geo.hotspots import (
    DEFAULT_EPS_M,
    DEFAULT_MIN_SAMPLES,
    EARTH_RADIUS_M,
    HOTSPOT_COLUMNS,
    find_hotspots,
    label_points,
    project_to_bng,
)
from tests.geo.planted import ORIGIN, planted_frame

CENTRES = [(0.0, 0.0), (2000.0, 0.0), (-3000.0, 2500.0), (4000.0, -4000.0)]


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return planted_frame(CENTRES)


@pytest.fixture(scope="module")
def staffordshire(police_uk_files: list[Path]) -> pd.DataFrame:
    raw = pd.concat([pd.read_csv(f) for f in police_uk_files], ignore_index=True)
    assert len(raw) == 47_968
    raw = raw.dropna(subset=["Latitude", "Longitude"])
    return pd.DataFrame(
        {
            "lat": raw["Latitude"].to_numpy(),
            "lon": raw["Longitude"].to_numpy(),
            "month": pd.to_datetime(raw["Month"]),
            "category": raw["Crime type"].to_numpy(),
            "district_code": raw["LSOA name"].str.rsplit(" ", n=1).str[0].to_numpy(),
        }
    )


def _plain_dbscan(frame: pd.DataFrame, eps_m: float, min_samples: int) -> np.ndarray:
    x, y = project_to_bng(frame["lat"].to_numpy(), frame["lon"].to_numpy())
    model = DBSCAN(eps=eps_m, min_samples=min_samples)
    return model.fit(np.column_stack([x, y])).labels_


def test_planted_clusters_are_found(planted: pd.DataFrame) -> None:
    spots = find_hotspots(planted)
    assert len(spots) == len(CENTRES)
    x, y = project_to_bng(spots["centroid_lat"].to_numpy(), spots["centroid_lon"].to_numpy())
    for cx, cy in CENTRES:
        distance = np.hypot(x - ORIGIN[0] - cx, y - ORIGIN[1] - cy)
        assert distance.min() < 60, (cx, cy, distance.min())
    labels = label_points(planted)
    # every planted point is in a hotspot, no background point is, one hotspot per centre
    assert adjusted_rand_score(planted["cluster"], labels) == 1.0
    assert (labels[planted["cluster"] < 0] == -1).all()
    assert spots["n_incidents"].tolist() == [150] * 4


def test_weighted_unique_equals_plain_dbscan_on_planted(planted: pd.DataFrame) -> None:
    for eps, min_samples in [(150, 10), (60, 5), (300, 40)]:
        plain = _plain_dbscan(planted, eps, min_samples)
        ours = label_points(planted, eps_m=eps, min_samples=min_samples).to_numpy()
        np.testing.assert_array_equal(ours, plain)


def test_weighted_unique_equals_plain_dbscan_on_staffordshire(
    staffordshire: pd.DataFrame,
) -> None:
    plain = _plain_dbscan(staffordshire, DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES)
    ours = label_points(staffordshire).to_numpy()
    assert adjusted_rand_score(plain, ours) == 1.0
    # the order of first appearance is kept, so even the label numbers agree
    np.testing.assert_array_equal(ours, plain)
    assert ours.max() > 100  # a real test: hundreds of hotspots, many shared locations
    distinct = staffordshire[["lat", "lon"]].drop_duplicates()
    assert len(distinct) < len(staffordshire) / 3


def test_find_hotspots_on_staffordshire(staffordshire: pd.DataFrame) -> None:
    spots = find_hotspots(staffordshire)
    labels = label_points(staffordshire)
    assert len(spots) == labels.max() + 1
    assert spots["n_incidents"].sum() == (labels >= 0).sum()
    assert spots["n_incidents"].is_monotonic_decreasing
    assert spots.crs.to_epsg() == 4326
    assert spots.geometry.is_valid.all()
    assert "Stoke-on-Trent" in spots.loc[0, "districts"]
    assert set(spots["first_month"]) <= {"2018-10", "2018-11", "2018-12", "2019-01", "2019-02"}


def test_labels_align_to_index_and_skip_unlocated(planted: pd.DataFrame) -> None:
    frame = planted.iloc[::-1].copy()
    frame.index = frame.index * 10 + 7
    frame.loc[frame.index[:5], "lat"] = np.nan
    labels = label_points(frame)
    assert labels.index.equals(frame.index)
    assert labels.name == "hotspot_label"
    assert (labels.iloc[:5] == -1).all()
    # labels agree (as a partition) with the clean frame's
    clean = label_points(planted).reindex(frame.index // 10)
    assert adjusted_rand_score(clean.to_numpy()[5:], labels.to_numpy()[5:]) == 1.0


def test_hotspot_contents(planted: pd.DataFrame) -> None:
    spots = find_hotspots(planted, eps_m=150, min_samples=10, cell_res=10, buffer_m=25)
    assert tuple(spots.columns) == HOTSPOT_COLUMNS
    labels = label_points(planted)
    for _, spot in spots.iterrows():
        members = planted[labels == spot["label"]]
        assert spot["n_incidents"] == len(members)
        assert spot["n_locations"] == len(members[["lat", "lon"]].drop_duplicates())
        assert sum(spot["by_month"].values()) == len(members)
        assert list(spot["by_month"]) == [f"2025-0{m}" for m in range(1, 7)]
        assert spot["by_category"] == members["category"].value_counts().to_dict()
        assert list(spot["by_category"].values()) == sorted(spot["by_category"].values())[::-1]
        months = members["month"].dt.strftime("%Y-%m")
        assert (spot["first_month"], spot["last_month"]) == (months.min(), months.max())
        assert spot["districts"] == ["E07000197"]
        expected_cells = np.unique(cells_to_parent(members["h3_cell"].to_numpy(), 10))
        np.testing.assert_array_equal(spot["cells"], expected_cells)
        assert (spot["eps_m"], spot["min_samples"], spot["cell_res"]) == (150.0, 10, 10)
    assert spots.attrs["parameters"]["n_input"] == len(planted)


def test_outline_keeps_a_margin_around_every_member_point(planted: pd.DataFrame) -> None:
    spots = find_hotspots(planted, buffer_m=25)
    labels = label_points(planted)
    outlines = spots.to_crs("EPSG:27700")
    for i, spot in spots.iterrows():
        members = planted[labels == spot["label"]]
        x, y = project_to_bng(members["lat"].to_numpy(), members["lon"].to_numpy())
        points = shapely.points(x, y)
        outline = outlines.geometry.iloc[i]
        assert shapely.contains(outline, points).all()
        # no outline hugs a point: every point is at least the buffer inside the boundary
        assert shapely.distance(outline.boundary, points).min() >= 24
        assert spot["area_m2"] == pytest.approx(outline.area, rel=1e-3)
        centroid_x, centroid_y = project_to_bng(
            np.array([spot["centroid_lat"]]), np.array([spot["centroid_lon"]])
        )
        assert outline.centroid.distance(shapely.Point(centroid_x[0], centroid_y[0])) < 1


def test_cells_from_coordinates_when_no_stored_cells(planted: pd.DataFrame) -> None:
    with_cells = find_hotspots(planted)
    without = find_hotspots(planted.drop(columns=["h3_cell", "district_code"]))
    for a, b in zip(with_cells["cells"], without["cells"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert without["districts"].tolist() == [[]] * len(without)


def test_trend_of_a_growing_and_a_steady_hotspot() -> None:
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    steady = planted_frame([(0, 0)], per_cluster=240, noise=0, months=months, seed=1)
    parts = []
    for m, month in enumerate(months):
        part = planted_frame([(3000, 0)], per_cluster=3 + 3 * m, noise=0, months=[month], seed=m)
        parts.append(part)
    growing = pd.concat(parts, ignore_index=True)
    steady["month"] = pd.to_datetime(np.tile(months, 20))
    spots = find_hotspots(pd.concat([steady, growing], ignore_index=True))
    assert len(spots) == 2
    by_size = spots.set_index("n_incidents")
    grown = by_size.loc[len(growing)]
    flat = by_size.loc[240]
    assert grown["trend_direction"] == "increasing"
    assert grown["trend_p"] < 0.001
    assert grown["trend_slope"] == pytest.approx(3.0)
    assert flat["trend_direction"] == "no trend"
    assert flat["trend_p"] == 1.0
    assert list(flat["by_month"].values()) == [20] * 12


def test_no_hotspots_gives_an_empty_frame_with_the_columns() -> None:
    sparse_frame = planted_frame([], noise=200, seed=3)
    spots = find_hotspots(sparse_frame)
    assert isinstance(spots, gpd.GeoDataFrame)
    assert spots.empty
    assert tuple(spots.columns) == HOTSPOT_COLUMNS
    assert spots.attrs["parameters"]["min_samples"] == DEFAULT_MIN_SAMPLES
    assert find_hotspots(sparse_frame.iloc[:0]).empty


def test_haversine_metric_equals_plain_haversine_dbscan(planted: pd.DataFrame) -> None:
    coords = np.radians(planted[["lat", "lon"]].to_numpy())
    plain = DBSCAN(eps=150 / EARTH_RADIUS_M, min_samples=10, metric="haversine").fit(coords)
    ours = label_points(planted, metric="haversine").to_numpy()
    np.testing.assert_array_equal(ours, plain.labels_)
    # sphere and grid distances differ by a fraction of a percent: a few border points may move
    assert adjusted_rand_score(ours, label_points(planted).to_numpy()) > 0.99
    spots = find_hotspots(planted, metric="haversine")
    assert len(spots) == len(CENTRES)
    assert spots.attrs["parameters"]["metric"] == "haversine"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"metric": "manhattan"}, "metric must be 'bng' or 'haversine'"),
        ({"eps_m": 0}, "eps must be a positive distance"),
        ({"eps_m": float("nan")}, "eps must be a positive distance"),
        ({"min_samples": 0}, "min_samples must be a whole number"),
        ({"min_samples": 2.5}, "min_samples must be a whole number"),
        ({"cell_res": 13}, "cell resolution must be between 0 and 12"),
        ({"buffer_m": -1}, "outline buffer must be zero or more"),
    ],
)
def test_bad_parameters_are_refused(
    planted: pd.DataFrame, options: dict[str, float], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        find_hotspots(planted, **options)


def test_missing_columns_are_refused(planted: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="lacks the column"):
        find_hotspots(planted.drop(columns=["month"]))
    with pytest.raises(InputError, match="lacks the column"):
        label_points(planted.drop(columns=["lat"]))


def test_month_formats_and_missing_categories(planted: pd.DataFrame) -> None:
    expected = find_hotspots(planted)
    as_text = planted.assign(month=planted["month"].dt.strftime("%Y-%m"))
    as_dates = planted.assign(month=list(planted["month"].dt.date))
    as_periods = planted.assign(month=planted["month"].dt.to_period("M"))
    for frame in (as_text, as_dates, as_periods):
        spots = find_hotspots(frame)
        assert spots["by_month"].tolist() == expected["by_month"].tolist()
    unnamed = planted.assign(category=planted["category"].where(planted.index % 2 == 0))
    spots = find_hotspots(unnamed)
    assert all("unknown" in c for c in spots["by_category"])
    assert [sum(c.values()) for c in spots["by_category"]] == spots["n_incidents"].tolist()
    with pytest.raises(InputError, match="no month"):
        find_hotspots(planted.assign(month=pd.NaT))


def test_grid_dbscan_equals_scikit_learn_on_ties_and_shared_borders() -> None:
    # points on a 5 m lattice: many pairs exactly eps apart, border points next to two clusters
    from geo.hotspots import _dbscan_pairs, _grid_pairs

    rng = np.random.default_rng(7)
    points = rng.integers(0, 60, (1500, 2)).astype(np.float64) * 5.0 + 391_000.0
    weight = rng.integers(1, 4, len(points))
    clusters = []
    for eps, min_samples in [(5.0, 6), (5.0 * np.sqrt(2), 9), (10.0, 14), (2.0, 3)]:
        reference = DBSCAN(eps=eps, min_samples=min_samples, algorithm="kd_tree").fit(
            points, sample_weight=weight.astype(np.float64)
        )
        owner, other = _grid_pairs(points[:, 0], points[:, 1], eps)
        ours = _dbscan_pairs(len(points), owner, other, weight, min_samples)
        np.testing.assert_array_equal(ours, reference.labels_)
        clusters.append(int(ours.max()) + 1)
    assert max(clusters) > 10  # a real test: many clusters, noise and shared borders


def test_components_partition_the_graph_as_scipy_does() -> None:
    # random sparse graphs, a long chain numbered against its order, a star, isolated nodes
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    from geo.hotspots import _components

    rng = np.random.default_rng(3)
    chain = rng.permutation(5000)
    graphs = [
        (2000, rng.integers(0, 2000, 1500), rng.integers(0, 2000, 1500)),
        (20000, rng.integers(0, 20000, 30000), rng.integers(0, 20000, 30000)),
        (5000, chain[:-1], chain[1:]),
        (300, np.zeros(299, dtype=np.int64), np.arange(1, 300)),
        (10, np.array([], dtype=np.int64), np.array([], dtype=np.int64)),
    ]
    for n, a, b in graphs:
        ours = _components(n, a, b)
        graph = sparse.csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        count, theirs = connected_components(graph, directed=False)
        # the same partition: a one-to-one map between the two namings
        assert len(np.unique(ours)) == count
        assert len(np.unique(ours * n + theirs)) == count
        assert (ours <= np.arange(n)).all()
        assert (ours[ours] == ours).all()
    assert len(np.unique(_components(*graphs[2]))) == 1  # the chain is one component


def test_cell_dbscan_equals_scikit_learn_on_the_same_graph(staffordshire: pd.DataFrame) -> None:
    from scipy import sparse

    from geo.cells import points_to_cells
    from geo.hotspots import _cluster_cells

    fine = points_to_cells(staffordshire["lat"].to_numpy(), staffordshire["lon"].to_numpy(), res=12)
    cells, weight = np.unique(cells_to_parent(fine, 8), return_counts=True)
    ours = _cluster_cells(cells, weight, min_samples=30)
    import h3

    index = {int(c): i for i, c in enumerate(cells)}
    rows, cols = [], []
    for i, c in enumerate(cells):
        for n in h3.grid_disk(h3.int_to_str(int(np.int64(c).view(np.uint64))), 1):
            j = index.get(int(np.uint64(h3.str_to_int(n)).view(np.int64)))
            if j is not None:
                rows.append(i)
                cols.append(j)
    graph = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(cells), len(cells)))
    reference = DBSCAN(eps=1.0, min_samples=30, metric="precomputed").fit(
        graph, sample_weight=weight.astype(np.float64)
    )
    np.testing.assert_array_equal(ours, reference.labels_)
    assert ours.max() > 5
