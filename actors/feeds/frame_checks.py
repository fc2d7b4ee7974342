"""Validation of decoded wire values: fast accept checks, and the reason when one fails.

The hot path asks one question per value with one chained comparison (finite,
positive and sorted at once; NaN fails every comparison); only input that failed it
pays for finding out which rule it broke.
"""

from __future__ import annotations

from typing import Final

from actors.feeds.rejections import Problem
from actors.feeds.wire_schema import WsLevel, WsTrade

#: Exchange times above this (ms) would overflow int64 nanoseconds.
MAX_TIME_MS: Final = (2**63 - 1) // 1_000_000
MAX_TID: Final = 2**63 - 1
_INF: Final = float("inf")


def bad_value(**values: float) -> Problem:
    """Why the first of ``values`` that is not a finite positive number is bad."""
    for name, value in values.items():
        if value != value or value in (_INF, -_INF):  # NaN is the only value != itself
            return "non_finite", f"{name} is {value}"
        if value <= 0.0:
            return "non_positive", f"{name} is {value}"
    raise AssertionError("called with a valid level")  # pragma: no cover


def check_levels(levels: list[WsLevel], side: str, descending: bool) -> Problem | None:
    """The first level that is not finite and positive, or out of order; None when all are fine."""
    prev = -_INF if not descending else _INF
    for i, level in enumerate(levels):
        px, sz = level.px, level.sz
        if not (0.0 < px < _INF and 0.0 < sz < _INF):
            kind, reason = bad_value(px=px, sz=sz)
            return kind, f"{side} level {i}: {reason}"
        if (px >= prev) if descending else (px <= prev):
            order = "descending" if descending else "ascending"
            return "unsorted_levels", f"{side} level {i}: price {px} after {prev}, want strictly {order}"
        prev = px
    return None


def bid_values(levels: list[WsLevel]) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Prices and sizes of a valid bid side (finite, positive, strictly descending), else None."""
    prices: list[float] = []
    sizes: list[float] = []
    prev = _INF
    for level in levels:
        px, sz = level.px, level.sz
        # One chained comparison covers finite, positive and sorted; NaN fails it too.
        if not (0.0 < px < prev and 0.0 < sz < _INF):
            return None
        prices.append(px)
        sizes.append(sz)
        prev = px
    return tuple(prices), tuple(sizes)


def ask_values(levels: list[WsLevel]) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Prices and sizes of a valid ask side (finite, positive, strictly ascending), else None."""
    prices: list[float] = []
    sizes: list[float] = []
    prev = 0.0
    for level in levels:
        px, sz = level.px, level.sz
        if not (prev < px < _INF and 0.0 < sz < _INF):
            return None
        prices.append(px)
        sizes.append(sz)
        prev = px
    return tuple(prices), tuple(sizes)


def trade_problem(trade: WsTrade) -> Problem:
    """Why a trade that failed the fast check is bad."""
    problem = check_time(trade.time)
    if problem is None and not (0.0 < trade.px < _INF and 0.0 < trade.sz < _INF):
        problem = bad_value(px=trade.px, sz=trade.sz)
    return problem or ("out_of_range", f"tid {trade.tid} is not a 63-bit id")


def check_time(time_ms: int) -> Problem | None:
    """Whether an exchange time (ms) fits the epoch range of int64 nanoseconds."""
    if 0 < time_ms <= MAX_TIME_MS:
        return None
    return "out_of_range", f"time {time_ms} ms is outside the epoch range"
