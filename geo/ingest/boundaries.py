"""District boundaries from GeoJSON, TopoJSON or GeoPackage, reprojected to WGS84."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from geo._errors import InputError
from geo.ingest.personal import normalise_header

__all__ = ["read_boundaries"]

_CODE_NAMES = (
    "code",
    "area code",
    "lad19cd",
    "lad20cd",
    "lad21cd",
    "lad22cd",
    "lad23cd",
    "lad13cd",
    "lad24cd",
    "ctyua19cd",
    "ons code",
    "gss code",
    "district code",
)
_NAME_NAMES = (
    "name",
    "area name",
    "lad19nm",
    "lad20nm",
    "lad21nm",
    "lad22nm",
    "lad23nm",
    "lad13nm",
    "lad24nm",
    "ctyua19nm",
    "district name",
    "district",
)


def _pick(columns: list[str], wanted: tuple[str, ...], given: str | None, what: str) -> str:
    if given is not None:
        if given not in columns:
            msg = f"no field called {given!r}; the fields are {', '.join(columns)}"
            raise InputError(msg)
        return given
    normalised = {normalise_header(c): c for c in columns}
    for name in wanted:
        if name in normalised:
            return normalised[name]
    suffix = "cd" if what == "code" else "nm"
    candidates = [c for c in columns if c.lower().endswith(suffix)]
    if len(candidates) == 1:
        return candidates[0]
    msg = (
        f"cannot tell which field holds the district {what}; choose one of: "
        f"{', '.join(columns)} (--{what}-field NAME)"
    )
    raise InputError(msg)


def read_boundaries(
    path: Path, *, code_field: str | None = None, name_field: str | None = None
) -> gpd.GeoDataFrame:
    """Read district polygons as ``code``, ``name`` and valid WGS84 ``geometry``.

    A file without a declared CRS is taken as WGS84 when its coordinates are degrees, and as
    British National Grid when they are metres.
    """
    try:
        frame = gpd.read_file(path)
    except Exception as exc:
        msg = f"{path.name} is not a readable GeoJSON, TopoJSON or GeoPackage file ({exc})"
        raise InputError(msg) from exc
    if frame.empty:
        msg = f"{path.name} holds no features"
        raise InputError(msg)
    kinds = set(frame.geometry.dropna().geom_type)
    if not kinds or kinds - {"Polygon", "MultiPolygon"}:
        found = ", ".join(sorted(kinds)) or "no"
        msg = f"{path.name} holds {found} geometries; districts are polygons"
        raise InputError(msg)
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        frame = frame.set_crs(
            4326 if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90 else 27700
        )
    frame = frame.to_crs(4326)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    code = _pick(columns, _CODE_NAMES, code_field, "code")
    name = _pick(columns, _NAME_NAMES, name_field, "name")
    out = gpd.GeoDataFrame(
        {"code": frame[code].astype(str).str.strip(), "name": frame[name].astype(str).str.strip()},
        geometry=shapely.make_valid(frame.geometry.values),
        crs=4326,
    )
    if out["code"].duplicated().any():
        out = out.dissolve(by="code", aggfunc="first").reset_index()
    return out[["code", "name", "geometry"]]
