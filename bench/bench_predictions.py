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

Wall time on a shared 2-core machine swings by more than the figure itself (other
tenants, and each process's memory layout), so ``--instructions`` also counts the CPU
instructions of one replay of each log under valgrind (callgrind): deterministic, and the
drop it gives is the tracker's share of the work. It takes a few minutes.

Run: ``.venv/bin/python -m bench.bench_predictions [--duration S] [--runs N] [--profile]
[--instructions]`` (``make bench`` runs the wall-time figure as part of the whole set).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import shutil
import statistics
import subprocess
import sys
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
    """CPU seconds of one ``replay --verify`` of ``path`` through the graph ``build`` makes
    (CPU, not wall: on a shared machine the time other tenants take is not ours)."""
    t0 = time.process_time()
    result = verify_session(path, build)
    elapsed = time.process_time() - t0
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


def _instructions(log_path: Path, graph: str, passes: int) -> int:
    """Instructions callgrind counts for a process that replays ``log_path`` ``passes`` times."""
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
         "bench.bench_predictions", "--replay-only", str(log_path), graph, str(passes)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def tracker_instructions(log_path: Path, work_dir: Path) -> float | None:
    """Print and return the drop in instructions per replay without the tracker (None
    without valgrind). One pass's count is (two passes - one pass): start-up cancels out."""
    if shutil.which("valgrind") is None:
        print("  prediction tracker cost in instructions: valgrind not found, skipped")
        return None
    reduced = work_dir / "without-prediction-tracker" / "events.log"
    if not reduced.exists():
        reduced = log_without_tracker(log_path, reduced.parent)
    per_pass = {}
    for graph, path in (("full", log_path), ("without", reduced)):
        per_pass[graph] = _instructions(path, graph, 2) - _instructions(path, graph, 1)
    drop = (1.0 - per_pass["without"] / per_pass["full"]) * 100.0
    print(
        f"  prediction tracker cost in instructions: full {per_pass['full'] / 1e9:.3f} G, without"
        f" {per_pass['without'] / 1e9:.3f} G per replay, drop {drop:.1f} %  (target <= {TARGET_PCT:.0f} %)"
    )
    return drop


def _replay_only(path: str, graph: str, passes: str) -> int:
    """Replay ``path`` ``passes`` times through the ``graph`` (full or without): what
    ``_instructions`` counts."""
    build = without_tracker if graph == "without" else build_sequencer
    for _ in range(int(passes)):
        assert verify_session(Path(path), build).identical
    return 0


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
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    parser.add_argument("--replay-only", nargs=3, metavar=("LOG", "GRAPH", "PASSES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    configure_logging("warning")
    if args.replay_only:
        return _replay_only(*args.replay_only)
    with tempfile.TemporaryDirectory(prefix="papermm-bench-") as tmp:
        log_path, market = _session(Path(tmp), args.duration)
        print(f"[synthetic] session {args.duration} s market time: {market:,} market events")
        tracker_cost(log_path, market, Path(tmp), args.runs)
        if args.instructions:
            tracker_instructions(log_path, Path(tmp))
        if args.profile:
            profile_tracker(log_path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
