from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geo import InputError
from geo.trend import mann_kendall


def _textbook(x: np.ndarray) -> tuple[int, float, float]:
    """Mann-Kendall S, tie-corrected variance and Sen's slope by the textbook double loop."""
    n = len(x)
    s = sum(np.sign(x[j] - x[i]) for i, j in itertools.combinations(range(n), 2))
    _, tie_sizes = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in tie_sizes)) / 18
    slope = np.median([(x[j] - x[i]) / (j - i) for i, j in itertools.combinations(range(n), 2)])
    return int(s), float(var), float(slope)


def test_matches_the_textbook_formulas_with_ties() -> None:
    rng = np.random.default_rng(4)
    series = rng.poisson(2, size=(40, 24))  # small counts: many ties
    result = mann_kendall(series)
    for row, (_, got) in zip(series, result.iterrows(), strict=True):
        s, var, slope = _textbook(row)
        assert got["s"] == s
        assert got["var_s"] == pytest.approx(var)
        assert got["slope"] == pytest.approx(slope)
        z = (s - np.sign(s)) / np.sqrt(var) if var else 0.0
        assert got["z"] == pytest.approx(z)
        assert got["tau"] == pytest.approx(s / (24 * 23 / 2))


def test_p_value_without_continuity_equals_scipy_kendalltau() -> None:
    rng = np.random.default_rng(5)
    series = rng.poisson(5, size=(25, 36)) + np.arange(36) // 6
    result = mann_kendall(series, continuity=False)
    for row, p in zip(series, result["p"], strict=True):
        expected = stats.kendalltau(np.arange(36), row, method="asymptotic").pvalue
        assert p == pytest.approx(expected, rel=1e-9)


def test_directions_and_frame_index() -> None:
    frame = pd.DataFrame(
        [np.arange(12), np.arange(12)[::-1], np.ones(12), [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]],
        index=["up", "down", "flat", "noisy"],
    )
    result = mann_kendall(frame)
    assert result.index.tolist() == ["up", "down", "flat", "noisy"]
    assert result["direction"].tolist() == ["increasing", "decreasing", "no trend", "no trend"]
    assert result.loc["flat", "p"] == 1.0
    assert result.loc["up", "slope"] == 1.0
    assert result.loc["down", "tau"] == -1.0


def test_short_series_and_bad_input() -> None:
    assert mann_kendall(np.array([[1, 5]]))["direction"].tolist() == ["too short"]
    with pytest.raises(InputError, match="complete series"):
        mann_kendall(np.array([[1.0, np.nan, 3.0]]))
    with pytest.raises(InputError, match="2-D"):
        mann_kendall(np.zeros((2, 2, 2)))


def test_many_rows_are_processed_in_blocks() -> None:
    rng = np.random.default_rng(6)
    series = rng.poisson(3, size=(9000, 10))
    whole = mann_kendall(series)
    part = mann_kendall(series[8190:8200])
    np.testing.assert_allclose(whole.iloc[8190:8200]["z"].to_numpy(), part["z"].to_numpy())
