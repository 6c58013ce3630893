"""Who the command line acts as, and whether they may run the command.

With ``--user NAME`` (or ``SAFERPLACES_USER``) every command acts as that account, after its
password (``SAFERPLACES_PASSWORD``, or asked for on the terminal): a wrong password stops the
command before it does anything. Each command names the action of the role matrix it needs
(``needs`` on its parser, see :data:`assessments.permissions.MATRIX`); :func:`authorise` checks
it once, in :func:`cli.main.main`, before the command runs, and the services check it again.

Without ``--user`` the command acts as the local operator ``cli`` with administrator rights:
whoever can run commands on the server can already read the database file (or holds the
database URL), so the shell is admin-level access, and it is audited as ``cli``.
"""

from __future__ import annotations

import argparse
import getpass
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from assessments.users import SignedInUser

__all__ = ["OPERATOR", "Operator", "acting_name", "authorise", "resolve_actor"]


@dataclass(frozen=True)
class Operator:
    """The local operator at the server's shell."""

    username: str = "cli"
    role: str = "admin"
    districts: list[str] = field(default_factory=list)
    is_active: bool = True
    is_demo: bool = False


OPERATOR = Operator()


def acting_name(args: argparse.Namespace) -> str | None:
    """Return the account named by ``--user`` or ``SAFERPLACES_USER``, if any."""
    return getattr(args, "user", None) or os.environ.get("SAFERPLACES_USER") or None


def authorise(args: argparse.Namespace) -> SignedInUser | Operator:
    """Authenticate the acting user and check the command's action; keep the actor on ``args``.

    Raises
    ------
    AuthError
        Wrong user name or password, a locked or a disabled account.
    PermissionDeniedError
        The role may not perform the command's action.
    """
    from assessments.permissions import require

    name = acting_name(args)
    if not name:
        actor: SignedInUser | Operator = OPERATOR
    else:
        from assessments.users import authenticate
        from cli.store import store_engine

        password = os.environ.get("SAFERPLACES_PASSWORD")
        if password is None:
            password = getpass.getpass(f"password for {name}: ")
        actor = authenticate(store_engine(), name, password)
    needs = getattr(args, "needs", None)
    if needs:
        require(actor, needs)
    args.actor = actor
    return actor


def resolve_actor(args: argparse.Namespace, engine: Engine) -> SignedInUser | Operator:
    """Return the actor :func:`authorise` established (authenticating now if it has not run)."""
    actor = getattr(args, "actor", None)
    if actor is not None:
        return actor  # type: ignore[no-any-return]
    name = acting_name(args)
    if not name:
        return OPERATOR
    from assessments.users import authenticate

    password = os.environ.get("SAFERPLACES_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password for {name}: ")
    return authenticate(engine, name, password)
