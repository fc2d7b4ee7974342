"""The whole story of one order: decision, placement, queue, every touching trade, fills, markouts.

``explain`` puts together what the log alone says about the order (``replay.order_log``)
and what a re-run of the session says about the trades that touched it, near misses
included (``replay.touches``: the fill simulator's own formula re-decides every touch,
and every logged fill is checked factor for factor). ``render`` (``replay.explain_text``)
prints the story in the order things happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from events import CancelOrder, Event, OrderAccepted, OrderCanceled, OrderRejected, QuoteCycle, QuoteLevel
from replay.fills import FillRow, collect, row_of
from replay.order_log import (
    ExplainError,
    OrderRecords,
    oid_of_record,
    order_outcome,
    parse_ident,
    scan_orders,
)
from replay.session import RecordedSession
from replay.touches import QueuePoint, Touch, retrace_orders

# The names that lived here before the story had modules of their own.


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


def explain(session: RecordedSession, ident: int | str) -> Explanation:
    """Explain one order (an oid) or the order of one fill (``"seq:N"``)."""
    kind, number = parse_ident(ident)
    oid = oid_of_record(session, number) if kind == "seq" else number
    found = explain_orders(session, [oid])
    if oid not in found:
        raise ExplainError(f"no order {oid} in {session.log_path}")
    return attrs.evolve(found[oid], focus_seq=number) if kind == "seq" else found[oid]


def explain_orders(session: RecordedSession, oids: Sequence[int] | None = None) -> dict[int, Explanation]:
    """Explain several orders (every order when ``oids`` is None) with one re-run."""
    wanted = None if oids is None else set(oids)
    scans, last_seq = scan_orders(session, wanted)
    if not scans:
        return {}
    end_seq = max(s.end_seq if s.end_seq is not None else last_seq for s in scans.values())
    touches, queues = retrace_orders(session, scans, wanted, end_seq)
    series = collect(session.records())[1] if any(scan.fills for scan in scans.values()) else None
    return {
        oid: _explanation(session, scan, last_seq, touches[oid], queues[oid], series)
        for oid, scan in sorted(scans.items())
    }


def _explanation(
    session: RecordedSession,
    scan: OrderRecords,
    last_seq: int,
    touches: list[Touch],
    queue: list[QueuePoint],
    series: Any,
) -> Explanation:
    assert scan.place is not None
    place_seq, place = scan.place
    decision = scan.decision[1] if scan.decision else None
    decision_level = None
    if decision is not None:
        decision_level = next(
            (
                lv
                for lv in decision.levels
                if lv.side == place.side and lv.level == place.level and lv.px == place.px
            ),
            None,
        )
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
        outcome=order_outcome(scan),
        end_seq=scan.end_seq if scan.end_seq is not None else last_seq,
    )
