"""SQLAlchemy 2 typed models: the records of the store.

Schema changes go through Alembic migrations in ``assessments/migrations``; never
``create_all`` outside tests of the migrations themselves.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Action",
    "Assessment",
    "AuditChain",
    "AuditEvent",
    "Base",
    "District",
    "Episode",
    "Hotspot",
    "HotspotLineage",
    "HotspotObservation",
    "HotspotRun",
    "HotspotStatusChange",
    "ImportBatch",
    "Incident",
    "IncidentSummary",
    "MeetingNote",
    "SavedMapping",
    "Site",
    "SiteType",
    "User",
    "utcnow",
]

#: Big integer primary keys that still auto-increment in SQLite.
BigIntPK = BigInteger().with_variant(Integer, "sqlite")

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migration names)."""

    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class ImportBatch(Base):
    """One imported file: where it came from, what it held and what was kept."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    #: A safe label ("police.uk street file, 2025-03", "upload 3"), never the file's own name.
    file_name: Mapped[str] = mapped_column(String(255))
    #: HMAC-SHA-256 of the file's name under the install secret (to tell uploads apart).
    name_hash: Mapped[str | None] = mapped_column(String(64))
    checksum: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rejected_by_reason: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rejects: Mapped[list[Any]] = mapped_column(default=list)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_month: Mapped[dt.date | None] = mapped_column(Date)
    last_month: Mapped[dt.date | None] = mapped_column(Date)
    is_sample: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    incidents: Mapped[list[Incident]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", passive_deletes=True
    )


class Incident(Base):
    """An anonymised incident or missing-episode location. No people, no narratives."""

    __tablename__ = "incident"
    __table_args__ = (
        # Covers the map's GROUP BY: the cell, and the record key summed next to the count.
        Index("ix_incident_month_kind_cell", "month", "kind", "h3_cell", "record_key"),
        Index("ix_incident_district_month", "district_code", "month"),
        # A unique index, not a table constraint, so a bulk load can rebuild it (SQLite).
        Index("ix_incident_row_key", "row_key", unique=True),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(120))
    month: Mapped[dt.date] = mapped_column(Date)
    date: Mapped[dt.date | None] = mapped_column(Date)
    hour: Mapped[int | None] = mapped_column(SmallInteger)
    age_band: Mapped[str | None] = mapped_column(String(16))
    flags: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    h3_cell: Mapped[int] = mapped_column(BigInteger)
    district_code: Mapped[str | None] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(64))
    row_key: Mapped[int] = mapped_column(BigInteger)
    #: Disclosure control's fixed random record key (0 to geo.disclosure.KEY_RANGE - 1, cell key
    #: method): set at import, never shown or exported.
    record_key: Mapped[int] = mapped_column(SmallInteger, default=lambda: secrets.randbelow(256))

    batch: Mapped[ImportBatch] = relationship(back_populates="incidents")


class IncidentSummary(Base):
    """How many incidents one import batch stored per month, kind and district, with key sums.

    Written by the import in the same transaction as the batch's incidents and deleted with the
    batch (``ON DELETE CASCADE``), so the store's totals (Home, ``saferplaces status``) read a
    few hundred rows instead of every incident. ``keysum`` is the sum of those incidents' record
    keys: the totals are perturbed by the cell key method like every other count.
    """

    __tablename__ = "incident_summary"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    district_code: Mapped[str | None] = mapped_column(String(16))
    incidents: Mapped[int] = mapped_column(BigInteger)
    keysum: Mapped[int] = mapped_column(BigInteger)


class District(Base):
    """A district (local authority) boundary, in WGS84."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    boundary_wkb: Mapped[bytes] = mapped_column(LargeBinary)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(255), default="")
    is_sample: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class User(Base):
    """A person who signs in: a local account (Argon2 hash) or an OIDC identity."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    districts: Mapped[list[Any]] = mapped_column(default=list)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: Moves on at sign-out and when the user is disabled: older session tokens are refused.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AuditEvent(Base):
    """An append-only record of who did what, when, with the record before and after.

    Database triggers refuse any UPDATE or DELETE of this table, and refuse an insert whose time
    is not the database's own clock; each event carries the SHA-256 of the previous one
    (``prev_hash``) and its own (``hash``), so an edit, a deletion or a back-dated insertion made
    with the triggers removed is found by ``saferplaces audit verify`` (see ``assessments.audit``).
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    actor: Mapped[str] = mapped_column(String(120), index=True)
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    entity: Mapped[str] = mapped_column(String(40), default="")
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChain(Base):
    """The tip of the audit chain: one row, locked by every writer of an event (one chain)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    events: Mapped[int] = mapped_column(BigInteger, default=0)


class SiteType(Base):
    """A kind of public place a site can be (a configurable list; never a dwelling)."""

    __tablename__ = "site_type"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(default=True)


class Site(Base):
    """A public place assessed by a district council: park, transport hub, takeaway, hotel..."""

    __tablename__ = "site"
    __table_args__ = (Index("ix_site_district_type", "district_code", "site_type"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    site_type: Mapped[str] = mapped_column(ForeignKey("site_type.code"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    boundary_wkb: Mapped[bytes | None] = mapped_column(LargeBinary)
    district_code: Mapped[str] = mapped_column(String(16), index=True)
    address_line: Mapped[str] = mapped_column(String(300), default="")
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    is_sample: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    assessments: Mapped[list[Assessment]] = relationship(back_populates="site")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Assessment(Base):
    """A "spaces and places" safeguarding assessment of a site, with its answers and risk."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    organisation: Mapped[str] = mapped_column(String(200))
    officer: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    risk_rating: Mapped[str | None] = mapped_column(String(16))
    risk_reasons: Mapped[str] = mapped_column(String(4000), default="")
    findings: Mapped[str] = mapped_column(String(8000), default="")
    next_review_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    is_sample: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    site: Mapped[Site] = relationship(back_populates="assessments")
    actions: Mapped[list[Action]] = relationship(back_populates="assessment")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Action(Base):
    """An action agreed in an assessment: lighting, CCTV, licensing conditions, outreach..."""

    __tablename__ = "assessment_action"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    description: Mapped[str] = mapped_column(String(2000))
    agency: Mapped[str] = mapped_column(String(200), index=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    completion_note: Mapped[str] = mapped_column(String(2000), default="")
    external_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    is_sample: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    assessment: Mapped[Assessment] = relationship(back_populates="actions")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HotspotRun(Base):
    """One computation of hotspots: parameters, filters, data version and what it changed."""

    __tablename__ = "hotspot_run"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ran_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ran_by: Mapped[str] = mapped_column(String(120), default="")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data_version: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The run's scope (``geo.scope.RunScope``): what it looked at, and its key for comparisons.
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scope_key: Mapped[str | None] = mapped_column(String(64), index=True)


class Hotspot(Base):
    """A hotspot in the register: a stable identity that survives recomputation."""

    __tablename__ = "hotspot"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16), default="dbscan")  # dbscan | manual
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    first_run_id: Mapped[int | None] = mapped_column(ForeignKey("hotspot_run.id"))
    last_run_id: Mapped[int | None] = mapped_column(ForeignKey("hotspot_run.id"))
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    first_month: Mapped[dt.date | None] = mapped_column(Date)
    last_month: Mapped[dt.date | None] = mapped_column(Date)
    n_incidents: Mapped[int] = mapped_column(Integer, default=0)
    cells: Mapped[list[Any]] = mapped_column(default=list)
    boundary_wkb: Mapped[bytes | None] = mapped_column(LargeBinary)
    centroid_lat: Mapped[float | None] = mapped_column(Float)
    centroid_lon: Mapped[float | None] = mapped_column(Float)
    area_m2: Mapped[float | None] = mapped_column(Float)
    districts: Mapped[list[Any]] = mapped_column(default=list)
    by_category: Mapped[dict[str, Any]] = mapped_column(default=dict)
    by_month: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Counts by age band, flag, hour, weekday and kind (raw: protect before showing).
    profiles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The sums of the record keys behind those counts (``n_incidents``, ``by_month``,
    #: ``by_category``, ``profiles``), for the cell key method; ``None`` before the first run
    #: that computed them (and for places named by hand): their counts are then rounded.
    key_sums: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    trend_direction: Mapped[str | None] = mapped_column(String(16))
    trend_p: Mapped[float | None] = mapped_column(Float)
    #: The scope of the runs that find this place (``None`` for places named by hand): only a
    #: run of the same scope matches, continues or retires it.
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scope_key: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(2000), default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HotspotObservation(Base):
    """What a run saw of a hotspot: its size then (for trends and "what changed")."""

    __tablename__ = "hotspot_observation"
    __table_args__ = (Index("ix_hotspot_observation_run_hotspot", "run_id", "hotspot_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("hotspot_run.id"))
    hotspot_id: Mapped[int] = mapped_column(ForeignKey("hotspot.id"), index=True)
    n_incidents: Mapped[int] = mapped_column(Integer)
    #: The sum of the record keys of those incidents (``None`` before migration 0020).
    keysum: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    n_cells: Mapped[int] = mapped_column(Integer)
    area_m2: Mapped[float | None] = mapped_column(Float)
    trend_direction: Mapped[str | None] = mapped_column(String(16))
    #: How the run met it: new, continued, split-from, merged-from or recurred.
    relation: Mapped[str | None] = mapped_column(String(16))


class HotspotLineage(Base):
    """How hotspots relate across runs: split from, merged into, recurred (came back)."""

    __tablename__ = "hotspot_lineage"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("hotspot_run.id"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("hotspot.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("hotspot.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    overlap: Mapped[float | None] = mapped_column(Float)


class HotspotStatusChange(Base):
    """A change of a hotspot's status: who, when, from, to and why."""

    __tablename__ = "hotspot_status_change"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    hotspot_id: Mapped[int] = mapped_column(ForeignKey("hotspot.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by: Mapped[str] = mapped_column(String(120))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(2000), default="")


class MeetingNote(Base):
    """A strategy meeting's decision about a hotspot, with its owner and due date."""

    __tablename__ = "meeting_note"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    hotspot_id: Mapped[int] = mapped_column(ForeignKey("hotspot.id"), index=True)
    meeting_date: Mapped[dt.date] = mapped_column(Date, index=True)
    decision: Mapped[str] = mapped_column(String(4000))
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CategoryApproval(Base):
    """A category outside the taxonomy: shown in the Map's filters once an administrator approves.

    Its incidents are stored and counted; only the filter list waits for the approval.
    """

    __tablename__ = "category_approval"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    first_batch_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SavedMapping(Base):
    """A named column mapping for repeated imports of the same partner extract."""

    __tablename__ = "saved_mapping"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    drop: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Episode(Base):
    """A missing episode: keyed hashes of its references, two optional points, dates and RHI.

    The episode and child references are kept only as HMAC-SHA-256 hashes under the
    installation's key (``assessments.settings.install_secret()``): a child's episodes can be
    counted together, never named. Points are shown no finer than resolution 7.
    """

    __tablename__ = "episode"
    __table_args__ = (
        Index("ix_episode_month", "month"),
        Index("ix_episode_from_district_month", "from_district", "month"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batch.id", ondelete="CASCADE"), index=True
    )
    episode_key: Mapped[str] = mapped_column(String(64), unique=True)
    child_key: Mapped[str] = mapped_column(String(64), index=True)
    from_lat: Mapped[float | None] = mapped_column(Float)
    from_lon: Mapped[float | None] = mapped_column(Float)
    from_cell: Mapped[int | None] = mapped_column(BigInteger)
    from_district: Mapped[str | None] = mapped_column(String(16))
    found_lat: Mapped[float | None] = mapped_column(Float)
    found_lon: Mapped[float | None] = mapped_column(Float)
    found_cell: Mapped[int | None] = mapped_column(BigInteger)
    found_district: Mapped[str | None] = mapped_column(String(16))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    month: Mapped[dt.date] = mapped_column(Date)
    age_band: Mapped[str | None] = mapped_column(String(16))
    rhi_offered: Mapped[bool | None] = mapped_column()
    rhi_accepted: Mapped[bool | None] = mapped_column()
    rhi_within_72h: Mapped[bool | None] = mapped_column()
    #: Fixed random key (0-255) for the cell key method (``geo.disclosure``): never shown.
    record_key: Mapped[int] = mapped_column(SmallInteger, default=lambda: secrets.randbelow(256))
