"""The one incident filter every map, hotspot run, table and export understands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import pandas as pd

from geo.labels import district_label, flag_label

__all__ = ["IncidentFilter"]


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents a question is about. Empty tuples mean "all".

    Attributes
    ----------
    start_month, end_month
        First and last month included (first day of the month), or ``None`` for open ends.
    kinds, categories, flags, age_bands, districts
        Allowed values; an incident matches ``flags`` when it carries *any* of them.
    """

    start_month: dt.date | None = None
    end_month: dt.date | None = None
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    districts: tuple[str, ...] = field(default=())

    def key(self) -> tuple[object, ...]:
        """Return a hashable, stable key for caches."""
        return tuple(sorted(asdict(self).items()))

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """Say the filter in words, for captions and exports (districts by ``names`` if given).

        Examples
        --------
        >>> IncidentFilter(kinds=("found_at",), flags=("cce",), districts=("X1",)).describe(
        ...     {"X1": "Ashby"})
        'kinds: found at; flags: child criminal exploitation; districts: Ashby'
        """
        names = names or {}
        parts = []
        if self.start_month or self.end_month:
            start = self.start_month.strftime("%b %Y") if self.start_month else "the start"
            end = self.end_month.strftime("%b %Y") if self.end_month else "the latest month"
            parts.append(f"{start} to {end}")
        for label, values in (
            ("kinds", [k.replace("_", " ") for k in self.kinds]),
            ("categories", list(self.categories)),
            ("flags", [flag_label(f) for f in self.flags]),
            ("ages", list(self.age_bands)),
            ("districts", [district_label(d, names) for d in self.districts]),
        ):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        return "; ".join(parts) or "all incidents"

    def apply(self, incidents: pd.DataFrame) -> pd.DataFrame:
        """Return the rows of an incident frame that match (vectorised).

        Examples
        --------
        >>> frame = pd.DataFrame({"kind": ["incident", "missing_from"], "category": ["Drugs"] * 2,
        ...                       "month": pd.to_datetime(["2025-01-01", "2025-03-01"]),
        ...                       "flags": [",cse,", ""], "age_band": [None, None],
        ...                       "district_code": ["A", "B"]})
        >>> len(IncidentFilter(flags=("cse",)).apply(frame))
        1
        """
        mask = pd.Series(True, index=incidents.index)
        month = pd.to_datetime(incidents["month"])
        if self.start_month:
            mask &= month >= pd.Timestamp(self.start_month)
        if self.end_month:
            mask &= month <= pd.Timestamp(self.end_month)
        for column, values in (
            ("kind", self.kinds),
            ("category", self.categories),
            ("age_band", self.age_bands),
            ("district_code", self.districts),
        ):
            if values:
                mask &= incidents[column].isin(values)
        if self.flags:
            flags = incidents["flags"].fillna("").astype(str)
            any_flag = pd.Series(False, index=incidents.index)
            for flag in self.flags:
                any_flag |= flags.str.contains(f",{flag},", regex=False)
            mask &= any_flag
        return incidents[mask]
