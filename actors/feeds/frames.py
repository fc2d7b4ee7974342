"""Hyperliquid websocket frames to market events for one coin.

``FrameParser`` is the one gate between the wire and the actors: every text frame of a
live socket or a recording goes through ``parse``, and what comes out is either valid
market events (``BookSnapshot``, ``Bbo``, ``Trade``, ``Mids``) or exactly one
``InputRejected`` that says why. It never raises on bad input.

Decoding is one typed msgspec decode of the whole frame (a union of the ``wire_schema``
structs tagged by ``channel``), in lax mode so that the wire's decimal strings become
floats in C. Frames that do not fit it (control frames, errors, malformed data) take a
slower second look that only classifies them. The checks are in ``frame_checks`` and
the rejection vocabulary in ``rejections``; this module turns each channel's frame
into events.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import msgspec
import structlog

from actors.feeds.frame_checks import (
    MAX_TID,
    MAX_TIME_MS,
    ask_values,
    bad_value,
    bid_values,
    check_levels,
    check_time,
    trade_problem,
)
from actors.feeds.parser_statistics import ParserStatistics
from actors.feeds.rejections import (
    REJECTION_KINDS,
    Problem,
    RejectionKind,
    classify_validation_error,
    truncate_frame,
)
from actors.feeds.trade_dedupe import TradeDeduper
from actors.feeds.wire_schema import (
    DATA_CHANNELS,
    AllMidsFrame,
    BboFrame,
    Envelope,
    L2BookFrame,
    TradesFrame,
    WsAllMids,
    WsBbo,
    WsBook,
    WsTrade,
)
from events import Bbo, BookSnapshot, Event, InputRejected, Mids, Trade
from events.base import MS_NS


def _log() -> structlog.typing.FilteringBoundLogger:
    # A fresh proxy per (rare) message: a logger cached at first use would ignore a later
    # structlog.configure, such as the one capture_logs() does in tests.
    return structlog.get_logger(__name__)  # type: ignore[no-any-return]


#: Plain-text frame the server may send right after connecting (the SDK ignores it).
GREETING: Final = "Websocket connection established."
_INF: Final = float("inf")

# Decoders are module globals of the parser on purpose: a method called on an imported
# name compiles to a slower attribute load (no LOAD_METHOD) on this hot path.
_FRAMES = msgspec.json.Decoder(L2BookFrame | BboFrame | TradesFrame | AllMidsFrame, strict=False)
_ENVELOPE = msgspec.json.Decoder(Envelope)
_FLOAT = msgspec.json.Decoder(float, strict=False)


class FrameParser:
    """Turns Hyperliquid websocket text frames into events for one coin.

    ``parse`` stamps events with the receive time, made non-decreasing (a clock step
    backwards is clamped to the last stamp). Frames for other coins, control frames
    (subscription acks, pong, post answers, unknown channels, the greeting) give no
    events. Bad frames give one ``InputRejected`` (counted by kind and logged as
    ``frame_rejected``); a frame is accepted or rejected whole, so its events are never
    a partial view. Repeated trades (the replay after a subscribe) are dropped by the
    ``TradeDeduper`` before the exchange-time order is checked, which is what lets the
    new trades of a replay batch through.

    Args:
        coin: the session coin, exactly as the exchange names it (``BTC``, ``xyz:TSLA``).
        dex: the perp dex whose ``allMids`` to read; defaults to the coin's ``dex:``
            prefix, else the first dex ("").
        deduper: share one with the live client to dedupe across parsers; by default
            the parser keeps its own.
    """

    def __init__(self, coin: str, dex: str = "", *, deduper: TradeDeduper | None = None) -> None:
        prefix = coin.split(":", 1)[0] if ":" in coin else ""
        if dex and prefix and dex != prefix:
            raise ValueError(f"coin {coin!r} is not on dex {dex!r}")
        self.coin = coin
        self.dex = dex or prefix
        self._deduper = deduper if deduper is not None else TradeDeduper()
        self._last_ts: int | None = None
        self._last_exchange_ms: dict[str, int] = {}
        self._frames = 0
        self._events = 0
        self._control = 0
        self._ignored = 0
        self._duplicates = 0
        self._rejected: dict[str, int] = dict.fromkeys(REJECTION_KINDS, 0)

    @property
    def last_ts(self) -> int | None:
        """The ts of the last event emitted (None before the first)."""
        return self._last_ts

    def statistics(self) -> ParserStatistics:
        """A snapshot of the counters."""
        return ParserStatistics(
            frames=self._frames,
            events=self._events,
            control=self._control,
            ignored=self._ignored,
            duplicate_trades=self._duplicates,
            rejected=sum(self._rejected.values()),
            rejected_by_kind=MappingProxyType(dict(self._rejected)),
        )

    def parse(self, frame: str | bytes, recv_ns: int) -> list[Event]:
        """One websocket text frame, received at ``recv_ns``, to the events it carries."""
        self._frames += 1
        if not isinstance(frame, str | bytes):
            return [self.reject(recv_ns, "wrong_type", f"frame is a {type(frame).__name__}", frame)]
        try:
            decoded = _FRAMES.decode(frame)
        except msgspec.ValidationError as exc:
            return self._second_look(frame, recv_ns, exc)
        except (msgspec.DecodeError, UnicodeError):
            if frame.strip() in (GREETING, GREETING.encode()):
                self._control += 1
                return []
            return [self.reject(recv_ns, "invalid_json", "not a JSON document", frame)]
        if type(decoded) is TradesFrame:
            return self._on_trades(decoded.data, frame, recv_ns)
        if type(decoded) is L2BookFrame:
            return self._on_book(decoded.data, frame, recv_ns)
        if type(decoded) is BboFrame:
            return self._on_bbo(decoded.data, frame, recv_ns)
        assert type(decoded) is AllMidsFrame
        return self._on_mids(decoded.data, frame, recv_ns)

    def count_duplicate_trades(self, count: int) -> None:
        """Count trades a recording reader dropped as repeats before they became frames."""
        self._duplicates += count

    def reject(self, recv_ns: int, kind: RejectionKind, reason: str, frame: object) -> InputRejected:
        """Count, log and return the rejection of ``frame`` (also used for recording rows)."""
        text = truncate_frame(frame)
        self._rejected[kind] += 1
        _log().warning("frame_rejected", kind=kind, reason=reason, frame=text, coin=self.coin)
        return InputRejected(ts=self._stamp(recv_ns), kind=kind, detail=f"{reason}; frame: {text}")

    # --- internals

    def _stamp(self, recv_ns: int) -> int:
        last = self._last_ts
        ts = recv_ns if last is None or recv_ns > last else last
        self._last_ts = ts
        return ts

    def _second_look(self, frame: str | bytes, recv_ns: int, exc: msgspec.ValidationError) -> list[Event]:
        try:
            channel = _ENVELOPE.decode(frame).channel
        except msgspec.ValidationError as envelope_exc:
            kind = classify_validation_error(envelope_exc)
            return [self.reject(recv_ns, kind, f"no channel: {envelope_exc}", frame)]
        except msgspec.DecodeError as json_exc:
            # The typed decode can fail validation before it reaches malformed JSON later on.
            return [self.reject(recv_ns, "invalid_json", str(json_exc), frame)]
        if channel in DATA_CHANNELS:
            return [self.reject(recv_ns, classify_validation_error(exc), str(exc), frame)]
        if channel == "error":
            return [self.reject(recv_ns, "error_channel", "the server reported an error", frame)]
        self._control += 1  # subscriptionResponse, pong, post, channels we do not read
        return []

    def _check_exchange_time(self, channel: str, time_ms: int) -> Problem | None:
        problem = check_time(time_ms)
        if problem is None:
            last = self._last_exchange_ms.get(channel)
            if last is not None and time_ms < last:
                problem = "time_backwards", f"{channel} time {time_ms} ms before the last {last} ms"
        return problem

    def _accepted(self, channel: str, time_ms: int) -> None:
        self._last_exchange_ms[channel] = time_ms

    def _on_book(self, book: WsBook, frame: str | bytes, recv_ns: int) -> list[Event]:
        if book.coin != self.coin:
            self._ignored += 1
            return []
        bids, asks = book.levels
        bid, ask = bid_values(bids), ask_values(asks)
        if bid is None or ask is None:
            problem = (
                check_levels(bids, "bid", True)
                or check_levels(asks, "ask", False)
                or ("unsorted_levels", "levels are not finite, positive and sorted")
            )
            return [self.reject(recv_ns, *problem, frame)]
        problem = self._check_exchange_time("l2Book", book.time)
        if problem is None and bids and asks and bids[0].px >= asks[0].px:
            problem = "crossed_book", f"best bid {bids[0].px} >= best ask {asks[0].px}"
        if problem is not None:
            return [self.reject(recv_ns, *problem, frame)]
        self._accepted("l2Book", book.time)
        self._events += 1
        return [BookSnapshot(self._stamp(recv_ns), self.coin, *bid, *ask, book.time * MS_NS)]

    def _on_bbo(self, bbo: WsBbo, frame: str | bytes, recv_ns: int) -> list[Event]:
        if bbo.coin != self.coin:
            self._ignored += 1
            return []
        bid, ask = bbo.bbo
        problem = (
            (check_levels([bid], "bid", descending=True) if bid is not None else None)
            or (check_levels([ask], "ask", descending=False) if ask is not None else None)
            or self._check_exchange_time("bbo", bbo.time)
        )
        if problem is None and bid is not None and ask is not None and bid.px >= ask.px:
            problem = "crossed_book", f"bid {bid.px} >= ask {ask.px}"
        if problem is not None:
            return [self.reject(recv_ns, *problem, frame)]
        self._accepted("bbo", bbo.time)
        self._events += 1
        return [
            Bbo(
                ts=self._stamp(recv_ns),
                coin=self.coin,
                bid_px=bid.px if bid is not None else 0.0,
                bid_sz=bid.sz if bid is not None else 0.0,
                ask_px=ask.px if ask is not None else 0.0,
                ask_sz=ask.sz if ask is not None else 0.0,
                exchange_ts=bbo.time * MS_NS,
            )
        ]

    def _on_trades(self, trades: list[WsTrade], frame: str | bytes, recv_ns: int) -> list[Event]:
        coin = self.coin
        seen = self._deduper._keys
        last = self._last_exchange_ms.get("trades", 0)
        fresh: list[WsTrade] = []
        keys: set[tuple[str, int, int]] = set()
        ours = 0
        # One pass; nothing is committed until every trade of ours passed, so a rejected
        # frame leaves no trace. Repeats are validated too: a malformed repeat is malformed.
        for trade in trades:
            if trade.coin != coin:
                continue
            ours += 1
            time_ms = trade.time
            if not (
                0 < time_ms <= MAX_TIME_MS
                and 0.0 < trade.px < _INF
                and 0.0 < trade.sz < _INF
                and 0 <= trade.tid <= MAX_TID
            ):
                kind, reason = trade_problem(trade)
                return [self.reject(recv_ns, kind, f"trade {ours - 1}: {reason}", frame)]
            key = (coin, time_ms, trade.tid)
            if key in seen or key in keys:
                continue
            if time_ms < last:
                reason = f"trade time {time_ms} ms before the last {last} ms"
                return [self.reject(recv_ns, "time_backwards", reason, frame)]
            last = time_ms
            keys.add(key)
            fresh.append(trade)
        if not ours:
            self._ignored += 1
            return []
        self._duplicates += ours - len(fresh)
        if not fresh:
            return []
        deduper = self._deduper
        for trade in fresh:  # in frame order: the window must forget the oldest first
            deduper.add((coin, trade.time, trade.tid))
        self._accepted("trades", last)
        self._events += len(fresh)
        ts = self._stamp(recv_ns)
        # Positional construction is measurably faster than keywords on this hot path.
        return [
            Trade(ts, coin, trade.px, trade.sz, trade.side, trade.tid, trade.time * MS_NS) for trade in fresh
        ]

    def _on_mids(self, data: WsAllMids, frame: str | bytes, recv_ns: int) -> list[Event]:
        raw = data.mids.get(self.coin)
        if (data.dex or "") != self.dex or raw is None:
            self._ignored += 1
            return []
        try:
            mid = _FLOAT.decode(raw)
        except msgspec.ValidationError as exc:
            return [self.reject(recv_ns, classify_validation_error(exc), f"mid of {self.coin}: {exc}", frame)]
        if not 0.0 < mid < _INF:
            kind, reason = bad_value(mid=mid)
            return [self.reject(recv_ns, kind, f"{self.coin} {reason}", frame)]
        self._events += 1
        return [Mids(ts=self._stamp(recv_ns), coin=self.coin, mid=mid)]
