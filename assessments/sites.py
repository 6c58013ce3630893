"""Sites: the public places district councils assess. Services take the acting user explicitly.

A site is a public place (park, transport hub, takeaway, hotel, car park...). A private home is
never a site: dwelling types are refused, in the configurable type list too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from assessments.audit import record_event, snapshot
from assessments.models import Assessment, District, ImportBatch, Site, SiteType
from assessments.permissions import Actor, require
from geo._errors import ConflictError, InputError
from geo.cells import metres_per_degree
from geo.ingest.personal import personal_text_message, personal_text_problem
from geo.schema import UK_BOUNDS

__all__ = [
    "DUPLICATE_WITHIN_M",
    "DWELLING_WORDS",
    "SiteIn",
    "add_site_type",
    "create_site",
    "district_of_point",
    "get_site",
    "list_site_types",
    "list_sites",
    "update_site",
]

#: Words that make a site type (or a site) a dwelling, which is never a site.
DWELLING_WORDS = re.compile(
    r"\b(house|houses|home|homes|flat|flats|dwelling|residential|residence|bedsit|hmo|"
    r"apartment|maisonette|bungalow|private address|cuckoo\w*)\b",
    re.IGNORECASE,
)


@dataclass
class SiteIn:
    """What a user enters for a site."""

    name: str
    site_type: str
    lat: float
    lon: float
    address_line: str = ""
    district_code: str | None = None
    external_ref: str | None = None


def list_site_types(session: Session) -> dict[str, str]:
    """Active site types, code → label."""
    rows = session.execute(
        select(SiteType.code, SiteType.label).where(SiteType.is_active).order_by(SiteType.label)
    )
    return {str(code): str(label) for code, label in rows}


def add_site_type(session: Session, *, actor: Actor, code: str, label: str) -> SiteType:
    """Add a site type to the configurable list (administrators); dwellings are refused."""
    require(actor, "manage_settings")
    code = code.strip().lower().replace(" ", "_")
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        msg = "a site type code has 2 to 40 lower-case letters, digits or underscores"
        raise InputError(msg)
    if DWELLING_WORDS.search(code.replace("_", " ")) or DWELLING_WORDS.search(label):
        msg = f"{label!r} looks like a dwelling: a private home is never a site"
        raise InputError(msg)
    if session.get(SiteType, code) is not None:
        msg = f"site type {code!r} already exists"
        raise InputError(msg)
    site_type = SiteType(code=code, label=label.strip(), is_active=True)
    session.add(site_type)
    record_event(
        session,
        actor=actor,
        action="create",
        entity="site_type",
        entity_id=code,
        after={"code": code, "label": label},
    )
    return site_type


def district_of_point(session: Session, lat: float, lon: float) -> str | None:
    """Return the code of the stored district containing the point, if any."""
    candidates = session.execute(
        select(District.code, District.boundary_wkb).where(
            District.min_lon <= lon,
            District.max_lon >= lon,
            District.min_lat <= lat,
            District.max_lat >= lat,
        )
    ).all()
    for code, wkb in candidates:
        if shapely.contains_xy(shapely.from_wkb(wkb), lon, lat):
            return str(code)
    return None


def _validate(session: Session, data: SiteIn) -> list[str]:
    problems = []
    if not data.name.strip():
        problems.append("name: give the place a name")
    elif len(data.name) > 200:
        problems.append("name: 200 characters at most")
    if DWELLING_WORDS.search(data.name) or DWELLING_WORDS.search(data.address_line):
        problems.append("name/address: this looks like a private home, which is never a site")
    types = list_site_types(session)
    if data.site_type not in types:
        problems.append(f"type: unknown site type {data.site_type!r}")
    lon_min, lat_min, lon_max, lat_max = UK_BOUNDS
    try:
        lat, lon = float(data.lat), float(data.lon)
    except (TypeError, ValueError):
        problems.append("location: latitude and longitude must be numbers")
        return problems
    if not (np.isfinite(lat) and np.isfinite(lon)) or not (
        lat_min <= lat <= lat_max and lon_min <= lon <= lon_max
    ):
        problems.append("location: the point is not in the United Kingdom (latitude, longitude)")
    if len(data.address_line) > 300:
        problems.append("address: 300 characters at most")
    for label, value in (("name", data.name), ("address", data.address_line)):
        problem = personal_text_problem(value, addresses=True)
        if problem:
            problems.append(f"{label}: {personal_text_message(problem)}")
    return problems


def _place(session: Session, data: SiteIn) -> str:
    district = district_of_point(session, data.lat, data.lon)
    if district is None:
        msg = (
            "location: the site is outside every district; check the point, or import the district"
        )
        raise InputError(msg)
    if data.district_code and data.district_code != district:
        msg = f"location: the point lies in district {district}, not {data.district_code}"
        raise InputError(msg)
    return district


#: Two sites of the same name closer than this are the same place entered twice.
DUPLICATE_WITHIN_M = 50.0


def _same_place(session: Session, data: SiteIn) -> Site | None:
    """Return a stored site of the same name (case, spacing aside) within ``DUPLICATE_WITHIN_M``."""
    name = " ".join(data.name.split()).casefold()
    lat, lon = float(data.lat), float(data.lon)
    box = DUPLICATE_WITHIN_M / 111_000 * 2
    nearby = session.scalars(
        select(Site).where(
            Site.lat.between(lat - box, lat + box), Site.lon.between(lon - 2 * box, lon + 2 * box)
        )
    ).all()
    for site in nearby:
        if " ".join(site.name.split()).casefold() != name:
            continue
        per_lon, per_lat = metres_per_degree(np.array([lat]))
        dy = (site.lat - lat) * float(per_lat[0])
        dx = (site.lon - lon) * float(per_lon[0])
        if float(np.hypot(dx, dy)) <= DUPLICATE_WITHIN_M:
            return site
    return None


def _holds_samples(session: Session) -> bool:
    """Whether the store still holds sample districts, batches or sites."""
    return any(
        session.scalar(select(model.id).where(model.is_sample).limit(1)) is not None
        for model in (District, ImportBatch, Site)
    )


def create_site(session: Session, *, actor: Actor, data: SiteIn, is_sample: bool = False) -> Site:
    """Create a site after checking the data, the district and the actor's rights.

    The same place is never added twice: a site of the same name within
    ``DUPLICATE_WITHIN_M`` metres of a stored one is refused, naming the stored site.
    """
    problems = _validate(session, data)
    if problems:
        raise InputError("; ".join(problems))
    if not is_sample and _holds_samples(session):
        msg = (
            "this store still holds the synthetic sample data, and samples and real records are "
            "never mixed: import your district boundaries or incidents first (a first real "
            "import removes the samples), then add your sites"
        )
        raise InputError(msg)
    district = _place(session, data)
    require(actor, "edit_site", district=district)
    twin = _same_place(session, data)
    if twin is not None:
        msg = (
            f"{twin.name} is already a site at this place (site {twin.id}): open it from the "
            "Sites list rather than adding it again, or give the new place its own name"
        )
        raise InputError(msg)
    site = Site(
        name=data.name.strip(),
        site_type=data.site_type,
        lat=float(data.lat),
        lon=float(data.lon),
        district_code=district,
        address_line=data.address_line.strip(),
        external_ref=data.external_ref,
        is_sample=is_sample,
        created_by=actor.username,
    )
    session.add(site)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="create",
        entity="site",
        entity_id=site.id,
        after=snapshot(site),
    )
    return site


def update_site(
    session: Session, *, actor: Actor, site_id: int, expected_version: int, data: SiteIn
) -> Site:
    """Change a site; refuse if someone else saved it since ``expected_version`` was read."""
    site = get_site(session, site_id)
    require(actor, "edit_site", district=site.district_code)
    if site.version != expected_version:
        raise ConflictError(
            f"{site.name} was changed by someone else since you opened it",
            current=snapshot(site),
            attempted=asdict(data),
        )
    problems = _validate(session, data)
    if problems:
        raise InputError("; ".join(problems))
    district = _place(session, data)
    require(actor, "edit_site", district=district)
    before = snapshot(site)
    site.name, site.site_type = data.name.strip(), data.site_type
    site.lat, site.lon, site.district_code = float(data.lat), float(data.lon), district
    site.address_line = data.address_line.strip()
    try:
        session.flush()
    except StaleDataError as exc:
        msg = f"{data.name} was changed by someone else while you saved it"
        raise ConflictError(msg, attempted=asdict(data)) from exc
    record_event(
        session,
        actor=actor,
        action="update",
        entity="site",
        entity_id=site.id,
        before=before,
        after=snapshot(site),
    )
    return site


def get_site(session: Session, site_id: int) -> Site:
    """Return a site or raise :class:`InputError`."""
    site = session.get(Site, site_id)
    if site is None:
        msg = f"there is no site {site_id}"
        raise InputError(msg)
    return site


def list_sites(
    session: Session,
    *,
    districts: list[str] | None = None,
    site_types: list[str] | None = None,
    risks: list[str] | None = None,
    statuses: list[str] | None = None,
    review_due_before: dt.date | None = None,
) -> pd.DataFrame:
    """Sites with their latest assessment (risk, status, next review), filtered.

    Every user may list sites (``view``); editing is checked per district by the services.
    """
    latest = (
        select(Assessment.site_id, func.max(Assessment.id).label("assessment_id"))
        .group_by(Assessment.site_id)
        .subquery()
    )
    query = (
        select(
            Site.id,
            Site.name,
            Site.site_type,
            Site.district_code,
            Site.lat,
            Site.lon,
            Site.address_line,
            Site.version,
            Assessment.id.label("assessment_id"),
            Assessment.assessed_on,
            Assessment.risk_rating,
            Assessment.status,
            Assessment.next_review_on,
        )
        .outerjoin(latest, latest.c.site_id == Site.id)
        .outerjoin(Assessment, Assessment.id == latest.c.assessment_id)
        .order_by(Site.district_code, Site.name)
    )
    if districts:
        query = query.where(Site.district_code.in_(districts))
    if site_types:
        query = query.where(Site.site_type.in_(site_types))
    if risks:
        query = query.where(Assessment.risk_rating.in_(risks))
    if statuses:
        wanted = [s for s in statuses if s != "not assessed"]
        if "not assessed" in statuses:
            query = query.where(Assessment.status.in_(wanted) | Assessment.id.is_(None))
        else:
            query = query.where(Assessment.status.in_(wanted))
    if review_due_before:
        query = query.where(Assessment.next_review_on <= review_due_before)
    frame = pd.DataFrame(session.execute(query).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in query.selected_columns])
    return frame
