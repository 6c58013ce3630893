"""The command line authenticates ``--user`` and checks the role matrix for every command."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessments.db import session_scope
from assessments.models import AuditEvent, ImportBatch, SavedMapping, User
from cli.main import build_parser, main
from tests.conftest import add_north_district

PASSWORD = "correct horse battery staple"


_HASH = PasswordHasher().hash(PASSWORD)  # once: Argon2 is slow on purpose


def _add(engine, username, role, districts=None):
    with session_scope(engine) as session:
        session.add(
            User(username=username, role=role, districts=districts or [], password_hash=_HASH)
        )


@pytest.fixture
def people(configured, monkeypatch):
    """An account of each role, all with the same password (given through the environment)."""
    _add(configured, "ada", "admin")
    _add(configured, "ann", "analyst")
    _add(configured, "dot", "district", ["N1"])
    _add(configured, "vic", "viewer")
    monkeypatch.setenv("SAFERPLACES_PASSWORD", PASSWORD)
    return configured


def _count(engine, model, *where):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize(
    "argv",
    [
        ["samples", "load"],
        ["status"],
        ["hexes"],
        ["mappings", "save", "m", "--map", "latitude=Y"],
        ["users", "list"],
    ],
)
def test_a_wrong_password_stops_every_command_before_it_does_anything(
    people, capsys, monkeypatch, argv
):
    monkeypatch.setenv("SAFERPLACES_PASSWORD", "not the password at all")
    assert main(["--user", "ada", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "error: wrong user name or password" in err
    assert _count(people, ImportBatch) == 0
    assert _count(people, SavedMapping) == 0


#: (role's user, command, allowed?) for the cells of the matrix that matter.
CELLS = [
    ("vic", ["status", "--json"], True),
    ("vic", ["hotspots", "list", "--json"], True),
    ("vic", ["mappings", "save", "m", "--map", "latitude=Y"], False),
    ("vic", ["hexes"], False),
    ("vic", ["samples", "load"], False),
    ("vic", ["hotspots", "compute"], False),
    ("vic", ["batches", "delete", "1", "--yes"], False),
    ("vic", ["users", "list"], False),
    ("dot", ["mappings", "save", "m", "--map", "latitude=Y"], False),
    ("dot", ["hexes"], True),
    ("dot", ["samples", "load"], False),
    ("dot", ["batches", "rejects", "1"], False),
    ("ann", ["mappings", "save", "m", "--map", "latitude=Y"], True),
    ("ann", ["samples", "load"], False),
    ("ann", ["users", "list"], False),
    ("ann", ["db", "upgrade"], False),
    ("ada", ["users", "list", "--json"], True),
    ("ada", ["db", "upgrade"], True),
]


@pytest.mark.parametrize(("who", "argv", "allowed"), CELLS)
def test_each_command_checks_the_role_matrix(people, capsys, who, argv, allowed):
    status = main(["--user", who, *argv])
    out, err = capsys.readouterr()
    if allowed:
        assert status == 0, err
    else:
        assert status == 2
        assert "may not" in err
        assert out == ""
    if argv[0] == "mappings":
        assert _count(people, SavedMapping) == int(allowed)
    if argv[0] == "samples":
        assert _count(people, ImportBatch) == 0


def test_every_store_command_names_the_action_it_needs():
    parser = build_parser()
    commands = []

    def walk(p, path):
        subs = [a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not subs:
            commands.append((path, p.get_default("needs")))
            return
        for name, child in subs[0].choices.items():
            walk(child, [*path, name])

    walk(parser, [])
    missing = [" ".join(path) for path, needs in commands if needs is None]
    assert missing == ["start"]  # start only execs the app, which signs its users in itself


def test_an_admin_loads_samples_only_into_a_store_without_real_data(people, capsys):
    with session_scope(people) as session:
        add_north_district(session)
    assert main(["--user", "ada", "samples", "load"]) == 2
    err = capsys.readouterr().err
    assert "the store holds real data (1 districts)" in err
    assert "nothing was loaded" in err
    assert _count(people, ImportBatch) == 0


def test_the_local_operator_acts_as_an_administrator_without_user(people, capsys, monkeypatch):
    monkeypatch.delenv("SAFERPLACES_PASSWORD")
    assert main(["mappings", "save", "m", "--map", "latitude=Y"]) == 0
    assert _count(people, SavedMapping) == 1
    assert _count(people, AuditEvent, AuditEvent.action == "save", AuditEvent.actor == "cli") == 1


def test_signed_in_user_is_who_the_audit_trail_names(people, capsys):
    assert main(["--user", "ann", "mappings", "save", "m", "--map", "latitude=Y"]) == 0
    assert _count(people, AuditEvent, AuditEvent.action == "save", AuditEvent.actor == "ann") == 1
    assert main(["--user", "ann", "status", "--json"]) == 0
    # Totals are shown through the disclosure path, as labels.
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["incidents"] == "0"


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_hexes_output_is_audited_with_its_filters(people, capsys, fmt):
    assert main(["--user", "dot", "hexes", "--format", fmt, "--kind", "incident"]) == 0
    with Session(people) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.actor, event.entity) == ("dot", "hexes")
    assert event.detail["format"] == fmt
    assert event.detail["rows"] == 0
    assert event.detail["filters"]["profile"] == "internal"
    assert "incident" in event.detail["filters"]["filter"]


def test_batch_rejects_export_is_audited(people, capsys, tmp_path):
    out = tmp_path / "rejects.csv"
    assert main(["--user", "ann", "batches", "rejects", "7", "--out", str(out)]) == 0
    assert out.exists()
    assert _count(people, AuditEvent, AuditEvent.entity == "import_rejects") == 1
