"""The estimators actor: feeds every estimator and emits Estimates once per quote cycle.

It consumes the market (books, BBOs, trades) and our own order flow (PlaceOrder,
OrderRejected, OrderCanceled, Fill), and closes the three learning loops:

- kappa from own fills, and adverse-selection outcomes: every Fill updates the own-fill
  kappa posterior and becomes a pending markout (actors.estimators.own_fills);
- kappa from the market: every usable trade, per side, into the cycle's sums, which the
  cycle's step hands to the market and per-regime posteriors
  (actors.estimators.cycle_step); the blended kappa is the regime-blended market
  estimate (harmonic mean of the sides) mixed with the own-fill one (``kappa.blend``);
- calibration: Estimates carry cal_progress, cal_gamma and the warmup kappa floor, and the
  quote engine uses them (gamma times cal_gamma, kappa at least the floor).

**Cadence.** On a book (BookSnapshot or Bbo with both sides) at least
``quote.min_requote_interval_ms`` of event time after its last emission, it emits one
Estimates: the quote engine's own cycle cadence. It sits before the quote engine in the
graph, but delivery is breadth-first, so the quote engine reacts to that same book before
the Estimates reaches it: each cycle quotes with the Estimates of the previous cycle (at
most one interval old).

**Step and look.** A cycle is two parts: the step advances the state to the cycle's time
(actors.estimators.cycle_step), and ``estimates`` computes what is known at a time from
the state, changing nothing (actors.estimators.estimates). On PriorInjected (a warm start
restored us: actors.estimators.snapshot) the actor only looks: the first quote cycle
prices with the prior, and the learned state stays exactly as injected. That answer still
counts as an emission: the cadence, the next cycle's time step and the fill-rate refit
count run from it.

**Cost.** Market events are the hot path, handled inline here. A trade costs a validity
check, its distance and volume weight and a few additions into the cycle's accumulators
(and, only while fills can be held, a note of the features' inputs); a book costs the two
volatility updates and a deque peek. Everything whose inputs change only once per cycle
(the regime step, per-regime kappa, flow and intensity features, predictions) is done at
emission; the fill-rate curve is refitted every ``FILL_REFIT_EVERY`` cycles.

Mids events are not consumed: the touch mid of the books is the one the quote engine
prices against, and mixing two mid sources would add their difference to volatility.

The actor owns all the state; the modules named above are its parts and read and write
its fields. ``tests/actors/estimators`` reach ``_emit`` and ``_recent``: keep them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar, Final

from actors.base import NOTHING
from actors.config import Config, EstimatorsSection, FeesSection, QuoteSection
from actors.estimators.adverse_selection import AdverseSelection, PendingMarkouts
from actors.estimators.calibration import CalibrationController, Warmup
from actors.estimators.cycle_step import NEVER, step
from actors.estimators.estimates import estimates_at
from actors.estimators.fill_rate import FillRateCurve, LevelOutcomes
from actors.estimators.held import RecentMarket, TradeContext
from actors.estimators.kappa import GammaKappa, RegimeKappa
from actors.estimators.kelly import KellyTracker
from actors.estimators.market_features import TakerFlow, vol_ratio
from actors.estimators.own_fills import on_fill, on_place, resolve_markouts
from actors.estimators.regime import RegimeHmm
from actors.estimators.snapshot import EstimatorsSnapshot, restore_snapshot, take_snapshot
from actors.estimators.summary import summarize
from actors.estimators.volatility import Volatility
from events import (
    Bbo,
    BookSnapshot,
    Estimates,
    Event,
    Fill,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    PriorInjected,
    Trade,
)
from events.base import MS_NS, SEC_NS

_BPS: Final = 1e4
_INF: Final = math.inf
#: Cycles between refits of the fill-rate curve (the Estimates in between repeat it).
FILL_REFIT_EVERY: Final = 10


class EstimatorsActor:
    """Volatility, kappa, adverse selection, regime, fill rate, Kelly, calibration, warmup."""

    name: ClassVar[str] = "estimators"
    consumes: ClassVar[tuple[type[Event], ...]] = (
        BookSnapshot,
        Bbo,
        Trade,
        Fill,
        PlaceOrder,
        OrderRejected,
        OrderCanceled,
        PriorInjected,
    )

    def __init__(
        self, cfg: EstimatorsSection, quote: QuoteSection, fees: FeesSection, *, hold_s: float = 0.0
    ) -> None:
        """``hold_s``: how long after its trade a fill may be logged (``fill.adverse_horizon_s``
        when adverse fills are on, else 0: every fill is logged at its trade)."""
        self.cfg = cfg
        self._sigma_prior = quote.sigma_prior
        self._order_notional = quote.order_notional_usd
        self._maker_fee_bps = fees.maker * _BPS
        self._interval_ns = round(quote.min_requote_interval_ms * MS_NS)
        self._use_bipower = cfg.vol_estimator == "bipower"
        self._imbalance_levels = cfg.book_imbalance_levels
        min_interval_s = cfg.vol_min_interval_ms / 1e3
        self.volatility = Volatility(cfg.vol_half_life_s, min_interval_s, cfg.vol_max_gap_s)
        self.fast_volatility = Volatility(cfg.regime_vol_half_life_s, min_interval_s, cfg.vol_max_gap_s)
        strength = cfg.kappa_prior_strength
        max_d = cfg.kappa_max_distance
        max_w = cfg.kappa_max_weight
        self._max_d = max_d
        self._max_w = max_w
        self.kappa_own = GammaKappa(quote.kappa_prior, strength, max_distance=max_d, max_weight=max_w)
        self.kappa_market = GammaKappa(quote.kappa_prior, strength, max_distance=max_d, max_weight=max_w)
        mults = (
            cfg.kappa_prior_mult_quiet,
            cfg.kappa_prior_mult_normal,
            cfg.kappa_prior_mult_volatile,
            cfg.kappa_prior_mult_cascade,
        )
        self.kappa_regimes = RegimeKappa(
            [quote.kappa_prior * m for m in mults], strength,
            min_weight=cfg.kappa_min_observations, max_distance=max_d, max_weight=max_w,
        )  # fmt: skip
        self.adverse = AdverseSelection(
            cfg.adverse_threshold_bps, cfg.adverse_ewma_alpha, cfg.adverse_learning_rate, cfg.adverse_l2
        )
        self.markouts = PendingMarkouts(max(1, round(cfg.markout_horizon_s * SEC_NS)))
        self.regime = RegimeHmm(cfg.regime_mean_duration_s, cfg.regime_center_rate, cfg.regime_learning_rate)
        self.fill_rate = FillRateCurve(cfg.fill_prior_strength, cfg.fill_prior_scale_bps)
        self.levels = LevelOutcomes(max(1, round(cfg.fill_horizon_s * SEC_NS)))
        self.kelly = KellyTracker()
        self.calibration = CalibrationController(
            cfg.cal_gamma_start, cfg.cal_gamma_end, cfg.cal_adverse_target, cfg.cal_kappa_target
        )
        self.warmup = Warmup(
            cfg.warmup_floor_kappa, cfg.warmup_floor_max_kappa, cfg.warmup_floor_doubling_s,
            cfg.warmup_scarce_fill_rate, cfg.warmup_fill_rate_half_life_s,
            (cfg.warmup_floor_obs, cfg.warmup_floor_obs_scarce, cfg.warmup_fills, cfg.warmup_fills_scarce),
        )  # fmt: skip
        self._features_warm_s = max(cfg.flow_half_life_s, cfg.regime_vol_half_life_s)
        self._size_alpha = 1.0 - 0.5 ** (1.0 / cfg.size_half_life)
        # Only while fills can be held: the recent market they are measured against.
        self._recent = RecentMarket(round(hold_s * SEC_NS)) if hold_s > 0.0 else None
        # The market as last seen.
        self._mid = 0.0
        self._mid_ts = NEVER
        self._inv_mid = 0.0  # 0.0 until the first usable book: trades then carry no distance
        self._book: BookSnapshot | Bbo | None = None
        self._mean_notional = 0.0
        # This cycle's trades, per side (bid = hit by sellers, ask = lifted by buyers).
        self._bid_n = 0
        self._bid_w = 0.0
        self._bid_wd = 0.0
        self._ask_n = 0
        self._ask_w = 0.0
        self._ask_wd = 0.0
        self._cycle_trades = 0
        self._cycle_buy = 0.0
        self._cycle_sell = 0.0
        # Cycles' trade sums waiting for their regime: (ts, bid n, w, wd, ask n, w, wd).
        self._unassigned: deque[tuple[int, int, float, float, int, float, float]] = deque()
        self._regime_delay_ns = round(cfg.kappa_regime_delay_s * SEC_NS)
        # Flow features, decayed once per cycle.
        self._flow = TakerFlow(math.log(2.0) / cfg.flow_half_life_s)
        self._last_emit = NEVER
        self._last_step_ts = NEVER
        self._rejected = 0
        self._emitted = 0
        self._last: Estimates | None = None
        self._fill_curve = self.fill_rate.probabilities
        self._fill_obs = 0

    @classmethod
    def from_config(cls, config: Config) -> EstimatorsActor:
        """The actor of a session: fills may be held when adverse fills are on."""
        fill = config.fill
        hold_s = fill.adverse_horizon_s if fill.adverse_fill_ratio > 0.0 else 0.0
        return cls(config.estimators, config.quote, config.fees, hold_s=hold_s)

    # -- dispatch ---------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """Update the estimators; on a book due for a cycle, return one Estimates."""
        tp = type(event)
        if tp is Trade:
            px = event.px  # type: ignore[attr-defined]
            sz = event.sz  # type: ignore[attr-defined]
            if not (0.0 < px < _INF and 0.0 < sz < _INF):
                self._rejected += 1
                return NOTHING
            notional = px * sz
            m = self._mean_notional
            m = m + self._size_alpha * (notional - m) if m > 0.0 else notional
            self._mean_notional = m
            self._cycle_trades += 1
            sell = event.side == "A"  # type: ignore[attr-defined]
            if sell:
                self._cycle_sell += notional
            else:
                self._cycle_buy += notional
            recent = self._recent
            if recent is not None:
                recent.add_trade(event.ts, event.tid, self._trade_context())  # type: ignore[attr-defined]
            inv_mid = self._inv_mid
            if inv_mid > 0.0:
                d = abs(px - self._mid) * inv_mid
                if d > self._max_d:
                    self._rejected += 1
                    return NOTHING
                w = notional / m
                if w > self._max_w:
                    w = self._max_w
                if sell:
                    self._bid_n += 1
                    self._bid_w += w
                    self._bid_wd += w * d
                else:
                    self._ask_n += 1
                    self._ask_w += w
                    self._ask_wd += w * d
            return NOTHING
        if tp is PlaceOrder:
            on_place(self, event)  # type: ignore[arg-type]
            return NOTHING
        if tp is OrderCanceled:
            depth = self.levels.end(event.oid)  # type: ignore[attr-defined]
            if depth is not None:
                self.fill_rate.update(depth, False)
            return NOTHING
        if tp is BookSnapshot:
            bids = event.bid_px  # type: ignore[attr-defined]
            asks = event.ask_px  # type: ignore[attr-defined]
            if not bids or not asks or not (bids[0] > 0.0 and asks[0] > 0.0):
                return NOTHING  # a side is empty: the quote engine does not cycle either
            mid = 0.5 * (bids[0] + asks[0])
        elif tp is Bbo:
            bid = event.bid_px  # type: ignore[attr-defined]
            ask = event.ask_px  # type: ignore[attr-defined]
            if not (bid > 0.0 and ask > 0.0):
                return NOTHING
            mid = 0.5 * (bid + ask)
        elif tp is Fill:
            on_fill(self, event)  # type: ignore[arg-type]
            return NOTHING
        elif tp is OrderRejected:
            self.levels.discard(event.oid)  # type: ignore[attr-defined]  # never rested: no outcome
            return NOTHING
        elif tp is PriorInjected:
            # The prior injector (earlier in delivery order) has just restored us: say
            # what we now know, so the first quote cycle prices with it, not the priors.
            return (self._publish(event.ts),)
        else:
            return NOTHING
        if not (0.0 < mid < _INF):
            self._rejected += 1
            return NOTHING
        return self._on_mid(event, mid)

    def _on_mid(self, book: BookSnapshot | Bbo, mid: float) -> Sequence[Event]:
        ts = book.ts
        self._mid = mid
        self._mid_ts = ts
        self._inv_mid = 1.0 / mid
        self._book = book
        if self._recent is not None:
            self._recent.add_mid(ts, mid)
        self.volatility.update(ts, mid)
        self.fast_volatility.update(ts, mid)
        due = self.markouts.next_due
        if due is not None and due <= ts:
            resolve_markouts(self, ts, mid)
        if ts - self._last_emit < self._interval_ns:
            return NOTHING
        return (self._emit(ts),)

    def _trade_context(self) -> TradeContext:
        """The features' inputs now (actors.estimators.market_features)."""
        probs = self.regime.probabilities
        flow = self._flow.imbalance(self._cycle_buy, self._cycle_sell)
        return TradeContext(
            self._book, flow, vol_ratio(self.volatility, self.fast_volatility), probs, self._mean_notional
        )

    # -- the cycle ------------------------------------------------------------------------

    def _emit(self, ts: int) -> Estimates:
        """One quote cycle: step the state to ``ts``, then publish what it knows."""
        step(self, ts)
        return self._publish(ts)

    def _publish(self, ts: int) -> Estimates:
        """Emit the Estimates of ``ts``: an emission's bookkeeping, no learning."""
        if self._emitted % FILL_REFIT_EVERY == 0:
            # The curve moves slowly; refitting it every cycle would be most of a cycle's cost.
            self._fill_curve = self.fill_rate.probabilities
            self._fill_obs = self.fill_rate.observations
        self._emitted += 1
        self._last_emit = ts
        est = estimates_at(self, ts)
        self._last = est
        return est

    def estimates(self, ts: int) -> Estimates:
        """What the estimators know at ``ts``, from the state as it is (changes nothing;
        the fill-rate curve is the one last refitted)."""
        return estimates_at(self, ts)

    # -- introspection --------------------------------------------------------------------

    @property
    def last(self) -> Estimates | None:
        """The last Estimates emitted."""
        return self._last

    @property
    def rejected(self) -> int:
        """Market events and fills refused as unusable (non-finite, non-positive, absurd)."""
        return self._rejected

    def summary(self) -> dict[str, Any]:
        """Every final estimate as ``{"value", "confidence", "observations", ...extras}``
        (actors.estimators.summary)."""
        return summarize(self)

    def snapshot(self) -> EstimatorsSnapshot:
        """Every estimator's state (a msgspec struct that round-trips through JSON)."""
        return take_snapshot(self)

    def restore(self, state: EstimatorsSnapshot) -> None:
        """Take over every estimator's state (pending markouts, live levels and the recent
        market are not part of it: they belong to the session that saw the fills)."""
        restore_snapshot(self, state)
