"""One typed settings object, read from ``SAFERPLACES_*`` environment variables.

Every default works with zero configuration: a SQLite file under ``var/`` in the project folder.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PROJECT_ROOT", "SAMPLES_DIR", "Settings", "get_settings", "install_secret"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SAFERPLACES_{name}", default)


@dataclass(frozen=True)
class Settings:
    """Runtime settings.

    Attributes
    ----------
    database_url
        SQLAlchemy URL. Default: ``sqlite:///<data_dir>/saferplaces.db``. Set
        ``SAFERPLACES_DATABASE_URL=postgresql+psycopg://user@host/db`` for PostgreSQL.
    data_dir
        Folder for the default SQLite file and generated artefacts (``SAFERPLACES_DATA_DIR``,
        default ``var/`` in the project folder).
    suppression_threshold
        Counts below this are shown as "fewer than N" (``SAFERPLACES_SUPPRESSION_THRESHOLD``,
        default 5, never below 3).
    environment
        ``development`` (default) or ``production`` (``SAFERPLACES_ENV``); production refuses the
        demo sign-in and demo secrets.
    max_upload_mb
        Largest file the Import page accepts (``SAFERPLACES_MAX_UPLOAD_MB``, default 500).
    session_minutes
        A signed-in session ends after this many idle minutes (``SAFERPLACES_SESSION_MINUTES``,
        default 60).
    max_failed_logins, lockout_minutes
        After this many wrong passwords in a row an account is locked for ``lockout_minutes``
        (``SAFERPLACES_MAX_FAILED_LOGINS`` default 5, ``SAFERPLACES_LOCKOUT_MINUTES`` default 15).
    oidc_provider
        Name of an OIDC provider configured in ``.streamlit/secrets.toml`` (``[auth.NAME]``) to
        offer single sign-on (``SAFERPLACES_OIDC_PROVIDER``, default off). Signed-in identities are
        matched to users by e-mail/subject; unknown identities get ``oidc_default_role``.
    oidc_default_role
        Role for a first-time single sign-on user (``SAFERPLACES_OIDC_DEFAULT_ROLE``, default
        ``viewer``).
    custom_profile
        An administrator's own disclosure profile, e.g. ``threshold=7,rounding=5,symbol=*``
        (``SAFERPLACES_CUSTOM_PROFILE``, default none).
    app_database_url
        PostgreSQL: the URL the app and the commands work through once the schema is current,
        as a role that owns nothing (``SAFERPLACES_APP_DATABASE_URL``; see ``saferplaces db
        grant-app``). Migrations always run through ``database_url``, the owner. Default: the
        same as ``database_url``.
    """

    database_url: str
    data_dir: Path
    suppression_threshold: int = 5
    environment: str = "development"
    max_upload_mb: int = 500
    session_minutes: int = 60
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    oidc_provider: str = ""
    oidc_default_role: str = "viewer"
    custom_profile: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    app_database_url: str = ""

    @property
    def working_url(self) -> str:
        """The URL the app works through: the app role's when configured, else the owner's."""
        return self.app_database_url or self.database_url

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is a SQLite file."""
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where needed)."""
    data_dir = Path(_env("DATA_DIR", str(PROJECT_ROOT / "var"))).expanduser()
    default_url = f"sqlite:///{data_dir / 'saferplaces.db'}"
    threshold = int(_env("SUPPRESSION_THRESHOLD", "5"))
    if threshold < 3:
        msg = f"SAFERPLACES_SUPPRESSION_THRESHOLD must be 3 or more, not {threshold}"
        raise ValueError(msg)
    environment = _env("ENV", "development")
    if environment not in {"development", "production"}:
        msg = f"SAFERPLACES_ENV must be 'development' or 'production', not {environment!r}"
        raise ValueError(msg)
    return Settings(
        database_url=_env("DATABASE_URL", default_url),
        data_dir=data_dir,
        suppression_threshold=threshold,
        environment=environment,
        max_upload_mb=int(_env("MAX_UPLOAD_MB", "500")),
        session_minutes=int(_env("SESSION_MINUTES", "60")),
        max_failed_logins=int(_env("MAX_FAILED_LOGINS", "5")),
        lockout_minutes=int(_env("LOCKOUT_MINUTES", "15")),
        oidc_provider=_env("OIDC_PROVIDER", ""),
        oidc_default_role=_env("OIDC_DEFAULT_ROLE", "viewer"),
        custom_profile=_env("CUSTOM_PROFILE", ""),
        app_database_url=_env("APP_DATABASE_URL", ""),
    )


_SECRET_FILE = "secret.key"  # noqa: S105 (a file name, not a secret)


def install_secret(settings: Settings | None = None) -> bytes:
    """Return this installation's secret key (32 bytes), creating it on first use.

    It keys every hash of a partner's reference (HMAC-SHA-256) and signs session tokens, so a
    stored hash cannot be matched by hashing guesses without it. It comes from
    ``SAFERPLACES_SECRET_KEY`` (64 hex digits; set it when several app servers share one
    PostgreSQL store) or else from ``<data_dir>/secret.key``, written once with owner-only
    permissions the first time the app or the command line needs it. It is never in the
    repository; losing it only means that references imported before and after no longer match.
    """
    settings = settings or get_settings()
    given = _env("SECRET_KEY", "").strip()
    if given:
        try:
            key = bytes.fromhex(given)
        except ValueError:
            key = b""
        if len(key) < 32:
            msg = "SAFERPLACES_SECRET_KEY must be at least 64 hexadecimal digits (32 bytes)"
            raise ValueError(msg)
        return key
    path = settings.data_dir / _SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole to a private temporary file, then linked into place: a process that
        # races us either links first or reads a complete key.
        temp = path.with_name(f".{_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < 32:
        msg = f"the secret key in {path} is damaged: restore it from a backup"
        raise ValueError(msg)
    return key
