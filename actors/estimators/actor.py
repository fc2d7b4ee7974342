"""The estimators actor: feeds every estimator and emits Estimates once per quote cycle.

It consumes the market (books, BBOs, trades) and our own order flow (PlaceOrder,
OrderRejected, OrderCanceled, Fill), and closes the three learning loops:

- kappa from own fills: every Fill updates the own-fill kappa posterior (its distance
  from the fill's mid, weighted by its notional over ``quote.order_notional_usd``);
- adverse-selection outcomes: every Fill becomes a pending markout, resolved on the
  first mid at or after fill time + horizon; the outcome trains the classifier, the EWMA
  and the Kelly tracker. A fill held by ``fill.adverse_fill_ratio`` is measured from its
  trade (``Fill.trade_ts``, ``Fill.mid``) like any other fill, with the features of then
  (actors.estimators.held);
- calibration: Estimates carry cal_progress, cal_gamma and the warmup kappa floor, and the
  quote engine uses them (gamma times cal_gamma, kappa at least the floor).

**Kappa.** Market trades update the always-on market posterior at once, and the
per-regime, per-side posteriors ``kappa_regime_delay_s`` later, soft-assigned with the
regime probabilities of then: the HMM's features lag the market by about their half-life,
and a busy regime's trades credited to a calm one would swamp it. The blended kappa is the
regime-blended market estimate (harmonic mean of the sides) mixed with the own-fill one
(``kappa.blend``).

**Cadence.** On a book (BookSnapshot or Bbo with both sides) at least
``quote.min_requote_interval_ms`` of event time after its last emission, it emits one
Estimates: the quote engine's own cycle cadence. It sits before the quote engine in the
graph, but delivery is breadth-first, so the quote engine reacts to that same book before
the Estimates reaches it: each cycle quotes with the Estimates of the previous cycle (at
most one interval old).

**Step and look.** A cycle is two parts: ``_step`` advances the state to the cycle's time
(the cycle's trades into kappa, flow decay, the regime step, calibration and warmup), and
``estimates`` computes what is known at a time from the state, changing nothing. On
PriorInjected (a warm start restored us) the actor only looks: the first quote cycle
prices with the prior, and the learned state stays exactly as injected. That answer still
counts as an emission: the cadence, the next cycle's time step and the fill-rate refit
count run from it.

**Cost.** Market events are the hot path. A trade costs a validity check, its distance
and volume weight and a few additions into the cycle's accumulators (and, only while fills
can be held, a note of the features' inputs); a book costs the two volatility updates and
a deque peek. Everything whose inputs change only once per cycle (the regime step,
per-regime kappa, flow and intensity features, predictions) is done at emission; the
fill-rate curve is refitted every ``FILL_REFIT_EVERY`` cycles.
Trades of a cycle enter the kappa posteriors as one batch, which is exact: the Gamma
update only sums.

Mids events are not consumed: the touch mid of the books is the one the quote engine
prices against, and mixing two mid sources would add their difference to volatility.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar, Final

from actors.base import NOTHING
from actors.config import Config, EstimatorsSection, FeesSection, QuoteSection
from actors.estimators.adverse_selection import (
    AdverseSelection,
    AdverseSelectionState,
    PendingMarkouts,
    features,
)
from actors.estimators.calibration import CalibrationController, CalibrationState, Warmup, WarmupState
from actors.estimators.common import State, count_confidence
from actors.estimators.fill_rate import FillRateCurve, FillRateState, LevelOutcomes
from actors.estimators.held import RecentMarket, TradeContext
from actors.estimators.kappa import (
    ASK,
    BID,
    GammaKappa,
    KappaState,
    RegimeKappa,
    RegimeKappaState,
    blend,
    harmonic,
)
from actors.estimators.kelly import KellyState, KellyTracker
from actors.estimators.regime import REGIMES, RegimeHmm, RegimeState
from actors.estimators.volatility import Volatility, VolatilityState
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

MS_NS: Final = 1_000_000
SEC_NS: Final = 1_000_000_000
_BPS: Final = 1e4
_INF: Final = math.inf
_NEVER: Final = -(2**63)
#: Cycles between refits of the fill-rate curve (the Estimates in between repeat it).
FILL_REFIT_EVERY: Final = 10
#: Floors that keep the regime features' logs finite.
_MIN_SIGMA: Final = 1e-12
_MIN_RATE: Final = 1e-3


class EstimatorsSnapshot(State, frozen=True):
    """Every estimator's state, plus the actor's running features (for checkpoints)."""

    volatility: VolatilityState
    fast_volatility: VolatilityState
    kappa_own: KappaState
    kappa_market: KappaState
    kappa_regimes: RegimeKappaState
    adverse: AdverseSelectionState
    regime: RegimeState
    fill_rate: FillRateState
    kelly: KellyState
    calibration: CalibrationState
    warmup: WarmupState
    mean_notional: float
    flow_buy: float
    flow_sell: float
    intensity_count: float
    intensity_time: float
    rejected: int


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
        self._flow_tau_inv = math.log(2.0) / cfg.flow_half_life_s
        self._features_warm_s = max(cfg.flow_half_life_s, cfg.regime_vol_half_life_s)
        self._size_alpha = 1.0 - 0.5 ** (1.0 / cfg.size_half_life)
        # Only while fills can be held: the recent market they are measured against.
        self._recent = RecentMarket(round(hold_s * SEC_NS)) if hold_s > 0.0 else None
        # The market as last seen.
        self._mid = 0.0
        self._mid_ts = _NEVER
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
        self._flow_buy = 0.0
        self._flow_sell = 0.0
        self._intensity_count = 0.0
        self._intensity_time = 0.0
        self._last_emit = _NEVER
        self._last_step_ts = _NEVER
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
            self._on_place(event)  # type: ignore[arg-type]
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
            return self._on_fill(event)  # type: ignore[arg-type]
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
            self._resolve_markouts(ts, mid)
        if ts - self._last_emit < self._interval_ns:
            return NOTHING
        return (self._emit(ts),)

    # -- own orders and fills -------------------------------------------------------------

    def _on_place(self, cmd: PlaceOrder) -> None:
        mid = self._mid
        if not mid > 0.0:
            return  # no book yet: the level has no depth to learn from
        depth = (mid - cmd.px) / mid if cmd.side == "buy" else (cmd.px - mid) / mid
        self.levels.place(cmd.oid, cmd.ts, depth * _BPS)

    def _on_fill(self, fill: Fill) -> Sequence[Event]:
        ts = fill.ts
        px = fill.px
        mid = fill.mid
        if not (0.0 < px < _INF and 0.0 < fill.sz < _INF and 0.0 < mid < _INF):
            self._rejected += 1
            return NOTHING
        # When it happened: a held fill is logged after its trade (mid is the mid then).
        t0 = fill.trade_ts or ts
        weight = px * fill.sz / self._order_notional
        if self.kappa_own.update(abs(px - mid) / mid, weight):
            self.warmup.on_fill(min(weight, self._max_w))
        sign = 1.0 if fill.side == "buy" else -1.0
        markouts = self.markouts
        markouts.add(t0, sign, mid, px, self._fill_features(fill, sign, t0))
        due = markouts.next_due
        if due is not None and due <= self._mid_ts:
            # A held fill whose horizon had ended before it was logged: everything else
            # pending ends later, or it would have been resolved already.
            at = self._recent.first_mid(due) if self._recent is not None else None
            self._resolve_markouts(due, self._mid if at is None else at)
        outcome = self.levels.fill(fill.oid, t0)
        if outcome is not None:
            self.fill_rate.update(*outcome)
        return NOTHING

    def _fill_features(self, fill: Fill, sign: float, t0: int) -> tuple[float, ...]:
        """The classifier's features of a fill, as they stood when it happened."""
        context = None
        if t0 != fill.ts and self._recent is not None:
            context = self._recent.context(t0, fill.tid)
        if context is None:
            context = self._trade_context()
        book, flow, vol_ratio, probs, mean_notional = context
        trade_notional = fill.trade_px * fill.trade_sz
        size_ratio = trade_notional / mean_notional if mean_notional > 0.0 else 1.0
        return features(sign, size_ratio, self._book_imbalance(book), flow, vol_ratio, probs)

    def _resolve_markouts(self, ts: int, mid: float) -> None:
        for outcome in self.markouts.resolve(ts, mid):
            self.adverse.update(outcome.against_bps, outcome.features)
            self.kelly.update(outcome.pnl_bps - self._maker_fee_bps)

    # -- features -------------------------------------------------------------------------

    def _trade_context(self) -> TradeContext:
        """The features' inputs now."""
        probs = self.regime.probabilities
        return TradeContext(self._book, self._flow_imbalance(), self._vol_ratio(), probs, self._mean_notional)

    def _book_imbalance(self, book: BookSnapshot | Bbo | None) -> float:
        """(bid - ask) / (bid + ask) of the size on the top levels of ``book``."""
        if book is None:
            return 0.0
        if type(book) is Bbo:
            bid, ask = book.bid_sz, book.ask_sz
        else:
            n = self._imbalance_levels
            bid = sum(book.bid_sz[:n])  # type: ignore[union-attr]
            ask = sum(book.ask_sz[:n])  # type: ignore[union-attr]
        total = bid + ask
        return (bid - ask) / total if 0.0 < total < _INF else 0.0

    def _flow_imbalance(self) -> float:
        """(bought - sold) / (bought + sold) of recent taker notional, this cycle included."""
        buy = self._flow_buy + self._cycle_buy
        sell = self._flow_sell + self._cycle_sell
        total = buy + sell
        return (buy - sell) / total if 0.0 < total < _INF else 0.0

    def _vol_ratio(self) -> float:
        slow = self.volatility.value
        fast = self.fast_volatility.value
        return fast / slow if slow > 0.0 and fast > 0.0 else 1.0

    # -- the cycle ------------------------------------------------------------------------

    def _emit(self, ts: int) -> Estimates:
        """One quote cycle: step the state to ``ts``, then publish what it knows."""
        self._step(ts)
        return self._publish(ts)

    def _step(self, ts: int) -> None:
        """Advance the state to the cycle at ``ts`` (the time step runs from the last
        Estimates)."""
        dt = 0.0 if self._last_emit == _NEVER else (ts - self._last_emit) / SEC_NS
        # The cycle's trades into the market posterior now, the regime cells later.
        n = self._bid_n + self._ask_n
        if n:
            self.kappa_market.add_batch(n, self._bid_w + self._ask_w, self._bid_wd + self._ask_wd)
            self._unassigned.append(
                (ts, self._bid_n, self._bid_w, self._bid_wd, self._ask_n, self._ask_w, self._ask_wd)
            )
            self._bid_n = self._ask_n = 0
            self._bid_w = self._bid_wd = self._ask_w = self._ask_wd = 0.0
        # Flow features: decay, then add the cycle.
        decay = math.exp(-dt * self._flow_tau_inv)
        self._flow_buy = self._flow_buy * decay + self._cycle_buy
        self._flow_sell = self._flow_sell * decay + self._cycle_sell
        self._intensity_count = self._intensity_count * decay + self._cycle_trades
        self._intensity_time = self._intensity_time * decay + dt
        self._cycle_buy = self._cycle_sell = 0.0
        self._cycle_trades = 0
        if dt > 0.0 and self._intensity_time >= self._features_warm_s and self.fast_volatility.observations >= 10:
            # Only once the short features have a half-life of data behind them: the
            # first seconds' rates and volatilities would mislead the HMM's alignment.
            self._step_regime(ts)
        # Trades reach the regime cells once the regime probabilities describe their
        # time: the HMM's features lag the market by about their half-life.
        probs = self.regime.probabilities
        unassigned = self._unassigned
        due = ts - self._regime_delay_ns
        while unassigned and unassigned[0][0] <= due:
            _, bn, bw, bwd, an, aw, awd = unassigned.popleft()
            if bn:
                self.kappa_regimes.add_batch(BID, bn, bw, bwd, probs)
            if an:
                self.kappa_regimes.add_batch(ASK, an, aw, awd, probs)
        # Loops: calibration, then warmup (whose gamma progress is the calibration's).
        calibration = self.calibration
        calibration.update(self.adverse.observations, self.kappa_own.observations)
        self.warmup.update(ts, calibration.progress)

    def _publish(self, ts: int) -> Estimates:
        """Emit the Estimates of ``ts``: an emission's bookkeeping, no learning."""
        if self._emitted % FILL_REFIT_EVERY == 0:
            # The curve moves slowly; refitting it every cycle would be most of a cycle's cost.
            self._fill_curve = self.fill_rate.probabilities
            self._fill_obs = self.fill_rate.observations
        self._emitted += 1
        self._last_emit = ts
        est = self.estimates(ts)
        self._last = est
        return est

    def estimates(self, ts: int) -> Estimates:
        """What the estimators know at ``ts``, from the state as it is (changes nothing;
        the fill-rate curve is the one last refitted)."""
        cfg = self.cfg
        probs = self.regime.probabilities
        # Kappa: regime- and side-blended market estimate, then the own-fill mix.
        regimes = self.kappa_regimes
        view = regimes.evaluate(probs)
        kb = view.bid
        ka = view.ask
        base_conf = 0.5 * (view.bid_confidence + view.ask_confidence)
        own = self.kappa_own
        kappa, kappa_conf, _ = blend(harmonic(kb, ka), base_conf, own, cfg.kappa_own_weight)
        adverse = self.adverse
        calibration = self.calibration
        cal_progress = calibration.progress_for(adverse.observations, own.observations)
        warmup = self.warmup.at(ts, cal_progress)
        # Volatility.
        vol = self.volatility
        sigma_ewma = vol.value
        sigma_bipower = vol.bipower
        sigma = sigma_bipower if self._use_bipower else sigma_ewma
        if vol.observations < cfg.vol_min_observations or not sigma > 0.0:
            sigma = self._sigma_prior
        # Adverse selection of the next quotes, each side.
        p_bid, p_ask = adverse.side_probabilities(
            self._book_imbalance(self._book), self._flow_imbalance(), self._vol_ratio(), probs
        )
        regime = self.regime
        market = self.kappa_market
        fill_rate = self.fill_rate
        return Estimates(
            ts=ts,
            sigma=sigma,
            sigma_obs=vol.observations,
            kappa=kappa,
            kappa_confidence=kappa_conf,
            kappa_obs=own.observations + market.observations,
            adverse_selection_bps=adverse.value,
            regime=REGIMES[regime.most_likely],
            regime_probs=probs,
            fill_rate=self._fill_curve,
            warmup=warmup.progress,
            cal_gamma=calibration.gamma_for(cal_progress),
            cal_progress=cal_progress,
            kappa_floor=warmup.floor,
            sigma_confidence=vol.confidence,
            sigma_ewma=sigma_ewma,
            sigma_bipower=sigma_bipower,
            kappa_own=own.value,
            kappa_own_confidence=own.confidence,
            kappa_own_obs=own.observations,
            kappa_market=market.value,
            kappa_market_confidence=market.confidence,
            kappa_market_obs=market.observations,
            kappa_bid=kb,
            kappa_bid_confidence=view.bid_confidence,
            kappa_bid_obs=regimes.side_observations(BID),
            kappa_ask=ka,
            kappa_ask_confidence=view.ask_confidence,
            kappa_ask_obs=regimes.side_observations(ASK),
            kappa_regime=view.per_regime,
            adverse_probability=0.5 * (p_bid + p_ask),
            adverse_probability_bid=p_bid,
            adverse_probability_ask=p_ask,
            adverse_rate=adverse.adverse_rate,
            adverse_obs=adverse.observations,
            regime_confidence=regime.confidence,
            regime_obs=regime.observations,
            fill_rate_depths_bps=fill_rate.depths_bps,
            fill_rate_obs=self._fill_obs,
            kelly_fraction=self.kelly.value,
            kelly_obs=self.kelly.observations,
            own_fill_rate=warmup.fill_rate,
        )

    def _step_regime(self, ts: int) -> None:
        """One HMM step on the features as of now."""
        dt = 0.0 if self._last_step_ts == _NEVER else (ts - self._last_step_ts) / SEC_NS
        self._last_step_ts = ts
        sigma = self.fast_volatility.value
        rate = self._intensity_count / self._intensity_time if self._intensity_time > 0.0 else 0.0
        self.regime.update(
            math.log(sigma if sigma > _MIN_SIGMA else _MIN_SIGMA),
            math.log(rate + _MIN_RATE),
            self._flow_imbalance(),
            dt,
        )

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
        """Plain data (JSON-ready): every final estimate as ``{"value", "confidence",
        "observations", ...extras}``.

        Confidences are in [0, 1): the posterior's 1 / (1 + cv) for sigma and kappa, the
        most likely regime's probability, 1 / (1 + 1 / sqrt(n)) for count-based estimates,
        and the progress itself for the calibration controller and the warmup. The
        blended kappa is recomputed from the final state, as the next cycle would.
        """
        vol = self.volatility
        own = self.kappa_own
        market = self.kappa_market
        regimes = self.kappa_regimes
        probs = self.regime.probabilities
        last = self._last
        kappa, kappa_conf, own_share = blend(
            harmonic(regimes.side_value(BID, probs), regimes.side_value(ASK, probs)),
            0.5 * (regimes.side_confidence(BID, probs) + regimes.side_confidence(ASK, probs)),
            own, self.cfg.kappa_own_weight,
        )  # fmt: skip

        def est(value: float, confidence: float, observations: int, **extra: Any) -> dict[str, Any]:
            return {"value": value, "confidence": confidence, "observations": observations, **extra}

        sigma = last.sigma if last is not None else self._sigma_prior
        fill_rate = self.fill_rate
        return {
            "estimates_emitted": self._emitted,
            "sigma": est(sigma, vol.confidence, vol.observations, ewma=vol.value, bipower=vol.bipower,
                         estimator=self.cfg.vol_estimator),
            "kappa": est(kappa, kappa_conf, own.observations + market.observations, own_share=own_share,
                         floor=self.warmup.floor),
            "kappa_own": est(own.value, own.confidence, own.observations),
            "kappa_market": est(market.value, market.confidence, market.observations),
            "kappa_bid": est(regimes.side_value(BID, probs), regimes.side_confidence(BID, probs),
                             regimes.side_observations(BID)),
            "kappa_ask": est(regimes.side_value(ASK, probs), regimes.side_confidence(ASK, probs),
                             regimes.side_observations(ASK)),
            "kappa_regime": dict(zip(REGIMES, regimes.per_regime(), strict=True)),
            "adverse_selection": est(self.adverse.value, count_confidence(self.adverse.observations),
                                     self.adverse.observations, unit="bps", adverse_rate=self.adverse.adverse_rate,
                                     probability=last.adverse_probability if last is not None else 0.5),
            "regime": est(self.regime.value, self.regime.confidence, self.regime.observations,
                          probabilities=dict(zip(REGIMES, probs, strict=True))),
            "fill_rate": est(dict(zip((f"{d:g}" for d in fill_rate.depths_bps), fill_rate.probabilities, strict=True)),
                             fill_rate.confidence, fill_rate.observations, unit="P(fill) by depth bps"),
            "kelly": est(self.kelly.value, self.kelly.confidence, self.kelly.observations,
                         win_rate=self.kelly.win_rate),
            "calibration": est(self.calibration.value, self.calibration.progress, self.calibration.observations,
                               progress=self.calibration.progress),
            "warmup": est(self.warmup.value, self.warmup.value, self.warmup.fills,
                          complete=self.warmup.complete, kappa_floor=self.warmup.floor,
                          floor_observations=self.warmup.observations, own_fill_rate=self.warmup.fill_rate),
            "rejected_inputs": self._rejected,
        }  # fmt: skip

    def snapshot(self) -> EstimatorsSnapshot:
        """Every estimator's state (a msgspec struct that round-trips through JSON)."""
        return EstimatorsSnapshot(
            volatility=self.volatility.snapshot(),
            fast_volatility=self.fast_volatility.snapshot(),
            kappa_own=self.kappa_own.snapshot(),
            kappa_market=self.kappa_market.snapshot(),
            kappa_regimes=self.kappa_regimes.snapshot(),
            adverse=self.adverse.snapshot(),
            regime=self.regime.snapshot(),
            fill_rate=self.fill_rate.snapshot(),
            kelly=self.kelly.snapshot(),
            calibration=self.calibration.snapshot(),
            warmup=self.warmup.snapshot(),
            mean_notional=self._mean_notional,
            flow_buy=self._flow_buy,
            flow_sell=self._flow_sell,
            intensity_count=self._intensity_count,
            intensity_time=self._intensity_time,
            rejected=self._rejected,
        )

    def restore(self, state: EstimatorsSnapshot) -> None:
        """Take over every estimator's state (pending markouts, live levels and the recent
        market are not part of it: they belong to the session that saw the fills)."""
        self.volatility.restore(state.volatility)
        self.fast_volatility.restore(state.fast_volatility)
        self.kappa_own.restore(state.kappa_own)
        self.kappa_market.restore(state.kappa_market)
        self.kappa_regimes.restore(state.kappa_regimes)
        self.adverse.restore(state.adverse)
        self.regime.restore(state.regime)
        self.fill_rate.restore(state.fill_rate)
        self.kelly.restore(state.kelly)
        self.calibration.restore(state.calibration)
        self.warmup.restore(state.warmup)
        self._mean_notional = state.mean_notional
        self._flow_buy = state.flow_buy
        self._flow_sell = state.flow_sell
        self._intensity_count = state.intensity_count
        self._intensity_time = state.intensity_time
        self._rejected = state.rejected
