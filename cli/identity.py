"""Who the command line acts as.

With ``--user NAME`` (or ``SAFERPLACES_USER``) a command acts as that account, after its password
(``SAFERPLACES_PASSWORD``, or asked for on the terminal), with that account's role and districts.
Without it, the command acts as the local operator ``cli`` with administrator rights: whoever can
run commands on the server can already read the database file, so the shell is admin-level access
and is audited as ``cli``.
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

__all__ = ["OPERATOR", "Operator", "resolve_actor"]


@dataclass(frozen=True)
class Operator:
    """The local operator at the server's shell."""

    username: str = "cli"
    role: str = "admin"
    districts: list[str] = field(default_factory=list)
    is_active: bool = True
    is_demo: bool = False


OPERATOR = Operator()


def resolve_actor(args: argparse.Namespace, engine: Engine) -> SignedInUser | Operator:
    """Return the user named by ``--user`` (password checked) or the local operator."""
    name = getattr(args, "user", None) or os.environ.get("SAFERPLACES_USER")
    if not name:
        return OPERATOR
    from assessments.users import authenticate

    password = os.environ.get("SAFERPLACES_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password for {name}: ")
    return authenticate(engine, name, password)
