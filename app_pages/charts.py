"""Charts everyone can read: each with a text alternative, and time axes that name the year.

Streamlit's quick charts draw SVG marks with no text alternative (axe-core: ``svg-img-alt``).
These draw the same charts with Altair, give the chart an accessible description (Vega puts it
on the SVG as its ``aria-label``), hide the individual marks from screen readers, and show the
same summary as a caption for everyone.
"""

from __future__ import annotations

import altair as alt
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
    axis = (
        alt.X(f"{index_name}:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0))
        if temporal
        else alt.X(f"{index_name}:N", title=None, sort=None)
    )
    measure = alt.Y("_value:Q", title=value)
    if horizontal:
        axis, measure = (
            alt.Y(f"{index_name}:N", title=None, sort="-x"),
            alt.X("_value:Q", title=value),
        )
    mark = alt.Chart(long).mark_line(point=True) if kind == "line" else alt.Chart(long).mark_bar()
    encoding = {"x": axis, "y": measure} if not horizontal else {"x": measure, "y": axis}
    if frame.shape[1] > 1:
        encoding["color"] = alt.Color("series:N", title=None)
    chart = (
        mark.encode(
            **encoding,
            tooltip=[
                alt.Tooltip(f"{index_name}:{'T' if temporal else 'N'}", title=index_name),
                alt.Tooltip("series:N", title="series"),
                alt.Tooltip("_value:Q", title=value),
            ],
        )
        .properties(height=height, description=text)
        .configure_mark(aria=False)
    )
    st.altair_chart(chart, use_container_width=True)
    st.caption(text)
