"""Secondary suppression for tables with totals, and the attacker's check.

A table of counts is published with its row totals, column totals and grand total. Cells below the
threshold are suppressed (primary). That is not enough: a lone suppressed cell in a row is its row
total minus the visible cells. :func:`protect_table` adds secondary suppressions until no
suppressed cell can be recovered exactly, and :func:`recoverable_cells` is the attacker's check.

The attack model is the linear one analysts use: the attacker knows every published number, that
cells add up to their totals, and that counts are not negative. For each suppressed cell the
check solves two linear programmes (smallest and largest value consistent with everything
published); the cell is recovered when only one whole number lies between them.

Secondary suppression is a greedy rule driven by that exact check, repeated until the check
finds nothing: while suppressed cells are recoverable, try each visible positive cell sharing a
row or column with one of them, and hide the one that leaves the fewest recoverable cells
(ties: an interior cell before a total, then the smallest count, so the least is lost). The
result is always safe because the check, not the rule, decides. It is not guaranteed to be the
fewest possible cells (that needs an integer programme over every suppression pattern, too slow
for interactive use); the one-step look-ahead keeps it minimal on the hand-computed cases in the
tests, and the tables meetings publish (districts × months or categories) are small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

__all__ = ["ProtectedTable", "protect_table", "recoverable_cells"]


@dataclass(frozen=True)
class ProtectedTable:
    """A table with margins and which cells are suppressed.

    ``values`` holds the true counts with a ``Total`` row and column; ``primary`` and
    ``secondary`` are boolean frames of the same shape.
    """

    values: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame

    @property
    def suppressed(self) -> pd.DataFrame:
        """Every suppressed cell, primary or secondary."""
        return self.primary | self.secondary

    def display(self, *, symbol: str = "c", rounding: int = 1) -> pd.DataFrame:
        """Return the table as published: suppressed cells as ``symbol``, others rounded."""
        shown = self.values.astype(object).copy()
        if rounding > 1:
            shown = (self.values / rounding).round().astype(int).mul(rounding).astype(object)
        return shown.mask(self.suppressed, symbol)


def _with_margins(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    out["Total"] = out.sum(axis=1)
    out.loc["Total"] = out.sum(axis=0)
    return out


def recoverable_cells(
    values: pd.DataFrame, suppressed: pd.DataFrame, *, first_only: bool = False
) -> list[tuple[object, object, int]]:
    """Return every suppressed cell an attacker can recover exactly, with its value.

    Parameters
    ----------
    values
        True counts including the ``Total`` row and column (as :func:`protect_table` builds).
    suppressed
        Boolean frame, same shape: which published numbers are hidden.
    first_only
        Stop at the first recoverable cell.

    Returns
    -------
    list of (row label, column label, value)
    """
    v = values.to_numpy(dtype=float)
    hidden = suppressed.to_numpy(dtype=bool)
    n_rows, n_cols = v.shape
    unknown = np.flatnonzero(hidden.ravel())
    if unknown.size == 0:
        return []
    index = {flat: k for k, flat in enumerate(unknown)}
    # Equations: each interior row sums to its total, each interior column sums to its total.
    a_rows, b = [], []
    lines = [[(r, c) for c in range(n_cols - 1)] + [(r, n_cols - 1, -1)] for r in range(n_rows)]
    lines += [[(r, c) for r in range(n_rows - 1)] + [(n_rows - 1, c, -1)] for c in range(n_cols)]
    for line in lines:
        coeffs = np.zeros(unknown.size)
        rhs = 0.0
        for item in line:
            r, c, sign = (*item, 1) if len(item) == 2 else item
            flat = r * n_cols + c
            if flat in index:
                coeffs[index[flat]] += sign
            else:
                rhs -= sign * v[r, c]
        if coeffs.any():
            a_rows.append(coeffs)
            b.append(rhs)
    a_eq = np.array(a_rows) if a_rows else None
    b_eq = np.array(b) if b else None
    recovered = []
    for k, flat in enumerate(unknown):
        objective = np.zeros(unknown.size)
        objective[k] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if low.status != 0 or high.status != 0:
            continue  # unbounded: cannot be pinned down
        lo, hi = math.ceil(low.fun - 1e-7), math.floor(-high.fun + 1e-7)
        if lo == hi:
            r, c = divmod(int(flat), n_cols)
            recovered.append((values.index[r], values.columns[c], int(lo)))
            if first_only:
                break
    return recovered


def protect_table(
    table: pd.DataFrame, *, threshold: int = 10, suppress_zero: bool = False
) -> ProtectedTable:
    """Add totals, suppress cells below ``threshold``, then add secondary suppressions.

    Parameters
    ----------
    table
        Counts (rows × columns), without totals.
    threshold
        Counts from 1 (or 0 with ``suppress_zero``) to ``threshold - 1`` are suppressed.
    suppress_zero
        Also treat zero cells as disclosive (research-environment rules).

    Examples
    --------
    >>> t = pd.DataFrame({"A": [12, 3], "B": [20, 25]}, index=["x", "y"])
    >>> protected = protect_table(t, threshold=10)
    >>> protected.display()
            A   B Total
    x       c   c    32
    y       c   c    28
    Total  15  45    60
    >>> recoverable_cells(protected.values, protected.suppressed)
    []
    """
    values = _with_margins(table.astype(int))
    low = values < threshold
    primary = low & (values > 0) if not suppress_zero else low
    secondary = pd.DataFrame(False, index=values.index, columns=values.columns)
    is_total = np.add.outer(values.index == "Total", values.columns == "Total") > 0
    leaks = recoverable_cells(values, primary | secondary)
    while leaks:
        hidden = (primary | secondary).to_numpy()
        # Candidates share a row or a column with a leaking cell (totals' lines included).
        same_line = np.zeros_like(hidden)
        for row, col, _ in leaks:
            same_line |= np.add.outer(values.index == row, values.columns == col) > 0
        candidates = ~hidden & (values.to_numpy() > 0)
        pool = candidates & same_line
        if not pool.any():
            pool = candidates
        if not pool.any():
            secondary.loc[:, :] = True  # nothing left to hide: withhold the whole table
            break
        # Look one step ahead: the candidate leaving the fewest leaks; then interior cells before
        # totals; then the smallest count (least information lost).
        best: tuple[int, bool, float, int, int] | None = None
        best_leaks: list[tuple[object, object, int]] = []
        for r, c in zip(*np.nonzero(pool), strict=True):
            trial = secondary.copy()
            trial.iloc[r, c] = True
            remaining = recoverable_cells(values, primary | trial)
            key = (len(remaining), bool(is_total[r, c]), float(values.iat[r, c]), int(r), int(c))
            if best is None or key < best:
                best, best_leaks = key, remaining
        assert best is not None
        secondary.iloc[best[3], best[4]] = True
        leaks = best_leaks
    return ProtectedTable(values=values, primary=primary, secondary=secondary & ~primary)
