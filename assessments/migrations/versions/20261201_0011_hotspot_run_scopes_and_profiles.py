"""hotspot run scopes, per-hotspot profiles, how each run met a hotspot

A run's scope (what it looked at: kinds, districts, categories, flags, age bands and the month
window) is kept with the run and with the hotspots it finds, so a run matches and retires only
hotspots of its own scope. Hotspots gain their profiles (age bands, flags, hours, weekdays,
kinds); observations say how the run met the hotspot (new, continued, split-from, merged-from,
recurred).

Existing rows are filled in: each run's scope is read back from the filter it recorded in words
(``params["filter"]``), its month window taken as "the last N months" when it had one (N from the
months its hotspots counted) or "all months" when it had none; each found hotspot takes the scope
of the last run that saw it. Existing hotspots of missing-from or found-at runs are coarsened to
their resolution-7 cells (nothing finer than resolution 7 is kept about those kinds). The scope
key is the SHA-256 of the scope's canonical JSON, exactly as ``geo.scope.RunScope.key`` makes it
(frozen here, as migrations must not change with the code).

Revision ID: 0011
Revises: 0007
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None

_KINDS = ("incident", "missing_from", "found_at")
_SENSITIVE = {"missing_from", "found_at"}
_COARSE_RES = 7
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
)}


def _key(scope: dict[str, Any]) -> str:
    text = json.dumps(scope, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _month_number(text: str) -> int | None:
    parts = text.split()
    if len(parts) == 2 and parts[0] in _MONTHS and parts[1].isdigit():
        return int(parts[1]) * 12 + _MONTHS[parts[0]] - 1
    return None


def _legacy_scope(described: str, n_months: int | None) -> dict[str, Any]:
    """Read back ``IncidentFilter.describe()`` as it was written up to revision 0007."""
    scope: dict[str, Any] = {
        "kinds": [],
        "districts": [],
        "categories": [],
        "flags": [],
        "age_bands": [],
        "months": "all",
    }
    labels = {
        "kinds": "kinds",
        "categories": "categories",
        "flags": "flags",
        "ages": "age_bands",
        "districts": "districts",
    }
    for part in (described or "").split("; "):
        label, sep, values = part.partition(": ")
        if sep and label in labels:
            scope[labels[label]] = sorted({v for v in values.split(", ") if v})
        elif " to " in part:
            start_text, _, end_text = part.partition(" to ")
            start, end = _month_number(start_text), _month_number(end_text)
            if start is not None and end is not None and end >= start:
                scope["months"] = f"last:{end - start + 1}"
            elif n_months:
                scope["months"] = f"last:{n_months}"
    scope["flags"] = sorted({f.lower() for f in scope["flags"]})
    if set(scope["kinds"]) == set(_KINDS):
        scope["kinds"] = []
    return scope


def _coarsen(cells: list[Any]) -> tuple[list[str], bytes | None]:
    import h3
    import shapely

    parents = sorted({h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), _COARSE_RES))
                      for c in cells or []})
    if not parents:
        return [], None
    outline = h3.cells_to_h3shape([h3.int_to_str(p) for p in parents])
    return [str(p) for p in parents], shapely.geometry.shape(outline.__geo_interface__).wkb


def upgrade() -> None:
    with op.batch_alter_table("hotspot_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("scope_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_hotspot_run_scope_key"), ["scope_key"], unique=False)
    with op.batch_alter_table("hotspot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profiles", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("scope", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("scope_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_hotspot_scope_key"), ["scope_key"], unique=False)
    with op.batch_alter_table("hotspot_observation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relation", sa.String(length=16), nullable=True))

    conn = op.get_bind()
    run = sa.table(
        "hotspot_run",
        sa.column("id", sa.Integer),
        sa.column("params", sa.JSON),
        sa.column("scope", sa.JSON),
        sa.column("scope_key", sa.String),
    )
    hotspot = sa.table(
        "hotspot",
        sa.column("id", sa.Integer),
        sa.column("source", sa.String),
        sa.column("last_run_id", sa.Integer),
        sa.column("by_month", sa.JSON),
        sa.column("cells", sa.JSON),
        sa.column("boundary_wkb", sa.LargeBinary),
        sa.column("scope", sa.JSON),
        sa.column("scope_key", sa.String),
    )
    spots = conn.execute(
        sa.select(hotspot.c.id, hotspot.c.last_run_id, hotspot.c.by_month, hotspot.c.cells).where(
            hotspot.c.source == "dbscan"
        )
    ).all()
    months_of_run: dict[int, int] = {}
    for _, run_id, by_month, _ in spots:
        if run_id is not None and by_month:
            months_of_run.setdefault(int(run_id), len(by_month))
    scopes: dict[int, dict[str, Any]] = {}
    for run_id, params in conn.execute(sa.select(run.c.id, run.c.params)).all():
        scope = _legacy_scope((params or {}).get("filter", ""), months_of_run.get(int(run_id)))
        scopes[int(run_id)] = scope
        conn.execute(
            run.update()
            .where(run.c.id == run_id)
            .values(scope=scope, scope_key=_key(scope))
        )
    for run_id, scope in scopes.items():
        conn.execute(
            hotspot.update()
            .where(hotspot.c.last_run_id == run_id, hotspot.c.source == "dbscan")
            .values(scope=scope, scope_key=_key(scope))
        )
    for hotspot_id, run_id, _, cells in spots:
        legacy = scopes.get(int(run_id)) if run_id is not None else None
        if legacy is not None and _SENSITIVE & set(legacy["kinds"] or _KINDS):
            coarse, outline = _coarsen(cells)
            conn.execute(
                hotspot.update()
                .where(hotspot.c.id == hotspot_id)
                .values(cells=coarse, boundary_wkb=outline)
            )
    # how each run met each hotspot: its first run found it, later ones continued it
    conn.execute(
        sa.text(
            "UPDATE hotspot_observation SET relation = CASE WHEN run_id = (SELECT first_run_id "
            "FROM hotspot WHERE hotspot.id = hotspot_observation.hotspot_id) THEN 'new' "
            "ELSE 'continued' END"
        )
    )


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 or newer): a batch copy of ``hotspot`` could
    # not drop the table the other register tables refer to
    op.drop_column("hotspot_observation", "relation")
    op.drop_index(op.f("ix_hotspot_scope_key"), table_name="hotspot")
    op.drop_column("hotspot", "scope_key")
    op.drop_column("hotspot", "scope")
    op.drop_column("hotspot", "profiles")
    op.drop_index(op.f("ix_hotspot_run_scope_key"), table_name="hotspot_run")
    op.drop_column("hotspot_run", "scope_key")
    op.drop_column("hotspot_run", "scope")
