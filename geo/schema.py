"""The canonical incident schema, the shared taxonomy and the fixed limits every module uses.

One definition of kinds, categories and exploitation flags for the whole partnership: importers
map partner columns onto these names, filters and legends read them from here.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "AGE_BANDS",
    "DEFAULT_EPS_M",
    "DEFAULT_MIN_SAMPLES",
    "DEFAULT_RES",
    "FINE_RES",
    "FLAGS",
    "INCIDENT_COLUMNS",
    "KINDS",
    "POLICE_UK_CATEGORIES",
    "RESOLUTIONS",
    "SAFEGUARDING_CATEGORIES",
    "SENSITIVE_KINDS",
    "UK_BOUNDS",
    "normalise_flags",
]

#: Kinds of record. ``missing_from`` and ``found_at`` are the locations of missing episodes.
KINDS: Final[tuple[str, ...]] = ("incident", "missing_from", "found_at")

#: Kinds never shown finer than the coarse disclosure resolution: the locations of missing
#: episodes (where a child went missing from, and where they were found).
SENSITIVE_KINDS: Final[frozenset[str]] = frozenset({"missing_from", "found_at"})

#: The H3 resolution stored for every incident (edge about 9 m); coarser cells are its parents.
FINE_RES: Final[int] = 12

#: Default map resolution (town scale: cells about 0.74 km², a few streets).
DEFAULT_RES: Final[int] = 8
#: Resolutions the map offers.
RESOLUTIONS: Final[tuple[int, ...]] = (7, 8, 9, 10)

#: DBSCAN neighbourhood radius: about a street block, a small park or a shopping parade.
DEFAULT_EPS_M: Final[float] = 150.0
#: At least ten incidents within ``eps`` of a point over the period make it a core point.
DEFAULT_MIN_SAMPLES: Final[int] = 10

#: Crime types published by data.police.uk street files.
POLICE_UK_CATEGORIES: Final[tuple[str, ...]] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)

#: Safeguarding categories partners record beside police.uk crime types.
SAFEGUARDING_CATEGORIES: Final[tuple[str, ...]] = (
    "Child sexual exploitation",
    "Child criminal exploitation",
    "County lines",
    "Serious youth violence",
    "Missing episode",
)

#: Exploitation indicators (flags) an incident may carry; stored lower-case, comma separated.
FLAGS: Final[dict[str, str]] = {
    "cse": "Child sexual exploitation indicator",
    "cce": "Child criminal exploitation indicator",
    "county_lines": "County lines indicator",
    "weapon": "Weapon involved",
    "drugs": "Drugs involved",
    "gang": "Gang or group association",
    "online": "Online grooming or contact",
}

#: Anonymised age bands (never a date of birth).
AGE_BANDS: Final[tuple[str, ...]] = (
    "0-9",
    "10-12",
    "13-14",
    "15-16",
    "17",
    "18-24",
    "25+",
    "unknown",
)

#: Approximate bounds of the UK and Crown dependencies: (lon_min, lat_min, lon_max, lat_max).
UK_BOUNDS: Final[tuple[float, float, float, float]] = (-8.9, 49.8, 2.1, 61.0)

#: The columns of a normalised incident frame, in order.
INCIDENT_COLUMNS: Final[tuple[str, ...]] = (
    "kind",
    "category",
    "month",
    "date",
    "hour",
    "age_band",
    "flags",
    "lat",
    "lon",
    "h3_cell",
    "district_code",
)


def normalise_flags(text: str | None) -> str:
    """Return flags as a canonical, sorted, comma-wrapped string for storage and ``LIKE`` filters.

    Parameters
    ----------
    text
        Flags separated by commas, semicolons, pipes or spaces; case and surrounding space ignored.

    Returns
    -------
    str
        ``""`` for no flags, otherwise ``",a,b,"`` so ``LIKE '%,a,%'`` matches exactly one flag.

    Examples
    --------
    >>> normalise_flags("Drugs; CSE")
    ',cse,drugs,'
    >>> normalise_flags(None)
    ''
    """
    if not text:
        return ""
    parts = {p.strip().lower().replace(" ", "_").replace("-", "_") for p in _split_flags(text)}
    parts.discard("")
    return "," + ",".join(sorted(parts)) + "," if parts else ""


def _split_flags(text: str) -> list[str]:
    for sep in ";|/":
        text = text.replace(sep, ",")
    return text.split(",")
