"""The API headroom gate: the budget's arithmetic, the widening, inventory-only mode."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest

from actors.api_budget import ApiBudget
from actors.config import FeesSection, QuoteSection, RiskSection
from actors.quote_engine import QuoteEngine
from events import (
    ApiHeadroomChanged,
    CancelOrder,
    Event,
    Fill,
    OrderCanceled,
    PlaceOrder,
    QuoteCycle,
    QuoteSuppressed,
)
from tests.conftest import MS, SEC, T0, make_book


def budget(**risk: Any) -> ApiBudget:
    return ApiBudget.from_config(RiskSection(**risk))


def test_budget_is_the_initial_buffer_plus_one_request_per_usd_traded() -> None:
    b = budget()
    assert (b.budget, b.requests, b.headroom, b.mode) == (10_000.0, 0, 1.0, "normal")
    b.count(places=3000, cancels=2000)
    assert b.requests == 5000 and b.headroom == pytest.approx(0.5)
    b.add_volume(10_000.0)  # earns 10,000 requests
    assert b.budget == 20_000.0 and b.headroom == pytest.approx(0.75)
    b.add_volume(math.nan)
    b.add_volume(-5.0)
    assert b.budget == 20_000.0
    assert budget(api_prior_volume_usd=90_000.0).budget == 100_000.0


def test_widening_is_one_over_sqrt_headroom_at_whole_percent_resolution() -> None:
    b = budget(api_initial_requests=100.0)
    assert b.spread_multiplier == 1.0
    b.count(places=1, cancels=0)  # 99%: exactly a whole percent
    assert b.headroom_pct == 99 and b.spread_multiplier == pytest.approx(1 / math.sqrt(0.99))
    b.count(places=74, cancels=0)  # 25%
    assert b.spread_multiplier == pytest.approx(2.0)
    b.count(places=24, cancels=0)  # 1%: capped at api_max_spread_multiplier
    assert b.headroom_pct == 1 and b.spread_multiplier == 10.0
    assert budget(api_initial_requests=100.0, api_max_spread_multiplier=50.0).spread_multiplier == 1.0


def test_modes_follow_the_headroom() -> None:
    b = budget(api_initial_requests=100.0)
    b.count(places=90, cancels=0)
    assert b.headroom == pytest.approx(0.1) and b.mode == "normal"
    b.count(places=0, cancels=1)
    assert b.mode == "inventory_only"
    b.count(places=9, cancels=0)
    assert b.remaining == 0.0 and b.mode == "exhausted"
    b.count(places=0, cancels=50)  # cancels go past the budget; headroom stays 0
    assert b.headroom == 0.0 and b.snapshot()["requests"] == 150


# -- in the quote engine ---------------------------------------------------------------------


def engine(**risk: Any) -> QuoteEngine:
    cfg = QuoteSection(sz_decimals=2, spread_profile="glft", max_position=100.0, observe_s=0.0)
    return QuoteEngine(cfg, FeesSection(), "TEST", RiskSection(**risk))


def book(ts: int, mid: float = 50.0) -> Any:
    return make_book(ts=ts, bid=round(mid - 0.01, 6), ask=round(mid + 0.01, 6), coin="TEST")


def of(events: Sequence[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def fill(oid: int, side: str, sz: float, ts: int) -> Fill:
    return Fill(
        ts=ts, oid=oid, side=side, px=50.0, sz=sz, remaining=0.0, level=0,  # type: ignore[arg-type]
        mid=50.0, tid=1, trade_px=50.0, trade_sz=sz, trade_side="A", touch_probability=0.3,
        price_factor=1.0, size_factor=1.0, queue_factor=1.0, age_factor=1.0, aggressor_factor=1.0,
        queue_ahead=0.0, probability=0.3, draw=0.1,
    )  # fmt: skip


def test_places_and_cancels_are_counted_and_the_spread_widens_as_headroom_drops() -> None:
    qe = engine(api_initial_requests=100.0)
    first = qe.handle(book(T0))
    base = first[0].half_spread_bps
    assert len(of(first, PlaceOrder)) == 6 and not of(first, ApiHeadroomChanged)
    # A moved book replaces all six: 6 cancels + 6 places = 18 requests so far, 82% left.
    second = qe.handle(book(T0 + SEC, mid=50.5))
    assert len(of(second, CancelOrder)) == 6
    third = qe.handle(book(T0 + 2 * SEC, mid=51.0))
    [changed] = of(third, ApiHeadroomChanged)
    assert (changed.places, changed.cancels, changed.requests) == (12, 6, 18)
    assert changed.headroom == pytest.approx(0.82) and changed.mode == "normal"
    assert changed.spread_multiplier == pytest.approx(1 / math.sqrt(0.82))
    cycle = of(third, QuoteCycle)[0]
    assert cycle.half_spread_bps == pytest.approx(base * changed.spread_multiplier)
    # The event comes before the cycle it prices.
    assert third.index(changed) < third.index(cycle)
    assert qe.risk_summary()["api"]["requests"] == 30


def confirm(qe: QuoteEngine, out: Sequence[Event], ts: int) -> None:
    """The fill simulator's answer to every cancel: the order left the book."""
    for c in of(out, CancelOrder):
        qe.handle(OrderCanceled(ts=int(ts), oid=c.oid, reason="canceled", remaining=1.0))


def test_below_ten_percent_only_the_position_is_reduced() -> None:
    # A 200-request budget that volume does not grow, burnt by books that move every cycle.
    qe = engine(api_initial_requests=200.0, api_requests_per_usd=0.0)
    qe.handle(book(T0))
    qe.handle(fill(1, "buy", 1.0, ts=T0 + 100 * MS))  # long 1.0
    for k in range(1, 40):
        out = qe.handle(book(T0 + k * SEC, mid=50.5 if k % 2 else 50.0))
        changed = of(out, ApiHeadroomChanged)
        if changed and changed[-1].mode != "normal":
            break
        confirm(qe, out, T0 + (k + 0.2) * SEC)  # type: ignore[arg-type]
    else:
        raise AssertionError("the budget never ran low")
    assert changed[-1].mode == "inventory_only" and changed[-1].headroom < 0.1
    # Every resting order (last cycle's ladder, at other prices) is pulled: cancels always
    # go. Nothing is placed yet: the sells being canceled still count against the position
    # they could reduce until their cancels are confirmed (never send, then clip).
    canceled = [c.oid for c in of(out, CancelOrder)]
    assert len(canceled) == 6 and of(out, PlaceOrder) == []
    assert {s.reason for s in of(out, QuoteSuppressed)} == {"api_headroom"}
    confirm(qe, out, T0 + (k + 0.2) * SEC)  # type: ignore[arg-type]
    out = qe.handle(book(T0 + (k + 1) * SEC, mid=50.0))
    # Long 1.0 in 1.0-lots: one sell reduces it, and nothing else goes out.
    places = of(out, PlaceOrder)
    assert [(p.side, p.level, p.sz) for p in places] == [("sell", 0, 1.0)]
    assert [(lv.side, lv.level) for lv in of(out, QuoteCycle)[0].levels] == [("sell", 0)]
    # Flat again (the sell filled): nothing reduces anything, so nothing is quoted.
    qe.handle(fill(places[0].oid, "sell", 1.0, ts=T0 + (k + 1.5) * SEC))  # type: ignore[arg-type]
    later = qe.handle(book(T0 + (k + 2) * SEC, mid=50.5))
    assert of(later, PlaceOrder) == [] and of(later, QuoteCycle)[0].levels == ()


def test_new_orders_stop_when_the_budget_runs_out_but_cancels_never_do() -> None:
    qe = engine(api_initial_requests=10.0)
    assert len(of(qe.handle(book(T0)), PlaceOrder)) == 6  # 4 left
    # 6 cancels use up the rest (and go past it): no order can be placed.
    out = qe.handle(book(T0 + SEC, mid=50.5))
    assert len(of(out, CancelOrder)) == 6 and of(out, PlaceOrder) == []
    assert {s.reason for s in of(out, QuoteSuppressed)} == {"api_budget_exhausted"}
    out = qe.handle(book(T0 + 2 * SEC, mid=51.0))
    assert of(out, ApiHeadroomChanged)[-1].mode == "exhausted"
    assert of(out, PlaceOrder) == [] and of(out, CancelOrder) == [] and of(out, QuoteCycle)[0].levels == ()


def test_a_cycle_places_no_more_orders_than_the_budget_has_left() -> None:
    qe = engine(api_initial_requests=4.0)
    out = qe.handle(book(T0))
    # Best first: both best bids... in ladder order, bids then asks: the first four levels.
    assert [(p.side, p.level) for p in of(out, PlaceOrder)] == [
        ("buy", 0),
        ("buy", 1),
        ("buy", 2),
        ("sell", 0),
    ]
    assert [(s.side, s.level, s.reason) for s in of(out, QuoteSuppressed)] == [
        ("sell", 1, "api_budget_exhausted"), ("sell", 2, "api_budget_exhausted"),
    ]  # fmt: skip
