"""Disclosure control, in one place: every map layer, table, tooltip, chart and export uses it.

Rules (also in the README):

1. **Small counts.** A count from 1 to ``threshold - 1`` is never shown: it reads "fewer than N"
   (or the profile's symbol, ``c`` for publication). Zero is shown as 0.
2. **Cell key perturbation** (the ABS TableBuilder / ONS Census 2021 cell key method). Every
   stored incident carries a fixed random *record key* (0-255, set at import, never shown). A
   count comes with the sum of its records' keys; its *cell key* is that sum modulo 256, and the
   count shown is ``count + PTABLE[min(count, cap), cell key]`` (:func:`ptable`). The same set of
   records always gets the same noise however the question is phrased (a union of months, of
   categories, a parent hexagon), so repeating or overlapping queries does not average it away,
   and a difference of two shown counts carries the noise of both. The noise is unbiased and
   bounded (``MAX_PERTURBATION``, 3), its expected absolute size ``expected_abs_error()`` (0.84).
   Suppression applies to the perturbed count: a count of ``threshold`` or more that the noise
   takes below the threshold is suppressed too, so "fewer than 5" hides any true count from 1 to
   ``threshold + 2``. Suppressing on the true count alone leaks: four categories each "fewer than
   5" whose union is "fewer than 5" must each hold exactly 1 (the adversary tests found this).
   Counts that have no record keys behind them (a hotspot's incidents from the register) are
   suppressed on the true count and rounded to the nearest ``rounding`` instead.
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
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.schema import SENSITIVE_KINDS

__all__ = [
    "INTERNAL",
    "KEY_RANGE",
    "MAX_PERTURBATION",
    "PTABLE_CAP",
    "PUBLICATION",
    "DisclosureProfile",
    "cell_keys",
    "effective_resolution",
    "expected_abs_error",
    "get_profile",
    "new_record_keys",
    "parse_profile",
    "perturb",
    "protect_counts",
    "protect_outcomes",
    "protected_rate",
    "ptable",
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
        rounding = f"; or rounded to {self.rounding}" if self.rounding > 1 else ""
        return (
            f"{self.name} disclosure profile: counts below {self.threshold} shown as "
            f"'{self.suppressed_label}', other counts perturbed by at most ±{MAX_PERTURBATION} "
            f"(cell key method: mean change about 0.8, the same for the same records{rounding}); "
            f"missing-from locations no finer than H3 resolution {self.coarse_res}"
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


#: Record keys and cell keys run from 0 to ``KEY_RANGE - 1``.
KEY_RANGE: Final = 256
#: Counts from this value up share the last row of the perturbation table.
PTABLE_CAP: Final = 50
#: The largest change the perturbation makes to a count (either way).
MAX_PERTURBATION: Final = 3
#: Probability of each perturbation -3..+3 for a count far from the threshold (ONS-like shape:
#: most counts move by 0 or 1, rarely by 3; the rare extremes are what an intersecting adversary
#: would need, twice over, to pin a small count down).
_NOISE: Final = {-3: 0.02, -2: 0.08, -1: 0.20, 0: 0.40, 1: 0.20, 2: 0.08, 3: 0.02}
#: Fixes the arrangement of each table row (public: the secrecy lies in the record keys).
_PTABLE_SEED: Final = 20261201


def new_record_keys(n: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw ``n`` record keys, uniform on 0..255 (at import; stored, never shown or exported)."""
    rng = rng or np.random.default_rng()
    return rng.integers(0, KEY_RANGE, size=n, dtype=np.int64)


def cell_keys(key_sums: pd.Series | np.ndarray) -> np.ndarray:
    """Cell keys from sums of record keys (``SUM(record_key)`` next to ``COUNT(*)``)."""
    given = np.asarray(key_sums)
    if given.dtype.kind in "iu":  # nothing missing
        return given.astype(np.int64, copy=False) % KEY_RANGE
    return np.asarray(pd.Series(key_sums).fillna(0), dtype=np.int64) % KEY_RANGE


def _row_slots(count: int, threshold: int) -> np.ndarray:
    """Return the 256 perturbations of one table row, sorted (largest-remainder apportionment)."""
    del count, threshold  # every row from the threshold up has the same shape (own order)
    values = np.array(list(_NOISE))
    weights = np.array([_NOISE[int(v)] for v in values])
    exact = weights / weights.sum() * KEY_RANGE
    slots = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - slots), kind="stable")
    slots[order[: KEY_RANGE - int(slots.sum())]] += 1
    return np.repeat(values, slots)


@lru_cache(maxsize=8)
def ptable(threshold: int = 5) -> np.ndarray:
    """Return the perturbation table for a threshold: ``table[min(count, PTABLE_CAP), key]``.

    Row 0 and rows 1 to ``threshold - 1`` hold 0 (zero is shown as 0; small counts are
    suppressed, whatever their key). From the threshold up, each row holds the perturbations
    -3..+3 in the proportions of ``_NOISE`` (unbiased), each row in its own fixed shuffled order
    so that two counts differing by a record of key 0 still get unrelated noise. A count the
    noise takes below the threshold is suppressed by :func:`protect_counts`.

    Examples
    --------
    >>> table = ptable(5)
    >>> table.shape, int(abs(table).max()), int(table[4].any())
    ((51, 256), 3, 0)
    >>> sorted(set(table[5].tolist())) == sorted(set(table[40].tolist())) == list(range(-3, 4))
    True
    """
    rng = np.random.default_rng([_PTABLE_SEED, threshold])
    table = np.zeros((PTABLE_CAP + 1, KEY_RANGE), dtype=np.int64)
    for count in range(threshold, PTABLE_CAP + 1):
        table[count] = rng.permutation(_row_slots(count, threshold))
    table.setflags(write=False)
    return table


def expected_abs_error(threshold: int = 5, count: int = PTABLE_CAP) -> float:
    """Mean absolute perturbation of a count (over cell keys): about 0.84 away from the threshold.

    Examples
    --------
    >>> round(expected_abs_error(), 2)
    0.84
    """
    return float(np.abs(ptable(threshold)[min(count, PTABLE_CAP)]).mean())


def perturb(counts: np.ndarray, keys: np.ndarray, threshold: int = 5) -> np.ndarray:
    """Add the table's perturbation to counts of ``threshold`` or more (others unchanged)."""
    counts = np.asarray(counts, dtype=np.int64)
    rows = np.minimum(counts, PTABLE_CAP)
    noise = ptable(threshold)[rows, cell_keys(keys)]
    return np.where(counts >= threshold, counts + noise, counts)


def shown_count(
    count: int | None, profile: DisclosureProfile = INTERNAL, *, key: int | None = None
) -> str:
    """Return a single count as it may be shown (``key``: the sum of its records' keys).

    Without a key the count is rounded to the profile's ``rounding``.

    Examples
    --------
    >>> shown_count(3), shown_count(0), shown_count(12), shown_count(7, PUBLICATION)
    ('fewer than 5', '0', '10', 'c')
    >>> shown_count(40, key=1000) == str(40 + int(ptable(5)[40, 1000 % 256]))
    True
    """
    if count is None or pd.isna(count):
        return profile.not_applicable
    keys = None if key is None else pd.Series([key])
    return str(protect_counts(pd.Series([int(count)]), profile, keys=keys)["label"].iloc[0])


def protect_counts(
    counts: pd.Series,
    profile: DisclosureProfile = INTERNAL,
    *,
    keys: pd.Series | np.ndarray | None = None,
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """Protect a column of counts: ``count`` (shown, or missing), ``suppressed``, ``label``.

    Parameters
    ----------
    counts
        True counts (integers).
    profile
        The disclosure profile.
    keys
        The sum of the record keys behind each count (``SUM(record_key)`` computed in the same
        ``GROUP BY`` as the count; sums add up when counts are added). With keys, each count of
        ``threshold`` or more is perturbed by the cell key method and suppressed when the
        perturbed count is below the threshold; without, it is rounded (as is a count whose
        key is missing: one kept before record keys were).
    groups
        Optional group of each count (e.g. its district) whose total is shown elsewhere: a lone
        suppressed count in a group is joined by the group's next-smallest count.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``counts``: ``count`` (nullable integer: the value shown, missing when
        suppressed), ``suppressed`` (bool), ``label`` (text to display).

    Examples
    --------
    >>> protect_counts(pd.Series([2, 7, 40, 0]))["label"].tolist()
    ['fewer than 5', '5', '40', '0']
    >>> table = ptable(5)
    >>> shown = protect_counts(pd.Series([2, 40, 90]), keys=pd.Series([9, 300, 77]))["count"]
    >>> shown.tolist() == [pd.NA, 40 + table[40, 44], 90 + table[50, 77]]
    True
    """
    values = counts.fillna(0).astype("int64").to_numpy()
    if keys is None:
        rounded = _round(values, profile.rounding)
        suppressed = (values > 0) & (values < profile.threshold)
    else:  # suppressed on the perturbed count: see rule 2 in the module's docstring
        given = np.asarray(keys)
        if given.dtype.kind in "iu":  # key sums from a GROUP BY: every count has one
            key_values, known = given, None
        else:  # objects or floats: a missing key sum reads NaN
            key_values = pd.to_numeric(pd.Series(np.asarray(keys, dtype=object)), errors="coerce")
            known = key_values.notna().to_numpy()
            if known.all():
                key_values, known = key_values.to_numpy(dtype=np.int64), None
        if known is None:
            rounded = perturb(values, key_values, profile.threshold)
            suppressed = (values > 0) & (rounded < profile.threshold)
        else:  # a count kept without its key sum (stored before keys were): rounded
            rounded = _round(values, profile.rounding).copy()
            rounded[known] = perturb(
                values[known], key_values[known].to_numpy(dtype=np.int64), profile.threshold
            )
            suppressed = (values > 0) & np.where(
                known, rounded < profile.threshold, values < profile.threshold
            )
    if groups is not None:
        frame = pd.DataFrame({"v": values, "s": suppressed, "g": groups.to_numpy()})
        lonely = frame.groupby("g")["s"].transform("sum") == 1
        for group in frame.loc[lonely & frame["s"], "g"].unique():
            members = frame[(frame["g"] == group) & ~frame["s"] & (frame["v"] > 0)]
            if not members.empty:
                suppressed[members["v"].idxmin()] = True
    shown = pd.array(np.where(suppressed, 0, rounded), dtype="Int64")
    shown[suppressed] = pd.NA
    labels = np.where(suppressed, profile.suppressed_label, rounded.astype(str))
    return pd.DataFrame(
        {"count": shown, "suppressed": suppressed, "label": labels}, index=counts.index
    )


def protected_rate(
    part: int,
    whole: int,
    profile: DisclosureProfile = INTERNAL,
    *,
    part_key: int,
    whole_key: int,
) -> str:
    """Return ``part`` as a percentage of ``whole``, worked out from the counts as shown.

    Both counts go through :func:`protect_counts` with their key sums first, so a rate gives
    back nothing its two published counts do not: a rate of true counts beside perturbed ones
    would tell an adversary the exact ratio. Hidden when the shown whole is below the
    threshold or the part is itself hidden; never above 100%; ``not_applicable`` for nothing.

    Examples
    --------
    >>> protected_rate(0, 0, part_key=0, whole_key=0)
    'z'
    >>> protected_rate(3, 40, part_key=7, whole_key=900)
    'fewer than 5'
    >>> shown = protect_counts(pd.Series([12, 40]), keys=pd.Series([7, 900]))["count"]
    >>> protected_rate(12, 40, part_key=7, whole_key=900) == f"{100 * shown[0] / shown[1]:.1f}%"
    True
    """
    if not whole:
        return profile.not_applicable
    shown = protect_counts(
        pd.Series([int(part), int(whole)]), profile, keys=pd.Series([int(part_key), int(whole_key)])
    )
    if shown["suppressed"].any() or shown["count"].iloc[1] < profile.threshold:
        return profile.suppressed_label
    return f"{min(100.0, 100.0 * int(shown['count'].iloc[0]) / int(shown['count'].iloc[1])):.1f}%"


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
