"""Every export, download and ``hexes`` output goes through here: permission, safety, audit.

One helper for the CLI and every page: :func:`prepare_export` checks that the acting user may
export and encodes the table formula-safe (cells starting with ``=``, ``+``, ``-``, ``@`` are
prefixed with ``'``, see :mod:`geo.export`); :func:`record_export` checks again and writes the
audit event naming who exported what, with which filters and how many rows. :func:`export_table`
does both at once (the CLI); a page prepares the bytes for its download button and records the
event when the button is clicked.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from assessments.audit import record_event
from assessments.models import AuditEvent
from assessments.permissions import Actor, require
from geo.export import to_safe_csv, to_safe_xlsx

__all__ = ["encode_table", "export_table", "prepare_export", "record_export"]


def encode_table(frame: pd.DataFrame | dict[str, pd.DataFrame], *, fmt: str = "csv") -> bytes:
    """Encode a table (CSV) or several (XLSX sheets), with formula-looking cells neutralised."""
    if fmt == "xlsx":
        sheets = frame if isinstance(frame, dict) else {"data": frame}
        return to_safe_xlsx(sheets)
    if isinstance(frame, dict):
        msg = "several tables export as xlsx only"
        raise ValueError(msg)
    return to_safe_csv(frame)


def prepare_export(
    frame: pd.DataFrame | dict[str, pd.DataFrame],
    *,
    actor: Actor,
    fmt: str = "csv",
    needs: str = "export",
) -> bytes:
    """Check ``actor`` may export, then return the formula-safe bytes (nothing audited yet)."""
    require(actor, needs)
    return encode_table(frame, fmt=fmt)


def record_export(
    session: Session,
    *,
    actor: Actor,
    what: str,
    rows: int,
    filters: dict[str, Any] | str | None = None,
    fmt: str = "csv",
    needs: str = "export",
) -> AuditEvent:
    """Check ``actor`` may export and add the audit event of an export to ``session``."""
    require(actor, needs)
    detail: dict[str, Any] = {"rows": int(rows), "format": fmt}
    if filters:
        detail["filters"] = filters
    return record_event(session, actor=actor, action="export", entity=what, detail=detail)


def export_table(
    engine: Engine,
    frame: pd.DataFrame | dict[str, pd.DataFrame],
    *,
    actor: Actor,
    what: str,
    filters: dict[str, Any] | str | None = None,
    fmt: str = "csv",
    needs: str = "export",
) -> bytes:
    """Check, encode and audit an export in one step; return the bytes to write."""
    data = prepare_export(frame, actor=actor, fmt=fmt, needs=needs)
    rows = sum(len(f) for f in frame.values()) if isinstance(frame, dict) else len(frame)
    with Session(engine) as session, session.begin():
        record_export(
            session, actor=actor, what=what, rows=rows, filters=filters, fmt=fmt, needs=needs
        )
    return data
