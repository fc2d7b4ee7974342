"""Hyperliquid perp price and size rounding (hyperliquid-market-data.md, section 13).

A perp price may have up to 5 significant figures and at most ``6 - szDecimals``
decimals; integer prices are always allowed. Our orders are passive, so a bid rounds
DOWN and an ask rounds UP (away from the touch), and a size is floored to
``szDecimals`` decimals (never rounded up, which could break a limit).

The code works in floats because it runs for every level of every quote cycle; it
matches an exact ``Decimal`` evaluation of the rule on the shortest repr of the input,
except that a value within a hair of a tick (or lot) counts as on it: within
``n * REL_EPSILON`` ticks of it, ``n`` being the value in ticks, and never more than
``ABS_EPSILON`` ticks. That tolerance absorbs float artefacts such as ``0.1 + 0.2``
(without it such a price would be pushed one whole tick away) yet is far below the
last digit of any price written with up to 10 significant digits, so real prices round
exactly by the rule. Every result is ``k / 10**dec`` computed as one correctly rounded
division, so it is the very float that parsing the decimal string would give.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Final

#: MAX_DECIMALS of the rule for perps (8 for spot).
MAX_DECIMALS: Final = 6
#: Significant figures a non-integer price may carry.
SIG_FIGS: Final = 5
#: Relative closeness to a tick (or lot) that counts as on it: thousands of ulps, so it
#: covers the error of a few float operations, yet 100x below the 10th significant digit.
REL_EPSILON: Final = 1e-12
#: Cap of that closeness in ticks (or lots), so that huge values, where the relative
#: tolerance would span whole ticks, still round by the rule.
ABS_EPSILON: Final = 1e-9

#: 5 significant figures allow ``4 - floor(log10(px))`` decimals, which only matters
#: between 0 and MAX_DECIMALS: the powers of ten 0.1 .. 10,000 where it steps. A price
#: with ``j`` of them at or below it may carry ``MAX_DECIMALS - j`` decimals. They are
#: parsed decimal literals, so comparing a float with them agrees with comparing its
#: decimal repr with 10**n; a bisect replaces log10 and its off-by-one next to them.
_BOUNDS: Final = tuple(float(f"1e{SIG_FIGS - 1 - d}") for d in range(MAX_DECIMALS - 1, -1, -1))
_SIG_FIG_DECIMALS: Final = tuple(MAX_DECIMALS - j for j in range(len(_BOUNDS) + 1))
#: 10**n as exact floats, for the scale factors.
_SCALE: Final = tuple(float(10**n) for n in range(23))
_INF: Final = math.inf
_floor: Final = math.floor
_ceil: Final = math.ceil


def _floor_snapped(x: float) -> int:
    """floor(x), except that x within the tolerance below an integer gives that integer."""
    k = _floor(x)
    # x - k is exact (Sterbenz), so no rounding of a sum can push x over the next
    # integer: this is the exact floor(x + eps), unlike a float floor(x + eps).
    eps = x * REL_EPSILON
    if x - k >= 1.0 - (eps if eps < ABS_EPSILON else ABS_EPSILON):
        return k + 1
    return k


def _ceil_snapped(x: float) -> int:
    """ceil(x), except that x within the tolerance above an integer gives that integer."""
    k = _ceil(x)
    eps = x * REL_EPSILON
    if k - x >= 1.0 - (eps if eps < ABS_EPSILON else ABS_EPSILON):
        return k - 1
    return k


def price_decimals(px: float, sz_decimals: int) -> int:
    """Decimals a price near ``px`` may carry: 5 significant figures, at most 6 - szDecimals."""
    if not (0.0 < px < _INF):
        raise ValueError(f"price must be positive and finite, got {px!r}")
    if sz_decimals < 0:
        raise ValueError(f"szDecimals must be resolved (>= 0), got {sz_decimals}")
    dec = _SIG_FIG_DECIMALS[bisect_right(_BOUNDS, px)]
    cap = MAX_DECIMALS - sz_decimals
    if dec > cap:
        # A coin with more than 6 size decimals would allow none (integers only).
        return cap if cap > 0 else 0
    return dec


def tick_size(px: float, sz_decimals: int) -> float:
    """The price step at ``px``: 1.0 from 10,000 up (5 figures leave no decimals)."""
    return 1.0 / _SCALE[price_decimals(px, sz_decimals)]


def round_bid(px: float, sz_decimals: int) -> float:
    """The highest valid price at or below ``px`` (a bid rounds away from the touch)."""
    scale = _SCALE[price_decimals(px, sz_decimals)]
    return _floor_snapped(px * scale) / scale


def round_ask(px: float, sz_decimals: int) -> float:
    """The lowest valid price at or above ``px``; a carry to the next power of ten is valid."""
    scale = _SCALE[price_decimals(px, sz_decimals)]
    return _ceil_snapped(px * scale) / scale


def floor_size(sz: float, sz_decimals: int) -> float:
    """``sz`` floored to ``sz_decimals`` decimals (a size is never rounded up).

    Exact while the size is well inside float precision in lots (up to ~1e12 lots).
    """
    if not (0.0 <= sz < _INF):
        raise ValueError(f"size must be non-negative and finite, got {sz!r}")
    if not 0 <= sz_decimals < len(_SCALE):
        raise ValueError(f"szDecimals out of range: {sz_decimals}")
    scale = _SCALE[sz_decimals]
    return _floor_snapped(sz * scale) / scale


def is_valid_price(px: float, sz_decimals: int) -> bool:
    """Whether the exchange accepts ``px`` as is (integers always; else on its tick)."""
    if not (0.0 < px < _INF):
        return False
    if px.is_integer():
        return True
    return round_bid(px, sz_decimals) == px
