"""Match a new hotspot run to the register by shared H3 cells, so identities survive recomputation.

Each hotspot is a set of member cells at one resolution (10 by default, ~130 m across). A new
hotspot and a register hotspot are *linked* when their similarity reaches the threshold. The
default measure is the overlap coefficient ``|A ∩ B| / min(|A|, |B|)`` with threshold 0.5: two
hotspots are linked when at least half of the smaller one lies inside the other. Unlike Jaccard,
it links a hotspot that grew (one more month of data adds cells around the edge) and the parts of
a split or a merge, whose sizes differ a lot from the whole; the 0.5 floor keeps hotspots that only
touch at their edges apart. Jaccard ``|A ∩ B| / |A ∪ B|`` is available for a stricter register.

From the links:

- a new hotspot with one linked parent that has no other linked child **continues** it and keeps
  its id;
- a parent linked to several new hotspots **split**: all those children are ``split-from`` it;
  the child sharing most cells keeps the parent's id, the others get new ids;
- a new hotspot linked to several parents is ``merged-from`` them: it keeps the id of the parent
  sharing most cells, the other parents become "not currently active";
- a new hotspot with no link is **new**; a register hotspot whose id nobody kept is **not
  currently active** (never deleted: the register keeps its history and notes).

Ids are handed out greedily over links in decreasing order of shared cells, then similarity, then
input order (pass the register oldest first, so that on a tie the older id survives), so each id
goes to at most one new hotspot and each new hotspot keeps at most one id. Every link of a
split or a merge is a lineage edge (``merge`` when the child has several parents, else ``split``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from geo._errors import InputError

__all__ = [
    "DEFAULT_MATCH_MEASURE",
    "DEFAULT_MATCH_THRESHOLD",
    "MatchResult",
    "match_to_register",
]

#: Default similarity: the overlap coefficient (see the module docstring for why).
DEFAULT_MATCH_MEASURE: Final[str] = "overlap"
#: Default link threshold: at least half of the smaller hotspot's cells shared.
DEFAULT_MATCH_THRESHOLD: Final[float] = 0.5

#: Member cells by hotspot key: a mapping or a Series of arrays (lists and sets also work).
CellSets: TypeAlias = "Mapping[Hashable, np.ndarray | list[int] | set[int]] | pd.Series"

ACTIVE: Final[str] = "active"
INACTIVE: Final[str] = "not currently active"


@dataclass(frozen=True)
class MatchResult:
    """The outcome of :func:`match_to_register`.

    Attributes
    ----------
    new
        One row per new hotspot (index: its key as given): ``matched_id`` (the register id it
        keeps, or ``None`` when it needs a new id), ``relation`` (``continued``, ``split-from``,
        ``merged-from`` or ``new``), ``similarity`` and ``shared_cells`` with its best-linked
        register hotspot (0 when unlinked), ``n_cells``.
    existing
        One row per register hotspot (index: its id): ``status`` (``active`` or ``not currently
        active``), ``successor`` (the new key that kept its id, or ``None``), ``n_cells``.
    lineage
        Edges of splits and merges: ``parent_id`` (register id), ``child`` (new key), ``kind``
        (``split`` or ``merge``), ``shared_cells``, ``similarity``; the child that keeps the
        parent's id has an edge too, so the register can show "12 split into 12 and 40".
    measure, threshold
        The similarity used and its threshold, to show beside the result.
    links
        Every link at or above the threshold (``new``, ``existing``, ``shared_cells``,
        ``similarity``), strongest first: the evidence behind the relations.
    """

    new: pd.DataFrame
    existing: pd.DataFrame
    lineage: pd.DataFrame
    measure: str = DEFAULT_MATCH_MEASURE
    threshold: float = DEFAULT_MATCH_THRESHOLD
    links: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)


def _explode(sets: CellSets, what: str) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Return ``(keys, owner_position, cell)`` with each (owner, cell) pair once."""
    series = sets if isinstance(sets, pd.Series) else pd.Series(dict(sets), dtype=object)
    keys = series.index
    if not keys.is_unique:
        msg = f"the {what} hotspots have duplicate ids"
        raise InputError(msg)
    arrays = [np.asarray(list(v) if isinstance(v, set) else v, dtype=np.int64) for v in series]
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    owner = np.repeat(np.arange(len(arrays)), lengths)
    cells = np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)
    pairs = pd.DataFrame({"owner": owner, "cell": cells}).drop_duplicates()
    return keys, pairs["owner"].to_numpy(), pairs["cell"].to_numpy()


def match_to_register(
    new_hotspots: CellSets,
    existing: CellSets,
    *,
    threshold: float = DEFAULT_MATCH_THRESHOLD,
    measure: Literal["overlap", "jaccard"] = "overlap",
) -> MatchResult:
    """Match new hotspots to register hotspots by their shared H3 cells.

    Cells are counted through an inverted index (a join on cell id), so the cost grows with the
    number of shared cells, not with new x existing pairs.

    Parameters
    ----------
    new_hotspots
        Member cells of each new hotspot, by any hashable key (e.g. the ``cells`` column of
        :func:`geo.hotspots.find_hotspots`, indexed by row): a mapping or a Series of arrays.
    existing
        Member cells of each register hotspot, by register id. All cells at one resolution.
    threshold
        Minimum similarity, in (0, 1], that links two hotspots.
    measure
        ``overlap`` (shared / smaller size) or ``jaccard`` (shared / union size).

    Returns
    -------
    MatchResult
        Per new hotspot, per register hotspot, and the lineage edges.

    Examples
    --------
    >>> result = match_to_register({"a": [1, 2, 3], "b": [7, 8]}, {"H1": [1, 2, 3, 4]})
    >>> result.new["matched_id"].to_dict(), result.new["relation"].to_dict()
    ({'a': 'H1', 'b': None}, {'a': 'continued', 'b': 'new'})
    >>> result.existing["status"].to_dict()
    {'H1': 'active'}
    """
    if not 0 < threshold <= 1:
        msg = f"the match threshold must be above 0 and at most 1, not {threshold!r}"
        raise InputError(msg)
    if measure not in ("overlap", "jaccard"):
        msg = f"the match measure must be 'overlap' or 'jaccard', not {measure!r}"
        raise InputError(msg)
    new_keys, new_owner, new_cells = _explode(new_hotspots, "new")
    old_keys, old_owner, old_cells = _explode(existing, "register")
    new_size = np.bincount(new_owner, minlength=len(new_keys))
    old_size = np.bincount(old_owner, minlength=len(old_keys))

    # inverted index: join on cell, then count shared cells per (new, old) pair
    joined = pd.DataFrame({"new": new_owner, "cell": new_cells}).merge(
        pd.DataFrame({"old": old_owner, "cell": old_cells}), on="cell", how="inner"
    )
    links = joined.groupby(["new", "old"], sort=False).size().rename("shared").reset_index()
    shared = links["shared"].to_numpy(dtype=np.float64)
    a = new_size[links["new"].to_numpy()]
    b = old_size[links["old"].to_numpy()]
    similarity = shared / np.minimum(a, b) if measure == "overlap" else shared / (a + b - shared)
    links["similarity"] = similarity
    links = links[similarity >= threshold - 1e-12]
    links = links.sort_values(
        ["shared", "similarity", "new", "old"], ascending=[False, False, True, True]
    ).reset_index(drop=True)

    new_pos = links["new"].to_numpy()
    old_pos = links["old"].to_numpy()
    n_parents = np.bincount(new_pos, minlength=len(new_keys))
    n_children = np.bincount(old_pos, minlength=len(old_keys))

    # greedy one-to-one hand-out of ids over links, strongest first
    keeper_of_old = np.full(len(old_keys), -1, dtype=np.int64)
    kept_by_new = np.full(len(new_keys), -1, dtype=np.int64)
    for n_i, o_i in zip(new_pos.tolist(), old_pos.tolist(), strict=True):
        if keeper_of_old[o_i] < 0 and kept_by_new[n_i] < 0:
            keeper_of_old[o_i] = n_i
            kept_by_new[n_i] = o_i

    # the best link of each new hotspot (first in sorted order)
    best = links.drop_duplicates("new")
    best_shared = np.zeros(len(new_keys), dtype=np.int64)
    best_sim = np.zeros(len(new_keys))
    best_shared[best["new"].to_numpy()] = best["shared"].to_numpy()
    best_sim[best["new"].to_numpy()] = best["similarity"].to_numpy()

    split_parent = n_children >= 2
    relation = np.select(
        [
            n_parents >= 2,
            (n_parents == 1) & np.isin(np.arange(len(new_keys)), new_pos[split_parent[old_pos]]),
            n_parents == 1,
        ],
        np.array(["merged-from", "split-from", "continued"], dtype=object),
        default="new",
    )
    old_key_array = old_keys.to_numpy(dtype=object)
    new_key_array = new_keys.to_numpy(dtype=object)
    matched = np.full(len(new_keys), None, dtype=object)
    matched[kept_by_new >= 0] = old_key_array[kept_by_new[kept_by_new >= 0]]
    new_frame = pd.DataFrame(
        {
            "matched_id": pd.Series(matched, index=new_keys, dtype=object),
            "relation": relation.astype(object),
            "similarity": best_sim,
            "shared_cells": best_shared,
            "n_cells": new_size,
        },
        index=new_keys,
    ).astype({"relation": "str"})

    successor = np.full(len(old_keys), None, dtype=object)
    successor[keeper_of_old >= 0] = new_key_array[keeper_of_old[keeper_of_old >= 0]]
    existing_frame = pd.DataFrame(
        {
            "status": np.where(keeper_of_old >= 0, ACTIVE, INACTIVE).astype(object),
            "successor": pd.Series(successor, index=old_keys, dtype=object),
            "n_cells": old_size,
        },
        index=old_keys,
    ).astype({"status": "str"})

    # lineage: every link that belongs to a split (parent with 2+ children) or a merge
    in_merge = n_parents[new_pos] >= 2
    in_split = n_children[old_pos] >= 2
    edges = links[in_merge | in_split]
    lineage = pd.DataFrame(
        {
            "parent_id": pd.Series(old_key_array[edges["old"].to_numpy()], dtype=object),
            "child": pd.Series(new_key_array[edges["new"].to_numpy()], dtype=object),
            "kind": pd.Series(
                np.where(in_merge[in_merge | in_split], "merge", "split"), dtype="str"
            ),
            "shared_cells": edges["shared"].to_numpy(dtype=np.int64),
            "similarity": edges["similarity"].to_numpy(),
        }
    )
    link_frame = pd.DataFrame(
        {
            "new": pd.Series(new_key_array[new_pos], dtype=object),
            "existing": pd.Series(old_key_array[old_pos], dtype=object),
            "shared_cells": links["shared"].to_numpy(dtype=np.int64),
            "similarity": links["similarity"].to_numpy(),
        }
    )
    return MatchResult(
        new=new_frame,
        existing=existing_frame,
        lineage=lineage,
        measure=measure,
        threshold=float(threshold),
        links=link_frame,
    )
