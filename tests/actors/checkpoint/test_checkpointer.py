"""The checkpointer decides when, in event time, and takes a deterministic bundle."""

from __future__ import annotations

import math
from typing import Any

import msgspec

from actors.checkpoint.bundle import content_digest
from actors.checkpoint.checkpointer import Checkpointer
from actors.config import CheckpointSection, Config
from events import CalibrationRecord, CheckpointDue, EndOfSession, PnL, QuoteLevel
from events.outcomes import LevelFill
from tests.actors.checkpoint.streams import graph
from tests.conftest import SEC, T0, make_book, make_mids, make_trade


def checkpointer(**cfg: object) -> Checkpointer:
    config = Config()
    if cfg:
        config = msgspec.structs.replace(
            config, checkpoint=msgspec.structs.replace(CheckpointSection(), **cfg)
        )
    return graph(config)["checkpointer"]  # type: ignore[no-any-return]


def test_a_checkpoint_every_interval_of_event_time() -> None:
    cp = checkpointer(interval_s=300.0)
    due: list[CheckpointDue] = []
    for s in range(0, 1000, 7):  # inputs every 7 s; first at T0
        for event in (make_book(T0 + s * SEC), make_trade(T0 + s * SEC + 1), make_mids(T0 + s * SEC + 2)):
            due.extend(cp.handle(event))  # type: ignore[arg-type]
    # Due on the first input at or after T0 + 300 s, 600 s, 900 s.
    assert [d.ts for d in due] == [T0 + 301 * SEC, T0 + 602 * SEC, T0 + 903 * SEC]
    assert all(d.reason == "interval" for d in due)
    assert [round(d.session_s) for d in due] == [301, 602, 903]


def test_a_gap_longer_than_the_interval_gives_one_checkpoint() -> None:
    cp = checkpointer(interval_s=60.0)
    assert cp.handle(make_book(T0)) == ()
    (due,) = cp.handle(make_book(T0 + 1000 * SEC))
    assert cp.handle(make_book(T0 + 1019 * SEC)) == ()
    assert len(cp.handle(make_book(T0 + 1020 * SEC))) == 1
    assert type(due) is CheckpointDue


def test_the_final_checkpoint_comes_on_end_of_session_once() -> None:
    cp = checkpointer()
    cp.handle(make_book(T0 + SEC))
    end = EndOfSession(ts=T0 + 5 * SEC, reason="duration", start_ts=T0, end_ts=T0 + 10 * SEC)
    (due,) = cp.handle(end)
    assert type(due) is CheckpointDue and due.reason == "final" and due.session_s == 10.0
    assert cp.bundle is not None and cp.bundle.meta.reason == "final"
    assert cp.handle(end) == ()


def test_no_checkpoint_for_a_session_that_saw_nothing() -> None:
    cp = checkpointer()
    assert cp.handle(EndOfSession(ts=T0, reason="end_of_feed", start_ts=T0, end_ts=T0)) == ()
    assert cp.bundle is None


def test_the_digest_is_the_bundles_and_deterministic() -> None:
    digests = []
    for _ in range(2):
        actors = graph()
        cp = actors["checkpointer"]
        for s in range(400):
            for event in (make_book(T0 + s * SEC, bid=99.99 + s * 1e-3, ask=100.01 + s * 1e-3),
                          make_trade(T0 + s * SEC + 5, px=100.0 + s * 1e-3)):  # fmt: skip
                actors["estimators"].handle(event)
                digests.extend(d.digest for d in cp.handle(event))
        assert content_digest(cp.bundle) == digests[-1]
        # Wall-clock fields do not enter the digest.
        meta = msgspec.structs.replace(cp.bundle.meta, wall_ns=123, session_id="x", package_version="9")
        assert content_digest(msgspec.structs.replace(cp.bundle, meta=meta)) == digests[-1]
    assert len(digests) == 2 and digests[0] == digests[1]


def _pnl(ts: int, total: float) -> PnL:
    return PnL(ts=ts, mid=100.0, position=0.0, cash=0.0, realized=0.0, unrealized=0.0, total=total,
               spread_capture=total, adverse_selection=0.0, inventory=0.0, fees=0.0, volume=0.0, fills=0)  # fmt: skip


def test_kill_switch_figures_peak_drawdown_and_daily_loss() -> None:
    cp = checkpointer()
    day = 86_400 * SEC
    cp.handle(make_book(T0))
    for ts, total in ((T0 + SEC, 5.0), (T0 + 2 * SEC, 8.0), (T0 + day - SEC, 6.0), (T0 + day + SEC, 3.0)):
        cp.handle(_pnl(ts, total))
    ks = cp.current_bundle(T0 + day + 2 * SEC).kill_switch
    assert (ks.peak_pnl, ks.pnl, ks.drawdown) == (8.0, 3.0, 5.0)
    assert ks.daily_loss == 3.0 and ks.day_start_ts == T0 + day  # 6 at 00:00, 3 now
    assert not ks.tripped


def _make(cls: Any, **given: Any) -> Any:
    """``cls`` with the fields the checkpointer reads; every other field a neutral value
    (so the test does not depend on fields it does not use)."""
    neutral = {float: 0.0, int: 0, str: "", bool: False}
    values = {}
    for f in msgspec.structs.fields(cls):
        if f.name in given:
            values[f.name] = given[f.name]
        elif f.required:
            values[f.name] = neutral.get(f.type, "buy" if "Literal" in str(f.type) else ())
    return cls(**values)


def _record(*levels: tuple[float, float, bool, int]) -> CalibrationRecord:
    """A record of levels (depth, p_fill, filled, oid)."""
    return _make(  # type: ignore[no-any-return]
        CalibrationRecord, ts=T0, cycle=1, cycle_ts=T0, regime="normal",
        levels=tuple(_make(QuoteLevel, side="buy", depth_bps=d, p_fill=p) for d, p, _, _ in levels),
        oids=tuple(oid for *_, oid in levels),
        fills=tuple(_make(LevelFill, index=i) for i, (_, _, filled, _) in enumerate(levels) if filled),
    )  # fmt: skip


def test_quote_outcome_bins() -> None:
    cp = checkpointer()
    record = _record((0.7, 0.4, True, 1), (0.9, 0.2, False, 2), (12.0, 0.1, False, 3), (3.0, 0.5, True, 0))
    cp.handle(record)
    bins = {b.depth_bps: b for b in cp.current_bundle(T0).learned.quote_outcomes}
    assert (bins[0.5].levels, bins[0.5].fills) == (2, 1) and math.isclose(bins[0.5].predicted, 0.6)
    assert (bins[10.0].levels, bins[10.0].fills) == (1, 0)
    assert bins[3.0].levels == 0  # no order rested it: no outcome
