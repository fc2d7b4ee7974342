"""The session report: one self-contained ``report.html`` with every plot inline, and its numbers.

``write_report(session_dir)`` rebuilds the analytics streams, then writes
``report.html``: PnL over time with its four-way attribution, inventory, the mid with our
fills, the calibration curve with the Brier decomposition, the markout curve by horizon
(mean and 95% interval), predicted vs realized fill rate by depth, and sigma / kappa /
regime over time, with the checklist and the tables behind them. ``report_numbers``
is the same content as plain data (``papermm report --json``).

Plots are drawn with matplotlib's Agg backend and embedded as SVG elements (no images
to load, no script, no network). Every data series carries an id ``series-*`` so that
a test (or a reader of the DOM) can see that a plot is not empty.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from replay import report_template as t  # noqa: E402
from replay.analytics import SessionData, build_streams, collect, write_atomic, write_streams  # noqa: E402
from replay.calibration import (  # noqa: E402
    CalibrationReport,
    Prediction,
    calibration_report,
    equal_count_bins,
    plain_json,
    predictions,
)
from replay.checklist import Checklist, run_checklist  # noqa: E402

_NS: Final = 1_000_000_000
_MAX_LINE_POINTS: Final = 3000
_MAX_MARKERS: Final = 4000
REGIME_ORDER: Final = ("quiet", "normal", "volatile", "cascade")
REGIME_COLORS: Final = ("#8fbce6", "#6cc070", "#f2b134", "#d9534f")
PLOTS: Final = ("plot-pnl", "plot-inventory", "plot-mid-fills", "plot-calibration", "plot-markouts",
                "plot-fill-rate", "plot-estimates")  # fmt: skip

plt.rcParams.update({
    "svg.hashsalt": "papermm",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6eaef",
    "grid.linewidth": 0.7,
    "axes.edgecolor": "#9aa5b1",
    "axes.titleweight": "bold",
    "axes.titlesize": 10.5,
    "legend.frameon": True,
    "legend.framealpha": 0.88,
    "legend.edgecolor": "#dfe5ec",
    "legend.fontsize": 8.5,
})  # fmt: skip


# -- numbers ------------------------------------------------------------------------------


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
    for chunk, b in zip(np.array_split(order, min(bins, len(preds))), equal_count_bins(depth, hit, bins), strict=True):
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
        "market_seconds": (data.end_ns - data.start_ns) / _NS,
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


# -- plots --------------------------------------------------------------------------------


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _time_axis(data: SessionData) -> tuple[float, str]:
    span_s = (data.end_ns - data.start_ns) / _NS
    if span_s > 3 * 3600:
        return 3600.0 * _NS, "hours since start (event time)"
    return 60.0 * _NS, "minutes since start (event time)"


def _thin(n: int, cap: int) -> slice:
    return slice(None, None, max(1, math.ceil(n / cap)))


def _legend(ax: Any, **kwargs: Any) -> None:
    """A legend, when something drawn has a label (an empty plot gets none)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#8c959f")


def plot_pnl(data: SessionData) -> tuple[str, int]:
    scale, label = _time_axis(data)
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    recs = data.pnl[_thin(len(data.pnl), _MAX_LINE_POINTS)]
    if data.pnl and recs[-1] is not data.pnl[-1]:
        recs = [*recs, data.pnl[-1]]
    x = [(r.ts - data.start_ns) / scale for r in recs]
    parts = (("total", "total", "#14263b", 2.0), ("spread_capture", "spread capture", "#1a7f37", 1.2),
             ("adverse_selection", "adverse selection", "#cf222e", 1.2), ("inventory", "inventory", "#8250df", 1.2),
             ("fees", "fees", "#bf8700", 1.2))  # fmt: skip
    for key, name, color, width in parts:
        ax.plot(x, [getattr(r, key) for r in recs], color=color, lw=width, label=name, gid=f"series-{key}")
    if not recs:
        _empty(ax, "no PnL records")
    ax.axhline(0, color="#9aa5b1", lw=0.8)
    ax.set(title="PnL and its attribution", xlabel=label, ylabel="USD")
    _legend(ax, ncol=3, loc="upper left")
    return _svg(fig), len(recs)


def plot_inventory(data: SessionData) -> tuple[str, int]:
    scale, label = _time_axis(data)
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    recs = data.pnl[_thin(len(data.pnl), _MAX_LINE_POINTS)]
    x = [(r.ts - data.start_ns) / scale for r in recs]
    y = [r.position for r in recs]
    if recs:
        ax.step(x, y, where="post", color="#0b5cad", lw=1.2, gid="series-position")
        ax.fill_between(x, y, step="post", color="#0b5cad", alpha=0.15)
    else:
        _empty(ax, "no PnL records")
    ax.axhline(0, color="#9aa5b1", lw=0.8)
    ax.set(title="Inventory", xlabel=label, ylabel=f"position ({data.started.asset})")
    return _svg(fig), len(recs)


def plot_mid_fills(data: SessionData) -> tuple[str, int]:
    scale, label = _time_axis(data)
    fig, ax = plt.subplots(figsize=(14.4, 3.8))
    s = _thin(len(data.mids), _MAX_LINE_POINTS)
    ax.plot([(t_ - data.start_ns) / scale for t_ in data.mid_ts[s]], data.mids[s], color="#5b6b7c", lw=0.9,
            label="mid", gid="series-mid")  # fmt: skip
    shown = 0
    for side, marker, color, name in (("buy", "^", "#1a7f37", "our buys"), ("sell", "v", "#cf222e", "our sells")):
        fills = [f for f in data.fills if f.side == side]
        fills = fills[_thin(len(fills), _MAX_MARKERS // 2)]
        shown += len(fills)
        if fills:
            ax.scatter([(f.ts - data.start_ns) / scale for f in fills], [f.px for f in fills], marker=marker, s=16,
                       color=color, alpha=0.75, lw=0, label=f"{name} ({sum(1 for f in data.fills if f.side == side):,})",
                       gid=f"series-{side}-fills", zorder=3)  # fmt: skip
    if not data.mids:
        _empty(ax, "no book in the log")
    ax.set(title="Mid price with our fills", xlabel=label, ylabel="USD")
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    _legend(ax, loc="upper left", ncol=3)
    return _svg(fig), len(data.mids[s]) + shown


def plot_calibration(cal: CalibrationReport) -> tuple[str, int]:
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    ax.plot([0, 1], [0, 1], color="#9aa5b1", lw=1, ls="--", label="perfect calibration")
    o = cal.overall
    points = 0
    if o.bins:
        xs = [b.mean_predicted for b in o.bins]
        ys = [b.observed for b in o.bins]
        err = [[y - b.lo95 for y, b in zip(ys, o.bins, strict=True)], [b.hi95 - y for y, b in zip(ys, o.bins, strict=True)]]
        ax.errorbar(xs, ys, yerr=err, fmt="o-", color="#0b5cad", ms=5, lw=1.6, capsize=3,
                    label="all levels (95% interval)", gid="series-calibration")  # fmt: skip
        points = len(xs)
        for side, color in (("buy", "#1a7f37"), ("sell", "#cf222e")):
            c = cal.by_side.get(side)
            if c is not None and c.bins:
                ax.plot([b.mean_predicted for b in c.bins], [b.observed for b in c.bins], ".--", color=color, lw=0.9,
                        alpha=0.8, label=f"{side} levels", gid=f"series-calibration-{side}")  # fmt: skip
        d = o.brier
        text = (f"Brier {d.brier:.4f} = reliability {d.reliability:.4f} − resolution {d.resolution:.4f}"
                f" + uncertainty {d.uncertainty:.4f} + within-bin {d.within:+.4f}\n"
                f"log loss {o.log_loss:.4f}    N = {o.n:,} predictions")  # fmt: skip
        ax.text(0.5, -0.16, text, transform=ax.transAxes, ha="center", va="top", fontsize=8.5,
                family="DejaVu Sans Mono", bbox={"boxstyle": "round", "fc": "#f6f8fa", "ec": "#dfe5ec"})  # fmt: skip
        sides = [b for c in cal.by_side.values() for b in c.bins]
        top = max(max(b.hi95 for b in o.bins), max(xs), *(b.observed for b in sides)) * 1.08
        ax.set_xlim(0, min(1.0, max(top, 0.05)))
        ax.set_ylim(0, min(1.0, max(top, 0.05)))
    else:
        _empty(ax, "no predictions with outcomes")
    counts = sorted({b.count for b in o.bins})
    sizes = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,}-{counts[-1]:,}" if counts else "0"
    ax.set(title=f"Calibration of P(fill): {len(o.bins)} equal-count bins of {sizes} levels", xlabel="predicted P(fill within horizon)",
           ylabel="observed fill frequency")  # fmt: skip
    _legend(ax, loc="upper left")
    return _svg(fig), points


def plot_markouts(summary: dict[str, Any]) -> tuple[str, int]:
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    points = 0
    for group, color, name in (("all", "#14263b", "all fills"), ("buy", "#1a7f37", "buys"), ("sell", "#cf222e", "sells")):
        rows = [r for r in summary.get(group, []) if r["n"] > 1]
        if not rows:
            continue
        h = [r["horizon_s"] for r in rows]
        ax.plot(h, [r["mean_bps"] for r in rows], "o-", color=color, lw=2.0 if group == "all" else 1.0, ms=4,
                label=name, gid=f"series-markout-{group}")  # fmt: skip
        ax.fill_between(h, [r["lo95"] for r in rows], [r["hi95"] for r in rows], color=color, alpha=0.12 if group == "all" else 0.06)
        points += len(rows)
    if not points:
        _empty(ax, "no markouts")
    ax.axhline(0, color="#9aa5b1", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks(summary.get("horizons_s") or [1], labels=[f"{h:g}s" for h in summary.get("horizons_s") or [1]])
    ax.set(title="Markout by horizon (mean, 95% interval)", xlabel="time after fill (event time)",
           ylabel="mid move, bps (+ = good for us)")  # fmt: skip
    _legend(ax, loc="best")
    return _svg(fig), points


def plot_fill_rate(rows: list[dict[str, Any]]) -> tuple[str, int]:
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    if rows:
        x = [r["depth_bps"] for r in rows]
        ax.plot(x, [r["predicted"] for r in rows], "s--", color="#8250df", ms=4, lw=1.4, label="predicted (mean p_fill)",
                gid="series-fill-predicted")  # fmt: skip
        err = [[r["realized"] - r["lo95"] for r in rows], [r["hi95"] - r["realized"] for r in rows]]
        ax.errorbar(x, [r["realized"] for r in rows], yerr=err, fmt="o-", color="#0b5cad", ms=5, lw=1.6, capsize=3,
                    label="realized (95% interval)", gid="series-fill-realized")  # fmt: skip
    else:
        _empty(ax, "no predictions with outcomes")
    ax.set(title="Fill rate by depth: predicted vs realized", xlabel="depth from mid at the cycle, bps (10 equal-count bins)",
           ylabel="P(fill within horizon)")  # fmt: skip
    ax.set_ylim(bottom=0)
    _legend(ax, loc="upper right")
    return _svg(fig), 2 * len(rows)


def plot_estimates(data: SessionData) -> tuple[str, int]:
    scale, label = _time_axis(data)
    fig, (a1, a2, a3) = plt.subplots(3, 1, figsize=(14.4, 7.0), sharex=True, gridspec_kw={"height_ratios": [1, 1, 0.8]})
    cyc = [c.cycle for c in data.cycles]
    cyc = cyc[_thin(len(cyc), _MAX_LINE_POINTS)]
    xc = [(q.ts - data.start_ns) / scale for q in cyc]
    ests = data.estimates[_thin(len(data.estimates), _MAX_LINE_POINTS)]
    xe = [(e.ts - data.start_ns) / scale for e in ests]
    a1.plot(xc, [q.sigma * 1e4 for q in cyc], color="#0b5cad", lw=1.1, label="sigma quoted with", gid="series-sigma")
    if ests:
        a1.plot(xe, [e.sigma_ewma * 1e4 if e.sigma_ewma > 0 else math.nan for e in ests], color="#8fbce6", lw=0.9,
                label="EWMA estimate", gid="series-sigma-ewma")  # fmt: skip
    a1.set(title="Volatility, order-arrival intensity and regime", ylabel="sigma, bps/√s")
    _legend(a1, loc="upper left", ncol=2)
    a2.plot(xc, [q.kappa for q in cyc], color="#8250df", lw=1.1, label="kappa quoted with", gid="series-kappa")
    if ests:
        a2.plot(xe, [e.kappa for e in ests], color="#c297ff", lw=0.9, label="kappa estimate", gid="series-kappa-est")
        ax2 = a2.twinx()
        ax2.plot(xe, [e.kappa_confidence for e in ests], color="#bf8700", lw=0.9, ls=":", label="kappa confidence",
                 gid="series-kappa-confidence")  # fmt: skip
        ax2.set_ylim(0, 1)
        ax2.set_ylabel("confidence")
        ax2.grid(False)
        _legend(ax2, loc="upper right")
    a2.set_yscale("log")
    a2.set_ylabel("kappa, 1/(fraction of mid)")
    _legend(a2, loc="upper left", ncol=2)
    points = len(cyc)
    if ests and ests[0].regime_probs:
        k = len(ests[0].regime_probs)
        names = [REGIME_ORDER[i] if i < len(REGIME_ORDER) and k == len(REGIME_ORDER) else f"regime {i}" for i in range(k)]
        colors = [REGIME_COLORS[i % len(REGIME_COLORS)] for i in range(k)]
        probs = np.array([e.regime_probs for e in ests], dtype=float).T
        a3.stackplot(xe, probs, labels=names, colors=colors, gid="series-regime-probs")
        a3.set_ylim(0, 1)
        _legend(a3, loc="upper left", ncol=k)
        points += len(ests)
    else:
        _empty(a3, "no regime estimates in the log")
    a3.set(ylabel="P(regime)", xlabel=label)
    return _svg(fig), points


# -- the page -----------------------------------------------------------------------------


def build_report(data: SessionData, streams: dict[str, list[dict[str, Any]]] | None = None) -> str:
    """The report's HTML."""
    streams = streams if streams is not None else build_streams(data)
    preds = predictions(data.records)
    cal = calibration_report(preds)
    checklist = run_checklist(data)
    nums = report_numbers(data, streams, cal, checklist)
    s = nums["summary"]
    pnl = s["pnl"]
    figures = [
        _figure("plot-pnl", plot_pnl(data), "<b>PnL</b>: total marked to mid = spread capture + adverse selection + inventory + fees."),
        _figure("plot-inventory", plot_inventory(data), "<b>Inventory</b>: position after every PnL record."),
        _figure("plot-mid-fills", plot_mid_fills(data), "<b>Mid and fills</b>: the touch mid; our buy and sell fills at their prices.", wide=True),
        _figure("plot-calibration", plot_calibration(cal), "<b>Calibration</b>: predicted P(fill) of every rested ladder level vs how often it filled within the horizon."),
        _figure("plot-markouts", plot_markouts(nums["markouts"]), "<b>Markouts</b>: mid move after our fills, signed so that positive is good for us."),
        _figure("plot-fill-rate", plot_fill_rate(nums["fill_rate_by_depth"]), "<b>Fill rate by depth</b>: the model's p_fill against the realized rate."),
        _figure("plot-estimates", plot_estimates(data), "<b>Estimates</b>: sigma and kappa the quote engine used, the estimators' values, and the regime probabilities.", wide=True),
    ]  # fmt: skip
    tone = "pos" if (pnl["total"] or 0) >= 0 else "neg"
    o = nums["calibration"]["overall"]
    mk5 = next((r for r in nums["markouts"].get("all", []) if r["horizon_s"] == 5.0), None)
    sharpe_all = (nums["sharpe"] or {}).get("all", {}).get("sharpe")
    kpis = "".join([
        t.kpi("total PnL", f"{t.fmt(pnl['total'], '+,.2f')} $", tone),
        t.kpi("realized / unrealized", f"{t.fmt(pnl['realized'], '+.2f')} / {t.fmt(pnl['unrealized'], '+.2f')}"),
        t.kpi("fills (buys / sells)", f"{s['fills']:,} ({s['buy_fills']:,} / {s['sell_fills']:,})"),
        t.kpi("volume", f"{t.fmt(s['volume_usd'], ',.0f')} $"),
        t.kpi("final position", t.fmt(s["position"], "+.5g")),
        t.kpi("Brier (N)", f"{t.fmt(o['brier']['brier'], '.4f')} ({o['n']:,})"),
        t.kpi("5 s markout", f"{t.fmt(mk5['mean_bps'] if mk5 else None, '+.2f')} bps"),
        t.kpi("Sharpe (all, annualized)", t.fmt(sharpe_all, ".2f")),
        t.kpi("checklist", "passed" if nums["checklist"]["passed"] else "FAILED", "pos" if nums["checklist"]["passed"] else "neg"),
    ])  # fmt: skip
    sections = [
        f'<div class="kpis">{kpis}</div>',
        "<h2>Performance</h2>",
        f'<div class="grid">{figures[0]}{figures[1]}{figures[2]}</div>',
        "<h2>Model checks</h2>",
        f'<div class="grid">{figures[3]}{figures[4]}{figures[5]}{figures[6]}</div>',
        "<h2>Calibration tables</h2>",
        f'<div class="tables">{_calibration_table(nums["calibration"])}</div>',
        '<p class="note">Brier = reliability − resolution + uncertainty + within-bin, over the 10 equal-count bins '
        "(the within-bin term is Stephenson et al.'s within-bin variance minus covariance; it is 0 when every bin "
        "holds one forecast value). Lower reliability is better calibrated; higher resolution separates fills from "
        "non-fills better.</p>",
        "<h2>Markouts, edge and signals</h2>",
        f'<div class="tables">{_markout_table(nums["markouts"])}{_edge_table(nums["edge"])}</div>',
        f'<div class="tables">{_signal_table(nums["signal_pnl"])}</div>',
        '<p class="note">Signals: there are no alpha signals yet, so the quote engine\'s components are treated as '
        "the signals, each adjusting the half spread left by the ones before it: the GLFT half spread (always on), "
        "the estimators' warmup kappa floor, the calibration controller's gamma multiplier, the spread profile's "
        "clamp, the API-budget gate's multiplier, a defensive warm start's widening, and the inventory skew (a "
        "shift of both quotes). PnL between quote cycles is credited to the state of each signal during it; "
        "analytics/signal_contributions.jsonl has every cycle.</p>",
        "<h2>Validation checklist</h2>",
        _checklist_table(nums["checklist"]),
    ]
    started = data.started
    subtitle = t.esc(
        f"{started.asset} · feed {started.feed} · seed {started.seed} · {s['market_seconds'] / 60:,.1f} min of market time · "
        f"{s['quote_cycles']:,} quote cycles · session {started.session_id}"
    )
    return t.page(f"papermm session report: {started.asset}", subtitle, sections)


def _figure(plot_id: str, result: tuple[str, int], caption: str, wide: bool = False) -> str:
    svg, points = result
    return t.figure(plot_id, svg, caption, points, wide)


def _calibration_table(cal: dict[str, Any]) -> str:
    rows = []
    groups = [("overall", cal["overall"])]
    groups += [(f"regime {k}", v) for k, v in cal["by_regime"].items()]
    groups += [(f"side {k}", v) for k, v in cal["by_side"].items()]
    for name, c in groups:
        b = c["brier"]
        within = None if b["within_variance"] is None else b["within_variance"] - b["within_covariance"]
        rows.append([t.esc(name), t.fmt(c["n"]), t.fmt(c["mean_predicted"], ".3f"), t.fmt(c["observed"], ".3f"),
                     t.fmt(b["brier"], ".4f"), t.fmt(b["reliability"], ".4f"), t.fmt(b["resolution"], ".4f"),
                     t.fmt(b["uncertainty"], ".4f"), t.fmt(within, "+.4f"), t.fmt(c["log_loss"], ".4f")])  # fmt: skip
    head = ["group", "N", "mean p", "observed", "Brier", "reliability", "resolution", "uncertainty", "within-bin", "log loss"]
    return t.table(head, rows)


def _markout_table(mk: dict[str, Any]) -> str:
    rows = []
    for r_all, r_buy, r_sell in zip(mk.get("all", []), mk.get("buy", []), mk.get("sell", []), strict=True):
        ci = f"[{t.fmt(r_all['lo95'], '+.2f')}, {t.fmt(r_all['hi95'], '+.2f')}]"
        rows.append([f"{r_all['horizon_s']:g} s", t.fmt(r_all["n"]), t.fmt(r_all["mean_bps"], "+.3f"), ci,
                     t.fmt(r_buy["mean_bps"], "+.3f"), t.fmt(r_sell["mean_bps"], "+.3f")])  # fmt: skip
    return t.table(["horizon", "fills", "mean bps", "95% interval", "buys", "sells"], rows)


def _edge_table(edge: dict[str, Any]) -> str:
    names = {"placed": "predicted at placement", "filled": "at the fill", "marked_out": "marked out (realized)"}
    rows = [[names[k], t.fmt(v["fills"]), t.fmt(v["spread_bps"], "+.3f"), t.fmt(v["adverse_bps"], "+.3f"),
             t.fmt(v["edge_bps"], "+.3f")] for k, v in edge.items()]  # fmt: skip
    return t.table(["phase (mean over fills)", "fills", "spread bps", "adverse sel. bps", "edge bps"], rows)


def _signal_table(rows_in: list[dict[str, Any]]) -> str:
    rows = [[t.esc(r["signal"]), t.fmt(r["cycles_active"]), t.fmt(r["pnl_active"], "+.3f"),
             t.fmt(r["pnl_inactive"], "+.3f"), t.fmt(r["pnl_per_hour_active"], "+.3f"),
             t.fmt(r["pnl_per_hour_inactive"], "+.3f"), t.fmt(r["marginal_value_per_hour"], "+.3f")]
            for r in rows_in]  # fmt: skip
    head = ["signal", "cycles active", "PnL active $", "PnL inactive $", "$/h active", "$/h inactive", "marginal $/h"]
    return t.table(head, rows)


def _checklist_table(cl: dict[str, Any]) -> str:
    rows = [[t.status_badge(i["status"]), t.esc(i["name"]), t.esc(i["figure"])] for i in cl["items"]]
    return t.table(["status", "item", "figure"], rows, left=3)


def write_report(session_dir: str | Path) -> Path:
    """Rebuild the analytics streams and write ``SESSION_DIR/report.html``; returns its path."""
    data = collect(session_dir)
    streams = build_streams(data)
    write_streams(data, streams)
    target = data.session.session_dir / "report.html"
    write_atomic(target, build_report(data, streams).encode())
    return target
