"""Names for stored codes, read cheaply (no boundaries): what pages and the CLI show instead."""

from __future__ import annotations

from sqlalchemy import Engine, select

from assessments.models import District

__all__ = ["district_names"]


def district_names(engine: Engine) -> dict[str, str]:
    """Return every stored district's name by its code (``{"E07000192": "Cannock Chase"}``)."""
    with engine.connect() as conn:
        return {
            code: name or code for code, name in conn.execute(select(District.code, District.name))
        }
