"""Missing episodes: column mapping, validation and keyed hashing of the references (vectorised).

A missing-episode file has one row per episode: an episode reference and a child reference
(hashed here with the installation's key, HMAC-SHA-256, and never kept as given), where the child
went missing from and where they were found (either may be blank; WGS84 or British National
Grid), start and end dates, an age band, and whether a return home interview (RHI) was offered,
accepted and held within 72 hours.

The file is checked whole: personal data refuse it (as for incidents); every bad row is
reported with its line and reason, and the caller stores nothing when any row is bad.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.cells import points_to_cells
from geo.ingest.normalise import (
    _BNG_TO_WGS,
    _age_band,
    _assign_districts,
    _parse_dates,
    _parse_numbers,
    _personal_error,
    check_coordinates,
    hmac_sha256,
)
from geo.ingest.personal import Finding, check_headers, check_values, normalise_header
from geo.schema import AGE_BANDS, UK_BOUNDS

__all__ = [
    "EPISODE_COLUMNS",
    "EPISODE_FIELDS",
    "EPISODE_REASONS",
    "EpisodeNormaliser",
    "guess_episode_mapping",
    "keyed_hash",
]

_POINT_ALIASES: Final = {
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
    "easting": ("easting", "east", "x"),
    "northing": ("northing", "north", "y"),
}


def _point_fields(prefix: str, words: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {
        f"{prefix}_{axis}": tuple(f"{w} {a}" for w in words for a in aliases)
        for axis, aliases in _POINT_ALIASES.items()
    }


#: Fields an episode file can provide, with the (normalised) column names recognised for each.
EPISODE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "episode_ref": (
        "episode ref",
        "episode reference",
        "episode id",
        "episode number",
        "episode no",
        "missing episode ref",
        "missing episode id",
        "episode",
    ),
    "child_ref": (
        "child ref",
        "child reference",
        "child id",
        "young person ref",
        "yp ref",
        "person ref",
        "person reference",
        "subject ref",
        "child",
    ),
    **_point_fields("from", ("missing from", "from", "went missing from")),
    **_point_fields("found", ("found at", "found", "located at", "return")),
    "start_date": (
        "start date",
        "missing date",
        "date missing",
        "reported missing",
        "missing from date",
        "start",
        "date",
    ),
    "end_date": ("end date", "found date", "date found", "return date", "returned", "end"),
    "age_band": ("age band", "ageband", "age group", "age range", "age"),
    "rhi_offered": (
        "rhi offered",
        "return home interview offered",
        "interview offered",
        "offered",
    ),
    "rhi_accepted": (
        "rhi accepted",
        "return home interview accepted",
        "interview accepted",
        "accepted",
    ),
    "rhi_within_72h": (
        "rhi within 72h",
        "rhi within 72 hours",
        "rhi in 72h",
        "rhi 72h",
        "rhi 72 hours",
        "return home interview within 72 hours",
        "within 72 hours",
        "within 72h",
    ),
}

#: Why an episode row can be rejected.
EPISODE_REASONS: Final[dict[str, str]] = {
    "no_episode_ref": "no episode reference",
    "repeated_episode_ref": "episode reference repeated in the file",
    "no_child_ref": "no child reference",
    "half_location": "only one coordinate of a point",
    "bad_coordinates": "coordinates are not numbers",
    "off_map": "coordinates off the map (outside the UK)",
    "no_start": "no start date",
    "bad_start": "unknown start date",
    "bad_end": "unknown end date",
    "future": "start date in the future",
    "end_before_start": "end date before the start date",
    "bad_age": "unknown age band",
    "bad_yes_no": "return home interview answer is not yes or no",
    "accepted_not_offered": "interview accepted but not offered",
    "within_not_accepted": "interview within 72 hours but not accepted",
}
_REASON_TEXT: Final = (None, *EPISODE_REASONS.values())
_REASON_CODE: Final = {key: code for code, key in enumerate(EPISODE_REASONS, start=1)}

#: Columns of a normalised episode frame (plus ``line``).
EPISODE_COLUMNS: Final[tuple[str, ...]] = (
    "episode_key",
    "child_key",
    "from_lat",
    "from_lon",
    "from_cell",
    "from_district",
    "found_lat",
    "found_lon",
    "found_cell",
    "found_district",
    "start_date",
    "end_date",
    "month",
    "age_band",
    "rhi_offered",
    "rhi_accepted",
    "rhi_within_72h",
)

_YES: Final = frozenset({"yes", "y", "true", "t", "1", "offered", "accepted"})
_NO: Final = frozenset({"no", "n", "false", "f", "0", "declined", "not offered"})


def keyed_hash(values: pd.Series, *, key: bytes, purpose: str) -> pd.Series:
    """HMAC-SHA-256 of each (stripped) reference, as 64 hex digits; blank stays missing.

    ``purpose`` separates the hashes of different references (an episode and a child with the
    same reference text get different keys).

    Examples
    --------
    >>> keyed_hash(pd.Series(["A1", None, "A1"]), key=b"k" * 32, purpose="child").str[:12].tolist()
    ['1e52f2c25582', <NA>, '1e52f2c25582']
    """
    text = values.astype("string").str.strip()
    text = text.where(text != "")
    uniques = text.dropna().unique()
    prefix = f"{purpose}:".encode()
    keyed_hash = hmac_sha256(key)
    digests = {u: keyed_hash(prefix + u.encode()) for u in uniques}
    return text.map(digests).astype("string")


def guess_episode_mapping(columns: list[str]) -> dict[str, str]:
    """Map episode fields to columns by their (case- and punctuation-insensitive) names.

    Examples
    --------
    >>> guess_episode_mapping(["Episode ID", "Child Ref", "Missing from lat", "Start date"])
    {'episode_ref': 'Episode ID', 'child_ref': 'Child Ref', 'from_latitude': 'Missing from lat', 'start_date': 'Start date'}
    """  # noqa: E501
    normalised = {normalise_header(c): c for c in columns}
    mapping: dict[str, str] = {}
    for field_name, aliases in EPISODE_FIELDS.items():
        for alias in aliases:
            if alias in normalised and normalised[alias] not in mapping.values():
                mapping[field_name] = normalised[alias]
                break
    return mapping


def _yes_no(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Yes/no text to a nullable boolean, and a mask of the answers that are neither."""
    text = values.astype("string").str.strip().str.lower()
    blank = text.isna() | (text == "")
    yes = text.isin(_YES)
    no = text.isin(_NO)
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[yes.fillna(False)] = True
    out[no.fillna(False)] = False
    bad = (~blank & ~yes & ~no).to_numpy(dtype=bool, na_value=False)
    return out, bad


@dataclass
class EpisodeNormaliser:
    """Turns chunks of an episode file into normalised, hashed episodes and rejected lines.

    Parameters
    ----------
    columns
        The file's header.
    key
        The installation's secret (``assessments.settings.install_secret()``).
    mapping
        Field → column, overriding what is guessed from the names.
    drop
        Columns discarded unread (not even checked for personal data).
    districts
        District boundaries (``code`` and WGS84 ``geometry``) to assign each point to.
    today
        For the "start date in the future" check.
    """

    columns: list[str]
    key: bytes
    mapping: dict[str, str] | None = None
    drop: tuple[str, ...] = ()
    districts: gpd.GeoDataFrame | None = None
    today: dt.date = field(default_factory=dt.date.today)
    fields: dict[str, str] = field(init=False)
    _value_columns: list[str] = field(init=False)
    _narrative_columns: list[str] = field(init=False)
    _checked: set[str] = field(init=False, default_factory=set)
    _seen_refs: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.drop) - set(self.columns))
        if unknown:
            msg = f"cannot drop {', '.join(unknown)}: no such column in the file"
            raise InputError(msg)
        kept = [c for c in self.columns if c not in self.drop]
        self.fields = guess_episode_mapping(kept)
        for field_name, column in (self.mapping or {}).items():
            if field_name not in EPISODE_FIELDS:
                msg = (
                    f"unknown field {field_name!r} in the mapping; fields: "
                    f"{', '.join(EPISODE_FIELDS)}"
                )
                raise InputError(msg)
            if column not in kept:
                msg = f"the mapping names column {column!r}, which the file does not have"
                raise InputError(msg)
            self.fields[field_name] = column
        mapped = set(self.fields.values())
        # The two references are hashed, never stored: their headers may say "child id".
        findings = check_headers([c for c in kept if c not in mapped])
        for date_field in ("start_date", "end_date"):
            date_column = self.fields.get(date_field)
            if date_column and "birth" in normalise_header(date_column):
                findings.append(Finding(date_column, "a date of birth"))
        if findings:
            raise _personal_error(findings)
        numeric = {
            self.fields.get(f)
            for f in EPISODE_FIELDS
            if f.startswith(("from_", "found_")) or f.endswith("_date")
        }
        self._value_columns = [c for c in kept if c not in numeric]
        self._narrative_columns = [c for c in kept if c not in mapped]
        self._require_fields()

    def _require_fields(self) -> None:
        f = self.fields
        missing = [
            words
            for name, words in (
                ("episode_ref", "an episode reference"),
                ("child_ref", "a child reference"),
                ("start_date", "a start date"),
            )
            if name not in f
        ]
        if missing:
            msg = (
                f"cannot find {' and '.join(missing)} among the columns "
                f"({', '.join(self.columns)}). Map them explicitly (e.g. --map "
                "child_ref=COLUMN)."
            )
            raise InputError(msg)
        for prefix in ("from", "found"):
            wgs = f"{prefix}_latitude" in f and f"{prefix}_longitude" in f
            bng = f"{prefix}_easting" in f and f"{prefix}_northing" in f
            if wgs and bng:
                del f[f"{prefix}_easting"], f[f"{prefix}_northing"]

    @property
    def wanted_columns(self) -> list[str]:
        """The columns :meth:`process` reads."""
        wanted = set(self.fields.values()) | set(self._value_columns)
        return [c for c in self.columns if c in wanted]

    def process(self, chunk: pd.DataFrame, *, first_line: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Normalise one chunk; ``first_line`` is the file line of its first row.

        Returns
        -------
        (valid, rejected)
            ``valid`` has :data:`EPISODE_COLUMNS` plus ``line``; ``rejected`` has ``line`` and
            ``reason``.
        """
        chunk = chunk.reset_index(drop=True)
        n = len(chunk)
        lines = np.arange(n, dtype=np.int64) + first_line
        if self._value_columns:
            findings = check_values(
                chunk,
                columns=self._value_columns,
                first_line=first_line,
                narrative_columns=self._narrative_columns,
            )
            if findings:
                raise _personal_error(findings)
        f = self.fields
        reason = np.zeros(n, dtype=np.int8)

        def reject(mask: pd.Series | np.ndarray, key: str) -> None:
            if isinstance(mask, pd.Series):
                mask = mask.to_numpy(dtype=bool, na_value=False)
            reason[(reason == 0) & np.asarray(mask, dtype=bool)] = _REASON_CODE[key]

        # References, hashed at once: the text goes no further than this function.
        episode = keyed_hash(chunk[f["episode_ref"]], key=self.key, purpose="episode")
        child = keyed_hash(chunk[f["child_ref"]], key=self.key, purpose="child")
        reject(episode.isna(), "no_episode_ref")
        repeated = episode.duplicated(keep="first") | episode.isin(self._seen_refs)
        reject(episode.notna() & repeated, "repeated_episode_ref")
        self._seen_refs.update(episode.dropna().tolist())
        reject(child.isna(), "no_child_ref")

        points = {}
        for prefix in ("from", "found"):
            lat, lon, located = self._point(chunk, prefix, reject)
            points[prefix] = (lat, lon, located)

        start = pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[s]")
        text = chunk[f["start_date"]].astype("string").str.strip()
        start = _parse_dates(text)
        given = text.notna() & (text != "")
        reject(~given, "no_start")
        reject(start.isna(), "bad_start")
        end = pd.Series(pd.NaT, index=chunk.index, dtype="datetime64[s]")
        if "end_date" in f:
            text = chunk[f["end_date"]].astype("string").str.strip()
            end = _parse_dates(text)
            reject((text.notna() & (text != "")) & end.isna(), "bad_end")
        reject(start > pd.Timestamp(self.today), "future")
        reject(end.notna() & (end < start), "end_before_start")

        age = pd.Series(pd.NA, index=chunk.index, dtype="string")
        if "age_band" in f:
            age = _age_band(chunk[f["age_band"]])
            reject(age.notna() & ~age.isin(AGE_BANDS), "bad_age")
        answers = {}
        for name in ("rhi_offered", "rhi_accepted", "rhi_within_72h"):
            if name in f:
                value, bad = _yes_no(chunk[f[name]])
                reject(bad, "bad_yes_no")
            else:
                value = pd.Series(pd.NA, index=chunk.index, dtype="boolean")
            answers[name] = value
        reject(
            (answers["rhi_accepted"] == True) & (answers["rhi_offered"] == False),  # noqa: E712
            "accepted_not_offered",
        )
        reject(
            (answers["rhi_within_72h"] == True) & (answers["rhi_accepted"] == False),  # noqa: E712
            "within_not_accepted",
        )

        ok = reason == 0
        out: dict[str, object] = {
            "episode_key": episode[ok].to_numpy(dtype=object),
            "child_key": child[ok].to_numpy(dtype=object),
        }
        for prefix, (lat, lon, located) in points.items():
            here = located & ok
            lat_ok, lon_ok = lat[ok], lon[ok]
            cells = np.zeros(int(ok.sum()), dtype=np.int64)
            has = here[ok]
            if has.any():
                cells[has] = points_to_cells(lat_ok[has], lon_ok[has])
            district = np.full(int(ok.sum()), None, dtype=object)
            if self.districts is not None and not self.districts.empty and has.any():
                district[has] = _assign_districts(lat_ok[has], lon_ok[has], self.districts)
            out[f"{prefix}_lat"] = np.where(has, lat_ok, np.nan)
            out[f"{prefix}_lon"] = np.where(has, lon_ok, np.nan)
            out[f"{prefix}_cell"] = pd.array(np.where(has, cells, 0), dtype="Int64")
            out[f"{prefix}_cell"][~has] = pd.NA  # type: ignore[index]
            out[f"{prefix}_district"] = district
        out["start_date"] = start[ok].dt.date.to_numpy()
        end_ok = end[ok]
        out["end_date"] = np.where(end_ok.notna(), end_ok.dt.date, None)
        out["month"] = start[ok].dt.to_period("M").dt.to_timestamp().dt.date.to_numpy()
        out["age_band"] = age[ok].astype(object).where(age[ok].notna(), None).to_numpy()
        for name, value in answers.items():
            out[name] = value[ok].astype(object).where(value[ok].notna(), None).to_numpy()
        out["line"] = lines[ok]
        valid = pd.DataFrame(out)
        rejected = pd.DataFrame(
            {"line": lines[~ok], "reason": np.asarray(_REASON_TEXT, dtype=object)[reason[~ok]]}
        )
        return valid, rejected

    def _point(
        self, chunk: pd.DataFrame, prefix: str, reject: object
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return latitude, longitude and a "located" mask for one of the two points."""
        f = self.fields
        n = len(chunk)
        if f"{prefix}_latitude" in f and f"{prefix}_longitude" in f:
            raw_y, raw_x = chunk[f[f"{prefix}_latitude"]], chunk[f[f"{prefix}_longitude"]]
            wgs = True
        elif f"{prefix}_easting" in f and f"{prefix}_northing" in f:
            raw_y, raw_x = chunk[f[f"{prefix}_northing"]], chunk[f[f"{prefix}_easting"]]
            wgs = False
        else:
            nothing = np.full(n, np.nan)
            return nothing, nothing.copy(), np.zeros(n, dtype=bool)
        x, x_blank = _parse_numbers(raw_x)
        y, y_blank = _parse_numbers(raw_y)
        reject(x_blank != y_blank, "half_location")  # type: ignore[operator]
        given = ~x_blank & ~y_blank
        bad = given & (np.isnan(x) | np.isnan(y))
        reject(bad, "bad_coordinates")  # type: ignore[operator]
        what = "missing-from" if prefix == "from" else "found-at"
        if wgs:
            if prefix not in self._checked and check_coordinates(
                pd.Series(x[given & ~bad]), pd.Series(y[given & ~bad]), what=f"{what} point"
            ):
                self._checked.add(prefix)
            lon, lat = x, y
        else:
            lon, lat = _BNG_TO_WGS.transform(x, y)
            lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        lon_min, lat_min, lon_max, lat_max = UK_BOUNDS
        with np.errstate(invalid="ignore"):
            inside = (lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max)
        reject(given & ~bad & ~inside, "off_map")  # type: ignore[operator]
        located = given & ~bad & inside
        return lat, lon, located
