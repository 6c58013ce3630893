"""Read-only questions about what the store holds: data version, samples, summaries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select

from assessments.models import (
    Action,
    Assessment,
    District,
    ImportBatch,
    IncidentSummary,
    Site,
    User,
)
from geo.disclosure import DisclosureProfile, protect_counts, shown_count

__all__ = [
    "FIRST_ADMIN",
    "batch_keysums",
    "data_version",
    "real_records",
    "shown_summary",
    "store_has_only_samples",
    "store_summary",
    "store_uses_samples",
]


def data_version(engine: Engine) -> str:
    """Return a token that changes whenever batches or districts are added, changed or removed."""
    with engine.connect() as conn:
        batches = conn.execute(
            select(
                func.count(ImportBatch.id),
                func.max(ImportBatch.id),
                func.sum(ImportBatch.rows_stored),
            )
        ).one()
        districts = conn.execute(
            select(func.count(District.id), func.max(District.updated_at))
        ).one()
    return f"b{batches[0]}-{batches[1]}-{batches[2]}:d{districts[0]}-{districts[1]}"


def store_uses_samples(engine: Engine) -> bool:
    """Whether any stored batch or district comes from the bundled synthetic samples."""
    with engine.connect() as conn:
        batch = conn.execute(select(ImportBatch.id).where(ImportBatch.is_sample).limit(1)).first()
        district = conn.execute(select(District.id).where(District.is_sample).limit(1)).first()
    return batch is not None or district is not None


#: The administrator ``saferplaces start`` creates on every store, samples or not.
FIRST_ADMIN = "admin"


def real_records(engine: Engine) -> dict[str, int]:
    """How many records of each kind are not samples (empty when there is none).

    Batches, districts, sites, assessments and actions carry ``is_sample``; a user is real unless
    it is the demo analyst or the first administrator every store gets.
    """
    checks = {
        "import batches": select(func.count(ImportBatch.id)).where(~ImportBatch.is_sample),
        "districts": select(func.count(District.id)).where(~District.is_sample),
        "sites": select(func.count(Site.id)).where(~Site.is_sample),
        "assessments": select(func.count(Assessment.id)).where(~Assessment.is_sample),
        "actions": select(func.count(Action.id)).where(~Action.is_sample),
        "users": select(func.count(User.id)).where(~User.is_demo, User.username != FIRST_ADMIN),
    }
    with engine.connect() as conn:
        counts = {name: int(conn.execute(query).scalar_one()) for name, query in checks.items()}
    return {name: n for name, n in counts.items() if n}


def store_has_only_samples(engine: Engine) -> bool:
    """Whether every record in the store is a sample (the demo may sign in only then)."""
    return store_uses_samples(engine) and not real_records(engine)


def store_summary(engine: Engine) -> dict[str, Any]:
    """Summarise the store: incidents by kind, month and district, batches, freshness (SQL).

    Raw: each count comes with ``keysum`` (the sum of its records' keys) for
    :func:`shown_summary`, which is what anyone may see.
    """
    # From the totals imports keep (incident_summary): a few hundred rows, not every incident.
    n = func.sum(IncidentSummary.incidents)
    keysum = func.coalesce(func.sum(IncidentSummary.keysum), 0)
    with engine.connect() as conn:
        kinds = conn.execute(
            select(IncidentSummary.kind, n, keysum).group_by(IncidentSummary.kind)
        ).all()
        by_kind = {k: int(n) for k, n, _ in kinds}
        by_kind_keysum = {k: int(ks) for k, _, ks in kinds}
        by_month = [
            {"month": str(m)[:7], "kind": k, "count": int(n), "keysum": int(ks)}
            for m, k, n, ks in conn.execute(
                select(IncidentSummary.month, IncidentSummary.kind, n, keysum)
                .group_by(IncidentSummary.month, IncidentSummary.kind)
                .order_by(IncidentSummary.month, IncidentSummary.kind)
            ).all()
        ]
        names = dict(conn.execute(select(District.code, District.name)).all())
        by_district = [
            {
                "district": code,
                "name": names.get(code, "outside every district")
                if code
                else "outside every district",
                "kind": k,
                "count": int(n),
                "keysum": int(ks),
            }
            for code, k, n, ks in conn.execute(
                select(IncidentSummary.district_code, IncidentSummary.kind, n, keysum)
                .group_by(IncidentSummary.district_code, IncidentSummary.kind)
                .order_by(IncidentSummary.district_code, IncidentSummary.kind)
            ).all()
        ]
        batches = conn.execute(select(func.count(ImportBatch.id))).scalar_one()
        last = conn.execute(
            select(
                ImportBatch.file_name,
                ImportBatch.created_by,
                ImportBatch.created_at,
                ImportBatch.rows_stored,
                ImportBatch.id,
            )
            .order_by(ImportBatch.id.desc())
            .limit(1)
        ).first()
        last_keysum = None if last is None else _batch_keysums(conn).get(int(last[4]))
        latest_month = conn.execute(select(func.max(IncidentSummary.month))).scalar()
    latest = None if latest_month is None else dt.date.fromisoformat(str(latest_month)[:10])
    age_days = None if latest is None else (dt.date.today() - latest).days
    return {
        "incidents": sum(by_kind.values()),
        "incidents_keysum": sum(by_kind_keysum.values()),
        "by_kind": by_kind,
        "by_kind_keysum": by_kind_keysum,
        "by_month": by_month,
        "by_district": by_district,
        "batches": int(batches),
        "last_import": None
        if last is None
        else {
            "file": last[0],
            "by": last[1],
            "at": str(last[2]),
            "stored": int(last[3]),
            "stored_keysum": last_keysum,
        },
        "districts": [{"code": c, "name": n} for c, n in sorted(names.items())],
        "latest_month": None if latest is None else latest.isoformat()[:7],
        "days_since_latest_month": age_days,
        "samples": store_uses_samples(engine),
    }


def batch_keysums(engine: Engine) -> dict[int, int]:
    """Return the key sum of each import batch's incidents (to show its rows perturbed)."""
    with engine.connect() as conn:
        return _batch_keysums(conn)


def _batch_keysums(conn: Any) -> dict[int, int]:
    rows = conn.execute(
        select(IncidentSummary.batch_id, func.sum(IncidentSummary.keysum)).group_by(
            IncidentSummary.batch_id
        )
    ).all()
    return {int(batch): int(keysum) for batch, keysum in rows}


def shown_summary(summary: dict[str, Any], profile: DisclosureProfile) -> dict[str, Any]:
    """Return :func:`store_summary` as it may be shown: every incident count protected.

    Totals, kinds, months and districts each go through ``protect_counts`` with their key sums
    (the cell key method), so Home, ``saferplaces status`` and every other output agree and no
    exact small total is shown; key sums are dropped. Counts become labels (text).
    """
    out = {k: v for k, v in summary.items() if not k.endswith("keysum")}
    out["incidents"] = shown_count(
        summary["incidents"], profile, key=summary.get("incidents_keysum", 0)
    )
    kinds = list(summary["by_kind"])
    labels = protect_counts(
        pd.Series([summary["by_kind"][k] for k in kinds], dtype="int64"),
        profile,
        keys=pd.Series([summary["by_kind_keysum"][k] for k in kinds], dtype="int64"),
    )["label"]
    out["by_kind"] = dict(zip(kinds, labels, strict=True))
    for part in ("by_month", "by_district"):
        rows = summary[part]
        if not rows:
            continue
        frame = pd.DataFrame(rows)
        shown = protect_counts(frame["count"], profile, keys=frame["keysum"])
        out[part] = [
            {**{k: v for k, v in row.items() if k != "keysum"}, "count": label}
            for row, label in zip(rows, shown["label"], strict=True)
        ]
    if summary["last_import"] is not None:
        last = dict(summary["last_import"])
        keysum = last.pop("stored_keysum", None)  # an episode batch has none: rounded
        out["last_import"] = {**last, "stored": shown_count(last["stored"], profile, key=keysum)}
    out["profile"] = profile.describe()
    return out
