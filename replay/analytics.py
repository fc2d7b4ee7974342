"""The analytics streams of a session, derived from its event log alone.

``write_analytics(session_dir)`` reads ``events.log`` once and writes, under
``analytics/``, one JSON object per line, records in event-time order:

* ``sharpe_metrics.jsonl``: one line per ``SHARPE_INTERVAL_S`` (60 s) of event time:
  the return of that minute (change of the marked-to-mid PnL total, in bps of the paper
  balance) and, over the trailing 1 h, 24 h, 7 d and the whole session, the number of
  returns, their mean and standard deviation in bps and the annualized Sharpe ratio
  ``mean / std * sqrt(minutes per year)`` (365-day year: crypto never closes).
* ``signal_contributions.jsonl``: one line per quote cycle. There are no alpha signals
  yet, so the quote engine's components are the signals, applied in this order (each
  adjusts the half spread left by the ones before it):

  - ``glft_spread``: the GLFT half spread (maker fee included) at the configured gamma,
    the cycle's sigma and the estimated kappa; always active;
  - ``warmup_kappa_floor``: the estimators' warmup floor raising kappa (tightening the
    spread); active while it binds;
  - ``calibration_gamma``: the calibration controller's gamma multiplier; active while
    it is not 1;
  - ``spread_profile``: the clamp into the spread profile's band (only its cap while the
    estimators warm up); active while it binds;
  - ``api_headroom``: the API-budget gate's spread multiplier (ApiHeadroomChanged);
  - ``defensive_prior``: the widening of a warm start from a prior that is not Ready
    (PriorInjected);
  - ``inventory_skew``: the GLFT skew times the inventory in lots; shifts both quotes
    (positive: down, leaning to sell); active while the position is not flat.

  Each reports whether it was active, its half-spread adjustment and skew adjustment in
  bps and its spread multiplier; the cycle reports the total spread multiplier (quoted
  half spread / the GLFT base), the combined skew and ``residual_bps``, the quoted half
  spread minus the sum of the parts (0 up to rounding while the engine works this way).
* ``signal_pnl.jsonl``: one line per signal: the PnL earned between quote cycles while
  the signal was active and while inactive, the time in each state, their rates per
  hour, and the marginal value (rate active - rate inactive, USD per hour).
* ``edge_validation.jsonl``: one line per fill: spread, adverse selection and edge
  (spread - adverse selection - maker fee) in bps, predicted when the order was placed,
  at the fill (realized spread, predicted adverse selection) and once marked out
  (both realized; adverse selection is the markout at the estimators' markout horizon,
  negated).
* ``experiences.jsonl``: one (state, action, reward, next_state, done) per quote cycle
  for offline reinforcement learning; the reward is the change of the marked-to-mid PnL
  total (USD, fees included) until the next cycle.

Everything is a pure function of the log, so rebuilding gives the same bytes. The
streams are written after a session, never during it: a post-pass costs the session
nothing. ``collect`` (one pass over the log) is shared with the report and the checklist.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import attrs
import msgspec

from actors.config import Config
from actors.glft import glft_quote
from actors.graph import sz_decimals
from actors.ladder import base_size
from actors.predictions import book_imbalance
from actors.spread_profiles import SpreadProfile, resolve_profile
from events import (
    EXTERNAL_TYPES,
    ApiHeadroomChanged,
    Bbo,
    BookSnapshot,
    CheckpointSaved,
    Estimates,
    Fill,
    PlaceOrder,
    PnL,
    PriorInjected,
    QuoteCycle,
    SessionEnded,
    SessionStarted,
)
from events.outcomes import CalibrationRecord, Markout
from replay.session import RecordedSession, open_session

STREAMS: Final = ("sharpe_metrics", "signal_contributions", "signal_pnl", "edge_validation", "experiences")
SIGNALS: Final = (
    "glft_spread",
    "warmup_kappa_floor",
    "calibration_gamma",
    "spread_profile",
    "api_headroom",
    "defensive_prior",
    "inventory_skew",
)
SHARPE_INTERVAL_S: Final = 60.0
SHARPE_WINDOWS: Final = (("1h", 3600.0), ("24h", 86_400.0), ("7d", 604_800.0), ("all", math.inf))
_NS: Final = 1_000_000_000
_BPS: Final = 1e4
_YEAR_S: Final = 365.0 * 86_400.0
_encoder = msgspec.json.Encoder()


@attrs.define
class CycleContext:
    """A quote cycle with what surrounded it in the log."""

    seq: int
    cycle: QuoteCycle
    #: The Estimates the quote engine priced the cycle with (before the cycle's input).
    estimates: Estimates | None
    #: Marked-to-mid PnL total at the cycle: cash + position * cycle mid - fees paid.
    mtm: float
    spread_bps: float
    book_imbalance: float
    #: The API-budget gate's spread multiplier in force (1 before any ApiHeadroomChanged).
    api_multiplier: float = 1.0


@attrs.define
class SessionData:
    """Everything the analytics, the report and the checklist read, from one pass."""

    session: RecordedSession
    start_ns: int = 0
    end_ns: int = 0
    ended: SessionEnded | None = None
    counts: Counter[str] = attrs.Factory(Counter)
    mid_ts: list[int] = attrs.Factory(list)
    mids: list[float] = attrs.Factory(list)
    pnl: list[PnL] = attrs.Factory(list)
    fills: list[Fill] = attrs.Factory(list)
    #: Fill number (from 1) -> the Estimates in force at the fill.
    fill_estimates: list[Estimates | None] = attrs.Factory(list)
    markouts: list[Markout] = attrs.Factory(list)
    records: list[CalibrationRecord] = attrs.Factory(list)
    cycles: list[CycleContext] = attrs.Factory(list)
    estimates: list[Estimates] = attrs.Factory(list)
    placed: dict[int, PlaceOrder] = attrs.Factory(dict)
    checkpoints: list[CheckpointSaved] = attrs.Factory(list)
    prior: PriorInjected | None = None

    @property
    def config(self) -> Config:
        return self.session.config

    @property
    def started(self) -> SessionStarted:
        return self.session.started


def collect(path: str | Path | RecordedSession) -> SessionData:
    """Read a session's log once and keep what the post-pass analyses need."""
    session = path if isinstance(path, RecordedSession) else open_session(path)
    data = SessionData(session=session, start_ns=session.started.ts, end_ns=session.started.ts)
    n_levels = session.config.estimators.book_imbalance_levels
    maker = session.config.fees.maker
    counts = data.counts
    est: Estimates | None = None
    priced_with: Estimates | None = None
    book: BookSnapshot | None = None
    bid = ask = math.nan
    api_multiplier = 1.0
    position = cash = fees = 0.0
    for seq, event in session.records():
        kind = type(event)
        counts[kind.__name__] += 1
        if event.ts > data.end_ns:
            data.end_ns = event.ts
        if kind in EXTERNAL_TYPES:
            priced_with = est
        if kind is BookSnapshot:
            book = event  # type: ignore[assignment]
            if event.bid_px and event.ask_px:  # type: ignore[attr-defined]
                bid, ask = event.bid_px[0], event.ask_px[0]  # type: ignore[attr-defined]
                _add_mid(data, event.ts, bid, ask)
        elif kind is Bbo:
            if event.bid_px > 0.0 and event.ask_px > 0.0:  # type: ignore[attr-defined]
                bid, ask = event.bid_px, event.ask_px  # type: ignore[attr-defined]
                _add_mid(data, event.ts, bid, ask)
        elif kind is QuoteCycle:
            q: QuoteCycle = event  # type: ignore[assignment]
            mid = 0.5 * (bid + ask)
            data.cycles.append(
                CycleContext(
                    seq=seq,
                    cycle=q,
                    estimates=priced_with,
                    mtm=cash + position * q.mid - fees,
                    spread_bps=(ask - bid) / mid * _BPS,
                    book_imbalance=book_imbalance(book, n_levels) if book is not None else math.nan,
                    api_multiplier=api_multiplier,
                )
            )
        elif kind is Fill:
            f: Fill = event  # type: ignore[assignment]
            s = f.sz if f.side == "buy" else -f.sz
            position += s
            cash -= s * f.px
            fees += maker * f.sz * f.px
            data.fills.append(f)
            data.fill_estimates.append(est)
        elif kind is PnL:
            data.pnl.append(event)  # type: ignore[arg-type]
        elif kind is Estimates:
            est = event  # type: ignore[assignment]
            data.estimates.append(est)  # type: ignore[arg-type]
        elif kind is Markout:
            data.markouts.append(event)  # type: ignore[arg-type]
        elif kind is CalibrationRecord:
            data.records.append(event)  # type: ignore[arg-type]
        elif kind is PlaceOrder:
            data.placed[event.oid] = event  # type: ignore[attr-defined]
        elif kind is CheckpointSaved:
            data.checkpoints.append(event)  # type: ignore[arg-type]
        elif kind is ApiHeadroomChanged:
            api_multiplier = event.spread_multiplier  # type: ignore[attr-defined]
        elif kind is PriorInjected:
            data.prior = event  # type: ignore[assignment]
        elif kind is SessionEnded:
            data.ended = event  # type: ignore[assignment]
    return data


def _add_mid(data: SessionData, ts: int, bid: float, ask: float) -> None:
    mid = 0.5 * (bid + ask)
    if math.isfinite(mid) and mid > 0.0:
        data.mid_ts.append(ts)
        data.mids.append(mid)


# -- sharpe -------------------------------------------------------------------------------


def pnl_samples(data: SessionData, interval_s: float = SHARPE_INTERVAL_S) -> tuple[list[int], list[float]]:
    """The PnL total in force at every ``interval_s`` boundary after the start (the last
    PnL record at or before it; 0 before any), up to the end of the log."""
    step = round(interval_s * _NS)
    times: list[int] = []
    values: list[float] = []
    i = 0
    value = 0.0
    records = data.pnl
    t = data.start_ns + step
    while t <= data.end_ns:
        while i < len(records) and records[i].ts <= t:
            value = records[i].total
            i += 1
        times.append(t)
        values.append(value)
        t += step
    return times, values


def sharpe_stream(data: SessionData) -> list[dict[str, Any]]:
    """One line per interval: its return and the rolling statistics of every window."""
    times, values = pnl_samples(data)
    balance = data.config.quote.paper_balance_usd
    per_year = math.sqrt(_YEAR_S / SHARPE_INTERVAL_S)
    returns: list[float] = []
    prev = 0.0
    # Prefix sums for O(1) window statistics.
    s1 = [0.0]
    s2 = [0.0]
    out = []
    for t, v in zip(times, values, strict=True):
        r = (v - prev) / balance * _BPS
        prev = v
        returns.append(r)
        s1.append(s1[-1] + r)
        s2.append(s2[-1] + r * r)
        n_all = len(returns)
        line: dict[str, Any] = {"ts": t, "pnl_total": v, "return_bps": r}
        for name, window_s in SHARPE_WINDOWS:
            n = n_all if math.isinf(window_s) else min(n_all, int(window_s // SHARPE_INTERVAL_S))
            a = n_all - n
            mean = (s1[-1] - s1[a]) / n
            var = ((s2[-1] - s2[a]) - n * mean * mean) / (n - 1) if n > 1 else math.nan
            std = math.sqrt(var) if var > 0.0 else (0.0 if n > 1 else math.nan)
            sharpe = mean / std * per_year if std > 0.0 else None
            line[name] = {"samples": n, "mean_bps": mean, "std_bps": std, "sharpe": sharpe}
        out.append(line)
    return out


# -- signals ------------------------------------------------------------------------------


def _half_spread_bps(config: Config, gamma: float, sigma: float, kappa: float) -> float:
    q = config.quote
    try:
        quote = glft_quote(
            gamma=gamma, arrival_a=q.arrival_a, delta=q.delta, sigma=sigma, kappa=kappa, maker_fee=config.fees.maker
        )
    except ValueError:
        return math.nan
    return quote.half_spread * _BPS


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0.0 and math.isfinite(a) and math.isfinite(b) else math.nan


def _signal(name: str, active: bool, spread: float, skew: float, before: float, after: float) -> dict[str, Any]:
    return {"signal": name, "active": active, "spread_bps": spread, "skew_bps": skew, "multiplier": _ratio(after, before)}


def signal_contribution(
    config: Config, ctx: CycleContext, profile: SpreadProfile | None = None, defensive: float = 1.0
) -> dict[str, Any]:
    """One cycle's signals: half-spread and skew adjustments, multipliers, activity."""
    q = ctx.cycle
    est = ctx.estimates
    raw_kappa = est.kappa if est is not None and est.kappa > 0.0 and math.isfinite(est.kappa) else q.kappa
    base_gamma = config.quote.gamma
    base = _half_spread_bps(config, base_gamma, q.sigma, raw_kappa)
    floored = _half_spread_bps(config, base_gamma, q.sigma, q.kappa)
    glft = _half_spread_bps(config, q.gamma, q.sigma, q.kappa)
    # While the estimators warm up, the profile only caps the spread (no minimum).
    warming_up = est is not None and est.warmup < 1.0
    clamped = profile.clamp_half_spread(glft / _BPS, warming_up=warming_up) * _BPS if profile is not None else glft
    api = clamped * ctx.api_multiplier
    quoted = api * defensive
    lot = base_size(config.quote, q.mid, sz_decimals(config))
    lots = q.position / lot if lot > 0.0 else 0.0
    skew = q.skew_bps * lots
    signals = [
        _signal("glft_spread", True, base, 0.0, base, base),
        _signal("warmup_kappa_floor", q.kappa != raw_kappa, floored - base, 0.0, base, floored),
        {**_signal("calibration_gamma", abs(q.gamma / base_gamma - 1.0) > 1e-12, glft - floored, 0.0, floored, glft),
         "gamma_multiplier": q.gamma / base_gamma},
        _signal("spread_profile", clamped != glft, clamped - glft, 0.0, glft, clamped),
        _signal("api_headroom", ctx.api_multiplier != 1.0, api - clamped, 0.0, clamped, api),
        _signal("defensive_prior", defensive != 1.0, quoted - api, 0.0, api, quoted),
        {**_signal("inventory_skew", q.position != 0.0, 0.0, skew, 1.0, 1.0), "inventory_lots": lots},
    ]  # fmt: skip
    return {
        "ts": q.ts,
        "cycle": q.cycle,
        "signals": signals,
        "half_spread_bps": q.half_spread_bps,
        "spread_multiplier": _ratio(q.half_spread_bps, base),
        "combined_skew_bps": skew,
        "residual_bps": q.half_spread_bps - quoted,
    }


def cycle_rewards(data: SessionData) -> list[float]:
    """PnL (USD) earned from each cycle to the next; the last cycle's runs to the last mid."""
    cycles = data.cycles
    out = [b.mtm - a.mtm for a, b in zip(cycles, cycles[1:], strict=False)]
    if cycles:
        last = cycles[-1]
        position = cash = fees = 0.0
        for f in data.fills:
            s = f.sz if f.side == "buy" else -f.sz
            position += s
            cash -= s * f.px
            fees += data.config.fees.maker * f.sz * f.px
        mid = data.mids[-1] if data.mids else last.cycle.mid
        out.append(cash + position * mid - fees - last.mtm)
    return out


def signal_pnl_stream(data: SessionData, contributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per signal: PnL while active and inactive, time in each, rates and marginal value."""
    rewards = cycle_rewards(data)
    cycles = data.cycles
    ends = [c.cycle.ts for c in cycles[1:]] + [data.end_ns] if cycles else []
    out = []
    for i, name in enumerate(SIGNALS):
        pnl = {True: 0.0, False: 0.0}
        secs = {True: 0.0, False: 0.0}
        n = {True: 0, False: 0}
        for contrib, ctx, end, reward in zip(contributions, cycles, ends, rewards, strict=True):
            active = bool(contrib["signals"][i]["active"])
            pnl[active] += reward
            secs[active] += (end - ctx.cycle.ts) / _NS
            n[active] += 1
        rate = {k: pnl[k] / secs[k] * 3600.0 if secs[k] > 0.0 else None for k in (True, False)}
        marginal = rate[True] - rate[False] if rate[True] is not None and rate[False] is not None else None
        out.append({
            "signal": name,
            "cycles_active": n[True], "cycles_inactive": n[False],
            "seconds_active": secs[True], "seconds_inactive": secs[False],
            "pnl_active": pnl[True], "pnl_inactive": pnl[False],
            "pnl_per_hour_active": rate[True], "pnl_per_hour_inactive": rate[False],
            "marginal_value_per_hour": marginal,
        })  # fmt: skip
    return out


# -- edge validation ----------------------------------------------------------------------


def _placed_level_depth(data: SessionData, by_cycle: dict[int, QuoteCycle], cmd: PlaceOrder) -> float:
    q = by_cycle.get(cmd.cycle)
    if q is None:
        return math.nan
    for lv in q.levels:
        if lv.level == cmd.level and lv.side == cmd.side:
            return lv.depth_bps
    return math.nan


def edge_stream(data: SessionData) -> list[dict[str, Any]]:
    """Per fill: predicted vs realized spread, adverse selection and edge by phase."""
    fee_bps = data.config.fees.maker * _BPS
    adverse_h = data.config.estimators.markout_horizon_s
    by_cycle = {c.cycle.cycle: c.cycle for c in data.cycles}
    est_by_cycle = {c.cycle.cycle: c.estimates for c in data.cycles}
    markouts = {m.fill: m for m in data.markouts}
    out = []
    for number, (fill, est_at_fill) in enumerate(zip(data.fills, data.fill_estimates, strict=True), start=1):
        cmd = data.placed.get(fill.oid)
        sign = 1.0 if fill.side == "buy" else -1.0
        placed: dict[str, Any] | None = None
        if cmd is not None:
            est = est_by_cycle.get(cmd.cycle)
            pred_as = est.adverse_selection_bps if est is not None else math.nan
            spread = _placed_level_depth(data, by_cycle, cmd)
            placed = _phase(cmd.ts, spread, pred_as, fee_bps)
        markout = markouts.get(number)
        mid = markout.mid if markout is not None else fill.mid
        realized_spread = sign * (mid - fill.px) / mid * _BPS if mid > 0.0 else math.nan
        pred_as_fill = est_at_fill.adverse_selection_bps if est_at_fill is not None else math.nan
        marked: dict[str, Any] | None = None
        if markout is not None:
            i = markout.horizons_s.index(adverse_h) if adverse_h in markout.horizons_s else -1
            realized_as = 0.0 - markout.bps[i] if i >= 0 else math.nan
            marked = {**_phase(markout.ts, realized_spread, realized_as, fee_bps), "horizon_s": adverse_h}
        out.append({
            "ts": fill.ts, "fill": number, "oid": fill.oid, "side": fill.side, "level": fill.level,
            "px": fill.px, "sz": fill.sz, "cycle": cmd.cycle if cmd is not None else None,
            "placed": placed,
            "filled": _phase(fill.ts, realized_spread, pred_as_fill, fee_bps),
            "marked_out": marked,
        })  # fmt: skip
    return out


def _phase(ts: int, spread: float, adverse: float, fee_bps: float) -> dict[str, Any]:
    return {"ts": ts, "spread_bps": spread, "adverse_bps": adverse, "fee_bps": fee_bps,
            "edge_bps": spread - adverse - fee_bps}  # fmt: skip


# -- experiences --------------------------------------------------------------------------


def _state(ctx: CycleContext) -> dict[str, Any]:
    q = ctx.cycle
    est = ctx.estimates
    return {
        "ts": q.ts,
        "mid": q.mid,
        "market_spread_bps": ctx.spread_bps,
        "book_imbalance": ctx.book_imbalance,
        "sigma": q.sigma,
        "kappa": q.kappa,
        "regime": est.regime if est is not None else "",
        "regime_probs": list(est.regime_probs) if est is not None else [],
        "adverse_selection_bps": est.adverse_selection_bps if est is not None else math.nan,
        "position": q.position,
        "inventory_usd": q.position * q.mid,
        "pnl_total": ctx.mtm,
    }


def _action(q: QuoteCycle) -> dict[str, Any]:
    bids = [lv for lv in q.levels if lv.side == "buy"]
    asks = [lv for lv in q.levels if lv.side == "sell"]
    return {
        "half_spread_bps": q.half_spread_bps,
        "skew_bps": q.skew_bps,
        "gamma": q.gamma,
        "bid_depths_bps": [lv.depth_bps for lv in bids],
        "ask_depths_bps": [lv.depth_bps for lv in asks],
        "bid_sizes": [lv.sz for lv in bids],
        "ask_sizes": [lv.sz for lv in asks],
    }


def experience_stream(data: SessionData) -> list[dict[str, Any]]:
    """One transition per quote cycle; the last one is ``done`` with no next state."""
    rewards = cycle_rewards(data)
    cycles = data.cycles
    out = []
    for i, (ctx, reward) in enumerate(zip(cycles, rewards, strict=True)):
        last = i == len(cycles) - 1
        out.append({
            "cycle": ctx.cycle.cycle,
            "state": _state(ctx),
            "action": _action(ctx.cycle),
            "reward": reward,
            "next_state": None if last else _state(cycles[i + 1]),
            "done": last,
        })  # fmt: skip
    return out


# -- writing ------------------------------------------------------------------------------


def build_streams(data: SessionData) -> dict[str, list[dict[str, Any]]]:
    """Every stream's records, by stream name (``STREAMS`` order)."""
    try:
        profile: SpreadProfile | None = resolve_profile(data.config.quote)
    except ValueError:  # a config the engine would refuse: report the spread unclamped
        profile = None
    prior = data.prior
    defensive = prior.spread_factor if prior is not None and prior.defensive else 1.0
    contributions = [signal_contribution(data.config, ctx, profile, defensive) for ctx in data.cycles]
    return {
        "sharpe_metrics": sharpe_stream(data),
        "signal_contributions": contributions,
        "signal_pnl": signal_pnl_stream(data, contributions),
        "edge_validation": edge_stream(data),
        "experiences": experience_stream(data),
    }


def encode_lines(records: Iterable[dict[str, Any]]) -> bytes:
    """JSON lines: key order as built, NaN and inf as null, one record per line."""
    return b"".join(_encoder.encode(_finite(r)) + b"\n" for r in records)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def write_analytics(path: str | Path | SessionData) -> dict[str, Path]:
    """Rebuild every stream of a session under ``SESSION_DIR/analytics/``; returns the
    paths by stream name."""
    data = path if isinstance(path, SessionData) else collect(path)
    return write_streams(data, build_streams(data))


def write_streams(data: SessionData, streams: dict[str, list[dict[str, Any]]]) -> dict[str, Path]:
    """Write built streams, each file atomically (a reader never sees half a stream)."""
    out_dir = data.session.session_dir / "analytics"
    out_dir.mkdir(exist_ok=True)
    written = {}
    for name, records in streams.items():
        target = out_dir / f"{name}.jsonl"
        write_atomic(target, encode_lines(records))
        written[name] = target
    return written


def write_atomic(target: Path, payload: bytes) -> None:
    """Write to a temporary file beside ``target``, fsync, then rename over it."""
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(payload)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
