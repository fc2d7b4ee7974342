"""The synthetic market's simulation loop: the mid path, the trade flow, and the times at
which books, mids and truth records are taken.

The model is described in ``actors.synthetic``. This module is its engine: one loop that
advances the market from one happening to the next (trade, book, mids, truth, regime
switch), exactly and event by event, with no time grid. It runs for every event of every
session, so it is written flat, with local variables; the mid path, the Hawkes arrivals
and the foresight of the flow share those locals and the one draw order, which is why
they live in one function rather than one module each.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from typing import Final

from actors.config import SyntheticSection
from actors.synthetic_book import BookNote, PriceGrid, depth_profile, fill_books
from actors.synthetic_draws import draws, hawkes_wait, market_generator
from actors.synthetic_regimes import TRANSITIONS, Regime, conditions
from events import Event, Mids, SyntheticTruth, Trade

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


def simulate(
    cfg: SyntheticSection,
    regimes: tuple[Regime, Regime, Regime],
    coin: str,
    seed: int,
    start_ns: int,
    sz_decimals: int,
    grid_for: Callable[[float], PriceGrid],
) -> Iterator[list[Event]]:
    """The endless simulation, one ``_CHUNK_S`` of market time per list, in ts order.

    Args:
        cfg: the market's parameters.
        regimes: the quiet, trending and volatile regimes ``cfg`` describes.
        coin: the coin of every market event.
        seed: the session seed.
        start_ns: event time of market time zero.
        sz_decimals: the asset's szDecimals (sizes are whole lots of it).
        grid_for: the price grid for a mid, asked again whenever the mid leaves it.
    """
    alpha = cfg.hawkes_alpha
    rng = market_generator(seed)
    normal = draws(rng.standard_normal)
    expo = draws(rng.standard_exponential)
    uniform = draws(rng.random)
    exp, log, sqrt, floor, ceil = math.exp, math.log, math.sqrt, math.floor, math.ceil
    inf = math.inf

    lot_scale = float(10**sz_decimals)
    size_sd = _NOTIONAL_LOG_SD
    profile = depth_profile(cfg.book_levels)
    phi = cfg.informed_fraction
    impact = cfg.informed_impact_bps * 1e-4
    impact_var = impact * impact
    delay = cfg.informed_delay_s
    beta = 1.0 / cfg.hawkes_decay_s
    jump = alpha * beta  # excess intensity per trade: integrates to alpha
    inv_vol_tau = 1.0 / cfg.vol_reversion_s
    vol_of_vol = cfg.vol_of_vol
    book_dt = cfg.book_interval_s
    mids_dt = cfg.mids_interval_s

    # Start in a regime drawn uniformly, so that sessions do not all open alike.
    r = min(int(uniform() * 3), 2)
    cond = conditions(regimes, r, 1.0 if uniform() < 0.5 else -1.0, alpha)
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
    grid = grid_for(mid)
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
        books: list[BookNote] = []
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
                    grid = grid_for(mid)
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
                # hawkes_wait, inlined: this runs for every trade.
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
                    BookNote(
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
                    cond = conditions(regimes, r, 1.0 if uniform() < 0.5 else -1.0, alpha)
                    reg, drift, buy_prob, mu, log_sigma_level, inv_kappa, cap, inv_refill = cond
                    log_drift = drift - 0.5 * sigma * sigma
                    half_spread, notional = reg.half_spread, reg.trade_notional_usd
                    foresight_share = reg.foresight_fraction
                    next_switch = t + expo() * cfg.mean_regime_s
                    # The baseline changed: redraw the next arrival from now, which
                    # is exact because the exponential Hawkes process is Markov.
                    excess *= exp((t_excess - t) * beta)
                    t_excess = t
                    next_trade = t + hawkes_wait(mu, excess, beta, expo)
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
            fill_books(out, books, rng, profile, lot_scale, coin)
        yield out  # type: ignore[misc]  # every None is a book slot filled above
