"""DBSCAN hotspots in metres, with counts, outline, districts and a monthly trend per hotspot.

Points are projected to the British National Grid (EPSG:27700) so ``eps`` is in metres.
police.uk locations are snapped to a few hundred thousand anonymous map points, so many incidents
share one coordinate: DBSCAN runs on the *distinct* locations with ``sample_weight`` = the number of
incidents there, and the labels are broadcast back. This gives exactly the labels of DBSCAN on all
points (same core points, same clusters, even the same numbering; see :func:`label_points`) for a
fraction of the time and memory, because the neighbourhood lists no longer repeat each duplicate.

No individual point is ever part of the output: a hotspot's outline is the union of its member H3
cells (resolution 10 by default, about 130 m across) grown by a small buffer, and its centroid is
the centroid of that outline.

Sensitive kinds (missing-from and found-at locations) are never clustered as points: with
``coarse_res`` the incidents are first counted in H3 cells of that resolution (7, about 5 km²),
cells holding fewer than ``min_cell_count`` incidents are dropped whole (the suppression threshold),
and DBSCAN runs on the remaining cells, a cell's neighbours being the cells next to it. Member
cells, outlines, counts and profiles are then built from those cells only, so nothing finer than
the coarse resolution, and nothing from a cell below the threshold, reaches the result.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import cache
from typing import Any, Final, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from h3ronpy import vector
from pyproj import Transformer

from geo._errors import InputError
from geo.cells import cells_to_parent, metres_per_degree, points_to_cells
from geo.profiles import NO_FLAG, NOT_RECORDED, PROFILE_DIMENSIONS, WEEKDAYS
from geo.schema import DEFAULT_EPS_M, DEFAULT_MIN_SAMPLES, FINE_RES
from geo.trend import mann_kendall

__all__ = [
    "DEFAULT_BUFFER_M",
    "DEFAULT_CELL_RES",
    "DEFAULT_EPS_M",
    "DEFAULT_MIN_SAMPLES",
    "EARTH_RADIUS_M",
    "HOTSPOT_COLUMNS",
    "find_hotspots",
    "label_points",
    "project_to_bng",
]

#: Resolution of the member cells that make the outline and the register identity (~130 m).
DEFAULT_CELL_RES: Final[int] = 10
#: Buffer around the union of member cells, so the outline is smooth and never hugs a point.
DEFAULT_BUFFER_M: Final[float] = 25.0

#: The columns of :func:`find_hotspots`'s result, in order.
HOTSPOT_COLUMNS: Final[tuple[str, ...]] = (
    "label",
    "n_incidents",
    "n_locations",
    "centroid_lat",
    "centroid_lon",
    "area_m2",
    "districts",
    "first_month",
    "last_month",
    "by_category",
    "by_month",
    "cells",
    "trend_direction",
    "trend_p",
    "trend_tau",
    "trend_slope",
    "profiles",
    "key_sums",
    "eps_m",
    "min_samples",
    "cell_res",
    "buffer_m",
    "geometry",
)

_BNG: Final[str] = "EPSG:27700"
_WGS84: Final[str] = "EPSG:4326"
#: Mean Earth radius (IUGG) for the haversine metric.
EARTH_RADIUS_M: Final[float] = 6_371_008.8

Metric: TypeAlias = Literal["bng", "haversine"]

#: Projected coordinates are quantised to this many metres before finding distinct locations.
_QUANTUM_M: Final[float] = 0.01


@cache
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def project_to_bng(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 points to British National Grid metres, quantised to 1 cm.

    The quantisation makes distances reproducible: DBSCAN on these coordinates is the reference
    that :func:`label_points` equals.

    Parameters
    ----------
    lat, lon
        Degrees, same length, no missing values.

    Returns
    -------
    tuple of numpy.ndarray
        Eastings and northings in metres.

    Examples
    --------
    Stafford town centre is near grid reference SJ 922 232:

    >>> x, y = project_to_bng(np.array([52.8067]), np.array([-2.1167]))
    >>> round(float(x[0]), -2), round(float(y[0]), -2)
    (392200.0, 323200.0)
    """
    x, y = _transformer(_WGS84, _BNG).transform(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return np.round(x / _QUANTUM_M) * _QUANTUM_M, np.round(y / _QUANTUM_M) * _QUANTUM_M


def _check_parameters(
    eps_m: float, min_samples: int, cell_res: int = DEFAULT_CELL_RES, *, metric: str = "bng"
) -> None:
    if metric not in ("bng", "haversine"):
        msg = f"the distance metric must be 'bng' or 'haversine', not {metric!r}"
        raise InputError(msg)
    if not np.isfinite(eps_m) or eps_m <= 0:
        msg = f"eps must be a positive distance in metres, not {eps_m!r}"
        raise InputError(msg)
    if int(min_samples) != min_samples or min_samples < 1:
        msg = f"min_samples must be a whole number of incidents, at least 1, not {min_samples!r}"
        raise InputError(msg)
    if not 0 <= cell_res <= FINE_RES:
        msg = f"cell resolution must be between 0 and {FINE_RES}, not {cell_res!r}"
        raise InputError(msg)


def _require(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"the incident frame lacks the column(s) {', '.join(missing)}"
        raise InputError(msg)


def _located(frame: pd.DataFrame) -> np.ndarray:
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.isfinite(lat) & np.isfinite(lon)


def _locations(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct coordinates: each point's location code (int32), each location's first point.

    ``factorize`` keeps the order of first appearance: DBSCAN then meets clusters in the same
    order as on all points, so even border points shared by two clusters get the same label.
    A coordinate pair is hashed as one complex number (exact, no rounding).
    """
    pairs = np.empty(len(lat), dtype=np.complex128)
    pairs.real = lat
    pairs.imag = lon
    codes, uniques = pd.factorize(pairs, sort=False)
    del pairs
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    small = np.int32 if len(uniques) < 2**31 else np.int64
    return codes.astype(small), first


#: Query points handled at a time when listing neighbour pairs (bounds the candidate arrays).
_PAIR_BLOCK: Final[int] = 32_768


def _grid_pairs(x: np.ndarray, y: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of points at most ``eps`` apart, each point with itself included.

    Points are binned in square cells a hair wider than ``eps``, so a neighbour is always in
    the same cell or one of the eight around it; candidates come from those nine cells (sorted
    keys, ``searchsorted``) and are kept when ``dx * dx + dy * dy <= eps * eps``: the test
    scikit-learn's KD-tree applies, in the same floating-point operations.
    """
    n = len(x)
    size = eps * (1.0 + 1e-9)
    gx = np.floor(x / size).astype(np.int64)
    gy = np.floor(y / size).astype(np.int64)
    gx -= gx.min() - 1
    gy -= gy.min() - 1
    width = int(gy.max()) + 2
    key = gx * width + gy
    order = np.argsort(key, kind="stable").astype(np.int32 if n < 2**31 else np.int64)
    sorted_key = key[order]
    limit = eps * eps
    owners: list[np.ndarray] = []
    others: list[np.ndarray] = []
    for start in range(0, n, _PAIR_BLOCK):
        query = order[start : start + _PAIR_BLOCK]
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                wanted = key[query] + (dx * width + dy)
                lo = np.searchsorted(sorted_key, wanted, side="left")
                counts = np.searchsorted(sorted_key, wanted, side="right") - lo
                total = int(counts.sum())
                if total == 0:
                    continue
                owner = np.repeat(query, counts)
                step = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                other = order[np.repeat(lo, counts) + step]
                ddx = x[owner] - x[other]
                ddy = y[owner] - y[other]
                near = ddx * ddx + ddy * ddy <= limit
                owners.append(owner[near])
                others.append(other[near])
    if not owners:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(owners), np.concatenate(others)


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Name the connected component of each of ``n`` nodes joined by edges ``(a[i], b[i])``.

    Each component is named by its smallest node. Roots are hooked to the smallest root across
    each edge whose ends still lie in different trees, then every node jumps to its root; a tree
    only ever points to smaller nodes, so it has no cycle, and the loop ends when every edge
    lies within one tree. (scipy's ``connected_components`` gives the same partition, but
    importing ``scipy.sparse`` costs a command 0.2 s, more than the search itself.)
    """
    parent = np.arange(n, dtype=np.int64)
    a = a.astype(np.int64, copy=False)
    b = b.astype(np.int64, copy=False)
    while len(a):
        root_a, root_b = parent[a], parent[b]
        split = root_a != root_b
        if not split.any():
            break
        a, b = a[split], b[split]  # an edge within one tree stays within it
        low = np.minimum(root_a[split], root_b[split])
        high = np.maximum(root_a[split], root_b[split])
        np.minimum.at(parent, high, low)
        while True:  # every node to its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    return parent


def _dbscan_pairs(
    n: int, owner: np.ndarray, other: np.ndarray, weight: np.ndarray, min_samples: int
) -> np.ndarray:
    """DBSCAN labels from the neighbour pairs (both ways, each point with itself) of ``n`` points.

    The labels are scikit-learn's, numbering included: a point is core when the weights of its
    neighbourhood (itself included) reach ``min_samples``; clusters are the connected sets of
    core points, numbered in the order of their first core point (scikit-learn expands them in
    that order); a border point (not core, next to a core point) joins the first cluster that
    reaches it, the lowest-numbered of its core neighbours' clusters; the rest is noise (-1).
    """
    labels = np.full(n, -1, dtype=np.int64)
    reach = np.bincount(owner, weights=weight[other].astype(np.float64), minlength=n)
    core = reach >= min_samples
    if not core.any():
        return labels
    both = core[owner] & core[other]
    component = _components(n, owner[both], other[both])
    core_points = np.flatnonzero(core)
    # each cluster's first core point, in point order: the order scikit-learn numbers them in
    clusters, first = np.unique(component[core_points], return_index=True)
    number = np.empty(int(component.max()) + 1, dtype=np.int64)
    number[clusters[np.argsort(core_points[first], kind="stable")]] = np.arange(len(clusters))
    labels[core_points] = number[component[core_points]]
    border = ~core[owner] & core[other]
    if border.any():
        nearest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(nearest, owner[border], labels[other[border]])
        joined = nearest < np.iinfo(np.int64).max
        labels[joined] = nearest[joined]
    return labels


def _cluster_locations(
    lat: np.ndarray,
    lon: np.ndarray,
    weight: np.ndarray,
    *,
    eps_m: float,
    min_samples: int,
    n_jobs: int | None,
    metric: Metric = "bng",
) -> np.ndarray:
    """Weighted DBSCAN on distinct locations (``weight`` incidents each); one label each.

    On the British National Grid the neighbour pairs come from a grid of ``eps``-wide cells
    (:func:`_grid_pairs`) and the labels from :func:`_dbscan_pairs`: scikit-learn's labels, a
    fraction of its start-up (importing ``sklearn.cluster`` takes a second). The haversine
    metric uses scikit-learn's ball tree.
    """
    if len(lat) == 0:
        return np.empty(0, dtype=np.int64)
    if metric == "haversine":
        from sklearn.cluster import DBSCAN

        coords = np.radians(np.column_stack([lat, lon]))
        model = DBSCAN(
            eps=eps_m / EARTH_RADIUS_M,
            min_samples=min_samples,
            metric="haversine",
            algorithm="ball_tree",
            n_jobs=n_jobs,
        )
        return model.fit(coords, sample_weight=weight.astype(np.float64)).labels_.astype(np.int64)
    x, y = project_to_bng(lat, lon)
    owner, other = _grid_pairs(x, y, float(eps_m))
    return _dbscan_pairs(len(x), owner, other, weight, min_samples)


def _cluster_cells(cells: np.ndarray, weight: np.ndarray, *, min_samples: int) -> np.ndarray:
    """DBSCAN on H3 cells: a cell's neighbours are itself and the cells next to it.

    ``weight`` is each cell's number of incidents; a cell is core when it and its neighbours hold
    at least ``min_samples``. Returns one label per cell (-1: noise), as scikit-learn's DBSCAN
    gives on the same neighbourhoods.
    """
    from h3ronpy import grid_disk

    n = len(cells)
    disks = pa.array(grid_disk(pa.array(cells.view(np.uint64)), 1, flatten=False))
    lengths = np.asarray(pc.list_value_length(disks), dtype=np.int64)
    ring = np.asarray(pc.list_flatten(disks).cast(pa.uint64())).view(np.int64)
    owner = np.repeat(np.arange(n), lengths)
    order = np.argsort(cells, kind="stable")
    pos = np.searchsorted(cells[order], ring)
    pos = np.minimum(pos, n - 1)
    found = cells[order][pos] == ring  # the disk holds the cell itself
    return _dbscan_pairs(n, owner[found], order[pos[found]], weight, min_samples)


def label_points(
    incidents: pd.DataFrame,
    *,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    metric: Metric = "bng",
    n_jobs: int | None = None,
) -> pd.Series:
    """Label every incident with its DBSCAN hotspot, in metres on the British National Grid.

    Distinct locations (identical latitude and longitude) are clustered once, weighted by how
    many incidents they hold. On the same (1 cm quantised) projected coordinates this equals
    scikit-learn's DBSCAN on all points: a location is core exactly when each of its duplicates
    is (same neighbourhood, weights summing to the same count), the clusters are the same
    connected sets of core points, and because locations keep the order in which they first
    appear, clusters are expanded in the same order, so border points and label numbers agree
    too. Only the distinct locations are projected.

    Parameters
    ----------
    incidents
        A frame with ``lat`` and ``lon`` (WGS84). Rows without coordinates get -1.
    eps_m
        Neighbourhood radius in metres.
    min_samples
        Incidents (including the point itself) within ``eps_m`` that make a core point.
    metric
        ``bng``: straight-line metres on the British National Grid (Great Britain, the default);
        ``haversine``: great-circle metres on the sphere, for data outside Great Britain
        (Northern Ireland, Crown dependencies). Distinct locations are the same either way.
    n_jobs
        Parallel jobs for the neighbour search (scikit-learn's meaning); ``None`` is one.

    Returns
    -------
    pandas.Series
        ``int64`` labels named ``hotspot_label``, aligned to ``incidents.index``; -1 is noise.

    Examples
    --------
    >>> frame = pd.DataFrame({"lat": [52.80] * 12 + [52.90], "lon": [-2.10] * 12 + [-2.10]})
    >>> label_points(frame, eps_m=150, min_samples=10).tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]
    """
    _require(incidents, ("lat", "lon"))
    _check_parameters(eps_m, min_samples, metric=metric)
    ok = _located(incidents)
    labels = np.full(len(incidents), -1, dtype=np.int64)
    if ok.any():
        lat = incidents["lat"].to_numpy(dtype=np.float64, na_value=np.nan)[ok]
        lon = incidents["lon"].to_numpy(dtype=np.float64, na_value=np.nan)[ok]
        codes, first = _locations(lat, lon)
        loc_labels = _cluster_locations(
            lat[first],
            lon[first],
            np.bincount(codes, minlength=len(first)),
            eps_m=eps_m,
            min_samples=int(min_samples),
            n_jobs=n_jobs,
            metric=metric,
        )
        labels[ok] = loc_labels[codes]
    return pd.Series(labels, index=incidents.index, name="hotspot_label")


def _month_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Months as ``year * 12 + month - 1`` integers (so consecutive months differ by one).

    Integer months are taken to be such numbers already (the store's loader gives them).
    """
    month = frame["month"]
    if pd.api.types.is_integer_dtype(month.dtype):
        return month.to_numpy(dtype=np.int64)
    if isinstance(month.dtype, pd.PeriodDtype):
        month = month.dt.to_timestamp()
    parsed = pd.to_datetime(month.astype("str") if month.dtype == object else month)
    if parsed.isna().any():
        msg = "some incidents have no month; every incident needs the month it happened in"
        raise InputError(msg)
    return (parsed.dt.year * 12 + parsed.dt.month - 1).to_numpy(dtype=np.int64)


def _empty_result(parameters: dict[str, Any]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in HOTSPOT_COLUMNS[:-1]})
    result = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=_WGS84))
    result.attrs["parameters"] = parameters
    return result


#: Hotspots outlined at a time (bounds the memory of the intermediate geometries).
_OUTLINE_BATCH: Final[int] = 2_048


#: Threads that outline hotspots (shapely releases the GIL while it works).
_OUTLINE_THREADS: Final[int] = 2


def _outlines(
    member_cells: np.ndarray, bounds: np.ndarray, *, buffer_m: float, executor: Executor
) -> Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Start outlining every hotspot; return a function that waits and gives the results.

    The results are the union of each hotspot's cells buffered in metres: WGS84 outlines, areas
    in m² and centroids (longitude, latitude). ``member_cells[bounds[i]:bounds[i + 1]]`` are
    hotspot ``i``'s cells. Each batch of hotspots (:func:`_outline_batch`) is a task on
    ``executor``, so the outlines are drawn while the caller tallies months, categories and
    profiles.
    """
    n = len(bounds) - 1
    jobs = []
    for start in range(0, n, _OUTLINE_BATCH):
        stop = min(start + _OUTLINE_BATCH, n)
        part = bounds[start : stop + 1]
        cells = member_cells[part[0] : part[-1]]
        job = executor.submit(_outline_batch, cells, part - part[0], buffer_m=buffer_m)
        jobs.append((start, stop, job))

    def results() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        outlines = np.empty(n, dtype=object)
        area = np.empty(n, dtype=np.float64)
        centroids = np.empty((n, 2), dtype=np.float64)
        for start, stop, job in jobs:
            outlines[start:stop], area[start:stop], centroids[start:stop] = job.result()
        return outlines, area, centroids

    return results


def _outline_batch(
    member_cells: np.ndarray, bounds: np.ndarray, *, buffer_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outline a batch of hotspots.

    Every cell's hexagon is made in one call; hotspots of one cell take it as it is, the others
    are unioned in C (a coverage union, as H3 cells share their edges exactly), hotspots of
    similar size together (a padded 2-D array reduced along its rows). Each union is buffered
    on its own local plane (:func:`geo.cells.metres_per_degree`), which gives its area in m² and its
    centroid, and turned back into degrees by the same scaling.
    """
    unique, inverse = np.unique(member_cells, return_inverse=True)
    wkb = vector.cells_to_wkb_polygons(pa.array(unique.view(np.uint64)), link_cells=False)
    hexagons = shapely.from_wkb(pa.array(wkb).to_numpy(zero_copy_only=False))
    polygons = hexagons[inverse]
    sizes = np.diff(bounds)
    parts = np.empty(len(sizes), dtype=object)
    single = sizes == 1
    parts[single] = polygons[bounds[:-1][single]]
    several = np.flatnonzero(sizes > 1)
    if len(several):
        # buckets of hotspots whose sizes lie within a factor of two pad to at most twice the cells
        bucket = np.floor(np.log2(sizes[several])).astype(np.int64)
        for b in np.unique(bucket):
            spots = several[bucket == b]
            width = int(sizes[spots].max())
            offsets = np.arange(width)
            index = bounds[spots][:, None] + offsets[None, :]
            valid = offsets[None, :] < sizes[spots][:, None]
            grid = np.full(index.shape, None, dtype=object)
            grid[valid] = polygons[index[valid]]
            parts[spots] = shapely.coverage_union_all(grid, axis=1)
    del polygons, hexagons
    # each hotspot is buffered in metres on a plane of its own: the degrees around its first
    # vertex scaled by the ellipsoid's metres per degree there (no projection library call)
    xy, owner = shapely.get_coordinates(parts, return_index=True)
    first = np.searchsorted(owner, np.arange(len(parts)))
    origin = xy[first]
    scale = np.column_stack(metres_per_degree(origin[:, 1]))
    local = shapely.set_coordinates(parts.copy(), (xy - origin[owner]) * scale[owner])
    del parts, xy, owner
    if buffer_m > 0:
        local = shapely.buffer(local, buffer_m, quad_segs=4)
    centroids = shapely.get_coordinates(shapely.centroid(local))
    xy, owner = shapely.get_coordinates(local, return_index=True)
    outlines = shapely.set_coordinates(local.copy(), xy / scale[owner] + origin[owner])
    return outlines, shapely.area(local), centroids / scale + origin


def _codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and their values (categoricals reuse their codes; missing is its own code)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        names = list(series.cat.categories)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(names), codes)
            names.append(None)
        return codes, names
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), list(uniques)


def _sorted_codes(values: pd.Series, missing: str) -> tuple[np.ndarray, list[str]]:
    """Codes that follow the sorted text of the values (missing values read ``missing``)."""
    codes, raw = _codes(values)
    labels = [str(v) if _recorded(v) else missing for v in raw]
    names, relabel = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    if len(raw) == 0:
        return codes, []
    return relabel.astype(np.int32)[codes], [str(n) for n in names]


def _tally(
    rank: np.ndarray, codes: np.ndarray, n_spots: int, n_values: int, weights: np.ndarray | None
) -> np.ndarray:
    index = rank.astype(np.int64) * n_values
    index += codes
    flat = np.bincount(index, weights=weights, minlength=n_spots * n_values)
    return flat.reshape(n_spots, n_values).astype(np.int64)


def _row_dicts(held: np.ndarray, values: np.ndarray, labels: list[str]) -> list[dict[str, int]]:
    """One dictionary per row: ``labels[j]: values[i, j]`` for each ``j`` where ``held[i, j]``."""
    rows, cols = np.nonzero(held)  # row by row, columns in order
    keys = np.asarray(labels, dtype=object)[cols].tolist()
    found = values[rows, cols].tolist()
    ends = np.searchsorted(rows, np.arange(1, held.shape[0] + 1)).tolist()
    out = []
    start = 0
    for end in ends:
        out.append(dict(zip(keys[start:end], found[start:end], strict=True)))
        start = end
    return out


def _recorded(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value != ""


def _profile_matrices(
    frame: pd.DataFrame, slot: np.ndarray, n_spots: int, keys: np.ndarray | None
) -> dict[str, tuple[list[str], np.ndarray, np.ndarray | None]]:
    """Per profile dimension: bucket names and (hotspots x buckets) counts (and key sums).

    ``slot`` is each row's hotspot rank plus one (0: in no hotspot). A dimension whose column is
    absent, or holds nothing for any member incident, is left out.
    """
    out: dict[str, tuple[list[str], np.ndarray, np.ndarray | None]] = {}
    for dim in PROFILE_DIMENSIONS:
        if dim == "weekday" and "weekday" not in frame.columns and "date" in frame.columns:
            dates = pd.to_datetime(frame["date"], errors="coerce")
            column = pd.Series(dates.dt.dayofweek.fillna(-1).to_numpy(dtype=np.int64))
        elif dim in frame.columns:
            column = frame[dim]
        else:
            continue
        codes, names = _codes(column)
        if dim in ("hour", "weekday"):
            labels = []
            for name in names:
                number = -1 if not _recorded(name) else int(name)
                if dim == "hour":
                    labels.append(f"{number:02d}" if 0 <= number <= 23 else NOT_RECORDED)
                else:
                    labels.append(WEEKDAYS[number] if 0 <= number <= 6 else NOT_RECORDED)
        elif dim == "flags":
            labels = [str(n) if _recorded(n) else "" for n in names]
        else:
            labels = [str(n) if _recorded(n) else NOT_RECORDED for n in names]
        counts = _tally(slot, codes, n_spots + 1, len(names), None)[1:]
        key_sums = (
            _tally(slot, codes, n_spots + 1, len(names), keys)[1:] if keys is not None else None
        )
        if dim == "flags":
            # a set of flags counts once under each flag it holds; no flag is "none"
            sets = [[f for f in label.strip(",").split(",") if f] for label in labels]
            flag_names = sorted({f for flags in sets for f in flags})
            columns = [*flag_names, NO_FLAG]
            spread = np.zeros((len(labels), len(columns)), dtype=np.int64)
            for i, flags in enumerate(sets):
                for f in flags:
                    spread[i, flag_names.index(f)] = 1
                if not flags:
                    spread[i, -1] = 1
            counts = counts @ spread
            key_sums = key_sums @ spread if key_sums is not None else None
            labels = columns
            if not flag_names:
                continue  # no member incident carries a flag: nothing to profile
        else:
            # merge labels that name the same bucket (e.g. several spellings of "not recorded")
            unique_labels, where = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
            if len(unique_labels) < len(labels):
                merge = np.zeros((len(labels), len(unique_labels)), dtype=np.int64)
                merge[np.arange(len(labels)), where] = 1
                counts = counts @ merge
                key_sums = key_sums @ merge if key_sums is not None else None
                labels = [str(u) for u in unique_labels]
            if dim != "kind" and set(labels) <= {NOT_RECORDED}:
                continue  # the source records nothing of this dimension
        out[dim] = (labels, counts, key_sums)
    return out


def _profile_dicts(
    matrices: dict[str, tuple[list[str], np.ndarray, np.ndarray | None]], n_spots: int
) -> tuple[list[dict[str, dict[str, int]]], list[dict[str, dict[str, int]]]]:
    profiles: list[dict[str, dict[str, int]]] = [{} for _ in range(n_spots)]
    keys: list[dict[str, dict[str, int]]] = [{} for _ in range(n_spots)]
    for dim, (labels, counts, key_sums) in matrices.items():
        rows, cols = np.nonzero(counts)
        values = counts[rows, cols].tolist()
        key_values = key_sums[rows, cols].tolist() if key_sums is not None else None
        for i in range(n_spots):
            profiles[i][dim] = {}
            if key_sums is not None:
                keys[i][dim] = {}
        for j, (r, c) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
            profiles[r][dim][labels[c]] = values[j]
            if key_values is not None:
                keys[r][dim][labels[c]] = key_values[j]
    return profiles, keys


def find_hotspots(
    incidents: pd.DataFrame,
    *,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    cell_res: int = DEFAULT_CELL_RES,
    buffer_m: float = DEFAULT_BUFFER_M,
    alpha: float = 0.05,
    metric: Metric = "bng",
    n_jobs: int | None = None,
    coarse_res: int | None = None,
    min_cell_count: int = 1,
    slopes: bool = True,
) -> gpd.GeoDataFrame:
    """Find DBSCAN hotspots and describe each one.

    Works on whatever subset the caller filtered (kinds, categories, months, districts, flags).

    Parameters
    ----------
    incidents
        An incident frame (:data:`geo.schema.INCIDENT_COLUMNS`): needs ``lat``, ``lon``,
        ``month`` (dates, or month numbers ``year * 12 + month - 1``) and ``category``; uses
        ``h3_cell`` (stored fine cells) and ``district_code`` when present, the profile columns
        ``kind``, ``age_band``, ``flags``, ``hour`` and ``weekday`` (or ``date``) when present,
        and ``record_key`` (disclosure record keys) when present. Rows without coordinates are
        ignored.
    eps_m, min_samples, metric
        DBSCAN parameters, see :func:`label_points`.
    cell_res
        H3 resolution of the member cells (outline and register identity).
    buffer_m
        Metres added around the union of member cells.
    alpha
        Significance level of the Mann-Kendall trend on monthly counts.
    n_jobs
        Parallel jobs for the neighbour search.
    coarse_res
        For sensitive kinds: cluster H3 cells of this resolution instead of points (neighbours:
        adjacent cells; ``eps_m`` and ``cell_res`` are not used), after dropping every cell with
        fewer than ``min_cell_count`` incidents. Nothing finer than ``coarse_res`` is returned.
    min_cell_count
        With ``coarse_res``: the suppression threshold every cell must reach to be used at all.
    slopes
        Compute Sen's slope of each hotspot's monthly counts (``trend_slope``). ``False`` leaves
        it missing and saves most of the trend's cost (the register keeps only the direction
        and p-value).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per hotspot (largest first, index 0..n-1) with the columns of
        :data:`HOTSPOT_COLUMNS`: the provisional DBSCAN ``label``; ``n_incidents`` and
        ``n_locations`` (distinct coordinates; member cells with ``coarse_res``); the outline's
        centroid; ``area_m2`` of the outline; ``districts`` (sorted list of district codes
        touched); ``first_month`` and ``last_month`` (``YYYY-MM``); ``by_category`` and
        ``by_month`` (dicts of counts, every month of the input's period included, zeros too);
        ``cells`` (sorted ``int64`` member cells at ``cell_res``); the Mann-Kendall trend of
        monthly counts over the input's whole period (``trend_direction``, ``trend_p``,
        ``trend_tau``, ``trend_slope`` in incidents per month); ``profiles`` (per dimension of
        :data:`PROFILE_DIMENSIONS` the input records, counts by value: age band, flag, hour
        ``00``-``23``, weekday, kind, with ``not recorded`` and, for flags, ``none``);
        ``key_sums`` (with ``record_key``: the sums of record keys of ``n_incidents``,
        ``by_category``, ``by_month`` and ``profiles``, for the cell key method, only where the
        count is not zero; else empty);
        and the parameters used. ``attrs["parameters"]`` repeats them with the input size.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "lat": [52.80] * 12, "lon": [-2.10] * 12, "category": ["Drugs"] * 12,
    ...     "month": pd.to_datetime(["2025-01-01"] * 6 + ["2025-02-01"] * 6),
    ... })
    >>> spots = find_hotspots(frame)
    >>> spots[["n_incidents", "first_month", "last_month"]].to_dict("records")
    [{'n_incidents': 12, 'first_month': '2025-01', 'last_month': '2025-02'}]
    >>> spots.loc[0, "by_month"]
    {'2025-01': 6, '2025-02': 6}
    """
    _require(incidents, ("lat", "lon", "month", "category"))
    _check_parameters(eps_m, min_samples, cell_res, metric=metric)
    if buffer_m < 0:
        msg = f"the outline buffer must be zero or more metres, not {buffer_m!r}"
        raise InputError(msg)
    if coarse_res is not None:
        _check_parameters(eps_m, min_samples, coarse_res, metric=metric)
        if int(min_cell_count) != min_cell_count or min_cell_count < 1:
            msg = f"the cell threshold must be a whole number, at least 1, not {min_cell_count!r}"
            raise InputError(msg)
        cell_res = int(coarse_res)
    parameters: dict[str, Any] = {
        "eps_m": float(eps_m),
        "min_samples": int(min_samples),
        "cell_res": int(cell_res),
        "buffer_m": float(buffer_m),
        "alpha": float(alpha),
        "metric": metric,
        "crs_metres": _BNG,
        "n_input": len(incidents),
    }
    if coarse_res is not None:
        parameters["coarse_res"] = int(coarse_res)
        parameters["min_cell_count"] = int(min_cell_count)
    ok = _located(incidents)
    located = incidents if ok.all() else incidents.loc[ok]
    parameters["n_located"] = len(located)
    if located.empty:
        return _empty_result(parameters)

    lat = located["lat"].to_numpy(dtype=np.float64)
    lon = located["lon"].to_numpy(dtype=np.float64)
    month_numbers = _month_numbers(located)
    first_number = int(month_numbers.min())
    n_months = int(month_numbers.max()) - first_number + 1
    month_pos = (month_numbers - first_number).astype(np.int32)
    del month_numbers
    # Everything is counted per distinct location first: a location's incidents share its label,
    # its cells and (as imported) its district; per-row work is a few integer arrays.
    loc_codes, loc_first = _locations(lat, lon)
    loc_lat, loc_lon = lat[loc_first], lon[loc_first]
    weight = np.bincount(loc_codes, minlength=len(loc_first))
    fine = (
        located["h3_cell"].to_numpy(dtype=np.int64)[loc_first]
        if "h3_cell" in located.columns and located["h3_cell"].notna().all()
        else None
    )
    if coarse_res is not None:
        if fine is None:
            fine = points_to_cells(loc_lat, loc_lon, res=FINE_RES)
        loc_cells = cells_to_parent(fine, int(coarse_res))
        cell_codes, cell_values = pd.factorize(loc_cells)
        cell_weight = np.bincount(cell_codes, weights=weight, minlength=len(cell_values))
        kept = cell_weight >= min_cell_count  # the threshold, applied to every cell
        cell_labels = np.full(len(cell_values), -1, dtype=np.int64)
        if kept.any():
            cell_labels[kept] = _cluster_cells(
                cell_values.astype(np.int64)[kept], cell_weight[kept], min_samples=int(min_samples)
            )
        loc_labels = cell_labels[cell_codes]
        parameters["n_locations"] = int(kept.sum())
    else:
        loc_labels = _cluster_locations(
            loc_lat,
            loc_lon,
            weight,
            eps_m=eps_m,
            min_samples=int(min_samples),
            n_jobs=n_jobs,
            metric=metric,
        )
        parameters["n_locations"] = len(loc_first)
    in_spot = loc_labels >= 0
    if not in_spot.any():
        return _empty_result(parameters)

    # rank hotspots by size (largest first): rank per location, then per incident (-1: none)
    sizes = np.bincount(loc_labels[in_spot], weights=weight[in_spot]).astype(np.int64)
    order = np.argsort(-sizes, kind="stable")
    order = order[sizes[order] > 0]
    n_spots = len(order)
    rank_of = np.full(len(sizes), -1, dtype=np.int32)
    rank_of[order] = np.arange(n_spots, dtype=np.int32)
    loc_rank = np.where(in_spot, rank_of[np.maximum(loc_labels, 0)], -1).astype(np.int32)
    counts = sizes[order]
    # shifted by one so the incidents outside any hotspot count in a row 0 that is dropped
    row_slot = loc_rank[loc_codes] + 1
    del loc_codes

    member_locs = np.flatnonzero(in_spot)
    n_locations = np.bincount(loc_rank[member_locs], minlength=n_spots)
    if coarse_res is not None:
        spot_cells = loc_cells[member_locs]
    elif fine is not None:
        spot_cells = cells_to_parent(fine[member_locs], cell_res)
    else:
        # one H3 call per distinct member location; the fine cell's parent, as for stored cells
        # (H3 parents do not nest points exactly)
        fine_member = points_to_cells(loc_lat[member_locs], loc_lon[member_locs], res=FINE_RES)
        spot_cells = cells_to_parent(fine_member, cell_res)
    cell_codes2, cell_uniques = pd.factorize(spot_cells, sort=True)
    pairs = np.unique(loc_rank[member_locs].astype(np.int64) * len(cell_uniques) + cell_codes2)
    bounds = np.searchsorted(pairs // len(cell_uniques), np.arange(n_spots + 1))
    member_cells = cell_uniques.astype(np.int64)[pairs % len(cell_uniques)]
    cell_lists = [member_cells[s:e] for s, e in itertools.pairwise(bounds)]

    # the outlines are drawn on other threads while this one tallies months, categories...
    executor = ThreadPoolExecutor(max_workers=_OUTLINE_THREADS, thread_name_prefix="outline")
    try:
        outlined = _outlines(member_cells, bounds, buffer_m=buffer_m, executor=executor)
        monthly = _tally(row_slot, month_pos, n_spots + 1, n_months, None)[1:]
        trend = mann_kendall(monthly, alpha=alpha, slope=slopes)
        month_names = [
            f"{(first_number + i) // 12:04d}-{(first_number + i) % 12 + 1:02d}"
            for i in range(n_months)
        ]
        seen = monthly > 0
        first_month = [month_names[i] for i in seen.argmax(axis=1)]
        last_month = [month_names[n_months - 1 - i] for i in seen[:, ::-1].argmax(axis=1)]
        by_month = [dict(zip(month_names, row, strict=True)) for row in monthly.tolist()]

        category_codes, names = _sorted_codes(located["category"], "unknown")
        n_cat = len(names)
        by_cat = _tally(row_slot, category_codes, n_spots + 1, n_cat, None)[1:]
        cat_order = np.argsort(-by_cat, axis=1, kind="stable")  # most first, then by name
        by_category = [
            {names[c]: int(row[c]) for c in cols if row[c] > 0}
            for row, cols in zip(by_cat.tolist(), cat_order.tolist(), strict=True)
        ]

        districts: list[list[str]] = [[] for _ in range(n_spots)]
        if "district_code" in located.columns:
            d_codes, d_names = _sorted_codes(located["district_code"], "")
            touched = _tally(row_slot, d_codes, n_spots + 1, len(d_names), None)[1:]
            spots, which = np.nonzero(touched)  # by hotspot, then district code
            for spot, code in zip(spots.tolist(), which.tolist(), strict=True):
                if d_names[code]:
                    districts[spot].append(d_names[code])

        keys = (
            pd.to_numeric(located["record_key"], errors="coerce").fillna(0).to_numpy()
            if "record_key" in located.columns
            else None
        )
        matrices = _profile_matrices(located, row_slot, n_spots, keys)
        profiles, profile_keys = _profile_dicts(matrices, n_spots)
        if keys is not None:
            key_total = _tally(row_slot, np.zeros(len(row_slot), np.int32), n_spots + 1, 1, keys)[
                1:, 0
            ]
            key_month = _tally(row_slot, month_pos, n_spots + 1, n_months, keys)[1:]
            key_cat = _tally(row_slot, category_codes, n_spots + 1, n_cat, keys)[1:]
            key_sums: list[dict[str, Any]] = [
                {
                    "n_incidents": int(key_total[i]),
                    "by_month": month_keys,
                    "by_category": category_keys,
                    "profiles": profile_keys[i],
                }
                for i, (month_keys, category_keys) in enumerate(
                    zip(
                        _row_dicts(monthly > 0, key_month, month_names),
                        _row_dicts(by_cat > 0, key_cat, names),
                        strict=True,
                    )
                )
            ]
        else:
            key_sums = [{} for _ in range(n_spots)]
        del row_slot, month_pos, category_codes

        outlines, area, centroids = outlined()
    finally:
        executor.shutdown(cancel_futures=True)
    centroid_lon, centroid_lat = centroids[:, 0], centroids[:, 1]

    result = gpd.GeoDataFrame(
        {
            "label": order.astype(np.int64),
            "n_incidents": counts.astype(np.int64),
            "n_locations": n_locations.astype(np.int64),
            "centroid_lat": centroid_lat,
            "centroid_lon": centroid_lon,
            "area_m2": area,
            "districts": districts,
            "first_month": first_month,
            "last_month": last_month,
            "by_category": by_category,
            "by_month": by_month,
            "cells": cell_lists,
            "trend_direction": trend["direction"].to_numpy(),
            "trend_p": trend["p"].to_numpy(),
            "trend_tau": trend["tau"].to_numpy(),
            "trend_slope": trend["slope"].to_numpy(),
            "profiles": profiles,
            "key_sums": key_sums,
            "eps_m": float(eps_m),
            "min_samples": int(min_samples),
            "cell_res": int(cell_res),
            "buffer_m": float(buffer_m),
        },
        geometry=gpd.GeoSeries(outlines, crs=_WGS84),
    )
    result.attrs["parameters"] = parameters
    return result
