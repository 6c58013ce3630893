"""Folium layers built from ``geo`` outputs: no Streamlit, no database, escaped HTML only."""
