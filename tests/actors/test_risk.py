"""Risk controls: the kill switch (exact crossing event, day boundary, no order after it),
position and margin honesty (QuoteSuppressed with the reason, never clipped)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from actors.config import FeesSection, QuoteSection, RiskSection
from actors.quote_engine import QuoteEngine
from actors.risk import KillSwitch, PositionLimits, SuppressionLog, admit_levels
from events import (
    CancelOrder,
    Event,
    Fill,
    KillSwitchTripped,
    PlaceOrder,
    PnL,
    QuoteCycle,
    QuoteLevel,
    QuoteSuppressed,
)
from events.base import DAY_NS
from tests.conftest import MS, SEC, T0, make_book


def pnl(ts: int, total: float) -> PnL:
    return PnL(
        ts=ts, mid=100.0, position=0.0, cash=0.0, realized=0.0, unrealized=total, total=total,
        spread_capture=total, adverse_selection=0.0, inventory=0.0, fees=0.0, volume=0.0, fills=0,
    )  # fmt: skip


def switch(max_drawdown: float = 0.05, max_daily_loss: float = 0.0, balance: float = 1000.0) -> KillSwitch:
    return KillSwitch.from_config(
        QuoteSection(paper_balance_usd=balance),
        RiskSection(max_drawdown=max_drawdown, max_daily_loss_usd=max_daily_loss),
    )


def first_trip(ks: KillSwitch, totals: Sequence[float], start: int = T0, step: int = SEC) -> int | None:
    """Index of the PnL record that trips the switch (None if none does)."""
    for i, total in enumerate(totals):
        if ks.on_pnl(pnl(start + i * step, total)) is not None:
            return i
    return None


# -- the kill switch, on its own -----------------------------------------------------------


def test_drawdown_trips_at_the_record_that_crosses_and_not_one_earlier() -> None:
    # Balance 1000, 5%: the limit is $50 of drawdown from the peak equity (1030 here).
    totals = [0.0, 10.0, 30.0, -15.0, -19.99, -20.0, -20.01, -25.0]
    ks = switch(max_drawdown=0.05)
    assert first_trip(ks, totals) == 6  # 1030 - 979.99 = 50.01 > 50; exactly 50 does not trip
    assert ks.breach is not None and ks.breach.reason == "max_drawdown"
    assert ks.breach.peak_equity == 1030.0
    assert ks.breach.drawdown_usd == pytest.approx(50.01)
    assert ks.breach.max_drawdown_usd == pytest.approx(50.0)
    # Once tripped it stays tripped: nothing more is reported.
    assert ks.on_pnl(pnl(T0 + 100 * SEC, -500.0)) is None and ks.tripped


def test_daily_loss_trips_at_the_record_that_crosses_and_not_one_earlier() -> None:
    ks = switch(max_drawdown=0.0, max_daily_loss=1.0)
    assert first_trip(ks, [0.5, 0.0, -0.5, -1.0, -1.0000001, -3.0]) == 4
    assert ks.breach is not None and ks.breach.reason == "max_daily_loss"
    assert ks.breach.daily_loss_usd == pytest.approx(1.0000001)
    assert ks.breach.day_start_ts == T0 // DAY_NS * DAY_NS


def test_the_day_boundary_resets_the_daily_loss() -> None:
    midnight = (T0 // DAY_NS + 1) * DAY_NS
    ks = switch(max_drawdown=0.0, max_daily_loss=1.0)
    # 0.9 lost before midnight: under the limit.
    assert ks.on_pnl(pnl(midnight - 10 * SEC, 0.0)) is None
    assert ks.on_pnl(pnl(midnight - SEC, -0.9)) is None
    # 0.6 more after midnight is 1.5 since the session began but only 0.6 today.
    assert ks.on_pnl(pnl(midnight, -1.5)) is None
    assert ks.daily_loss_usd == pytest.approx(0.6)
    assert ks.on_pnl(pnl(midnight + SEC, -1.9)) is None  # 1.0 today: not over
    breach = ks.on_pnl(pnl(midnight + 2 * SEC, -1.95))
    assert breach is not None and breach.reason == "max_daily_loss"
    assert breach.daily_loss_usd == pytest.approx(1.05) and breach.day_start_ts == midnight
    # Without the reset the same tape trips at 00:00:00.
    again = switch(max_drawdown=0.0, max_daily_loss=1.0)
    assert again.on_pnl(pnl(midnight - SEC, -0.9)) is None
    assert again.on_pnl(pnl(midnight - 1, -1.5)) is not None


def test_disabled_limits_and_non_finite_records_never_trip() -> None:
    ks = switch(max_drawdown=0.0, max_daily_loss=0.0)
    assert first_trip(ks, [0.0, -1e6, math.nan, math.inf]) is None
    ks = switch(max_drawdown=0.05)
    assert ks.on_pnl(pnl(T0, math.nan)) is None and not ks.tripped


def test_a_latched_switch_is_tripped_from_the_start() -> None:
    ks = KillSwitch.from_config(
        QuoteSection(observe_s=0.0), RiskSection(kill_switch_latched="max_daily_loss in session X")
    )
    assert ks.tripped and ks.latch_pending
    breach = ks.latch(T0)
    assert breach.reason == "latched" and "session X" in breach.detail and not ks.latch_pending


# -- the kill switch in the quote engine ---------------------------------------------------------


def engine(**quote: Any) -> QuoteEngine:
    risk = quote.pop("risk", RiskSection())
    settings: dict[str, Any] = {"sz_decimals": 2, "spread_profile": "glft", "max_position": 100.0, "observe_s": 0.0,
                                **quote}  # fmt: skip
    return QuoteEngine(QuoteSection(**settings), FeesSection(), "TEST", risk)


def book(ts: int, mid: float = 50.0) -> Any:
    return make_book(ts=ts, bid=round(mid - 0.01, 6), ask=round(mid + 0.01, 6), coin="TEST")


def run(qe: QuoteEngine, inputs: Sequence[Event]) -> list[Event]:
    return [out for event in inputs for out in qe.handle(event)]


def test_the_engine_cancels_everything_at_the_tripping_record_and_never_quotes_again() -> None:
    qe = engine(risk=RiskSection(max_drawdown=0.0, max_daily_loss_usd=5.0))
    first = qe.handle(book(T0))
    placed = [p.oid for p in first if isinstance(p, PlaceOrder)]
    assert len(placed) == 6
    assert qe.handle(pnl(T0 + 500 * MS, -4.0)) == ()  # one event before the crossing: nothing
    out = qe.handle(pnl(T0 + 600 * MS, -5.5))
    trip, *cancels = out
    assert isinstance(trip, KillSwitchTripped)
    assert trip.reason == "max_daily_loss" and trip.canceled == 6 and trip.ts == T0 + 600 * MS
    assert trip.daily_loss_usd == pytest.approx(5.5) and trip.equity == pytest.approx(994.5)
    assert [c.oid for c in cancels if isinstance(c, CancelOrder)] == placed
    assert all(isinstance(c, CancelOrder) and c.reason == "kill_switch" for c in cancels)
    later = run(qe, [book(T0 + k * SEC, mid=50 + k) for k in range(1, 30)] + [pnl(T0 + 31 * SEC, 100.0)])
    assert later == []
    assert qe.risk_summary()["kill_switch"]["tripped"] is True


def test_a_latched_engine_announces_the_latch_and_places_nothing() -> None:
    qe = engine(risk=RiskSection(kill_switch_latched="max_drawdown in session S"))
    out = run(qe, [book(T0), book(T0 + SEC), book(T0 + 2 * SEC)])
    assert len(out) == 1 and isinstance(out[0], KillSwitchTripped)
    assert out[0].reason == "latched" and out[0].detail.startswith("max_drawdown") and out[0].canceled == 0


# -- position and margin honesty -----------------------------------------------------------------


def levels(side: str, *sizes: float, px: float = 100.0) -> list[QuoteLevel]:
    return [
        QuoteLevel(side=side, level=i, px=px, sz=sz, depth_bps=1.0, p_fill=0.5)  # type: ignore[arg-type]
        for i, sz in enumerate(sizes)
    ]


def admit(
    lv: Sequence[QuoteLevel],
    *,
    position: float = 0.0,
    max_position: float = 1.0,
    max_position_usd: float = 0.0,
    leverage: float = 10.0,
    equity: float = 1000.0,
    resting: Sequence[bool] | None = None,
    committed_buy: float = 0.0,
    committed_sell: float = 0.0,
    api_mode: str = "normal",
) -> list[str | None]:
    return admit_levels(
        lv,
        resting if resting is not None else [False] * len(lv),
        limits=PositionLimits(
            max_position=max_position, max_position_usd=max_position_usd, leverage=leverage
        ),
        position=position,
        mid=100.0,
        equity=equity,
        committed_buy=committed_buy,
        committed_sell=committed_sell,
        api_mode=api_mode,
    )


def test_each_limit_names_itself_and_levels_are_dropped_whole() -> None:
    assert admit(levels("buy", 0.6, 0.5, 0.3)) == [None, "max_position", None]
    # $100 notional cap: 0.6 + 0.5 contracts at 100 is $110.
    assert admit(levels("buy", 0.6, 0.5, 0.3), max_position=5.0, max_position_usd=100.0) == [
        None, "max_position_usd", None,
    ]  # fmt: skip
    # Margin: equity 20 x leverage 5 = $100 of notional.
    assert admit(levels("sell", 0.6, 0.5, 0.4), max_position=5.0, equity=20.0, leverage=5.0) == [
        None, "margin", None,
    ]  # fmt: skip
    # A loss that takes equity to zero leaves room only to unwind.
    assert admit(levels("buy", 0.1) + levels("sell", 0.1), position=0.5, max_position=5.0, equity=0.0) == [
        "margin", None,
    ]  # fmt: skip


def test_resting_levels_are_kept_and_committed_orders_count() -> None:
    buys = levels("buy", 0.4, 0.4, 0.4)
    assert admit(buys, committed_buy=0.5) == [None, "max_position", "max_position"]
    assert admit(buys, resting=[True, False, False], committed_buy=0.9) == [
        None,
        "max_position",
        "max_position",
    ]


def test_api_modes_send_only_reducing_orders_or_nothing() -> None:
    both = levels("buy", 0.2, 0.2) + levels("sell", 0.2, 0.2, 0.2)
    # Long 0.5: only sells, and no more than 0.5 of them.
    assert admit(both, position=0.5, api_mode="inventory_only") == [
        "api_headroom", "api_headroom", None, None, "api_headroom",
    ]  # fmt: skip
    # Flat: nothing reduces anything; resting orders of either side are pulled too.
    assert (
        admit(both, api_mode="inventory_only", resting=[True, False, True, False, False])
        == ["api_headroom"] * 5
    )
    assert admit(both, position=0.5, api_mode="exhausted") == ["api_budget_exhausted"] * 5


def test_the_engine_logs_every_suppressed_level_once_while_it_stays_suppressed() -> None:
    # 1 contract per level at mid 50; max position 2.5 leaves room for two levels a side.
    qe = engine(max_position=2.5)
    first = qe.handle(book(T0))
    cycle = first[0]
    assert isinstance(cycle, QuoteCycle) and len(cycle.levels) == 4
    suppressed = [e for e in first if isinstance(e, QuoteSuppressed)]
    assert [(s.side, s.level, s.reason) for s in suppressed] == [
        ("buy", 2, "max_position"),
        ("sell", 2, "max_position"),
    ]
    assert all(s.cycle == 1 and s.sz == 1.0 for s in suppressed)
    # Never sent: the places are the admitted levels only, at their full size.
    assert [(p.side, p.level, p.sz) for p in first if isinstance(p, PlaceOrder)] == [
        ("buy", 0, 1.0), ("buy", 1, 1.0), ("sell", 0, 1.0), ("sell", 1, 1.0),
    ]  # fmt: skip
    # The same refusal next cycle is not logged again...
    assert not [e for e in qe.handle(book(T0 + SEC)) if isinstance(e, QuoteSuppressed)]
    # ...a new one is: the fill of bid 0 moved the position, and its replacement no
    # longer fits beside the resting bid 1.
    fill = Fill(
        ts=T0 + 1500 * MS, oid=1, side="buy", px=49.9, sz=1.0, remaining=0.0, level=0, mid=50.0, tid=1,
        trade_px=49.9, trade_sz=1.0, trade_side="A", touch_probability=0.3, price_factor=1.0,
        size_factor=1.0, queue_factor=1.0, age_factor=1.0, aggressor_factor=1.0, queue_ahead=0.0,
        probability=0.3, draw=0.1,
    )  # fmt: skip
    qe.handle(fill)
    again = [e for e in qe.handle(book(T0 + 2 * SEC)) if isinstance(e, QuoteSuppressed)]
    assert ("buy", 0, "max_position") in [(s.side, s.level, s.reason) for s in again]
    summary = qe.risk_summary()
    assert summary["suppressed"] == 2 + len(again)
    assert summary["suppressed_levels"] >= summary["suppressed"]


def test_suppression_log_forgets_after_reset() -> None:
    log = SuppressionLog()
    lv = levels("buy", 1.0)
    assert len(log.emit(T0, 1, lv, ["margin"])) == 1
    assert log.emit(T0, 2, lv, ["margin"]) == []
    assert len(log.emit(T0, 3, lv, ["max_position"])) == 1  # a new reason is news
    log.reset()
    assert len(log.emit(T0, 4, lv, ["max_position"])) == 1
    assert log.levels == 4 and log.events == 3 and log.by_reason == {"margin": 1, "max_position": 2}
