"""``saferplaces audit verify``: check the audit trail's hash chain."""

from __future__ import annotations

import argparse
import json

from cli.store import store_engine

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``audit`` and its sub-commands."""
    parser = subparsers.add_parser("audit", help="check the audit trail")
    sub = parser.add_subparsers(dest="audit_command", metavar="AUDIT_COMMAND")
    sub.required = True
    verify = sub.add_parser(
        "verify",
        help="recompute the audit trail's hash chain; exit 1 naming the first broken event",
        description="Recompute every audit event's hash in order. An event edited, deleted or "
        "back-dated outside the app breaks the chain: the command names the first broken "
        "event and exits with status 1.",
    )
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.set_defaults(needs="view_audit", func=_verify)


def _verify(args: argparse.Namespace) -> int:
    from assessments.audit import verify_chain

    check = verify_chain(store_engine(), actor=args.actor)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": check.ok,
                    "checked": check.checked,
                    "broken_id": check.broken_id,
                    "reason": check.reason,
                }
            )
        )
    else:
        print(check.describe())
    return 0 if check.ok else 1
