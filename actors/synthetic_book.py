"""The synthetic market's price grid and its L2 books, built many snapshots at a time.

Prices are integers of exchange units (``10**-decimals``) divided by ``10**decimals``
in one correctly rounded division, so each is the very float that parsing its decimal
string gives: valid Hyperliquid prices with no float artefacts.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

import attrs
import numpy as np
import numpy.typing as npt

from events import BookSnapshot, Event

#: MAX_DECIMALS of the Hyperliquid price rule for perps.
MAX_DECIMALS: Final = 6
#: Significant figures a non-integer price may carry.
SIG_FIGS: Final = 5
#: A grid is kept while the mid stays within this factor of the mid it was made for,
#: so the tick does not flap when the mid hovers at a rounding boundary.
GRID_BAND: Final = 1.1
#: Notional of book level i relative to the touch: 1 + LEVEL_GROWTH * i (books get
#: deeper away from the touch).
LEVEL_GROWTH: Final = 0.1
#: Log-sd of the per-level, per-snapshot depth noise.
DEPTH_NOISE: Final = 0.35
#: Share of a level's notional that stays however much flow has eaten into it, so
#: sizes stay positive and the level is visibly thin rather than gone.
DEPLETION_FLOOR: Final = 0.05

FloatArray = npt.NDArray[np.float64]


def price_decimals(px: float, sz_decimals: int) -> int:
    """Decimals a perp price near ``px`` may carry: 5 significant figures, at most 6 - szDecimals."""
    mag = math.floor(math.log10(px))
    # log10 can land one off right next to a power of ten.
    if px < 10.0**mag:
        mag -= 1
    elif px >= 10.0 ** (mag + 1):
        mag += 1
    return max(0, min(MAX_DECIMALS - sz_decimals, SIG_FIGS - 1 - mag))


@attrs.frozen
class PriceGrid:
    """Book and trade prices are ``k * units / scale`` for integer k.

    ``units`` is the grid step in exchange units and ``scale`` is ``10**decimals``; the
    grid stays valid (and is kept) while the mid is within ``[lo, hi]``.
    """

    units: int
    scale: float
    lo: float
    hi: float

    @property
    def tick(self) -> float:
        """The grid step in price."""
        return self.units / self.scale


def price_grid(mid: float, tick_bps: float, sz_decimals: int, reach: float, levels: int) -> PriceGrid:
    """The grid for a mid: ``tick_bps`` of it, rounded to a multiple of the exchange's tick.

    The exchange tick is taken at the highest price that can print while the grid is
    kept (the top of the band, plus ``reach`` for the widest trade, plus the book), so
    that a price that crosses a power of ten above the mid is still valid: the tick
    there is a multiple of every finer tick below.
    """
    top_mid = mid * GRID_BAND
    decimals = price_decimals(top_mid * (1.0 + reach), sz_decimals)
    while True:
        scale = float(10**decimals)
        units = max(1, round(tick_bps * 1e-4 * mid * scale))
        if units >= 10**SIG_FIGS:
            # The step itself must be a valid price: keep 5 significant figures.
            drop = 10 ** (len(str(units)) - SIG_FIGS)
            units = round(units / drop) * drop
        top = top_mid * (1.0 + reach) + (levels + 1) * units / scale
        coarser = price_decimals(top, sz_decimals)
        if coarser >= decimals:
            return PriceGrid(units=units, scale=scale, lo=mid / GRID_BAND, hi=top_mid)
        decimals = coarser


def depth_profile(levels: int) -> FloatArray:
    """Notional of each level relative to the touch level."""
    return 1.0 + LEVEL_GROWTH * np.arange(levels, dtype=np.float64)


def build_books(
    mid: FloatArray,
    half_spread: FloatArray,
    depth_usd: FloatArray,
    depleted_bid_usd: FloatArray,
    depleted_ask_usd: FloatArray,
    units: FloatArray,
    scale: FloatArray,
    noise: FloatArray,
    profile: FloatArray,
    lot_scale: float,
) -> tuple[list[list[float]], list[list[float]], list[list[float]], list[list[float]]]:
    """Bid prices, bid sizes, ask prices and ask sizes of n snapshots (rows) at once.

    Every array but ``noise`` (n x 2L standard normals) and ``profile`` (L) holds one
    value per snapshot. Flow eats a side from the touch outward: ``depleted_*_usd`` is
    the notional recently taken (already decayed towards zero as the book refills).
    """
    levels = profile.shape[0]
    steps = np.arange(levels, dtype=np.float64)
    per_tick = scale / units
    best_bid = np.floor(mid * (1.0 - half_spread) * per_tick)
    # Never locked or crossed, even when the half-spread is below half a tick.
    best_ask = np.maximum(np.ceil(mid * (1.0 + half_spread) * per_tick), best_bid + 1.0)
    # Integer tick counts times integer units are exact in float64; one division by the
    # exact power of ten then rounds correctly.
    bid_px = ((best_bid[:, None] - steps) * units[:, None]) / scale[:, None]
    ask_px = ((best_ask[:, None] + steps) * units[:, None]) / scale[:, None]

    resting = (depth_usd[:, None] * np.tile(profile, 2)) * np.exp(
        DEPTH_NOISE * noise - 0.5 * DEPTH_NOISE * DEPTH_NOISE
    )
    bid_usd = resting[:, :levels]
    ask_usd = resting[:, levels:]
    bid_usd = np.maximum(
        np.minimum(bid_usd, np.cumsum(bid_usd, axis=1) - depleted_bid_usd[:, None]), DEPLETION_FLOOR * bid_usd
    )
    ask_usd = np.maximum(
        np.minimum(ask_usd, np.cumsum(ask_usd, axis=1) - depleted_ask_usd[:, None]), DEPLETION_FLOOR * ask_usd
    )
    lots_per_usd = (lot_scale / mid)[:, None]
    # Sizes are floored to whole lots (never rounded up) with at least one lot.
    bid_sz = np.maximum(np.floor(bid_usd * lots_per_usd), 1.0) / lot_scale
    ask_sz = np.maximum(np.floor(ask_usd * lots_per_usd), 1.0) / lot_scale
    return bid_px.tolist(), bid_sz.tolist(), ask_px.tolist(), ask_sz.tolist()


class BookNote(NamedTuple):
    """A book snapshot noted by the simulation loop, built with its chunk's others."""

    slot: int
    ts: int
    mid: float
    half_spread: float
    depth_usd: float
    taken_bid_usd: float
    taken_ask_usd: float
    units: int
    scale: float


def fill_books(
    out: list[Event | None],
    notes: list[BookNote],
    rng: np.random.Generator,
    profile: FloatArray,
    lot_scale: float,
    coin: str,
) -> None:
    """Build the noted books in one vectorised pass and put each in its slot of ``out``.

    One numpy pass per chunk rather than per snapshot: building a 20-level book alone
    would cost more than everything else the loop does between two books.
    """
    cols = np.array([note[2:] for note in notes], dtype=np.float64)
    noise = rng.standard_normal((len(notes), 2 * profile.shape[0]))
    bid_px, bid_sz, ask_px, ask_sz = build_books(
        cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4], cols[:, 5], cols[:, 6],
        noise, profile, lot_scale,
    )  # fmt: skip
    for j, note in enumerate(notes):
        ts = note.ts
        out[note.slot] = BookSnapshot(
            ts, coin, tuple(bid_px[j]), tuple(bid_sz[j]), tuple(ask_px[j]), tuple(ask_sz[j]), ts
        )
