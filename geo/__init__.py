"""Pure geospatial computation: schema, ingest, H3 cells, hotspots, statistics, disclosure.

Nothing here imports Streamlit, folium or the database.
"""

from geo._errors import ConflictError, InputError, PermissionDeniedError, PersonalDataError

__all__ = ["ConflictError", "InputError", "PermissionDeniedError", "PersonalDataError"]
