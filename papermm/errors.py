"""Errors a command reports to the user as a message and an exit code, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (bad argument, missing file); printed, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
