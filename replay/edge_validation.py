"""The ``edge_validation`` stream: each fill's edge as predicted, at the fill and once marked out.

One line per fill: spread, adverse selection and edge (spread - adverse selection - maker
fee) in bps, in three phases: predicted when the order was placed, at the fill (realized
spread, predicted adverse selection) and once marked out (both realized; adverse
selection is the markout at the estimators' markout horizon, negated).
"""

from __future__ import annotations

import math
from typing import Any, Final

from events import PlaceOrder, QuoteCycle
from replay.session_data import SessionData

_BPS: Final = 1e4


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
