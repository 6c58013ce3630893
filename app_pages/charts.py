"""Charts everyone can read: each with a text alternative, and time axes that name the year.

Streamlit's quick charts draw SVG marks with no text alternative (axe-core: ``svg-img-alt``).
These draw the same charts from a Vega-Lite spec, give the chart an accessible description
(Vega puts it on the SVG as its ``aria-label``), hide the individual marks from screen readers,
and show the same summary as a caption for everyone.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from geo.labels import chart_summary

__all__ = ["accessible_chart"]


def accessible_chart(
    data: pd.DataFrame | pd.Series,
    *,
    kind: str = "bar",
    value: str = "incidents",
    summary: str | None = None,
    suppressed: str = "suppressed",
    height: int = 220,
    horizontal: bool = False,
) -> None:
    """Draw ``data`` (index: months or categories; one column per series) with its summary.

    Missing values (suppressed counts) are left out of the marks and said in the summary.
    """
    frame = data.to_frame(data.name or value) if isinstance(data, pd.Series) else data.copy()
    temporal = isinstance(frame.index, pd.DatetimeIndex)
    text = summary or (
        chart_summary(frame, suppressed)
        if temporal
        else "; ".join(
            f"{column}: " + ", ".join(f"{i} {v:g}" for i, v in frame[column].dropna().items())
            for column in frame.columns
        )
    )
    index_name = "month" if temporal else (frame.index.name or "item")
    long = (
        frame.rename_axis(index_name)
        .reset_index()
        .melt(id_vars=index_name, var_name="series", value_name="_value")
        .dropna(subset=["_value"])
    )
    category = {"field": index_name, "type": "nominal", "title": None, "sort": None}
    axis: dict[str, Any] = (
        {
            "field": index_name,
            "type": "temporal",
            "title": None,
            "axis": {"format": "%b %Y", "labelAngle": 0},
        }
        if temporal
        else category
    )
    measure: dict[str, Any] = {"field": "_value", "type": "quantitative", "title": value}
    encoding: dict[str, Any] = (
        {"x": measure, "y": {**category, "sort": "-x"}} if horizontal else {"x": axis, "y": measure}
    )
    if frame.shape[1] > 1:
        encoding["color"] = {"field": "series", "type": "nominal", "title": None}
    encoding["tooltip"] = [
        {"field": index_name, "type": "temporal" if temporal else "nominal", "title": index_name}
        | ({"format": "%b %Y"} if temporal else {}),
        {"field": "series", "type": "nominal", "title": "series"},
        {"field": "_value", "type": "quantitative", "title": value},
    ]
    # A Vega-Lite spec of our own (no Altair: building and validating an Altair chart on every
    # run cost most of the Map page's server time). ``description`` becomes the SVG's
    # aria-label; marks are hidden from screen readers, which read the summary instead.
    spec = {
        "height": height,
        "description": text,
        "config": {"mark": {"aria": False}},
        "mark": {"type": "line", "point": True} if kind == "line" else {"type": "bar"},
        "encoding": encoding,
    }
    st.vega_lite_chart(long, spec, width="stretch")
    st.caption(text)
