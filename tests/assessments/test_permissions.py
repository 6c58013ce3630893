from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from assessments.permissions import ACTIONS, MATRIX, ROLES, can, require, visible_districts
from geo import PermissionDeniedError


@dataclass
class FakeActor:
    username: str
    role: str
    districts: list[str] = field(default_factory=list)
    is_active: bool = True


# The expected matrix, written out independently of the code: Y allowed, D own districts only.
EXPECTED = {
    #                     admin analyst district viewer
    "view": ("Y", "Y", "Y", "Y"),
    "import": ("Y", "Y", "-", "-"),
    "import_records": ("Y", "Y", "Y", "-"),
    "delete_import": ("Y", "Y", "-", "-"),
    "export": ("Y", "Y", "Y", "-"),
    "compute_hotspots": ("Y", "Y", "-", "-"),
    "edit_register": ("Y", "Y", "-", "-"),
    "edit_site": ("Y", "Y", "D", "-"),
    "edit_assessment": ("Y", "Y", "D", "-"),
    "review_assessment": ("Y", "Y", "D", "-"),
    "edit_action": ("Y", "Y", "D", "-"),
    "manage_users": ("Y", "-", "-", "-"),
    "manage_settings": ("Y", "-", "-", "-"),
    "view_audit": ("Y", "-", "-", "-"),
    "load_samples": ("Y", "-", "-", "-"),
}
ROLE_ORDER = ("admin", "analyst", "district", "viewer")


def test_expected_matrix_covers_every_action_and_role():
    assert set(EXPECTED) == set(ACTIONS) == set(MATRIX)
    assert set(ROLE_ORDER) == set(ROLES)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLE_ORDER)
def test_every_cell_of_the_matrix(role, action):
    cell = EXPECTED[action][ROLE_ORDER.index(role)]
    actor = FakeActor("someone", role, districts=["E1"] if role == "district" else [])
    in_own = can(actor, action, district="E1")
    in_other = can(actor, action, district="E2")
    assert in_own is (cell in {"Y", "D"})
    assert in_other is (cell == "Y")
    if cell != "Y":
        with pytest.raises(PermissionDeniedError, match="may not"):
            require(actor, action, district="E2")


def test_disabled_or_missing_actor_may_do_nothing():
    for action in ACTIONS:
        assert not can(FakeActor("x", "admin", is_active=False), action)
        assert not can(None, action)
    with pytest.raises(PermissionDeniedError, match="nobody signed in"):
        require(None, "view")


def test_district_officer_without_a_district_in_the_record_is_refused():
    officer = FakeActor("d", "district", districts=["E1"])
    assert not can(officer, "edit_site")  # the record's district must be given and be theirs


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        can(FakeActor("x", "admin"), "launch_rockets")


def test_visible_districts():
    codes = ["E1", "E2", "E3"]
    assert visible_districts(FakeActor("a", "analyst"), codes) == codes
    assert visible_districts(FakeActor("d", "district", ["E2", "E9"]), codes) == ["E2"]
    assert visible_districts(FakeActor("v", "viewer"), codes) == []
