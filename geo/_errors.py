"""Domain errors raised by the pure computation packages.

Pages and the CLI catch these and show the message with what the user can do next; they never
show a traceback.
"""

from __future__ import annotations

__all__ = ["ConflictError", "InputError", "PermissionDeniedError", "PersonalDataError"]


class InputError(ValueError):
    """A file, a column mapping or a parameter cannot be used as given."""


class PersonalDataError(InputError):
    """A file holds data that looks personal (names, dates of birth, addresses, narratives...)."""

    def __init__(
        self,
        message: str,
        *,
        columns: list[str] | None = None,
        rows: list[tuple[int, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.columns = list(columns or [])
        #: Every refused line with its reason (line, reason), for the per-row report.
        self.rows = list(rows or [])


class ConflictError(RuntimeError):
    """A record changed since the user loaded it; saving would overwrite someone else's edit.

    ``current`` holds the record as it is now (saved by someone else) and ``attempted`` the
    values the user tried to save, so a page can show both versions side by side.
    """

    def __init__(
        self,
        message: str,
        *,
        current: dict[str, object] | None = None,
        attempted: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.current = dict(current or {})
        self.attempted = dict(attempted or {})


class PermissionDeniedError(PermissionError):
    """The acting user's role or districts do not allow this action."""
