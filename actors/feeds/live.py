"""Live Hyperliquid market data: one websocket, kept subscribed, as a ``FeedSource``.

Three layers, from the wire inwards:

- ``LiveClient`` owns the socket. It connects, subscribes (one frame per stream),
  checks every acknowledgement, pings when it has sent nothing for a while, and on any
  close, error, refused subscription or silence reconnects with exponential backoff.
  It hands every raw frame, stamped with its receive wall time, to a ``FrameHandler``
  (the live feed here, the recorder in ``recorder.py``). Network trouble never leaves it.
- ``LiveEvents`` is the synchronous core: raw frames in, market events out, through
  ``FrameParser`` and one book view that merges the 20-level and the fast 5-level book.
- ``LiveFeed`` is what the runtime consumes: events of every frame, ``FeedStatus`` on
  every change of health and a wall-clock ``Heartbeat``, in non-decreasing ``ts``.

Wall time and jitter are read here on purpose: this is the I/O edge, and everything it
produces is logged before any actor sees it, so replay never reads a clock.
"""

from __future__ import annotations

import ssl
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final, NoReturn, Protocol

import attrs
import msgspec
import numpy as np
import structlog
import trio
import trio_websocket

from actors.config import Config, LiveSection, SessionSection
from actors.feeds.frames import FrameParser, ParserStatistics, TradeDeduper
from events import BookSnapshot, Event, FeedStatus, Heartbeat
from events.market import FeedState

_log = structlog.get_logger("papermm.feeds.live")

MAINNET_WS_URL: Final = "wss://api.hyperliquid.xyz/ws"
TESTNET_WS_URL: Final = "wss://api.hyperliquid-testnet.xyz/ws"
#: An allMids frame of the first dex is ~20 KB; 4 MiB leaves room for anything public.
MAX_MESSAGE_SIZE: Final = 4 * 1024 * 1024
#: Frames trio-websocket buffers while a batch waits for the sequencer. Bounded on purpose.
MESSAGE_QUEUE_SIZE: Final = 256
FAST_BOOK_LEVELS: Final = 5
#: How long a polite close (close frame, wait for the peer's) may take.
CLOSE_TIMEOUT_S: Final = 1.0
_PING: Final = '{"method":"ping"}'
_ENCODER = msgspec.json.Encoder()

Subscription = dict[str, str | bool]

#: What a dropped, refused or broken connection raises; all of them mean "reconnect".
NETWORK_ERRORS: Final = (
    trio_websocket.ConnectionClosed,
    trio_websocket.HandshakeError,
    trio.BrokenResourceError,
    trio.TooSlowError,
    OSError,
)


# --- what to connect to and subscribe


def ws_url(live: LiveSection) -> str:
    """``live.ws_url``, else the network's public endpoint."""
    if live.ws_url:
        return live.ws_url
    return TESTNET_WS_URL if live.network == "testnet" else MAINNET_WS_URL


def exchange_coin(session: SessionSection) -> str:
    """The coin as the exchange names it: HIP-3 coins are ``dex:COIN``."""
    if session.dex and ":" not in session.asset:
        return f"{session.dex}:{session.asset}"
    return session.asset


def mids_dex(session: SessionSection) -> str:
    """The dex whose ``allMids`` carries the coin ("" is the first perp dex)."""
    coin = exchange_coin(session)
    return coin.split(":", 1)[0] if ":" in coin else ""


def subscriptions_for(config: Config) -> tuple[Subscription, ...]:
    """Every stream the live feed subscribes, in the order it sends them."""
    coin = exchange_coin(config.session)
    live = config.live
    subs: list[Subscription] = [{"type": "l2Book", "coin": coin}]
    if live.fast_book:
        subs.append({"type": "l2Book", "coin": coin, "fast": True})
    subs.append({"type": "trades", "coin": coin})
    if live.bbo:
        subs.append({"type": "bbo", "coin": coin})
    if live.all_mids:
        dex = mids_dex(config.session)
        subs.append({"type": "allMids", "dex": dex} if dex else {"type": "allMids"})
    return tuple(subs)


def is_subset(sent: Mapping[str, object], echo: object) -> bool:
    """Whether ``echo`` carries every key of ``sent`` with the same value.

    The server normalises what it echoes (an ``l2Book`` ack adds ``nSigFigs``,
    ``mantissa`` and ``fast``), so acks and errors are matched by subset, not equality.
    """
    return isinstance(echo, dict) and all(key in echo and echo[key] == value for key, value in sent.items())


class _Control(msgspec.Struct, frozen=True):
    channel: str
    data: object = None


_CONTROL = msgspec.json.Decoder(_Control)
_ANY_JSON = msgspec.json.Decoder()


def _control_frame(frame: str | bytes) -> _Control | None:
    """The channel and data of an ack or error frame; None for anything else."""
    # A substring test first: data frames (almost all traffic) skip the second decode.
    if isinstance(frame, str):
        if '"subscriptionResponse"' not in frame and '"error"' not in frame:
            return None
    elif b'"subscriptionResponse"' not in frame and b'"error"' not in frame:
        return None
    try:
        control = _CONTROL.decode(frame)
    except (msgspec.DecodeError, UnicodeError):
        return None
    return control if control.channel in ("subscriptionResponse", "error") else None


def quoted_subscription(message: str) -> object:
    """The JSON an error message quotes after its prefix (a whole request or a subscription)."""
    start = message.find("{")
    if start < 0:
        return None
    try:
        quoted = _ANY_JSON.decode(message[start:])
    except msgspec.DecodeError:
        return None
    if isinstance(quoted, dict) and isinstance(quoted.get("subscription"), dict):
        return quoted["subscription"]
    return quoted


def concerns(sub: Subscription, quoted: object) -> bool:
    """Whether an error that quotes ``quoted`` is about the subscription ``sub``."""
    if not isinstance(quoted, dict) or "type" not in quoted:
        return False
    return is_subset(sub, quoted) or is_subset(quoted, sub)


@attrs.frozen
class Endpoint:
    """Where a ``ws://`` or ``wss://`` URL points."""

    host: str
    port: int
    resource: str
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        """Parse ``url``; ValueError when it is not a websocket URL."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
        tls = parts.scheme == "wss"
        resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname, parts.port or (443 if tls else 80), resource, tls)

    @property
    def host_header(self) -> str:
        return self.host if self.port in (80, 443) else f"{self.host}:{self.port}"

    async def open_stream(self) -> trio.SocketStream | trio.SSLStream[trio.SocketStream]:
        """A TCP (and TLS for wss) stream to the endpoint."""
        if self.tls:
            context = ssl.create_default_context()
            return await trio.open_ssl_over_tcp_stream(self.host, self.port, ssl_context=context, https_compatible=True)
        return await trio.open_tcp_stream(self.host, self.port)


# --- timing at the edge


class WallStamps:
    """Receive times: the wall clock in ns, never going backwards (NTP may step it)."""

    def __init__(self, source: Callable[[], int] = time.time_ns) -> None:
        self._source = source
        self.last = 0

    def __call__(self) -> int:
        now = self._source()
        if now < self.last:
            now = self.last
        self.last = now
        return now


@attrs.define
class Backoff:
    """Exponential reconnect delays with multiplicative jitter.

    The n-th delay is ``min(max_s, initial_s * 2**n) * (1 + jitter * u)``, u uniform in
    [0, 1) from a generator seeded by the session seed (delays are not logged events,
    but a seeded edge is easier to debug).
    """

    initial_s: float
    max_s: float
    jitter: float
    rng: np.random.Generator
    attempts: int = 0

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the base."""
        base = min(self.max_s, self.initial_s * 2.0 ** min(self.attempts, 60))
        self.attempts += 1
        return base * (1.0 + self.jitter * float(self.rng.random()))

    def reset(self) -> None:
        """Start again from ``initial_s`` (after a stable connection)."""
        self.attempts = 0


# --- the socket


class FrameHandler(Protocol):
    """Where ``LiveClient`` delivers what it receives."""

    async def on_frame(self, recv_ns: int, frame: str | bytes) -> None:
        """One raw frame, as received, with its receive wall time."""
        ...

    async def on_status(self, status: FeedState, detail: str) -> None:
        """The connection changed: connected, disconnected or reconnecting."""
        ...


@attrs.frozen
class ClientStatistics:
    """Counters of one ``LiveClient`` since it was made."""

    connects: int
    disconnects: int
    frames: int
    acks: int
    pings: int
    silences: int
    ack_timeouts: int
    subscription_errors: int
    server_errors: int


class _Lost(Exception):
    """This connection is over; ``polite`` when the peer is alive enough for a close frame."""

    def __init__(self, reason: str, *, polite: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.polite = polite


class LiveClient:
    """Keeps one websocket subscribed to the session's streams until cancelled."""

    def __init__(self, config: Config, stamps: WallStamps) -> None:
        self.url = ws_url(config.live)
        self.endpoint = Endpoint.from_url(self.url)
        self.subscriptions = subscriptions_for(config)
        self._live = config.live
        self._stamps = stamps
        self._backoff = Backoff(
            config.live.backoff_initial_s,
            config.live.backoff_max_s,
            config.live.backoff_jitter,
            np.random.default_rng(config.session.seed),
        )
        self._last_send = 0.0
        self._counts = dict.fromkeys(attrs.fields_dict(ClientStatistics), 0)
        self._log = _log.bind(url=self.url)

    def statistics(self) -> ClientStatistics:
        """A snapshot of the counters."""
        return ClientStatistics(**self._counts)

    async def run(self, handler: FrameHandler) -> NoReturn:
        """Connect, and reconnect after every loss, forever; only cancellation ends it."""
        reason = ""
        while True:
            if reason:
                delay = self._backoff.next_delay()
                self._log.info("reconnecting", delay_s=round(delay, 3), after=reason)
                await handler.on_status("reconnecting", f"in {delay:.3f} s after: {reason}")
                await trio.sleep(delay)
            reason, up_s = await self._connect_once(handler)
            if up_s >= self._live.stable_after_s:
                self._backoff.reset()

    async def _connect_once(self, handler: FrameHandler) -> tuple[str, float]:
        """One connection, from connect to loss: why it ended and how long it was up."""
        reason = "closed"
        up_since: float | None = None
        endpoint = self.endpoint
        try:
            deadline = trio.current_time() + self._live.connect_timeout_s
            with trio.fail_at(deadline):
                stream = await endpoint.open_stream()
            # We own the TCP stream and close it on every way out: trio-websocket leaves
            # it open after an abrupt close by the peer.
            async with stream, trio.open_nursery() as nursery:
                with trio.fail_at(deadline):
                    ws = await trio_websocket.wrap_client_stream(
                        nursery,
                        stream,
                        endpoint.host_header,
                        endpoint.resource,
                        message_queue_size=MESSAGE_QUEUE_SIZE,
                        max_message_size=MAX_MESSAGE_SIZE,
                    )
                up_since = trio.current_time()
                self._counts["connects"] += 1
                try:
                    await self._serve(ws, nursery, handler)
                except _Lost as lost:
                    reason = lost.reason
                    if lost.polite:  # a silent peer gets no close handshake to wait for
                        with trio.move_on_after(CLOSE_TIMEOUT_S):
                            await ws.aclose()
                nursery.cancel_scope.cancel(f"connection ended: {reason}")
        except* NETWORK_ERRORS as group:
            reason = _describe(group.exceptions[0])
        up_s = 0.0 if up_since is None else trio.current_time() - up_since
        if up_since is not None:
            self._counts["disconnects"] += 1
            self._log.warning("disconnected", reason=reason, up_s=round(up_s, 3))
            await handler.on_status("disconnected", reason)
        else:
            self._log.warning("connect_failed", reason=reason)
        return reason, up_s

    async def _send(self, ws: trio_websocket.WebSocketConnection, text: str) -> None:
        self._last_send = trio.current_time()
        await ws.send_message(text)

    async def _keepalive(self, ws: trio_websocket.WebSocketConnection) -> None:
        """Ping whenever nothing was sent for ``ping_interval_s`` (the server drops idle sockets)."""
        interval = self._live.ping_interval_s
        while True:
            due = self._last_send + interval
            if trio.current_time() < due:
                await trio.sleep_until(due)
                continue
            try:
                await self._send(ws, _PING)
            except trio_websocket.ConnectionClosed:
                return  # the receive loop sees the close and reports it
            self._counts["pings"] += 1

    async def _serve(
        self, ws: trio_websocket.WebSocketConnection, nursery: trio.Nursery, handler: FrameHandler
    ) -> NoReturn:
        """Subscribe, then deliver frames until the connection is lost (raises ``_Lost``)."""
        live = self._live
        self._log.info("connected")
        await _unless_network(handler.on_status("connected", self.url))
        pending = list(self.subscriptions)
        for sub in pending:
            await self._send(ws, _ENCODER.encode({"method": "subscribe", "subscription": sub}).decode())
        ack_deadline = trio.current_time() + live.ack_timeout_s
        nursery.start_soon(self._keepalive, ws)
        last_frame = trio.current_time()
        while True:
            deadline = last_frame + live.silence_timeout_s
            if pending:
                deadline = min(deadline, ack_deadline)
            # Only the wait for a frame is timed: a handler blocked on a busy sequencer
            # is backpressure, not silence.
            with trio.move_on_at(deadline) as waiting:
                frame = await ws.get_message()
            if waiting.cancelled_caught:
                if pending and trio.current_time() >= ack_deadline:
                    self._counts["ack_timeouts"] += 1
                    types = ", ".join(str(sub["type"]) for sub in pending)
                    raise _Lost(f"no acknowledgement in {live.ack_timeout_s} s for: {types}", polite=True)
                self._counts["silences"] += 1
                raise _Lost(f"silent for {live.silence_timeout_s} s", polite=False)
            recv_ns = self._stamps()
            last_frame = trio.current_time()
            self._counts["frames"] += 1
            await _unless_network(handler.on_frame(recv_ns, frame))
            control = _control_frame(frame)
            if control is not None:
                self._on_control(control, pending)

    def _on_control(self, control: _Control, pending: list[Subscription]) -> None:
        """Tick off acknowledgements; a refused subscription ends the connection."""
        data = control.data
        if control.channel == "subscriptionResponse":
            if not isinstance(data, dict) or data.get("method") != "subscribe":
                return
            echo = data.get("subscription")
            for i, sub in enumerate(pending):
                if is_subset(sub, echo):
                    del pending[i]
                    self._counts["acks"] += 1
                    if not pending:
                        self._log.info("subscribed", streams=len(self.subscriptions))
                    return
            return
        message = data if isinstance(data, str) else _ENCODER.encode(data).decode()
        quoted = quoted_subscription(message)
        if any(concerns(sub, quoted) for sub in self.subscriptions):
            self._counts["subscription_errors"] += 1
            raise _Lost(f"subscription refused: {message[:300]}", polite=True)
        # Not about our streams (a ping the server could not parse...): the parser has
        # already logged it as an InputRejected; the streams are fine.
        self._counts["server_errors"] += 1
        self._log.warning("server_error", message=message[:300])


class HandlerFailed(Exception):
    """The frame handler (not the network) failed: this ends the client instead of a reconnect."""


async def _unless_network(call: Awaitable[None]) -> None:
    """Await a handler call so that its errors cannot pass for network trouble.

    A recorder's disk error is an ``OSError`` and a closed consumer channel a
    ``BrokenResourceError``; inside the connection they would look like a lost socket
    and be retried forever.
    """
    try:
        await call
    except NETWORK_ERRORS as exc:
        raise HandlerFailed(f"frame handler failed: {exc!r}") from exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, trio_websocket.ConnectionClosed):
        reason = exc.reason
        return f"closed by peer: code {reason.code} {reason.name}{': ' + reason.reason if reason.reason else ''}"
    if isinstance(exc, trio.TooSlowError):
        return "connect timed out"
    return f"{type(exc).__name__}: {exc}"


# --- frames to events


class BookView:
    """One book from two streams: the 20-level book and the fast 5-level one.

    Both become ``BookSnapshot`` events. Exchange time never goes backwards: a fast book
    older than the last full book is ignored, and so is (for its top) a full book older
    than the last fast one, though its depth is kept. A fast book is deepened with the
    last full book's levels beyond its fifth, so the view keeps its depth between full
    books (the fast stream is ~10x more frequent).
    """

    def __init__(self) -> None:
        self._depth: BookSnapshot | None = None
        self._last_exchange_ts = -1
        self.ignored = 0

    def forget_depth(self) -> None:
        """After a reconnect the old depth is of unknown age: wait for a new full book."""
        self._depth = None

    def on_full(self, book: BookSnapshot) -> BookSnapshot | None:
        """A 20-level book; None when it is older than the view."""
        if self._depth is None or book.exchange_ts >= self._depth.exchange_ts:
            self._depth = book
        if book.exchange_ts < self._last_exchange_ts:
            self.ignored += 1
            return None
        self._last_exchange_ts = book.exchange_ts
        return book

    def on_fast(self, book: BookSnapshot) -> BookSnapshot | None:
        """A 5-level book, deepened; None when it is older than the last full book."""
        depth = self._depth
        if depth is not None and book.exchange_ts < depth.exchange_ts:
            self.ignored += 1
            return None
        self._last_exchange_ts = max(self._last_exchange_ts, book.exchange_ts)
        if depth is None:
            return book
        bid_px, bid_sz = _deepen(book.bid_px, book.bid_sz, depth.bid_px, depth.bid_sz, below=True)
        ask_px, ask_sz = _deepen(book.ask_px, book.ask_sz, depth.ask_px, depth.ask_sz, below=False)
        return msgspec.structs.replace(book, bid_px=bid_px, bid_sz=bid_sz, ask_px=ask_px, ask_sz=ask_sz)


def _deepen(
    px: tuple[float, ...], sz: tuple[float, ...], deep_px: tuple[float, ...], deep_sz: tuple[float, ...], *, below: bool
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Append the deep levels strictly beyond the fast side's last one."""
    # Fewer than five levels means the side has no more: appending would resurrect
    # levels that are gone.
    if len(px) < FAST_BOOK_LEVELS:
        return px, sz
    last = px[-1]
    room = max(len(deep_px), len(px)) - len(px)
    extra = [i for i, p in enumerate(deep_px) if (p < last if below else p > last)][:room]
    return px + tuple(deep_px[i] for i in extra), sz + tuple(deep_sz[i] for i in extra)


class _BookPeekData(msgspec.Struct, frozen=True):
    levels: tuple[list[msgspec.Raw], list[msgspec.Raw]] = ([], [])
    fast: bool | None = None


class _BookPeek(msgspec.Struct, frozen=True, tag_field="channel", tag="l2Book"):
    data: _BookPeekData


_BOOK_PEEK = msgspec.json.Decoder(_BookPeek, strict=False)


class LiveEvents:
    """The synchronous core of the live feed: raw frames in, market events out.

    Books of the two ``l2Book`` streams go to parsers of their own, so that each
    stream's exchange-time order is checked against itself and ``BookView`` decides
    between them; everything else goes to the main parser. All three share one
    ``TradeDeduper``, which outlives reconnects: the trades replayed after a
    resubscribe are dropped by ``(coin, time, tid)``.
    """

    def __init__(self, coin: str, dex: str = "", *, fast_book: bool = True) -> None:
        deduper = TradeDeduper()
        self.parser = FrameParser(coin, dex, deduper=deduper)
        self._full = FrameParser(coin, dex, deduper=deduper)
        self._fast = FrameParser(coin, dex, deduper=deduper)
        self._fast_book = fast_book
        self.book = BookView()

    def on_frame(self, recv_ns: int, frame: str | bytes) -> list[Event]:
        """The events of one frame (an ``InputRejected`` for a bad one); never raises."""
        fast = self._book_kind(frame)
        if fast is None:
            return self.parser.parse(frame, recv_ns)
        events = (self._fast if fast else self._full).parse(frame, recv_ns)
        if events and type(events[0]) is BookSnapshot:
            view = self.book.on_fast(events[0]) if fast else self.book.on_full(events[0])
            return [] if view is None else [view]
        return events

    def _book_kind(self, frame: str | bytes) -> bool | None:
        """True for a fast book frame, False for a full one, None for anything else."""
        if (b"l2Book" if isinstance(frame, bytes) else "l2Book") not in frame:
            return None
        try:
            data = _BOOK_PEEK.decode(frame).data
        except (msgspec.DecodeError, UnicodeError):
            return None  # the main parser rejects it and says why
        if not self._fast_book or data.fast is False:
            return False
        return data.fast is True or max(len(side) for side in data.levels) <= FAST_BOOK_LEVELS

    def statistics(self) -> ParserStatistics:
        """The three parsers' counters, summed."""
        return sum_statistics([self.parser.statistics(), self._full.statistics(), self._fast.statistics()])


def sum_statistics(parts: Sequence[ParserStatistics]) -> ParserStatistics:
    """Counters of several parsers as one."""
    kinds: dict[str, int] = {}
    for part in parts:
        for kind, count in part.rejected_by_kind.items():
            kinds[kind] = kinds.get(kind, 0) + count
    return ParserStatistics(
        frames=sum(p.frames for p in parts),
        events=sum(p.events for p in parts),
        control=sum(p.control for p in parts),
        ignored=sum(p.ignored for p in parts),
        duplicate_trades=sum(p.duplicate_trades for p in parts),
        rejected=sum(p.rejected for p in parts),
        rejected_by_kind=kinds,
    )


# --- the feed source


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
        self._heartbeat_s = config.live.heartbeat_interval_ms / 1000.0
        self._stale_after_ns = int(config.live.stale_after_s * 1e9)
        self._last_book_ns = self.start_ns
        self._stale = False
        self._heartbeats = 0
        self._send: trio.MemorySendChannel[list[Event]] | None = None

    def statistics(self) -> LiveFeedStatistics:
        """A snapshot of the counters."""
        return LiveFeedStatistics(
            parser=self.core.statistics(),
            client=self.client.statistics(),
            books_ignored=self.core.book.ignored,
            heartbeats=self._heartbeats,
        )

    async def run(self, send: trio.MemorySendChannel[list[Event]]) -> None:
        """Stream events into ``send`` until cancelled, then close it."""
        async with send:
            self._send = send
            with structlog.contextvars.bound_contextvars(feed=self.name, url=self.client.url):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._beat)
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
            self._last_book_ns = recv_ns
            if self._stale:
                self._stale = False
                events.insert(0, FeedStatus(ts=recv_ns, status="fresh", detail="book updated"))
        await self._emit(events)

    async def on_status(self, status: FeedState, detail: str) -> None:
        """Report a connection change as a ``FeedStatus`` (part of ``FrameHandler``)."""
        if status == "connected":
            self.core.book.forget_depth()
        await self._emit([FeedStatus(ts=self._stamps(), status=status, detail=detail)])

    async def _emit(self, events: list[Event]) -> None:
        assert self._send is not None, "run() owns the channel"
        await self._send.send(events)

    async def _beat(self) -> None:
        """A Heartbeat every heartbeat interval of wall time, and the stale check."""
        next_at = trio.current_time() + self._heartbeat_s
        while True:
            await trio.sleep_until(next_at)
            # A late wake-up (a busy sequencer) skips beats rather than bunching them.
            next_at = max(next_at + self._heartbeat_s, trio.current_time())
            now = self._stamps()
            batch: list[Event] = [Heartbeat(ts=now, wall_ns=now)]
            self._heartbeats += 1
            quiet_ns = now - self._last_book_ns
            if not self._stale and quiet_ns > self._stale_after_ns:
                self._stale = True
                _log.warning("feed_stale", quiet_s=round(quiet_ns / 1e9, 3))
                batch.append(FeedStatus(ts=now, status="stale", detail=f"no book for {quiet_ns / 1e9:.1f} s"))
            await self._emit(batch)


def open_live_feed(config: Config) -> LiveFeed:
    """The ``hyperliquid`` feed for ``config`` (nothing connects before ``run``).

    Raises ``FeedError`` for a URL that can never work; network trouble never raises.
    """
    from actors.feed_sources import FeedError  # feed_sources imports this module lazily

    try:
        return LiveFeed(config)
    except ValueError as exc:
        raise FeedError(f"live.ws_url: {exc}") from None
