"""Opening a recorded session: a log of another event schema is refused with the reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actors.config import Config
from actors.settings import config_to_dict
from events import SCHEMA_CHANGES, SCHEMA_VERSION, SessionEnded, SessionStarted
from events.log import EventLogWriter
from replay.session import SessionError, open_session
from tests.conftest import T0


def _log(path: Path, schema: int) -> Path:
    started = SessionStarted(
        ts=T0, session_id="old", asset="BTC", feed="synthetic", seed=7, config=config_to_dict(Config()),
        package_version="0.0.1", schema_version=schema, wall_ns=0,
    )  # fmt: skip
    path.mkdir(parents=True, exist_ok=True)
    with EventLogWriter(path / "events.log") as writer:
        writer.append(started)
        writer.append(SessionEnded(ts=T0, reason="test", records=2))
    return path


def test_the_current_schema_opens(tmp_path: Path) -> None:
    assert open_session(_log(tmp_path, SCHEMA_VERSION)).started.schema_version == SCHEMA_VERSION


def test_an_older_schema_is_refused_with_what_changed_since(tmp_path: Path) -> None:
    with pytest.raises(SessionError) as err:
        open_session(_log(tmp_path, SCHEMA_VERSION - 1))
    message = str(err.value)
    assert f"event schema {SCHEMA_VERSION - 1} (papermm 0.0.1)" in message
    assert SCHEMA_CHANGES[SCHEMA_VERSION] in message and "run the session again" in message


def test_a_newer_schema_asks_for_an_upgrade(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="upgrade papermm"):
        open_session(_log(tmp_path, SCHEMA_VERSION + 1))


def test_the_cli_reports_it_without_a_traceback(tmp_path: Path) -> None:
    session = _log(tmp_path / "old", SCHEMA_VERSION - 1)
    proc = subprocess.run(
        [sys.executable, "-m", "papermm.cli", "replay", str(session), "--verify"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"event schema {SCHEMA_VERSION - 1}" in proc.stderr + proc.stdout


def test_every_version_says_what_it_changed() -> None:
    assert sorted(SCHEMA_CHANGES) == list(range(2, SCHEMA_VERSION + 1))
