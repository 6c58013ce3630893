"""Co-location quotients and the month-lagged comparison, against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.links import EPISODE, EXPLOITATION, OTHER, colocation_quotients, lagged_comparison


def _hand_case() -> pd.DataFrame:
    # On a line (metres): west A(0) B(1) O(3); middle A(10) O(11) B(13);
    # east O(19) A(20) B(21): the east A has two nearest neighbours at 1 m, a B and an O.
    return pd.DataFrame(
        {
            "x": [0.0, 1, 3, 10, 11, 13, 19, 20, 21],
            "y": 0.0,
            "label": [
                EPISODE,
                EXPLOITATION,
                OTHER,
                EPISODE,
                OTHER,
                EXPLOITATION,
                OTHER,
                EPISODE,
                EXPLOITATION,
            ],
            "area": ["west"] * 3 + ["middle"] * 3 + ["east"] * 3,
        }
    )


def test_colocation_quotient_matches_the_hand_computed_case():
    # N = 9, N_B = 3, so N_B / (N - 1) = 3/8. Nearest-B shares: west 1, middle 0, east 1/2 (tie).
    out = colocation_quotients(_hand_case(), permutations=0)
    assert out.loc["west", "clq"] == pytest.approx(1 / (3 / 8))  # 8/3
    assert out.loc["middle", "clq"] == pytest.approx(0.0)
    assert out.loc["east", "clq"] == pytest.approx(0.5 / (3 / 8))  # 4/3
    assert out.loc["all", "clq"] == pytest.approx((1.5 / 3) / (3 / 8))  # 4/3
    assert out["episodes"].to_dict() == {"east": 1, "middle": 1, "west": 1, "all": 3}
    assert out["exploitation"].to_dict() == {"east": 1, "middle": 1, "west": 1, "all": 3}
    # a place made of areas (a hotspot touching two cells) pools their episode points
    grouped = colocation_quotients(
        _hand_case(), groups={"hotspot": ["west", "east"]}, permutations=0
    )
    assert grouped.loc["hotspot", "clq"] == pytest.approx((1.5 / 2) / (3 / 8))  # 2


def test_coincident_points_share_their_neighbour_count():
    # Three points at one spot (A, B, O) and one far B: the A's nearest are the B and the O, tied.
    pts = pd.DataFrame(
        {
            "x": [0.0, 0, 0, 500],
            "y": 0.0,
            "label": [EPISODE, EXPLOITATION, OTHER, EXPLOITATION],
            "area": "a",
        }
    )
    out = colocation_quotients(pts, permutations=0)
    assert out.loc["a", "clq"] == pytest.approx(0.5 / (2 / 3))


def test_the_permutation_test_finds_planted_colocation_and_not_chance():
    rng = np.random.default_rng(1)
    # 40 episode points each beside an exploitation incident in area "hot"; random elsewhere.
    centres = rng.uniform(0, 10_000, (40, 2))
    hot = pd.DataFrame(
        {
            "x": np.r_[centres[:, 0], centres[:, 0] + 2],
            "y": np.r_[centres[:, 1], centres[:, 1]],
            "label": [EPISODE] * 40 + [EXPLOITATION] * 40,
            "area": "hot",
        }
    )
    n = 600
    cold = pd.DataFrame(
        {
            "x": rng.uniform(20_000, 30_000, n),
            "y": rng.uniform(0, 10_000, n),
            "label": rng.choice([EPISODE, EXPLOITATION, OTHER], size=n, p=[0.2, 0.1, 0.7]),
            "area": "cold",
        }
    )
    out = colocation_quotients(pd.concat([hot, cold]), permutations=99, seed=3)
    assert out.loc["hot", "clq"] > 2
    assert out.loc["hot", "p_value"] == pytest.approx(0.01)  # never reached by a shuffle
    assert out.loc["cold", "p_value"] > 0.05
    # the same seed gives the same p-values
    again = colocation_quotients(pd.concat([hot, cold]), permutations=99, seed=3)
    pd.testing.assert_frame_equal(out, again)


def test_lagged_comparison_finds_episodes_leading_by_two_months():
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    rng = np.random.default_rng(5)
    counts = rng.poisson(6, len(months))
    ep = pd.DataFrame({"place": "lead", "month": months, "n": counts})
    ex = ep.assign(month=ep["month"] + pd.DateOffset(months=2))
    ex = ex[ex["month"].isin(months)]
    same = ep.assign(place="same")
    noise = pd.DataFrame({"place": "none", "month": months, "n": rng.poisson(6, len(months))})
    out = lagged_comparison(
        pd.concat([ep, same, noise.assign(n=rng.poisson(6, len(months)))]),
        pd.concat([ex, same, noise]),
        months=months,
    )
    assert out.loc["lead", "best_lag"] == 2
    assert out.loc["lead", "best_r"] == pytest.approx(1.0)
    assert bool(out.loc["lead", "episodes_lead"])
    assert out.loc["same", "best_lag"] == 0
    assert not bool(out.loc["same", "episodes_lead"])
    assert out.loc["same", "months"] == 24


def test_protect_links_perturbs_counts_with_their_key_sums():
    from geo.disclosure import INTERNAL, protect_counts
    from geo.links import protect_links

    frame = pd.DataFrame(
        {
            "episodes": [7, 12, 3],
            "exploitation": [9, 40, 0],
            "clq": [1.2, 1.5, 0.4],
            "p_value": [0.2, 0.01, 0.9],
            "episodes_keysum": [101, 1000, 7],
            "exploitation_keysum": [333, 4000, 0],
        }
    )
    shown = protect_links(frame, INTERNAL)
    assert (
        shown["episode locations"].tolist()
        == protect_counts(frame["episodes"], INTERNAL, keys=frame["episodes_keysum"])[
            "label"
        ].tolist()
    )
    assert (
        shown["exploitation incidents"].tolist()
        == protect_counts(frame["exploitation"], INTERNAL, keys=frame["exploitation_keysum"])[
            "label"
        ].tolist()
    )
    # the same counts with other keys get other noise (not one rounding for all)
    labels = {
        tuple(protect_links(frame.assign(episodes_keysum=[k, k, 7]), INTERNAL)["episode locations"])
        for k in range(0, 256, 5)
    }
    assert len(labels) > 1
