"""The Sites page's forms: a new site picked on the map, an assessment's read-out, review and
actions (not a page itself)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit_folium import st_folium

from app_pages.forms import FLASH, PENDING_CHOICE, assessment_form
from assessments import site_assessments as records
from assessments import sites
from assessments.db import session_scope
from assessments.imports import load_districts
from assessments.permissions import can
from assessments.users import SignedInUser
from geo import ConflictError, InputError
from geo.labels import format_date, format_datetime
from geo.text import safe_text
from layers.hexes import base_map, district_layer

__all__ = ["assessment_panel", "new_site_form", "show_flash"]

_POINT = "sites_new_point"  # the point chosen on the picker map: (lat, lon) or None
_SEEN = "sites_new_seen_click"  # the last click read from the map, so it is applied once
_FLASH = FLASH
_ROUND = "sites_pick_round"  # how many sites this session added: names the picker map
_FLASH_NEW_SITE = "sites_flash_new_site"


def _flash(message: str, key: str = _FLASH) -> None:
    st.session_state[key] = message
    st.rerun()


def show_flash(key: str = _FLASH) -> None:
    """Show (once) the confirmation left by the last save."""
    message = st.session_state.pop(key, None)
    if message:
        st.success(safe_text(message))


def _picker_map(engine: Engine, user: SignedInUser, point: tuple[float, float] | None, tiles: str):
    import folium

    districts = load_districts(engine)
    if user.role == "district":
        districts = districts[districts["code"].isin(user.districts)]
    bounds = None
    if not districts.empty:
        minx, miny, maxx, maxy = districts.total_bounds
        bounds = [[miny, minx], [maxy, maxx]]
    fmap = base_map(tiles=tiles, bounds=bounds)
    if not districts.empty:
        district_layer(districts).add_to(fmap)
    if point is not None:
        folium.CircleMarker(
            location=point,
            radius=9,
            color="#000000",
            weight=3,
            fill=True,
            fill_color="#0072b2",
            fill_opacity=1,
            tooltip="The new site",
        ).add_to(fmap)
    return fmap


def new_site_form(
    engine: Engine, user: SignedInUser, *, site_types: dict[str, str], tiles: str
) -> None:
    """Add a site: the officer clicks the map (or types coordinates); nothing is assumed."""
    show_flash(_FLASH_NEW_SITE)
    st.markdown("**1. Click the map where the place is.**")
    point: tuple[float, float] | None = st.session_state.get(_POINT)
    # A fresh map (new key) after each added site: its last click is spent with it, and the
    # same spot can be clicked again for the next site.
    clicked = st_folium(
        _picker_map(engine, user, point, tiles),
        height=380,
        use_container_width=True,
        returned_objects=["last_clicked"],
        key=f"sites_pick_map_{st.session_state.get(_ROUND, 0)}",
    )
    last = (clicked or {}).get("last_clicked")
    if last and (last["lat"], last["lng"]) != st.session_state.get(_SEEN):
        st.session_state[_SEEN] = (last["lat"], last["lng"])
        st.session_state[_POINT] = point = (round(last["lat"], 6), round(last["lng"], 6))
        st.rerun()  # draw the marker where the officer clicked
    if point is None:
        st.caption("No place chosen yet: click the map (or type the coordinates below).")
    else:
        st.markdown(f"Chosen place: **{point[0]:.5f}, {point[1]:.5f}** (latitude, longitude)")
    st.markdown("**2. Describe it.**")
    with st.form("new_site", clear_on_submit=False):
        name = st.text_input("Name of the place")
        site_type = st.selectbox("Type", list(site_types), format_func=site_types.get)
        address = st.text_input("Address of the place (a public place, never a home)")
        with st.expander("Or type the coordinates (WGS84) instead of clicking the map"):
            c1, c2 = st.columns(2)
            lat = c1.number_input("Latitude", value=None, format="%.6f")
            lon = c2.number_input("Longitude", value=None, format="%.6f")
        created = st.form_submit_button("Add site", type="primary")
    if not created:
        return
    if lat is not None and lon is not None:
        point = (float(lat), float(lon))
    if point is None:
        st.error("Choose the place first: click the map where it is, or type its coordinates.")
        return
    try:
        with session_scope(engine) as session:
            site = sites.create_site(
                session,
                actor=user,
                data=sites.SiteIn(
                    name=name, site_type=site_type, lat=point[0], lon=point[1], address_line=address
                ),
                is_sample=user.is_demo,  # the demo's own sites are part of the demo
            )
            st.session_state["sites_selected"] = site.id
    except (InputError, PermissionError) as exc:
        st.error(safe_text(exc))
        return
    st.session_state[_POINT] = None
    st.session_state[_SEEN] = None
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    _flash(
        f"Added {name.strip()}: open the Site tab to assess it.",
        _FLASH_NEW_SITE,
    )


def _read_out(current: pd.Series) -> None:
    st.markdown(
        f"**Assessment {current['id']}** · {current['status']} · assessed on "
        f"{format_date(current['assessed_on'])} by {safe_text(current['officer'])} "
        f"({safe_text(current['organisation'])})"
    )
    if current["status"] == "reviewed":
        st.markdown(
            f"Reviewed by **{safe_text(current['reviewed_by'])}**"
            + (
                f" on {format_datetime(current['reviewed_at'])}"
                if pd.notna(current["reviewed_at"])
                else ""
            )
        )
    answers = {q: current.get(q) for q in current.index}
    in_words = records.answers_in_words({k: v for k, v in answers.items() if pd.notna(v)})
    st.dataframe(
        pd.DataFrame(in_words, columns=["question", "answer"]), hide_index=True, width="stretch"
    )
    st.markdown(f"**Risk:** {current['risk_rating'] or 'not rated'}")
    st.markdown(f"**Reasons for the risk rating:** {safe_text(current['risk_reasons'] or '-')}")
    st.markdown(f"**Findings:** {safe_text(current['findings'] or '-')}")
    st.markdown(f"**Next review:** {format_date(current['next_review_on'])}")


def _review(engine: Engine, user: SignedInUser, current: pd.Series, district: str) -> None:
    if current["status"] != "submitted" or not can(user, "review_assessment", district=district):
        return
    if current["created_by"] == user.username:
        st.caption("You wrote this assessment: a colleague reviews it.")
        return
    if st.button("Mark reviewed", type="primary", key=f"review_{current['id']}"):
        try:
            with session_scope(engine) as session:
                records.review_assessment(
                    session,
                    actor=user,
                    assessment_id=int(current["id"]),
                    expected_version=int(current["version"]),
                )
        except (InputError, ConflictError, PermissionError) as exc:
            st.error(safe_text(exc))
        else:
            _flash(f"Assessment {current['id']} marked reviewed by {user.display_name}.")


def _add_action(engine: Engine, user: SignedInUser, assessment_id: int) -> None:
    st.markdown("**Add an action agreed in this assessment**")
    with st.form(f"action_new_{assessment_id}", clear_on_submit=True):
        description = st.text_area("What will be done", max_chars=2000)
        c1, c2, c3 = st.columns(3)
        agency = c1.text_input("Owning agency")
        owner = c2.text_input("Owner (a role or team)")
        due = c3.date_input("Due", value=None, min_value=dt.date.today() - dt.timedelta(days=365))
        added = st.form_submit_button("Add action")
    if not added:
        return
    try:
        with session_scope(engine) as session:
            records.add_action(
                session,
                actor=user,
                assessment_id=assessment_id,
                data=records.ActionIn(
                    description=description, agency=agency, owner=owner, due_on=due
                ),
            )
    except records.FieldError as exc:
        st.error(safe_text("The action needs: " + "; ".join(exc.errors.values()) + "."))
    except (InputError, PermissionError) as exc:
        st.error(safe_text(exc))
    else:
        _flash(f"Action added for {agency.strip()}.")


def assessment_panel(
    engine: Engine, user: SignedInUser, *, site_id: int, district: str, history: pd.DataFrame
) -> None:
    """Read an assessment (answers, findings, review), review it, add actions, or edit one."""
    show_flash()
    can_edit = can(user, "edit_assessment", district=district)
    pending = st.session_state.pop(PENDING_CHOICE, None)
    if pending and pending[0] == site_id:
        st.session_state[f"sites_assessment_{site_id}"] = pending[1]
    options: list[int | None] = ([None] if can_edit else []) + history["id"].tolist()
    if not options:
        st.caption("No assessment of this site yet; editing is for its district.")
        return
    choice = st.selectbox(
        "Assessment",
        options,
        format_func=lambda i: (
            "Start a new assessment"
            if i is None
            else f"Assessment {i} ({history.set_index('id').loc[i, 'status']})"
        ),
        key=f"sites_assessment_{site_id}",
    )
    if not can_edit:
        st.caption("You can read this site's assessments; editing is for its district.")
    if choice is None:
        assessment_form(engine, user, site_id=site_id, assessment_id=None)
        return
    current = history.set_index("id").loc[choice].copy()
    current["id"] = choice
    _read_out(current)
    _review(engine, user, current, district)
    if can(user, "edit_action", district=district):
        _add_action(engine, user, int(choice))
    if can_edit and current["status"] != "reviewed":
        with st.expander("Change this assessment", expanded=current["status"] == "draft"):
            assessment_form(engine, user, site_id=site_id, assessment_id=int(choice))
