"""Dropping trades already seen: Hyperliquid replays recent trades on every subscribe."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable


class TradeDeduper:
    """Remembers the last ``window`` trade keys, to drop trades seen before.

    Hyperliquid replays a batch of recent trades after every (re)subscribe without
    flagging it, so the same trade can arrive twice; the key is ``(coin, time, tid)``
    (``tid`` alone is only unique with the time). Memory is bounded: the oldest key is
    forgotten once the window is full, which is safe because a replay only reaches
    back tens of trades.
    """

    def __init__(self, window: int = 10_000) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self.window = window
        self._order: deque[Hashable] = deque()
        self._keys: set[Hashable] = set()

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: Hashable) -> None:
        """Remember ``key``, forgetting the oldest one when the window is full."""
        if key in self._keys:
            return
        self._keys.add(key)
        self._order.append(key)
        if len(self._order) > self.window:
            self._keys.discard(self._order.popleft())

    def admit(self, key: Hashable) -> bool:
        """True the first time ``key`` is seen (and remember it), False for a repeat."""
        if key in self._keys:
            return False
        self.add(key)
        return True
