"""``saferplaces users add|list|disable|enable|set-role``: manage accounts."""

from __future__ import annotations

import argparse
import json

from assessments.permissions import ROLES
from cli.identity import resolve_actor
from cli.store import store_engine

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``users`` and its sub-commands to the command line."""
    parser = subparsers.add_parser("users", help="add, list, disable and re-role user accounts")
    sub = parser.add_subparsers(dest="users_command", metavar="USERS_COMMAND")
    sub.required = True

    add = sub.add_parser("add", help="add a user; prints a one-time password to pass on")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument(
        "--district",
        action="append",
        default=[],
        metavar="CODE",
        help="district code (repeat for several); required for --role district",
    )
    add.add_argument("--display-name", default="")
    add.add_argument("--json", action="store_true", help="print JSON")
    add.set_defaults(needs="manage_users", func=_add)

    lst = sub.add_parser("list", help="list users with role, districts and state")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(needs="manage_users", func=_list)

    for name, active in (("disable", False), ("enable", True)):
        cmd = sub.add_parser(name, help=f"{name} a user (users are never deleted)")
        cmd.add_argument("username")
        cmd.add_argument("--json", action="store_true", help="print JSON")
        cmd.set_defaults(needs="manage_users", func=_set_active, active=active)

    role = sub.add_parser("set-role", help="change a user's role and districts")
    role.add_argument("username")
    role.add_argument("role", choices=list(ROLES))
    role.add_argument("--district", action="append", default=[], metavar="CODE")
    role.add_argument("--json", action="store_true", help="print JSON")
    role.set_defaults(needs="manage_users", func=_set_role)


def _row(user: object) -> dict[str, object]:
    return {
        "username": user.username,  # type: ignore[attr-defined]
        "display_name": user.display_name,  # type: ignore[attr-defined]
        "role": user.role,  # type: ignore[attr-defined]
        "districts": list(user.districts or []),  # type: ignore[attr-defined]
        "active": user.is_active,  # type: ignore[attr-defined]
        "demo": user.is_demo,  # type: ignore[attr-defined]
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,  # type: ignore[attr-defined]
    }


def _add(args: argparse.Namespace) -> int:
    from assessments import users
    from assessments.db import session_scope

    engine = store_engine()
    actor = resolve_actor(args, engine)
    with session_scope(engine) as session:
        user, one_time = users.add_user(
            session,
            actor=actor,
            username=args.username,
            role=args.role,
            districts=args.district,
            display_name=args.display_name,
        )
        row = _row(user)
    if args.json:
        print(json.dumps({"user": row, "one_time_password": one_time}))
    else:
        print(f"added {row['username']} ({row['role']})")
        print(f"one-time password (shown once; they must change it at first sign-in): {one_time}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from assessments import users
    from assessments.db import session_scope

    engine = store_engine()
    actor = resolve_actor(args, engine)
    with session_scope(engine) as session:
        rows = [_row(u) for u in users.list_users(session, actor=actor)]
    if args.json:
        print(json.dumps({"users": rows}))
    else:
        for r in rows:
            state = "active" if r["active"] else "disabled"
            districts = ",".join(r["districts"]) or "-"  # type: ignore[arg-type]
            print(f"{r['username']:<24} {r['role']:<9} {districts:<20} {state}")
    return 0


def _set_active(args: argparse.Namespace) -> int:
    from assessments import users
    from assessments.db import session_scope

    engine = store_engine(migrate=False)
    actor = resolve_actor(args, engine)
    with session_scope(engine) as session:
        row = _row(
            users.set_active(session, actor=actor, username=args.username, active=args.active)
        )
    print(
        json.dumps({"user": row})
        if args.json
        else f"{args.username}: {'enabled' if args.active else 'disabled'}"
    )
    return 0


def _set_role(args: argparse.Namespace) -> int:
    from assessments import users
    from assessments.db import session_scope

    engine = store_engine(migrate=False)
    actor = resolve_actor(args, engine)
    with session_scope(engine) as session:
        row = _row(
            users.set_role(
                session,
                actor=actor,
                username=args.username,
                role=args.role,
                districts=args.district,
            )
        )
    print(json.dumps({"user": row}) if args.json else f"{args.username}: now {args.role}")
    return 0
