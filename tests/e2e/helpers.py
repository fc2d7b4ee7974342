"""Running sessions from tests: in-process (fast) and as the real command (subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import trio

from actors.feed_sources import open_feed
from actors.runtime import SessionResult, run_session
from actors.settings import load_config

PAPERMM = [sys.executable, "-m", "papermm.cli"]


def run_synthetic(data_dir: Path, duration_s: float, seed: int = 7, **sets: Any) -> SessionResult:
    """Run a synthetic session in this process at maximum speed."""
    overrides: list[tuple[str, Any]] = [
        ("session.data_dir", str(data_dir)),
        ("session.duration_s", duration_s),
        ("session.seed", seed),
    ]
    overrides += [(k.replace("__", "."), v) for k, v in sets.items()]
    config = load_config(None, overrides)

    async def main() -> SessionResult:
        return await run_session(config, lambda d: open_feed(config, d), handle_sigint=False)

    return trio.run(main)


def papermm(*args: str, timeout: float = 300, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the command line as a user would."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    proc = subprocess.run([*PAPERMM, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"papermm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc
