"""Adverse fills end to end: with ``fill.adverse_fill_ratio = 1`` a seeded synthetic session
has fills, every one of them adverse at its 5 s markout (the Markout events of the log),
``papermm fills`` agrees, and the session replays identically."""

from __future__ import annotations

import bisect
from pathlib import Path

import pytest

import replay
from events import BookSnapshot, Fill, Markout, OrderCanceled, PnL
from events.log import read_events
from replay.verify import verify_session
from tests.conftest import SEC
from tests.e2e.helpers import run_synthetic


def test_with_ratio_one_every_fill_s_5s_markout_is_adverse_and_the_session_replays(tmp_path: Path) -> None:
    result = run_synthetic(tmp_path, 900, seed=7, fill__adverse_fill_ratio=1.0)
    events = list(read_events(result.log_path))
    fills = [e for e in events if isinstance(e, Fill)]
    markouts = [e for e in events if isinstance(e, Markout)]
    assert len(fills) > 100
    # Every fill was held, and logged after its horizon.
    assert all(0.0 <= f.adverse_draw < 1.0 and 0 < f.trade_ts and f.trade_ts + 5 * SEC < f.ts for f in fills)
    # Every fill is marked out (but those too close to the end), in fill order, from its trade.
    assert len(fills) - 20 < len(markouts) <= len(fills)
    assert [(m.fill, m.oid, m.fill_ts, m.mid) for m in markouts] == [
        (n, f.oid, f.trade_ts, f.mid) for n, f in enumerate(fills[: len(markouts)], start=1)
    ]
    # The acceptance: every 5 s markout is adverse.
    i = markouts[0].horizons_s.index(5.0)
    assert all(m.bps[i] < 0.0 for m in markouts)

    # The same from the books alone: the touch mid in force 5 s after each trade is
    # against us compared with the mid when the trade printed.
    books = [(e.ts, e.mid) for e in events if isinstance(e, BookSnapshot) and e.bid_px and e.ask_px]
    times = [t for t, _ in books]
    for f in fills:
        at_horizon = books[bisect.bisect_right(times, f.trade_ts + 5 * SEC) - 1][1]
        assert (at_horizon < f.mid) if f.side == "buy" else (at_horizon > f.mid)

    # An order never fills after its end in the log.
    ended: set[int] = set()
    for e in events:
        if isinstance(e, OrderCanceled):
            ended.add(e.oid)
        elif isinstance(e, Fill):
            assert e.oid not in ended

    # papermm fills computes the same markouts from the log.
    rows = replay.open_replay(result.session_dir).fills()
    assert [(r.oid, r.ts, r.trade_ts) for r in rows] == [(f.oid, f.ts, f.trade_ts) for f in fills]
    for m, row in zip(markouts, rows, strict=False):
        assert row.horizons_s == m.horizons_s
        assert row.markouts_bps == pytest.approx(m.bps, rel=1e-12, abs=1e-12)

    # The PnL's adverse-selection part is a loss, and the parts still sum to the total.
    pnl = [e for e in events if isinstance(e, PnL)][-1]
    assert pnl.fills == len(fills) and pnl.adverse_selection < 0.0
    parts = pnl.spread_capture + pnl.adverse_selection + pnl.inventory + pnl.fees
    assert parts == pytest.approx(pnl.total, abs=1e-6)

    verdict = verify_session(result.session_dir)
    assert verdict.identical, verdict.divergence
