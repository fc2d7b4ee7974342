"""Re-deciding an order's touches: every trade that reached it, filled or not, with its factors.

The log says what filled; it does not say what happened on the trades that touched an
order and did *not* fill it (the draw of a near miss is consumed by the fill simulator and
never logged). So ``retrace_orders`` re-runs the session from its log into a fresh graph,
with the fill simulator instrumented:

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
event of the re-run against the log, so the touches are never those of a different
session. Queue estimates over time are sampled from ``FillSimulator.resting_orders()``.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from actors.fill_simulator import FillSimulator
from events import Fill, Trade
from replay.order_log import ExplainError, OrderRecords
from replay.session import RecordedSession
from replay.stepper import Stepper

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
        held = result is not None and 0.0 <= getattr(result, "adverse_draw", -1.0) < getattr(
            sim, "_adverse_ratio", 0.0
        )
        raw.append(
            {
                "oid": order.oid,
                "trade": trade,
                "remaining": remaining,
                "liquidity": liquidity,
                "factors": factors,
                "draws": draws,
                "draw_no": draw_no,
                "result": result,
                "held": held,
            }
        )
        return result

    sim._decide = traced  # type: ignore[method-assign]


def _fill_simulator(stepper: Stepper) -> FillSimulator:
    for actor in stepper.sequencer.actors:
        if isinstance(actor, FillSimulator):
            return actor
    raise ExplainError("the session's graph has no fill simulator")


def _touches_price(side: str, px: float, trade_px: float) -> bool:
    return trade_px <= px if side == "buy" else trade_px >= px


def _trade_ts(fill: Fill) -> int:
    """When the fill's trade printed (a held adverse fill is logged later, at a book)."""
    return getattr(fill, "trade_ts", 0) or fill.ts


def retrace_orders(
    session: RecordedSession, scans: dict[int, OrderRecords], wanted: set[int] | None, end_seq: int
) -> tuple[dict[int, list[Touch]], dict[int, list[QueuePoint]]]:
    """Re-run the session up to record ``end_seq``; every scanned order's touches and queue.

    ``wanted`` None instruments every order's decisions (as ``scans`` then holds them all).
    """
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
            if (
                type(event) is Trade
                and event.ts < order.rests_at
                and order.oid not in decided
                and scan.place is not None
                and scan.place[0] < seq
                and _touches_price(order.side, order.px, event.px)
            ):
                touches[order.oid].append(
                    Touch(
                        seq=seq,
                        ts=event.ts,
                        tid=event.tid,
                        trade_px=event.px,
                        trade_sz=event.sz,
                        trade_side=event.side,
                        outcome="in flight",
                    )
                )
            queue = queues[order.oid]
            if not queue or (queue[-1].queue_ahead, queue[-1].remaining) != (
                order.queue_ahead,
                order.remaining,
            ):
                queue.append(
                    QueuePoint(
                        seq=applied[-1][0],
                        ts=event.ts,
                        queue_ahead=order.queue_ahead,
                        remaining=order.remaining,
                    )
                )
    return touches, queues


def _touch(seq: int, item: dict[str, Any], fills_at: dict[tuple[int, int, int], tuple[int, Fill]]) -> Touch:
    """One recorded decision as a Touch: its outcome, and its check against the logged Fill."""
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
