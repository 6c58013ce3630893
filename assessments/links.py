"""Links between missing episodes and exploitation, per resolution-7 cell and per hotspot.

Loads the episodes (both points of each) and the incidents, labels the exploitation-flagged
ones, and runs ``geo.links``: the co-location quotient with its permutation test, and the
month-lagged comparison. A hotspot's place is the resolution-7 cells it touches: nothing about
missing episodes is placed finer than resolution 7. Raw counts: protect before showing
(``geo.links.protect_links``). Each place's counts carry key sums for the cell key method:
``episodes_keysum`` (the record key of the episode behind each episode location) and
``exploitation_keysum`` (the incidents' record keys); ``episodes_counted_keysum`` goes with
``episodes_counted`` (each episode once per place).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from assessments.episodes import load_episodes
from assessments.incidents import load_incidents
from assessments.models import Hotspot
from geo.cells import cells_to_parent, points_to_cells
from geo.disclosure import DisclosureProfile, protect_counts
from geo.filters import IncidentFilter
from geo.links import (
    EPISODE,
    EXPLOITATION,
    OTHER,
    colocation_quotients,
    is_exploitation,
    lagged_comparison,
    to_metres,
)

__all__ = [
    "COARSE_RES",
    "EpisodeLinks",
    "episode_links",
    "hotspot_areas",
    "shown_episodes_counted",
]

#: The finest resolution anything about missing episodes is placed at.
COARSE_RES = 7


@dataclass
class EpisodeLinks:
    """Co-location and lagged comparison by resolution-7 cell and by hotspot (raw)."""

    by_cell: pd.DataFrame
    by_hotspot: pd.DataFrame
    lag_by_hotspot: pd.DataFrame
    lag_by_cell: pd.DataFrame
    n_episodes: int
    permutations: int

    @property
    def overall(self) -> pd.Series:
        """The whole store's figures (the ``all`` row)."""
        return self.by_cell.loc["all"]


def hotspot_areas(engine: Engine, ids: list[int] | None = None) -> dict[int, list[int]]:
    """Return the resolution-7 cells each register hotspot touches."""
    query = select(Hotspot.id, Hotspot.cells, Hotspot.centroid_lat, Hotspot.centroid_lon)
    if ids is not None:
        query = query.where(Hotspot.id.in_(ids))
    areas: dict[int, list[int]] = {}
    with engine.connect() as conn:
        for hotspot_id, cells, lat, lon in conn.execute(query):
            fine = np.array([int(c) for c in cells or []], dtype=np.int64)
            if fine.size == 0 and lat is not None:
                fine = points_to_cells(np.array([lat]), np.array([lon]))
            areas[int(hotspot_id)] = sorted(set(cells_to_parent(fine, COARSE_RES).tolist()))
    return areas


def _points(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All points (x, y, label, area, month) and the episodes' own rows (for per-episode counts)."""
    episodes = load_episodes(engine)
    parts = []
    for prefix in ("from", "found"):
        located = episodes[episodes[f"{prefix}_lat"].notna()]
        parts.append(
            pd.DataFrame(
                {
                    "lat": located[f"{prefix}_lat"].to_numpy(),
                    "lon": located[f"{prefix}_lon"].to_numpy(),
                    "label": EPISODE,
                    "month": located["month"].to_numpy(),
                    "episode": located.index.to_numpy(),
                    "record_key": located["record_key"].to_numpy(np.int64),
                }
            )
        )
    incidents = load_incidents(
        engine,
        IncidentFilter(kinds=("incident",)),
        columns=("category", "month", "lat", "lon", "flags", "record_key"),
    )
    parts.append(
        pd.DataFrame(
            {
                "lat": incidents["lat"].to_numpy(dtype=float),
                "lon": incidents["lon"].to_numpy(dtype=float),
                "label": np.where(
                    is_exploitation(incidents["flags"], incidents["category"]), EXPLOITATION, OTHER
                ),
                "month": incidents["month"].to_numpy(),
                "episode": -1,
                "record_key": incidents["record_key"].to_numpy(np.int64),
            }
        )
    )
    points = pd.concat(parts, ignore_index=True)
    points["x"], points["y"] = to_metres(points["lat"].to_numpy(), points["lon"].to_numpy())
    points["area"] = points_to_cells(
        points["lat"].to_numpy(), points["lon"].to_numpy(), res=COARSE_RES
    )
    return points, episodes


def _monthly(points: pd.DataFrame, areas: Mapping[Any, list[int]]) -> tuple[pd.DataFrame, ...]:
    """Episodes (each once per place) and exploitation incidents by place and month."""
    member = pd.DataFrame(
        [(place, cell) for place, cells in areas.items() for cell in cells],
        columns=["place", "area"],
    )
    joined = points[points["label"] != OTHER].merge(member, on="area")
    ep = joined[joined["label"] == EPISODE].drop_duplicates(["place", "episode"])
    ex = joined[joined["label"] == EXPLOITATION]
    return (
        ep.groupby(["place", "month"])
        .agg(n=("record_key", "size"), keysum=("record_key", "sum"))
        .reset_index(),
        ex.groupby(["place", "month"]).size().rename("n").reset_index(),
    )


def _place_keysums(points: pd.DataFrame, areas: Mapping[Any, list[int]]) -> pd.DataFrame:
    """Key sums of each place's episode locations and exploitation incidents."""
    member = pd.DataFrame(
        [(place, cell) for place, cells in areas.items() for cell in set(cells)],
        columns=["place", "area"],
    )
    joined = points[points["label"] != OTHER].merge(member, on="area")
    sums = (
        joined.assign(
            episodes_keysum=joined["record_key"].where(joined["label"] == EPISODE, 0),
            exploitation_keysum=joined["record_key"].where(joined["label"] == EXPLOITATION, 0),
        )
        .groupby("place")[["episodes_keysum", "exploitation_keysum"]]
        .sum()
    )
    return sums.reindex(list(areas)).fillna(0).astype("int64")


def episode_links(
    engine: Engine, *, permutations: int = 99, seed: int = 0, hotspot_ids: list[int] | None = None
) -> EpisodeLinks:
    """Compute the links for every resolution-7 cell with episodes and for the hotspots."""
    points, episodes = _points(engine)
    areas = hotspot_areas(engine, hotspot_ids)
    cells_with_episodes = sorted(set(points.loc[points["label"] == EPISODE, "area"].tolist()))
    cell_groups = {cell: [cell] for cell in cells_with_episodes}
    by_cell = colocation_quotients(points, groups=cell_groups, permutations=permutations, seed=seed)
    every_area = sorted(set(points["area"].tolist()))
    by_cell = by_cell.join(_place_keysums(points, {**cell_groups, "all": every_area}))
    by_hotspot = colocation_quotients(
        points, groups=areas, permutations=permutations, seed=seed
    ).drop(index="all")
    by_hotspot = by_hotspot.join(_place_keysums(points, areas))
    # each episode once per place, however many of its points are there
    by_hotspot["episodes_counted"] = 0
    if len(points):
        months = pd.date_range(points["month"].min(), points["month"].max(), freq="MS")
    else:
        months = pd.DatetimeIndex([])
    ep, ex = _monthly(points, areas)
    lag_hot = lagged_comparison(ep, ex, months=months) if len(months) else pd.DataFrame()
    ep_c, ex_c = _monthly(points, {c: [c] for c in cells_with_episodes})
    lag_cell = lagged_comparison(ep_c, ex_c, months=months) if len(months) else pd.DataFrame()
    totals = ep.groupby("place")[["n", "keysum"]].sum()
    by_hotspot["episodes_counted"] = totals["n"].reindex(by_hotspot.index).fillna(0).astype(int)
    by_hotspot["episodes_counted_keysum"] = (
        totals["keysum"].reindex(by_hotspot.index).fillna(0).astype("int64")
    )
    return EpisodeLinks(
        by_cell=by_cell,
        by_hotspot=by_hotspot,
        lag_by_hotspot=lag_hot,
        lag_by_cell=lag_cell,
        n_episodes=len(episodes),
        permutations=permutations,
    )


def shown_episodes_counted(row: pd.Series, profile: DisclosureProfile) -> int:
    """Return a place's episodes as they may be shown (perturbed by their key sum; 0 hidden).

    What ``geo.links.lead_in_words`` is given, so its "too few" follows the shown count.
    """
    shown = protect_counts(
        pd.Series([int(row["episodes_counted"])]),
        profile,
        keys=pd.Series([int(row["episodes_counted_keysum"])]),
    )["count"].iloc[0]
    return 0 if pd.isna(shown) else int(shown)
