"""The outcome tracker: average-cost PnL, fees, the four-part attribution and its cadence."""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.base import NOTHING, Actor
from actors.config import FeesSection, OutcomeSection
from actors.outcome_tracker import OutcomeTracker
from events import BookSnapshot, Event, Fill, Mids, PnL
from events.orders import OrderSide
from tests.conftest import MS, SEC, T0, make_book, make_mids

TOL = 1e-9


def make_fill(ts: int, side: OrderSide, px: float, sz: float = 1.0, mid: float = 100.0, oid: int = 1) -> Fill:
    """A fill of one of our orders; only side, price, size and mid matter to PnL."""
    return Fill(
        ts=ts, oid=oid, side=side, px=px, sz=sz, remaining=0.0, level=0, mid=mid, tid=oid,
        trade_px=px, trade_sz=sz, trade_side="A" if side == "buy" else "B",
        touch_probability=0.3, price_factor=1.0, size_factor=1.0, queue_factor=1.0,
        age_factor=1.0, aggressor_factor=1.0, queue_ahead=0.0, probability=0.3, draw=0.1,
    )  # fmt: skip


def tracker(maker: float = 0.0, horizon_s: float = 1.0, interval_s: float = 1.0) -> OutcomeTracker:
    return OutcomeTracker(
        OutcomeSection(adverse_horizon_s=horizon_s, pnl_interval_s=interval_s),
        FeesSection(maker=maker),
    )


def records(out: object) -> list[PnL]:
    assert isinstance(out, tuple | list)
    return [e for e in out if isinstance(e, PnL)]


def feed(t: OutcomeTracker, events: list[Event]) -> list[PnL]:
    return [r for e in events for r in records(t.handle(e))]


def parts_sum(r: PnL) -> float:
    return r.spread_capture + r.adverse_selection + r.inventory + r.fees


def test_is_an_actor_consuming_fills_books_and_mids() -> None:
    t: Actor = tracker()
    assert t.name == "outcome_tracker"
    assert set(t.consumes) == {Fill, BookSnapshot, Mids}


def test_buy_then_mid_rises_splits_into_spread_adverse_selection_and_inventory() -> None:
    t = tracker(horizon_s=1.0)
    feed(t, [make_book(ts=T0, bid=99.99, ask=100.01)])  # mid 100
    (fill_rec,) = feed(t, [make_fill(T0 + 100 * MS, "buy", px=99.99, mid=100.0)])
    assert fill_rec.spread_capture == pytest.approx(0.01, abs=TOL)
    assert fill_rec.adverse_selection == 0.0 and fill_rec.inventory == 0.0

    # Inside the horizon the whole move is adverse selection (here in our favour).
    feed(t, [make_mids(T0 + 500 * MS, 101.0)])
    s = t.summary()
    assert s["adverse_selection"] == pytest.approx(1.0, abs=TOL)
    assert s["inventory"] == 0.0

    # Past the horizon (T0 + 1.1 s) the move from 101 on is inventory.
    (rec,) = feed(t, [make_mids(T0 + 2 * SEC, 103.0)])
    assert rec.spread_capture == pytest.approx(0.01, abs=TOL)
    assert rec.adverse_selection == pytest.approx(1.0, abs=TOL)
    assert rec.inventory == pytest.approx(2.0, abs=TOL)
    assert rec.fees == 0.0
    assert rec.total == pytest.approx(103.0 - 99.99, abs=TOL)
    assert rec.unrealized == pytest.approx(3.01, abs=TOL) and rec.realized == 0.0
    assert (rec.position, rec.mid, rec.fills) == (1.0, 103.0, 1)


def test_fee_is_the_maker_rate_on_notional() -> None:
    t = tracker(maker=0.00015)
    feed(t, [make_mids(T0, 100.0)])
    (rec,) = feed(t, [make_fill(T0 + MS, "buy", px=100.0, sz=2.0)])
    assert rec.fees == pytest.approx(-0.00015 * 200.0, abs=TOL)
    assert rec.volume == pytest.approx(200.0, abs=TOL)
    assert rec.total == pytest.approx(-0.03, abs=TOL)
    assert t.summary()["fees_paid"] == pytest.approx(0.03, abs=TOL)


def test_negative_maker_rate_is_a_rebate() -> None:
    t = tracker(maker=-0.0001)
    (rec,) = feed(t, [make_fill(T0, "sell", px=100.5, sz=1.0, mid=100.5)])
    assert rec.fees == pytest.approx(0.0001 * 100.5, abs=TOL)
    assert rec.fees > 0.0 and rec.total == pytest.approx(rec.fees, abs=TOL)


def test_spread_capture_is_positive_for_a_buy_below_and_a_sell_above_the_mid() -> None:
    t = tracker()
    (buy,) = feed(t, [make_fill(T0, "buy", px=99.9, mid=100.0)])
    assert buy.spread_capture == pytest.approx(0.1, abs=TOL)
    (sell,) = feed(t, [make_fill(T0 + MS, "sell", px=100.2, mid=100.0, oid=2)])
    assert sell.spread_capture == pytest.approx(0.3, abs=TOL)
    # Crossing the mid the wrong way costs spread.
    (bad,) = feed(t, [make_fill(T0 + 2 * MS, "buy", px=100.05, mid=100.0, oid=3)])
    assert bad.spread_capture == pytest.approx(0.25, abs=TOL)


def test_adverse_selection_freezes_at_the_mid_in_force_at_the_horizon_end() -> None:
    t = tracker(horizon_s=1.0)
    feed(t, [make_mids(T0, 100.0), make_fill(T0, "sell", px=100.0, mid=100.0)])
    feed(t, [make_mids(T0 + 900 * MS, 102.0)])
    assert t.summary()["adverse_selection"] == pytest.approx(-2.0, abs=TOL)
    # An update exactly at the horizon end still belongs to the horizon.
    feed(t, [make_mids(T0 + SEC, 105.0)])
    assert t.summary()["adverse_selection"] == pytest.approx(-5.0, abs=TOL)
    for ts, mid, inventory in [(T0 + 1500 * MS, 90.0, 15.0), (T0 + 3 * SEC, 80.0, 25.0)]:
        feed(t, [make_mids(ts, mid)])
        s = t.summary()
        assert s["adverse_selection"] == pytest.approx(-5.0, abs=TOL)
        assert s["inventory"] == pytest.approx(inventory, abs=TOL)
        assert s["total"] == pytest.approx(100.0 - mid, abs=TOL)


def test_round_trip_realizes_pnl_against_the_average_cost() -> None:
    t = tracker()
    fills = [
        make_fill(T0, "buy", px=100.0, sz=1.0, mid=100.0),
        make_fill(T0 + 1, "buy", px=104.0, sz=3.0, mid=104.0),  # average 103
        make_fill(T0 + 2, "sell", px=106.0, sz=2.0, mid=106.0),  # +2 * 3
        make_fill(T0 + 3, "sell", px=101.0, sz=3.0, mid=101.0),  # close 2 at -2, short 1 at 101
        make_fill(T0 + 4, "buy", px=99.0, sz=1.0, mid=99.0),  # +1 * 2
    ]
    # The mark comes from market events, not from the fills' own mids.
    recs = feed(t, [e for f in fills for e in (make_mids(f.ts, f.mid), f)])[1:]
    assert [r.realized for r in recs] == pytest.approx([0.0, 0.0, 6.0, 2.0, 4.0], abs=TOL)
    assert [r.position for r in recs] == [1.0, 4.0, 2.0, -1.0, 0.0]
    assert recs[2].unrealized == pytest.approx(2 * (106.0 - 103.0), abs=TOL)
    assert recs[3].unrealized == pytest.approx(0.0, abs=TOL)
    s = t.summary()
    assert s["avg_entry_px"] is None and s["unrealized"] == 0.0
    assert s["total"] == pytest.approx(4.0, abs=TOL) and s["cash"] == pytest.approx(4.0, abs=TOL)
    assert (s["fills"], s["buys"], s["sells"]) == (5, 3, 2)


def test_decimal_sizes_that_cancel_leave_the_position_flat() -> None:
    t = tracker()
    feed(t, [make_mids(T0, 100.0)])
    feed(t, [make_fill(T0, "buy", px=99.0, sz=0.1), make_fill(T0, "buy", px=99.5, sz=0.2, oid=2)])
    (rec,) = feed(t, [make_fill(T0, "sell", px=101.0, sz=0.3, oid=3)])
    assert rec.position == 0.0 and rec.unrealized == 0.0
    assert t.summary()["avg_entry_px"] is None
    assert rec.realized == pytest.approx(0.1 * 2.0 + 0.2 * 1.5, abs=TOL)


def test_every_fill_emits_one_record_even_at_the_same_time() -> None:
    t = tracker(interval_s=10.0)
    feed(t, [make_mids(T0, 100.0)])
    out = feed(t, [make_fill(T0 + MS, "buy", px=99.9), make_fill(T0 + MS, "buy", px=99.8, oid=2)])
    assert [r.fills for r in out] == [1, 2]


def test_mid_updates_record_at_most_once_per_interval() -> None:
    t = tracker(interval_s=1.0)
    books = [make_book(ts=T0 + i * 100 * MS, bid=100 + i * 0.01, ask=100.02 + i * 0.01) for i in range(101)]
    recs = feed(t, books)
    assert [r.ts for r in recs] == [T0 + i * SEC for i in range(11)]

    # A fill records at once and restarts the interval.
    (fill_rec,) = feed(t, [make_fill(T0 + 10_050 * MS, "buy", px=100.9)])
    assert feed(t, [make_mids(T0 + 10_900 * MS, 101.5)]) == []
    assert [r.ts for r in feed(t, [make_mids(T0 + 11_050 * MS, 101.6)])] == [T0 + 11_050 * MS]


def test_an_unchanged_mid_does_not_repeat_the_last_record() -> None:
    t = tracker(interval_s=1.0)
    book = make_book(ts=T0)
    assert len(feed(t, [book])) == 1
    for i in range(1, 50):
        assert t.handle(msgspec.structs.replace(book, ts=T0 + i * 200 * MS)) is NOTHING
    # The first change after the interval records.
    assert len(feed(t, [make_mids(T0 + 10 * SEC, 100.5)])) == 1


def test_non_finite_mids_are_ignored() -> None:
    t = tracker()
    assert t.handle(make_mids(T0, math.nan)) is NOTHING
    assert t.summary()["mid"] is None
    # With no mid at all a fill is marked at its price: no spread, no mark-to-market.
    (rec,) = feed(t, [make_fill(T0, "buy", px=99.0, mid=math.nan)])
    assert (rec.mid, rec.spread_capture, rec.total) == (99.0, 0.0, 0.0)

    feed(t, [make_mids(T0 + 2 * SEC, 100.0)])
    for bad in [
        make_mids(T0 + 4 * SEC, math.nan),
        make_mids(T0 + 4 * SEC, math.inf),
        make_book(ts=T0 + 4 * SEC, bid=math.nan, ask=100.0),
        msgspec.structs.replace(make_book(ts=T0 + 4 * SEC), ask_px=(), ask_sz=()),
    ]:
        assert t.handle(bad) is NOTHING
        assert t.summary()["mid"] == 100.0
    # A fill without a mid of its own is measured against the tracker's mid.
    (rec,) = feed(t, [make_fill(T0 + 5 * SEC, "sell", px=100.5, mid=math.nan, oid=2)])
    assert rec.spread_capture == pytest.approx(0.5, abs=TOL)
    assert rec.total == pytest.approx(100.5 - 99.0, abs=TOL)


def test_summary_and_snapshot_are_plain_data() -> None:
    t = tracker(maker=0.0002)
    feed(t, [make_book(ts=T0), make_fill(T0 + MS, "buy", px=99.99, sz=0.5)])
    summary = t.summary()
    assert set(summary) >= {
        "position", "cash", "realized", "unrealized", "total", "spread_capture",
        "adverse_selection", "inventory", "fees", "volume", "fills", "buys", "sells",
    }  # fmt: skip
    assert summary["position"] == 0.5 and summary["fills"] == 1
    snapshot = t.snapshot()
    assert snapshot["summary"] == summary and snapshot["pending_fills"] == 1
    assert msgspec.json.decode(msgspec.json.encode(snapshot)) == snapshot


# -- properties ------------------------------------------------------------------------


@dataclass
class Reference:
    """A brute-force model: recomputes every part from the whole history with fsum."""

    horizon_ns: int
    maker: float
    marks: list[tuple[int, float]] = field(default_factory=list)
    fills: list[tuple[int, float, float, float]] = field(default_factory=list)  # ts, s, px, m

    def mark_at(self, ts: int) -> float:
        i = bisect_right([t for t, _ in self.marks], ts)
        return self.marks[i - 1][1]

    def on_event(self, e: Event) -> None:
        if isinstance(e, Fill):
            m = e.mid if math.isfinite(e.mid) else (self.marks[-1][1] if self.marks else e.px)
            if not self.marks:
                self.marks.append((e.ts, m))
            self.fills.append((e.ts, e.sz if e.side == "buy" else -e.sz, e.px, m))
            return
        mid = e.mid if isinstance(e, BookSnapshot | Mids) else math.nan
        if math.isfinite(mid):
            self.marks.append((e.ts, mid))

    def check(self, r: PnL) -> None:
        now, mark = r.ts, self.marks[-1][1]
        h = [self.mark_at(min(ts + self.horizon_ns, now)) for ts, _, _, _ in self.fills]
        fees = math.fsum(self.maker * abs(s) * px for _, s, px, _ in self.fills)
        spread = math.fsum(s * (m - px) for _, s, px, m in self.fills)
        adverse = math.fsum(s * (hi - m) for (_, s, _, m), hi in zip(self.fills, h, strict=True))
        inventory = math.fsum(s * (mark - hi) for (_, s, _, _), hi in zip(self.fills, h, strict=True))
        total = math.fsum(s * (mark - px) for _, s, px, _ in self.fills) - fees
        assert r.mid == mark
        assert r.spread_capture == pytest.approx(spread, abs=TOL)
        assert r.adverse_selection == pytest.approx(adverse, abs=TOL)
        assert r.inventory == pytest.approx(inventory, abs=TOL)
        assert r.fees == pytest.approx(-fees, abs=TOL)
        assert r.total == pytest.approx(total, abs=TOL)


prices = st.floats(90.0, 110.0)
odd_mids = st.sampled_from([math.nan, math.inf, -math.inf])
# Decimal sizes (0.1 + 0.2 != 0.3) leave float residue in the position, as real fills do.
sizes = st.one_of(st.sampled_from([0.1, 0.2, 0.3, 0.001, 1.0]), st.floats(0.001, 5.0))
# Gaps that land before, on and after the horizon ends in use.
gaps = st.one_of(st.integers(0, 2 * SEC), st.sampled_from([0, 1, 100 * MS, SEC]))


@st.composite
def sessions(draw: st.DrawFn) -> tuple[OutcomeTracker, Reference, list[Event]]:
    horizon_s = draw(st.sampled_from([0.1, 0.5, 1.0, 3.0]))
    maker = draw(st.sampled_from([0.0, 0.00015, -0.0001, 0.0003]))
    t = tracker(maker=maker, horizon_s=horizon_s, interval_s=draw(st.sampled_from([0.1, 1.0, 2.5])))
    ref = Reference(horizon_ns=round(horizon_s * SEC), maker=maker)
    ts = T0
    events: list[Event] = []
    for i in range(draw(st.integers(1, 60))):
        ts += draw(gaps)
        kind = draw(st.sampled_from(["mids", "book", "fill", "fill"]))
        if kind == "mids":
            events.append(make_mids(ts, draw(st.one_of(prices, odd_mids))))
        elif kind == "book":
            bid = draw(prices)
            events.append(make_book(ts=ts, bid=bid, ask=bid + draw(st.floats(0.0, 0.5))))
        else:
            side = draw(st.sampled_from(["buy", "sell"]))
            mid = draw(st.one_of(prices, odd_mids))
            events.append(make_fill(ts, side, px=draw(prices), sz=draw(sizes), mid=mid, oid=i))
    return t, ref, events


@given(sessions())
def test_the_four_parts_sum_to_the_total_at_every_record(
    session: tuple[OutcomeTracker, Reference, list[Event]],
) -> None:
    t, _, events = session
    for r in feed(t, events):
        assert abs(parts_sum(r) - r.total) <= TOL


@given(sessions())
def test_realized_plus_unrealized_minus_fees_is_the_total(
    session: tuple[OutcomeTracker, Reference, list[Event]],
) -> None:
    t, _, events = session
    for r in feed(t, events):
        assert abs(r.realized + r.unrealized + r.fees - r.total) <= TOL
        assert abs(r.cash + r.position * r.mid + r.fees - r.total) <= TOL


@settings(max_examples=200)
@given(sessions())
def test_every_record_matches_a_brute_force_recomputation(
    session: tuple[OutcomeTracker, Reference, list[Event]],
) -> None:
    t, ref, events = session
    interval_ns = round(t.cfg.pnl_interval_s * SEC)
    n_fills, last_ts = 0, None
    for e in events:
        ref.on_event(e)
        out = records(t.handle(e))
        if isinstance(e, Fill):
            n_fills += 1
            assert len(out) == 1
        elif out:
            # Without a fill: at most one record per interval.
            (r,) = out
            assert last_ts is None or r.ts >= last_ts + interval_ns
        for r in out:
            assert r.fills == n_fills
            ref.check(r)
            last_ts = r.ts


def test_the_identities_hold_over_a_long_session_at_btc_prices() -> None:
    """Compensated sums keep the error at ulps of the largest term, not growing with fills."""
    rng = np.random.default_rng(7)
    t = tracker(maker=0.00015, horizon_s=5.0)
    mid, ts, position, worst = 100_000.0, T0, 0.0, 0.0
    for i in range(40_000):
        ts += int(rng.integers(1, 300)) * MS
        mid *= math.exp(rng.normal(0.0, 2e-4))
        if rng.random() < 0.3:
            buy = position < -1.0 or (position < 1.0 and rng.random() < 0.5)
            sz = round(float(rng.uniform(0.0001, 0.01)), 5)
            position += sz if buy else -sz
            px = round(mid * (1 - 1e-4 if buy else 1 + 1e-4))
            out = t.handle(make_fill(ts, "buy" if buy else "sell", px=px, sz=sz, mid=mid, oid=i))
        else:
            out = t.handle(make_mids(ts, mid))
        for r in records(out):
            worst = max(
                worst,
                abs(parts_sum(r) - r.total),
                abs(r.realized + r.unrealized + r.fees - r.total),
            )
    assert t.summary()["fills"] > 10_000
    assert worst <= TOL
