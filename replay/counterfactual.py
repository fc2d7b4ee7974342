"""Counterfactual runs: the same recorded market inputs through a graph with other settings.

The new session is a session like any other: SessionStarted (with the new config), then
every logged external input followed by what the new graph derived from it, then
SessionEnded. It therefore verifies with ``papermm replay NEW --verify``, and can be
explained, diffed, stepped and exported.

Overrides are ``KEY=VALUE`` on the *logged* config, validated together with their key
paths (an unknown key or a bad value is refused, every problem listed). Settings that
shape the inputs (``feed.*``, ``synthetic.*``, ``live.*``, ``log.*``,
``session.duration_s|speed|data_dir``) are accepted but change nothing: the inputs are
the recorded ones. ``CounterfactualResult.inert`` names them.

The new session's id is the source's plus a digest of the overrides, so the same
counterfactual always has the same id; an existing session is never overwritten. No
wall clock is read: SessionStarted keeps the source's ``wall_ns``, and the same source
with the same overrides gives byte-identical logs.
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import msgspec

from actors.config import Config
from actors.graph import build_sequencer
from actors.settings import ConfigError, apply_override, config_from_dict, config_to_dict, parse_override
from events import EXTERNAL_TYPES, SCHEMA_VERSION, SESSION_TYPES, SessionEnded, SessionStarted
from events.log import EventLogWriter
from replay.session import RecordedSession, SessionError, open_session

#: Settings that only shape where inputs come from or where files go.
INERT_PREFIXES: tuple[str, ...] = (
    "feed.",
    "synthetic.",
    "live.",
    "log.",
    "session.duration_s",
    "session.speed",
    "session.data_dir",
)

Override = tuple[str, Any]


class CounterfactualError(SessionError):
    """The counterfactual cannot be written (its destination exists)."""


@attrs.frozen
class CounterfactualResult:
    source_id: str
    session_id: str
    session_dir: Path
    overrides: tuple[Override, ...]
    #: Overrides that cannot change a replay of recorded inputs.
    inert: tuple[str, ...]
    external: int
    records: int
    counts: dict[str, int]
    config: Config
    #: The fields of the last PnL record the new session logged (empty if none): the same
    #: figures ``papermm diff`` compares.
    pnl: dict[str, Any] = attrs.field(factory=dict)

    @property
    def log_path(self) -> Path:
        return self.session_dir / "events.log"


def parse_overrides(items: Sequence[str | Override]) -> list[Override]:
    """``KEY=VALUE`` strings (values read as TOML) or ready pairs, in order."""
    return [parse_override(item) if isinstance(item, str) else (item[0], item[1]) for item in items]


def apply_overrides(base: dict[str, Any], overrides: Sequence[Override]) -> tuple[Config, dict[str, Any]]:
    """The logged config with ``overrides`` applied, validated; ConfigError lists every problem."""
    data = copy.deepcopy(base)
    for key, value in overrides:
        apply_override(data, key, value)
    return config_from_dict(data, "--set"), data


def counterfactual_id(source_id: str, overrides: Sequence[Override]) -> str:
    """``SOURCE-cfXXXXXXXX``: a digest of the overrides (the last value of a repeated key wins)."""
    effective = dict(overrides)
    payload = msgspec.json.encode(sorted(effective.items()), order="deterministic")
    return f"{source_id}-cf{hashlib.sha256(payload).hexdigest()[:8]}"


def _destination(
    source: RecordedSession, config: Config, new_id: str, out: str | Path | None, data_dir: str | Path | None
) -> Path:
    if out is not None:
        return Path(out)
    if data_dir is not None:
        return Path(data_dir) / "sessions" / config.session.asset.replace(":", "_") / new_id
    # Beside the source: DATA_DIR/sessions/ASSET of the session it comes from.
    return source.session_dir.parent / new_id


def run_counterfactual(
    source: RecordedSession | str | Path,
    overrides: Sequence[str | Override] = (),
    *,
    out: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> CounterfactualResult:
    """Re-run ``source``'s inputs with ``overrides`` into a new session directory.

    Args:
        out: the new session directory (default DATA_DIR/sessions/ASSET/<new id>, where
            DATA_DIR is ``data_dir`` or else the source's own).

    Raises:
        ConfigError: an unknown key or a bad value (every problem with its key path).
        CounterfactualError: the destination already holds files.
    """
    session = source if isinstance(source, RecordedSession) else open_session(source)
    pairs = parse_overrides(overrides)
    config, _ = apply_overrides(session.started.config, pairs)
    source_id = session.started.session_id
    new_id = counterfactual_id(source_id, pairs)
    session_dir = _destination(session, config, new_id, out, data_dir)
    if session_dir.resolve() == session.session_dir.resolve():
        raise CounterfactualError(f"{session_dir}: is the source session; choose another --out")
    if session_dir.exists() and (not session_dir.is_dir() or any(session_dir.iterdir())):
        raise CounterfactualError(
            f"{session_dir}: already exists; refusing to overwrite it (remove it or pass --out)"
        )
    partial = session_dir.with_name(session_dir.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)

    sequencer = build_sequencer(config)
    counts: Counter[str] = Counter()
    started = session.started
    external = 0
    last_ts = started.ts
    with EventLogWriter(partial / "events.log") as writer:
        writer.append(
            SessionStarted(
                ts=started.ts,
                session_id=new_id,
                asset=config.session.asset,
                feed=f"counterfactual:{source_id}",
                seed=config.session.seed,
                config=config_to_dict(config),
                package_version=_package_version(),
                schema_version=SCHEMA_VERSION,
                wall_ns=started.wall_ns,
            )
        )
        admit = sequencer.admit
        append = writer.append
        last_pnl: Any = None
        for _seq, event in session.records():
            kind = type(event)
            if kind in SESSION_TYPES or kind not in EXTERNAL_TYPES:
                continue  # derived events are re-derived; session records are rewritten
            external += 1
            last_ts = event.ts
            for produced in admit(event):
                append(produced)
                name = type(produced).__name__
                counts[name] += 1
                if name == "PnL":
                    last_pnl = produced
        records = writer.records + 1
        writer.append(SessionEnded(ts=last_ts, reason="counterfactual", records=records))
    truth = session.session_dir / "synthetic_truth.log"
    if truth.exists():
        shutil.copyfile(truth, partial / truth.name)
    if session_dir.exists():
        session_dir.rmdir()  # an empty directory the user named with --out
    os.replace(partial, session_dir)
    return CounterfactualResult(
        source_id=source_id,
        session_id=new_id,
        session_dir=session_dir,
        overrides=tuple(pairs),
        inert=tuple(k for k, _ in pairs if k.startswith(INERT_PREFIXES)),
        external=external,
        records=records,
        counts=dict(counts),
        config=config,
        pnl={} if last_pnl is None else {f: getattr(last_pnl, f) for f in last_pnl.__struct_fields__},
    )


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("papermm")
    except PackageNotFoundError:
        return "0.0.0+unknown"


__all__ = [
    "ConfigError",
    "CounterfactualError",
    "CounterfactualResult",
    "apply_overrides",
    "counterfactual_id",
    "parse_overrides",
    "run_counterfactual",
]
