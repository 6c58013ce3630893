"""Hexagon-level significance: Getis-Ord Gi* on H3 neighbourhoods and emerging hot spot classes.

Study area
    The cells that hold at least one incident plus their ``k``-ring, with a count of 0 where a
    ring cell is empty. Including the empty ring matters: without it the statistic compares busy
    cells only with other busy cells and cannot call a busy cell surrounded by quiet streets hot.
    Cells further out are not part of the study area (they would only dilute the mean with
    countryside).
Weights
    Binary: a cell's neighbourhood is ``h3.grid_disk(cell, k)`` (itself included, which is what
    makes the statistic Gi* rather than Gi), restricted to the study area. ``k=1`` is a cell and its
    six neighbours.
Statistic
    Getis and Ord (1995) Gi* as a z-score,
    ``(sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1)))``
    with ``W_i = sum_j w_ij``, ``S1_i = sum_j w_ij^2``, ``xbar`` and ``s`` (population standard
    deviation) over the study area. It equals esda's
    ``G_Local(..., transform="B", star=True).Zs`` (a test checks it). The p-value is two-sided
    from the normal distribution; significance uses Benjamini-Hochberg false-discovery-rate
    adjusted p-values (q-values) by default, because thousands of cells are tested at once.
"""

from __future__ import annotations

from typing import Final

import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import sparse, stats

from geo._errors import InputError
from geo.cells import cells_to_parent, points_to_cells
from geo.schema import FINE_RES
from geo.trend import mann_kendall

__all__ = [
    "EMERGING_CLASSES",
    "count_cells",
    "count_cells_by_month",
    "emerging_hot_spots",
    "gi_star",
    "neighbour_weights",
    "study_cells",
]

#: Classes of :func:`emerging_hot_spots`, hot ones first, then their cold mirrors.
EMERGING_CLASSES: Final[tuple[str, ...]] = (
    "new hot spot",
    "consecutive hot spot",
    "intensifying hot spot",
    "persistent hot spot",
    "diminishing hot spot",
    "sporadic hot spot",
    "oscillating hot spot",
    "historical hot spot",
    "new cold spot",
    "consecutive cold spot",
    "intensifying cold spot",
    "persistent cold spot",
    "diminishing cold spot",
    "sporadic cold spot",
    "oscillating cold spot",
    "historical cold spot",
    "no pattern",
)

#: Share of time steps that makes a cell "almost always" hot (ESRI's 90 percent rule).
_MOSTLY: Final[float] = 0.9
#: Default resolution for significance maps: about 0.1 km² per cell, a few streets.
_DEFAULT_RES: Final[int] = 9


def _fine_to(incidents: pd.DataFrame, res: int) -> np.ndarray:
    if not 0 <= res <= FINE_RES:
        msg = f"cell resolution must be between 0 and {FINE_RES}, not {res!r}"
        raise InputError(msg)
    if "h3_cell" in incidents.columns and incidents["h3_cell"].notna().all():
        return cells_to_parent(incidents["h3_cell"].to_numpy(dtype=np.int64), res)
    if not {"lat", "lon"} <= set(incidents.columns):
        msg = "the incident frame needs h3_cell, or lat and lon"
        raise InputError(msg)
    located = incidents[["lat", "lon"]].dropna()
    if len(located) != len(incidents):
        msg = "some incidents have no location; drop them before counting cells"
        raise InputError(msg)
    fine = points_to_cells(
        located["lat"].to_numpy(dtype=np.float64),
        located["lon"].to_numpy(dtype=np.float64),
        res=FINE_RES,
    )
    return cells_to_parent(fine, res)  # as for stored cells: parents do not nest points exactly


def count_cells(incidents: pd.DataFrame, *, res: int = _DEFAULT_RES) -> pd.Series:
    """Count incidents per H3 cell at ``res`` (from ``h3_cell``, else from ``lat``/``lon``).

    Returns
    -------
    pandas.Series
        ``int64`` counts indexed by ``int64`` cell, cells with incidents only.
    """
    cells = _fine_to(incidents, res)
    counts = pd.Series(cells).value_counts().sort_index()
    counts.index.name = "cell"
    return counts.rename("count").astype(np.int64)


def count_cells_by_month(incidents: pd.DataFrame, *, res: int = _DEFAULT_RES) -> pd.DataFrame:
    """Count incidents per cell and month: a cells x months frame, every month of the period.

    Returns
    -------
    pandas.DataFrame
        Index ``int64`` cells with incidents, columns monthly :class:`pandas.Period` from the
        first to the last month of the input (empty months included), values ``int64`` counts.
    """
    if "month" not in incidents.columns:
        msg = "the incident frame lacks the column month"
        raise InputError(msg)
    cells = _fine_to(incidents, res)
    months = pd.PeriodIndex(pd.to_datetime(incidents["month"]), freq="M")
    if len(months) == 0:
        return pd.DataFrame(dtype=np.int64)
    period = pd.period_range(months.min(), months.max(), freq="M")
    table = (
        pd.DataFrame({"cell": cells, "month": months})
        .groupby(["cell", "month"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=period, fill_value=0)
    )
    return table.astype(np.int64)


def _disks(cells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(row, neighbour)``: every cell of ``grid_disk(cells[row], k)``, vectorised."""
    disks = pa.array(h3ronpy.grid_disk(pa.array(cells.view(np.uint64)), k))
    offsets = np.asarray(disks.offsets)
    members = np.asarray(disks.flatten()).view(np.int64)
    rows = np.repeat(np.arange(len(cells)), np.diff(offsets))
    return rows, members


def study_cells(cells: np.ndarray, *, k: int = 1) -> np.ndarray:
    """Return the study area: the distinct ``cells`` plus their ``k``-ring, sorted ``int64``."""
    cells = np.unique(np.asarray(cells, dtype=np.int64))
    if k < 0:
        msg = f"the neighbourhood size k must be 0 or more, not {k}"
        raise InputError(msg)
    if len(cells) == 0 or k == 0:
        return cells
    _, members = _disks(cells, k)
    return np.unique(np.concatenate([cells, members]))


def neighbour_weights(cells: np.ndarray, *, k: int = 1) -> sparse.csr_array:
    """Binary Gi* weights: ``w_ij = 1`` when ``cells[j]`` is in ``grid_disk(cells[i], k)``.

    Parameters
    ----------
    cells
        Distinct ``int64`` cells at one resolution, sorted (as :func:`study_cells` returns).
    k
        Ring size; the diagonal is 1 (each cell is its own neighbour).

    Returns
    -------
    scipy.sparse.csr_array
        ``n x n`` weights, neighbours outside ``cells`` left out.
    """
    cells = np.asarray(cells, dtype=np.int64)
    if len(cells) > 1 and not (np.diff(cells) > 0).all():
        msg = "neighbour_weights needs distinct cells in ascending order"
        raise InputError(msg)
    n = len(cells)
    rows, members = _disks(cells, k) if n else (np.empty(0, np.int64), np.empty(0, np.int64))
    cols = np.searchsorted(cells, members)
    found = cols < n
    found[found] = cells[cols[found]] == members[found]
    return sparse.csr_array((np.ones(int(found.sum())), (rows[found], cols[found])), shape=(n, n))


def _gi_z(values: np.ndarray, weights: sparse.csr_array | sparse.csr_matrix) -> np.ndarray:
    """Gi* z-scores for each column of ``values`` (cells x steps) with the given weights."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        return _gi_z(x[:, None], weights)[:, 0]
    n = x.shape[0]
    w_sum = np.asarray(weights.sum(axis=1)).ravel()[:, None]
    s1 = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()[:, None]
    mean = x.mean(axis=0)
    sd = np.sqrt(np.maximum((x**2).mean(axis=0) - mean**2, 0.0))
    lagged = weights @ x
    denominator = sd[None, :] * np.sqrt(np.maximum(n * s1 - w_sum**2, 0.0) / max(n - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (lagged - mean[None, :] * w_sum) / denominator
    return np.where(np.isfinite(z), z, 0.0)


def _q_values(p: np.ndarray, *, fdr: bool) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values down each column (or ``p`` itself without FDR)."""
    if not fdr or p.shape[0] == 0:
        return p
    return stats.false_discovery_control(p, axis=0, method="bh")


def _bins(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    """ESRI-style confidence bins: ±3 at 99 %, ±2 at 95 %, ±1 at 90 %, 0 otherwise."""
    level = np.select([q < 0.01, q < 0.05, q < 0.10], [3, 2, 1], default=0)
    return (np.sign(z) * level).astype(np.int64)


def gi_star(
    counts: pd.Series,
    *,
    k: int = 1,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots of incident counts per H3 cell.

    Parameters
    ----------
    counts
        Incidents per ``int64`` cell at one resolution (e.g. :func:`count_cells`); cells not
        listed count 0.
    k
        Neighbourhood ring size (``grid_disk``); also how far the study area reaches beyond the
        cells with incidents.
    alpha
        Significance level applied to the (FDR-adjusted) p-values.
    fdr
        Adjust p-values with Benjamini-Hochberg before comparing with ``alpha``.

    Returns
    -------
    pandas.DataFrame
        Indexed by every study-area cell: ``count``, ``z`` (Gi* z-score), ``p`` (two-sided),
        ``q`` (adjusted p, equal to ``p`` without FDR), ``bin`` (-3..3, ESRI's Gi_Bin on ``q``)
        and ``spot`` (``hot``, ``cold`` or ``not significant`` at ``alpha``).

    Examples
    --------
    >>> import h3
    >>> centre = h3.latlng_to_cell(52.8, -2.1, 9)
    >>> ring = [h3.str_to_int(c) for c in h3.grid_disk(centre, 4)]
    >>> counts = pd.Series(1, index=ring)
    >>> counts[h3.str_to_int(centre)] = 40
    >>> result = gi_star(counts)
    >>> result.loc[h3.str_to_int(centre), "spot"]
    'hot'
    """
    counts = counts[counts.index.notna()]
    study = study_cells(counts.index.to_numpy(dtype=np.int64), k=k)
    values = counts.groupby(level=0).sum().reindex(study, fill_value=0).to_numpy(np.float64)
    z = _gi_z(values, neighbour_weights(study, k=k))
    p = 2.0 * stats.norm.sf(np.abs(z))
    q = _q_values(p[:, None], fdr=fdr)[:, 0]
    significant = q < alpha
    spot = np.select(
        [significant & (z > 0), significant & (z < 0)], ["hot", "cold"], "not significant"
    )
    return pd.DataFrame(
        {
            "count": values.astype(np.int64),
            "z": z,
            "p": p,
            "q": q,
            "bin": _bins(z, q),
            "spot": spot.astype(object),
        },
        index=pd.Index(study, name="cell"),
    ).astype({"spot": "str"})


def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True at the end of each row."""
    reversed_ = flags[:, ::-1]
    all_true = reversed_.all(axis=1)
    return np.where(all_true, flags.shape[1], (~reversed_).argmax(axis=1))


def _classify(
    hot: np.ndarray, cold: np.ndarray, rising: np.ndarray, falling: np.ndarray, side: str
) -> np.ndarray:
    """Apply the emerging-hot-spot rules for one side (hot, or cold with the arrays swapped)."""
    steps = hot.shape[1]
    final = hot[:, -1]
    share = hot.sum(axis=1) / steps
    run = _trailing_run(hot)
    before_run = (hot & (np.arange(steps)[None, :] < (steps - run)[:, None])).any(axis=1)
    never_before = ~hot[:, :-1].any(axis=1)
    other_before = cold[:, :-1].any(axis=1)
    mostly = share >= _MOSTLY
    conditions = [
        final & mostly & rising,
        final & mostly & falling,
        final & mostly,
        mostly & ~final,
        final & other_before,
        final & never_before,
        final & (run >= 2) & ~before_run,
        final,
    ]
    names = [
        f"intensifying {side} spot",
        f"diminishing {side} spot",
        f"persistent {side} spot",
        f"historical {side} spot",
        f"oscillating {side} spot",
        f"new {side} spot",
        f"consecutive {side} spot",
        f"sporadic {side} spot",
    ]
    return np.select(conditions, np.array(names, dtype=object), default="")


def emerging_hot_spots(
    counts: pd.DataFrame,
    *,
    k: int = 1,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Classify each cell's hot/cold spot history, as ESRI's Emerging Hot Spot Analysis does.

    Gi* is computed for every time step over the same study area (cells with incidents in any
    step plus their ``k``-ring) with spatial neighbours only (no neighbouring time steps), FDR
    adjusted within each step; the Mann-Kendall test of each cell's z-scores over time gives the
    trend. With ``T`` steps, "mostly" means hot in at least 90 % of them. The rules, checked in
    this order (a cell takes the first that applies):

    - **intensifying**: mostly hot, including the final step, z-scores rising significantly;
    - **diminishing**: mostly hot, including the final step, z-scores falling significantly;
    - **persistent**: mostly hot, including the final step, no significant trend;
    - **historical**: mostly hot, but not in the final step;
    - **oscillating**: hot in the final step, under 90 % hot, and a cold spot in some earlier step
      (checked before *new* and *consecutive*: a swing from cold to hot is the more telling
      history, and ESRI's wording allows both);
    - **new**: hot in the final step and never before;
    - **consecutive**: a single uninterrupted run of at least two hot steps ending in the final
      step, never hot before that run, hot in under 90 % of steps;
    - **sporadic**: hot in the final step, under 90 % hot, on and off, never cold.

    As in ESRI's tool, use at least ten time steps: with fewer, "mostly" and the trend test
    mean little (with five months, a Mann-Kendall trend needs a perfectly monotonic series).

    Cold spots mirror these (cold for hot, falling z for intensifying). A cell with a hot class
    keeps it; otherwise it takes its cold class, else ``no pattern``.

    Parameters
    ----------
    counts
        Cells x time steps (e.g. :func:`count_cells_by_month`), steps in order, every step present.
    k, alpha, fdr
        As in :func:`gi_star`.

    Returns
    -------
    pandas.DataFrame
        Indexed by every study-area cell: ``pattern`` (one of :data:`EMERGING_CLASSES`),
        ``total`` count, ``hot_steps`` and ``cold_steps`` (significant steps), ``final_z``,
        ``final_bin``, and the Mann-Kendall ``trend_tau`` and ``trend_p`` of the z-scores.
    """
    if counts.shape[1] == 0:
        msg = "emerging hot spots need at least one time step"
        raise InputError(msg)
    study = study_cells(counts.index.to_numpy(dtype=np.int64), k=k)
    values = counts.groupby(level=0).sum().reindex(study, fill_value=0).to_numpy(np.float64)
    z = _gi_z(values, neighbour_weights(study, k=k))
    p = 2.0 * stats.norm.sf(np.abs(z))
    q = _q_values(p, fdr=fdr)
    hot = (q < alpha) & (z > 0)
    cold = (q < alpha) & (z < 0)
    trend = mann_kendall(z, alpha=alpha)
    rising = (trend["direction"] == "increasing").to_numpy()
    falling = (trend["direction"] == "decreasing").to_numpy()
    hot_class = _classify(hot, cold, rising, falling, "hot")
    cold_class = _classify(cold, hot, falling, rising, "cold")
    pattern = np.select([hot_class != "", cold_class != ""], [hot_class, cold_class], "no pattern")
    return pd.DataFrame(
        {
            "pattern": pattern.astype(object),
            "total": values.sum(axis=1).astype(np.int64),
            "hot_steps": hot.sum(axis=1),
            "cold_steps": cold.sum(axis=1),
            "final_z": z[:, -1],
            "final_bin": _bins(z[:, -1], q[:, -1]),
            "trend_tau": trend["tau"].to_numpy(),
            "trend_p": trend["p"].to_numpy(),
        },
        index=pd.Index(study, name="cell"),
    ).astype({"pattern": "str"})
