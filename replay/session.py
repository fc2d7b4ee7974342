"""Opening a recorded session: its header, its config and its records with sequence numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import msgspec

from actors.config import Config
from actors.config_history import upgrade_logged_config
from actors.settings import ConfigError, config_from_dict
from events import SCHEMA_CHANGES, SCHEMA_VERSION, Event, SessionEnded, SessionStarted
from events.log import LogError, read_events, repair


class SessionError(Exception):
    """The session cannot be opened or replayed."""


def log_path_of(path: str | Path) -> Path:
    """Accept a session directory or its events.log."""
    path = Path(path)
    return path / "events.log" if path.is_dir() else path


@attrs.define
class RecordedSession:
    """A session on disk."""

    log_path: Path
    started: SessionStarted
    config: Config

    @property
    def session_dir(self) -> Path:
        return self.log_path.parent

    def records(self) -> Iterator[tuple[int, Event]]:
        """Every record with its sequence number (SessionStarted is 0)."""
        return enumerate(read_events(self.log_path))

    def events(self) -> Iterator[Event]:
        """Every record in log order."""
        return read_events(self.log_path)

    def ended(self) -> SessionEnded | None:
        """The SessionEnded record, if the session ended cleanly."""
        last = None
        for event in read_events(self.log_path):
            last = event
        return last if isinstance(last, SessionEnded) else None


def open_session(path: str | Path, *, repair_tail: bool = True) -> RecordedSession:
    """Open a session (repairing a torn tail first, which is reported), ready to iterate."""
    log_path = log_path_of(path)
    try:
        if repair_tail:
            repair(log_path)
        first = next(read_events(log_path), None)
    except LogError as exc:
        raise SessionError(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise SessionError(f"{log_path}: undecodable record: {exc}") from None
    if not isinstance(first, SessionStarted):
        raise SessionError(f"{log_path}: first record is not SessionStarted")
    _check_schema(first, log_path)
    try:
        config = config_from_dict(upgrade_logged_config(first.config), f"{log_path} (logged config)")
    except ConfigError as exc:
        raise SessionError(str(exc)) from None
    return RecordedSession(log_path=log_path, started=first, config=config)


def _check_schema(first: SessionStarted, log_path: Path) -> None:
    """Refuse a log whose events this version cannot reproduce, saying what changed."""
    version = first.schema_version
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise SessionError(
            f"{log_path}: written with event schema {version} (papermm {first.package_version}); "
            f"this papermm reads schema {SCHEMA_VERSION}: upgrade papermm"
        )
    changes = "; ".join(f"{v}: {SCHEMA_CHANGES[v]}" for v in range(version + 1, SCHEMA_VERSION + 1))
    raise SessionError(
        f"{log_path}: written with event schema {version} (papermm {first.package_version}); this papermm "
        f"reads schema {SCHEMA_VERSION} and cannot reproduce its derived events (changed since: {changes}); "
        "run the session again with this version"
    )
