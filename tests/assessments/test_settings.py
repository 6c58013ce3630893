"""The per-install secret: created once, private, stable, overridable, never guessable."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from assessments.settings import get_settings, install_secret


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFERPLACES_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("SAFERPLACES_SECRET_KEY", raising=False)
    return tmp_path / "var"


def test_secret_is_created_once_with_owner_only_permissions(data_dir):
    first = install_secret()
    assert len(first) == 32
    path = data_dir / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert install_secret() == first
    assert install_secret(get_settings()) == first


def test_two_installs_get_different_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("SAFERPLACES_SECRET_KEY", raising=False)
    monkeypatch.setenv("SAFERPLACES_DATA_DIR", str(tmp_path / "a"))
    a = install_secret()
    monkeypatch.setenv("SAFERPLACES_DATA_DIR", str(tmp_path / "b"))
    assert install_secret() != a


def test_concurrent_first_use_agrees_on_one_secret(data_dir):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: install_secret(), range(32)))
    assert len(keys) == 1
    assert [p.name for p in data_dir.iterdir()] == ["secret.key"]


def test_environment_secret_wins_and_is_checked(data_dir, monkeypatch):
    monkeypatch.setenv("SAFERPLACES_SECRET_KEY", "ab" * 32)
    assert install_secret() == bytes.fromhex("ab" * 32)
    assert not (data_dir / "secret.key").exists()
    monkeypatch.setenv("SAFERPLACES_SECRET_KEY", "not hex")
    with pytest.raises(ValueError, match="64 hexadecimal digits"):
        install_secret()
