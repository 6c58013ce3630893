"""Column mapping, validation and normalisation of incident rows (vectorised).

Every row either becomes a normalised incident (``geo.schema.INCIDENT_COLUMNS`` plus
``source_ref``, ``row_key`` and ``line``) or a rejection with its file line number and a reason.
Whole-file problems (personal data, swapped coordinates, eastings given as longitudes...) raise
:class:`~geo.InputError` with what to do next.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute
import shapely
from pyproj import Transformer

from geo._errors import InputError, PersonalDataError
from geo.cells import points_to_cells
from geo.ingest.personal import (
    PLACE_HEADERS,
    Finding,
    check_headers,
    check_values,
    normalise_header,
)
from geo.ingest.read import POLICE_UK_COLUMNS
from geo.schema import (
    AGE_BANDS,
    FLAGS,
    KINDS,
    POLICE_UK_CATEGORIES,
    SAFEGUARDING_CATEGORIES,
    UK_BOUNDS,
    normalise_flags,
)

__all__ = [
    "FIELDS",
    "REASONS",
    "IncidentNormaliser",
    "SeenCounts",
    "check_coordinates",
    "guess_mapping",
    "hash_reference",
    "row_keys",
]

#: Fields a file can provide, with the column names (normalised) recognised for each.
FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "latitude": ("latitude", "lat", "wgs84 latitude", "y coordinate lat", "lat wgs84"),
    "longitude": ("longitude", "lon", "lng", "long", "wgs84 longitude", "lon wgs84"),
    "easting": ("easting", "eastings", "east", "x", "bng easting", "grid easting", "os x"),
    "northing": ("northing", "northings", "north", "y", "bng northing", "grid northing", "os y"),
    "category": (
        "category",
        "crime type",
        "crime category",
        "offence",
        "offence type",
        "offence category",
        "incident type",
        "type",
        "safeguarding category",
    ),
    "month": ("month", "period", "year month", "incident month", "month of incident"),
    "date": (
        "date",
        "incident date",
        "date of incident",
        "occurred on",
        "occurred",
        "occurrence date",
        "event date",
        "reported date",
        "date reported",
    ),
    "hour": ("hour", "time", "incident time", "time of incident", "hour of day"),
    "age_band": ("age band", "ageband", "age group", "age range", "age", "age at incident"),
    "flags": (
        "flags",
        "flag",
        "indicators",
        "exploitation flags",
        "exploitation indicators",
        "tags",
        "risk indicators",
    ),
    "kind": ("kind", "record type", "record kind", "location type", "episode type"),
    "ref": (
        "crime id",
        "id",
        "ref",
        "reference",
        "incident id",
        "incident ref",
        "record id",
        "occurrence id",
    ),
}

#: Reasons a row can be rejected for (the keys of ``rejected_by_reason``).
REASONS: Final[dict[str, str]] = {
    "no_location": "no location",
    "bad_coordinates": "coordinates are not numbers",
    "off_map": "coordinates off the map (outside the UK)",
    "no_month": "no month or date",
    "bad_month": "unknown month or date",
    "future": "month in the future",
    "early": "month before 2000",
    "date_not_in_month": "date not in the month",
    "no_category": "no category",
    "long_category": "category too long (looks like free text)",
    "bad_kind": "unknown kind",
    "bad_hour": "hour not between 0 and 23",
    "bad_age": "unknown age band",
    "bad_flag": "unknown flag",
    "outside_districts": "outside your districts",
}

_REASON_TEXT: Final = (None, *REASONS.values())
_REASON_CODE: Final = {key: code for code, key in enumerate(REASONS, start=1)}
_POLICE_UK_MAP: Final = {
    "latitude": "Latitude",
    "longitude": "Longitude",
    "category": "Crime type",
    "month": "Month",
    "ref": "Crime ID",
}
_POLICE_UK_SAFE: Final = frozenset(POLICE_UK_COLUMNS)
_CATEGORY_ALIASES: Final = {
    **{c.lower(): c for c in (*POLICE_UK_CATEGORIES, *SAFEGUARDING_CATEGORIES)},
    "cse": "Child sexual exploitation",
    "cce": "Child criminal exploitation",
    "county lines": "County lines",
    "syv": "Serious youth violence",
    "asb": "Anti-social behaviour",
    "missing": "Missing episode",
}
_DEFAULT_CATEGORY: Final = {"missing_from": "Missing episode", "found_at": "Missing episode"}
#: Months before this are refused (police.uk starts in 2010; partners' records in the 2000s).
_EARLIEST_MONTH: Final = pd.Timestamp("2000-01-01")
#: A date this many years before its row's month is a date of birth, not the incident's date.
_BIRTH_YEARS: Final = 2
_BNG_TO_WGS: Final = Transformer.from_crs(27700, 4326, always_xy=True)


def guess_mapping(columns: list[str]) -> dict[str, str]:
    """Map fields to columns by their (case- and punctuation-insensitive) names.

    Examples
    --------
    >>> guess_mapping(["Lat", "LONG", "Crime_Type", "Month", "Notes"])
    {'latitude': 'Lat', 'longitude': 'LONG', 'category': 'Crime_Type', 'month': 'Month'}
    """
    normalised = {normalise_header(c): c for c in columns}
    mapping: dict[str, str] = {}
    for field_name, aliases in FIELDS.items():
        for alias in aliases:
            if alias in normalised and normalised[alias] not in mapping.values():
                mapping[field_name] = normalised[alias]
                break
    return mapping


def _age_band(values: pd.Series) -> pd.Series:
    """Normalise age bands; exact ages become bands (the exact age is never stored)."""
    text = values.astype("string").str.strip().str.lower()
    text = text.str.replace(r"\s*(to|–|—)\s*", "-", regex=True).str.replace(" ", "", regex=False)
    text = text.replace(
        {
            "under10": "0-9",
            "<10": "0-9",
            "25andover": "25+",
            "over25": "25+",
            "17-17": "17",
            "": pd.NA,
        }
    )
    ages = pd.to_numeric(text, errors="coerce")
    bins = [-1, 9, 12, 14, 16, 17, 24, 200]
    labels = ["0-9", "10-12", "13-14", "15-16", "17", "18-24", "25+"]
    banded = pd.cut(ages, bins=bins, labels=labels).astype("string")
    return banded.where(ages.notna(), text)


@dataclass
class IncidentNormaliser:
    """Turns chunks of a file into normalised incidents and rejected rows.

    Parameters
    ----------
    columns
        The file's header.
    fmt
        ``police_uk``, ``csv``, ``xlsx``, ``geojson`` or ``gpkg``.
    kind
        The kind of every row (``incident``, ``missing_from``, ``found_at``) unless the file has
        a kind column; default ``incident``.
    mapping
        Field → column, overriding what is guessed from the names.
    drop
        Columns discarded unread (not even checked for personal data).
    districts
        District boundaries (``code`` and WGS84 ``geometry``) to assign each point to.
    only_districts
        Reject points outside these district codes.
    today
        For the "month in the future" check.
    ref_key
        The per-install secret: a partner's reference (``ref``, police.uk's ``Crime ID``) is
        stored only as its HMAC-SHA-256 under this key. Without a key no reference is stored.
    """

    columns: list[str]
    fmt: str
    kind: str | None = None
    mapping: dict[str, str] | None = None
    drop: tuple[str, ...] = ()
    districts: gpd.GeoDataFrame | None = None
    only_districts: frozenset[str] | None = None
    today: dt.date = field(default_factory=dt.date.today)
    ref_key: bytes | None = field(default=None, repr=False)
    fields: dict[str, str] = field(init=False)
    _seen: SeenCounts = field(init=False)
    _checked_coordinates: bool = field(init=False, default=False)
    _value_columns: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        unknown_drops = sorted(set(self.drop) - set(self.columns))
        if unknown_drops:
            msg = f"cannot drop {', '.join(unknown_drops)}: no such column in the file"
            raise InputError(msg)
        kept = [c for c in self.columns if c not in self.drop]
        if self.kind is not None and self.kind not in KINDS:
            msg = f"unknown kind {self.kind!r}: use one of {', '.join(KINDS)}"
            raise InputError(msg)
        if self.fmt == "police_uk":
            self.fields = dict(_POLICE_UK_MAP)
            safe: frozenset[str] = _POLICE_UK_SAFE
        else:
            self.fields = guess_mapping(kept)
            safe = frozenset()
        for field_name, column in (self.mapping or {}).items():
            if field_name not in FIELDS:
                msg = f"unknown field {field_name!r} in the mapping; fields: {', '.join(FIELDS)}"
                raise InputError(msg)
            if column not in kept:
                msg = f"the mapping names column {column!r}, which the file does not have"
                raise InputError(msg)
            self.fields[field_name] = column
        mapped = set(self.fields.values())
        # Headers first: refused before a single row is read.
        findings = check_headers(
            [c for c in kept if c not in mapped or c not in self._located_columns()],
            allowed=safe,
        )
        date_column = self.fields.get("date")
        if date_column and "birth" in normalise_header(date_column):
            findings.append(Finding(date_column, "a date of birth"))
        if findings:
            raise _personal_error(findings)
        # Values next: every text column is checked, whatever it is called (police.uk's too),
        # except those parsed as coordinates, months, dates, hours or checked against a list.
        structured = {
            self.fields.get(k)
            for k in (
                "latitude",
                "longitude",
                "easting",
                "northing",
                "month",
                "date",
                "hour",
                "age_band",
                "flags",
                "kind",
            )
        }
        roles: dict[str, str] = {}
        for column in kept:
            if column in structured:
                continue
            if column == self.fields.get("category"):
                roles[column] = "category"
            elif column == self.fields.get("ref"):
                roles[column] = "ref"
            elif normalise_header(column) in PLACE_HEADERS:
                roles[column] = "place"
            else:
                roles[column] = "text"
        self._value_columns = roles
        self._require_fields()
        self._seen = SeenCounts()

    def _located_columns(self) -> set[str]:
        """Columns mapped to coordinates, months and hours: their names say nothing personal."""
        keys = ("latitude", "longitude", "easting", "northing", "month", "hour")
        return {self.fields[k] for k in keys if k in self.fields}

    @property
    def wanted_columns(self) -> list[str]:
        """The columns :meth:`process` reads (mapped fields and those checked for personal data)."""
        wanted = set(self.fields.values()) | set(self._value_columns)
        return [c for c in self.columns if c in wanted]

    def _require_fields(self) -> None:
        f = self.fields
        has_wgs = "latitude" in f and "longitude" in f
        has_bng = "easting" in f and "northing" in f
        missing = []
        if not (has_wgs or has_bng):
            missing.append("a location (latitude and longitude, or easting and northing)")
        if "month" not in f and "date" not in f:
            missing.append("a month or a date")
        if "category" not in f and (self.kind or "incident") not in _DEFAULT_CATEGORY:
            missing.append("a category (crime type)")
        if missing:
            msg = (
                f"cannot find {' and '.join(missing)} among the columns "
                f"({', '.join(self.columns)}). Map them explicitly (e.g. --map latitude=COLUMN)."
            )
            raise InputError(msg)
        if has_wgs and has_bng:
            for key in ("easting", "northing"):
                del f[key]

    def process(self, chunk: pd.DataFrame, *, first_line: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Normalise one chunk; ``first_line`` is the file line of its first row.

        Returns
        -------
        (valid, rejected)
            ``valid`` has the incident columns plus ``source_ref``, ``row_key`` and ``line``;
            ``rejected`` has ``line`` and ``reason``.
        """
        chunk = chunk.reset_index(drop=True)
        lines = np.arange(len(chunk), dtype=np.int64) + first_line
        if self._value_columns:
            findings = check_values(chunk, columns=self._value_columns, first_line=first_line)
            if findings:
                raise _personal_error(findings)
        f = self.fields
        # The first reason each row is rejected for, as an index into _REASON_TEXT (0: none).
        reason = np.zeros(len(chunk), dtype=np.int8)

        def reject(mask: pd.Series | np.ndarray, key: str) -> None:
            if isinstance(mask, pd.Series):
                mask = mask.to_numpy(dtype=bool, na_value=False)
            reason[(reason == 0) & np.asarray(mask, dtype=bool)] = _REASON_CODE[key]

        # Location.
        if "latitude" in f:
            raw_y, raw_x = chunk[f["latitude"]], chunk[f["longitude"]]
        else:
            raw_y, raw_x = chunk[f["northing"]], chunk[f["easting"]]
        x, x_empty = _parse_numbers(raw_x)
        y, y_empty = _parse_numbers(raw_y)
        reject(x_empty | y_empty, "no_location")
        reject(np.isnan(x) | np.isnan(y), "bad_coordinates")
        if "latitude" in f:
            self._check_coordinates(pd.Series(x), pd.Series(y))
            lon, lat = x, y
        else:
            lon, lat = _BNG_TO_WGS.transform(x, y)
        lon_min, lat_min, lon_max, lat_max = UK_BOUNDS
        with np.errstate(invalid="ignore"):
            off = ~((lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max))
        reject(off, "off_map")

        # Month and date. A month column is the incident's month; a date must fall in it. A date
        # before 2000, or years before the month, is a date of birth: the file is refused.
        date = pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[s]")
        month = pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[s]")
        present = pd.Series(False, index=chunk.index)
        if "month" in f:
            text = chunk[f["month"]].astype("string").str.strip()
            month = _parse_months(text).astype("datetime64[s]")
            present |= text.notna() & (text != "")
        if "date" in f:
            text = chunk[f["date"]].astype("string").str.strip()
            date = _parse_dates(text)
            self._check_births(date, month if "month" in f else None, first_line)
            present |= text.notna() & (text != "")
            date_month = date.dt.to_period("M").dt.to_timestamp().astype("datetime64[s]")
            if "month" in f:
                reject(date.notna() & month.notna() & (date_month != month), "date_not_in_month")
                month = month.where(month.notna(), date_month)
            else:
                month = date_month
        reject(~present, "no_month")
        reject(month.isna(), "bad_month")
        this_month = pd.Timestamp(self.today).to_period("M").to_timestamp()
        reject(month > this_month, "future")
        reject(month < _EARLIEST_MONTH, "early")

        # Category.
        if "category" in f:
            category = chunk[f["category"]].astype("string").str.strip()
            uniques = category.dropna().unique()
            category = category.map({u: _canonical_category(u) for u in uniques}).astype("string")
        else:
            category = pd.Series(
                _DEFAULT_CATEGORY[self.kind or "incident"], index=chunk.index, dtype="string"
            )
        reject(category.isna() | (category == ""), "no_category")
        reject(category.str.len() > 120, "long_category")

        # Kind.
        if "kind" in f:
            kind = chunk[f["kind"]].astype("string").str.strip().str.lower()
            kind = kind.str.replace(r"[\s-]+", "_", regex=True).fillna(self.kind or "incident")
            reject(~kind.isin(KINDS), "bad_kind")
        else:
            kind = pd.Series(self.kind or "incident", index=chunk.index, dtype="string")

        # Optional fields.
        hour = pd.Series(pd.NA, index=chunk.index, dtype="Int64")
        if "hour" in f:
            text = chunk[f["hour"]].astype("string").str.strip()
            hour = pd.to_numeric(
                text.str.extract(r"^(\d{1,2})", expand=False), errors="coerce"
            ).astype("Int64")
            given = text.notna() & (text != "")
            reject(given & (hour.isna() | (hour < 0) | (hour > 23)).fillna(True), "bad_hour")
        age = pd.Series(pd.NA, index=chunk.index, dtype="string")
        if "age_band" in f:
            age = _age_band(chunk[f["age_band"]])
            reject(age.notna() & ~age.isin(AGE_BANDS), "bad_age")
        flags = pd.Series("", index=chunk.index, dtype="string")
        if "flags" in f:
            raw = chunk[f["flags"]].astype("string").fillna("")
            uniques = raw.unique()
            canonical = {u: normalise_flags(u) for u in uniques}
            flags = raw.map(canonical).astype("string")
            unknown = {
                u
                for u, c in canonical.items()
                if c and not set(c.strip(",").split(",")) <= set(FLAGS)
            }
            reject(raw.isin(unknown), "bad_flag")

        # District.
        district = pd.Series(pd.NA, index=chunk.index, dtype="string")
        ok = reason == 0
        if self.districts is not None and not self.districts.empty and ok.any():
            district[ok] = _assign_districts(lat[ok], lon[ok], self.districts)
            if self.only_districts:
                reject(ok & ~district.isin(self.only_districts).to_numpy(), "outside_districts")
                ok = reason == 0

        rejected = pd.DataFrame(
            {"line": lines[~ok], "reason": np.asarray(_REASON_TEXT, dtype=object)[reason[~ok]]}
        )
        valid = pd.DataFrame(
            {
                "kind": kind[ok].to_numpy(),
                "category": category[ok].to_numpy(),
                "month": month[ok].dt.date.to_numpy(),
                "date": date[ok].dt.date.to_numpy(),
                "hour": hour[ok].to_numpy(),
                "age_band": age[ok].to_numpy(),
                "flags": flags[ok].to_numpy(),
                "lat": lat[ok],
                "lon": lon[ok],
                "district_code": district[ok].to_numpy(),
                "line": lines[ok],
            }
        )
        valid["date"] = valid["date"].where(pd.notna(valid["date"]), None)
        valid["h3_cell"] = points_to_cells(valid["lat"].to_numpy(), valid["lon"].to_numpy())
        valid["source_ref"] = self._source_refs(chunk, ok)
        valid["row_key"] = self._row_keys(valid)
        return valid, rejected

    def _check_coordinates(self, x: pd.Series, y: pd.Series) -> None:
        """Whole-file checks on the first located rows: swapped axes, grid references."""
        if self._checked_coordinates:
            return
        self._checked_coordinates = check_coordinates(x, y)

    def _check_births(self, date: pd.Series, month: pd.Series | None, first_line: int) -> None:
        """Refuse the file if its date column holds dates of birth."""
        births = date < _EARLIEST_MONTH
        if month is not None:
            births |= date < (month - pd.DateOffset(years=_BIRTH_YEARS))
        births = births.fillna(False).to_numpy(dtype=bool)
        if births.any():
            lines = tuple(int(i) + first_line for i in np.flatnonzero(births)[:1000])
            years = (
                f", or more than {_BIRTH_YEARS} years before the month" if month is not None else ""
            )
            what = f"dates of birth (dates before 2000{years})"
            raise _personal_error([Finding(self.fields["date"], what, lines)])

    def _source_refs(self, chunk: pd.DataFrame, ok: np.ndarray) -> np.ndarray:
        if "ref" not in self.fields or self.ref_key is None:
            return np.full(int(ok.sum()), None, dtype=object)
        refs = chunk[self.fields["ref"]].astype("string").str.strip()[ok]
        keyed_hash = hmac_sha256(self.ref_key)
        keyed = {u: keyed_hash(u.encode("utf-8")) for u in refs.dropna().unique().tolist() if u}
        hashed = refs.astype(object).map(keyed)
        return hashed.where(hashed.notna(), None).to_numpy(dtype=object)

    def _row_keys(self, valid: pd.DataFrame) -> np.ndarray:
        return row_keys(valid, self._seen)


def check_coordinates(x: pd.Series, y: pd.Series, *, what: str = "latitude/longitude") -> bool:
    """Raise when most located rows look like grid references or swapped axes.

    Returns whether there was anything to check (``False`` when no row has both values).
    """
    both = x.notna() & y.notna()
    if both.sum() == 0:
        return False
    xs, ys = x[both], y[both]
    if ((xs.abs() > 180) | (ys.abs() > 90)).mean() > 0.5:
        msg = (
            f"the {what} columns hold values like British National Grid "
            "eastings and northings (hundreds of thousands of metres). Map them as "
            "easting and northing instead (e.g. --map easting=COLUMN --map northing=COLUMN)."
        )
        raise InputError(msg)
    where = "" if what == "latitude/longitude" else f"{what}: "
    lon_min, lat_min, lon_max, lat_max = UK_BOUNDS
    swapped = (ys.between(lon_min, lon_max) & xs.between(lat_min, lat_max)).mean()
    if swapped > 0.5:
        msg = (
            f"{where}latitude and longitude look swapped: the latitude column holds values like "
            "longitudes in the UK (-9 to 2) and the longitude column like latitudes (50 to "
            "61). Map them the other way round (--map latitude=... --map longitude=...)."
        )
        raise InputError(msg)
    return True


def row_keys(valid: pd.DataFrame, seen: SeenCounts | None = None) -> np.ndarray:
    """Return a 64-bit fingerprint per row; identical rows get distinct occurrences.

    ``valid`` has ``kind``, ``category``, ``month``, ``date``, ``source_ref`` (as stored: the
    keyed hash), ``lat`` and ``lon``; ``seen`` carries the counts of earlier chunks of a file.
    """
    if valid.empty:
        return np.empty(0, dtype=np.int64)
    seen = seen if seen is not None else SeenCounts()
    # Each field hashed as its text (NA as ""): keys must not change between versions.
    fields = {name: valid[name] for name in ("kind", "category", "month", "date", "source_ref")}
    fields |= {"lat": valid["lat"].round(6), "lon": valid["lon"].round(6)}
    texts = {n: _hashable_text(v) for n, v in fields.items() if n != "source_ref"}
    # Keyed references are nearly all distinct: hashed as they are (the same hashes), not
    # factorised first, which would hash each of them twice.
    refs = valid["source_ref"].astype(object)
    texts["source_ref"] = refs.where(refs.notna(), "")
    parts = pd.DataFrame({name: texts[name] for name in fields})
    base = pd.util.hash_pandas_object(parts, index=False).to_numpy()
    occurrence = pd.Series(base).groupby(base).cumcount().to_numpy(dtype=np.uint64)
    occurrence += seen.count_and_add(base)
    mixed = pd.util.hash_array(base ^ (occurrence * np.uint64(0x9E3779B97F4A7C15)))
    return mixed.view(np.int64)


class SeenCounts:
    """How many times each base fingerprint was met in earlier chunks (sorted arrays)."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.uint64)
        self.counts = np.empty(0, dtype=np.uint64)

    def count_and_add(self, base: np.ndarray) -> np.ndarray:
        """Return, per value of ``base``, its count so far; then add ``base`` to the counts."""
        uniques, inverse, counts = np.unique(base, return_inverse=True, return_counts=True)
        at = np.searchsorted(self.keys, uniques)
        found = at < len(self.keys)
        found[found] = self.keys[at[found]] == uniques[found]
        before = np.zeros(len(uniques), dtype=np.uint64)
        before[found] = self.counts[at[found]]
        self.counts[at[found]] += counts[found].astype(np.uint64)
        self.keys = np.insert(self.keys, at[~found], uniques[~found])
        self.counts = np.insert(self.counts, at[~found], counts[~found].astype(np.uint64))
        return before[inverse]


def _hashable_text(values: pd.Series) -> pd.Series | pd.Categorical:
    """Return the values as text with NA as "", hashing to what ``astype("string")`` would.

    Columns with few distinct values (months, dates, snapped coordinates) become categoricals
    whose categories alone are turned into text: the same hashes, a fraction of the work.
    """
    if isinstance(values.dtype, pd.StringDtype):
        return values.astype("string").fillna("")
    if values.isna().all():
        return pd.Categorical.from_codes(np.zeros(len(values), dtype=np.int8), categories=[""])
    if values.dtype.kind == "f":  # factorise the bits, so -0.0 keeps its own text
        bits = values.to_numpy(dtype=np.float64).view(np.int64)
        codes, uniques = pd.factorize(bits)
        # repr is the text astype("string") gives a float (shortest round trip), made faster
        floats = uniques.view(np.float64).tolist()
        text = pd.Series(["" if v != v else repr(v) for v in floats], dtype="string")
    else:
        codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
        text = pd.Series(uniques, dtype=object).astype("string")
    return pd.Categorical.from_codes(codes, categories=pd.Index(text.fillna(""), dtype="string"))


def hmac_sha256(key: bytes) -> Callable[[bytes], str]:
    """Return a function giving the HMAC-SHA-256 (hex) of a message under ``key``, for many.

    The same values as ``hmac.new(key, message, hashlib.sha256).hexdigest()`` (RFC 2104), with
    the key's padded inner and outer states computed once instead of for every message: twice
    as fast for millions of short references.

    Examples
    --------
    >>> import hmac
    >>> hmac_sha256(b"k" * 32)(b"AB-123") == hmac.new(b"k" * 32, b"AB-123", "sha256").hexdigest()
    True
    """
    block = hashlib.sha256(key).digest() if len(key) > _SHA256_BLOCK else key
    block = block.ljust(_SHA256_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(message: bytes) -> str:
        first = inner.copy()
        first.update(message)
        second = outer.copy()
        second.update(first.digest())
        return second.hexdigest()

    return digest


_SHA256_BLOCK: Final = 64


def hash_reference(value: str, key: bytes) -> str:
    """Return a partner's reference as stored: its HMAC-SHA-256 under the install's key (hex).

    Without the key a stored hash cannot be matched by hashing guesses (every valid NHS number,
    say), as an unsalted SHA-256 could.

    Examples
    --------
    >>> hash_reference("AB-123", b"k" * 32)[:16]
    'de5386a7f2c1aca9'
    """
    return hmac_sha256(key)(value.encode("utf-8"))


def _personal_error(findings: list[Finding]) -> PersonalDataError:
    columns = sorted({f.column for f in findings})
    described = "; ".join(f.describe() for f in findings)
    msg = (
        f"refused: this file looks like it holds personal data ({described}). Nothing was "
        "stored. Remove those columns from the file, or name them to be discarded unread "
        f"(--drop {' --drop '.join(repr(c) for c in columns)} on the command line, or "
        "'Columns to discard' on the Import page)."
    )
    rows = sorted(row for finding in findings for row in finding.rows())
    return PersonalDataError(msg, columns=columns, rows=rows)


def _parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text to floats (NaN where not a number) and a mask of the blank cells.

    Arrow parses a clean column in one pass; a column with anything odd in it (spaces, words)
    takes pandas' slower, forgiving route.
    """
    text = values.astype("string")
    blank = (text.isna() | (text.str.strip() == "")).to_numpy(dtype=bool, na_value=True)
    try:
        cells = pa.array(text.mask(blank), type=pa.string(), from_pandas=True)
        parsed = pa.compute.cast(cells, pa.float64())
        numbers = parsed.to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, ValueError):
        numbers = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    numbers = np.asarray(numbers, dtype=np.float64).copy()
    numbers[blank] = np.nan
    return numbers, blank


def _canonical_category(value: str) -> str:
    return _CATEGORY_ALIASES.get(re.sub(r"\s+", " ", value).lower(), value)


def _parse_months(text: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(text, format="%Y-%m", errors="coerce")
    rest = parsed.isna() & text.notna()
    if rest.any():
        parsed[rest] = _parse_dates(text[rest]).dt.to_period("M").dt.to_timestamp()
    return parsed


def _parse_dates(text: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    for fmt in (
        "%Y-%m-%d",
        "%Y-%m-%dT%H:%M:%S",
        "%d/%m/%Y",
        "%d/%m/%Y %H:%M",
        "%m/%Y",
        "%b %Y",
        "%B %Y",
        "%Y-%m",
    ):
        rest = out.isna() & text.notna()
        if not rest.any():
            break
        out[rest] = pd.to_datetime(text[rest], format=fmt, errors="coerce")
    return out


def _assign_districts(lat: np.ndarray, lon: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    """District code of each point (first containing polygon), vectorised."""
    codes = np.full(len(lat), None, dtype=object)
    for code, geometry in zip(districts["code"], districts.geometry, strict=True):
        shapely.prepare(geometry)
        inside = shapely.contains_xy(geometry, lon, lat) & (codes == None)  # noqa: E711
        codes[inside] = code
    return codes
