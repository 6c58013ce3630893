"""Streamlit pages (thin): each calls ``geo``, ``layers`` and ``assessments`` services."""
