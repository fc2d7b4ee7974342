"""The report's figures: matplotlib plots drawn with the Agg backend, returned as SVG text.

Each ``plot_*`` returns the figure's SVG and the number of points it drew (a test, or a
reader of the page, can then see that a plot is not empty); every data series carries an
id ``series-*``. The SVG is deterministic: ids are hashed with a fixed salt, text is drawn
as paths and no date is written.
"""

from __future__ import annotations

import io
import math
from typing import Any, Final

import matplotlib

from events.base import SEC_NS

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from replay.calibration import CalibrationReport  # noqa: E402
from replay.session_data import SessionData  # noqa: E402

_MAX_LINE_POINTS: Final = 3000
_MAX_MARKERS: Final = 4000
REGIME_ORDER: Final = ("quiet", "normal", "volatile", "cascade")
REGIME_COLORS: Final = ("#8fbce6", "#6cc070", "#f2b134", "#d9534f")

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


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _time_axis(data: SessionData) -> tuple[float, str]:
    span_s = (data.end_ns - data.start_ns) / SEC_NS
    if span_s > 3 * 3600:
        return 3600.0 * SEC_NS, "hours since start (event time)"
    return 60.0 * SEC_NS, "minutes since start (event time)"


def _thin(n: int, cap: int) -> slice:
    return slice(None, None, max(1, math.ceil(n / cap)))


def _legend(ax: Any, **kwargs: Any) -> None:
    """A legend, when something drawn has a label (an empty plot gets none)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#8c959f")


def plot_pnl(data: SessionData) -> tuple[str, int]:
    """PnL over time: the total marked to mid and its four parts."""
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
    """The position after every PnL record."""
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
    """The touch mid with our buy and sell fills at their prices."""
    scale, label = _time_axis(data)
    fig, ax = plt.subplots(figsize=(14.4, 3.8))
    s = _thin(len(data.mids), _MAX_LINE_POINTS)
    ax.plot([(t_ - data.start_ns) / scale for t_ in data.mid_ts[s]], data.mids[s], color="#5b6b7c", lw=0.9,
            label="mid", gid="series-mid")  # fmt: skip
    shown = 0
    for side, marker, color, name in (
        ("buy", "^", "#1a7f37", "our buys"),
        ("sell", "v", "#cf222e", "our sells"),
    ):
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
    """Predicted P(fill) against the observed fill frequency, with the Brier decomposition."""
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    ax.plot([0, 1], [0, 1], color="#9aa5b1", lw=1, ls="--", label="perfect calibration")
    o = cal.overall
    points = 0
    if o.bins:
        xs = [b.mean_predicted for b in o.bins]
        ys = [b.observed for b in o.bins]
        err = [
            [y - b.lo95 for y, b in zip(ys, o.bins, strict=True)],
            [b.hi95 - y for y, b in zip(ys, o.bins, strict=True)],
        ]
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
    """Mean markout by horizon with its 95% interval, overall and by side."""
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    points = 0
    for group, color, name in (
        ("all", "#14263b", "all fills"),
        ("buy", "#1a7f37", "buys"),
        ("sell", "#cf222e", "sells"),
    ):
        rows = [r for r in summary.get(group, []) if r["n"] > 1]
        if not rows:
            continue
        h = [r["horizon_s"] for r in rows]
        ax.plot(h, [r["mean_bps"] for r in rows], "o-", color=color, lw=2.0 if group == "all" else 1.0, ms=4,
                label=name, gid=f"series-markout-{group}")  # fmt: skip
        ax.fill_between(
            h,
            [r["lo95"] for r in rows],
            [r["hi95"] for r in rows],
            color=color,
            alpha=0.12 if group == "all" else 0.06,
        )
        points += len(rows)
    if not points:
        _empty(ax, "no markouts")
    ax.axhline(0, color="#9aa5b1", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks(
        summary.get("horizons_s") or [1], labels=[f"{h:g}s" for h in summary.get("horizons_s") or [1]]
    )
    ax.set(title="Markout by horizon (mean, 95% interval)", xlabel="time after fill (event time)",
           ylabel="mid move, bps (+ = good for us)")  # fmt: skip
    _legend(ax, loc="best")
    return _svg(fig), points


def plot_fill_rate(rows: list[dict[str, Any]]) -> tuple[str, int]:
    """Predicted vs realized fill rate in equal-count bins of depth."""
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
    """Sigma and kappa quoted with and estimated, kappa confidence, regime probabilities."""
    scale, label = _time_axis(data)
    fig, (a1, a2, a3) = plt.subplots(
        3, 1, figsize=(14.4, 7.0), sharex=True, gridspec_kw={"height_ratios": [1, 1, 0.8]}
    )
    cyc = [c.cycle for c in data.cycles]
    cyc = cyc[_thin(len(cyc), _MAX_LINE_POINTS)]
    xc = [(q.ts - data.start_ns) / scale for q in cyc]
    ests = data.estimates[_thin(len(data.estimates), _MAX_LINE_POINTS)]
    xe = [(e.ts - data.start_ns) / scale for e in ests]
    a1.plot(
        xc,
        [q.sigma * 1e4 for q in cyc],
        color="#0b5cad",
        lw=1.1,
        label="sigma quoted with",
        gid="series-sigma",
    )
    if ests:
        a1.plot(xe, [e.sigma_ewma * 1e4 if e.sigma_ewma > 0 else math.nan for e in ests], color="#8fbce6", lw=0.9,
                label="EWMA estimate", gid="series-sigma-ewma")  # fmt: skip
    a1.set(title="Volatility, order-arrival intensity and regime", ylabel="sigma, bps/√s")
    _legend(a1, loc="upper left", ncol=2)
    a2.plot(
        xc, [q.kappa for q in cyc], color="#8250df", lw=1.1, label="kappa quoted with", gid="series-kappa"
    )
    if ests:
        a2.plot(
            xe,
            [e.kappa for e in ests],
            color="#c297ff",
            lw=0.9,
            label="kappa estimate",
            gid="series-kappa-est",
        )
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
        names = [
            REGIME_ORDER[i] if i < len(REGIME_ORDER) and k == len(REGIME_ORDER) else f"regime {i}"
            for i in range(k)
        ]
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
