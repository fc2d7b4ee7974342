"""The summary a paper session prints when it ends."""

from __future__ import annotations

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


MARKET_TYPES = ("BookSnapshot", "Bbo", "Trade", "Mids")


def summarize(result: SessionResult) -> SessionSummary:
    """Build the summary from the finished graph and the runtime's counts."""
    tracker = result.sequencer.actor("outcome_tracker")
    s: dict[str, Any] = tracker.summary()  # type: ignore[attr-defined]
    counts = result.counts
    market = sum(counts[t] for t in MARKET_TYPES)
    parts = ("total", "spread_capture", "adverse_selection", "inventory", "fees", "realized", "unrealized")
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
    )


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
    ]
    return "\n".join(lines)
