"""The session report: one self-contained ``report.html`` with every plot inline, and its numbers.

``write_report(session_dir)`` rebuilds the analytics streams, then writes
``report.html``: PnL over time with its four-way attribution, inventory, the mid with our
fills, the calibration curve with the Brier decomposition, the markout curve by horizon
(mean and 95% interval), predicted vs realized fill rate by depth, and sigma / kappa /
regime over time, with the checklist and the tables behind them. ``report_numbers``
(``replay.report_numbers``) is the same content as plain data (``papermm report --json``).

This module assembles the page; the plots are drawn in ``replay.report_figures``
(matplotlib's Agg backend, embedded as SVG elements: no images to load, no script, no
network) and the HTML around them is ``replay.report_template``. Every data series
carries an id ``series-*`` so that a test (or a reader of the DOM) can see that a plot
is not empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from replay import report_template as t
from replay.analytics import build_streams, write_atomic, write_streams
from replay.calibration import calibration_report, predictions
from replay.checklist import run_checklist
from replay.report_figures import (
    plot_calibration,
    plot_estimates,
    plot_fill_rate,
    plot_inventory,
    plot_markouts,
    plot_mid_fills,
    plot_pnl,
)
from replay.report_numbers import report_numbers
from replay.session_data import SessionData, collect

PLOTS: Final = ("plot-pnl", "plot-inventory", "plot-mid-fills", "plot-calibration", "plot-markouts",
                "plot-fill-rate", "plot-estimates")  # fmt: skip

# The names that lived here before the numbers and the figures had modules of their own.


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
    head = [
        "group",
        "N",
        "mean p",
        "observed",
        "Brier",
        "reliability",
        "resolution",
        "uncertainty",
        "within-bin",
        "log loss",
    ]
    return t.table(head, rows)


def _markout_table(mk: dict[str, Any]) -> str:
    rows = []
    for r_all, r_buy, r_sell in zip(mk.get("all", []), mk.get("buy", []), mk.get("sell", []), strict=True):
        ci = f"[{t.fmt(r_all['lo95'], '+.2f')}, {t.fmt(r_all['hi95'], '+.2f')}]"
        rows.append([f"{r_all['horizon_s']:g} s", t.fmt(r_all["n"]), t.fmt(r_all["mean_bps"], "+.3f"), ci,
                     t.fmt(r_buy["mean_bps"], "+.3f"), t.fmt(r_sell["mean_bps"], "+.3f")])  # fmt: skip
    return t.table(["horizon", "fills", "mean bps", "95% interval", "buys", "sells"], rows)


def _edge_table(edge: dict[str, Any]) -> str:
    names = {
        "placed": "predicted at placement",
        "filled": "at the fill",
        "marked_out": "marked out (realized)",
    }
    rows = [[names[k], t.fmt(v["fills"]), t.fmt(v["spread_bps"], "+.3f"), t.fmt(v["adverse_bps"], "+.3f"),
             t.fmt(v["edge_bps"], "+.3f")] for k, v in edge.items()]  # fmt: skip
    return t.table(["phase (mean over fills)", "fills", "spread bps", "adverse sel. bps", "edge bps"], rows)


def _signal_table(rows_in: list[dict[str, Any]]) -> str:
    rows = [[t.esc(r["signal"]), t.fmt(r["cycles_active"]), t.fmt(r["pnl_active"], "+.3f"),
             t.fmt(r["pnl_inactive"], "+.3f"), t.fmt(r["pnl_per_hour_active"], "+.3f"),
             t.fmt(r["pnl_per_hour_inactive"], "+.3f"), t.fmt(r["marginal_value_per_hour"], "+.3f")]
            for r in rows_in]  # fmt: skip
    head = [
        "signal",
        "cycles active",
        "PnL active $",
        "PnL inactive $",
        "$/h active",
        "$/h inactive",
        "marginal $/h",
    ]
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
