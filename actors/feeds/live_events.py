"""Raw live frames to market events: a parser per book stream, one book view, one deduper."""

from __future__ import annotations

import msgspec

from actors.feeds.book_view import FAST_BOOK_LEVELS, BookView
from actors.feeds.frames import FrameParser
from actors.feeds.parser_statistics import ParserStatistics, sum_statistics
from actors.feeds.trade_dedupe import TradeDeduper
from events import BookSnapshot, Event


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
