"""Synthetic incident frames with planted clusters, snapped like police.uk locations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from geo.cells import points_to_cells
from geo.schema import POLICE_UK_CATEGORIES

#: Centre of the synthetic study area (Stafford, in British National Grid metres).
ORIGIN = (392_000.0, 323_000.0)
_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def to_latlon(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TO_WGS84.transform(x, y)
    return np.round(lat, 6), np.round(lon, 6)


def planted_frame(
    centres: list[tuple[float, float]],
    *,
    per_cluster: int | list[int] = 150,
    spread_m: float = 40.0,
    noise: int = 1500,
    box_m: float = 20_000.0,
    months: list[str] | None = None,
    snap_m: float = 15.0,
    seed: int = 0,
    district: str = "E07000197",
) -> pd.DataFrame:
    """Incidents around ``centres`` (metres from :data:`ORIGIN`) plus uniform background noise.

    Points are snapped to a ``snap_m`` grid so many incidents share one location, as police.uk's
    anonymised map points do. Columns follow :data:`geo.schema.INCIDENT_COLUMNS` (the ones the
    hotspot code uses) plus ``cluster`` (index of the planted centre, -1 for noise).
    """
    rng = np.random.default_rng(seed)
    months = months or ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    sizes = [per_cluster] * len(centres) if isinstance(per_cluster, int) else list(per_cluster)
    xs, ys, tags = [], [], []
    for i, ((cx, cy), size) in enumerate(zip(centres, sizes, strict=True)):
        xs.append(ORIGIN[0] + cx + rng.normal(0, spread_m, size))
        ys.append(ORIGIN[1] + cy + rng.normal(0, spread_m, size))
        tags.append(np.full(size, i))
    xs.append(ORIGIN[0] + rng.uniform(-box_m / 2, box_m / 2, noise))
    ys.append(ORIGIN[1] + rng.uniform(-box_m / 2, box_m / 2, noise))
    tags.append(np.full(noise, -1))
    x = np.round(np.concatenate(xs) / snap_m) * snap_m
    y = np.round(np.concatenate(ys) / snap_m) * snap_m
    lat, lon = to_latlon(x, y)
    n = len(x)
    return pd.DataFrame(
        {
            "kind": "incident",
            "category": rng.choice(POLICE_UK_CATEGORIES, n),
            "month": pd.to_datetime(rng.choice(months, n)),
            "lat": lat,
            "lon": lon,
            "h3_cell": points_to_cells(lat, lon),
            "district_code": district,
            "cluster": np.concatenate(tags),
        }
    )
