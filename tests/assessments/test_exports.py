"""One export helper: permission checked, formula cells neutralised, an audit event per export."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessments.exports import export_table, prepare_export, record_export
from assessments.models import AuditEvent
from cli.identity import Operator
from geo import PermissionDeniedError

VIEWER = Operator(username="vic", role="viewer")
ANALYST = Operator(username="ann", role="analyst")
RISKY = pd.DataFrame(
    {"name": ['=HYPERLINK("http://x","y")', "@SUM(1)", "+1", "-1", "Park"], "n": [1, 2, 3, 4, 5]}
)


def test_export_is_audited_with_who_what_filters_and_rows(engine):
    data = export_table(engine, RISKY, actor=ANALYST, what="sites", filters={"districts": ["N1"]})
    assert data.decode("utf-8-sig").splitlines()[1].startswith("\"'=HYPERLINK(")
    with Session(engine) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.actor, event.actor_role, event.entity) == ("ann", "analyst", "sites")
    assert event.detail == {"rows": 5, "format": "csv", "filters": {"districts": ["N1"]}}


def test_a_viewer_can_neither_prepare_nor_record_an_export(engine):
    with pytest.raises(PermissionDeniedError, match="vic \\(viewer\\) may not export"):
        prepare_export(RISKY, actor=VIEWER)
    with (
        Session(engine) as session,
        pytest.raises(PermissionDeniedError),
    ):
        record_export(session, actor=VIEWER, what="sites", rows=1)
    with pytest.raises(PermissionDeniedError):
        export_table(engine, RISKY, actor=VIEWER, what="sites")
    with Session(engine) as session:
        assert session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_formula_prefix_is_neutralised(fmt):
    data = prepare_export(RISKY, actor=ANALYST, fmt=fmt)
    if fmt == "csv":
        names = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")["name"].tolist()
    else:
        sheet = load_workbook(io.BytesIO(data)).active
        names = [row[0].value for row in sheet.iter_rows(min_row=2)]
        assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))
    assert names == ['\'=HYPERLINK("http://x","y")', "'@SUM(1)", "'+1", "'-1", "Park"]
