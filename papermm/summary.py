"""The summary a paper session prints when it ends."""

from __future__ import annotations

import math
from typing import Any

import msgspec

from actors.runtime import SessionResult


class SessionSummary(msgspec.Struct, frozen=True, kw_only=True):
    """Figures of one session, printed as text or as one JSON object."""

    session_id: str
    session_dir: str
    end_reason: str
    market_seconds: float
    wall_seconds: float
    records: int
    market_events: int
    market_events_per_s: float
    quote_cycles: int
    orders_placed: int
    orders_canceled: int
    orders_rejected: int
    fills: int
    buy_fills: int
    sell_fills: int
    volume_usd: float
    pnl: dict[str, float]
    position: float
    #: The spread profile at work: its bounds and the realized median total spread we
    #: quoted at the touch (bps of mid; None when no cycle quoted both sides).
    spread_profile: str = ""
    spread_bounds_bps: list[float | None] = msgspec.field(default_factory=list)
    median_spread_bps: float | None = None
    #: Kill switch: tripped, reason, when (ts) and its figures.
    kill_switch: dict[str, Any] = msgspec.field(default_factory=dict)
    #: QuoteSuppressed events logged (levels not sent), and by reason.
    quotes_suppressed: int = 0
    suppressed_by_reason: dict[str, int] = msgspec.field(default_factory=dict)
    #: API request budget: requests counted, budget, headroom now and its lowest.
    api: dict[str, Any] = msgspec.field(default_factory=dict)
    stale_pauses: int = 0
    #: Final estimates, each with its confidence and observation count (estimators actor).
    estimates: dict[str, Any] = msgspec.field(default_factory=dict)


MARKET_TYPES = ("BookSnapshot", "Bbo", "Trade", "Mids")


def summarize(result: SessionResult) -> SessionSummary:
    """Build the summary from the finished graph and the runtime's counts."""
    tracker = result.sequencer.actor("outcome_tracker")
    s: dict[str, Any] = tracker.summary()  # type: ignore[attr-defined]
    counts = result.counts
    market = sum(counts[t] for t in MARKET_TYPES)
    parts = ("total", "spread_capture", "adverse_selection", "inventory", "fees", "realized", "unrealized")
    risk: dict[str, Any] = result.sequencer.actor("quote_engine").risk_summary()  # type: ignore[attr-defined]
    median = risk["median_spread_bps"]
    return SessionSummary(
        session_id=result.session_id,
        session_dir=str(result.session_dir),
        end_reason=result.end_reason,
        market_seconds=(result.end_ns - result.start_ns) / 1e9,
        wall_seconds=round(result.wall_s, 3),
        records=result.records,
        market_events=market,
        market_events_per_s=round(market / result.wall_s, 1) if result.wall_s > 0 else 0.0,
        quote_cycles=counts["QuoteCycle"],
        orders_placed=counts["PlaceOrder"],
        orders_canceled=counts["OrderCanceled"],
        orders_rejected=counts["OrderRejected"],
        fills=counts["Fill"],
        buy_fills=int(s["buys"]),
        sell_fills=int(s["sells"]),
        volume_usd=float(s["volume"]),
        pnl={k: float(s[k]) for k in parts},
        position=float(s["position"]),
        spread_profile=risk["spread_profile"],
        spread_bounds_bps=[float(b) if math.isfinite(b) else None for b in risk["spread_bounds_bps"]],
        median_spread_bps=None if median != median else round(median, 4),
        kill_switch=risk["kill_switch"],
        quotes_suppressed=risk["suppressed"],
        suppressed_by_reason=risk["suppressed_by_reason"],
        api=risk["api"],
        stale_pauses=risk["stale_pauses"],
        estimates=_estimates(result),
    )


def _estimates(result: SessionResult) -> dict[str, Any]:
    try:
        actor = result.sequencer.actor("estimators")
    except KeyError:
        return {}
    return actor.summary()  # type: ignore[attr-defined,no-any-return]


def render_text(summary: SessionSummary) -> str:
    """A short human-readable block."""
    p = summary.pnl
    lines = [
        f"session     {summary.session_id}  ({summary.end_reason})",
        f"dir         {summary.session_dir}",
        f"market      {summary.market_seconds:,.0f} s in {summary.wall_seconds:,.1f} s wall "
        f"({summary.market_events:,} market events, {summary.market_events_per_s:,.0f}/s)",
        f"records     {summary.records:,}",
        f"quotes      {summary.quote_cycles:,} cycles, {summary.orders_placed:,} orders placed, "
        f"{summary.orders_canceled:,} canceled, {summary.orders_rejected:,} rejected",
        f"fills       {summary.fills:,} ({summary.buy_fills:,} buys, {summary.sell_fills:,} sells), "
        f"volume ${summary.volume_usd:,.2f}",
        f"pnl         total {p['total']:+.4f}  = spread {p['spread_capture']:+.4f}"
        f"  + adverse {p['adverse_selection']:+.4f}  + inventory {p['inventory']:+.4f}"
        f"  + fees {p['fees']:+.4f}",
        f"            realized {p['realized']:+.4f}  unrealized {p['unrealized']:+.4f}",
        f"position    {summary.position:+.6f}",
        *_risk_lines(summary),
        *_estimate_lines(summary.estimates),
    ]
    return "\n".join(lines)


def _risk_lines(summary: SessionSummary) -> list[str]:
    lo, hi = ([*summary.spread_bounds_bps, None, None])[:2]
    bounds = "unbounded" if lo is None or hi is None else f"{lo:g}-{hi:g} bps"
    median = "n/a" if summary.median_spread_bps is None else f"{summary.median_spread_bps:.2f} bps"
    k = summary.kill_switch
    if k.get("tripped"):
        detail = f": {k['detail']}" if k.get("detail") else ""
        kill = (f"TRIPPED ({k.get('reason')}{detail}) equity ${k.get('equity', 0.0):,.2f}, drawdown "
                f"${k.get('drawdown_usd', 0.0):,.2f} / ${k.get('max_drawdown_usd', 0.0):,.2f}, daily loss "
                f"${k.get('daily_loss_usd', 0.0):,.2f} / ${k.get('max_daily_loss_usd', 0.0):,.2f}")  # fmt: skip
    else:
        kill = "armed"
    api = summary.api
    lines = [
        f"spread      profile {summary.spread_profile} ({bounds}), realized median {median} at the touch",
        f"kill switch {kill}",
        f"controls    {summary.quotes_suppressed:,} quotes suppressed, {summary.stale_pauses} stale-data pauses",
    ]
    if api:
        lines.append(f"api         {api['requests']:,} requests of a {api['budget']:,.0f} budget: headroom "
                     f"{api['headroom']:.1%} (lowest {api['min_headroom']:.1%}), mode {api['mode']}")  # fmt: skip
    return lines


def _estimate_lines(est: dict[str, Any]) -> list[str]:
    if not est:
        return []

    def part(key: str, fmt: str) -> str:
        e = est.get(key, {})
        value = e.get("value")
        shown = format(value, fmt) if isinstance(value, int | float) else str(value)
        return f"{key} {shown} (conf {e.get('confidence', 0.0):.2f}, n={e.get('observations', 0):,})"

    return [
        f"estimates   {part('sigma', '.3g')}, {part('kappa', ',.0f')}",
        f"            {part('adverse_selection', '.2f')}, {part('regime', '')}",
    ]
