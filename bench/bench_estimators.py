"""Cost of the estimators actor per market event (target: <= 5 us on the CI machine).

Two figures, each the best of several passes with a fresh actor:

* market only: a 1-hour synthetic market (seed 7) replayed through the estimators actor
  alone, every event it consumes handed to ``handle``; the cost is divided by all market
  events (books, trades and Mids, as the full-graph replay counts them);
* session: the events the actor consumes in a real 1-hour paper session (the market plus
  our own PlaceOrder, OrderCanceled, OrderRejected and Fill), from its log, divided the
  same way: what the actor adds to a full-graph replay.

Run: ``.venv/bin/python -m bench.bench_estimators [--duration S] [--repeats N] [--no-session]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import trio

from actors.assets import sz_decimals_for
from actors.config import Config
from actors.estimators import EstimatorsActor
from actors.feed_sources import SYNTHETIC_EPOCH_NS, open_feed
from actors.runtime import run_session
from actors.settings import load_config
from actors.synthetic import SyntheticMarket
from events import Bbo, BookSnapshot, Event, Mids, Trade
from events.log import read_events

MARKET = (BookSnapshot, Bbo, Trade, Mids)


def synthetic_market(config: Config, duration_s: float) -> list[Event]:
    """The market events of the session's synthetic market (no truth records)."""
    market = SyntheticMarket(
        config.synthetic,
        config.session.asset,
        config.session.seed,
        SYNTHETIC_EPOCH_NS,
        sz_decimals_for(config.session.asset, config.quote.sz_decimals),
    )
    return [e for e in market.events(int(duration_s * 1e9)) if type(e) in MARKET]


def session_events(config: Config, data_dir: Path) -> list[Event]:
    """Every event of a real paper session's log (run in-process at maximum speed)."""

    async def run() -> Path:
        result = await run_session(config, lambda d: open_feed(config, d), handle_sigint=False)
        return result.log_path

    return list(read_events(trio.run(run)))


def ns_per_market_event(
    config: Config, events: Sequence[Event], repeats: int
) -> tuple[float, float, int, int]:
    """Best-of-``repeats`` wall and CPU ns per market event; also the consumed and emitted
    counts. CPU time (this process only) is the steadier figure on a shared machine."""
    consumed = tuple(EstimatorsActor.consumes)
    todo = [e for e in events if isinstance(e, consumed)]
    market = max(1, sum(1 for e in events if type(e) in MARKET))
    wall = time.perf_counter_ns
    cpu = time.process_time_ns
    best_wall = best_cpu = float("inf")
    emitted = 0
    for _ in range(repeats):
        actor = EstimatorsActor.from_config(config)
        handle = actor.handle
        emitted = 0
        w0, c0 = wall(), cpu()
        for event in todo:
            if handle(event):
                emitted += 1
        c1, w1 = cpu(), wall()
        best_wall = min(best_wall, w1 - w0)
        best_cpu = min(best_cpu, c1 - c0)
    return best_wall / market, best_cpu / market, len(todo), emitted


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_estimators")
    parser.add_argument("--duration", type=float, default=3600.0, help="synthetic market seconds")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-session", action="store_true", help="skip the paper-session figure")
    args = parser.parse_args([] if argv is None else list(argv))
    config = load_config(None, [("session.duration_s", args.duration)])
    events = synthetic_market(config, args.duration)
    wall_ns, cpu_ns, consumed, emitted = ns_per_market_event(config, events, args.repeats)
    market = sum(1 for e in events if type(e) in MARKET)
    print(
        f"estimators actor, {args.duration:,.0f} s synthetic market only: {wall_ns:,.0f} ns wall "
        f"({cpu_ns:,.0f} ns CPU) per market event ({market:,} market events, {consumed:,} consumed, "
        f"{emitted:,} Estimates)"
    )
    if args.no_session:
        return
    with tempfile.TemporaryDirectory(prefix="papermm-bench-est-") as tmp:
        session_config = load_config(None, [("session.duration_s", args.duration), ("session.data_dir", tmp)])
        events = session_events(session_config, Path(tmp))
    wall_ns, cpu_ns, consumed, emitted = ns_per_market_event(session_config, events, args.repeats)
    market = sum(1 for e in events if type(e) in MARKET)
    print(
        f"estimators actor, {args.duration:,.0f} s paper session (market + own orders and fills): "
        f"{wall_ns:,.0f} ns wall ({cpu_ns:,.0f} ns CPU) per market event ({market:,} market events, "
        f"{consumed:,} consumed, {emitted:,} Estimates)"
    )


if __name__ == "__main__":
    import sys

    from papermm.logging_setup import configure_logging

    configure_logging("warning")
    main(sys.argv[1:])
