"""Home: what is in the store, how fresh it is, and where to go next."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.charts import accessible_chart
from app_pages.common import current_data_version, disclosure_profile, get_engine
from assessments.store import shown_summary, store_summary
from geo.disclosure import protect_counts
from geo.labels import format_datetime, kind_label
from geo.text import safe_text

engine = get_engine()
profile = disclosure_profile()


@st.cache_data(ttl=600, max_entries=8)
def _summary(version: str) -> dict:  # type: ignore[type-arg]
    return store_summary(engine)


summary = _summary(current_data_version())
st.title("Safer Places")
st.caption(
    "Which places are harming young people outside the home? Maps, hotspots and "
    "spaces-and-places assessments for the partnership."
)

if not summary["incidents"]:
    st.info(
        "The store is empty. Import incident extracts and district boundaries on the "
        "**Import** page to begin."
    )
    st.stop()

c1, c2, c3, c4 = st.columns(4)
# Every count through the disclosure path (cell key method): the same figures as `status`.
shown = shown_summary(summary, profile)


def _kind(kind: str) -> str:
    label = shown["by_kind"].get(kind, "0")
    return f"{int(label):,}" if label.isdigit() else label


c1.metric("Incidents", _kind("incident"))
c2.metric("Missing-from / found-at", f"{_kind('missing_from')} / {_kind('found_at')}")
c3.metric("Districts", len(summary["districts"]))
freshness = summary["days_since_latest_month"]
c4.metric(
    "Latest month held",
    summary["latest_month"] or "none",
    help="Police.uk publishes each month about six weeks after it ends.",
)
if freshness is not None and freshness > 75:
    st.warning(f"The newest data is {freshness} days old: import the latest extract.")

st.subheader("Incidents by month")
by_month = pd.DataFrame(summary["by_month"])
wide = by_month.pivot_table(index="month", columns="kind", values="count", aggfunc="sum").fillna(0)
keys = by_month.pivot_table(index="month", columns="kind", values="keysum", aggfunc="sum")
protected = wide.apply(
    lambda col: protect_counts(col.astype(int), profile, keys=keys[col.name].fillna(0))["count"]
)
protected.columns = [kind_label(k).split(" (")[0] for k in protected.columns]
protected.index = pd.to_datetime(protected.index)
accessible_chart(protected.astype(float), suppressed=profile.suppressed_label, height=260)

st.subheader("By district")
by_district = pd.DataFrame(summary["by_district"])
# One row per district as stored (and one for points outside every district); a pivot over
# two index columns would pair every code with every name.
grouped = by_district.groupby(["district", "name", "kind"], dropna=False)[["count", "keysum"]].sum()
table = grouped["count"].unstack("kind", fill_value=0).reset_index()
district_keys = grouped["keysum"].unstack("kind", fill_value=0).reset_index()
table.columns.name = None
for kind in [c for c in table.columns if c not in ("district", "name")]:
    table[kind] = protect_counts(table[kind], profile, keys=district_keys[kind])["label"]
table = table.rename(
    columns={
        k: kind_label(k).split(" (")[0] for k in table.columns if k not in ("district", "name")
    }
)
st.dataframe(table.rename(columns={"district": "code"}), hide_index=True, width="stretch")
st.caption(profile.describe())

last = summary["last_import"]
if last:
    st.caption(
        f"Last import: {safe_text(last['file'])} by {safe_text(last['by'])} on "
        f"{format_datetime(last['at'])} "
        f"({last['stored']:,} rows)."
    )
st.markdown(
    "**Next:** explore the **Map**, review the **Hotspots** register for the next "
    "strategy meeting, or check **Coverage** of assessments."
)
