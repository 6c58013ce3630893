"""H3 hexagon aggregation of incidents (pure, vectorised): counts per cell and per month.

The stored fine cell (resolution 12) gives every coarser cell by bit arithmetic
(``geo.cells.cells_to_parent``); points are never re-indexed. The database does the same in SQL
(``assessments.maps``); this module is the reference the SQL is tested against.

Resolution 8 (cells about 0.74 km², edge ~460 m) is the default: a town-scale view where a cell
is a few streets, coarse enough that counts are rarely small and fine enough to show a park or a
station. Resolutions 7 to 10 are offered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.cells import cells_to_parent
from geo.filters import IncidentFilter
from geo.schema import DEFAULT_RES, RESOLUTIONS

__all__ = ["DEFAULT_RES", "RESOLUTIONS", "count_by_cell", "count_by_cell_month"]


def count_by_cell(
    incidents: pd.DataFrame, *, res: int = DEFAULT_RES, filt: IncidentFilter | None = None
) -> pd.DataFrame:
    """Count incidents per H3 cell at ``res``.

    Examples
    --------
    >>> import h3
    >>> fine = [h3.str_to_int(h3.latlng_to_cell(52.8, -2.1, 12))] * 3
    >>> out = count_by_cell(pd.DataFrame({"h3_cell": fine}), res=8)
    >>> h3.int_to_str(int(out.loc[0, "h3_cell"])) == h3.latlng_to_cell(52.8, -2.1, 8)
    True
    >>> int(out.loc[0, "count"])
    3
    """
    if filt is not None:
        incidents = filt.apply(incidents)
    cells = cells_to_parent(incidents["h3_cell"].to_numpy(dtype=np.int64), res)
    values, counts = np.unique(cells, return_counts=True)
    return pd.DataFrame({"h3_cell": values.astype(np.int64), "count": counts.astype(np.int64)})


def count_by_cell_month(
    incidents: pd.DataFrame, *, res: int = DEFAULT_RES, filt: IncidentFilter | None = None
) -> pd.DataFrame:
    """Count incidents per H3 cell and month (for trends)."""
    if filt is not None:
        incidents = filt.apply(incidents)
    frame = pd.DataFrame(
        {
            "h3_cell": cells_to_parent(incidents["h3_cell"].to_numpy(dtype=np.int64), res),
            "month": pd.to_datetime(incidents["month"]).to_numpy(),
        }
    )
    return (
        frame.groupby(["h3_cell", "month"], as_index=False).size().rename(columns={"size": "count"})
    )
