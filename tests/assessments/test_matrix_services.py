"""The role × action matrix proven against the services themselves, on both backends.

For every role and every action, the real service is called as a user of that role (a district
officer on a record of their own district, and of another district): it either works or raises
PermissionDeniedError, exactly as the matrix in ``assessments/permissions.py`` says.
"""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy.orm import Session

from assessments import (
    audit,
    hotspot_runs,
    imports,
    packs,
    register,
    samples,
    site_imports,
    sites,
    users,
)
from assessments import site_assessments as records
from assessments.models import District
from assessments.permissions import MATRIX, can
from cli.identity import Operator
from geo import ConflictError, PermissionDeniedError
from geo.disclosure import INTERNAL
from tests.conftest import add_north_district

ROLES = {
    "admin": Operator(username="adm", role="admin"),
    "analyst": Operator(username="ana", role="analyst"),
    "district": Operator(username="dee", role="district", districts=["N1"]),
    "viewer": Operator(username="vic", role="viewer"),
}
SETUP = Operator(username="setup", role="admin")


@pytest.fixture
def world(engine, tmp_path):
    """Two districts, a site and a submitted assessment in each, one action, one hotspot."""
    made = {}
    with Session(engine) as session, session.begin():
        add_north_district(session)
        box = shapely.box(-2.5, 52.0, -1.5, 52.5)
        session.add(
            District(
                code="S1",
                name="South",
                boundary_wkb=box.wkb,
                min_lon=-2.5,
                min_lat=52.0,
                max_lon=-1.5,
                max_lat=52.5,
            )
        )
        session.flush()
        answers = {q.key: q.options[0] for q in records.QUESTIONS if q.kind == "choice"}
        for code, lat in (("N1", 52.75), ("S1", 52.25)):
            site = sites.create_site(
                session,
                actor=SETUP,
                data=sites.SiteIn(name=f"Park {code}", site_type="park", lat=lat, lon=-2.0),
            )
            a = records.create_assessment(
                session,
                actor=SETUP,
                data=records.AssessmentIn(
                    site_id=site.id,
                    assessed_on=dt.date.today(),
                    organisation="DC",
                    officer="O",
                    answers=answers,
                    risk_rating="low",
                    risk_reasons="r",
                    findings="f",
                ),
            )
            records.submit_assessment(
                session, actor=SETUP, assessment_id=a.id, expected_version=a.version
            )
            made[code] = {"site": site.id, "assessment": a.id}
        hotspot = register.add_place_of_concern(
            session, actor=SETUP, name="Place", lat=52.75, lon=-2.0, reason="referrals"
        )
        made["hotspot"] = hotspot.id
    csv = tmp_path / "x.csv"
    csv.write_text("latitude,longitude,category,month\n52.75,-2.0,Drugs,2025-01\n")
    made["csv"] = csv
    made["batch"] = imports.import_files(engine, [csv], actor=SETUP).batches[0].batch_id
    return made


def _attempt(engine, world, action, actor, district):
    ids = world[district]
    with Session(engine) as session:
        if action == "view":
            return sites.list_sites(session)  # open to every signed-in role; nothing to refuse
        if action == "import":
            copy = world["csv"].with_name(f"{actor.username}-{district}.csv")
            copy.write_text(world["csv"].read_text() + "52.7,-2.0,Drugs,2025-02\n")
            return imports.import_files(engine, [copy], actor=actor)
        if action == "delete_import":
            return imports.delete_batch(engine, world["batch"], actor=actor)
        if action == "export":
            site_imports.export_records(engine, actor=actor)
            return packs.build_pack(
                engine, actor=actor, meeting_date=dt.date.today(), profile=INTERNAL, top=0
            )
        if action == "compute_hotspots":
            return hotspot_runs.register_run(engine, actor=actor)
        if action == "edit_register":
            return register.add_meeting_note(
                session,
                actor=actor,
                hotspot_id=world["hotspot"],
                meeting_date=dt.date.today(),
                decision="Decide",
            )
        if action == "edit_site":
            site = sites.get_site(session, ids["site"])
            return sites.update_site(
                session,
                actor=actor,
                site_id=site.id,
                expected_version=site.version,
                data=sites.SiteIn(name="Renamed", site_type="park", lat=site.lat, lon=site.lon),
            )
        if action == "edit_assessment":
            site = sites.get_site(session, ids["site"])
            return records.create_assessment(
                session,
                actor=actor,
                data=records.AssessmentIn(
                    site_id=site.id, assessed_on=dt.date.today(), organisation="DC", officer="O"
                ),
            )
        if action == "review_assessment":
            a = records.get_assessment(session, ids["assessment"])
            return records.review_assessment(
                session, actor=actor, assessment_id=a.id, expected_version=a.version
            )
        if action == "edit_action":
            return records.add_action(
                session,
                actor=actor,
                assessment_id=ids["assessment"],
                data=records.ActionIn("Lighting", "Highways"),
            )
        if action == "manage_users":
            return users.add_user(
                session, actor=actor, username=f"new-{actor.username}", role="viewer"
            )
        if action == "manage_settings":
            return sites.add_site_type(
                session, actor=actor, code=f"pier_{actor.username}", label="Pier"
            )
        if action == "view_audit":
            return audit.list_events(engine, actor=actor)
        if action == "import_records":
            lat = 52.75 if district == "N1" else 52.25
            path = world["csv"].with_name(f"sites-{actor.username}-{district}.csv")
            path.write_text(
                f"ref,name,type,latitude,longitude\n{actor.username}-{district},"
                f"Rec {actor.username} {district},park,{lat},-2.1\n"
            )
            return site_imports.import_sites(engine, path, actor=actor)
        if action == "load_samples":
            try:  # allowed, and then refused for another reason: this store holds real data
                return samples.load_samples(engine, actor=actor)
            except ConflictError:
                return None
    raise AssertionError(action)


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_cell_against_the_services(engine, world, role, action):
    actor = ROLES[role]
    for district in ("N1", "S1"):
        allowed = can(actor, action, district=district)
        if allowed:
            _attempt(engine, world, action, actor, district)
        else:
            with pytest.raises(PermissionDeniedError):
                _attempt(engine, world, action, actor, district)
        if action in {"delete_import", "manage_users", "manage_settings"} and allowed:
            break  # done once; a second time would fail for other reasons
