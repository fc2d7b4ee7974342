"""Quoting modes and risk controls end to end: CLI precedence, the kill switch as the real
command (with replay), fill modes, adverse fills, and quoting a trade-only recording."""

from __future__ import annotations

import bisect
import json
from pathlib import Path
from typing import Any

import pytest

from actors.settings import load_config
from events import (
    BookSnapshot,
    CancelOrder,
    Fill,
    KillSwitchTripped,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    PnL,
    QuoteCycle,
    SessionStarted,
)
from events.base import DAY_NS
from events.log import read_events
from papermm.cli import _overrides, build_parser
from replay.verify import verify_session
from tests.conftest import SEC, SHARED_DATA
from tests.e2e.helpers import papermm, run_synthetic

# -- CLI > config > default ------------------------------------------------------------------

FLAGS: dict[str, tuple[str, str, Any, Any, Any]] = {
    # flag: (section, key, default, config value, CLI value)
    "--spread-profile": ("quote", "spread_profile", "default", "hip3", "aggressive"),
    "--risk-aversion": ("quote", "gamma", 0.3, 0.5, 0.7),
    "--max-position": ("quote", "max_position", 1.0, 2.0, 3.0),
    "--max-position-usd": ("quote", "max_position_usd", 0.0, 500.0, 700.0),
    "--leverage": ("quote", "leverage", 10.0, 5.0, 3.0),
    "--max-drawdown": ("risk", "max_drawdown", 0.05, 0.1, 0.2),
    "--max-daily-loss": ("risk", "max_daily_loss_usd", 100.0, 50.0, 1.0),
}


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_cli_beats_config_beats_default(flag: str, tmp_path: Path) -> None:
    section, key, default, in_config, on_cli = FLAGS[flag]
    toml = tmp_path / "c.toml"
    toml.write_text(f"[{section}]\n{key} = {json.dumps(in_config)}\n")
    parser = build_parser()

    def value(*argv: str) -> Any:
        args = parser.parse_args(["paper", *argv])
        return getattr(getattr(load_config(args.config, _overrides(args)), section), key)

    assert value() == default
    assert value("--config", str(toml)) == in_config
    assert value("--config", str(toml), flag, str(on_cli)) == on_cli
    assert value(flag, str(on_cli)) == on_cli


# -- the kill switch, as the real command ---------------------------------------------------------


def test_max_daily_loss_trips_the_kill_switch_and_the_session_replays(tmp_path: Path) -> None:
    # The acceptance, as typed: the default synthetic hour (seed 7) goes more than
    # $1 under water, because the far-reaching flow that fills a wide maker mostly knows
    # where the price is going (actors.synthetic).
    proc = papermm("paper", "--max-daily-loss", "1", "--duration", "3600", "--speed", "max", "--json",
                   "--data-dir", str(tmp_path), check=True, timeout=600)  # fmt: skip
    summary = json.loads(proc.stdout)
    assert summary["session_id"].endswith("-s7")
    kill = summary["kill_switch"]
    assert kill["tripped"] is True and kill["reason"] == "max_daily_loss"
    assert kill["daily_loss_usd"] > 1.0 == kill["max_daily_loss_usd"]
    events = list(read_events(Path(summary["session_dir"]) / "events.log"))
    assert isinstance(events[0], SessionStarted) and events[0].config["risk"]["max_daily_loss_usd"] == 1.0
    [trip_at] = [i for i, e in enumerate(events) if isinstance(e, KillSwitchTripped)]
    trip = events[trip_at]
    assert isinstance(trip, KillSwitchTripped) and trip.ts == kill["ts"]
    # It trips at the PnL record that crosses the threshold, and not one record earlier.
    pnls = [(i, e) for i, e in enumerate(events[:trip_at]) if isinstance(e, PnL)]
    crossing_at, crossing = pnls[-1]
    day_start = 0.0
    for _, p in pnls[:-1]:
        assert p.ts // DAY_NS == crossing.ts // DAY_NS  # one day here
        assert day_start - p.total <= 1.0
    assert day_start - crossing.total > 1.0 and crossing.ts == trip.ts
    assert trip.daily_loss_usd == pytest.approx(-crossing.total)
    # Nothing is placed after it, and every order live at the trip is canceled.
    assert not [e for e in events[trip_at:] if isinstance(e, PlaceOrder)]
    live: set[int] = set()
    for e in events[:trip_at]:
        if isinstance(e, PlaceOrder):
            live.add(e.oid)
        elif isinstance(e, CancelOrder | OrderRejected | OrderCanceled):
            live.discard(e.oid)
        elif isinstance(e, Fill) and e.remaining <= 0.0:
            live.discard(e.oid)
    pulled = events[trip_at + 1 : trip_at + 1 + trip.canceled]
    assert {e.oid for e in pulled if isinstance(e, CancelOrder) and e.reason == "kill_switch"} == live
    assert not [e for e in events[trip_at:] if isinstance(e, QuoteCycle)]
    verify = papermm("replay", summary["session_dir"], "--verify", check=True)
    assert verify.stdout.startswith("identical:")

    # The next session starts latched (and says why) until the user resets it.
    text = papermm("paper", "--duration", "60", "--speed", "max", "--data-dir", str(tmp_path), check=True)
    assert "kill switch latched" in text.stderr and "TRIPPED (latched" in text.stdout
    latched = json.loads(papermm("paper", "--duration", "60", "--speed", "max", "--json",
                                 "--data-dir", str(tmp_path), check=True).stdout)  # fmt: skip
    assert latched["kill_switch"]["reason"] == "latched" and latched["orders_placed"] == 0
    assert summary["session_id"] in latched["kill_switch"]["detail"]
    reset = json.loads(papermm("paper", "--duration", "60", "--speed", "max", "--json", "--reset-kill-switch",
                               "--data-dir", str(tmp_path), check=True).stdout)  # fmt: skip
    assert reset["kill_switch"]["tripped"] is False and reset["orders_placed"] > 0
    again = json.loads(papermm("paper", "--duration", "60", "--speed", "max", "--json",
                               "--data-dir", str(tmp_path), check=True).stdout)  # fmt: skip
    assert again["kill_switch"]["tripped"] is False


# -- fill modes --------------------------------------------------------------------------------------


def test_trade_through_fills_at_least_as_often_as_probabilistic_on_the_same_market(tmp_path: Path) -> None:
    fills = {}
    for mode in ("probabilistic", "trade_through"):
        result = run_synthetic(tmp_path / mode, 600, seed=2, fill__mode=mode)
        fills[mode] = result.counts["Fill"]
    assert fills["trade_through"] >= fills["probabilistic"] > 0


def test_with_adverse_ratio_one_every_fill_waited_for_its_horizon_with_the_mid_against_it(
    tmp_path: Path,
) -> None:
    result = run_synthetic(tmp_path, 600, seed=7, fill__adverse_fill_ratio=1.0)
    horizon = 5 * SEC  # fill.adverse_horizon_s
    mids: list[tuple[int, float]] = []  # (ts, touch mid) of every book, in log order
    fills: list[Fill] = []
    for event in read_events(result.log_path):
        if isinstance(event, BookSnapshot) and event.bid_px and event.ask_px:
            mids.append((event.ts, event.mid))
        elif isinstance(event, Fill):
            fills.append(event)
    assert len(fills) > 20
    times = [t for t, _ in mids]
    for fill in fills:
        # Logged after its horizon...
        assert 0.0 <= fill.adverse_draw < 1.0 and fill.trade_ts + horizon < fill.ts
        # ...because the touch mid in force at the horizon was against us from the mid at the trade.
        moved = mids[bisect.bisect_right(times, fill.trade_ts + horizon) - 1][1]
        assert (moved < fill.mid) if fill.side == "buy" else (moved > fill.mid)
    verdict = verify_session(result.session_dir)
    assert verdict.identical, verdict.divergence


# -- quoting without a book ------------------------------------------------------------------------


def test_a_trade_only_recording_is_quoted_off_the_last_trade(tmp_path: Path) -> None:
    source = (
        SHARED_DATA / "node_fills_by_block_20251027_sample/node_fills_by_block_20251027_1700_sample.jsonl.gz"
    )
    assert source.exists(), f"missing shared data {source}"
    result = run_synthetic(tmp_path, 0, feed__kind=f"recording:{source}")
    events = list(read_events(result.log_path))
    assert not [e for e in events if isinstance(e, BookSnapshot)]
    cycles = [e for e in events if isinstance(e, QuoteCycle)]
    assert cycles and all(c.reason == "reference_trade" for c in cycles)
    # Orders pass the post-only check without a book, and rest around the last trade.
    assert sum(isinstance(e, OrderAccepted) for e in events) > 0
    assert not [e for e in events if isinstance(e, OrderRejected)]
    for c in cycles:
        assert all((lv.px < c.mid) if lv.side == "buy" else (lv.px > c.mid) for lv in c.levels)
