"""The ``signal_contributions`` and ``signal_pnl`` streams: what each quoting component did and earned.

There are no alpha signals yet, so the quote engine's components are the signals, applied
in this order (each adjusts the half spread left by the ones before it):

- ``glft_spread``: the GLFT half spread (maker fee included) at the configured gamma, the
  cycle's sigma and the estimated kappa; always active;
- ``warmup_kappa_floor``: the estimators' warmup floor raising kappa (tightening the
  spread); active while it binds;
- ``calibration_gamma``: the calibration controller's gamma multiplier; active while it is
  not 1;
- ``spread_profile``: the clamp into the spread profile's band (only its cap while the
  estimators warm up); active while it binds;
- ``api_headroom``: the API-budget gate's spread multiplier (ApiHeadroomChanged);
- ``defensive_prior``: the widening of a warm start from a prior that is not Ready
  (PriorInjected);
- ``inventory_skew``: the GLFT skew times the inventory in lots; shifts both quotes
  (positive: down, leaning to sell); active while the position is not flat.

A contribution line (one per quote cycle) reports each signal's activity, half-spread and
skew adjustments in bps and spread multiplier; the cycle's total spread multiplier (quoted
half spread / the GLFT base), the combined skew and ``residual_bps``, the quoted half
spread minus the sum of the parts (0 up to rounding while the engine works this way).

A PnL line (one per signal) credits the PnL earned between quote cycles to the signal's
state during it: PnL and time active and inactive, their rates per hour, and the marginal
value (rate active - rate inactive, USD per hour).
"""

from __future__ import annotations

import math
from typing import Any, Final

from actors.config import Config
from actors.glft import glft_quote
from actors.graph import sz_decimals
from actors.ladder import base_size
from actors.spread_profiles import SpreadProfile, resolve_profile
from events.base import SEC_NS
from replay.session_data import CycleContext, SessionData, cycle_rewards

SIGNALS: Final = (
    "glft_spread",
    "warmup_kappa_floor",
    "calibration_gamma",
    "spread_profile",
    "api_headroom",
    "defensive_prior",
    "inventory_skew",
)
_BPS: Final = 1e4


def _half_spread_bps(config: Config, gamma: float, sigma: float, kappa: float) -> float:
    q = config.quote
    try:
        quote = glft_quote(
            gamma=gamma,
            arrival_a=q.arrival_a,
            delta=q.delta,
            sigma=sigma,
            kappa=kappa,
            maker_fee=config.fees.maker,
        )
    except ValueError:
        return math.nan
    return quote.half_spread * _BPS


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0.0 and math.isfinite(a) and math.isfinite(b) else math.nan


def _signal(
    name: str, active: bool, spread: float, skew: float, before: float, after: float
) -> dict[str, Any]:
    return {
        "signal": name,
        "active": active,
        "spread_bps": spread,
        "skew_bps": skew,
        "multiplier": _ratio(after, before),
    }


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
    clamped = (
        profile.clamp_half_spread(glft / _BPS, warming_up=warming_up) * _BPS if profile is not None else glft
    )
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


def contribution_stream(data: SessionData) -> list[dict[str, Any]]:
    """Every cycle's signal contributions, under the session's spread profile and prior."""
    try:
        profile: SpreadProfile | None = resolve_profile(data.config.quote)
    except ValueError:  # a config the engine would refuse: report the spread unclamped
        profile = None
    prior = data.prior
    defensive = prior.spread_factor if prior is not None and prior.defensive else 1.0
    return [signal_contribution(data.config, ctx, profile, defensive) for ctx in data.cycles]


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
            secs[active] += (end - ctx.cycle.ts) / SEC_NS
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
