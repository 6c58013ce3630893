"""Vectorised H3 indexing and cell arithmetic on 64-bit integer cells.

Cells are stored as signed 64-bit integers (an H3 index never sets the top bit), so the same
numbers work in numpy, SQLite and PostgreSQL. A coarser cell is derived from the stored fine cell
with two bit operations, in numpy here and in SQL through :func:`parent_sql`.
"""

from __future__ import annotations

from typing import Final

import h3
import numpy as np
from h3ronpy import vector

from geo.schema import FINE_RES

__all__ = [
    "cell_to_str",
    "cells_to_parent",
    "metres_per_degree",
    "parent_masks",
    "parent_sql",
    "points_to_cells",
]

_RES_SHIFT = 52
_RES_MASK = 0xF << _RES_SHIFT


def points_to_cells(lat: np.ndarray, lon: np.ndarray, *, res: int = FINE_RES) -> np.ndarray:
    """Index WGS84 points to H3 cells in one array call.

    Parameters
    ----------
    lat, lon
        Latitudes and longitudes in degrees, same length, no missing values.
    res
        H3 resolution, 0 to 15.

    Returns
    -------
    numpy.ndarray
        ``int64`` cell ids aligned with the input.

    Examples
    --------
    >>> import numpy as np
    >>> cells = points_to_cells(np.array([52.8067]), np.array([-2.1167]), res=8)
    >>> cell_to_str(cells[0])
    '88195c1a3dfffff'
    """
    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lon = np.ascontiguousarray(lon, dtype=np.float64)
    if len(lat) == 0:
        return np.empty(0, dtype=np.int64)
    cells = np.asarray(vector.coordinates_to_cells(lat, lon, res))
    return cells.astype(np.uint64).view(np.int64)


def parent_masks(res: int) -> tuple[int, int]:
    """Return ``(and_mask, or_mask)`` such that ``(cell & and_mask) | or_mask`` is the parent.

    Both masks are signed 64-bit integers, ready for numpy or an SQL literal.
    """
    if not 0 <= res <= 15:
        msg = f"H3 resolution must be between 0 and 15, not {res}"
        raise ValueError(msg)
    unused = (1 << (3 * (15 - res))) - 1
    and_mask = ~_RES_MASK  # clear the resolution field; unused digits are OR-ed to 7s below
    or_mask = (res << _RES_SHIFT) | unused
    return int(np.int64(and_mask)), int(np.int64(or_mask))


def cells_to_parent(cells: np.ndarray, res: int) -> np.ndarray:
    """Return the parent at ``res`` of every cell (cells must be at ``res`` or finer).

    Examples
    --------
    >>> import h3, numpy as np
    >>> fine = np.array([h3.str_to_int("8c195c1a3c013ff")], dtype=np.int64)
    >>> cell_to_str(cells_to_parent(fine, 8)[0]) == h3.cell_to_parent("8c195c1a3c013ff", 8)
    True
    """
    and_mask, or_mask = parent_masks(res)
    cells = np.asarray(cells, dtype=np.int64)
    return (cells & np.int64(and_mask)) | np.int64(or_mask)


def parent_sql(column: str, res: int) -> str:
    """Return an SQL expression for the parent at ``res`` of an integer cell column.

    Works in SQLite and PostgreSQL (both have 64-bit ``&`` and ``|``). ``column`` must be a
    trusted identifier from code, never user input.
    """
    if not column.replace("_", "").replace(".", "").isalnum():
        msg = f"not a column name: {column!r}"
        raise ValueError(msg)
    and_mask, or_mask = parent_masks(res)
    return f"(({column} & ({and_mask})) | ({or_mask}))"


def cell_to_str(cell: int | np.integer) -> str:
    """Return the hexadecimal H3 string of an integer cell."""
    return h3.int_to_str(int(np.int64(cell).view(np.uint64)))


#: The WGS84 ellipsoid: semi-major axis (metres) and first eccentricity squared.
_WGS84_A: Final[float] = 6_378_137.0
_WGS84_E2: Final[float] = 0.006_694_379_990_14


def metres_per_degree(lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres per degree of longitude and of latitude at each latitude, on the WGS84 ellipsoid.

    A plane scaled by these around a point keeps distances within 0.1% out to 5 km: hotspot
    outlines are buffered on such planes, and a site's duplicate check measures on one.

    Examples
    --------
    >>> per_lon, per_lat = metres_per_degree(np.array([52.8]))
    >>> round(float(per_lon[0])), round(float(per_lat[0]))
    (67447, 111283)
    """
    phi = np.radians(lat)
    w = 1.0 - _WGS84_E2 * np.sin(phi) ** 2
    radian = np.pi / 180.0
    prime_vertical = _WGS84_A / np.sqrt(w)
    meridian = _WGS84_A * (1.0 - _WGS84_E2) / w**1.5
    return prime_vertical * np.cos(phi) * radian, meridian * radian
