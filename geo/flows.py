"""Flows of missing episodes: from where a child went missing to where they were found.

Episodes with both points are counted between resolution-7 cells (about 5 km²; never finer)
and between districts. Each flow's count carries ``keysum``, the sum of its episodes' record
keys, and goes through ``geo.disclosure.protect_counts(keys=...)`` (the cell key method: the same
episodes always get the same noise, so overlapping periods do not average it away): a flow
below the threshold is not drawn and not listed (only counted among the hidden). The key sum
itself is never shown.
"""

from __future__ import annotations

from typing import Final

import h3
import numpy as np
import pandas as pd

from geo.cells import cell_to_str, points_to_cells
from geo.disclosure import DisclosureProfile, protect_counts

__all__ = ["FLOW_RES", "district_flows", "episode_flows", "protect_flows"]

#: The resolution flows are counted at (the disclosure module's coarse resolution).
FLOW_RES: Final = 7


def episode_flows(episodes: pd.DataFrame, *, res: int = FLOW_RES) -> pd.DataFrame:
    """Count episodes from each missing-from cell to each found-at cell.

    Parameters
    ----------
    episodes
        ``from_lat``, ``from_lon``, ``found_lat``, ``found_lon`` (missing where absent) and
        ``record_key`` (each episode's record key; without it flows have no ``keysum`` and are
        only rounded).
    res
        H3 resolution, at most :data:`FLOW_RES` (coarser is allowed).

    Returns
    -------
    pandas.DataFrame
        ``from_cell``, ``to_cell`` (int64), ``count`` (raw), ``keysum`` (with record keys),
        the centre of each cell
        (``from_lat``, ``from_lon``, ``to_lat``, ``to_lon``) and ``same_cell`` (found in the
        cell they went missing from), largest first.

    Examples
    --------
    >>> eps = pd.DataFrame({"from_lat": [52.80, 52.80, None], "from_lon": [-2.10, -2.10, -2.1],
    ...                     "found_lat": [52.95, 52.95, 52.9], "found_lon": [-2.30, -2.30, -2.2]})
    >>> episode_flows(eps)["count"].tolist()
    [2]
    """
    if res > FLOW_RES:
        msg = f"flows are never counted finer than resolution {FLOW_RES}"
        raise ValueError(msg)
    both = episodes[
        episodes[["from_lat", "from_lon", "found_lat", "found_lon"]].notna().all(axis=1)
    ]
    keyed = "record_key" in episodes
    columns = [
        "from_cell",
        "to_cell",
        "count",
        *(["keysum"] if keyed else []),
        "from_lat",
        "from_lon",
        "to_lat",
        "to_lon",
    ]
    if both.empty:
        return pd.DataFrame(columns=[*columns, "same_cell"])
    frame = pd.DataFrame(
        {
            "from_cell": points_to_cells(
                both["from_lat"].to_numpy(float), both["from_lon"].to_numpy(float), res=res
            ),
            "to_cell": points_to_cells(
                both["found_lat"].to_numpy(float), both["found_lon"].to_numpy(float), res=res
            ),
            "record_key": both["record_key"].to_numpy(np.int64) if keyed else 0,
        }
    )
    flows = (
        frame.groupby(["from_cell", "to_cell"])
        .agg(count=("record_key", "size"), keysum=("record_key", "sum"))
        .reset_index()
    )
    for end in ("from", "to"):
        centres = np.array(
            [h3.cell_to_latlng(cell_to_str(c)) for c in flows[f"{end}_cell"]], dtype=float
        ).reshape(-1, 2)
        flows[f"{end}_lat"], flows[f"{end}_lon"] = centres[:, 0], centres[:, 1]
    flows["same_cell"] = flows["from_cell"] == flows["to_cell"]
    return flows.sort_values(["count", "from_cell", "to_cell"], ascending=[False, True, True])[
        [*columns, "same_cell"]
    ].reset_index(drop=True)


def district_flows(episodes: pd.DataFrame) -> pd.DataFrame:
    """Count episodes from each missing-from district to each found-at district (raw).

    With ``record_key`` in ``episodes``, each flow also carries ``keysum``.

    Examples
    --------
    >>> eps = pd.DataFrame({"from_district": ["A", "A", "B", None],
    ...                     "found_district": ["B", "B", "B", "A"]})
    >>> district_flows(eps).to_dict("records")
    [{'from_district': 'A', 'to_district': 'B', 'count': 2}, {'from_district': 'B', 'to_district': 'B', 'count': 1}]
    """  # noqa: E501
    both = episodes.dropna(subset=["from_district", "found_district"])
    keyed = "record_key" in episodes
    flows = (
        both.assign(record_key=both["record_key"].astype("int64") if keyed else 0)
        .groupby(["from_district", "found_district"])
        .agg(count=("record_key", "size"), keysum=("record_key", "sum"))
        .reset_index()
        .rename(columns={"found_district": "to_district"})
    )
    if not keyed:
        flows = flows.drop(columns="keysum")
    return flows.sort_values(
        ["count", "from_district", "to_district"], ascending=[False, True, True]
    ).reset_index(drop=True)


def protect_flows(flows: pd.DataFrame, profile: DisclosureProfile) -> tuple[pd.DataFrame, int]:
    """Keep the flows that may be shown; return them and how many were hidden.

    Shown flows get ``shown`` (the protected count) and ``label``; flows below the threshold
    are dropped and counted as hidden. With ``keysum`` the counts are perturbed by the cell key
    method (and ``keysum`` is dropped); without it they are only rounded.

    Examples
    --------
    >>> from geo.disclosure import INTERNAL
    >>> shown, hidden = protect_flows(pd.DataFrame({"count": [12, 3, 0]}), INTERNAL)
    >>> shown["label"].tolist(), hidden
    (['10'], 1)
    """
    keys = flows["keysum"].astype("int64") if "keysum" in flows else None
    protected = protect_counts(flows["count"].astype("int64"), profile, keys=keys)
    keep = ~protected["suppressed"].to_numpy() & (flows["count"].to_numpy() > 0)
    hidden = int(protected["suppressed"].sum())
    out = flows.loc[keep].copy()
    out["shown"] = protected.loc[keep, "count"].astype("int64")
    out["label"] = protected.loc[keep, "label"]
    return out.drop(columns=["count", "keysum"], errors="ignore").reset_index(drop=True), hidden
