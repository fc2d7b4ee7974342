"""The market features the adverse-selection classifier and the regime HMM read: book
imbalance, taker-flow imbalance, trade intensity and the short over long volatility.
"""

from __future__ import annotations

import math
from typing import Final

import attrs

from actors.estimators.volatility import Volatility
from events import Bbo, BookSnapshot

_INF: Final = math.inf


@attrs.define(eq=False)
class TakerFlow:
    """Taker notional bought and sold, and the trade count and time behind the intensity,
    each decayed with the flow half-life once per cycle."""

    tau_inv: float  # ln 2 / flow half-life, per second
    buy: float = 0.0
    sell: float = 0.0
    intensity_count: float = 0.0
    intensity_time: float = 0.0

    def add_cycle(self, dt: float, buy: float, sell: float, trades: int) -> None:
        """Decay by the ``dt`` seconds since the last cycle, then add this cycle's trades."""
        decay = math.exp(-dt * self.tau_inv)
        self.buy = self.buy * decay + buy
        self.sell = self.sell * decay + sell
        self.intensity_count = self.intensity_count * decay + trades
        self.intensity_time = self.intensity_time * decay + dt

    def imbalance(self, cycle_buy: float, cycle_sell: float) -> float:
        """(bought - sold) / (bought + sold), with the cycle's trades not added yet."""
        buy = self.buy + cycle_buy
        sell = self.sell + cycle_sell
        total = buy + sell
        return (buy - sell) / total if 0.0 < total < _INF else 0.0

    @property
    def rate(self) -> float:
        """Trades per second."""
        return self.intensity_count / self.intensity_time if self.intensity_time > 0.0 else 0.0


def book_imbalance(book: BookSnapshot | Bbo | None, levels: int) -> float:
    """(bid - ask) / (bid + ask) of the size on the top ``levels`` levels of ``book``."""
    if book is None:
        return 0.0
    if type(book) is Bbo:
        bid, ask = book.bid_sz, book.ask_sz
    else:
        bid = sum(book.bid_sz[:levels])  # type: ignore[union-attr]
        ask = sum(book.ask_sz[:levels])  # type: ignore[union-attr]
    total = bid + ask
    return (bid - ask) / total if 0.0 < total < _INF else 0.0


def vol_ratio(slow: Volatility, fast: Volatility) -> float:
    """Short over long volatility (1 until both are known)."""
    slow_value = slow.value
    fast_value = fast.value
    return fast_value / slow_value if slow_value > 0.0 and fast_value > 0.0 else 1.0
