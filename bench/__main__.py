"""Run every benchmark and print its figures (no thresholds: figures are read, not asserted)."""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import trio

from actors.feed_sources import open_feed
from actors.runtime import run_session
from actors.settings import load_config
from bench.bench_predictions import tracker_cost
from events import EXTERNAL_TYPES, Bbo, BookSnapshot, Mids, Trade
from events.log import iter_payloads, read_events
from papermm.logging_setup import configure_logging
from replay.session import open_session
from replay.verify import verify_session

MARKET = (BookSnapshot, Bbo, Trade, Mids)
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "hyperliquid"


def peak_rss_mib() -> float:
    """Peak resident memory of this process, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best_of(runs: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(runs))


def _run(overrides: list[tuple[str, object]]) -> tuple[Path, float]:
    config = load_config(None, overrides)
    t0 = time.perf_counter()
    result = trio.run(lambda: run_session(config, lambda d: open_feed(config, d), handle_sigint=False))
    return result.log_path, time.perf_counter() - t0


def bench_session(data_dir: Path, duration: int, feed: str = "synthetic") -> None:
    log_path, wall = _run(
        [("session.data_dir", str(data_dir)), ("session.duration_s", duration), ("feed.kind", feed)]
    )
    session = open_session(log_path)
    counts = {"market": 0, "records": 0}
    first_ts = last_ts = 0
    for event in session.events():
        counts["records"] += 1
        if type(event) in MARKET:
            counts["market"] += 1
            last_ts = event.ts
            first_ts = first_ts or last_ts
    market = counts["market"]
    span_s = (last_ts - first_ts) / 1e9
    print(
        f"[{feed}] session {span_s:,.0f} s market time: {counts['records']:,} records, {market:,} market events"
    )
    source = "synthetic generation" if feed == "synthetic" else "recording read"
    print(f"  live session ({source} + graph + log write): {market / wall:,.0f} market events/s")

    def replay_once() -> float:
        t0 = time.perf_counter()
        result = verify_session(log_path)
        assert result.identical, result.divergence
        return time.perf_counter() - t0

    replay_s = _best_of(3, replay_once)
    print(f"  full-graph replay --verify: {market / replay_s:,.0f} market events/s ({replay_s:.2f} s)")
    if feed == "synthetic":
        tracker_cost(log_path, market, data_dir)

    def read_once() -> float:
        t0 = time.perf_counter()
        n = sum(1 for _ in read_events(log_path))
        assert n == counts["records"]
        return time.perf_counter() - t0

    read_s = _best_of(3, read_once)
    frames_s = _best_of(3, lambda: _timed(lambda: sum(1 for _ in iter_payloads(log_path))))
    print(
        f"  log read (frame + crc + decode): {counts['records'] / read_s:,.0f} records/s;"
        f" frames + crc only: {counts['records'] / frames_s:,.0f} records/s"
    )
    _handler_latency(log_path)


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _handler_latency(log_path: Path) -> None:
    """Latency of admitting one external input to quiescence, percentiles in microseconds."""
    from actors.graph import build_sequencer

    session = open_session(log_path)
    sequencer = build_sequencer(session.config)
    clock = time.perf_counter_ns
    samples: list[int] = []
    for event in session.events():
        if type(event) in EXTERNAL_TYPES:
            t0 = clock()
            sequencer.admit(event)
            samples.append(clock() - t0)
    arr = np.asarray(samples) / 1000
    p50, p99, p999 = np.percentile(arr, [50, 99, 99.9])
    print(
        f"  admit-to-quiescence latency: p50 {p50:.1f} us, p99 {p99:.1f} us, p99.9 {p999:.1f} us, max {arr.max():.0f} us"
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--duration", type=int, default=3600, help="synthetic market seconds")
    args = parser.parse_args()
    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="papermm-bench-") as tmp:
        bench_session(Path(tmp), args.duration)
        try:
            from bench import bench_frames
        except ImportError:
            bench_frames = None  # type: ignore[assignment]
        if bench_frames is not None:
            bench_frames.main([])
        from bench import bench_estimators

        bench_estimators.main()
        csv = SHARED / "ws_csv_20250904_btc_eth_sol_wlfi"
        if csv.is_dir():
            bench_session(Path(tmp), 0, feed=f"recording:{csv}")
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
