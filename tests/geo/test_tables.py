from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.tables import protect_table, recoverable_cells


def _suppressed(values, cells):
    mask = pd.DataFrame(False, index=values.index, columns=values.columns)
    for row, col in cells:
        mask.loc[row, col] = True
    return mask


def test_attacker_finds_a_planted_recoverable_cell():
    table = pd.DataFrame({"Jan": [14, 3, 30], "Feb": [22, 18, 11]}, index=["N", "S", "E"])
    values = table.copy()
    values["Total"] = values.sum(axis=1)
    values.loc["Total"] = values.sum(axis=0)
    # Only the small cell is hidden: S's row total minus its February count gives it away.
    found = recoverable_cells(values, _suppressed(values, [("S", "Jan")]))
    assert found == [("S", "Jan", 3)]
    # Two cells in one row but alone in their columns: both recoverable from column totals.
    found = recoverable_cells(values, _suppressed(values, [("S", "Jan"), ("S", "Feb")]))
    assert sorted(found) == [("S", "Feb", 18), ("S", "Jan", 3)]
    # A rectangle of four hidden cells leaves a degree of freedom: nothing recoverable.
    rectangle = [("S", "Jan"), ("S", "Feb"), ("E", "Jan"), ("E", "Feb")]
    assert recoverable_cells(values, _suppressed(values, rectangle)) == []


def test_hand_computed_secondary_suppression():
    # District x month; one small cell (S, Feb = 4). By hand: hiding S/Feb alone leaks through
    # both its row and its column, so a second cell in its row and its column is needed and a
    # fourth closes the rectangle: the smallest such rectangle uses S/Mar (12), N/Feb (15) and
    # N/Mar (16), the cheapest cells of the rows and columns concerned.
    table = pd.DataFrame(
        {"Jan": [40, 31, 50], "Feb": [15, 4, 60], "Mar": [16, 12, 70]}, index=["N", "S", "E"]
    )
    protected = protect_table(table, threshold=10)
    hidden = {
        (r, c)
        for r in protected.values.index
        for c in protected.values.columns
        if protected.suppressed.loc[r, c]
    }
    assert ("S", "Feb") in hidden
    assert protected.primary.to_numpy().sum() == 1
    assert len(hidden) == 4
    assert hidden == {("S", "Feb"), ("S", "Mar"), ("N", "Feb"), ("N", "Mar")}
    assert recoverable_cells(protected.values, protected.suppressed) == []
    shown = protected.display(symbol="c")
    assert shown.loc["S", "Feb"] == "c"
    assert shown.loc["Total", "Total"] == table.to_numpy().sum()


def test_small_totals_are_suppressed_too_and_rounding_to_five():
    table = pd.DataFrame({"A": [2, 3], "B": [1, 2]}, index=["x", "y"])
    protected = protect_table(table, threshold=10)
    assert protected.suppressed.to_numpy().all()  # every number, totals included, is under 10
    big = protect_table(pd.DataFrame({"A": [12, 23]}, index=["x", "y"]), threshold=10)
    assert big.display(rounding=5).loc["x", "A"] == 10
    assert big.display(rounding=5).loc["y", "A"] == 25


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 4).flatmap(
        lambda rows: st.integers(2, 4).flatmap(
            lambda cols: st.lists(
                st.integers(0, 40), min_size=rows * cols, max_size=rows * cols
            ).map(lambda v: np.array(v).reshape(rows, cols))
        )
    ),
    st.sampled_from([5, 10]),
)
def test_property_no_suppressed_cell_is_ever_recoverable(array, threshold):
    table = pd.DataFrame(
        array,
        index=[f"r{i}" for i in range(array.shape[0])],
        columns=[f"c{j}" for j in range(array.shape[1])],
    )
    protected = protect_table(table, threshold=threshold)
    assert recoverable_cells(protected.values, protected.suppressed) == []
    small = (protected.values > 0) & (protected.values < threshold)
    assert not (small & ~protected.suppressed).to_numpy().any()  # every small count hidden
