"""The fills table: depth from mid, the simulator's probability and markouts, from the log alone."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import replay
from actors.config import Config
from actors.settings import config_to_dict
from events import SCHEMA_VERSION, Fill, Mids, SessionEnded, SessionStarted
from events.log import EventLogWriter, read_events
from replay.fills import HORIZONS_S, depth_bps, fill_rows, render_table, summary_line
from tests.conftest import MS, SEC, T0, make_book
from tests.e2e.helpers import run_synthetic


def _fill(ts: int, side: str, px: float, mid: float, oid: int = 1) -> Fill:
    return Fill(
        ts=ts,
        oid=oid,
        side=side,
        px=px,
        sz=0.1,
        remaining=0.0,
        level=0,
        mid=mid,
        tid=7,
        trade_px=px,  # type: ignore[arg-type]
        trade_sz=1.0,
        trade_side="A" if side == "buy" else "B",
        touch_probability=0.3,
        price_factor=1.0,
        size_factor=2.0,
        queue_factor=0.4,
        age_factor=1.0,
        aggressor_factor=1.0,
        queue_ahead=0.0,
        probability=0.24,
        draw=0.1,
    )


def _write(path: Path, events: list) -> Path:  # type: ignore[type-arg]
    started = SessionStarted(
        ts=T0,
        session_id="hand",
        asset="BTC",
        feed="test",
        seed=7,
        config=config_to_dict(Config()),
        package_version="0",
        schema_version=SCHEMA_VERSION,
        wall_ns=0,
    )
    with EventLogWriter(path / "events.log") as writer:
        for event in [
            started,
            *events,
            SessionEnded(ts=events[-1].ts, reason="test", records=len(events) + 2),
        ]:
            writer.append(event)
    return path


@pytest.fixture
def hand_session(tmp_path: Path) -> Path:
    """Books every 500 ms with the mid climbing 1.0 per book from 100; one buy and one sell."""
    events = []
    for i in range(30):
        mid = 100.0 + i
        events.append(make_book(ts=T0 + i * 500 * MS, bid=mid - 0.5, ask=mid + 0.5))
        if i == 2:
            events.append(_fill(T0 + i * 500 * MS + 1, "buy", 101.0, mid=102.0, oid=1))
        if i == 27:
            events.append(_fill(T0 + i * 500 * MS + 1, "sell", 128.0, mid=127.0, oid=2))
    return _write(tmp_path, events)


def test_depth_and_markouts_by_hand(hand_session: Path) -> None:
    rows = replay.open_replay(hand_session).fills()
    assert [r.oid for r in rows] == [1, 2]
    buy, sell = rows
    assert buy.depth_bps == pytest.approx((102.0 - 101.0) / 102.0 * 1e4)
    assert sell.depth_bps == pytest.approx(-(127.0 - 128.0) / 127.0 * 1e4)
    # The mid just before the buy is 102 (the book at +1.0 s); it rises 2.0 per second after.
    # At +0.5 s it is 103, +1 s 104, +2 s 106, +5 s 112, +10 s 122.
    expected = [(m - 102.0) / 102.0 * 1e4 for m in (103.0, 104.0, 106.0, 112.0, 122.0)]
    assert buy.markouts_bps == pytest.approx(expected)
    assert buy.horizons_s == HORIZONS_S
    # The sell at +13.5 s: the rising mid is bad for it; the log ends at +14.5 s, so only
    # the 0.5 s markout is known.
    assert sell.markouts_bps[0] == pytest.approx(-(128.0 - 127.0) / 127.0 * 1e4)
    assert sell.markouts_bps[1:] == (None, None, None, None)


def test_filters_and_rendering(hand_session: Path) -> None:
    session = replay.open_replay(hand_session)
    assert [r.side for r in session.fills(side="sell")] == ["sell"]
    assert [r.oid for r in session.fills(since=T0 + 5 * SEC)] == [2]
    rows = fill_rows(session)
    text = render_table(rows, T0)
    assert text.splitlines()[0].split()[:4] == ["seq", "time", "oid", "side"]
    assert "+1.000s" in text and "-" in text.splitlines()[-1]
    assert summary_line(rows).startswith("2 fills (1 buys, 1 sells)")
    assert summary_line([]) == "0 fills"


def test_a_log_without_books_marks_out_on_mids(tmp_path: Path) -> None:
    events = [Mids(ts=T0 + i * SEC, coin="BTC", mid=100.0 + i) for i in range(15)]
    events.insert(3, _fill(T0 + 2 * SEC + 1, "buy", 101.5, mid=math.nan))
    row = replay.open_replay(_write(tmp_path, events)).fills()[0]
    assert row.mid == 102.0 and row.depth_bps == pytest.approx(0.5 / 102.0 * 1e4)
    assert row.markouts_bps[1] == pytest.approx(1.0 / 102.0 * 1e4)


def test_depth_sign() -> None:
    assert depth_bps("buy", 99.0, 100.0) == pytest.approx(100.0)
    assert depth_bps("sell", 99.0, 100.0) == pytest.approx(-100.0)
    assert math.isnan(depth_bps("buy", 99.0, math.nan))


def test_every_fill_of_a_session_is_a_row(tmp_path: Path) -> None:
    result = run_synthetic(tmp_path, 120, seed=7)
    logged = [e for e in read_events(result.log_path) if isinstance(e, Fill)]
    rows = replay.open_replay(result.session_dir).fills()
    assert len(rows) == len(logged) == result.counts["Fill"] > 0
    assert all(r.probability == f.probability and r.draw == f.draw for r, f in zip(rows, logged, strict=True))
    # Our orders rest on the passive side of the mid the simulator saw.
    assert all(r.depth_bps > 0 for r in rows)
    # Fills in the last 10 s have no 10 s markout; earlier ones all do.
    end = result.end_ns
    assert all((r.markouts_bps[-1] is None) == (r.ts + 10 * SEC > end) for r in rows)


def test_markouts_agree_with_the_logged_markout_events(tmp_path: Path) -> None:
    """When the graph logs Markout events (the prediction tracker), they are the same numbers."""
    result = run_synthetic(tmp_path, 60, seed=7)
    session = replay.open_replay(result.session_dir)
    rows = {(r.oid, r.ts): r for r in session.fills()}
    logged = [e for e in session if type(e).__name__ == "Markout"]
    for markout in logged:
        row = rows[(markout.oid, markout.fill_ts)]  # type: ignore[attr-defined]
        assert markout.horizons_s == row.horizons_s  # type: ignore[attr-defined]
        assert markout.bps == pytest.approx(row.markouts_bps, rel=1e-12, abs=1e-12)  # type: ignore[attr-defined]
