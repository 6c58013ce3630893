from __future__ import annotations

import json

from assessments import users
from cli.main import main


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_operator_manages_users_from_the_command_line(configured, capsys):
    assert (
        main(["users", "add", "dora", "--role", "district", "--district", "E07000199", "--json"])
        == 0
    )
    added = _json(capsys)
    assert added["user"]["districts"] == ["E07000199"]
    assert len(added["one_time_password"]) >= 16
    assert main(["users", "set-role", "dora", "viewer", "--json"]) == 0
    assert _json(capsys)["user"]["role"] == "viewer"
    assert main(["users", "disable", "dora", "--json"]) == 0
    assert _json(capsys)["user"]["active"] is False
    assert main(["users", "list", "--json"]) == 0
    listed = {u["username"]: u for u in _json(capsys)["users"]}
    assert listed["dora"] == {**listed["dora"], "role": "viewer", "active": False, "districts": []}


def test_a_signed_in_viewer_cannot_add_users(configured, capsys, monkeypatch):
    main(["users", "add", "vic", "--role", "viewer", "--json"])
    password = _json(capsys)["one_time_password"]
    monkeypatch.setenv("SAFERPLACES_PASSWORD", password)
    assert main(["--user", "vic", "users", "add", "eve", "--role", "admin"]) == 2
    assert "vic (viewer) may not add, disable and re-role users" in capsys.readouterr().err


def test_wrong_password_on_the_command_line_is_refused(configured, capsys, monkeypatch):
    main(["users", "add", "vic", "--role", "viewer", "--json"])
    capsys.readouterr()
    monkeypatch.setenv("SAFERPLACES_PASSWORD", "not it at all")
    assert main(["--user", "vic", "users", "list", "--json"]) == 2
    assert _json(capsys)["error"] == users.sign_in_failed_message()


def test_bad_role_change_is_explained(configured, capsys):
    main(["users", "add", "sam", "--role", "viewer"])
    capsys.readouterr()
    assert main(["users", "set-role", "sam", "district"]) == 2
    assert "at least one district" in capsys.readouterr().err
