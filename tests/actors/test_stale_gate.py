"""The stale-data gate: Heartbeats (wall time, admitted as inputs) with no book for longer
than live.stale_after_s pull every quote; the next book resumes quoting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import trio

from actors.config import FeesSection, QuoteSection, RiskSection
from actors.feed_sources import IteratorFeed
from actors.quote_engine import QuoteEngine
from actors.runtime import SessionResult, run_session
from actors.settings import load_config
from events import (
    CancelOrder,
    Event,
    Heartbeat,
    OrderCanceled,
    PlaceOrder,
    PnL,
    QuoteCycle,
    QuotingPaused,
    QuotingResumed,
    Trade,
)
from events.log import read_events
from replay.verify import verify_session
from tests.conftest import MS, SEC, T0, make_book


def engine(stale_after_s: float = 15.0, **risk: Any) -> QuoteEngine:
    cfg = QuoteSection(sz_decimals=2, spread_profile="glft", max_position=100.0, observe_s=0.0)
    return QuoteEngine(cfg, FeesSection(), "TEST", RiskSection(**risk), stale_after_s=stale_after_s)


def book(ts: int, mid: float = 50.0) -> Any:
    return make_book(ts=ts, bid=round(mid - 0.01, 6), ask=round(mid + 0.01, 6), coin="TEST")


def beat(ts: int) -> Heartbeat:
    return Heartbeat(ts=ts, wall_ns=ts)


def of(events: Sequence[Event], cls: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def test_silence_longer_than_stale_after_pulls_every_quote_and_a_book_resumes() -> None:
    qe = engine(stale_after_s=15.0)
    placed = [p.oid for p in of(qe.handle(book(T0)), PlaceOrder)]
    assert len(placed) == 6
    # Exactly 15 s of silence is not stale yet.
    for k in range(1, 16):
        assert qe.handle(beat(T0 + k * SEC)) == ()
    paused, *cancels = qe.handle(beat(T0 + 15 * SEC + 1))
    assert isinstance(paused, QuotingPaused)
    assert paused.reason == "stale_data" and paused.last_book_ts == T0 and paused.canceled == 6
    assert paused.silence_s == 15.000000001 and paused.stale_after_s == 15.0
    assert [c.oid for c in cancels] == placed and all(c.reason == "stale_data" for c in cancels)
    # Paused: more heartbeats do nothing, and nothing is quoted.
    assert qe.handle(beat(T0 + 16 * SEC)) == () and qe.handle(beat(T0 + 30 * SEC)) == ()
    for oid in placed:
        qe.handle(OrderCanceled(ts=T0 + 16 * SEC, oid=oid, reason="canceled", remaining=1.0))
    # Fresh data: the first book resumes and is quoted at once (whatever the interval).
    out = qe.handle(book(T0 + 31 * SEC, mid=50.2))
    resumed, cycle, *places = out
    assert isinstance(resumed, QuotingResumed)
    assert resumed.paused_at == T0 + 15 * SEC + 1 and resumed.paused_s == 31 - 15.000000001
    assert isinstance(cycle, QuoteCycle) and cycle.mid == 50.2
    assert len(of(places, PlaceOrder)) == 6
    # And the gate is armed again.
    assert qe.handle(beat(T0 + 40 * SEC)) == ()
    assert isinstance(qe.handle(beat(T0 + 46 * SEC + 1))[0], QuotingPaused)
    assert qe.risk_summary()["stale_pauses"] == 2


def test_books_keep_the_gate_open_and_no_book_means_nothing_to_be_stale_against() -> None:
    qe = engine(stale_after_s=2.0)
    # No book yet: no pause however long the silence (trades alone do not arm it).
    assert qe.handle(Trade(ts=T0, coin="TEST", px=50.0, sz=1.0, side="A", tid=1)) is not None
    assert qe.handle(beat(T0 + 100 * SEC)) == ()
    # Books every second keep a 2 s gate open, throttled or not.
    for k in range(100, 110):
        qe.handle(book(T0 + k * SEC + 500 * MS))
        assert qe.handle(beat(T0 + (k + 1) * SEC)) == ()


def test_a_tripped_kill_switch_leaves_nothing_for_the_gate_to_do() -> None:
    qe = engine(stale_after_s=1.0, max_drawdown=0.0, max_daily_loss_usd=1.0)
    qe.handle(book(T0))
    pnl = PnL(ts=T0 + 100 * MS, mid=50.0, position=0.0, cash=0.0, realized=0.0, unrealized=-2.0, total=-2.0,
              spread_capture=0.0, adverse_selection=0.0, inventory=-2.0, fees=0.0, volume=0.0, fills=0)  # fmt: skip
    assert len(qe.handle(pnl)) == 7
    assert qe.handle(beat(T0 + 10 * SEC)) == () and qe.handle(book(T0 + 11 * SEC)) == ()


# -- a whole session: feed silence, then data again --------------------------------------------


def _inputs() -> Iterator[Event]:
    """Books and trades for 30 s, 20 s of heartbeats only, then 20 s of books again.
    Heartbeats come every second throughout, as the live feed sends them."""
    tid = 0
    for ms in range(0, 70_000, 250):
        ts = T0 + ms * MS
        quiet = 30_000 <= ms < 50_000
        if ms % 1000 == 0:
            yield beat(ts)
        if quiet:
            continue
        mid = 100_000.0 + (ms // 1000) % 7
        if ms % 500 == 0:
            yield make_book(ts=ts, bid=mid - 0.5, ask=mid + 0.5, step=1.0, size=0.5)
        else:
            tid += 1
            yield Trade(ts=ts, coin="BTC", px=mid - 30.0 if tid % 2 else mid + 30.0, sz=0.05,
                        side="A" if tid % 2 else "B", tid=tid)  # fmt: skip


def _session(data_dir: Path) -> SessionResult:
    config = load_config(None, [("session.data_dir", str(data_dir)), ("session.duration_s", 0.0),
                                ("live.stale_after_s", 5.0), ("quote.observe_s", 0.0)])  # fmt: skip

    async def main() -> SessionResult:
        feed = IteratorFeed("test-silence", _inputs(), speed=None, batch=64, start_ns=T0)
        return await run_session(config, lambda _d: feed, handle_sigint=False)

    return trio.run(main)


def test_a_session_pulls_its_quotes_in_the_silence_and_resumes_and_replays_identically(
    tmp_path: Path,
) -> None:
    result = _session(tmp_path)
    events = list(read_events(result.log_path))
    [pause] = [i for i, e in enumerate(events) if isinstance(e, QuotingPaused)]
    [resume] = [i for i, e in enumerate(events) if isinstance(e, QuotingResumed)]
    paused = events[pause]
    assert isinstance(paused, QuotingPaused)
    # The first heartbeat more than 5 s after the last book (29.5 s): at 35 s.
    assert paused.ts == T0 + 35 * SEC and paused.last_book_ts == T0 + 29_500 * MS and paused.canceled > 0
    # Every order live at the pause is canceled right after it...
    placed = {e.oid for e in events[:pause] if isinstance(e, PlaceOrder)}
    gone = {e.oid for e in events[:pause] if isinstance(e, OrderCanceled)}
    pulled = [e for e in events[pause + 1 : pause + 1 + paused.canceled]]
    assert all(isinstance(e, CancelOrder) and e.reason == "stale_data" for e in pulled)
    pending = {e.oid for e in events[:pause] if isinstance(e, CancelOrder)}
    filled_out = {e.oid for e in events[:pause] if type(e).__name__ == "Fill" and e.remaining <= 0.0}  # type: ignore[attr-defined]
    assert {e.oid for e in pulled} == placed - gone - pending - filled_out  # type: ignore[attr-defined]
    # ...nothing is quoted while paused...
    assert not [e for e in events[pause:resume] if isinstance(e, PlaceOrder | QuoteCycle)]
    # ...and the first book after the silence resumes and quotes.
    resumed = events[resume]
    assert isinstance(resumed, QuotingResumed) and resumed.ts == T0 + 50 * SEC
    assert isinstance(events[resume + 1], QuoteCycle)
    assert any(isinstance(e, PlaceOrder) for e in events[resume:])
    verdict = verify_session(result.session_dir)
    assert verdict.identical, verdict.divergence


# -- against the local Hyperliquid server: the live feed goes silent, then comes back ------------


async def test_live_silence_pulls_the_quotes_and_fresh_data_resumes_them(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    from actors.config import Config, LiveSection, SessionSection
    from actors.feeds.live import open_live_feed
    from tests.actors.feeds.hl_server import HlServer, HlServerConfig

    server = HlServer(HlServerConfig(speed=20.0))
    await nursery.start(server.run)
    live = LiveSection(ws_url=server.url, heartbeat_interval_ms=50.0, stale_after_s=0.25,
                       silence_timeout_s=0.6, backoff_initial_s=0.05, backoff_max_s=0.4)  # fmt: skip
    session = SessionSection(data_dir=str(tmp_path), duration_s=4.0, speed="1")
    # The recorded tape is real BTC: quote where it trades, and let the gate act alone.
    config = Config(
        session=session,
        live=live,
        quote=QuoteSection(spread_profile="glft", kappa_prior=20_000.0, observe_s=0.0),
    )
    done: list[SessionResult] = []
    ended = trio.Event()

    async def run() -> None:
        done.append(await run_session(config, lambda _d: open_live_feed(config), handle_sigint=False))
        ended.set()

    with trio.fail_after(30):
        nursery.start_soon(run)
        await server.wait_subscribed(await server.wait_connections(1), 5)
        await trio.sleep(1.0)  # quoting on live data
        server.silence_all()
        await server.wait_connections(2)  # the feed gave up on the silent socket and came back
        await ended.wait()
    events = list(read_events(done[0].log_path))
    paused = [i for i, e in enumerate(events) if isinstance(e, QuotingPaused)]
    resumed = [i for i, e in enumerate(events) if isinstance(e, QuotingResumed)]
    assert paused and resumed and paused[0] < resumed[0]
    first = events[paused[0]]
    assert isinstance(first, QuotingPaused) and first.silence_s > 0.25
    assert any(isinstance(e, PlaceOrder) for e in events[: paused[0]])
    assert not [e for e in events[paused[0] : resumed[0]] if isinstance(e, PlaceOrder)]
    assert any(isinstance(e, PlaceOrder) for e in events[resumed[0] :])
    verdict = verify_session(done[0].session_dir)
    assert verdict.identical, verdict.divergence
