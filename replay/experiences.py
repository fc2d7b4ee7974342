"""The ``experiences`` stream: one (state, action, reward, next_state, done) per quote cycle.

For offline reinforcement learning. The state is the market and the estimates the cycle
was priced with, the action the ladder it quoted, and the reward the change of the
marked-to-mid PnL total (USD, fees included) until the next cycle.
"""

from __future__ import annotations

import math
from typing import Any

from events import QuoteCycle
from replay.session_data import CycleContext, SessionData, cycle_rewards


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
