"""The kill switch across sessions: a tripped switch stays tripped until the user resets it.

A session whose kill switch trips leaves ``DATA_DIR/checkpoints/paper/{ASSET}/kill_switch.json``
behind (written atomically at the end of the session). The next ``papermm paper`` on that
asset starts latched: ``risk.kill_switch_latched`` is set in its config (so the log, and
a replay, say so), its quote engine announces a KillSwitchTripped with reason
``latched`` and never quotes. ``papermm paper --reset-kill-switch`` clears the state and
quotes again. The state is deliberately not part of the warm-start prior (prior.json):
a prior is learned state, and a kill switch is never inherited through it.

This is the command line's I/O edge; actors only ever see the config field.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from actors.config import Config

STATE_NAME = "kill_switch.json"


class KillSwitchState(msgspec.Struct, frozen=True, kw_only=True):
    """What the last tripped session left: enough to say why quoting is blocked."""

    tripped: bool
    reason: str = ""
    session_id: str = ""
    ts: int = 0
    equity: float = 0.0
    drawdown_usd: float = 0.0
    daily_loss_usd: float = 0.0


def state_path(config: Config) -> Path:
    """``DATA_DIR/checkpoints/paper/{ASSET}/kill_switch.json``."""
    asset = config.session.asset.replace(":", "_")
    return Path(config.session.data_dir) / "checkpoints" / "paper" / asset / STATE_NAME


def read_state(config: Config) -> KillSwitchState | None:
    """The saved state, or None when there is none (or it is unreadable: never latch on garbage)."""
    path = state_path(config)
    try:
        return msgspec.json.decode(path.read_bytes(), type=KillSwitchState)
    except (OSError, msgspec.DecodeError):
        return None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kill_switch.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def latch(config: Config, reset: bool) -> tuple[Config, KillSwitchState | None]:
    """The session's config with the latch applied, and the state that latched it.

    ``reset`` (``--reset-kill-switch``) clears a tripped state instead.
    """
    state = read_state(config)
    if state is None or not state.tripped:
        return config, None
    if reset:
        _write_atomic(state_path(config), msgspec.json.encode(KillSwitchState(tripped=False)))
        return config, None
    detail = f"{state.reason} in session {state.session_id}; pass --reset-kill-switch to quote again"
    risk = msgspec.structs.replace(config.risk, kill_switch_latched=detail)
    return msgspec.structs.replace(config, risk=risk), state


def record(config: Config, session_id: str, kill_switch: dict[str, Any]) -> None:
    """Save a trip of this session (a latched session leaves the state as it was)."""
    if not kill_switch.get("tripped") or kill_switch.get("reason") in ("", "latched"):
        return
    state = KillSwitchState(
        tripped=True,
        reason=str(kill_switch["reason"]),
        session_id=session_id,
        ts=int(kill_switch.get("ts", 0)),
        equity=float(kill_switch.get("equity", 0.0)),
        drawdown_usd=float(kill_switch.get("drawdown_usd", 0.0)),
        daily_loss_usd=float(kill_switch.get("daily_loss_usd", 0.0)),
    )
    _write_atomic(state_path(config), msgspec.json.encode(state))
