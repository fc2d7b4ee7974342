"""A local Hyperliquid websocket server for tests: real recorded data, the real protocol.

It serves ``/ws`` on 127.0.0.1 (port 0) with trio-websocket and follows the checklist of
docs/hyperliquid-market-data.md section 17:

- ``subscribe`` / ``unsubscribe`` / ``ping`` / ``post`` requests; every subscription is
  acknowledged with the *normalised* echo before any of its data; ``pong`` for ``ping``;
  the error frames of section 11 (parse error, already subscribed / unsubscribed,
  invalid subscription, the latter also as an abrupt close like the public server).
- Data replayed from the real mainnet recording ``ws_csv_20250904_btc_eth_sol_wlfi``
  (see ../shared/data/hyperliquid/README.md): every ``l2Book``, ``trades`` and ``bbo``
  frame rebuilt in its wire shape, in recorded receive order, at ``speed`` times real
  time, with exchange times replayed at the same pace from the server's start (so
  they stay just behind the wall clock, as when recorded). The 5-level fast book is the top
  of each recorded book; the full book goes out every ``full_book_every`` rows;
  ``nSigFigs`` / ``mantissa`` aggregate per section 4.4; ``allMids`` is derived from
  the book (the channel was not recorded). After a ``trades`` ack comes the batch of
  recent trades. The tape loops, moved on by its own span, when it runs out.
- What the CSV dropped is filled in plainly: ``n`` is 1, ``hash`` is all zeros (seen
  on the wire) and ``users`` are zero addresses.

Faults on demand: ``drop_all`` (abrupt TCP close, no close frame), ``silence_all``
(the socket stays open but nothing more is sent, pongs included), ``inject_malformed``
(bad frames mixed in after real ones), ``refused_types`` (refuse a subscription type),
``withhold_acks``, the greeting text frame and the idle close of section 9.
"""

from __future__ import annotations

import csv
import functools
import gzip
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Final, Literal

import attrs
import trio
import trio_websocket

from tests.conftest import SHARED_DATA

RECORDING_DIR: Final = SHARED_DATA / "ws_csv_20250904_btc_eth_sol_wlfi"
GREETING: Final = "Websocket connection established."
PARSE_ERROR: Final = "Error parsing JSON into valid websocket request: "
ZERO_HASH: Final = "0x" + "0" * 64
ZERO_USER: Final = "0x" + "0" * 40
FAST_LEVELS: Final = 5
MAX_MESSAGE_SIZE: Final = 4 * 1024 * 1024
_METHODS: Final = frozenset({"subscribe", "unsubscribe", "ping", "post"})
_TYPES: Final = frozenset({"l2Book", "trades", "bbo", "allMids"})

Json = dict[str, Any]
Side = tuple[tuple[str, str], ...]


def dumps(value: object) -> str:
    """Compact JSON, as the exchange writes it."""
    return json.dumps(value, separators=(",", ":"))


def wire_number(value: Decimal) -> str:
    """The wire's decimal strings: integral values keep one decimal ("97412.0")."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


# --- the recording


@attrs.frozen
class RecordedBook:
    time_ms: int
    bids: Side
    asks: Side


@attrs.frozen
class RecordedTrade:
    side: Literal["B", "A"]
    px: str
    sz: str
    time_ms: int
    tid: int


@attrs.frozen
class RecordedBbo:
    time_ms: int
    bid: tuple[str, str]
    ask: tuple[str, str]


@attrs.frozen
class TapeEntry:
    """One recorded frame: its receive time (s) and what it carried."""

    recv_s: float
    channel: Literal["l2Book", "trades", "bbo"]
    book: RecordedBook | None = None
    trades: tuple[RecordedTrade, ...] = ()
    bbo: RecordedBbo | None = None
    book_seq: int = -1  # position among the book rows, for the full-book and mids cadence


@attrs.frozen
class Recording:
    coin: str
    tape: tuple[TapeEntry, ...]
    #: The recent-trades batch the recorder got right after its trades ack.
    snapshot_trades: tuple[RecordedTrade, ...]
    books: int
    other_mids: tuple[tuple[str, str], ...]

    @property
    def span_s(self) -> float:
        """Recorded receive-time span, plus one typical gap so a looped tape keeps its pace."""
        return self.tape[-1].recv_s - self.tape[0].recv_s + 0.5


def _rows(name: str) -> Iterator[dict[str, str]]:
    with gzip.open(RECORDING_DIR / name, "rt", newline="") as file:
        yield from csv.DictReader(file)


@functools.lru_cache(maxsize=4)
def load_recording(coin: str = "BTC", seconds: float = 300.0) -> Recording:
    """The first ``seconds`` of the recording of ``coin``, as wire-shaped frames."""
    entries: list[TapeEntry] = []
    first_recv: float | None = None
    books = 0
    for row in _rows(f"orderbooks_{coin}.csv.gz"):
        recv = float(row["timestamp"])
        first_recv = recv if first_recv is None else first_recv
        if recv - first_recv > seconds:
            break
        bids = tuple(
            (row[f"bid_price_{i}"], row[f"bid_size_{i}"]) for i in range(20) if row[f"bid_price_{i}"]
        )
        asks = tuple(
            (row[f"ask_price_{i}"], row[f"ask_size_{i}"]) for i in range(20) if row[f"ask_price_{i}"]
        )
        book = RecordedBook(int(row["exchange_timestamp"]), bids, asks)
        entries.append(TapeEntry(recv, "l2Book", book=book, book_seq=books))
        books += 1
    assert first_recv is not None, f"no books for {coin}"
    end = first_recv + seconds

    # Rows that share a receive time came in one frame (the recorder flattened frames).
    groups: list[tuple[float, list[RecordedTrade]]] = []
    for recv_text, rows in itertools.groupby(_rows(f"trades_{coin}.csv.gz"), key=lambda r: r["timestamp"]):
        trades = [
            RecordedTrade(
                "B" if r["side"] == "buy" else "A",
                r["price"],
                r["size"],
                int(r["exchange_timestamp"]),
                int(r["trade_id"]),
            )
            for r in rows
        ]
        groups.append((float(recv_text), trades))
        if float(recv_text) > end:
            break
    snapshot = tuple(groups[0][1])
    for recv, trades in groups[1:]:
        if recv <= end:
            entries.append(TapeEntry(recv, "trades", trades=tuple(trades)))

    key: Callable[[dict[str, str]], tuple[str, str]] = lambda r: (r["timestamp"], r["exchange_timestamp"])  # noqa: E731
    for (recv_text, time_text), rows in itertools.groupby(_rows(f"prices_{coin}.csv.gz"), key=key):
        recv = float(recv_text)
        if recv > end:
            break
        sides = {r["side"]: (r["price"], r["size"]) for r in rows}
        if "bid" in sides and "ask" in sides:
            entries.append(
                TapeEntry(recv, "bbo", bbo=RecordedBbo(int(time_text), sides["bid"], sides["ask"]))
            )

    entries.sort(key=lambda e: e.recv_s)  # stable: a book before the trades of the same instant
    others = []
    for other in ("ETH", "SOL", "WLFI"):
        if other != coin:
            bid, ask = itertools.islice(_rows(f"prices_{other}.csv.gz"), 2)
            others.append((other, wire_number((Decimal(bid["price"]) + Decimal(ask["price"])) / 2)))
    return Recording(coin, tuple(entries), snapshot, books, tuple(others))


# --- wire shapes


def _levels(side: Side, limit: int) -> list[Json]:
    return [{"px": px, "sz": sz, "n": 1} for px, sz in side[:limit]]


def bucket_levels(side: Side, sig_figs: int, mantissa: int | None, *, bids: bool) -> list[Json]:
    """Aggregate levels per section 4.4: bids round down to the bucket, asks up."""
    buckets: dict[Decimal, list[Decimal]] = {}
    for px_text, sz_text in side:
        px = Decimal(px_text)
        step = Decimal(mantissa or 1) * Decimal(10) ** (px.adjusted() + 1 - sig_figs)
        edge = (px / step).to_integral_value(rounding=ROUND_FLOOR if bids else ROUND_CEILING) * step
        total = buckets.setdefault(edge, [Decimal(0), Decimal(0)])
        total[0] += Decimal(sz_text)
        total[1] += 1
    return [{"px": wire_number(px), "sz": wire_number(sz), "n": int(n)} for px, (sz, n) in buckets.items()]


def book_frame(coin: str, time_ms: int, book: RecordedBook, sub: Json) -> str:
    """An ``l2Book`` frame as this subscription sees it."""
    sig_figs = sub.get("nSigFigs")
    if sig_figs is not None:
        bids = bucket_levels(book.bids, sig_figs, sub.get("mantissa"), bids=True)[:20]
        asks = bucket_levels(book.asks, sig_figs, sub.get("mantissa"), bids=False)[:20]
    else:
        depth = FAST_LEVELS if sub.get("fast") else 20
        bids, asks = _levels(book.bids, depth), _levels(book.asks, depth)
    return dumps({"channel": "l2Book", "data": {"coin": coin, "time": time_ms, "levels": [bids, asks]}})


def trade_json(coin: str, trade: RecordedTrade, time_ms: int) -> Json:
    return {
        "coin": coin,
        "side": trade.side,
        "px": trade.px,
        "sz": trade.sz,
        "time": time_ms,
        "hash": ZERO_HASH,
        "tid": trade.tid,
        "users": [ZERO_USER, ZERO_USER],
    }


def trades_frame(coin: str, trades: Iterable[RecordedTrade], wire_time: Callable[[int], int]) -> str:
    """A ``trades`` frame, oldest first."""
    return dumps({"channel": "trades", "data": [trade_json(coin, t, wire_time(t.time_ms)) for t in trades]})


def bbo_frame(coin: str, bbo: RecordedBbo, time_ms: int) -> str:
    level = lambda pair: {"px": pair[0], "sz": pair[1], "n": 1}  # noqa: E731
    data = {"coin": coin, "time": time_ms, "bbo": [level(bbo.bid), level(bbo.ask)]}
    return dumps({"channel": "bbo", "data": data})


def real_frames(coin: str = "BTC", count: int = 200) -> list[str]:
    """The first ``count`` data frames of the recording, unshifted: material for mutations."""
    recording = load_recording()
    out: list[str] = []
    for entry in recording.tape[:count]:
        if entry.book is not None:
            out.append(book_frame(coin, entry.book.time_ms, entry.book, {}))
        elif entry.bbo is not None:
            out.append(bbo_frame(coin, entry.bbo, entry.bbo.time_ms))
        else:
            out.append(trades_frame(coin, entry.trades, lambda t: t))
    return out


# --- the server


@attrs.frozen
class HlServerConfig:
    coin: str = "BTC"
    #: HIP-3 dex: the coin is served as ``dex:COIN`` and ``allMids`` answers for this dex.
    dex: str = ""
    #: Recorded seconds played per wall second.
    speed: float = 20.0
    full_book_every: int = 5
    mids_every: int = 2
    recent_trades: int = 30
    greeting: bool = False
    idle_timeout_s: float = 60.0
    #: A bad subscription: "error" (reference server) or "close" (public server, abrupt).
    invalid_mode: Literal["error", "close"] = "error"
    recorded_seconds: float = 300.0

    @property
    def wire_coin(self) -> str:
        return f"{self.dex}:{self.coin}" if self.dex else self.coin


@attrs.define(eq=False)
class Connection:
    """One client socket, as the server sees it (tests read it)."""

    id: int
    opened_at: float
    ws: trio_websocket.WebSocketConnection
    #: Requests received, raw.
    requests: list[str] = attrs.Factory(list)
    #: (trio time, normalised subscription) of every ack sent.
    acks: list[tuple[float, Json]] = attrs.Factory(list)
    #: Active subscriptions: normalised key -> (subscription, first tape index).
    active: dict[str, tuple[Json, int]] = attrs.Factory(dict)
    pings: int = 0
    frames_sent: int = 0
    malformed_sent: int = 0
    silent: bool = False
    dropped: bool = False
    closed: bool = False
    scope: trio.CancelScope = attrs.Factory(trio.CancelScope)


class HlServer:
    """The test server; ``await nursery.start(server.run)`` returns its port."""

    def __init__(self, config: HlServerConfig | None = None) -> None:
        self.config = config or HlServerConfig()
        self.recording = load_recording(self.config.coin, self.config.recorded_seconds)
        self.port = 0
        self.connections: list[Connection] = []
        #: Fault: subscription types answered as invalid (per ``invalid_mode``).
        self.refused_types: set[str] = set()
        #: Fault: subscriptions are served but never acknowledged.
        self.withhold_acks = False
        self._malformed: Iterator[str | bytes] = iter(())
        self._malformed_per_frame = 0
        self._published = 0
        self._recent: deque[tuple[RecordedTrade, int]] = deque(maxlen=max(1, self.config.recent_trades))
        self._last_book: tuple[RecordedBook, int] | None = None
        self._start_ms = 0
        self._tick = trio.Event()
        self._change = trio.Event()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    # --- faults

    def drop_all(self) -> int:
        """Close every open connection abruptly (TCP close, no close frame: code 1006)."""
        live = [c for c in self.connections if not c.closed]
        for conn in live:
            conn.dropped = True
            conn.scope.cancel("fault: drop")
        return len(live)

    def silence_all(self) -> int:
        """Open connections stop sending anything (pongs included) but stay open."""
        live = [c for c in self.connections if not c.closed]
        for conn in live:
            conn.silent = True
        return len(live)

    def inject_malformed(self, frames: Iterable[str | bytes], per_frame: int = 1) -> None:
        """Send up to ``per_frame`` of ``frames`` after every real data frame, until they run out."""
        self._malformed = iter(frames)
        self._malformed_per_frame = per_frame

    # --- waiting for the client

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Return once ``predicate()`` holds; it is re-checked on every server change."""
        while not predicate():
            await self._change.wait()

    async def wait_connections(self, count: int) -> Connection:
        """Wait for the ``count``-th connection; return it."""
        await self.wait_until(lambda: len(self.connections) >= count)
        return self.connections[count - 1]

    async def wait_subscribed(self, conn: Connection, streams: int) -> None:
        """Wait until ``conn`` has acknowledged ``streams`` subscriptions."""
        await self.wait_until(lambda: len(conn.acks) >= streams)

    def _changed(self) -> None:
        self._change.set()
        self._change = trio.Event()

    # --- serving

    async def run(self, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve until cancelled; reports the port once listening."""
        self._start_ms = time.time_ns() // 1_000_000
        for trade in self.recording.snapshot_trades:
            self._recent.append((trade, 0))
        async with trio.open_nursery() as nursery:
            server = await nursery.start(
                functools.partial(
                    trio_websocket.serve_websocket,
                    self._handle,
                    "127.0.0.1",
                    0,
                    None,
                    handler_nursery=nursery,
                    max_message_size=MAX_MESSAGE_SIZE,
                )
            )
            self.port = server.port
            nursery.start_soon(self._play)
            task_status.started(self.port)

    def _entry(self, index: int) -> tuple[TapeEntry, int]:
        """Tape entry ``index`` of the endless tape, and how many loops came before it."""
        loops, i = divmod(index, len(self.recording.tape))
        return self.recording.tape[i], loops

    def _wire_time(self, time_ms: int, loops: int) -> int:
        """Exchange time on the wire: recorded time replayed from the server's start at
        ``speed``, so that it stays just behind the wall clock as it did when recorded."""
        recorded_ms = time_ms - self.recording.tape[0].recv_s * 1000 + loops * self.recording.span_s * 1000
        return self._start_ms + int(recorded_ms / self.config.speed)

    async def _play(self) -> None:
        """Publish the tape at ``speed`` x recorded time, for every connection to push."""
        tape = self.recording.tape
        start = trio.current_time()
        for index in itertools.count():
            entry, loops = self._entry(index)
            recorded = entry.recv_s - tape[0].recv_s + loops * self.recording.span_s
            await trio.sleep_until(start + recorded / self.config.speed)
            if entry.book is not None:
                self._last_book = (entry.book, loops)
            for trade in entry.trades:
                self._recent.append((trade, loops))
            self._published = index + 1
            self._tick.set()
            self._tick = trio.Event()

    async def _handle(self, request: trio_websocket.WebSocketRequest) -> None:
        try:
            ws = await request.accept()
        except trio_websocket.ConnectionClosed:
            return
        conn = Connection(len(self.connections), trio.current_time(), ws)
        self.connections.append(conn)
        self._changed()
        try:
            with conn.scope:
                async with trio.open_nursery() as nursery:
                    if self.config.greeting:
                        await ws.send_message(GREETING)
                    nursery.start_soon(self._push, conn)
                    await self._serve_requests(conn)
                    nursery.cancel_scope.cancel("client went away")
        except* trio_websocket.ConnectionClosed:
            pass
        finally:
            conn.closed = True
            self._changed()
            # Close the TCP stream ourselves: for a drop that is the abrupt close of the
            # public server (no close frame), and after a peer's abrupt close trio-websocket
            # would leave it open. It has no public abort, hence the private stream.
            await ws._stream.aclose()

    async def _serve_requests(self, conn: Connection) -> None:
        """Answer requests until the client closes or idles out."""
        while True:
            with trio.move_on_after(self.config.idle_timeout_s) as idle:
                message = await conn.ws.get_message()
            if idle.cancelled_caught:
                conn.dropped = True  # the public server closes idle sockets abruptly
                return
            text = message if isinstance(message, str) else message.decode("utf-8", "replace")
            conn.requests.append(text)
            await self._on_request(conn, text)
            self._changed()

    async def _reply(self, conn: Connection, frame: str | bytes) -> None:
        if not conn.silent:
            await conn.ws.send_message(frame)

    async def _on_request(self, conn: Connection, text: str) -> None:
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if not isinstance(request, dict) or request.get("method") not in _METHODS:
            await self._error(conn, PARSE_ERROR + text)
            return
        method = request["method"]
        if method == "ping":
            conn.pings += 1
            await self._reply(conn, '{"channel":"pong"}')
        elif method == "post":
            await self._on_post(conn, request, text)
        else:
            await self._on_subscription(conn, method, request.get("subscription"), text)

    async def _error(self, conn: Connection, message: str) -> None:
        await self._reply(conn, dumps({"channel": "error", "data": message}))

    def _normalise(self, sub: Json) -> Json | None:
        """The echo of a well-formed subscription; None when it is a parse error."""
        kind = sub.get("type")
        if kind not in _TYPES:
            return None
        if kind == "allMids":
            dex = sub.get("dex")
            if dex is not None and not isinstance(dex, str):
                return None
            return {"type": "allMids", "dex": dex} if "dex" in sub else {"type": "allMids"}
        coin = sub.get("coin")
        if not isinstance(coin, str):
            return None  # an array coin is a parse error on the real server
        if kind != "l2Book":
            return {"type": kind, "coin": coin}
        return {
            "type": "l2Book",
            "coin": coin,
            "nSigFigs": sub.get("nSigFigs"),
            "mantissa": sub.get("mantissa"),
            "fast": bool(sub.get("fast", False)),
        }

    def _valid(self, sub: Json) -> bool:
        if sub["type"] in self.refused_types:
            return False
        if sub["type"] == "allMids":
            return sub.get("dex") in (None, "", self.config.dex)
        if sub["coin"] != self.config.wire_coin:
            return False
        if sub["type"] == "l2Book":
            sig, mantissa = sub["nSigFigs"], sub["mantissa"]
            if sig not in (None, 2, 3, 4, 5):
                return False
            if mantissa is not None and (sig != 5 or mantissa not in (2, 5)):
                return False
        return True

    async def _on_subscription(self, conn: Connection, method: str, sub: object, text: str) -> None:
        normal = self._normalise(sub) if isinstance(sub, dict) else None
        if normal is None:
            await self._error(conn, PARSE_ERROR + text)
            return
        key = dumps(normal)
        if method == "subscribe" and not self._valid(normal):
            if self.config.invalid_mode == "close":
                conn.dropped = True
                conn.scope.cancel("invalid subscription")
                return
            await self._error(conn, "Invalid subscription: " + dumps(sub))
            return
        if method == "subscribe" and key in conn.active:
            await self._error(conn, "Already subscribed: " + key)
            return
        if method == "unsubscribe" and key not in conn.active:
            await self._error(conn, "Already unsubscribed: " + key)
            return
        ack = dumps({"channel": "subscriptionResponse", "data": {"method": method, "subscription": normal}})
        if method == "unsubscribe":
            del conn.active[key]
            await self._reply(conn, ack)
            return
        if not self.withhold_acks:
            await self._reply(conn, ack)
            conn.acks.append((trio.current_time(), normal))
        if normal["type"] == "trades" and self._recent:
            # The unflagged replay of recent trades that follows every trades ack.
            recent = [
                trade_json(normal["coin"], t, self._wire_time(t.time_ms, loops)) for t, loops in self._recent
            ]
            await self._reply(conn, dumps({"channel": "trades", "data": recent}))
        # Active only now: the ack (and the replay) go out before any pushed data.
        conn.active[key] = (normal, self._published)

    async def _on_post(self, conn: Connection, request: Json, text: str) -> None:
        ident = request.get("id")
        inner = request.get("request")
        payload = inner.get("payload") if isinstance(inner, dict) else None
        if not isinstance(ident, int) or not isinstance(payload, dict):
            await self._error(conn, PARSE_ERROR + text)
            return
        response: Json
        if payload.get("type") == "l2Book":
            data = None
            if payload.get("coin") == self.config.wire_coin and self._last_book is not None:
                book, loops = self._last_book
                frame = json.loads(
                    book_frame(self.config.wire_coin, self._wire_time(book.time_ms, loops), book, {})
                )
                data = frame["data"]
            response = {"type": "info", "payload": {"type": "l2Book", "data": data}}
        else:
            response = {"type": "error", "payload": f"unsupported by the test server: {payload.get('type')}"}
        await self._reply(conn, dumps({"channel": "post", "data": {"id": ident, "response": response}}))

    # --- pushing data

    async def _push(self, conn: Connection) -> None:
        """Send this connection its share of every published tape entry, in order."""
        position = self._published
        while True:
            while position >= self._published:
                await self._tick.wait()
            for frame in self._frames_for(conn, position):
                if conn.silent:
                    break
                await conn.ws.send_message(frame)
                conn.frames_sent += 1
                for bad in itertools.islice(self._malformed, self._malformed_per_frame):
                    await conn.ws.send_message(bad)
                    conn.malformed_sent += 1
            position += 1

    def _frames_for(self, conn: Connection, index: int) -> list[str]:
        entry, loops = self._entry(index)
        wire_time = functools.partial(self._wire_time, loops=loops)
        coin = self.config.wire_coin
        config = self.config
        out: list[str] = []
        for sub, first in list(conn.active.values()):
            if index < first:
                continue
            kind = sub["type"]
            if kind == "l2Book" and entry.book is not None:
                seq = entry.book_seq + loops * self.recording.books
                if sub["fast"] or seq % config.full_book_every == 0:
                    out.append(book_frame(coin, wire_time(entry.book.time_ms), entry.book, sub))
            elif kind == "trades" and entry.trades:
                out.append(trades_frame(coin, entry.trades, wire_time))
            elif kind == "bbo" and entry.bbo is not None:
                out.append(bbo_frame(coin, entry.bbo, wire_time(entry.bbo.time_ms)))
            elif kind == "allMids" and entry.book is not None and entry.book_seq % config.mids_every == 0:
                out.append(self._mids_frame(entry.book, sub))
        return out

    def _mids_frame(self, book: RecordedBook, sub: Json) -> str:
        mid = wire_number((Decimal(book.bids[0][0]) + Decimal(book.asks[0][0])) / 2)
        if sub.get("dex"):
            return dumps(
                {"channel": "allMids", "data": {"dex": sub["dex"], "mids": {self.config.wire_coin: mid}}}
            )
        mids = {self.config.coin: mid, **dict(self.recording.other_mids), "@107": "24.871"}
        return dumps({"channel": "allMids", "data": {"mids": mids}})
