"""One book from the two ``l2Book`` streams: the 20-level book and the fast 5-level one."""

from __future__ import annotations

from typing import Final

import msgspec

from events import BookSnapshot

FAST_BOOK_LEVELS: Final = 5


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
    px: tuple[float, ...],
    sz: tuple[float, ...],
    deep_px: tuple[float, ...],
    deep_sz: tuple[float, ...],
    *,
    below: bool,
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
