"""The analytics streams of a session, derived from its event log alone.

``write_analytics(session_dir)`` reads ``events.log`` once and writes, under
``analytics/``, one JSON object per line, records in event-time order:

* ``sharpe_metrics.jsonl``: per minute of event time, its return and the rolling
  Sharpe ratios over 1 h, 24 h, 7 d and the session (``replay.sharpe``);
* ``signal_contributions.jsonl``: per quote cycle, what each quoting component (the
  signals) did to the half spread and the skew (``replay.signals``);
* ``signal_pnl.jsonl``: per signal, the PnL earned while it was active and inactive and
  its marginal value (``replay.signals``);
* ``edge_validation.jsonl``: per fill, spread, adverse selection and edge predicted at
  placement, at the fill and once marked out (``replay.edge_validation``);
* ``experiences.jsonl``: per quote cycle, a (state, action, reward, next_state, done)
  transition for offline reinforcement learning (``replay.experiences``).

Everything is a pure function of the log, so rebuilding gives the same bytes. The
streams are written after a session, never during it: a post-pass costs the session
nothing. ``collect`` (one pass over the log, ``replay.session_data``) is shared with the
report and the checklist.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import msgspec

from replay.edge_validation import edge_stream
from replay.experiences import experience_stream
from replay.session_data import SessionData, collect
from replay.sharpe import sharpe_stream
from replay.signals import contribution_stream, signal_pnl_stream

STREAMS: Final = ("sharpe_metrics", "signal_contributions", "signal_pnl", "edge_validation", "experiences")
_encoder = msgspec.json.Encoder()

# The names that lived here before the streams had modules of their own.


def build_streams(data: SessionData) -> dict[str, list[dict[str, Any]]]:
    """Every stream's records, by stream name (``STREAMS`` order)."""
    contributions = contribution_stream(data)
    return {
        "sharpe_metrics": sharpe_stream(data),
        "signal_contributions": contributions,
        "signal_pnl": signal_pnl_stream(data, contributions),
        "edge_validation": edge_stream(data),
        "experiences": experience_stream(data),
    }


def encode_lines(records: Iterable[dict[str, Any]]) -> bytes:
    """JSON lines: key order as built, NaN and inf as null, one record per line."""
    return b"".join(_encoder.encode(_finite(r)) + b"\n" for r in records)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def write_analytics(path: str | Path | SessionData) -> dict[str, Path]:
    """Rebuild every stream of a session under ``SESSION_DIR/analytics/``; returns the
    paths by stream name."""
    data = path if isinstance(path, SessionData) else collect(path)
    return write_streams(data, build_streams(data))


def write_streams(data: SessionData, streams: dict[str, list[dict[str, Any]]]) -> dict[str, Path]:
    """Write built streams, each file atomically (a reader never sees half a stream)."""
    out_dir = data.session.session_dir / "analytics"
    out_dir.mkdir(exist_ok=True)
    written = {}
    for name, records in streams.items():
        target = out_dir / f"{name}.jsonl"
        write_atomic(target, encode_lines(records))
        written[name] = target
    return written


def write_atomic(target: Path, payload: bytes) -> None:
    """Write to a temporary file beside ``target``, fsync, then rename over it."""
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
