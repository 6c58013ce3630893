"""Roles, actions and the one role × action matrix every service checks.

The matrix is the single place that says who may do what. Services call :func:`require` with
the acting user (and the district a record belongs to, for district-scoped actions); pages may call
:func:`can` to hide buttons, but hiding is a courtesy, never the control.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Protocol

from geo._errors import PermissionDeniedError

__all__ = [
    "ACTIONS",
    "DISTRICT_SCOPED",
    "MATRIX",
    "ROLES",
    "Actor",
    "can",
    "require",
    "visible_districts",
]

#: Roles, from most to least powerful.
ROLES: Final[dict[str, str]] = {
    "admin": "Administrator: users, settings and everything an analyst can do",
    "analyst": "Community safety officer: imports, hotspots, all districts",
    "district": "District council officer: sites, assessments and actions in their districts",
    "viewer": "Viewer: reads maps, hotspots and assessments; changes nothing",
}

#: Actions the services check, with what they cover.
ACTIONS: Final[dict[str, str]] = {
    "view": "see maps, hotspots, sites and assessments",
    "import": "import incident files and district boundaries",
    "import_records": "import sites, assessments and actions (each row checked for its district)",
    "delete_import": "undo an import batch",
    "export": "export tables, hexes and meeting packs",
    "compute_hotspots": "recompute hotspots and update the register",
    "edit_register": "change a hotspot's status, add meeting notes and decisions",
    "edit_site": "create or change sites",
    "edit_assessment": "create, change and submit site assessments",
    "review_assessment": "mark a submitted assessment as reviewed",
    "edit_action": "create or change actions agreed in assessments",
    "manage_users": "add, disable and re-role users",
    "manage_settings": "change the suppression threshold and other settings",
    "view_audit": "read and export the audit trail",
    "load_samples": "load or regenerate the synthetic samples",
}

_ALL: Final = frozenset(ROLES)
_EDITORS: Final = frozenset({"admin", "analyst", "district"})
_CENTRAL: Final = frozenset({"admin", "analyst"})
_ADMIN: Final = frozenset({"admin"})

#: Which roles may perform each action.
MATRIX: Final[dict[str, frozenset[str]]] = {
    "view": _ALL,
    "import": _CENTRAL,
    "import_records": _EDITORS,
    "delete_import": _CENTRAL,
    "export": _EDITORS,
    "compute_hotspots": _CENTRAL,
    "edit_register": _CENTRAL,
    "edit_site": _EDITORS,
    "edit_assessment": _EDITORS,
    "review_assessment": _CENTRAL | {"district"},
    "edit_action": _EDITORS,
    "manage_users": _ADMIN,
    "manage_settings": _ADMIN,
    "view_audit": _ADMIN,
    "load_samples": _ADMIN,
}

#: Actions whose records belong to a district: a district officer may act only in their own.
DISTRICT_SCOPED: Final[frozenset[str]] = frozenset(
    {"edit_site", "edit_assessment", "review_assessment", "edit_action"}
)


class Actor(Protocol):
    """What the permission check needs to know of a user (an ORM ``User`` or a ``SignedInUser``)."""

    @property
    def username(self) -> str: ...  # noqa: D102

    @property
    def role(self) -> str: ...  # noqa: D102

    @property
    def districts(self) -> list[str]: ...  # noqa: D102

    @property
    def is_active(self) -> bool: ...  # noqa: D102


def can(actor: Actor | None, action: str, *, district: str | None = None) -> bool:
    """Whether ``actor`` may perform ``action`` (on a record in ``district``, if scoped)."""
    if action not in MATRIX:
        msg = f"unknown action {action!r}"
        raise KeyError(msg)
    if actor is None or not actor.is_active or actor.role not in MATRIX[action]:
        return False
    if actor.role == "district" and action in DISTRICT_SCOPED:
        return district is not None and district in set(actor.districts or [])
    return True


def require(actor: Actor | None, action: str, *, district: str | None = None) -> None:
    """Raise :class:`PermissionDeniedError` unless ``actor`` may perform ``action``."""
    if can(actor, action, district=district):
        return
    who = "nobody signed in" if actor is None else f"{actor.username} ({actor.role})"
    where = f" in district {district}" if district else ""
    msg = f"{who} may not {ACTIONS[action]}{where}"
    raise PermissionDeniedError(msg)


def visible_districts(actor: Actor, all_codes: Iterable[str]) -> list[str]:
    """Districts whose records ``actor`` may edit (all of them for central roles)."""
    codes = list(all_codes)
    if actor.role == "district":
        mine = set(actor.districts or [])
        return [c for c in codes if c in mine]
    if actor.role in _CENTRAL:
        return codes
    return []
