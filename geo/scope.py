"""The scope of a hotspot run: which question it answered, so the register compares like with like.

A run's scope is the incident filter it ran over, in a form where two runs that ask the *same
question* compare equal: kinds, districts, categories, exploitation flags and age bands as sorted
sets, and the months as a **window** rather than as dates:

- no month bounds: ``all`` ("all months held"): every run over the whole store is one scope, however
  many months the store holds by then;
- a window that ends at the newest month held (or has no end): ``last:N`` ("the last N months"):
  a monthly re-run of the last 12 months is the same scope as last month's run, although its dates
  moved on by one month;
- a window that ends before the newest month held: ``period:YYYY-MM:YYYY-MM``, a fixed historical
  period (re-running the same period is the same scope; it never retires the current places);
- an end and no start, before the newest month: ``until:YYYY-MM``.

Runs retire only hotspots of their own scope, and match a new run only against hotspots of their
own scope (active or retired), so a district run, a missing-from run or a three-month run never
disturbs the whole-store register. The DBSCAN parameters are not part of the scope: re-tuning
``eps`` or ``min_samples`` redraws the same register.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

from geo._errors import InputError
from geo.filters import IncidentFilter
from geo.schema import KINDS, SENSITIVE_KINDS

__all__ = ["KIND_WORDS", "RunScope", "scope_of"]

#: Kinds in plain words, for the register's scope column.
KIND_WORDS: Final[dict[str, str]] = {
    "incident": "incidents",
    "missing_from": "missing-from locations",
    "found_at": "found-at locations",
}


def _month_text(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _parse_month(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        msg = f"not a month in a run scope: {text!r}"
        raise InputError(msg) from exc


def _shift(month: dt.date, months: int) -> dt.date:
    number = month.year * 12 + month.month - 1 + months
    return dt.date(number // 12, number % 12 + 1, 1)


@dataclass(frozen=True)
class RunScope:
    """What a hotspot run looked at, comparable across runs (see the module docstring).

    Attributes
    ----------
    kinds, districts, categories, flags, age_bands
        Sorted allowed values; empty means all (``kinds`` naming every kind is stored empty).
    months
        ``all``, ``last:N``, ``period:YYYY-MM:YYYY-MM`` or ``until:YYYY-MM``.
    """

    kinds: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    months: str = "all"

    def __post_init__(self) -> None:
        kind, _, rest = self.months.partition(":")
        if kind == "all" and not rest:
            return
        if kind == "last" and rest.isdigit() and int(rest) >= 1:
            return
        if kind == "until":
            _parse_month(rest)
            return
        if kind == "period":
            start, _, end = rest.partition(":")
            if _parse_month(start) <= _parse_month(end):
                return
        msg = f"not a month window of a run scope: {self.months!r}"
        raise InputError(msg)

    @property
    def sensitive(self) -> bool:
        """Whether the scope takes in a kind never shown finer than the coarse resolution."""
        return bool(SENSITIVE_KINDS & set(self.kinds or KINDS))

    def as_json(self) -> dict[str, Any]:
        """Return the scope as stored with runs and hotspots (lists, sorted)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunScope:
        """Rebuild a scope from :meth:`as_json`."""
        return cls(
            kinds=tuple(data.get("kinds") or ()),
            districts=tuple(data.get("districts") or ()),
            categories=tuple(data.get("categories") or ()),
            flags=tuple(data.get("flags") or ()),
            age_bands=tuple(data.get("age_bands") or ()),
            months=str(data.get("months") or "all"),
        )

    def key(self) -> str:
        """Return a stable 64-character key: equal for equal scopes (stored, indexed, compared).

        Examples
        --------
        >>> RunScope(kinds=("incident",), months="last:12").key() == RunScope(
        ...     kinds=("incident",), months="last:12").key()
        True
        """
        text = json.dumps(self.as_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def window(self, newest: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
        """First and last month a run of this scope reads when ``newest`` is the newest month."""
        kind, _, rest = self.months.partition(":")
        if kind == "last":
            if newest is None:
                return None, None
            return _shift(newest, 1 - int(rest)), newest
        if kind == "period":
            start, _, end = rest.partition(":")
            return _parse_month(start), _parse_month(end)
        if kind == "until":
            return None, _parse_month(rest)
        return None, newest

    def to_filter(self, newest: dt.date | None) -> IncidentFilter:
        """Return the filter a run of this scope applies when ``newest`` is the newest month."""
        start, end = self.window(newest)
        return IncidentFilter(
            start_month=start,
            end_month=end,
            kinds=self.kinds,
            categories=self.categories,
            flags=self.flags,
            age_bands=self.age_bands,
            districts=self.districts,
        )

    def describe(self, district_names: Mapping[str, str] | None = None) -> str:
        """Say the scope in plain words, for the register, its CSV and ``hotspots list``.

        Examples
        --------
        >>> RunScope(kinds=("incident",), months="last:12").describe()
        'incidents; all districts; last 12 months'
        >>> RunScope(kinds=("missing_from",), districts=("E07000192",), flags=("cse",),
        ...          months="period:2024-01:2024-12").describe({"E07000192": "Cannock Chase"})
        'missing-from locations; Cannock Chase; flags: cse; Jan 2024 to Dec 2024'
        """
        names = district_names or {}
        kinds = self.kinds or KINDS
        parts = [
            "all kinds" if not self.kinds else " and ".join(KIND_WORDS.get(k, k) for k in kinds)
        ]
        parts.append(
            ", ".join(names.get(d, d) for d in self.districts)
            if self.districts
            else "all districts"
        )
        if self.categories:
            parts.append("categories: " + ", ".join(self.categories))
        if self.flags:
            parts.append("flags: " + ", ".join(self.flags))
        if self.age_bands:
            parts.append("ages: " + ", ".join(self.age_bands))
        kind, _, rest = self.months.partition(":")
        if kind == "last":
            parts.append("last month" if rest == "1" else f"last {rest} months")
        elif kind == "period":
            start, _, end = rest.partition(":")
            parts.append(
                f"{_parse_month(start):%b %Y} to {_parse_month(end):%b %Y}"
                if start != end
                else f"{_parse_month(start):%b %Y}"
            )
        elif kind == "until":
            parts.append(f"up to {_parse_month(rest):%b %Y}")
        else:
            parts.append("all months")
        return "; ".join(parts)


def _canonical(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values}))


def scope_of(filt: IncidentFilter, *, newest: dt.date | None) -> RunScope:
    """Return the scope of a run over ``filt`` when ``newest`` is the newest month held.

    Parameters
    ----------
    filt
        The run's filter, as the user gave it.
    newest
        The newest month held (or the month the run is "as of"); ``None`` for an empty store.

    Examples
    --------
    The last twelve months, asked in May and again in June, are one scope:

    >>> may = IncidentFilter(kinds=("incident",), start_month=dt.date(2024, 6, 1))
    >>> june = IncidentFilter(kinds=("incident",), start_month=dt.date(2024, 7, 1),
    ...                       end_month=dt.date(2025, 6, 1))
    >>> scope_of(may, newest=dt.date(2025, 5, 1)) == scope_of(june, newest=dt.date(2025, 6, 1))
    True
    >>> scope_of(may, newest=dt.date(2025, 5, 1)).months
    'last:12'
    """
    start, end = filt.start_month, filt.end_month
    if start and end and start > end:
        msg = f"the first month ({start:%b %Y}) is after the last ({end:%b %Y})"
        raise InputError(msg)
    newest = newest.replace(day=1) if newest else None
    start = start.replace(day=1) if start else None
    end = end.replace(day=1) if end else None
    if newest is None and start is not None:
        newest = end or start  # an empty store: the window as given
    open_end = end is None or (newest is not None and end >= newest)
    if start is not None and newest is not None and start > newest:
        open_end = False  # a window after the newest month held: a fixed period
        end = end or start
    if start is None:
        months = "all" if open_end else f"until:{_month_text(end)}"  # type: ignore[arg-type]
    elif open_end:
        months = f"last:{_months_between(start, newest)}"  # type: ignore[arg-type]
    else:
        months = f"period:{_month_text(start)}:{_month_text(end)}"  # type: ignore[arg-type]
    kinds = _canonical(filt.kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        msg = f"unknown kind(s) {', '.join(unknown)}; kinds are {', '.join(KINDS)}"
        raise InputError(msg)
    if set(kinds) == set(KINDS):
        kinds = ()
    flags = _canonical(tuple(f.strip().lower() for f in filt.flags))
    return RunScope(
        kinds=kinds,
        districts=_canonical(filt.districts),
        categories=_canonical(filt.categories),
        flags=flags,
        age_bands=_canonical(filt.age_bands),
        months=months,
    )
