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
    informed_fraction: Annotated[float, Meta(ge=0, le=1, description="Fraction of trades that precede the price move.")] = 0.15
    mean_regime_s: Annotated[float, Meta(gt=0, description="Mean regime duration, seconds.")] = 300.0
    sigma: Annotated[float, Meta(gt=0, le=0.01, description="Median diffusive volatility of the trending regime, fractional per sqrt(second); quiet is 0.6x, volatile 2.5x.")] = 0.0001
    vol_of_vol: Annotated[float, Meta(ge=0, le=2, description="Stationary standard deviation of log-volatility around its regime level.")] = 0.3
    vol_reversion_s: Annotated[float, Meta(gt=0, description="Mean-reversion time of log-volatility, seconds.")] = 60.0
    kappa_quiet: Annotated[float, Meta(ge=50, le=100_000, description="True order-arrival intensity kappa of the quiet regime, 1/(fractional distance from mid).")] = 2500.0
    kappa_trending: Annotated[float, Meta(ge=50, le=100_000, description="True kappa of the trending regime, 1/(fractional distance from mid).")] = 1500.0
    kappa_volatile: Annotated[float, Meta(ge=50, le=100_000, description="True kappa of the volatile regime, 1/(fractional distance from mid).")] = 700.0
    half_spread_bps: Annotated[float, Meta(ge=0, le=100, description="Half-spread of the quiet regime, bps of mid; trending is 1.5x, volatile 3x.")] = 0.3
    trend_drift_bps_s: Annotated[float, Meta(ge=0, le=100, description="Drift of the trending regime, bps of mid per second (direction drawn at entry).")] = 0.2
    informed_impact_bps: Annotated[float, Meta(ge=0, le=100, description="Permanent mid move in the direction of each informed trade, bps.")] = 0.4
    informed_delay_s: Annotated[float, Meta(ge=0, le=60, description="Delay between an informed trade and its price impact, seconds.")] = 0.5
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
    sz_decimals: Annotated[int, Meta(ge=-1, le=8, description="Size decimals of the asset; -1 looks it up by asset.")] = -1
    max_position: Annotated[float, Meta(gt=0, description="Largest absolute position, contracts.")] = 1.0
    leverage: Annotated[float, Meta(gt=0, le=50, description="Leverage for the margin check.")] = 10.0
    paper_balance_usd: Annotated[float, Meta(gt=0, description="Paper account balance, USD.")] = 1000.0


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

