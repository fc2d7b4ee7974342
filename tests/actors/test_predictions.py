"""The prediction tracker: each quote cycle's levels with their outcomes, as CalibrationRecords."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest

from actors.base import Actor
from actors.predictions import PredictionTracker, book_imbalance
from events import Bbo, BookSnapshot, Estimates, Event, Fill, PlaceOrder, QuoteCycle, QuoteLevel
from events.log import read_events
from events.outcomes import CalibrationRecord, Markout
from replay.verify import verify_session
from tests.actors.test_markouts import make_fill
from tests.conftest import MS, SEC, T0, make_book
from tests.e2e.helpers import run_synthetic


def level(side: str, i: int, px: float, depth: float = 1.0, p: float = 0.5) -> QuoteLevel:
    return QuoteLevel(side=side, level=i, px=px, sz=1.0, depth_bps=depth, p_fill=p)  # type: ignore[arg-type]


def cycle(ts: int, n: int, *rested: tuple[QuoteLevel, int], position: float = 0.0) -> QuoteCycle:
    """Cycle ``n`` quoting each (level, oid of the order the engine rests it with)."""
    return QuoteCycle(ts=ts, cycle=n, mid=100.0, sigma=1e-4, kappa=1000.0, gamma=0.3, half_spread_bps=1.0,
                      skew_bps=0.1, position=position, levels=tuple(lv for lv, _ in rested),
                      oids=tuple(oid for _, oid in rested))  # fmt: skip


def estimates(ts: int, regime: str = "quiet", adverse: float = 0.7) -> Estimates:
    return Estimates(ts=ts, sigma=1e-4, sigma_obs=10, kappa=1000.0, kappa_confidence=0.5, kappa_obs=10,
                     adverse_selection_bps=adverse, regime=regime, regime_probs=(1.0, 0.0, 0.0, 0.0),
                     fill_rate=(), warmup=0.5, adverse_probability_bid=0.3, adverse_probability_ask=0.6)  # fmt: skip


def run(tracker: PredictionTracker, events: Sequence[Event]) -> list[Event]:
    return [out for e in events for out in tracker.handle(e)]


def records(events: Sequence[Event]) -> list[CalibrationRecord]:
    return [e for e in events if isinstance(e, CalibrationRecord)]


def outcomes(rec: CalibrationRecord) -> list[tuple[int, bool, int, int, float]]:
    """Per level: (oid, filled, fill_ts, fill_level, adverse_bps); (oid, False, 0, -1, 0.0)
    for a level that did not fill."""
    assert len(rec.oids) == len(rec.levels)
    fills = {f.index: f for f in rec.fills}
    assert sorted(fills) == [f.index for f in rec.fills]  # in level order, once each
    return [
        (oid, True, f.fill_ts, f.fill_level, f.adverse_bps)
        if (f := fills.get(i))
        else (oid, False, 0, -1, 0.0)
        for i, oid in enumerate(rec.oids)
    ]


def oids(rec: CalibrationRecord) -> tuple[int, ...]:
    return rec.oids


def filled(rec: CalibrationRecord) -> tuple[bool, ...]:
    return tuple(o[1] for o in outcomes(rec))


B1 = level("buy", 0, 99.9, depth=10.0, p=0.6)
B2 = level("buy", 1, 99.8, depth=20.0, p=0.3)
S1 = level("sell", 0, 100.1, depth=10.0, p=0.6)


def test_is_an_actor_with_the_config_horizons() -> None:
    from actors.config import Config

    t: Actor = PredictionTracker.from_config(Config())
    assert t.name == "prediction_tracker"
    # No placements, cancels or their answers: the order churn never reaches it (the
    # quote cycle names the order resting each level).
    assert set(t.consumes) == {BookSnapshot, Bbo, Estimates, QuoteCycle, Fill}
    assert isinstance(t, PredictionTracker) and t.fill_horizon_s == Config().estimators.fill_horizon_s


def test_book_imbalance_is_signed_by_side() -> None:
    book = make_book(levels=3, size=1.0)
    assert book_imbalance(book, 5) == 0.0
    heavy_bids = BookSnapshot(
        ts=T0, coin="BTC", bid_px=(99.0, 98.0), bid_sz=(3.0, 1.0), ask_px=(101.0,), ask_sz=(1.0,)
    )
    assert book_imbalance(heavy_bids, 5) == pytest.approx(0.6)
    assert book_imbalance(heavy_bids, 1) == pytest.approx(0.5)


def test_a_cycle_s_levels_get_their_outcomes() -> None:
    """A filled level and two that do not fill within the horizon."""
    t = PredictionTracker(fill_horizon_s=30.0, adverse_horizon_s=5.0)
    out = run(t, [
        estimates(T0 - 1), make_book(ts=T0, bid=99.95, ask=100.05),
        cycle(T0, 1, (B1, 1), (B2, 2), (S1, 3)),
        make_fill(T0 + 2 * SEC, "buy", px=99.9, oid=1),
        make_book(ts=T0 + 7 * SEC, bid=99.85, ask=99.95),   # mid 99.9 at the 5 s horizon of the fill
        make_book(ts=T0 + 12 * SEC + 1, bid=99.85, ask=99.95),  # markouts complete
        make_fill(T0 + 31 * SEC, "buy", px=99.8, oid=2),  # after the horizon: does not count
    ])  # fmt: skip
    # Known once the horizon (30 s) and the last markout horizon (10 s) have passed.
    out += run(t, [make_book(ts=T0 + 40 * SEC, bid=99.85, ask=99.95)])
    assert records(out) == []
    out = run(t, [make_book(ts=T0 + 40 * SEC + 1, bid=99.85, ask=99.95)])
    (rec,) = records(out)
    assert rec.ts == T0 + 40 * SEC + 1 and rec.cycle == 1 and rec.cycle_ts == T0
    assert (rec.regime, rec.predicted_adverse_bps, rec.horizon_s, rec.adverse_horizon_s) == (
        "quiet",
        0.7,
        30.0,
        5.0,
    )
    assert rec.spread_bps == pytest.approx(10.0) and rec.book_imbalance == 0.0
    b1, b2, s1 = outcomes(rec)
    assert b1[:4] == (1, True, T0 + 2 * SEC, 0)
    # Realized adverse selection: the mid fell from 100.0 to 99.9 after the buy: 10 bps against us.
    assert b1[4] == pytest.approx(10.0)
    assert (rec.p_adverse_bid, rec.p_adverse_ask) == (0.3, 0.6)
    assert b2 == (2, False, 0, -1, 0.0)
    assert s1 == (3, False, 0, -1, 0.0)


def test_a_kept_order_rests_later_cycles_levels() -> None:
    t = PredictionTracker(fill_horizon_s=30.0, adverse_horizon_s=1.0)
    out = run(t, [
        make_book(ts=T0), cycle(T0, 1, (B1, 1), (S1, 2)),
        # Cycle 2 keeps both orders and places a deeper bid.
        make_book(ts=T0 + SEC), cycle(T0 + SEC, 2, (B1, 1), (B2, 3), (S1, 2)),
        make_book(ts=T0 + 2 * SEC), cycle(T0 + 2 * SEC, 3),
        make_fill(T0 + 3 * SEC, "sell", px=100.1, oid=2),
        make_book(ts=T0 + 14 * SEC),
    ])  # fmt: skip
    assert records(out) == []  # records wait for the horizon and the markouts
    out = run(t, [make_book(ts=T0 + 43 * SEC)])
    r1, r2, r3 = records(out)
    assert (oids(r1), filled(r1)) == ((1, 2), (False, True))
    assert (oids(r2), filled(r2)) == ((1, 3, 2), (False, False, True))
    assert r3.levels == () and r3.oids == ()


def test_a_fill_after_the_horizon_does_not_count() -> None:
    t = PredictionTracker(fill_horizon_s=5.0, adverse_horizon_s=1.0)
    out = run(t, [
        make_book(ts=T0), cycle(T0, 1, (B1, 1)),
        make_fill(T0 + 6 * SEC, "buy", px=99.9, oid=1),  # before any book past the horizon
        make_book(ts=T0 + 20 * SEC),
    ])  # fmt: skip
    (rec,) = records(out)
    assert (oids(rec), filled(rec)) == ((1,), (False,))


def test_records_come_out_in_cycle_order_with_only_the_first_fill_after_the_cycle() -> None:
    t = PredictionTracker(fill_horizon_s=30.0, adverse_horizon_s=1.0)
    partial = msgspec.structs.replace(make_fill(T0 + 500 * MS, "buy", px=99.9, oid=1), remaining=0.5)
    out = run(t, [
        make_book(ts=T0), cycle(T0, 1, (B1, 1)),
        partial,  # fills cycle 1's level
        make_book(ts=T0 + SEC), cycle(T0 + SEC, 2, (B1, 1), (S1, 2)),  # keeps order 1
        make_fill(T0 + 2 * SEC, "buy", px=99.9, oid=1),  # cycle 2's first fill of order 1
        make_book(ts=T0 + 13 * SEC),
    ])  # fmt: skip
    assert records(out) == []
    out = run(t, [make_book(ts=T0 + 42 * SEC)])
    r1, r2 = records(out)
    assert [o[:3] for o in outcomes(r1)] == [(1, True, T0 + 500 * MS)]
    assert [o[:3] for o in outcomes(r2)] == [(1, True, T0 + 2 * SEC), (2, False, 0)]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_synthetic(tmp_path_factory.mktemp("pred"), 600, seed=7).log_path


def test_in_a_session_every_level_is_matched_to_the_order_that_rested_it(session: Path) -> None:
    """Cross-check against the quote engine's own commands over a whole session."""
    placed: dict[int, PlaceOrder] = {}
    fills: dict[int, list[Fill]] = {}
    cycles: dict[int, QuoteCycle] = {}
    recs: list[CalibrationRecord] = []
    markouts: list[Markout] = []
    for e in read_events(session):
        if isinstance(e, PlaceOrder):
            placed[e.oid] = e
        elif isinstance(e, Fill):
            fills.setdefault(e.oid, []).append(e)
        elif isinstance(e, QuoteCycle):
            cycles[e.cycle] = e
        elif isinstance(e, CalibrationRecord):
            recs.append(e)
        elif isinstance(e, Markout):
            markouts.append(e)
    assert [r.cycle for r in recs] == list(range(1, len(recs) + 1))
    assert len(recs) >= len(cycles) - 45  # only the last horizon's cycles may be pending at the end
    # One markout per fill, in fill order; only the last 10 s of fills may lack one.
    all_fills = sorted((f for v in fills.values() for f in v), key=lambda f: f.ts)
    assert [(m.oid, m.fill_ts) for m in markouts] == [(f.oid, f.ts) for f in all_fills[: len(markouts)]]
    end = max(c.ts for c in cycles.values()) + SEC
    assert all(f.ts > end - 11 * SEC for f in all_fills[len(markouts) :])
    rested = filled = 0
    for rec in recs:
        q = cycles[rec.cycle]
        assert rec.levels == q.levels  # the cycle's ladder as quoted: side, level, price, size, depth, p_fill
        assert rec.oids == q.oids
        for ql, (oid, was_filled, fill_ts, _, adverse) in zip(q.levels, outcomes(rec), strict=True):
            rested += 1
            order = placed[oid]
            assert (order.side, order.px, order.sz) == (ql.side, ql.px, ql.sz)
            assert order.cycle <= rec.cycle
            in_horizon = [f for f in fills.get(oid, []) if q.ts <= f.ts <= q.ts + round(rec.horizon_s * SEC)]
            if was_filled:
                filled += 1
                assert in_horizon and fill_ts == in_horizon[0].ts
                assert math.isfinite(adverse)
            else:
                assert not in_horizon or in_horizon[0].ts == q.ts  # (a fill logged before the cycle)
    assert rested > 1000 and filled > 50


def test_the_session_replays_identically(session: Path) -> None:
    result = verify_session(session)
    assert result.identical, result.divergence


def test_a_cycle_names_the_orders_it_kept_and_the_ones_it_places(
    session: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-run the session with the engine's matching instrumented: QuoteCycle.oids is
    exactly the orders it kept plus its placements, level by level."""
    from actors import quote_engine
    from actors.graph import build_sequencer
    from events import EXTERNAL_TYPES
    from replay.session import open_session

    kept: dict[tuple[int, str, int], int] = {}
    real_keep = quote_engine.keep_orders

    def spy(
        levels: Sequence[QuoteLevel], *args: Any, **kwargs: Any
    ) -> tuple[tuple[QuoteLevel, ...], list[int | None]]:
        quoted, matched = real_keep(levels, *args, **kwargs)
        cycle = engine._cycle  # type: ignore[has-type]
        for lv, oid in zip(quoted, matched, strict=True):
            if oid is not None:
                kept[(cycle, lv.side, lv.level)] = oid
        return quoted, matched

    monkeypatch.setattr(quote_engine, "keep_orders", spy)
    recorded = open_session(session)
    sequencer = build_sequencer(recorded.config)
    engine = sequencer.actor("quote_engine")
    placed: dict[tuple[int, str, int], int] = {}
    cycles: list[QuoteCycle] = []
    for event in recorded.events():
        if type(event) in EXTERNAL_TYPES:
            for out in sequencer.admit(event):
                if isinstance(out, PlaceOrder):
                    placed[(out.cycle, out.side, out.level)] = out.oid
                elif isinstance(out, QuoteCycle):
                    cycles.append(out)
    checked = 0
    for q in cycles:
        assert len(q.oids) == len(q.levels)
        for lv, oid in zip(q.levels, q.oids, strict=True):
            key = (q.cycle, lv.side, lv.level)
            assert (key in placed) != (key in kept)  # placed or kept, never both
            assert oid == placed.get(key, kept.get(key))
            checked += 1
    assert checked > 1000 and kept and placed
