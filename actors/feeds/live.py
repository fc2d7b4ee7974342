"""Live Hyperliquid market data: one websocket, kept subscribed, as a ``FeedSource``.

Three layers, from the wire inwards:

- ``LiveClient`` (``live_client``) owns the socket: subscriptions and their acks
  (``subscriptions``, ``subscription_acks``), pings (``keepalive``), and reconnects
  with ``Backoff`` after any loss. It hands every raw frame, stamped with its receive
  wall time (``wall_stamps``), to a ``FrameHandler``: the live feed here, the recorder
  in ``recorder.py``.
- ``LiveEvents`` (``live_events``) is the synchronous core: raw frames in, market
  events out, through ``FrameParser`` and one ``BookView`` that merges the 20-level and
  the fast 5-level book.
- ``LiveFeed`` (here) is what the runtime consumes: events of every frame, ``FeedStatus``
  on every change of health and a wall-clock ``Heartbeat`` (``feed_health``), in
  non-decreasing ``ts``.

Wall time and jitter are read at this edge on purpose: everything it produces is
logged before any actor sees it, so replay never reads a clock.
"""

from __future__ import annotations

import attrs
import structlog
import trio

from actors.config import Config
from actors.feeds.feed_health import FeedHealth
from actors.feeds.live_client import (
    ClientStatistics,
    LiveClient,
)
from actors.feeds.live_events import LiveEvents
from actors.feeds.parser_statistics import ParserStatistics
from actors.feeds.subscriptions import exchange_coin, mids_dex
from actors.feeds.wall_stamps import WallStamps
from events import BookSnapshot, Event, FeedStatus
from events.market import FeedState


@attrs.frozen
class LiveFeedStatistics:
    """Everything the live feed counts."""

    parser: ParserStatistics
    client: ClientStatistics
    books_ignored: int
    heartbeats: int


class LiveFeed:
    """The live Hyperliquid feed as the runtime sees it (``FeedSource``)."""

    name = "hyperliquid"

    def __init__(self, config: Config, *, stamps: WallStamps | None = None) -> None:
        self._stamps = stamps if stamps is not None else WallStamps()
        self.start_ns = self._stamps()
        self.client = LiveClient(config, self._stamps)
        self.core = LiveEvents(
            exchange_coin(config.session), mids_dex(config.session), fast_book=config.live.fast_book
        )
        self.health = FeedHealth(
            self._stamps,
            config.live.heartbeat_interval_ms / 1000.0,
            int(config.live.stale_after_s * 1e9),
            self.start_ns,
        )
        self._send: trio.MemorySendChannel[list[Event]] | None = None

    def statistics(self) -> LiveFeedStatistics:
        """A snapshot of the counters."""
        return LiveFeedStatistics(
            parser=self.core.statistics(),
            client=self.client.statistics(),
            books_ignored=self.core.book.ignored,
            heartbeats=self.health.heartbeats,
        )

    async def run(self, send: trio.MemorySendChannel[list[Event]]) -> None:
        """Stream events into ``send`` until cancelled, then close it."""
        async with send:
            self._send = send
            with structlog.contextvars.bound_contextvars(feed=self.name, url=self.client.url):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self.health.run, self._emit)
                    await self.client.run(self)

    def close(self) -> None:
        """Nothing to release: the socket closes with ``run``."""

    # Every event is stamped right before it is sent, with no checkpoint in between:
    # trio's channel keeps blocked senders in order, so ts never goes backwards.

    async def on_frame(self, recv_ns: int, frame: str | bytes) -> None:
        """Parse a frame and pass on its events (part of ``FrameHandler``)."""
        events = self.core.on_frame(recv_ns, frame)
        if not events:
            return
        if type(events[0]) is BookSnapshot:
            fresh = self.health.on_book(recv_ns)
            if fresh is not None:
                events.insert(0, fresh)
        await self._emit(events)

    async def on_status(self, status: FeedState, detail: str) -> None:
        """Report a connection change as a ``FeedStatus`` (part of ``FrameHandler``)."""
        if status == "connected":
            self.core.book.forget_depth()
        await self._emit([FeedStatus(ts=self._stamps(), status=status, detail=detail)])

    async def _emit(self, events: list[Event]) -> None:
        assert self._send is not None, "run() owns the channel"
        await self._send.send(events)


def open_live_feed(config: Config) -> LiveFeed:
    """The ``hyperliquid`` feed for ``config`` (nothing connects before ``run``).

    Raises ``FeedError`` for a URL that can never work; network trouble never raises.
    """
    from actors.feed_sources import FeedError  # feed_sources imports this module lazily

    try:
        return LiveFeed(config)
    except ValueError as exc:
        raise FeedError(f"live.ws_url: {exc}") from None
