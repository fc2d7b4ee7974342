"""The live Hyperliquid feed against a real local websocket server (loopback only).

Socket tests run on trio's real clock (an autojump clock would jump while the peer's
bytes are in flight) with every wait bounded by ``trio.fail_after``; the pure parts
(backoff, book view, frame core) need no clock at all.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
import structlog
import trio
import trio_websocket
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.config import Config, LiveSection, SessionSection
from actors.feed_sources import FeedError
from actors.feeds.backoff import Backoff
from actors.feeds.book_view import BookView
from actors.feeds.endpoint import MAINNET_WS_URL, TESTNET_WS_URL, ws_url
from actors.feeds.live import LiveFeed, open_live_feed
from actors.feeds.live_events import LiveEvents
from actors.feeds.subscription_acks import concerns
from actors.feeds.subscriptions import subscriptions_for
from events import Bbo, BookSnapshot, Event, FeedStatus, Heartbeat, InputRejected, Mids, Trade
from tests.actors.feeds.hl_server import HlServer, HlServerConfig, real_frames
from tests.conftest import make_book

ALL_STREAMS = 5  # l2Book, fast l2Book, trades, bbo, allMids


async def start_server(nursery: trio.Nursery, **config: Any) -> HlServer:
    server = HlServer(HlServerConfig(**{"speed": 20.0, **config}))
    await nursery.start(server.run)
    return server


def live_config(url: str, *, session: SessionSection | None = None, **live: Any) -> Config:
    """Fast timings for tests; anything can be overridden."""
    settings_ = {
        "ws_url": url,
        "heartbeat_interval_ms": 50.0,
        "backoff_initial_s": 0.2,
        "backoff_max_s": 1.6,
        "backoff_jitter": 0.2,
        "silence_timeout_s": 3.0,
        "ack_timeout_s": 2.0,
        "connect_timeout_s": 2.0,
        **live,
    }
    return Config(session=session or SessionSection(), live=LiveSection(**settings_))


class Received:
    """Everything the feed sent over its channel, with a way to wait for more."""

    def __init__(self) -> None:
        self.batches: list[list[Event]] = []
        self.events: list[Event] = []
        self._change = trio.Event()

    async def collect(self, receive: trio.MemoryReceiveChannel[list[Event]]) -> None:
        async with receive:
            async for batch in receive:
                self.batches.append(batch)
                self.events.extend(batch)
                self._change.set()
                self._change = trio.Event()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        while not predicate():
            await self._change.wait()

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if type(e) is kind]

    def statuses(self) -> list[tuple[str, str]]:
        return [(e.status, e.detail) for e in self.of(FeedStatus)]

    def count(self, kind: type[Event]) -> Callable[[], int]:
        return lambda: sum(1 for e in self.events if type(e) is kind)


def start_feed(nursery: trio.Nursery, config: Config) -> tuple[LiveFeed, Received]:
    feed = LiveFeed(config)
    send, receive = trio.open_memory_channel[list[Event]](8)
    received = Received()
    nursery.start_soon(feed.run, send)
    nursery.start_soon(received.collect, receive)
    return feed, received


def assert_ts_non_decreasing(events: list[Event]) -> None:
    stamps = [e.ts for e in events]
    assert all(a <= b for a, b in zip(stamps, stamps[1:], strict=False))


# --- end to end over the socket


async def test_subscribes_and_streams_real_market_data(nursery: trio.Nursery) -> None:
    server = await start_server(nursery, greeting=True)  # a plain-text first frame is tolerated
    feed, got = start_feed(nursery, live_config(server.url))
    wanted = {BookSnapshot, Trade, Mids, Bbo, Heartbeat}
    with trio.fail_after(10):
        await got.wait_for(lambda: wanted <= {type(e) for e in got.events} and len(got.of(Heartbeat)) >= 5)
        # A full book has arrived, so the fast books that follow are deepened to 20 levels.
        await got.wait_for(lambda: any(len(b.bid_px) == 20 for b in got.of(BookSnapshot)[1:]))

    conn = server.connections[0]
    sent = [json.loads(r) for r in conn.requests if '"subscribe"' in r]
    assert [s["subscription"] for s in sent] == [
        {"type": "l2Book", "coin": "BTC"},
        {"type": "l2Book", "coin": "BTC", "fast": True},
        {"type": "trades", "coin": "BTC"},
        {"type": "bbo", "coin": "BTC"},
        {"type": "allMids"},
    ]
    assert len(conn.acks) == ALL_STREAMS
    assert got.events[0] == FeedStatus(ts=got.events[0].ts, status="connected", detail=server.url)
    assert_ts_non_decreasing(got.events)
    assert feed.start_ns <= got.events[0].ts

    trade = got.of(Trade)[0]
    assert trade.coin == "BTC" and trade.side in ("B", "A") and trade.px > 0 and trade.exchange_ts > 0
    assert {m.coin for m in got.of(Mids)} == {"BTC"}
    books = got.of(BookSnapshot)
    assert all(b.bid_px[0] < b.ask_px[0] for b in books)
    exchange_times = [b.exchange_ts for b in books]
    assert exchange_times == sorted(exchange_times)
    beats = got.of(Heartbeat)
    assert all(b.ts == b.wall_ns for b in beats)
    # Their spacing is tested on a mock clock (test_feed_health.py): wall time here is the
    # machine's, and a loaded machine wakes late.
    assert all(a.ts < b.ts for a, b in zip(beats, beats[1:], strict=False))
    stats = feed.statistics()
    assert stats.client.acks == ALL_STREAMS and stats.client.connects == 1
    assert stats.parser.rejected == 0


async def test_hip3_coin_and_dex_mids(nursery: trio.Nursery) -> None:
    server = await start_server(nursery, dex="xyz")
    session = SessionSection(asset="BTC", dex="xyz")
    _, got = start_feed(nursery, live_config(server.url, session=session, bbo=False))
    with trio.fail_after(10):
        await got.wait_for(lambda: bool(got.of(Mids)) and bool(got.of(BookSnapshot)) and bool(got.of(Trade)))
    subs = [json.loads(r)["subscription"] for r in server.connections[0].requests]
    assert {"type": "trades", "coin": "xyz:BTC"} in subs and {"type": "allMids", "dex": "xyz"} in subs
    assert {e.coin for e in got.events if isinstance(e, BookSnapshot | Trade | Mids)} == {"xyz:BTC"}


async def test_reconnects_and_resubscribes_after_a_drop_within_twice_the_backoff(
    nursery: trio.Nursery,
) -> None:
    server = await start_server(nursery)
    feed, got = start_feed(nursery, live_config(server.url, backoff_initial_s=0.2, backoff_jitter=0.2))
    with trio.fail_after(10):
        first = await server.wait_connections(1)
        await server.wait_subscribed(first, ALL_STREAMS)
        dropped_at = trio.current_time()
        assert server.drop_all() == 1
        second = await server.wait_connections(2)
        await server.wait_subscribed(second, ALL_STREAMS)
    took = trio.current_time() - dropped_at
    assert took < 2 * 0.2, f"resubscribed {took:.3f} s after the drop"
    with trio.fail_after(5):
        await got.wait_for(lambda: any(e.ts > got.of(FeedStatus)[-1].ts for e in got.of(BookSnapshot)))
    kinds = [status for status, _ in got.statuses()]
    assert kinds == ["connected", "disconnected", "reconnecting", "connected"]
    assert "1006" in got.statuses()[1][1]
    assert feed.statistics().client.connects == 2


async def test_silence_triggers_a_reconnect(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    _, got = start_feed(nursery, live_config(server.url, silence_timeout_s=0.3, backoff_initial_s=0.1))
    with trio.fail_after(10):
        first = await server.wait_connections(1)
        await server.wait_subscribed(first, ALL_STREAMS)
        silenced_at = trio.current_time()
        server.silence_all()
        second = await server.wait_connections(2)
    took = trio.current_time() - silenced_at
    assert 0.3 <= took < 0.3 + 2 * 0.1 + 0.2
    status, detail = got.statuses()[1]
    assert (status, detail) == ("disconnected", "silent for 0.3 s")
    with trio.fail_after(5):
        await server.wait_subscribed(second, ALL_STREAMS)


async def test_stale_then_fresh_on_wall_time(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    config = live_config(server.url, stale_after_s=0.25, silence_timeout_s=0.6, backoff_initial_s=0.05)
    _, got = start_feed(nursery, config)
    with trio.fail_after(10):
        await server.wait_subscribed(await server.wait_connections(1), ALL_STREAMS)
        await got.wait_for(got.count(BookSnapshot))
        server.silence_all()
        await got.wait_for(lambda: "fresh" in [s for s, _ in got.statuses()])
    kinds = [s for s, _ in got.statuses()]
    assert kinds.index("stale") < kinds.index("disconnected") < kinds.index("fresh")
    stale = next(e for e in got.of(FeedStatus) if e.status == "stale")
    last_book = max(b.ts for b in got.of(BookSnapshot) if b.ts < stale.ts)
    assert 0.25e9 < stale.ts - last_book < 0.25e9 + 0.1e9  # caught by the next 50 ms heartbeat
    fresh_at = next(i for i, e in enumerate(got.events) if isinstance(e, FeedStatus) and e.status == "fresh")
    assert type(got.events[fresh_at + 1]) is BookSnapshot


async def test_pings_whenever_nothing_was_sent(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    feed, _ = start_feed(nursery, live_config(server.url, ping_interval_s=0.1))
    with trio.fail_after(10):
        conn = await server.wait_connections(1)
        await server.wait_subscribed(conn, ALL_STREAMS)
        start = trio.current_time()
        await server.wait_until(lambda: conn.pings >= 4)
    assert trio.current_time() - start >= 0.3  # one per 0.1 s of quiet, not a burst
    assert '{"method":"ping"}' in conn.requests
    assert feed.statistics().client.pings >= 4
    assert feed.statistics().parser.control >= ALL_STREAMS + 3  # acks and pongs (the last may be in flight)


async def test_pings_keep_an_idle_socket_open_where_the_server_would_close_it(nursery: trio.Nursery) -> None:
    server = await start_server(nursery, idle_timeout_s=0.3)
    lazy, _ = start_feed(nursery, live_config(server.url, ping_interval_s=1.0))
    with trio.fail_after(10):
        await server.wait_connections(2)  # closed for idling, reconnected
    assert lazy.statistics().client.disconnects >= 1

    keen_server = await start_server(nursery, idle_timeout_s=0.3)
    keen, _ = start_feed(nursery, live_config(keen_server.url, ping_interval_s=0.1))
    await trio.sleep(1.0)  # real time: the server's idle clock runs on it
    assert len(keen_server.connections) == 1 and not keen_server.connections[0].closed
    assert keen.statistics().client.disconnects == 0


async def test_trades_replayed_after_a_reconnect_are_deduplicated(nursery: trio.Nursery) -> None:
    server = await start_server(nursery, recent_trades=30)
    feed, got = start_feed(nursery, live_config(server.url, backoff_initial_s=0.1))
    with trio.fail_after(15):
        await got.wait_for(lambda: len(got.of(Trade)) >= 40)
        server.drop_all()
        second = await server.wait_connections(2)
        await server.wait_subscribed(second, ALL_STREAMS)
        seen = len(got.of(Trade))
        await got.wait_for(lambda: len(got.of(Trade)) >= seen + 20)
    keys = [(t.coin, t.exchange_ts, t.tid) for t in got.of(Trade)]
    assert len(keys) == len(set(keys))
    assert feed.statistics().parser.duplicate_trades >= 15  # the replay overlapped what we had
    assert [t.exchange_ts for t in got.of(Trade)] == sorted(t.exchange_ts for t in got.of(Trade))


@pytest.mark.parametrize(("mode", "detail"), [("error", "Invalid subscription"), ("close", "1006")])
async def test_refused_subscription_reconnects_with_growing_backoff(
    nursery: trio.Nursery, mode: str, detail: str
) -> None:
    server = await start_server(nursery, invalid_mode=mode)
    server.refused_types.add("bbo")
    _, got = start_feed(nursery, live_config(server.url, backoff_initial_s=0.05, backoff_jitter=0.0))
    refusals = lambda: sum(1 for s, _ in got.statuses() if s == "disconnected")  # noqa: E731
    with trio.fail_after(10):
        await got.wait_for(lambda: refusals() >= 4)
        server.refused_types.clear()
        fifth = await server.wait_connections(5)
        await server.wait_subscribed(fifth, ALL_STREAMS)
        await got.wait_for(got.count(Bbo))
    opened = [c.opened_at for c in server.connections]
    gaps = np.diff(opened)
    # Never sooner than the backoff (trio never wakes early); how much later depends on
    # the machine's load, so only the delays themselves are exact (Backoff's own test).
    for gap, delay in zip(gaps, [0.05, 0.1, 0.2, 0.4], strict=True):
        assert delay <= gap
    disconnects = [d for s, d in got.statuses() if s == "disconnected"]
    assert len(disconnects) == 4 and all(detail in d for d in disconnects)


async def test_withheld_acks_time_out_and_reconnect(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    server.withhold_acks = True
    feed, got = start_feed(nursery, live_config(server.url, ack_timeout_s=0.3, backoff_initial_s=0.05))
    with trio.fail_after(10):
        await server.wait_connections(2)
    detail = dict(got.statuses())["disconnected"]
    assert detail.startswith("no acknowledgement in 0.3 s for: l2Book, l2Book, trades, bbo, allMids")
    assert feed.statistics().client.ack_timeouts >= 1


async def test_unreachable_server_keeps_retrying_without_raising(nursery: trio.Nursery) -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now: connection refused
    _, got = start_feed(nursery, live_config(f"ws://127.0.0.1:{port}/ws", backoff_initial_s=0.02))
    with trio.fail_after(5):
        await got.wait_for(lambda: len(got.statuses()) >= 3 and got.count(Heartbeat)() >= 3)
    assert {s for s, _ in got.statuses()} == {"reconnecting"}
    assert "ConnectionRefusedError" in got.statuses()[0][1] or "OSError" in got.statuses()[0][1]


# --- malformed frames


def _mutations() -> list[Callable[[str, int], str | bytes]]:
    """Edits that turn any real data frame (l2Book, trades, bbo) into a rejected one."""

    def sub(pattern: str, replacement: str) -> Callable[[str, int], str]:
        return lambda frame, _: re.sub(pattern, replacement, frame, count=1)

    return [
        lambda frame, i: frame[: max(1, len(frame) * (1 + i % 6) // 7)],  # torn: invalid JSON
        sub(r'"px":"[^"]*"', '"px":"NaN"'),
        sub(r'"sz":"[^"]*"', '"sz":"-1.5"'),
        sub(r'"px":"[^"]*"', '"px":"abc"'),
        sub(r'"time":\d+,', ""),  # missing field
        sub(r'"time":\d+', '"time":-5'),
        sub(r'"data":', '"data":"oops","was":'),
        sub(r'"px":"[^"]*"', '"px":"0.0"'),
        sub(r'"channel":', '"chanel":'),
        lambda frame, i: frame.encode()[: len(frame) // 2] + b"\xff\xfe",  # binary, not UTF-8
    ]


MUTATIONS = _mutations()


def malformed_frames(count: int) -> Iterator[str | bytes]:
    """``count`` deterministic mutations of real recorded frames."""
    frames = real_frames(count=300)
    for i in range(count):
        yield MUTATIONS[i % len(MUTATIONS)](frames[(i * 7) % len(frames)], i)


async def test_ten_thousand_malformed_frames_are_all_counted_and_the_feed_keeps_running(
    nursery: trio.Nursery,
) -> None:
    bad = 10_000
    server = await start_server(nursery, speed=40.0)
    server.inject_malformed(malformed_frames(bad), per_frame=40)
    with structlog.testing.capture_logs() as logs:
        feed, got = start_feed(nursery, live_config(server.url))
        with trio.fail_after(30):
            await got.wait_for(lambda: got.count(InputRejected)() >= bad)
            rejected_at = len(got.events)
            await got.wait_for(lambda: any(type(e) is BookSnapshot for e in got.events[rejected_at:]))
    stats = feed.statistics()
    assert sum(c.malformed_sent for c in server.connections) == bad
    assert got.count(InputRejected)() == bad == stats.parser.rejected
    assert sum(stats.parser.rejected_by_kind.values()) == bad
    assert len([log for log in logs if log["event"] == "frame_rejected"]) == bad
    kinds = Counter(e.kind for e in got.of(InputRejected))
    assert {
        "invalid_json",
        "non_finite",
        "non_positive",
        "bad_number",
        "missing_field",
        "out_of_range",
    } <= set(kinds)
    assert stats.client.connects == 1 and [s for s, _ in got.statuses()] == ["connected"]
    assert got.of(Trade) and got.of(Bbo) and got.of(Mids)
    assert_ts_non_decreasing(got.events)


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.integers(0, 299), st.integers(0, len(MUTATIONS) - 1), st.integers(0, 1000)),
        min_size=1,
        max_size=40,
    )
)
def test_every_mutated_frame_is_rejected_exactly_once(picks: list[tuple[int, int, int]]) -> None:
    frames = real_frames(count=300)
    core = LiveEvents("BTC")
    out: list[Event] = []
    for n, (frame_i, mutation_i, salt) in enumerate(picks):
        out += core.on_frame(1_000 + n, MUTATIONS[mutation_i](frames[frame_i], salt))
    assert [type(e) for e in out] == [InputRejected] * len(picks)
    assert core.statistics().rejected == len(picks) == core.statistics().frames


@settings(max_examples=100)
@given(st.lists(st.one_of(st.text(max_size=200), st.binary(max_size=200)), max_size=30))
def test_arbitrary_frames_never_raise_and_every_rejection_is_an_event(frames: list[str | bytes]) -> None:
    core = LiveEvents("BTC")
    rejections = 0
    for n, frame in enumerate(frames):
        events = core.on_frame(1_000 + n, frame)
        if any(type(e) is InputRejected for e in events):
            assert len(events) == 1  # a frame is rejected whole, with exactly one event
            rejections += 1
    stats = core.statistics()
    assert stats.frames == len(frames)
    assert rejections == stats.rejected


# --- the pure parts


def test_book_view_ignores_a_fast_book_older_than_the_last_full_one() -> None:
    view = BookView()
    full = make_book(ts=10, levels=20, bid=99.99, ask=100.01, step=0.01)
    full = msgspec.structs.replace(full, exchange_ts=2_000)
    assert view.on_full(full) is full
    old_fast = msgspec.structs.replace(make_book(ts=11, levels=5), exchange_ts=1_999)
    assert view.on_fast(old_fast) is None
    assert view.ignored == 1

    fast = msgspec.structs.replace(make_book(ts=12, levels=5, bid=100.00, ask=100.02), exchange_ts=2_500)
    merged = view.on_fast(fast)
    assert merged is not None
    assert merged.bid_px[:5] == fast.bid_px and merged.ask_px[:5] == fast.ask_px
    # Bids: 5 fast + 15 of the 16 full levels below 99.96; asks: 5 + the 14 above 100.06.
    assert (len(merged.bid_px), len(merged.ask_px)) == (20, 19)
    assert all(a > b for a, b in zip(merged.bid_px, merged.bid_px[1:], strict=False))
    assert all(a < b for a, b in zip(merged.ask_px, merged.ask_px[1:], strict=False))
    assert merged.bid_px[5] < fast.bid_px[-1] and merged.ask_px[5] > fast.ask_px[-1]

    # A full book older than the view is not emitted, but it is the freshest depth.
    late_full = msgspec.structs.replace(full, ts=13, exchange_ts=2_100)
    assert view.on_full(late_full) is None
    # A side with fewer than five levels has nothing deeper: nothing is resurrected.
    thin = msgspec.structs.replace(make_book(ts=14, levels=3), exchange_ts=3_000)
    assert view.on_fast(thin) == thin
    view.forget_depth()
    fast2 = msgspec.structs.replace(fast, exchange_ts=3_100)
    assert view.on_fast(fast2) == fast2


def test_backoff_doubles_to_the_cap_with_bounded_seeded_jitter() -> None:
    backoff = Backoff(0.25, 30.0, 0.2, np.random.default_rng(7))
    delays = [backoff.next_delay() for _ in range(12)]
    bases = [min(30.0, 0.25 * 2**n) for n in range(12)]
    assert all(base <= d < base * 1.2 for d, base in zip(delays, bases, strict=True))
    again = Backoff(0.25, 30.0, 0.2, np.random.default_rng(7))
    assert [again.next_delay() for _ in range(12)] == delays
    backoff.reset()
    assert backoff.next_delay() < 0.25 * 1.2
    for _ in range(5000):  # no overflow however long the outage
        backoff.next_delay()
    assert backoff.next_delay() < 30.0 * 1.2


def test_urls_and_subscriptions_follow_the_config() -> None:
    with pytest.raises(FeedError, match="live.ws_url"):
        open_live_feed(Config(live=LiveSection(ws_url="http://example.invalid/ws")))
    assert ws_url(LiveSection()) == MAINNET_WS_URL
    assert ws_url(LiveSection(network="testnet")) == TESTNET_WS_URL
    assert ws_url(LiveSection(ws_url="ws://127.0.0.1:1/ws")) == "ws://127.0.0.1:1/ws"
    lean = Config(live=LiveSection(fast_book=False, bbo=False, all_mids=False))
    assert subscriptions_for(lean) == ({"type": "l2Book", "coin": "BTC"}, {"type": "trades", "coin": "BTC"})
    hip3 = Config(session=SessionSection(asset="TSLA", dex="xyz"))
    assert subscriptions_for(hip3)[0] == {"type": "l2Book", "coin": "xyz:TSLA"}
    assert subscriptions_for(hip3)[-1] == {"type": "allMids", "dex": "xyz"}
    # Errors are matched to a subscription by subset, either way round.
    normalised = {"type": "l2Book", "coin": "BTC", "nSigFigs": None, "mantissa": None, "fast": False}
    assert concerns({"type": "l2Book", "coin": "BTC"}, normalised)
    assert not concerns({"type": "l2Book", "coin": "BTC", "fast": True}, normalised)
    assert not concerns({"type": "trades", "coin": "BTC"}, {"method": "ping"})


# --- the test server itself


async def test_the_local_server_speaks_the_hyperliquid_protocol(nursery: trio.Nursery) -> None:
    server = await start_server(nursery)
    async with trio_websocket.open_websocket_url(server.url) as ws:

        async def ask(request: object) -> dict[str, Any]:
            await ws.send_message(request if isinstance(request, str) else json.dumps(request))
            while True:  # skip pushed data
                reply = json.loads(await ws.get_message())
                if reply["channel"] not in ("l2Book", "trades", "bbo", "allMids"):
                    return reply  # type: ignore[no-any-return]

        with trio.fail_after(10):
            assert await ask({"method": "ping"}) == {"channel": "pong"}
            ack = await ask(
                {"method": "subscribe", "subscription": {"type": "l2Book", "coin": "BTC", "nSigFigs": 4}}
            )
            assert ack["data"]["subscription"] == {
                "type": "l2Book",
                "coin": "BTC",
                "nSigFigs": 4,
                "mantissa": None,
                "fast": False,
            }
            again = await ask(
                {"method": "subscribe", "subscription": {"type": "l2Book", "coin": "BTC", "nSigFigs": 4}}
            )
            assert again["data"].startswith('Already subscribed: {"type":"l2Book","coin":"BTC","nSigFigs":4')
            bad = await ask("not json")
            assert bad == {
                "channel": "error",
                "data": "Error parsing JSON into valid websocket request: not json",
            }
            array = await ask({"method": "subscribe", "subscription": {"type": "trades", "coin": ["BTC"]}})
            assert array["data"].startswith("Error parsing JSON")
            invalid = await ask({"method": "subscribe", "subscription": {"type": "trades", "coin": "btc"}})
            assert invalid["data"] == 'Invalid subscription: {"type":"trades","coin":"btc"}'
            gone = await ask({"method": "unsubscribe", "subscription": {"type": "bbo", "coin": "BTC"}})
            assert gone["data"].startswith("Already unsubscribed")
            post = await ask(
                {
                    "method": "post",
                    "id": 3,
                    "request": {"type": "info", "payload": {"type": "l2Book", "coin": "BTC"}},
                }
            )
            assert (
                post["data"]["id"] == 3
                and len(post["data"]["response"]["payload"]["data"]["levels"][0]) == 20
            )

            await ws.send_message(
                json.dumps({"method": "subscribe", "subscription": {"type": "trades", "coin": "BTC"}})
            )
            replies = [json.loads(await ws.get_message()) for _ in range(2)]
            trades_ack = next(r for r in replies if r["channel"] == "subscriptionResponse")
            assert replies.index(trades_ack) == 0  # the ack comes before any trades
            replay = replies[1]
            assert replay["channel"] == "trades" and len(replay["data"]) == 30
            assert set(replay["data"][0]) == {"coin", "side", "px", "sz", "time", "hash", "tid", "users"}

            book = None
            while book is None:
                frame = json.loads(await ws.get_message())
                book = frame if frame["channel"] == "l2Book" else None
            bids = [float(level["px"]) for level in book["data"]["levels"][0]]
            assert all(px % 10 == 0 for px in bids) and bids == sorted(bids, reverse=True)  # 4 sig figs


# --- the command line


async def test_paper_command_runs_end_to_end_against_the_local_server(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    server = await start_server(nursery, speed=2.0)
    papermm = Path(sys.executable).with_name("papermm")
    command = [
        str(papermm),
        "paper",
        "--feed",
        "hyperliquid",
        "--set",
        f"live.ws_url={server.url}",
        "--duration",
        "5",
        "--speed",
        "1",
        "--json",
        "--data-dir",
        str(tmp_path),
    ]
    with trio.fail_after(45):
        done = await trio.run_process(command, capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, done.stderr.decode()[-4000:]
    summary = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert summary["end_reason"] == "duration"
    assert summary["market_events"] > 0 and 4.5 <= summary["market_seconds"] <= 6.5
    assert len(server.connections) == 1 and len(server.connections[0].acks) == ALL_STREAMS
    assert summary["session_dir"].startswith(str(tmp_path / "sessions" / "BTC"))
    assert await trio.Path(summary["session_dir"], "events.log").exists()
