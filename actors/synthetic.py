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

Everything comes from one numpy Generator seeded by ``(seed, _STREAM)``, independent of
the fill simulator's, drawn in an order fixed by the simulation alone: the same seed
gives the same stream, and a shorter run is a prefix of a longer one.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from itertools import chain, repeat
from typing import Final, NamedTuple

import numpy as np

from actors.config import SyntheticSection
from actors.synthetic_book import PriceGrid, build_books, depth_profile, price_grid
from actors.synthetic_regimes import (
    TRANSITIONS,
    TREND_BUY_PROBABILITY,
    TRENDING,
    Regime,
    regimes_from_config,
)
from events import BookSnapshot, Event, Mids, SyntheticTruth, Trade

#: Second word of the generator's seed, so that this stream never coincides with the
#: fill simulator's (which is seeded from the session seed alone).
_STREAM: Final = 0x5E7_4A11
#: Random numbers drawn from numpy at a time.
_BLOCK: Final = 8192
#: Market time simulated before its events are handed out; books are built a whole
#: chunk at a time. A constant, so that the draw order never depends on the duration.
_CHUNK_S: Final = 10.0
#: Market time between truth records when the regime does not change.
TRUTH_INTERVAL_S: Final = 60.0
_NS: Final = 1e9
#: Market time between steps of the log-volatility process.
_VOL_STEP_S: Final = 0.25
#: Log-sd of trade notional around the regime's median (the mean is 1.65x the median).
_NOTIONAL_LOG_SD: Final = 1.0

_TRADE, _MIDS, _BOOK, _TRUTH, _SWITCH = range(5)


class _Conditions(NamedTuple):
    """The regime-dependent values the simulation loop keeps as locals."""

    regime: Regime
    drift: float
    buy_prob: float
    mu: float  # Hawkes baseline intensity, per second
    log_sigma_level: float
    inv_kappa: float
    cap: float  # largest trade distance beyond the half-spread
    inv_refill: float


class _BookNote(NamedTuple):
    """A book snapshot noted during the loop, built at the end of its chunk."""

    slot: int
    ts: int
    mid: float
    half_spread: float
    depth_usd: float
    taken_bid_usd: float
    taken_ask_usd: float
    units: int
    scale: float


def _hawkes_wait(mu: float, excess: float, beta: float, expo: Callable[[], float]) -> float:
    """Exact time to the next arrival of an exponential-kernel Hawkes process.

    The sooner of a baseline arrival and one from the excess intensity decaying at rate
    ``beta`` (Dassios & Zhao 2013): no thinning, no rejected draws.
    """
    wait = expo() / mu
    if excess > 0.0:
        d = 1.0 - beta * expo() / excess
        if d > 0.0:
            excited = -math.log(d) / beta
            if excited < wait:
                return excited
    return wait


def _draws(draw: Callable[[int], np.ndarray]) -> Callable[[], float]:
    """An endless supply of Python floats from ``draw``, refilled a block at a time."""
    blocks = map(lambda n: draw(n).tolist(), repeat(_BLOCK))
    return chain.from_iterable(blocks).__next__


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
        for chunk in self._chunks():
            if end_ns is None or (chunk and chunk[-1].ts < end_ns):
                yield from chunk
                continue
            for event in chunk:
                if event.ts >= end_ns:
                    return
                yield event

    def _conditions(self, r: int, direction: float) -> _Conditions:
        """What the loop needs of regime ``r``; ``direction`` signs a trend."""
        reg = self.regimes[r]
        trending = r == TRENDING
        return _Conditions(
            regime=reg,
            drift=reg.drift * direction,
            buy_prob=0.5 + (TREND_BUY_PROBABILITY - 0.5) * direction if trending else 0.5,
            mu=reg.trade_rate * (1.0 - self.cfg.hawkes_alpha),
            log_sigma_level=math.log(reg.sigma),
            inv_kappa=1.0 / reg.kappa,
            cap=reg.distance_cap,
            inv_refill=1.0 / reg.refill_s,
        )

    def _chunks(self) -> Iterator[list[Event]]:
        """The endless simulation, one ``_CHUNK_S`` of market time per list, in ts order.

        One loop advances the market from one happening to the next (trade, book,
        mids, truth, regime switch). It is written flat, with local variables, because
        it runs for every event; books are only noted here and built in bulk at the end
        of each chunk.
        """
        cfg = self.cfg
        coin = self.asset
        start_ns = self.start_ns
        rng = np.random.default_rng([self.seed, _STREAM])
        normal = _draws(rng.standard_normal)
        expo = _draws(rng.standard_exponential)
        uniform = _draws(rng.random)
        exp, log, sqrt, floor, ceil = math.exp, math.log, math.sqrt, math.floor, math.ceil
        inf = math.inf

        lot_scale = float(10**self.sz_decimals)
        size_sd = _NOTIONAL_LOG_SD
        profile = depth_profile(cfg.book_levels)
        phi = cfg.informed_fraction
        impact = cfg.informed_impact_bps * 1e-4
        impact_var = impact * impact
        delay = cfg.informed_delay_s
        beta = 1.0 / cfg.hawkes_decay_s
        jump = cfg.hawkes_alpha * beta  # excess intensity per trade: integrates to alpha
        inv_vol_tau = 1.0 / cfg.vol_reversion_s
        vol_of_vol = cfg.vol_of_vol
        book_dt = cfg.book_interval_s
        mids_dt = cfg.mids_interval_s

        # Start in a regime drawn uniformly, so that sessions do not all open alike.
        r = min(int(uniform() * 3), 2)
        cond = self._conditions(r, 1.0 if uniform() < 0.5 else -1.0)
        reg, drift, buy_prob, mu, log_sigma_level, inv_kappa, cap, inv_refill = cond
        half_spread, notional = reg.half_spread, reg.trade_notional_usd
        foresight_share = reg.foresight_fraction

        t = 0.0
        mid = cfg.start_price
        log_sigma = log_sigma_level + vol_of_vol * normal()
        sigma = exp(log_sigma)
        log_drift = drift - 0.5 * sigma * sigma
        t_vol, next_vol = 0.0, _VOL_STEP_S
        # The standard Brownian motion that drives the diffusion is drawn one news point
        # ahead (they are ``horizon`` seconds apart): ``lead`` is its move from now to
        # the next one, ``gap`` the time left until then.
        horizon = cfg.foresight_horizon_s
        sqrt_horizon = sqrt(horizon)
        lead, t_news, gap = sqrt_horizon * normal(), horizon, horizon
        foresight = cfg.foresight_depth_bps * 1e-4
        grid = self._grid(mid)
        units, scale, grid_lo, grid_hi = grid.units, grid.scale, grid.lo, grid.hi
        per_tick = scale / units

        excess, t_excess = 0.0, 0.0  # Hawkes intensity above the baseline, as of t_excess
        next_trade = expo() / mu
        taken_bid = taken_ask = 0.0  # notional taken from each side, as of t_bid / t_ask
        t_bid = t_ask = 0.0
        impacts: deque[tuple[float, float]] = deque()
        next_impact = inf
        next_switch = expo() * cfg.mean_regime_s
        truth_k = book_k = mids_k = 0
        next_truth = next_book = next_mids = 0.0
        tid = 0
        chunk_k = 0

        while True:
            chunk_k += 1
            chunk_end = chunk_k * _CHUNK_S
            out: list[Event | None] = []
            emit = out.append
            books: list[_BookNote] = []
            while True:
                # The next happening; on a tie the later test wins, which fixes the
                # order: switch, truth, book, mids, trade.
                tn = next_trade
                kind = _TRADE
                if next_mids <= tn:
                    tn, kind = next_mids, _MIDS
                if next_book <= tn:
                    tn, kind = next_book, _BOOK
                if next_truth <= tn:
                    tn, kind = next_truth, _TRUTH
                if next_switch <= tn:
                    tn, kind = next_switch, _SWITCH
                if tn >= chunk_end:
                    break

                dt = tn - t
                if dt > 0.0:
                    # Exact log-normal step over dt with the volatility at its start:
                    # the mid is a martingale apart from the drift and never negative.
                    if tn < t_news:
                        # A Brownian bridge over the ``gap`` left to the next news point
                        # (the path's move to it is ``lead``): mean share * lead,
                        # variance share * (the gap left after the step).
                        share = dt / gap
                        gap = t_news - tn
                        step = share * lead + sqrt(gap * share) * normal()
                        lead -= step
                    else:
                        # Past the news point: the path gets there without a draw, the
                        # move to the next one is drawn, and the bridge goes on.
                        moved = lead
                        lead = sqrt_horizon * normal()
                        t_news += horizon
                        while tn >= t_news:
                            moved += lead
                            lead = sqrt_horizon * normal()
                            t_news += horizon
                        share = (tn - t_news + horizon) / horizon
                        gap = t_news - tn
                        step = share * lead + sqrt(gap * share) * normal()
                        lead -= step
                        step += moved
                    mid *= exp(sigma * step + log_drift * dt)
                    t = tn
                    if t >= next_vol:
                        # Volatility moves on the scale of vol_reversion_s, so it is
                        # stepped (exactly, as an OU process) only every _VOL_STEP_S.
                        decay = exp((t_vol - t) * inv_vol_tau)
                        log_sigma = (
                            log_sigma_level
                            + (log_sigma - log_sigma_level) * decay
                            + vol_of_vol * sqrt(1.0 - decay * decay) * normal()
                        )
                        sigma = exp(log_sigma)
                        log_drift = drift - 0.5 * sigma * sigma
                        t_vol = t
                        next_vol = t + _VOL_STEP_S
                    if mid > grid_hi or mid < grid_lo:
                        grid = self._grid(mid)
                        units, scale, grid_lo, grid_hi = grid.units, grid.scale, grid.lo, grid.hi
                        per_tick = scale / units
                while next_impact <= t:
                    # Impacts due by now land before anything is observed at t. Applied
                    # here rather than as happenings of their own they commute exactly
                    # with the diffusion step (both multiply the mid) and draw nothing,
                    # so the informed fraction changes the mid path but no other draw.
                    mid *= 1.0 + impacts.popleft()[1]
                    next_impact = impacts[0][0] if impacts else inf
                ts = start_ns + int(t * _NS)

                if kind == _TRADE:
                    beyond = expo() * inv_kappa
                    beyond = beyond if beyond < cap else cap
                    distance = half_spread + beyond
                    buy = uniform() < buy_prob
                    # An informed trade moves the price itself and keeps its side
                    # (aimed by foresight, impacts would pile onto the diffusion's moves
                    # and inflate the volatility). Any other trade knows where the
                    # diffusion will be at the next news point with a probability that
                    # grows with its reach, and then trades that way.
                    informed = uniform() < phi
                    if expo() * foresight < beyond and not informed:
                        buy = sigma * lead + drift * gap > 0.0
                    if buy:
                        px = (ceil(mid * (1.0 + distance) * per_tick) * units) / scale
                    else:
                        px = (max(floor(mid * (1.0 - distance) * per_tick), 1) * units) / scale
                    lots = int(notional * exp(size_sd * normal()) / px * lot_scale)
                    sz = (lots if lots > 1 else 1) / lot_scale
                    tid += 1
                    emit(Trade(ts, coin, px, sz, "B" if buy else "A", tid, ts))
                    if buy:
                        taken_ask = taken_ask * exp((t_ask - t) * inv_refill) + sz * px
                        t_ask = t
                    else:
                        taken_bid = taken_bid * exp((t_bid - t) * inv_refill) + sz * px
                        t_bid = t
                    if informed:
                        if not impacts:
                            next_impact = t + delay
                        impacts.append((t + delay, impact if buy else -impact))
                    excess = excess * exp((t_excess - t) * beta) + jump
                    t_excess = t
                    # _hawkes_wait, inlined: this runs for every trade.
                    wait = expo() / mu
                    if excess > 0.0:
                        d = 1.0 - beta * expo() / excess
                        if d > 0.0:
                            excited = -log(d) / beta
                            if excited < wait:
                                wait = excited
                    next_trade = t + wait
                elif kind == _MIDS:
                    emit(Mids(ts, coin, mid, ts))
                    mids_k += 1
                    next_mids = mids_k * mids_dt
                elif kind == _BOOK:
                    books.append(
                        _BookNote(
                            len(out),
                            ts,
                            mid,
                            half_spread,
                            reg.depth_usd,
                            taken_bid * exp((t_bid - t) * inv_refill),
                            taken_ask * exp((t_ask - t) * inv_refill),
                            units,
                            scale,
                        )
                    )
                    emit(None)
                    book_k += 1
                    next_book = book_k * book_dt
                else:
                    if kind == _SWITCH:
                        row = TRANSITIONS[r]
                        u = uniform()
                        r = 0 if u < row[0] else (1 if u < row[0] + row[1] else 2)
                        # Bring the taken depth up to now at the old regime's refill rate.
                        taken_bid *= exp((t_bid - t) * inv_refill)
                        taken_ask *= exp((t_ask - t) * inv_refill)
                        t_bid = t_ask = t
                        cond = self._conditions(r, 1.0 if uniform() < 0.5 else -1.0)
                        reg, drift, buy_prob, mu, log_sigma_level, inv_kappa, cap, inv_refill = cond
                        log_drift = drift - 0.5 * sigma * sigma
                        half_spread, notional = reg.half_spread, reg.trade_notional_usd
                        foresight_share = reg.foresight_fraction
                        next_switch = t + expo() * cfg.mean_regime_s
                        # The baseline changed: redraw the next arrival from now, which
                        # is exact because the exponential Hawkes process is Markov.
                        excess *= exp((t_excess - t) * beta)
                        t_excess = t
                        next_trade = t + _hawkes_wait(mu, excess, beta, expo)
                    else:
                        truth_k += 1
                        next_truth = truth_k * TRUTH_INTERVAL_S
                    rate = mu + excess * exp((t_excess - t) * beta)
                    emit(
                        SyntheticTruth(
                            ts,
                            reg.name,
                            # Total volatility: diffusion plus the informed impacts at
                            # the current trade intensity.
                            sqrt(sigma * sigma + rate * phi * impact_var),
                            reg.kappa,
                            rate,
                            phi,
                            mid,
                            foresight_share,
                        )
                    )
            if books:
                self._fill_books(out, books, rng, profile, lot_scale)
            yield out  # type: ignore[misc]  # every None is a book slot filled above

    def _fill_books(
        self,
        out: list[Event | None],
        books: list[_BookNote],
        rng: np.random.Generator,
        profile: np.ndarray,
        lot_scale: float,
    ) -> None:
        """Build the chunk's noted books in one vectorised pass and put them in their slots."""
        cols = np.array([note[2:] for note in books], dtype=np.float64)
        noise = rng.standard_normal((len(books), 2 * profile.shape[0]))
        bid_px, bid_sz, ask_px, ask_sz = build_books(
            cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4], cols[:, 5], cols[:, 6],
            noise, profile, lot_scale,
        )  # fmt: skip
        coin = self.asset
        for j, note in enumerate(books):
            ts = note.ts
            out[note.slot] = BookSnapshot(
                ts, coin, tuple(bid_px[j]), tuple(bid_sz[j]), tuple(ask_px[j]), tuple(ask_sz[j]), ts
            )
