"""The whole story of one order: decision, placement, queue, every touching trade, fills, markouts.

The log says what was decided and what filled; it does not say what happened on the
trades that touched an order and did *not* fill it (the draw of a near miss is consumed
by the fill simulator and never logged). So ``explain`` re-runs the session from its log
into a fresh graph up to the order's end, with the fill simulator instrumented:

* its generator is wrapped so that every draw is seen as it is made;
* its decision method is wrapped so that each call for our order is recorded, and the
  factors of every touch, near misses included, are recomputed by calling that *same*
  method on a copy of the order with a draw that always passes and unlimited liquidity.
  The factors therefore come from the simulator's own formula, not from a copy of it.
  This reaches into private members on purpose (``FillSimulator._decide`` and its
  signature, ``._rng``, ``._fills``, and copies of its private ``_Order`` records made
  with ``attrs.evolve``): the formula lives in one place only. The tests break loudly
  if the simulator changes under it.

For every touch that filled, the recomputed factors and the seen draw are compared with
the Fill event in the log (``Touch.mismatches``); the stepper also checks every derived
event of the re-run against the log, so an explanation is never of a different session.
Queue estimates over time are sampled from ``FillSimulator.resting_orders()``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

from actors.fill_simulator import FillSimulator
from events import (
    EXTERNAL_TYPES,
    CancelOrder,
    Event,
    Fill,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    QuoteCycle,
    QuoteLevel,
    Trade,
)
from replay.fills import FillRow, collect, row_of
from replay.session import RecordedSession, SessionError
from replay.stepping import Stepper, format_offset, short_value, wrap_items

#: The Fill fields that explain a decision, compared with the recomputation.
FACTOR_FIELDS: tuple[str, ...] = (
    "touch_probability",
    "price_factor",
    "size_factor",
    "queue_factor",
    "age_factor",
    "aggressor_factor",
    "queue_ahead",
    "probability",
)


class ExplainError(SessionError):
    """No such order or fill in the session."""


@attrs.frozen
class Touch:
    """One trade that reached the order's price while the order was live."""

    seq: int
    ts: int
    tid: int
    trade_px: float
    trade_sz: float
    trade_side: str
    #: "filled", "near miss" (draw >= p), "no liquidity" (draw < p, but the trade's size
    #: was used up before us), "in flight" (inside the placement latency: no draw), or
    #: "held, lapsed" (an adverse fill held for the next mid move, which did not go
    #: against us, or the order left first: it never happened).
    outcome: str
    remaining: float | None = None
    liquidity: float | None = None
    #: touch_probability, price/size/queue/age/aggressor factors, queue_ahead, probability.
    factors: dict[str, float] | None = None
    draw: float | None = None
    #: The second draw of the decision when adverse fills are on (fill.adverse_fill_ratio).
    adverse_draw: float | None = None
    #: Position of the (first) draw in the simulator's stream of draws (0 = the session's first).
    draw_no: int | None = None
    #: Draws the decision took from the stream (1, or 2 with adverse fills).
    draws: int = 0
    #: The fill was held for the next mid move (adverse fills); see ``outcome``.
    held: bool = False
    fill_seq: int | None = None
    fill_sz: float | None = None
    #: Fields where the recomputation differs from the logged Fill (empty = reproduced).
    mismatches: tuple[str, ...] = ()

    @property
    def probability(self) -> float | None:
        return None if self.factors is None else self.factors["probability"]


@attrs.frozen
class QueuePoint:
    """The simulator's estimate of the size ahead of the order, from ``seq`` on."""

    seq: int
    ts: int
    queue_ahead: float
    remaining: float


@attrs.frozen
class Explanation:
    """Everything the log and a re-run say about one order."""

    oid: int
    side: str
    px: float
    sz: float
    level: int
    start_ns: int
    place_seq: int
    place_ts: int
    cycle: int
    decision_seq: int | None
    decision: QuoteCycle | None
    decision_level: QuoteLevel | None
    #: The estimator record in force at the decision (any event type named Estimates): the
    #: last one logged before the input that caused the decision.
    estimates: tuple[int, Event] | None
    accepted_seq: int | None
    accepted: OrderAccepted | None
    rejected: OrderRejected | None
    placement_latency_ns: int | None
    queue: tuple[QueuePoint, ...]
    touches: tuple[Touch, ...]
    fills: tuple[FillRow, ...]
    cancel: tuple[int, CancelOrder] | None
    canceled: tuple[int, OrderCanceled] | None
    #: filled | partially filled, then canceled/expired | canceled | expired | rejected | resting at end
    outcome: str
    end_seq: int
    #: The fill record asked for with ``seq:N``, if any.
    focus_seq: int | None = None

    @property
    def near_misses(self) -> tuple[Touch, ...]:
        return tuple(t for t in self.touches if t.outcome != "filled")

    @property
    def reproduced(self) -> bool:
        """Every logged fill of the order was recomputed factor for factor, draw included."""
        filled = [t for t in self.touches if t.outcome == "filled"]
        return len(filled) == len(self.fills) and all(not t.mismatches for t in filled)


def parse_ident(ident: int | str) -> tuple[str, int]:
    """``42`` / ``oid:42`` is an order id; ``seq:1234`` (or ``#1234``) is the fill at that record."""
    if isinstance(ident, int):
        return "oid", ident
    text = ident.strip()
    for prefix, kind in (("seq:", "seq"), ("#", "seq"), ("oid:", "oid")):
        if text.startswith(prefix) and text[len(prefix):].isdigit():
            return kind, int(text[len(prefix):])
    if text.isdigit():
        return "oid", int(text)
    raise ExplainError(f"{ident!r}: expected an order id (42 or oid:42) or a fill's record (seq:1234)")


@attrs.define
class _Scan:
    """What the log alone says about one order."""

    oid: int
    place: tuple[int, PlaceOrder] | None = None
    decision: tuple[int, QuoteCycle] | None = None
    estimates: tuple[int, Event] | None = None
    accepted: tuple[int, OrderAccepted] | None = None
    rejected: tuple[int, OrderRejected] | None = None
    fills: list[tuple[int, Fill]] = attrs.Factory(list)
    cancel: tuple[int, CancelOrder] | None = None
    canceled: tuple[int, OrderCanceled] | None = None
    end_seq: int | None = None


def _scan(session: RecordedSession, oids: set[int] | None) -> tuple[dict[int, _Scan], int]:
    """Every wanted order's records (all orders when ``oids`` is None), and the last seq."""
    scans: dict[int, _Scan] = {}
    last_cycle: tuple[int, QuoteCycle] | None = None
    last_estimates: tuple[int, Event] | None = None
    # Delivery is breadth first: the quote engine decides on the input itself, before the
    # Estimates the same input caused reach it. So the estimates a decision used are the
    # last ones logged before the input whose cascade holds the decision.
    in_force: tuple[int, Event] | None = None
    seq = 0
    for seq, event in session.records():
        kind = type(event)
        if kind in EXTERNAL_TYPES:
            in_force = last_estimates
            continue
        if kind is QuoteCycle:
            last_cycle = (seq, event)  # type: ignore[assignment]
            continue
        if kind.__name__ == "Estimates":
            last_estimates = (seq, event)
            continue
        oid = getattr(event, "oid", None)
        if oid is None or (oids is not None and oid not in oids):
            continue
        if kind is PlaceOrder:
            scan = scans[oid] = _Scan(oid, place=(seq, event), estimates=in_force)  # type: ignore[arg-type]
            if last_cycle is not None and last_cycle[1].cycle == event.cycle:  # type: ignore[attr-defined]
                scan.decision = last_cycle
            continue
        scan = scans.get(oid)  # type: ignore[assignment]
        if scan is None or scan.end_seq is not None:
            continue
        if kind is OrderAccepted:
            scan.accepted = (seq, event)  # type: ignore[assignment]
        elif kind is OrderRejected:
            scan.rejected = (seq, event)  # type: ignore[assignment]
            scan.end_seq = seq
        elif kind is Fill:
            scan.fills.append((seq, event))  # type: ignore[arg-type]
            if event.remaining <= 0.0:  # type: ignore[attr-defined]
                scan.end_seq = seq
        elif kind is CancelOrder and scan.cancel is None:
            scan.cancel = (seq, event)  # type: ignore[assignment]
        elif kind is OrderCanceled:
            scan.canceled = (seq, event)  # type: ignore[assignment]
            scan.end_seq = seq
    return scans, seq


def _oid_of_record(session: RecordedSession, seq: int) -> int:
    for s, event in session.records():
        if s == seq:
            oid = getattr(event, "oid", None)
            if oid is None:
                raise ExplainError(f"record {seq} is a {type(event).__name__}, not an order's event")
            return int(oid)
    raise ExplainError(f"no record {seq} in {session.log_path}")


class _SeenDraws:
    """Wraps the simulator's generator: passes every call through, remembers the last draw."""

    def __init__(self, rng: Any) -> None:
        self._rng = rng
        self.values: list[float] = []
        self.count = 0

    def random(self) -> float:
        value = float(self._rng.random())
        self.values.append(value)
        self.count += 1
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rng, name)


class _PassingDraw:
    """A generator stand-in whose draw is below any probability (even 0)."""

    @staticmethod
    def random() -> float:
        return -1.0


def _instrument(sim: FillSimulator, wanted: set[int] | None, raw: list[dict[str, Any]]) -> None:
    """Record every decision the simulator takes for the wanted orders (see the module docstring)."""
    decide = sim._decide
    seen = _SeenDraws(sim._rng)
    sim._rng = seen  # type: ignore[assignment]

    def traced(order: Any, trade: Trade, passive: bool, queue_ahead: float, liquidity: float) -> Fill | None:
        if wanted is not None and order.oid not in wanted:
            return decide(order, trade, passive, queue_ahead, liquidity)
        probe_order = attrs.evolve(order)
        remaining = order.remaining
        draw_no = seen.count
        seen.values.clear()
        result = decide(order, trade, passive, queue_ahead, liquidity)
        draws = list(seen.values)
        # The same formula on a copy: a passing draw and unlimited liquidity make it
        # return a Fill that carries every factor, whatever the real draw was.
        fills_before = sim._fills
        sim._rng = _PassingDraw()  # type: ignore[assignment]
        try:
            probe = decide(probe_order, trade, passive, queue_ahead, math.inf)
        finally:
            sim._rng = seen  # type: ignore[assignment]
            sim._fills = fills_before
        factors = None if probe is None else {f: float(getattr(probe, f)) for f in FACTOR_FIELDS}
        held = result is not None and 0.0 <= getattr(result, "adverse_draw", -1.0) < getattr(sim, "_adverse_ratio", 0.0)
        raw.append({"oid": order.oid, "trade": trade, "remaining": remaining, "liquidity": liquidity,
                    "factors": factors, "draws": draws, "draw_no": draw_no, "result": result, "held": held})
        return result

    sim._decide = traced  # type: ignore[method-assign]


def _fill_simulator(stepper: Stepper) -> FillSimulator:
    for actor in stepper.sequencer.actors:
        if isinstance(actor, FillSimulator):
            return actor
    raise ExplainError("the session's graph has no fill simulator")


def _touches_price(side: str, px: float, trade_px: float) -> bool:
    return trade_px <= px if side == "buy" else trade_px >= px


def explain(session: RecordedSession, ident: int | str) -> Explanation:
    """Explain one order (an oid) or the order of one fill (``"seq:N"``)."""
    kind, number = parse_ident(ident)
    oid = _oid_of_record(session, number) if kind == "seq" else number
    found = explain_orders(session, [oid])
    if oid not in found:
        raise ExplainError(f"no order {oid} in {session.log_path}")
    return attrs.evolve(found[oid], focus_seq=number) if kind == "seq" else found[oid]


def explain_orders(session: RecordedSession, oids: Sequence[int] | None = None) -> dict[int, Explanation]:
    """Explain several orders (every order when ``oids`` is None) with one re-run."""
    wanted = None if oids is None else set(oids)
    scans, last_seq = _scan(session, wanted)
    if not scans:
        return {}
    end_seq = max(s.end_seq if s.end_seq is not None else last_seq for s in scans.values())
    stepper = Stepper(session)
    sim = _fill_simulator(stepper)
    raw: list[dict[str, Any]] = []
    _instrument(sim, wanted, raw)
    touches: dict[int, list[Touch]] = {oid: [] for oid in scans}
    queues: dict[int, list[QueuePoint]] = {oid: [] for oid in scans}
    fills_at: dict[tuple[int, int, int], tuple[int, Fill]] = {
        (oid, f.tid, _trade_ts(f)): (fseq, f) for oid, scan in scans.items() for fseq, f in scan.fills
    }
    while stepper.seq < end_seq and not stepper.done:
        n_raw = len(raw)
        applied = stepper.step()
        if not applied:
            break
        seq, event = applied[0]
        decided = {item["oid"] for item in raw[n_raw:]}
        for item in raw[n_raw:]:
            touches[item["oid"]].append(_touch(seq, item, fills_at))
        for order in sim.resting_orders():
            scan = scans.get(order.oid)
            if scan is None:
                continue
            # Inside its placement latency the order cannot fill, nor draw: an "in flight" touch.
            if type(event) is Trade and event.ts < order.rests_at and order.oid not in decided \
                    and scan.place is not None and scan.place[0] < seq \
                    and _touches_price(order.side, order.px, event.px):
                touches[order.oid].append(Touch(seq=seq, ts=event.ts, tid=event.tid, trade_px=event.px,
                                                trade_sz=event.sz, trade_side=event.side, outcome="in flight"))
            queue = queues[order.oid]
            if not queue or (queue[-1].queue_ahead, queue[-1].remaining) != (order.queue_ahead, order.remaining):
                queue.append(QueuePoint(seq=applied[-1][0], ts=event.ts, queue_ahead=order.queue_ahead,
                                        remaining=order.remaining))
    series = collect(session.records())[1] if fills_at else None
    return {
        oid: _explanation(session, scan, last_seq, touches[oid], queues[oid], series)
        for oid, scan in sorted(scans.items())
    }


def _explanation(session: RecordedSession, scan: _Scan, last_seq: int, touches: list[Touch],
                 queue: list[QueuePoint], series: Any) -> Explanation:
    assert scan.place is not None
    place_seq, place = scan.place
    decision = scan.decision[1] if scan.decision else None
    decision_level = None
    if decision is not None:
        decision_level = next((lv for lv in decision.levels if lv.side == place.side
                               and lv.level == place.level and lv.px == place.px), None)
    rests_at = scan.accepted[1].rests_at if scan.accepted else None
    return Explanation(
        oid=scan.oid,
        side=place.side,
        px=place.px,
        sz=place.sz,
        level=place.level,
        start_ns=session.started.ts,
        place_seq=place_seq,
        place_ts=place.ts,
        cycle=place.cycle,
        decision_seq=scan.decision[0] if scan.decision else None,
        decision=decision,
        decision_level=decision_level,
        estimates=scan.estimates,
        accepted_seq=scan.accepted[0] if scan.accepted else None,
        accepted=scan.accepted[1] if scan.accepted else None,
        rejected=scan.rejected[1] if scan.rejected else None,
        placement_latency_ns=(rests_at - place.ts) if rests_at is not None else None,
        queue=tuple(queue),
        touches=tuple(touches),
        fills=tuple(row_of(fseq, fill, series) for fseq, fill in scan.fills),
        cancel=scan.cancel,
        canceled=scan.canceled,
        outcome=_outcome(scan),
        end_seq=scan.end_seq if scan.end_seq is not None else last_seq,
    )


def _trade_ts(fill: Fill) -> int:
    """When the fill's trade printed (a held adverse fill is logged later, at a book)."""
    return getattr(fill, "trade_ts", 0) or fill.ts


def _touch(seq: int, item: dict[str, Any], fills_at: dict[tuple[int, int, int], tuple[int, Fill]]) -> Touch:
    trade: Trade = item["trade"]
    result: Fill | None = item["result"]
    factors: dict[str, float] | None = item["factors"]
    draws: list[float] = item["draws"]
    draw = draws[0] if draws else None
    adverse_draw = draws[1] if len(draws) > 1 else None
    logged = fills_at.get((item["oid"], trade.tid, trade.ts)) if result is not None else None
    if result is not None:
        outcome = "filled" if logged is not None or not item["held"] else "held, lapsed"
    elif factors is not None and draw is not None and draw < factors["probability"]:
        outcome = "no liquidity"
    else:
        outcome = "near miss"
    fill_seq = None
    mismatches: tuple[str, ...] = ()
    if outcome == "filled":
        if logged is None:
            mismatches = ("no such Fill in the log",)
        else:
            fill_seq, fill = logged
            bad = [f for f in FACTOR_FIELDS if factors is None or factors[f] != getattr(fill, f)]
            if draw != fill.draw:
                bad.append("draw")
            if adverse_draw is not None and adverse_draw != getattr(fill, "adverse_draw", adverse_draw):
                bad.append("adverse_draw")
            mismatches = tuple(bad)
    return Touch(
        seq=seq,
        ts=trade.ts,
        tid=trade.tid,
        trade_px=trade.px,
        trade_sz=trade.sz,
        trade_side=trade.side,
        outcome=outcome,
        remaining=item["remaining"],
        liquidity=item["liquidity"],
        factors=factors,
        draw=draw,
        adverse_draw=adverse_draw,
        draw_no=item["draw_no"] if draws else None,
        draws=len(draws),
        held=item["held"],
        fill_seq=fill_seq,
        fill_sz=None if logged is None else logged[1].sz,
        mismatches=mismatches,
    )


def _outcome(scan: _Scan) -> str:
    if scan.rejected is not None:
        return f"rejected ({scan.rejected[1].reason})"
    filled = bool(scan.fills)
    if scan.fills and scan.fills[-1][1].remaining <= 0.0:
        return "filled"
    if scan.canceled is not None:
        reason = scan.canceled[1].reason
        return f"partially filled, then {reason}" if filled else reason
    return "partially filled, resting at the end of the log" if filled else "resting at the end of the log"


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.1f} ms"


def render(ex: Explanation) -> str:
    """The explanation as text, in the order things happened."""
    t0 = ex.start_ns

    def at(ts: int) -> str:
        return format_offset(ts, t0)

    lines = [f"order {ex.oid}: {ex.side} {ex.sz:g} @ {ex.px:g}, level {ex.level}, cycle {ex.cycle}  ->  {ex.outcome}"]
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
        lines += wrap_items([f"{f}={short_value(getattr(est, f))}" for f in est.__struct_fields__ if f != "ts"],
                          indent=11, width=110)
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
        lines += [f"           {q.seq:<8d} {at(q.ts):>10}  {q.queue_ahead:11.6g}  {q.remaining:9.6g}"
                  for q in ex.queue]
    lines += ["", f"touches    {len(ex.touches)} trade(s) reached {ex.px:g} while the order was live "
              f"({sum(1 for t in ex.touches if t.outcome == 'filled')} filled, {len(ex.near_misses)} did not)"]
    if ex.touches:
        lines.append(f"  {'seq':<8} {'time':>10}  {'tid':<15}  {'trade (aggressor sz@px)':<24}  touch  price  "
                     "size   queue  age    aggr   p       draw    outcome")
    for t in ex.touches:
        trade = f"{t.trade_side} {t.trade_sz:g}@{t.trade_px:g}"
        if t.factors is None:
            fac = "  ".join(["-    "] * 6) + "  -       -     "
        else:
            f = t.factors
            fac = (f"{f['touch_probability']:.3f}  {f['price_factor']:.3f}  {f['size_factor']:.3f}  "
                   f"{f['queue_factor']:.3f}  {f['age_factor']:.3f}  {f['aggressor_factor']:.3f}  "
                   f"{f['probability']:.4f}  " + ("-     " if t.draw is None else f"{t.draw:.4f}"))
        note = t.outcome
        if t.held:
            note += " (adverse: held for the next mid move" + (
                ", which went against us)" if t.fill_seq is not None else ")")
        if t.adverse_draw is not None:
            note += f" adverse draw {t.adverse_draw:.4f}"
        if t.fill_seq is not None:
            note += f" (Fill seq {t.fill_seq}, {t.fill_sz:g}; " + (
                "reproduced" if not t.mismatches else "MISMATCH " + ",".join(t.mismatches)) + ")"
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
            mk = "  ".join(f"{h:g}s " + ("-" if m is None else f"{m:+.2f}")
                           for h, m in zip(r.horizons_s, r.markouts_bps, strict=True))
            lines.append(f"           seq {r.seq}: {r.sz:g} @ {r.px:g}, depth {r.depth_bps:.2f}  {mk}")
    verdict = "every factor and draw of the logged fills reproduced" if ex.reproduced else \
        "the recomputation DISAGREES with the logged fills"
    if ex.fills:
        lines += ["", f"check      {verdict}"]
    return "\n".join(lines)

