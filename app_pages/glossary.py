"""Glossary: the words and methods the app uses, explained once in plain English."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.labels import EMERGING_COLOURS, EMERGING_LABELS, FLAG_LABELS, GLOSSARY, KIND_LABELS

st.title("Glossary")
st.caption("What the terms on the maps, lists and meeting packs mean.")
for term, text in GLOSSARY.items():
    st.subheader(term, anchor=term.split(" ")[0].lower().strip("*("))
    st.write(text)

st.subheader("Emerging hot spot classes on the map", anchor="emerging-classes")
st.write(
    "Each class has its own outline colour on the map; cold spots (fewer incidents than "
    "chance) mirror the hot ones in blues."
)
st.dataframe(
    pd.DataFrame(
        {
            "class": [f"{name} hot spot" for name in EMERGING_LABELS],
            "colour": [EMERGING_COLOURS[f"{name} hot spot"] for name in EMERGING_LABELS],
            "cold mirror colour": [
                EMERGING_COLOURS[f"{name} cold spot"] for name in EMERGING_LABELS
            ],
            "meaning": list(EMERGING_LABELS.values()),
        }
    ),
    hide_index=True,
    width="stretch",
)
st.subheader("Kinds of record and exploitation flags", anchor="kinds")
st.dataframe(
    pd.DataFrame(
        {
            "stored as": [*KIND_LABELS, *FLAG_LABELS],
            "means": [*KIND_LABELS.values(), *FLAG_LABELS.values()],
        }
    ),
    hide_index=True,
    width="stretch",
)
