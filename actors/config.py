"""Session configuration: one frozen msgspec struct per section, validated with key paths.

Every field carries a description (shown by ``papermm generate-config``) and its bounds
(checked by ``papermm validate-config`` and before every session).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta


class Section(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A configuration section."""


# One line per key, so that the sections read as tables of settings.
# fmt: off
class SessionSection(Section, frozen=True):
    asset: Annotated[str, Meta(min_length=1, description="Coin to quote, e.g. BTC (HIP-3: dex:COIN).")] = "BTC"
    dex: Annotated[str, Meta(description="HIP-3 builder dex name; empty for the first perp dex.")] = ""
    seed: Annotated[int, Meta(ge=0, description="Seed of the session (synthetic market and fill draws).")] = 7
    duration_s: Annotated[float, Meta(ge=0, description="Market time to run, seconds; 0 runs until Ctrl-C or end of feed.")] = 3600.0
    speed: Annotated[str, Meta(pattern=r"^(max|[0-9]+(\.[0-9]+)?)$", description="Replay pace: 1 (real time), N (N times faster) or max.")] = "max"
    data_dir: Annotated[str, Meta(description="Root of sessions and checkpoints.")] = "./data"


class FeedSection(Section, frozen=True):
    kind: Annotated[str, Meta(description="synthetic | hyperliquid | recording:PATH")] = "synthetic"
    batch: Annotated[int, Meta(ge=1, le=65536, description="Events the feed hands to the sequencer at once.")] = 256


class SyntheticSection(Section, frozen=True):
    start_price: Annotated[float, Meta(gt=0, description="Initial mid price, USD.")] = 100_000.0
    book_interval_s: Annotated[float, Meta(gt=0, description="Seconds between book snapshots.")] = 0.5
    mids_interval_s: Annotated[float, Meta(gt=0, description="Seconds between Mids events.")] = 1.0
    book_levels: Annotated[int, Meta(ge=1, le=100, description="Levels per side of the book.")] = 20
    tick_bps: Annotated[float, Meta(gt=0, description="Book level spacing, bps of mid.")] = 0.1
    base_trade_rate: Annotated[float, Meta(gt=0, description="Baseline trades per second (normal regime).")] = 8.0
    hawkes_alpha: Annotated[float, Meta(ge=0, lt=1, description="Branching ratio of the self-exciting trade arrivals.")] = 0.5
    hawkes_decay_s: Annotated[float, Meta(gt=0, description="Decay time of trade self-excitation, seconds.")] = 2.0
    informed_fraction: Annotated[float, Meta(ge=0, le=1, description="Fraction of trades whose own impact moves the price, informed_delay_s later.")] = 0.15
    mean_regime_s: Annotated[float, Meta(gt=0, description="Mean regime duration, seconds.")] = 300.0
    sigma: Annotated[float, Meta(gt=0, le=0.01, description="Median diffusive volatility of the trending regime, fractional per sqrt(second); quiet is 0.6x, volatile 2.5x.")] = 0.0001
    vol_of_vol: Annotated[float, Meta(ge=0, le=2, description="Stationary standard deviation of log-volatility around its regime level.")] = 0.3
    vol_reversion_s: Annotated[float, Meta(gt=0, description="Mean-reversion time of log-volatility, seconds.")] = 60.0
    kappa_quiet: Annotated[float, Meta(ge=50, le=100_000, description="True order-arrival intensity kappa of the quiet regime: trades print Exp(kappa) beyond the half-spread, 1/(fractional distance from mid).")] = 2500.0
    kappa_trending: Annotated[float, Meta(ge=50, le=100_000, description="True kappa of the trending regime, 1/(fractional distance from mid).")] = 1500.0
    kappa_volatile: Annotated[float, Meta(ge=50, le=100_000, description="True kappa of the volatile regime, 1/(fractional distance from mid).")] = 700.0
    half_spread_bps: Annotated[float, Meta(ge=0, le=100, description="Half-spread of the quiet regime, bps of mid; trending is 1.5x, volatile 3x.")] = 0.3
    trend_drift_bps_s: Annotated[float, Meta(ge=0, le=100, description="Drift of the trending regime, bps of mid per second (direction drawn at entry).")] = 0.2
    informed_impact_bps: Annotated[float, Meta(ge=0, le=100, description="Permanent mid move in the direction of each informed trade, bps.")] = 0.4
    informed_delay_s: Annotated[float, Meta(ge=0, le=60, description="Delay between an informed trade and its price impact, seconds.")] = 0.5
    foresight_horizon_s: Annotated[float, Meta(gt=0, le=3600, description="Trades with foresight know where the diffusion will be at the next news point and trade that way; news points are this far apart, seconds.")] = 10.0
    foresight_depth_bps: Annotated[float, Meta(gt=0, le=1000, description="A trade that prints x bps beyond the touch has foresight with probability 1 - exp(-x / this): the touch is mostly noise, the far tail mostly informed; bps.")] = 5.0
    trade_notional_usd: Annotated[float, Meta(gt=0, description="Median trade notional of the trending regime, USD; quiet is 0.6x, volatile 2x.")] = 1500.0
    depth_usd: Annotated[float, Meta(gt=0, description="Resting notional at the touch level of the trending regime, USD; deeper levels hold more.")] = 40_000.0
    depth_refill_s: Annotated[float, Meta(gt=0, description="Time for book depth taken by trades to refill, seconds (e-folding); the volatile regime refills 3x faster.")] = 1.5


class QuoteSection(Section, frozen=True):
    gamma: Annotated[float, Meta(gt=0, description="GLFT risk aversion (xi = gamma).")] = 0.3
    arrival_a: Annotated[float, Meta(gt=0, description="GLFT order-arrival scale A, per second.")] = 1.0
    delta: Annotated[float, Meta(gt=0, description="GLFT lot size D, in base order sizes.")] = 1.0
    sigma_prior: Annotated[float, Meta(gt=0, description="Volatility prior, fractional per sqrt(second).")] = 0.0002
    kappa_prior: Annotated[float, Meta(gt=0, description="Order-arrival intensity prior, 1/(fractional distance from mid).")] = 500.0
    levels: Annotated[int, Meta(ge=1, le=20, description="Ladder levels per side.")] = 3
    level_spacing: Annotated[float, Meta(ge=1, description="Geometric ratio between successive levels' distances.")] = 1.5
    size_ratio: Annotated[float, Meta(gt=0, description="Geometric ratio between successive levels' sizes.")] = 1.0
    order_notional_usd: Annotated[float, Meta(gt=0, description="Notional of the level-0 order, USD.")] = 50.0
    min_notional_usd: Annotated[float, Meta(ge=0, description="Exchange minimum order value, USD.")] = 10.0
    min_requote_interval_ms: Annotated[float, Meta(ge=0, description="Minimum event time between quote cycles, ms.")] = 1000.0
    requote_tolerance_bps: Annotated[float, Meta(ge=0, le=100, description="A resting order whose price is within this many bps of mid of its level's price (same side and size) is kept instead of replaced: it keeps its queue place and costs no API requests, and the level is quoted at its price (0.25 bps: a couple of ticks on BTC). 0 replaces an order on any price change.")] = 0.25
    observe_s: Annotated[float, Meta(ge=0, le=86_400, description="Event time a cold start watches the market before its first quote, seconds; a warm start whose prior has volatility observations quotes at once. 0 quotes at once.")] = 30.0
    sz_decimals: Annotated[int, Meta(ge=-1, le=8, description="Size decimals of the asset; -1 looks it up by asset.")] = -1
    max_position: Annotated[float, Meta(gt=0, description="Largest absolute position, contracts.")] = 1.0
    leverage: Annotated[float, Meta(gt=0, le=50, description="Leverage for the margin check.")] = 10.0
    paper_balance_usd: Annotated[float, Meta(gt=0, description="Paper account balance, USD.")] = 1000.0
    spread_profile: Annotated[str, Meta(pattern=r"^(default|hip3|aggressive|glft)$", description="Spread profile: bounds of the total spread at the touch and the ladder spacing (default 40-50 bps, hip3 15-25, aggressive 10-20; glft: unbounded, level_spacing applies). GLFT decides within the bounds.")] = "default"
    min_spread_bps: Annotated[float, Meta(ge=-1, le=10_000, description="Lower bound of the total spread at the touch, bps of mid; -1 takes the profile's.")] = -1.0
    max_spread_bps: Annotated[float, Meta(ge=-1, le=10_000, description="Upper bound of the total spread at the touch, bps of mid; -1 takes the profile's.")] = -1.0
    max_position_usd: Annotated[float, Meta(ge=0, description="Largest absolute position as notional at mid, USD; 0 = no cap but the margin check.")] = 0.0


class FillSection(Section, frozen=True):
    touch_probability: Annotated[float, Meta(ge=0, le=1, description="Base probability that a trade at our level fills us.")] = 0.3
    queue_position_factor: Annotated[float, Meta(ge=0, le=1, description="Share of a trade's size that reaches our order.")] = 0.4
    max_probability: Annotated[float, Meta(ge=0, le=1, description="Cap of the fill probability.")] = 0.95
    through_price_factor: Annotated[float, Meta(ge=0, description="Price factor when a trade goes through our level.")] = 1.5
    wrong_aggressor_factor: Annotated[float, Meta(ge=0, le=1, description="Factor when the aggressor is on our side.")] = 0.3
    queue_alpha: Annotated[float, Meta(gt=0, description="Exponent of the queue factor (1 - queue_fraction)^alpha.")] = 1.5
    ignore_book_depth: Annotated[bool, Meta(description="Flat-queue mode (paper default) instead of per-order queue estimates.")] = True
    placement_latency_ms: Annotated[float, Meta(ge=0, description="Delay before a placed order rests, ms of event time.")] = 100.0
    cancel_latency_ms: Annotated[float, Meta(ge=0, description="Delay before a cancel takes effect, ms of event time.")] = 50.0
    max_order_age_s: Annotated[float, Meta(gt=0, description="Orders older than this expire, seconds.")] = 300.0
    min_size_factor: Annotated[float, Meta(ge=0, description="Lower clamp of the size factor trade size / order remaining.")] = 0.5
    max_size_factor: Annotated[float, Meta(ge=0, description="Upper clamp of the size factor trade size / order remaining.")] = 2.0
    young_order_s: Annotated[float, Meta(ge=0, description="Flat-queue mode: an order rested less than this is young, seconds.")] = 1.0
    young_order_factor: Annotated[float, Meta(ge=0, description="Flat-queue mode: age bonus of a young order.")] = 0.7
    old_order_s: Annotated[float, Meta(ge=0, description="Flat-queue mode: an order rested more than this is old, seconds.")] = 10.0
    old_order_factor: Annotated[float, Meta(ge=0, description="Flat-queue mode: age bonus of an old order.")] = 1.3
    mode: Annotated[str, Meta(pattern=r"^(probabilistic|trade_through)$", description="probabilistic: the factor model above; trade_through: optimistic bound, a trade through our price fills (at our level with trade_through_probability) for all the liquidity it has left.")] = "probabilistic"
    trade_through_probability: Annotated[float, Meta(ge=0, le=1, description="trade_through mode: fill probability of a trade exactly at our level (one through it always fills).")] = 0.9
    adverse_fill_ratio: Annotated[float, Meta(ge=0, le=1, description="Fraction of fills made adverse on purpose: such a fill is held for adverse_horizon_s after its trade and happens only if the touch mid then is against us (a second seeded draw per decision when > 0).")] = 0.0
    adverse_horizon_s: Annotated[float, Meta(gt=0, le=3600, description="Event time after its trade at which a held adverse fill is decided: it happens only if the touch mid in force then is strictly below (our buy) or above (our sell) the mid at the trade, so its markout at this horizon is adverse; seconds.")] = 5.0


class FeesSection(Section, frozen=True):
    maker: Annotated[float, Meta(ge=-0.001, le=0.01, description="Maker fee rate (0.00015 = 1.5 bps); negative is a rebate.")] = 0.00015
    taker: Annotated[float, Meta(ge=0, le=0.01, description="Taker fee rate.")] = 0.00045


class OutcomeSection(Section, frozen=True):
    adverse_horizon_s: Annotated[float, Meta(gt=0, description="Horizon of the adverse-selection part of PnL, seconds.")] = 1.0
    pnl_interval_s: Annotated[float, Meta(gt=0, description="Event time between PnL records when nothing fills, seconds.")] = 1.0


class LiveSection(Section, frozen=True):
    network: Annotated[str, Meta(pattern=r"^(mainnet|testnet)$", description="Hyperliquid network: mainnet | testnet.")] = "mainnet"
    ws_url: Annotated[str, Meta(description="Websocket endpoint; empty uses the network's default.")] = ""
    fast_book: Annotated[bool, Meta(description="Also subscribe to the 5-level fast l2Book.")] = True
    bbo: Annotated[bool, Meta(description="Also subscribe to bbo.")] = True
    all_mids: Annotated[bool, Meta(description="Subscribe to allMids.")] = True
    ping_interval_s: Annotated[float, Meta(gt=0, description="Send a ping when nothing was sent for this long, seconds.")] = 30.0
    silence_timeout_s: Annotated[float, Meta(gt=0, description="Reconnect when no frame arrives for this long, seconds.")] = 10.0
    backoff_initial_s: Annotated[float, Meta(gt=0, description="First reconnect delay, seconds.")] = 0.25
    backoff_max_s: Annotated[float, Meta(gt=0, description="Largest reconnect delay, seconds.")] = 30.0
    backoff_jitter: Annotated[float, Meta(ge=0, le=1, description="Random fraction added to each delay.")] = 0.2
    heartbeat_interval_ms: Annotated[float, Meta(gt=0, description="Wall-clock Heartbeat input period, ms.")] = 1000.0
    stale_after_s: Annotated[float, Meta(gt=0, description="No book update for this long (wall time) pulls all quotes, seconds.")] = 15.0
    connect_timeout_s: Annotated[float, Meta(gt=0, le=300, description="Give up a websocket connect (TCP, TLS and handshake) after this long, seconds.")] = 10.0
    ack_timeout_s: Annotated[float, Meta(gt=0, le=300, description="Reconnect when a subscription is not acknowledged within this long, seconds.")] = 5.0
    stable_after_s: Annotated[float, Meta(gt=0, description="A connection up this long resets the reconnect backoff, seconds.")] = 60.0


class LogSection(Section, frozen=True):
    flush_interval_ms: Annotated[float, Meta(gt=0, le=100, description="Wall time between log flushes, ms (at most 100).")] = 100.0


class EstimatorsSection(Section, frozen=True):
    """The estimators actor: volatility, kappa, adverse selection, regimes, fill rate, Kelly,
    the calibration controller and the warmup floor (priors come from [quote])."""

    vol_half_life_s: Annotated[float, Meta(gt=0, le=86_400, description="Half-life of the EWMA of squared mid log-returns (and of the bipower variant), seconds of event time.")] = 300.0
    vol_min_interval_ms: Annotated[float, Meta(ge=0, le=60_000, description="Shortest time a mid return spans, ms; faster mids are folded into the next return (microstructure noise).")] = 250.0
    vol_max_gap_s: Annotated[float, Meta(gt=0, description="A gap between mids longer than this restarts the returns instead of making one, seconds.")] = 60.0
    vol_estimator: Annotated[str, Meta(pattern=r"^(ewma|bipower)$", description="Which volatility the quote engine gets: ewma (realized, jumps included) | bipower (jump-robust).")] = "ewma"
    vol_min_observations: Annotated[int, Meta(ge=1, description="Returns before the volatility estimate replaces quote.sigma_prior.")] = 20
    kappa_prior_strength: Annotated[float, Meta(gt=0, le=1_000_000, description="Weight of the kappa priors, in observations (the Gamma prior's shape).")] = 1.0
    kappa_max_weight: Annotated[float, Meta(gt=0, le=1000, description="Largest volume weight of one kappa observation, in typical sizes.")] = 5.0
    kappa_max_distance: Annotated[float, Meta(gt=0, le=10, description="A kappa observation farther than this fraction of mid from mid is refused as bad data.")] = 0.5
    kappa_own_weight: Annotated[float, Meta(ge=0, le=1, description="Largest share of the own-fill kappa in the blended kappa, reached as its confidence approaches 1.")] = 0.3
    kappa_min_observations: Annotated[float, Meta(ge=0, description="Weighted market trades a regime needs before its own kappa replaces the regime prior.")] = 50.0
    kappa_regime_delay_s: Annotated[float, Meta(ge=0, le=600, description="Trades reach the per-regime kappa posteriors this long after they print, weighted by the regime probabilities of then (the HMM's features lag the market by about their half-life), seconds.")] = 15.0
    kappa_prior_mult_quiet: Annotated[float, Meta(gt=0, le=1000, description="Kappa prior of the quiet regime, times quote.kappa_prior.")] = 1.5
    kappa_prior_mult_normal: Annotated[float, Meta(gt=0, le=1000, description="Kappa prior of the normal regime, times quote.kappa_prior.")] = 1.0
    kappa_prior_mult_volatile: Annotated[float, Meta(gt=0, le=1000, description="Kappa prior of the volatile regime, times quote.kappa_prior.")] = 0.5
    kappa_prior_mult_cascade: Annotated[float, Meta(gt=0, le=1000, description="Kappa prior of the cascade regime, times quote.kappa_prior.")] = 0.25
    size_half_life: Annotated[float, Meta(ge=1, le=1_000_000, description="Half-life of the running typical trade notional that volume weights are relative to, in trades.")] = 500.0
    markout_horizon_s: Annotated[float, Meta(gt=0, le=3600, description="Event time after a fill at which its markout is taken (adverse selection, Kelly), seconds.")] = 5.0
    adverse_threshold_bps: Annotated[float, Meta(ge=0, le=1000, description="A fill is adverse when the mid moved against us by more than this at the markout, bps.")] = 1.0
    adverse_learning_rate: Annotated[float, Meta(gt=0, le=1, description="Step size of the online logistic regression that predicts P(adverse).")] = 0.05
    adverse_l2: Annotated[float, Meta(ge=0, le=1, description="L2 shrinkage of the adverse-selection classifier's weights, per update.")] = 0.0001
    adverse_ewma_alpha: Annotated[float, Meta(gt=0, le=1, description="Weight of each new markout in the EWMA of realized adverse selection.")] = 0.05
    book_imbalance_levels: Annotated[int, Meta(ge=1, le=100, description="Book levels per side summed into the book-imbalance feature.")] = 5
    flow_half_life_s: Annotated[float, Meta(gt=0, le=3600, description="Half-life of the trade-flow imbalance and trade-intensity features, seconds.")] = 15.0
    regime_mean_duration_s: Annotated[float, Meta(gt=0, description="Expected stay in a regime; sets the HMM's sticky transition matrix, seconds.")] = 300.0
    regime_vol_half_life_s: Annotated[float, Meta(gt=0, le=3600, description="Half-life of the short realized volatility the HMM observes, seconds.")] = 15.0
    regime_center_rate: Annotated[float, Meta(ge=0, le=1, description="Step size with which the HMM's emission template slides to where it explains the (scale-dependent) volatility and intensity best.")] = 0.002
    regime_learning_rate: Annotated[float, Meta(ge=0, le=1, description="Step size of the online adaptation of each regime's emission means and variances.")] = 0.002
    fill_horizon_s: Annotated[float, Meta(gt=0, le=3600, description="A quote level counts as filled when it fills within this long of its placement (or its life, if shorter), seconds.")] = 30.0
    fill_prior_strength: Annotated[float, Meta(gt=0, le=1_000_000, description="Weight of the fill-rate prior per depth bin, in outcomes.")] = 2.0
    fill_prior_scale_bps: Annotated[float, Meta(gt=0, le=10_000, description="Depth scale of the fill-rate prior 0.5 * exp(-depth / scale), bps.")] = 5.0
    cal_gamma_start: Annotated[float, Meta(gt=0, le=10, description="Gamma multiplier of the calibration controller before anything is learned (fill-hungry, tight).")] = 0.3
    cal_gamma_end: Annotated[float, Meta(gt=0, le=10, description="Gamma multiplier once calibration progress reaches 1.")] = 1.0
    cal_adverse_target: Annotated[int, Meta(ge=1, description="Markouts for full adverse-selection progress of the calibration controller.")] = 50
    cal_kappa_target: Annotated[int, Meta(ge=1, description="Own fills for full kappa progress of the calibration controller.")] = 50
    warmup_floor_kappa: Annotated[float, Meta(ge=0, le=10_000_000, description="Warmup kappa floor at the start: kappa is at least the floor (the half spread at most about 1/floor) so that learning gets fills; it fades with warmup progress and is lifted when the warmup completes; 0 disables it.")] = 8000.0
    warmup_floor_max_kappa: Annotated[float, Meta(ge=0, le=10_000_000, description="Highest the warmup floor tightens to while fills stay scarce.")] = 64_000.0
    warmup_floor_doubling_s: Annotated[float, Meta(gt=0, description="While fills are scarce the floor doubles (tightens) every this many seconds; once they come it halves back at the same pace, seconds.")] = 60.0
    warmup_scarce_fill_rate: Annotated[float, Meta(ge=0, description="Own fills per second below which fills are scarce: warmup targets relax and the floor tightens.")] = 0.005
    warmup_fill_rate_half_life_s: Annotated[float, Meta(gt=0, description="Half-life of the observed own-fill rate, seconds.")] = 120.0
    warmup_floor_obs: Annotated[int, Meta(ge=1, description="Floor observations (own fills while the floor is in force) for full floor progress.")] = 20
    warmup_floor_obs_scarce: Annotated[int, Meta(ge=1, description="The same target when fills are scarce.")] = 10
    warmup_fills: Annotated[int, Meta(ge=1, description="Own fills (volume-weighted) for full kappa-fill progress of the warmup.")] = 10
    warmup_fills_scarce: Annotated[int, Meta(ge=1, description="The same target when fills are scarce.")] = 5


class RiskSection(Section, frozen=True):
    """The kill switch and the API request budget (position limits are in [quote])."""

    max_drawdown: Annotated[float, Meta(ge=0, le=1, description="Kill switch: drawdown from the session's peak equity, as a fraction of quote.paper_balance_usd, that trips it; 0 disables.")] = 0.05
    max_daily_loss_usd: Annotated[float, Meta(ge=0, description="Kill switch: loss since 00:00 UTC (event time), USD, that trips it; 0 disables.")] = 100.0
    kill_switch_latched: Annotated[str, Meta(description="Set by papermm paper when the kill switch tripped in an earlier session and was not reset (--reset-kill-switch): the session starts tripped and never quotes. Empty = not latched.")] = ""
    api_initial_requests: Annotated[float, Meta(ge=0, description="Address request budget before any volume (Hyperliquid: 10,000).")] = 10_000.0
    api_requests_per_usd: Annotated[float, Meta(ge=0, description="Requests the address earns per USD traded (Hyperliquid: 1).")] = 1.0
    api_prior_volume_usd: Annotated[float, Meta(ge=0, description="Cumulative volume the address traded before this session, USD (it earns budget too).")] = 0.0
    api_inventory_only_below: Annotated[float, Meta(ge=0, le=1, description="Below this request headroom only orders that reduce the position are sent.")] = 0.1
    api_max_spread_multiplier: Annotated[float, Meta(ge=1, description="Cap of the headroom widening 1/sqrt(headroom).")] = 10.0


class CheckpointSection(Section, frozen=True):
    """Checkpoints, priors and their readiness verdict (see docs/checkpoints.md)."""

    save: Annotated[bool, Meta(description="Write checkpoints and prior.json (the CheckpointDue events are logged either way).")] = True
    interval_s: Annotated[float, Meta(gt=0, description="Event time between checkpoints, seconds (one more is written at session end).")] = 300.0
    keep: Annotated[int, Meta(ge=1, le=10_000, description="Timestamped checkpoints kept per asset; older ones are deleted.")] = 24
    stale_after_s: Annotated[float, Meta(gt=0, description="A prior older than this (wall time since it was saved) is refused for a warm start and fails the gate, seconds.")] = 14_400.0
    ready_session_s: Annotated[float, Meta(ge=0, description="Market time of learning behind a prior before it can be Ready or Marginal, seconds.")] = 1800.0
    ready_volatility_obs: Annotated[int, Meta(ge=0, description="Volatility observations (mid returns) for the estimator to count as converged.")] = 200
    ready_kappa_obs: Annotated[int, Meta(ge=0, description="Own-fill kappa observations (own fills) for kappa to count as converged.")] = 50
    ready_adverse_obs: Annotated[int, Meta(ge=0, description="Adverse-selection observations (resolved markouts) for it to count as converged.")] = 100
    ready_regime_obs: Annotated[int, Meta(ge=0, description="Regime HMM steps for it to count as converged.")] = 200
    ready_fill_rate_obs: Annotated[int, Meta(ge=0, description="Fill-rate observations (quote level outcomes) for it to count as converged.")] = 200
    ready_kelly_fills: Annotated[int, Meta(ge=0, description="Kelly tracker fills (resolved markouts) a Ready prior needs.")] = 20
    marginal_estimators: Annotated[int, Meta(ge=0, le=5, description="Converged core estimators (of 5) for a Marginal verdict.")] = 3
    defensive_spread_factor: Annotated[float, Meta(ge=1, le=100, description="A session warm-started from a prior that is not Ready multiplies its half spread by this.")] = 1.5
    defensive_size_factor: Annotated[float, Meta(gt=0, le=1, description="A session warm-started from a prior that is not Ready multiplies its order size by this.")] = 0.5
# fmt: on


class Config(Section, frozen=True):
    """The whole session configuration."""

    session: SessionSection = msgspec.field(default_factory=SessionSection)
    feed: FeedSection = msgspec.field(default_factory=FeedSection)
    synthetic: SyntheticSection = msgspec.field(default_factory=SyntheticSection)
    quote: QuoteSection = msgspec.field(default_factory=QuoteSection)
    fill: FillSection = msgspec.field(default_factory=FillSection)
    fees: FeesSection = msgspec.field(default_factory=FeesSection)
    outcome: OutcomeSection = msgspec.field(default_factory=OutcomeSection)
    live: LiveSection = msgspec.field(default_factory=LiveSection)
    log: LogSection = msgspec.field(default_factory=LogSection)
    estimators: EstimatorsSection = msgspec.field(default_factory=EstimatorsSection)
    checkpoint: CheckpointSection = msgspec.field(default_factory=CheckpointSection)
    risk: RiskSection = msgspec.field(default_factory=RiskSection)
