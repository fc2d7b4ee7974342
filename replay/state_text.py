"""A replay state as text (``papermm replay --until``), and the value formatting it shares.

The book, the resting orders, position and PnL, the quote engine's estimates, then every
other actor's snapshot as JSON, so that actors added later are printed too.
"""

from __future__ import annotations

from typing import Any

import msgspec

from replay.replay_state import ReplayState, event_fields
from replay.time_specs import format_offset, format_ts


def _book_lines(state: ReplayState, depth: int) -> list[str]:
    found = state.last.get("BookSnapshot")
    lines: list[str] = []
    if found is not None:
        seq, book = found
        lines.append(f"book      BookSnapshot seq {seq} at {format_offset(book.ts, state.start_ns)}")
        lines.append(f"          {'bid sz':>12} {'bid px':>14} | {'ask px':<14} {'ask sz':<12}")
        bids = list(zip(book.bid_px, book.bid_sz, strict=True))[:depth]  # type: ignore[attr-defined]
        asks = list(zip(book.ask_px, book.ask_sz, strict=True))[:depth]  # type: ignore[attr-defined]
        for i in range(max(len(bids), len(asks))):
            b = f"{bids[i][1]:>12g} {bids[i][0]:>14g}" if i < len(bids) else " " * 27
            a = f"{asks[i][0]:<14g} {asks[i][1]:<12g}" if i < len(asks) else ""
            lines.append(f"          {b} | {a}")
    for name in ("Bbo", "Mids"):
        item = state.last.get(name)
        if item is not None:
            seq, ev = item
            body = {
                k: v for k, v in event_fields(ev).items() if k not in ("type", "ts", "coin", "exchange_ts")
            }
            lines.append(
                f"{name.lower():<9} seq {seq} at {format_offset(ev.ts, state.start_ns)}: "
                + "  ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in body.items())
            )
    return lines or ["book      none yet"]


def short_value(value: Any) -> str:
    """A value for humans: floats to 6 significant digits, tuples and lists item by item."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(short_value(v) for v in value) + ")"
    return repr(value)


def wrap_items(items: list[str], *, indent: int, width: int) -> list[str]:
    """``items`` two spaces apart, in lines of at most ``width`` columns after ``indent``."""
    lines: list[str] = []
    line = ""
    for item in items:
        if line and len(line) + 2 + len(item) > width - indent:
            lines.append(" " * indent + line)
            line = ""
        line = f"{line}  {item}" if line else item
    if line:
        lines.append(" " * indent + line)
    return lines


def _orders_lines(orders: list[dict[str, Any]], start_ns: int) -> list[str]:
    if not orders:
        return ["resting   none"]
    lines = [
        f"resting   {len(orders)} order(s)",
        f"          {'oid':>6} {'side':<4} {'lvl':>3} {'px':>14} {'sz':>10} {'remaining':>10} "
        f"{'rests_at':>10} {'cancel_at':>10} {'queue_ahead':>11}",
    ]
    for o in orders:
        cancel = "-" if o.get("cancel_at") is None else format_offset(o["cancel_at"], start_ns)
        lines.append(
            f"          {o['oid']:>6} {o['side']:<4} {o['level']:>3} {o['px']:>14g} {o['sz']:>10g} "
            f"{o['remaining']:>10g} {format_offset(o['rests_at'], start_ns):>10} {cancel:>10} {o['queue_ahead']:>11g}"
        )
    return lines


def render_state(state: ReplayState, *, book_depth: int = 5) -> str:
    """Book, resting orders, position and PnL, the quote engine's estimates, then every
    other actor's snapshot as JSON (so actors added later are printed too)."""
    asked = (
        ""
        if state.requested_seq is None or state.requested_seq == state.seq
        else f" (asked for {state.requested_seq}: the state is only defined between inputs)"
    )
    lines = [
        f"state at seq {state.seq}{asked}",
        f"time      {format_ts(state.ts)} ({format_offset(state.ts, state.start_ns)}), "
        f"{state.external} inputs admitted",
        *_book_lines(state, book_depth),
    ]
    enc = msgspec.json.Encoder(order="deterministic")
    shown = set()
    sim = state.actors.get("fill_simulator")
    if sim is not None:
        shown.add("fill_simulator")
        lines += _orders_lines(sim.get("orders", []), state.start_ns)
        stats = sim.get("statistics", {})
        lines.append("simulator " + "  ".join(f"{k} {v}" for k, v in stats.items()))
    tracker = state.actors.get("outcome_tracker")
    if tracker is not None:
        shown.add("outcome_tracker")
        s = tracker.get("summary", {})
        lines.append(
            f"position  {s.get('position', 0.0):+g}  cash {s.get('cash', 0.0):+.4f}  "
            f"pnl total {s.get('total', 0.0):+.4f} = spread {s.get('spread_capture', 0.0):+.4f} "
            f"+ adverse {s.get('adverse_selection', 0.0):+.4f} + inventory {s.get('inventory', 0.0):+.4f} "
            f"+ fees {s.get('fees', 0.0):+.4f}"
        )
    engine = state.actors.get("quote_engine")
    if engine is not None:
        shown.add("quote_engine")
        keys = ("cycle", "sigma", "kappa", "gamma", "estimates_used", "position")
        items = [f"{k.replace('_', ' ')} {short_value(engine[k])}" for k in keys if k in engine]
        items.append(f"orders it believes live {len(engine.get('orders', []))}")
        lines.append("quoting   " + "  ".join(items))
    cycle = state.last.get("QuoteCycle")
    if cycle is not None:
        seq, qc = cycle
        lines.append(
            f"last quote QuoteCycle seq {seq} at {format_offset(qc.ts, state.start_ns)}: "  # type: ignore[attr-defined]
            f"gamma {qc.gamma:g}  half spread {qc.half_spread_bps:.3f} bps  "  # type: ignore[attr-defined]
            f"skew {qc.skew_bps:+.4f} bps  {len(qc.levels)} levels"  # type: ignore[attr-defined]
        )
    est = state.last.get("Estimates")
    if est is not None:
        seq, ev = est
        lines.append(f"estimates Estimates seq {seq} at {format_offset(ev.ts, state.start_ns)}:")
        lines += wrap_items(
            [f"{f}={short_value(getattr(ev, f))}" for f in ev.__struct_fields__ if f != "ts"],
            indent=10,
            width=110,
        )
    for name, snap in state.actors.items():
        if name in shown:
            continue
        lines.append(f"{name}:")
        for key, value in snap.items():
            try:
                text = enc.encode(value).decode()
            except (TypeError, msgspec.EncodeError, OverflowError):
                text = repr(value)
            lines.append(f"          {key}: {text}")
    return "\n".join(lines)
