"""What the quote engine reports about itself: its counters, and the spread it quoted.

Read by the session summary (``QuoteEngine.risk_summary``) and by anyone holding the
engine (``QuoteEngine.statistics``); nothing here changes what the engine quotes.
"""

from __future__ import annotations

import math
from array import array
from typing import Final

import attrs

from events import QuoteLevel

_BPS: Final = 1e4


@attrs.frozen
class QuoteEngineStatistics:
    """Counters of a quote engine since it was built."""

    cycles: int
    books_throttled: int
    books_unquotable: int
    orders_placed: int
    cancels_sent: int
    accepted: int
    rejected: int
    canceled: int
    fills: int
    live_orders: int
    pending_cancels: int
    position: float
    sigma: float
    kappa: float


class QuotedSpreads:
    """Our quoted total spread at the touch, bps, of every cycle that quoted both sides."""

    __slots__ = ("_bps",)

    def __init__(self) -> None:
        self._bps = array("d")

    def __len__(self) -> int:
        return len(self._bps)

    def record(self, levels: tuple[QuoteLevel, ...], mid: float) -> None:
        """Note a cycle's spread at the touch, when both sides are quoted."""
        bid = max((lv.px for lv in levels if lv.side == "buy"), default=math.nan)
        ask = min((lv.px for lv in levels if lv.side == "sell"), default=math.nan)
        if bid > 0.0 and ask > 0.0:
            self._bps.append((ask - bid) / mid * _BPS)

    def median(self) -> float:
        """The realized median, NaN before any."""
        spreads = sorted(self._bps)
        n = len(spreads)
        return math.nan if n == 0 else 0.5 * (spreads[(n - 1) // 2] + spreads[n // 2])
