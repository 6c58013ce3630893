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
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any, Final, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from h3ronpy import vector
from pyproj import Transformer
from sklearn.cluster import DBSCAN

from geo._errors import InputError
from geo.cells import cells_to_parent, points_to_cells
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

    The quantisation makes "the same location" exact: points that project to the same centimetre
    are one location for :func:`label_points`, and DBSCAN on these coordinates is the reference.

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


def _cluster(
    x: np.ndarray,
    y: np.ndarray,
    *,
    eps_m: float,
    min_samples: int,
    n_jobs: int | None,
    metric: Metric = "bng",
    lat: np.ndarray | None = None,
    lon: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Weighted DBSCAN on distinct locations; return per-point labels and the location count."""
    if len(x) == 0:
        return np.empty(0, dtype=np.int64), 0
    xi = np.rint(x / _QUANTUM_M).astype(np.int64)
    yi = np.rint(y / _QUANTUM_M).astype(np.int64)
    key = xi * np.int64(1 << 32) + yi  # injective while |northing| < 21,000 km
    # factorize keeps the order of first appearance: DBSCAN then meets clusters in the same
    # order as on all points, so even border points shared by two clusters get the same label
    codes, uniques = pd.factorize(key, sort=False)
    n_loc = len(uniques)
    first = np.empty(n_loc, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    weight = np.bincount(codes, minlength=n_loc).astype(np.float64)
    if metric == "haversine" and lat is not None and lon is not None:
        coords = np.radians(np.column_stack([lat[first], lon[first]]))
        model = DBSCAN(
            eps=eps_m / EARTH_RADIUS_M,
            min_samples=min_samples,
            metric="haversine",
            algorithm="ball_tree",
            n_jobs=n_jobs,
        )
    else:
        coords = np.column_stack([x[first], y[first]])
        model = DBSCAN(eps=eps_m, min_samples=min_samples, algorithm="kd_tree", n_jobs=n_jobs)
    loc_labels = model.fit(coords, sample_weight=weight).labels_
    return loc_labels[codes].astype(np.int64), n_loc


def label_points(
    incidents: pd.DataFrame,
    *,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
    metric: Metric = "bng",
    n_jobs: int | None = None,
) -> pd.Series:
    """Label every incident with its DBSCAN hotspot, in metres on the British National Grid.

    Distinct locations are clustered once, weighted by how many incidents they hold. With the
    same (1 cm quantised) coordinates this equals scikit-learn's DBSCAN on all points: a location
    is core exactly when each of its duplicates is (same neighbourhood, weights summing to the
    same count), the clusters are the same connected sets of core points, and because locations
    keep the order in which they first appear, clusters are expanded in the same order, so border
    points and label numbers agree too.

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
        x, y = project_to_bng(lat, lon)
        labels[ok], _ = _cluster(
            x,
            y,
            eps_m=eps_m,
            min_samples=int(min_samples),
            n_jobs=n_jobs,
            metric=metric,
            lat=lat,
            lon=lon,
        )
    return pd.Series(labels, index=incidents.index, name="hotspot_label")


def _month_numbers(frame: pd.DataFrame) -> np.ndarray:
    """Months as ``year * 12 + month - 1`` integers (so consecutive months differ by one)."""
    month = frame["month"]
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


def _outlines(
    groups: list[np.ndarray], *, buffer_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of each group's cells, buffered in metres: WGS84 outlines, m² and BNG centroids."""
    parts = []
    for cells in groups:  # one Rust call per hotspot links its cells into polygons
        wkb = vector.cells_to_wkb_polygons(pa.array(cells.view(np.uint64)), link_cells=True)
        polygons = shapely.from_wkb(np.asarray(pa.array(wkb).to_pylist(), dtype=object))
        parts.append(polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons))
    to_bng = _transformer(_WGS84, _BNG)
    projected = shapely.transform(
        np.asarray(parts, dtype=object),
        lambda xy: np.column_stack(to_bng.transform(xy[:, 0], xy[:, 1])),
    )
    if buffer_m > 0:
        projected = shapely.buffer(projected, buffer_m, quad_segs=4)
    to_wgs84 = _transformer(_BNG, _WGS84)
    outlines = shapely.transform(
        projected, lambda xy: np.column_stack(to_wgs84.transform(xy[:, 0], xy[:, 1]))
    )
    return outlines, shapely.area(projected), shapely.centroid(projected)


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
) -> gpd.GeoDataFrame:
    """Find DBSCAN hotspots and describe each one.

    Works on whatever subset the caller filtered (kinds, categories, months, districts, flags).

    Parameters
    ----------
    incidents
        An incident frame (:data:`geo.schema.INCIDENT_COLUMNS`): needs ``lat``, ``lon``,
        ``month`` and ``category``; uses ``h3_cell`` (stored fine cells) and ``district_code``
        when present. Rows without coordinates are ignored.
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

    Returns
    -------
    geopandas.GeoDataFrame
        One row per hotspot (largest first, index 0..n-1) with the columns of
        :data:`HOTSPOT_COLUMNS`: the provisional DBSCAN ``label``; ``n_incidents`` and
        ``n_locations`` (distinct coordinates); the outline's centroid; ``area_m2`` of the
        outline; ``districts`` (sorted list of district codes touched); ``first_month`` and
        ``last_month`` (``YYYY-MM``); ``by_category`` and ``by_month`` (dicts of counts, every
        month of the input's period included, zeros too); ``cells`` (sorted ``int64`` member cells
        at ``cell_res``); the Mann-Kendall trend of monthly counts over the input's whole period
        (``trend_direction``, ``trend_p``, ``trend_tau``, ``trend_slope`` in incidents per
        month); and the parameters used. ``attrs["parameters"]`` repeats them with the input size.

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
    located = incidents.loc[_located(incidents)]
    parameters["n_located"] = len(located)
    if located.empty:
        return _empty_result(parameters)

    lat = located["lat"].to_numpy(dtype=np.float64)
    lon = located["lon"].to_numpy(dtype=np.float64)
    month_numbers = _month_numbers(located)
    first_number = int(month_numbers.min())
    n_months = int(month_numbers.max()) - first_number + 1
    x, y = project_to_bng(lat, lon)
    labels, n_loc = _cluster(
        x,
        y,
        eps_m=eps_m,
        min_samples=int(min_samples),
        n_jobs=n_jobs,
        metric=metric,
        lat=lat,
        lon=lon,
    )
    parameters["n_locations"] = n_loc
    member = labels >= 0
    if not member.any():
        return _empty_result(parameters)

    lab = labels[member]
    if "h3_cell" in located.columns and located["h3_cell"].notna().all():
        fine = located["h3_cell"].to_numpy(dtype=np.int64)[member]
    else:
        fine = points_to_cells(lat[member], lon[member], res=FINE_RES)
    # the fine cell's parent, as for stored cells (H3 parents do not nest points exactly)
    cells = cells_to_parent(fine, cell_res)

    # rank hotspots by size (largest first) and count everything with bincount on ranks
    sizes = np.bincount(lab)
    order = np.argsort(-sizes, kind="stable")
    order = order[sizes[order] > 0]
    n_spots = len(order)
    rank_of = np.empty(len(sizes), dtype=np.int64)
    rank_of[order] = np.arange(n_spots)
    rank = rank_of[lab]
    counts = sizes[order]

    month_pos = month_numbers[member] - first_number
    monthly = np.bincount(rank * n_months + month_pos, minlength=n_spots * n_months).reshape(
        n_spots, n_months
    )
    trend = mann_kendall(monthly, alpha=alpha)
    month_names = [
        f"{(first_number + i) // 12:04d}-{(first_number + i) % 12 + 1:02d}" for i in range(n_months)
    ]
    seen = monthly > 0
    first_month = [month_names[i] for i in seen.argmax(axis=1)]
    last_month = [month_names[n_months - 1 - i] for i in seen[:, ::-1].argmax(axis=1)]
    by_month = [dict(zip(month_names, row, strict=True)) for row in monthly.tolist()]

    category_codes, category_names = pd.factorize(
        located["category"].fillna("unknown").astype("str").to_numpy(dtype=object)[member],
        sort=True,
    )
    n_cat = len(category_names)
    by_cat = np.bincount(rank * n_cat + category_codes, minlength=n_spots * n_cat).reshape(
        n_spots, n_cat
    )
    names = [str(c) for c in category_names]
    cat_order = np.argsort(-by_cat, axis=1, kind="stable")  # most first, then by name
    by_category = [
        {names[c]: int(row[c]) for c in cols if row[c] > 0}
        for row, cols in zip(by_cat.tolist(), cat_order.tolist(), strict=True)
    ]

    loc_key = np.rint(x[member] / _QUANTUM_M).astype(np.int64) * np.int64(1 << 32) + np.rint(
        y[member] / _QUANTUM_M
    ).astype(np.int64)
    loc_codes, loc_uniques = pd.factorize(loc_key)
    loc_pairs = np.unique(rank * len(loc_uniques) + loc_codes)
    n_locations = np.bincount(loc_pairs // len(loc_uniques), minlength=n_spots)

    cell_codes, cell_uniques = pd.factorize(cells, sort=True)
    cell_pairs = np.unique(rank * len(cell_uniques) + cell_codes)  # sorted by rank, then cell
    bounds = np.searchsorted(cell_pairs // len(cell_uniques), np.arange(n_spots + 1))
    member_cells = cell_uniques.astype(np.int64)[cell_pairs % len(cell_uniques)]
    cell_lists = [member_cells[s:e] for s, e in itertools.pairwise(bounds)]

    districts: list[list[str]] = [[] for _ in range(n_spots)]
    if "district_code" in located.columns:
        district = located["district_code"].to_numpy(dtype=object)[member]
        known = pd.notna(district)
        d_codes, d_names = pd.factorize(np.asarray(district[known], dtype=object), sort=True)
        d_pairs = np.unique(rank[known] * max(len(d_names), 1) + d_codes)
        for pair in d_pairs.tolist():
            districts[pair // len(d_names)].append(str(d_names[pair % len(d_names)]))

    outlines, area, centroids_bng = _outlines(cell_lists, buffer_m=buffer_m)
    centroid_lon, centroid_lat = _transformer(_BNG, _WGS84).transform(
        shapely.get_x(centroids_bng), shapely.get_y(centroids_bng)
    )

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
            "eps_m": float(eps_m),
            "min_samples": int(min_samples),
            "cell_res": int(cell_res),
            "buffer_m": float(buffer_m),
        },
        geometry=gpd.GeoSeries(outlines, crs=_WGS84),
    )
    result.attrs["parameters"] = parameters
    return result
