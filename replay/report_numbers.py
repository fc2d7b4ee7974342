"""The report's numbers as plain data: summary, markouts, fill rate by depth, edge (``papermm report --json``).

The same content as ``report.html``, figures and tables alike, with NaN as None.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from events.base import SEC_NS
from replay.analytics import build_streams
from replay.calibration import (
    CalibrationReport,
    Prediction,
    calibration_report,
    equal_count_bins,
    plain_json,
    predictions,
)
from replay.checklist import Checklist, run_checklist
from replay.session_data import SessionData


def markout_summary(data: SessionData) -> dict[str, Any]:
    """Per horizon, overall and by side: count, mean and 95% interval of the markouts (bps)."""
    if not data.markouts:
        return {"horizons_s": [], "all": [], "buy": [], "sell": []}
    horizons = list(data.markouts[0].horizons_s)
    out: dict[str, Any] = {"horizons_s": horizons}
    for group in ("all", "buy", "sell"):
        rows = []
        for i, h in enumerate(horizons):
            vals = np.array([m.bps[i] for m in data.markouts if group in ("all", m.side)], dtype=float)
            vals = vals[np.isfinite(vals)]
            n = len(vals)
            mean = float(np.mean(vals)) if n else math.nan
            half = float(1.959963984540054 * np.std(vals, ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            rows.append({"horizon_s": h, "n": n, "mean_bps": mean, "lo95": mean - half, "hi95": mean + half})
        out[group] = rows
    return out


def fill_rate_by_depth(preds: list[Prediction], bins: int = 10) -> list[dict[str, Any]]:
    """Predictions in equal-count bins of depth: mean depth, predicted and realized fill rate."""
    if not preds:
        return []
    depth = np.array([p.depth_bps for p in preds], dtype=float)
    prob = np.array([p.p for p in preds], dtype=float)
    hit = np.array([p.filled for p in preds], dtype=float)
    order = np.argsort(depth, kind="stable")
    rows = []
    for chunk, b in zip(
        np.array_split(order, min(bins, len(preds))), equal_count_bins(depth, hit, bins), strict=True
    ):
        rows.append({
            "count": len(chunk), "depth_min_bps": float(depth[chunk][0]), "depth_max_bps": float(depth[chunk][-1]),
            "depth_bps": float(np.mean(depth[chunk])), "predicted": float(np.mean(prob[chunk])),
            "realized": b.observed, "lo95": b.lo95, "hi95": b.hi95,
        })  # fmt: skip
    return rows


def edge_summary(edges: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean spread, adverse selection and edge (bps) of the fills, by phase."""
    out = {}
    for phase in ("placed", "filled", "marked_out"):
        rows = [e[phase] for e in edges if e.get(phase) is not None]
        out[phase] = {"fills": len(rows)} | {
            k: _nanmean([r[k] for r in rows]) for k in ("spread_bps", "adverse_bps", "edge_bps")
        }
    return out


def _nanmean(values: list[Any]) -> float:
    arr = np.array([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(np.mean(arr)) if len(arr) else math.nan


def report_numbers(
    data: SessionData,
    streams: dict[str, list[dict[str, Any]]] | None = None,
    calibration: CalibrationReport | None = None,
    checklist: Checklist | None = None,
) -> dict[str, Any]:
    """Every figure of the report as plain data (NaN as None)."""
    streams = streams if streams is not None else build_streams(data)
    preds = predictions(data.records)
    calibration = calibration if calibration is not None else calibration_report(preds)
    checklist = checklist if checklist is not None else run_checklist(data)
    last = data.pnl[-1] if data.pnl else None
    buys = sum(1 for f in data.fills if f.side == "buy")
    sharpe = streams["sharpe_metrics"][-1] if streams["sharpe_metrics"] else None
    summary = {
        "session_id": data.started.session_id,
        "asset": data.started.asset,
        "feed": data.started.feed,
        "seed": data.started.seed,
        "market_seconds": (data.end_ns - data.start_ns) / SEC_NS,
        "ended": data.ended.reason if data.ended is not None else None,
        "quote_cycles": len(data.cycles),
        "fills": len(data.fills),
        "buy_fills": buys,
        "sell_fills": len(data.fills) - buys,
        "volume_usd": last.volume if last else 0.0,
        "position": last.position if last else 0.0,
        "pnl": {k: getattr(last, k) if last else 0.0 for k in (
            "total", "spread_capture", "adverse_selection", "inventory", "fees", "realized", "unrealized")},
        "predictions": len(preds),
        "calibration_records": len(data.records),
        "markouts": len(data.markouts),
    }  # fmt: skip
    return plain_json({
        "summary": summary,
        "checklist": checklist.as_dict(),
        "calibration": calibration.as_dict(),
        "markouts": markout_summary(data),
        "fill_rate_by_depth": fill_rate_by_depth(preds),
        "edge": edge_summary(streams["edge_validation"]),
        "signal_pnl": streams["signal_pnl"],
        "sharpe": sharpe,
    })  # fmt: skip
