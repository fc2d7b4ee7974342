"""What the prediction tracker costs a replay: the issue's "no more than 10 %" figure.

The same 1-hour synthetic session is replayed with ``replay --verify`` (replay.verify,
unchanged) twice over:

* **full**: the session's log through the session's graph;
* **without**: the log the same session would have written without the prediction
  tracker (the same external inputs and the reduced graph's derived events: no Markout or
  CalibrationRecord, and checkpoints whose quote-outcome bins stay empty), verified
  through the graph minus the tracker. No setting turns the tracker off: the reduced
  graph is built here only, from ``actors.graph.build_actors``.

The drop therefore counts all a replay pays for the tracker: its handler, the
checkpointer's use of its records, and reading, decoding and comparing its records in the
log. Each figure is the best of several passes, interleaved so that a busy moment of the
machine hits both alike; the drop is ``1 - full / without`` of the market-event rate.

Run: ``.venv/bin/python -m bench.bench_predictions [--duration S] [--runs N] [--profile]``
(``make bench`` runs it as part of the whole set).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trio

from actors.config import Config
from actors.feed_sources import open_feed
from actors.graph import build_actors, build_sequencer
from actors.predictions import PredictionTracker
from actors.runtime import run_session
from actors.sequencer import Sequencer
from actors.settings import load_config
from events import EXTERNAL_TYPES, SESSION_TYPES, Bbo, BookSnapshot, Mids, Trade
from events.log import EventLogWriter
from papermm.logging_setup import configure_logging
from replay.session import open_session
from replay.verify import verify_session

MARKET = (BookSnapshot, Bbo, Trade, Mids)
#: The issue's acceptance threshold, percent.
TARGET_PCT = 10.0


def without_tracker(config: Config) -> Sequencer:
    """The session's graph minus the prediction tracker."""
    return Sequencer([a for a in build_actors(config) if not isinstance(a, PredictionTracker)])


def log_without_tracker(log_path: Path, out_dir: Path) -> Path:
    """Write the log the session would have written without the prediction tracker."""
    session = open_session(log_path)
    sequencer = without_tracker(session.config)
    out_dir.mkdir(parents=True, exist_ok=True)
    reduced = out_dir / "events.log"
    with EventLogWriter(reduced) as writer:
        for event in session.events():
            kind = type(event)
            if kind in SESSION_TYPES:
                writer.append(event)
            elif kind in EXTERNAL_TYPES:
                for produced in sequencer.admit(event):
                    writer.append(produced)
    return reduced


def _verify_s(path: Path, build: Callable[[Config], Sequencer] = build_sequencer) -> float:
    """Wall seconds of one ``replay --verify`` of ``path`` through the graph ``build`` makes."""
    t0 = time.perf_counter()
    result = verify_session(path, build)
    elapsed = time.perf_counter() - t0
    assert result.identical, result.divergence
    return elapsed


def tracker_cost(log_path: Path, market: int, work_dir: Path, runs: int = 3) -> tuple[float, float, float]:
    """Print and return (full ev/s, without ev/s, drop %) for the session at ``log_path``
    (``market``: its market events): best of ``runs`` passes each. Also printed, as a check
    on a busy machine: the median drop of the passes paired in time (full and without
    run back to back, in alternating order)."""
    reduced = log_without_tracker(log_path, work_dir / "without-prediction-tracker")

    def without() -> float:
        return _verify_s(reduced, without_tracker)

    full_s: list[float] = []
    without_s: list[float] = []
    for i in range(runs):
        if i % 2:
            without_s.append(without())
            full_s.append(_verify_s(log_path))
        else:
            full_s.append(_verify_s(log_path))
            without_s.append(without())
    full = market / min(full_s)
    rate_without = market / min(without_s)
    drop = (1.0 - full / rate_without) * 100.0
    paired = statistics.median((1.0 - w / f) * 100.0 for f, w in zip(full_s, without_s, strict=True))
    print(
        f"  prediction tracker cost: full {full:,.0f} ev/s, without {rate_without:,.0f} ev/s,"
        f" drop {drop:.1f} %  (target <= {TARGET_PCT:.0f} %; paired median {paired:.1f} %)"
    )
    return full, rate_without, drop


def profile_tracker(log_path: Path, top: int = 25) -> None:
    """cProfile of one full-graph replay --verify, restricted to the tracker's modules."""
    profiler = cProfile.Profile()
    profiler.runcall(verify_session, log_path)
    stats = pstats.Stats(profiler).sort_stats("tottime")
    stats.print_stats(r"predictions|markouts", top)


def _session(data_dir: Path, duration: int) -> tuple[Path, int]:
    config = load_config(None, [("session.data_dir", str(data_dir)), ("session.duration_s", duration)])
    result = trio.run(lambda: run_session(config, lambda d: open_feed(config, d), handle_sigint=False))
    market = sum(1 for e in open_session(result.log_path).events() if type(e) in MARKET)
    return result.log_path, market


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_predictions")
    parser.add_argument("--duration", type=int, default=3600, help="synthetic market seconds")
    parser.add_argument("--runs", type=int, default=3, help="passes of each replay (best counts)")
    parser.add_argument("--profile", action="store_true", help="also cProfile the tracker in one replay")
    args = parser.parse_args(argv)
    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="papermm-bench-") as tmp:
        log_path, market = _session(Path(tmp), args.duration)
        print(f"[synthetic] session {args.duration} s market time: {market:,} market events")
        tracker_cost(log_path, market, Path(tmp), args.runs)
        if args.profile:
            profile_tracker(log_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
