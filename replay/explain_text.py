"""An order's explanation as text, in the order things happened (``papermm explain``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from replay.state_text import short_value, wrap_items
from replay.time_specs import format_offset

if TYPE_CHECKING:
    from replay.explain import Explanation


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"


def render(ex: Explanation) -> str:
    """The explanation as text, in the order things happened."""
    t0 = ex.start_ns

    def at(ts: int) -> str:
        return format_offset(ts, t0)

    lines = [
        f"order {ex.oid}: {ex.side} {ex.sz:g} @ {ex.px:g}, level {ex.level}, cycle {ex.cycle}  ->  {ex.outcome}"
    ]
    d = ex.decision
    if d is not None:
        depth = ((d.mid - ex.px) if ex.side == "buy" else (ex.px - d.mid)) / d.mid * 1e4
        lines += [
            "",
            f"decision   seq {ex.decision_seq} at {at(d.ts)}: QuoteCycle {d.cycle} ({d.reason})",
            f"           mid {d.mid:g}  sigma {d.sigma:.6g}  kappa {d.kappa:.6g}  gamma {d.gamma:g}",
            f"           half spread {d.half_spread_bps:.3f} bps  skew {d.skew_bps:+.4f} bps  position {d.position:+g}",
            f"           this level: depth {depth:.3f} bps from mid"
            + (f", predicted p_fill {ex.decision_level.p_fill:.4g}" if ex.decision_level else ""),
        ]
    if ex.estimates is not None:
        seq, est = ex.estimates
        lines.append(f"estimates  seq {seq} at {at(est.ts)} (in force at the decision):")
        lines += wrap_items(
            [f"{f}={short_value(getattr(est, f))}" for f in est.__struct_fields__ if f != "ts"],
            indent=11,
            width=110,
        )
    lines += ["", f"placed     seq {ex.place_seq} at {at(ex.place_ts)}"]
    if ex.accepted is not None:
        lines.append(
            f"accepted   seq {ex.accepted_seq}: rests from {at(ex.accepted.rests_at)} "
            f"(placement latency {_ms(ex.placement_latency_ns or 0)}), queue ahead {ex.accepted.queue_ahead:g}"
        )
    if ex.rejected is not None:
        lines.append(f"rejected   {ex.rejected.reason}")
    if ex.queue:
        lines += ["", f"queue      {'seq':<8} {'time':>10}  {'queue_ahead':>11}  {'remaining':>9}"]
        lines += [
            f"           {q.seq:<8d} {at(q.ts):>10}  {q.queue_ahead:11.6g}  {q.remaining:9.6g}"
            for q in ex.queue
        ]
    lines += [
        "",
        f"touches    {len(ex.touches)} trade(s) reached {ex.px:g} while the order was live "
        f"({sum(1 for t in ex.touches if t.outcome == 'filled')} filled, {len(ex.near_misses)} did not)",
    ]
    if ex.touches:
        lines.append(
            f"  {'seq':<8} {'time':>10}  {'tid':<15}  {'trade (aggressor sz@px)':<24}  touch  price  "
            "size   queue  age    aggr   p       draw    outcome"
        )
    for t in ex.touches:
        trade = f"{t.trade_side} {t.trade_sz:g}@{t.trade_px:g}"
        if t.factors is None:
            fac = "  ".join(["-    "] * 6) + "  -       -     "
        else:
            f = t.factors
            fac = (
                f"{f['touch_probability']:.3f}  {f['price_factor']:.3f}  {f['size_factor']:.3f}  "
                f"{f['queue_factor']:.3f}  {f['age_factor']:.3f}  {f['aggressor_factor']:.3f}  "
                f"{f['probability']:.4f}  " + ("-     " if t.draw is None else f"{t.draw:.4f}")
            )
        note = t.outcome
        if t.held:
            note += " (adverse: held for the next mid move" + (
                ", which went against us)" if t.fill_seq is not None else ")"
            )
        if t.adverse_draw is not None:
            note += f" adverse draw {t.adverse_draw:.4f}"
        if t.fill_seq is not None:
            note += (
                f" (Fill seq {t.fill_seq}, {t.fill_sz:g}; "
                + ("reproduced" if not t.mismatches else "MISMATCH " + ",".join(t.mismatches))
                + ")"
            )
        mark = ">" if ex.focus_seq is not None and t.fill_seq == ex.focus_seq else " "
        lines.append(f"{mark} {t.seq:<8d} {at(t.ts):>10}  {t.tid:<15d}  {trade:<24}  {fac}  {note}")
    if ex.cancel is not None:
        seq, cmd = ex.cancel
        lines += ["", f"cancel     seq {seq} at {at(cmd.ts)} ({cmd.reason})"]
    if ex.canceled is not None:
        seq, ev = ex.canceled
        lines.append(f"left book  seq {seq} at {at(ev.ts)}: {ev.reason}, {ev.remaining:g} unfilled")
    if ex.fills:
        lines += ["", "markouts   mid move after each fill, bps, + is good for us (depth = edge vs mid)"]
        for r in ex.fills:
            mk = "  ".join(
                f"{h:g}s " + ("-" if m is None else f"{m:+.2f}")
                for h, m in zip(r.horizons_s, r.markouts_bps, strict=True)
            )
            lines.append(f"           seq {r.seq}: {r.sz:g} @ {r.px:g}, depth {r.depth_bps:.2f}  {mk}")
    verdict = (
        "every factor and draw of the logged fills reproduced"
        if ex.reproduced
        else "the recomputation DISAGREES with the logged fills"
    )
    if ex.fills:
        lines += ["", f"check      {verdict}"]
    return "\n".join(lines)
