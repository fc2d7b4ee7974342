"""The built-in synthetic market: the default feed of every session.

A seeded market realistic enough to test quoting, fill simulation and estimation on:

- Regimes (quiet, trending, volatile) switch by a Markov chain with exponential holding
  times (mean ``mean_regime_s``). Trending has a drift and side imbalance; volatile has
  high volatility, big trades, a wide spread and a thin book.
- The mid follows a diffusion whose log-volatility is an Ornstein-Uhlenbeck process
  pulled towards the regime's level, so volatility moves smoothly and shifts gradually
  after a regime change.
- The Brownian motion that drives the diffusion is drawn one *news point* ahead (news
  points are ``foresight_horizon_s`` apart) and filled in between as a Brownian bridge,
  one draw per step as before: the same process, exactly, but its value at the next
  news point is known before the market gets there.
- Trades arrive as a Hawkes process (exponential kernel, branching ratio
  ``hawkes_alpha``), simulated exactly event by event: no time grid.
- A trade prints at ``half_spread + Exp(kappa)`` from the true mid (fractions of mid),
  on the grid, buys above and sells below, so the kappa a fill model learns is known.
- Adverse selection comes from foresight: a trade that prints ``x`` beyond the touch
  knows where the diffusion will be at the next news point (and buys if it will be
  higher) with probability ``1 - exp(-x / foresight_depth_bps)``. Touch trades are
  mostly noise; the far tail, which is what fills a maker quoting wide, is mostly
  informed, and the price goes its way by about the diffusion's move over the rest of
  the news interval. Foresight only picks sides: the mid path, and so the volatility,
  is the same with or without it.
- A fraction ``informed_fraction`` of trades moves the price itself instead:
  ``informed_delay_s`` later the mid moves ``informed_impact_bps`` their way,
  permanently. These keep their own side (impacts aimed by foresight would pile onto
  the diffusion's moves and inflate the volatility); the truth's sigma includes them.
- Books reflect recent flow: the notional taken from a side is missing from its levels,
  touch first, and refills exponentially (``depth_refill_s``).

Why foresight rather than impact: what a fill loses is what the mid does next. Impacts
big enough to hurt a maker quoting 20 bps wide are jumps of several bps; paid for out of
the regime's volatility, a few a minute would be most of it, and a volatility made of
rare jumps is one the estimators cannot measure within their tolerances. Foresight moves
no price: it lines the far flow up with the moves the diffusion makes anyway.

Everything comes from one numpy Generator seeded by ``(seed, STREAM)``, independent of
the fill simulator's, drawn in an order fixed by the simulation alone: the same seed
gives the same stream, and a shorter run is a prefix of a longer one.

The parts: ``synthetic_regimes`` (the regimes and their Markov chain),
``synthetic_simulation`` (the event-by-event loop), ``synthetic_book`` (the price grid
and the books), ``synthetic_draws`` (the random stream and Hawkes waiting times); this
module is the market a feed runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from actors.config import SyntheticSection
from actors.synthetic_book import PriceGrid, price_grid
from actors.synthetic_regimes import Regime, regimes_from_config
from actors.synthetic_simulation import simulate
from events import Event


class SyntheticMarket:
    """A seeded synthetic market for one asset.

    Args:
        cfg: the market's parameters.
        asset: the coin of every market event.
        seed: the session seed.
        start_ns: event time of the first event.
        sz_decimals: the asset's szDecimals (prices and sizes are valid for it).
    """

    def __init__(self, cfg: SyntheticSection, asset: str, seed: int, start_ns: int, sz_decimals: int) -> None:
        self.cfg = cfg
        self.asset = asset
        self.seed = seed
        self.start_ns = start_ns
        self.sz_decimals = sz_decimals
        if sz_decimals < 0:
            raise ValueError(f"szDecimals must be resolved (>= 0), got {sz_decimals}")
        self.regimes: tuple[Regime, Regime, Regime] = regimes_from_config(cfg)
        grid = self._grid(cfg.start_price)
        widest = max(r.half_spread for r in self.regimes)
        if cfg.start_price * (1.0 - widest) - (cfg.book_levels + 1) * grid.tick <= 0.5 * cfg.start_price:
            raise ValueError(
                f"a {cfg.book_levels}-level book with a {grid.tick} tick spans more than half of the "
                f"start price {cfg.start_price}: lower synthetic.tick_bps or synthetic.book_levels"
            )

    def _reach(self) -> float:
        """The farthest above the mid (fraction) a trade can print."""
        return max(r.half_spread + r.distance_cap for r in self.regimes)

    def _grid(self, mid: float) -> PriceGrid:
        return price_grid(mid, self.cfg.tick_bps, self.sz_decimals, self._reach(), self.cfg.book_levels)

    def events(self, duration_ns: int | None = None) -> Iterator[Event]:
        """Market events and truth records with ``start_ns <= ts < start_ns + duration_ns``.

        ``None`` runs forever. Each call starts the market afresh from the seed.
        """
        end_ns = None if duration_ns is None else self.start_ns + duration_ns
        chunks = simulate(
            self.cfg, self.regimes, self.asset, self.seed, self.start_ns, self.sz_decimals, self._grid
        )
        for chunk in chunks:
            if end_ns is None or (chunk and chunk[-1].ts < end_ns):
                yield from chunk
                continue
            for event in chunk:
                if event.ts >= end_ns:
                    return
                yield event
