"""Disclosure control: no output reveals a count below the threshold, even by differencing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import InputError
from geo.disclosure import (
    INTERNAL,
    PUBLICATION,
    effective_resolution,
    get_profile,
    protect_counts,
    shown_count,
)


def _possible(label_count, suppressed, profile):
    """The true values consistent with what is shown (the attacker's knowledge)."""
    if suppressed:
        return set(range(1, profile.threshold))
    shown = int(label_count)
    half = profile.rounding // 2
    return {
        v
        for v in range(max(0, shown - half), shown + half + 1)
        if v == 0 or v >= profile.threshold or profile.rounding == 1
    }


def test_known_answers():
    out = protect_counts(pd.Series([0, 1, 4, 5, 7, 8, 12, 100]))
    assert out["label"].tolist() == [
        "0",
        "fewer than 5",
        "fewer than 5",
        "5",
        "5",
        "10",
        "10",
        "100",
    ]
    assert out["suppressed"].tolist() == [False, True, True, False, False, False, False, False]
    pub = protect_counts(pd.Series([9, 10, 13]), PUBLICATION)
    assert pub["label"].tolist() == ["c", "10", "15"]
    assert shown_count(None, PUBLICATION) == "z"


def test_threshold_is_never_below_three():
    with pytest.raises(InputError, match="never below 3"):
        get_profile("internal", threshold=2)
    assert get_profile("internal", threshold=7).threshold == 7


def test_lone_suppressed_cell_in_a_district_gets_a_partner():
    counts = pd.Series([3, 40, 22, 9])
    districts = pd.Series(["A", "A", "A", "B"])
    out = protect_counts(counts, groups=districts)
    assert out["suppressed"].tolist() == [True, False, True, False]


def test_missing_from_is_never_finer_than_the_coarse_resolution():
    assert effective_resolution(9, ["incident"]) == (9, None)
    res, note = effective_resolution(9, ["incident", "missing_from"])
    assert res == INTERNAL.coarse_res
    assert "never shown finer" in note
    assert effective_resolution(10, [])[0] == INTERNAL.coarse_res  # all kinds include it


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 60), min_size=1, max_size=30),
    st.lists(st.integers(0, 3), min_size=1, max_size=30),
    st.sampled_from([INTERNAL, PUBLICATION, get_profile("internal", threshold=3)]),
)
def test_property_differencing_never_pins_down_a_small_count(wider, narrower_cut, profile):
    """Two overlapping filters (a wider and a narrower one) and a total: subtract what is shown.

    For every cell, the difference between the two filters' true counts is what an attacker
    wants; it must never be pinned down to a single value from 1 to threshold-1.
    """
    n = min(len(wider), len(narrower_cut))
    a = np.array(wider[:n])
    b = np.maximum(a - np.array(narrower_cut[:n]), 0)  # narrower filter: a subset of the wider
    shown_a = protect_counts(pd.Series(a), profile)
    shown_b = protect_counts(pd.Series(b), profile)
    for i in range(n):
        if not shown_a["suppressed"][i] and shown_b["label"][i] == "0":
            continue
        options_a = _possible(shown_a["label"][i], shown_a["suppressed"][i], profile)
        options_b = _possible(shown_b["label"][i], shown_b["suppressed"][i], profile)
        assert a[i] in options_a  # what is shown is true to the data
        assert b[i] in options_b
        differences = {x - y for x in options_a for y in options_b if x >= y}
        true_diff = a[i] - b[i]
        if 0 < true_diff < profile.threshold:
            assert len(differences) > 1, (a[i], b[i])
    # A total minus the visible cells never isolates one suppressed cell either.
    total = protect_counts(pd.Series([a.sum()]), profile)["label"][0]
    if total != profile.suppressed_label and shown_a["suppressed"].sum() == 1:
        visible = shown_a.loc[~shown_a["suppressed"], "label"].astype(int)
        lo = (
            int(total)
            - profile.rounding // 2
            - visible.sum()
            - len(visible) * (profile.rounding // 2)
        )
        hi = (
            int(total)
            + profile.rounding // 2
            - visible.sum()
            + len(visible) * (profile.rounding // 2)
        )
        assert hi > lo  # a range, never one value
    for label in shown_a["label"]:
        if label.isdigit():
            assert int(label) == 0 or int(label) >= profile.threshold


def test_a_change_is_never_shown_when_either_side_is_small():
    from geo.disclosure import protect_outcomes

    frame = pd.DataFrame(
        {
            "site_before": [40, 3],
            "site_after": [20, 30],
            "rest_before": [900, 900],
            "rest_after": [880, 880],
            "effect": [0.51, 9.8],
            "ci_low": [0.3, 2.0],
            "ci_high": [0.8, 40.0],
        }
    )
    out = protect_outcomes(frame, PUBLICATION)
    assert out.loc[0, ["effect", "ci_low", "ci_high"]].tolist() == ["0.51", "0.30", "0.80"]
    assert out.loc[1, ["site_before", "effect", "ci_low", "ci_high"]].tolist() == [
        "c",
        "z",
        "z",
        "z",
    ]


# --- cell key method -------------------------------------------------------------------------


def test_ptable_rows_hand_checked():
    """Row shapes worked out by hand from the noise shape 0.40/0.20/0.08/0.02 over 256 keys."""
    from geo.disclosure import MAX_PERTURBATION, PTABLE_CAP, expected_abs_error, ptable

    table = ptable(5)
    assert table.shape == (PTABLE_CAP + 1, 256)
    assert not table[:5].any()  # zero and the small counts 1-4: nothing added (suppressed)
    # A row far from the threshold: 256 * (0.02, 0.08, 0.20, 0.40, 0.20, 0.08, 0.02) is
    # 5.12, 20.48, 51.2, 102.4, ...: floors 5, 20, 51, 102, 51, 20, 5 (254), and the two
    # largest remainders (0.48, 0.48 of the ±2 bins) take one each.
    values, slots = np.unique(table[40], return_counts=True)
    assert values.tolist() == [-3, -2, -1, 0, 1, 2, 3]
    assert slots.tolist() == [5, 21, 51, 102, 51, 21, 5]
    assert table[40].sum() == 0  # unbiased
    assert expected_abs_error() == pytest.approx((2 * (51 + 2 * 21 + 3 * 5)) / 256)
    # Every row from the threshold up has the same shape (unbiased), each in its own order.
    for count in range(5, PTABLE_CAP + 1):
        assert np.unique(table[count], return_counts=True)[1].tolist() == slots.tolist()
        assert np.abs(table[count]).max() == MAX_PERTURBATION
    assert (table[5] != table[6]).sum() > 100
    # Publication: the same from 10 up; 1-9 untouched (suppressed as "c").
    assert not ptable(10)[:10].any()
    assert ptable(10)[10].sum() == 0


def test_protect_counts_with_keys_hand_computed():
    from geo.disclosure import ptable

    table = ptable(5)
    counts = pd.Series([0, 3, 5, 41, 120])
    keys = pd.Series([0, 700, 513, 1000, 256 * 9 + 17])
    out = protect_counts(counts, INTERNAL, keys=keys)
    five = 5 + table[5, 513 % 256]
    expected = [0, None, five, 41 + table[41, 1000 - 768], 120 + table[50, 17]]
    # A count of 5 whose noise takes it below 5 is suppressed too (on the perturbed count).
    assert out["suppressed"].tolist() == [False, True, five < 5, False, False]
    assert out["count"].iloc[0] == 0
    assert pd.isna(out["count"].iloc[1])
    assert out["count"].iloc[3:].tolist() == expected[3:]
    assert out["label"].iloc[1] == "fewer than 5"
    # A count of 5 under two keys: one the table moves up or keeps, one it moves down.
    up, down = int(np.argmax(table[5] >= 0)), int(np.argmax(table[5] < 0))
    pair = protect_counts(pd.Series([5, 5]), INTERNAL, keys=pd.Series([up, down]))
    assert pair["label"].tolist() == [str(5 + table[5, up]), "fewer than 5"]
    pub = protect_counts(pd.Series([9, 30]), PUBLICATION, keys=pd.Series([3, 3]))
    assert pub["label"].iloc[0] == "c"
    assert int(pub["label"].iloc[1]) == 30 + ptable(10)[30, 3]


def test_record_keys_are_uniform_and_in_range():
    from geo.disclosure import new_record_keys

    keys = new_record_keys(25_600, np.random.default_rng(1))
    assert keys.min() == 0
    assert keys.max() == 255
    assert np.bincount(keys, minlength=256).min() > 50


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 255)),
        min_size=1,
        max_size=120,
    ),
    st.sampled_from([INTERNAL, PUBLICATION]),
)
def test_property_same_records_same_output_however_asked(records, profile):
    """Records (month, category, key): a union asked month by month or category by category,
    or in one go, gets one answer; and asking again gives it again."""
    frame = pd.DataFrame(records, columns=["month", "category", "key"])
    total = protect_counts(pd.Series([len(frame)]), profile, keys=pd.Series([frame["key"].sum()]))[
        "label"
    ][0]
    by_month = frame.groupby("month")["key"].agg(["size", "sum"])
    by_category = frame.groupby("category")["key"].agg(["size", "sum"])
    for parts in (by_month, by_category):
        again = protect_counts(
            pd.Series([parts["size"].sum()]), profile, keys=pd.Series([parts["sum"].sum()])
        )["label"][0]
        assert again == total
    shuffled = frame.sample(frac=1, random_state=0)
    keysum = pd.Series([shuffled["key"].sum()])
    assert protect_counts(pd.Series([len(shuffled)]), profile, keys=keysum)["label"][0] == total
    n = len(frame)
    if 0 < n < profile.threshold:
        assert total == profile.suppressed_label
    if total == profile.suppressed_label:
        assert 0 < n <= profile.threshold + 2  # what "fewer than N" may hide
    elif n:
        assert abs(int(total) - n) <= 3
        assert int(total) >= profile.threshold
