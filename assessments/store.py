"""Read-only questions about what the store holds: data version, samples, summaries."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from assessments.models import District, ImportBatch

__all__ = ["data_version", "store_has_only_samples", "store_uses_samples"]


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


def store_has_only_samples(engine: Engine) -> bool:
    """Whether the store holds the synthetic samples and nothing else (the demo may sign in)."""
    with engine.connect() as conn:
        real_batch = conn.execute(select(ImportBatch.id).where(~ImportBatch.is_sample).limit(1))
        real_district = conn.execute(select(District.id).where(~District.is_sample).limit(1))
        if real_batch.first() is not None or real_district.first() is not None:
            return False
    return store_uses_samples(engine)
