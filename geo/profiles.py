"""Profiles of the incidents in a place: age bands, exploitation flags, hours, weekdays, kinds.

Each hotspot keeps raw counts by these dimensions (``geo.hotspots.find_hotspots``); pages, packs
and exports put them in a fixed order and protect them (``geo.disclosure``) before showing them.
Only what the sources recorded is profiled: police.uk street files have no ages, flags, hours or
dates, partner extracts often do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd

from geo.schema import AGE_BANDS, FLAGS, KINDS

__all__ = [
    "NOT_RECORDED",
    "NO_FLAG",
    "PROFILE_DIMENSIONS",
    "PROFILE_TITLES",
    "WEEKDAYS",
    "ordered_profile",
]

#: Profiles kept per hotspot, in the order they are shown.
PROFILE_DIMENSIONS: Final[tuple[str, ...]] = ("age_band", "flags", "hour", "weekday", "kind")
#: What each profile is called on pages and in exports.
PROFILE_TITLES: Final[dict[str, str]] = {
    "age_band": "Age bands",
    "flags": "Exploitation flags",
    "hour": "Hour of day",
    "weekday": "Day of the week",
    "kind": "Kinds",
}
#: The bucket of incidents whose source did not record a dimension.
NOT_RECORDED: Final[str] = "not recorded"
#: Incidents carrying no exploitation flag, in the ``flags`` profile.
NO_FLAG: Final[str] = "none"
#: Weekday names, Monday first (pandas' ``dayofweek`` 0 to 6).
WEEKDAYS: Final[tuple[str, ...]] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def _order(dim: str) -> list[str]:
    if dim == "hour":
        return [f"{h:02d}" for h in range(24)]
    if dim == "weekday":
        return list(WEEKDAYS)
    if dim == "age_band":
        return list(AGE_BANDS)
    if dim == "flags":
        return [*FLAGS, NO_FLAG]
    return list(KINDS)


def ordered_profile(dim: str, counts: Mapping[str, int]) -> pd.Series:
    """One profile as a Series in its natural order, "not recorded" last.

    Examples
    --------
    >>> ordered_profile("weekday", {"Sunday": 3, "Monday": 1, "not recorded": 2}).to_dict()
    {'Monday': 1, 'Sunday': 3, 'not recorded': 2}
    """
    series = pd.Series(dict(counts), dtype="int64")
    order = _order(dim)
    known = [v for v in order if v in series.index]
    rest = sorted(v for v in series.index if v not in order and v != NOT_RECORDED)
    tail = [NOT_RECORDED] if NOT_RECORDED in series.index else []
    return series.reindex(known + rest + tail)
