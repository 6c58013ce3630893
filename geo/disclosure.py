"""Disclosure control, in one place: every map layer, table, tooltip, chart and export uses it.

Rules (also in the README):

1. **Small counts.** A count from 1 to ``threshold - 1`` is never shown: it reads "fewer than N"
   (or the profile's symbol, ``c`` for publication). Zero is shown as 0.
2. **Rounding against differencing.** Every count that is shown is rounded to the nearest
   ``rounding`` (5 by default). Subtracting two shown numbers (a district total minus its visible
   cells, or one filter from an overlapping one) then leaves at least ±4 of doubt, so a small
   count can never be worked out exactly.
3. **Complementary suppression.** Within a group whose total is shown elsewhere (a district), a
   lone suppressed cell is joined by the next-smallest cell, so no total minus visible cells
   isolates it.
4. **Sensitive kinds.** Missing-from locations are never mapped finer than ``coarse_res``
   (H3 resolution 7, about 5 km²) whatever resolution the user picks, with a note saying so.

Profiles: ``internal`` (threshold from settings, default 5, never below 3) and ``publication``
(threshold 10, rounding to 5, DfE symbols ``c`` suppressed and ``z`` not applicable).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.schema import SENSITIVE_KINDS

__all__ = [
    "INTERNAL",
    "PUBLICATION",
    "DisclosureProfile",
    "effective_resolution",
    "get_profile",
    "parse_profile",
    "protect_counts",
    "protect_outcomes",
    "shown_count",
]


@dataclass(frozen=True)
class DisclosureProfile:
    """How numbers are protected before anyone sees them."""

    name: str = "internal"
    threshold: int = 5
    rounding: int = 5
    symbol: str | None = None  # None: "fewer than N"
    not_applicable: str = "z"
    coarse_res: int = 7

    def __post_init__(self) -> None:
        if self.threshold < 3:
            msg = f"the suppression threshold is never below 3 (got {self.threshold})"
            raise InputError(msg)
        if self.rounding < 1:
            msg = "rounding base must be 1 or more"
            raise InputError(msg)

    @property
    def suppressed_label(self) -> str:
        """What a suppressed count reads as."""
        return self.symbol or f"fewer than {self.threshold}"

    def describe(self) -> str:
        """One line for legends, captions and export headers."""
        rounding = (
            f"; other counts rounded to the nearest {self.rounding}" if self.rounding > 1 else ""
        )
        return (
            f"{self.name} disclosure profile: counts below {self.threshold} shown as "
            f"'{self.suppressed_label}'{rounding}; missing-from locations no finer than "
            f"H3 resolution {self.coarse_res}"
        )


INTERNAL: Final = DisclosureProfile()
PUBLICATION: Final = DisclosureProfile(name="publication", threshold=10, rounding=5, symbol="c")


def parse_profile(text: str, *, name: str = "custom") -> DisclosureProfile:
    """Build a profile from ``"threshold=7,rounding=5,symbol=*"`` (an administrator's setting).

    Examples
    --------
    >>> parse_profile("threshold=7, rounding=10, symbol=*").suppressed_label
    '*'
    """
    values: dict[str, object] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if key in {"threshold", "rounding", "coarse_res"} and value.isdigit():
            values[key] = int(value)
        elif key in {"symbol", "not_applicable"} and value:
            values[key] = value
        else:
            msg = f"cannot read {part!r} in the custom disclosure profile (e.g. threshold=7)"
            raise InputError(msg)
    return replace(INTERNAL, name=name, **values)  # type: ignore[arg-type]


def get_profile(
    name: str = "internal", *, threshold: int | None = None, custom: str | None = None
) -> DisclosureProfile:
    """Return a profile by name; ``threshold`` overrides the internal one (admin setting).

    ``custom`` is the administrator's custom profile (see :func:`parse_profile`).
    """
    if name == "internal":
        return replace(INTERNAL, threshold=threshold) if threshold else INTERNAL
    if name == "publication":
        return PUBLICATION
    if name == "custom" and custom:
        return parse_profile(custom)
    msg = f"unknown disclosure profile {name!r}: use internal, publication or custom"
    raise InputError(msg)


def _round(values: np.ndarray, base: int) -> np.ndarray:
    if base <= 1:
        return values
    return (np.floor(values / base + 0.5) * base).astype(np.int64)


def shown_count(count: int | None, profile: DisclosureProfile = INTERNAL) -> str:
    """Return a single count as it may be shown.

    Examples
    --------
    >>> shown_count(3), shown_count(0), shown_count(12), shown_count(7, PUBLICATION)
    ('fewer than 5', '0', '10', 'c')
    """
    if count is None or pd.isna(count):
        return profile.not_applicable
    count = int(count)
    if 0 < count < profile.threshold:
        return profile.suppressed_label
    return str(int(_round(np.array([count]), profile.rounding)[0]))


def protect_counts(
    counts: pd.Series,
    profile: DisclosureProfile = INTERNAL,
    *,
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """Protect a column of counts: ``count`` (shown, or missing), ``suppressed``, ``label``.

    Parameters
    ----------
    counts
        True counts (integers).
    profile
        The disclosure profile.
    groups
        Optional group of each count (e.g. its district) whose total is shown elsewhere: a lone
        suppressed count in a group is joined by the group's next-smallest count.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``counts``: ``count`` (nullable integer: the rounded value, missing when
        suppressed), ``suppressed`` (bool), ``label`` (text to display).

    Examples
    --------
    >>> protect_counts(pd.Series([2, 7, 40, 0]))["label"].tolist()
    ['fewer than 5', '5', '40', '0']
    """
    values = counts.fillna(0).astype("int64").to_numpy()
    suppressed = (values > 0) & (values < profile.threshold)
    if groups is not None:
        frame = pd.DataFrame({"v": values, "s": suppressed, "g": groups.to_numpy()})
        lonely = frame.groupby("g")["s"].transform("sum") == 1
        for group in frame.loc[lonely & frame["s"], "g"].unique():
            members = frame[(frame["g"] == group) & ~frame["s"] & (frame["v"] > 0)]
            if not members.empty:
                suppressed[members["v"].idxmin()] = True
    rounded = _round(values, profile.rounding)
    shown = pd.array(np.where(suppressed, 0, rounded), dtype="Int64")
    shown[suppressed] = pd.NA
    labels = np.where(suppressed, profile.suppressed_label, rounded.astype(str))
    return pd.DataFrame(
        {"count": shown, "suppressed": suppressed, "label": labels}, index=counts.index
    )


def effective_resolution(
    res: int, kinds: tuple[str, ...] | list[str], profile: DisclosureProfile = INTERNAL
) -> tuple[int, str | None]:
    """Return the resolution a map may use for these kinds, and a note when it was coarsened.

    ``kinds`` empty means every kind, sensitive ones included.
    """
    sensitive = SENSITIVE_KINDS & set(kinds) if kinds else SENSITIVE_KINDS
    if sensitive and res > profile.coarse_res:
        note = (
            f"Missing-from locations are never shown finer than H3 resolution "
            f"{profile.coarse_res}: the map uses {profile.coarse_res} instead of {res}."
        )
        return profile.coarse_res, note
    return res, None


def protect_outcomes(frame: pd.DataFrame, profile: DisclosureProfile = INTERNAL) -> pd.DataFrame:
    """Protect before/after outcome rows: counts as labels; no change shown on a small side.

    Expects ``site_before``, ``site_after``, ``rest_before``, ``rest_after`` and the derived
    ``effect``, ``ci_low``, ``ci_high`` (as ``geo.outcomes`` returns them).
    """
    out = frame.copy()
    small = pd.Series(False, index=out.index)
    for column in ("site_before", "site_after", "rest_before", "rest_after"):
        protected = protect_counts(out[column].fillna(0).astype("int64"), profile)
        small |= protected["suppressed"] | (out[column] == 0)
        out[column] = protected["label"]
    for column in ("effect", "ci_low", "ci_high"):
        # Text throughout (two decimals, or the not-applicable symbol): one type to a column.
        values = out[column].astype(float)
        shown = ~small & values.notna()
        out[column] = values.map("{:.2f}".format).where(shown, profile.not_applicable)
    return out
