"""Map: where harm concentrates, on H3 hexagons, filtered, with small numbers protected."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import folium
import h3
import pandas as pd
import streamlit as st

from app_pages.charts import accessible_chart
from app_pages.common import (
    current_data_version,
    disclosure_profile,
    get_engine,
    offer_download,
)
from app_pages.folium_map import map_arguments, show_map
from assessments import maps
from assessments.flows import shown_flows as protected_flows
from assessments.imports import load_districts
from assessments.incidents import month_range, taxonomy_in_store
from geo.cells import cell_to_str
from geo.disclosure import DisclosureProfile, effective_resolution, protect_counts
from geo.filters import IncidentFilter
from geo.hexes import DEFAULT_RES, RESOLUTIONS
from geo.labels import EMERGING_LABELS, flag_label, format_month, kind_label
from geo.stats import emerging_hot_spots, gi_star
from geo.text import safe_text
from layers.flows import flow_layer
from layers.hexes import (
    TILES,
    base_map,
    district_layer,
    hex_layer,
    legend_html,
    spot_colour,
    spot_layer,
)
from layers.static import render_static_map

engine = get_engine()
version = current_data_version()
profile = disclosure_profile()


@st.cache_data(ttl=3600, max_entries=16)
def _choices(version: str) -> tuple[dict[str, list[str]], tuple[dt.date | None, dt.date | None]]:
    return taxonomy_in_store(engine), month_range(engine)


@st.cache_data(ttl=3600, max_entries=64)
def _cells(version: str, filt: IncidentFilter, res: int) -> pd.DataFrame:
    return maps.count_cells(engine, filt, res=res)


@st.cache_data(ttl=3600, max_entries=64)
def _monthly(version: str, filt: IncidentFilter) -> pd.DataFrame:
    return maps.monthly_counts(engine, filt, by="kind")


@st.cache_data(ttl=3600, max_entries=16)
def _spots(version: str, filt: IncidentFilter, res: int, analysis: str) -> pd.DataFrame:
    """Significant hexagons: ``h3_cell``, ``kind`` (hot/cold) and ``label``."""
    if analysis.startswith("Gi*"):
        counts = maps.count_cells(engine, filt, res=res).set_index("h3_cell")["count"]
        result = gi_star(counts)
        result = result[result["spot"].isin(["hot", "cold"])]
        return pd.DataFrame(
            {
                "h3_cell": result.index.astype("int64"),
                "kind": result["spot"],
                "label": result["spot"]
                + " spot, "
                + result["bin"].abs().map({3: "99%", 2: "95%", 1: "90%"}).fillna("90%")
                + " confidence",
            }
        ).reset_index(drop=True)
    wide = maps.count_cells_by_month(engine, filt, res=res)
    if wide.empty or wide.shape[1] < 2:
        return pd.DataFrame(columns=["h3_cell", "kind", "label"])
    classes = emerging_hot_spots(wide)
    column = "pattern" if "pattern" in classes.columns else classes.columns[-1]
    named = classes[classes[column] != "no pattern"]
    kind = named[column].astype(str).str.contains("cold").map({True: "cold", False: "hot"})
    return pd.DataFrame(
        {
            "h3_cell": named.index.astype("int64"),
            "kind": kind.to_numpy(),
            "label": named[column].astype(str).to_numpy(),
        }
    ).reset_index(drop=True)


@st.cache_data(ttl=3600, max_entries=8)
def _flows(
    version: str, start: str, end: str, profile_name: str
) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    return protected_flows(
        engine,
        start=dt.date.fromisoformat(start),
        end=dt.date.fromisoformat(end),
        profile=disclosure_profile(profile_name),
    )


@st.cache_data(ttl=3600, max_entries=8)
def _districts(version: str):  # type: ignore[no-untyped-def]
    return load_districts(engine)


def _protect(raw: pd.DataFrame, profile: DisclosureProfile) -> tuple[pd.DataFrame, int]:
    """Protected counts per hexagon, and how many the publication profile leaves out."""
    protected = pd.concat(
        [raw[["h3_cell"]], protect_counts(raw["count"], profile, keys=raw["keysum"])], axis=1
    )
    if profile.name != "publication":
        return protected, 0
    dropped = int(protected["suppressed"].sum())
    return protected[~protected["suppressed"]].reset_index(drop=True), dropped


def _spot_key(spots: pd.DataFrame, analysis: str) -> dict[str, tuple[str, str]]:
    """Each hot spot class shown: its outline colour and what it means."""
    return {
        label: (
            spot_colour(label, kind),
            EMERGING_LABELS.get(label.split(" ")[0], "")
            if analysis.startswith("emerging")
            else ("more incidents than chance" if kind == "hot" else "fewer than chance"),
        )
        for label, kind in spots[["label", "kind"]].drop_duplicates().itertuples(index=False)
    }


@st.cache_data(ttl=3600, max_entries=16)
def _figure(
    version: str,
    filt: IncidentFilter,
    res: int,
    profile: DisclosureProfile,
    tiles: str,
    analysis: str,
    note: str | None,
    flows: bool = False,
    view: tuple[int, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """The whole map (hexagons, districts, hot spots, key), rendered for the map component.

    ``view`` is a shared link's zoom and centre: the map opens there instead of fitting the
    hexagons. Keyed on the data version and the parameters (``note`` and ``view`` too).
    Building and rendering it (outlines, colours, the layer's JSON, folium's templates) was
    most of the page's server time for thousands of hexagons; from the cache it is a few
    strings.
    """
    raw = _cells(version, filt, res)
    protected, _ = _protect(raw, profile)
    if profile.name == "publication":
        raw = raw.loc[raw["h3_cell"].isin(protected["h3_cell"])]
    centres = [h3.cell_to_latlng(cell_to_str(c)) for c in raw["h3_cell"]]
    lats, lons = [c[0] for c in centres], [c[1] for c in centres]
    if view is not None:  # a shared link's view, drawn as the map opens
        fmap = base_map(tiles=tiles)
        fmap.location = list(view[1])
        fmap.options["zoom"] = view[0]
    else:
        fmap = base_map(tiles=tiles, bounds=[[min(lats), min(lons)], [max(lats), max(lons)]])
    layer, colormap = hex_layer(protected, threshold=profile.threshold)
    layer.add_to(fmap)
    district_frame = _districts(version)
    if not district_frame.empty:
        codes = filt.districts or tuple(_choices(version)[0]["districts"])
        district_layer(district_frame[district_frame["code"].isin(codes)]).add_to(fmap)
    spot_key: dict[str, tuple[str, str]] = {}
    if analysis != "none":
        spots = _spots(version, filt, res, analysis)
        if not spots.empty:
            spot_layer(spots).add_to(fmap)
            spot_key = _spot_key(spots, analysis)
    if flows and filt.start_month and filt.end_month:
        shown_flows = _flows(version, str(filt.start_month), str(filt.end_month), profile.name)[0]
        flow_layer(shown_flows).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.get_root().html.add_child(
        folium.Element(
            legend_html(
                colormap, profile_text=profile.describe(), note=note, spots=spot_key or None
            )
        )
    )
    return map_arguments(fmap)


taxonomy, (first, last) = _choices(version)
st.title("Map")
if first is None or last is None:
    st.info("No incidents in the store yet. Import data on the Import page.")
    st.stop()

months = [d.date() for d in pd.date_range(first, last, freq="MS")]
params = st.query_params
defaults = {
    "map_from": params.get("from", str(months[max(0, len(months) - 12)])),
    "map_to": params.get("to", str(months[-1])),
    "map_kinds": params.get_all("kind")
    or (["incident"] if "incident" in taxonomy["kinds"] else taxonomy["kinds"]),
    "map_categories": params.get_all("category"),
    "map_flags": params.get_all("flag"),
    "map_ages": params.get_all("age"),
    "map_districts": params.get_all("district"),
    "map_res": int(params.get("res", DEFAULT_RES)),
    "map_tiles": params.get("tiles", "OpenStreetMap"),
}
for key, value in defaults.items():
    st.session_state.setdefault(key, value)
# A shared link's view (zoom, centre, selected hexagon) is where this visit starts.
# Read once, on the page's first run: later runs write the user's own view into the address,
# and reading that back as a shared view would redraw the map (and lose a click) each time.
if "map_shared_view" not in st.session_state:
    st.session_state["map_shared_view"] = None
    if {"zoom", "lat", "lon"} <= set(params):
        with contextlib.suppress(ValueError):
            st.session_state["map_shared_view"] = (
                int(params["zoom"]),
                (float(params["lat"]), float(params["lon"])),
            )
if "cell" in params and h3.is_valid_cell(params["cell"]):
    st.session_state.setdefault("map_cell", params["cell"])
# A newly imported month shows at once: a range that ended at the latest month follows it.
newest = str(months[-1])
if st.session_state.get("map_newest") not in (None, newest) and st.session_state[
    "map_to"
] == st.session_state.get("map_newest"):
    st.session_state["map_to"] = newest
st.session_state["map_newest"] = newest

names = _districts(version).set_index("code")["name"].to_dict()
with st.sidebar:
    st.subheader("Filters")
    month_labels = [str(m) for m in months]
    start, end = st.select_slider(
        "Months",
        options=month_labels,
        value=(
            st.session_state["map_from"]
            if st.session_state["map_from"] in month_labels
            else month_labels[0],
            st.session_state["map_to"]
            if st.session_state["map_to"] in month_labels
            else month_labels[-1],
        ),
        format_func=lambda m: pd.Timestamp(m).strftime("%b %Y"),
    )
    kinds = st.multiselect(
        "Kinds",
        taxonomy["kinds"],
        key="map_kinds",
        format_func=kind_label,
        help="Incidents; where children went missing from; where they were found.",
    )
    categories = st.multiselect("Categories", taxonomy["categories"], key="map_categories")
    flags = st.multiselect(
        "Exploitation flags (any of)", taxonomy["flags"], key="map_flags", format_func=flag_label
    )
    ages = st.multiselect("Age bands", taxonomy["age_bands"], key="map_ages")
    districts = st.multiselect(
        "Districts",
        taxonomy["districts"],
        key="map_districts",
        format_func=lambda c: names.get(c, c),
    )
    res = st.select_slider(
        "Hexagon size (H3 resolution)",
        options=list(RESOLUTIONS),
        key="map_res",
        help="7: about 5 km² per hexagon; 8: 0.7 km² (town scale, the "
        "default); 9: 0.1 km²; 10: 0.015 km² (street scale)",
    )
    show_flows = st.checkbox(
        "Missing-episode flows",
        key="map_flows",
        help="Lines from where children went missing to where they were found, between "
        "resolution-7 areas (about 5 km²), for the months chosen. Flows below the threshold "
        "are not drawn.",
    )
    tiles = st.radio("Background", list(TILES), key="map_tiles")
    analysis = st.radio(
        "Hot spot analysis",
        ["none", "Gi* (whole period)", "emerging (month by month)"],
        key="map_analysis",
        help="Gi*: hexagons whose neighbourhood holds more (hot) or fewer (cold) incidents "
        "than chance would give. Emerging: how each hexagon's hot or cold spots changed month "
        "by month (new, intensifying, persistent...). See the Glossary page.",
    )
st.session_state["map_from"], st.session_state["map_to"] = start, end
st.query_params.from_dict(
    {
        "from": start,
        "to": end,
        "kind": kinds,
        "category": categories,
        "flag": flags,
        "age": ages,
        "district": districts,
        "res": str(res),
        "tiles": tiles,
    }
)

filt = IncidentFilter(
    start_month=dt.date.fromisoformat(start),
    end_month=dt.date.fromisoformat(end),
    kinds=tuple(kinds),
    categories=tuple(categories),
    flags=tuple(flags),
    age_bands=tuple(ages),
    districts=tuple(districts),
)
shown_res, note = effective_resolution(res, kinds, profile)
raw = _cells(version, filt, shown_res)
st.caption(f"{safe_text(filt.describe(names))} · {profile.describe()}")
st.page_link(
    "app_pages/glossary.py",
    label="What do these terms mean? Glossary",
    icon=":material/menu_book:",
)
if note:
    st.warning(note)
if raw.empty:
    st.info("No incident matches these filters.")
    st.stop()

protected, dropped = _protect(raw, profile)
if profile.name == "publication":
    raw = raw.loc[raw["h3_cell"].isin(protected["h3_cell"])].reset_index(drop=True)
    dropped_note = (
        f"Publication profile: {dropped} hexagons with fewer than "
        f"{profile.threshold} incidents are not shown."
    )
    st.caption(dropped_note)
    note = f"{note} {dropped_note}" if note else dropped_note
    if protected.empty:
        st.info(note)
        st.stop()
shared_zoom, shared_centre = st.session_state["map_shared_view"] or (None, None)
shared_view = (int(shared_zoom), tuple(shared_centre)) if shared_zoom else None
district_frame = _districts(version)
if analysis != "none":
    spots = _spots(version, filt, shown_res, analysis)
    if spots.empty:
        st.caption("Hot spot analysis: no significant hot or cold spot for this selection.")
    else:
        st.caption(
            f"Hot spot analysis ({analysis}): {len(spots)} hexagons outlined, one colour per "
            "class (see the key on the map). Corrected for testing many hexagons at once, so "
            "few are outlined by chance."
        )
rendered = _figure(
    version, filt, shown_res, profile, tiles, analysis, note, show_flows, shared_view
)
flow_note = ""
if show_flows:
    flows, hidden, by_district = _flows(version, start, end, profile.name)
    flow_note = (
        f"Missing-episode flows: {len(flows)} drawn between resolution-7 areas; {hidden} "
        f"below {profile.threshold} episodes not drawn."
    )
    st.caption(flow_note)
    with st.expander("Missing-episode flows between districts"):
        st.dataframe(
            by_district.assign(
                from_district=by_district["from_district"].map(lambda c: names.get(c, c)),
                to_district=by_district["to_district"].map(lambda c: names.get(c, c)),
            )[["from_district", "to_district", "label"]].rename(
                columns={
                    "from_district": "went missing from",
                    "to_district": "found in",
                    "label": "episodes",
                }
            ),
            hide_index=True,
            width="stretch",
        )

left, right = st.columns([3, 2])
with left:
    clicked = show_map(
        rendered, height=600, returned_objects=["last_clicked", "zoom", "center"], key="map_view"
    )
    # The address holds the view, so copying it shares exactly what is on screen.
    clicked = clicked or {}
    if clicked.get("zoom") and clicked.get("center"):
        st.query_params["zoom"] = str(int(clicked["zoom"]))
        st.query_params["lat"] = f"{clicked['center']['lat']:.5f}"
        st.query_params["lon"] = f"{clicked['center']['lng']:.5f}"
    elif shared_zoom:
        st.query_params["zoom"] = str(shared_zoom)
        st.query_params["lat"] = f"{shared_centre[0]:.5f}"
        st.query_params["lon"] = f"{shared_centre[1]:.5f}"
with right:
    st.subheader("Monthly trend")
    monthly = _monthly(version, filt)
    if not monthly.empty:
        wide = monthly.pivot_table(
            index="month", columns="kind", values="count", aggfunc="sum"
        ).fillna(0)
        trend_keys = monthly.pivot_table(
            index="month", columns="kind", values="keysum", aggfunc="sum"
        ).fillna(0)

        def _protect_trend(col: pd.Series, part: str) -> pd.Series:
            return protect_counts(col.astype(int), profile, keys=trend_keys[col.name])[part]

        protected_trend = wide.apply(_protect_trend, part="count")
        protected_trend.columns = [kind_label(k).split(" (")[0] for k in protected_trend.columns]
        accessible_chart(
            protected_trend.astype("float"), kind="line", suppressed=profile.suppressed_label
        )
        hidden = int(protected_trend.isna().to_numpy().sum())
        if hidden:
            st.caption(
                f"{hidden} month(s) with {profile.suppressed_label} incidents are left "
                "out of the chart."
            )
        with st.expander("The chart as a table"):
            table_trend = wide.apply(_protect_trend, part="label")
            table_trend.columns = protected_trend.columns
            table_trend.index = [format_month(m) for m in table_trend.index]
            st.dataframe(table_trend, width="stretch")
    if st.button(
        "Prepare a map image (PNG)",
        help="for reports and minutes; marked with the disclosure profile",
    ):
        png = render_static_map(
            hexes=protected[["h3_cell", "count"]],
            districts=district_frame,
            threshold=profile.threshold,
            title=filt.describe(names),
            footer=("OFFICIAL-SENSITIVE · " if profile.name != "publication" else "")
            + profile.describe(),
        )
        offer_download(
            "Download the map image",
            data=png,
            rows=len(protected),
            what="map_image",
            file_name="saferplaces-map.png",
            mime="image/png",
            filters={"filter": filt.describe(names), "profile": profile.name},
        )
    st.subheader("Selected hexagon")
    point = clicked.get("last_clicked")
    if point:
        st.session_state["map_cell"] = h3.latlng_to_cell(point["lat"], point["lng"], shown_res)
    selected = st.session_state.get("map_cell")
    if selected and h3.get_resolution(selected) != shown_res:
        selected = None  # chosen at another hexagon size: click again
    if not selected:
        st.caption("Click a hexagon on the map to see its counts by category and month.")
    else:
        st.query_params["cell"] = selected
        lat, lon = h3.cell_to_latlng(selected)
        st.caption(f"The hexagon around {lat:.4f}, {lon:.4f}.")
        cell = h3.str_to_int(selected)
        detail = maps.cell_detail(engine, filt, cell=cell, res=shown_res)
        if detail.empty:
            st.caption("No matching incidents in that hexagon.")
        else:
            by_category = (
                detail.groupby("category")[["count", "keysum"]]
                .sum()
                .sort_values("count", ascending=False)
            )
            table = protect_counts(by_category["count"], profile, keys=by_category["keysum"])[
                ["label"]
            ].rename(columns={"label": "incidents"})
            st.dataframe(table, width="stretch")
            by_month = detail.groupby("month")[["count", "keysum"]].sum()
            month_table = protect_counts(by_month["count"], profile, keys=by_month["keysum"])[
                ["label"]
            ].rename(columns={"label": "incidents"})
            month_table.index = month_table.index.strftime("%b %Y")
            st.dataframe(month_table, width="stretch")
