"""What the log alone says about an order: its decision, placement, fills, cancel and end.

``scan_orders`` reads the log once and gathers, per order, the records that tell its
story. The trades that touched an order without filling it are not among them (their
draws are never logged): ``replay.touches`` re-decides those in a re-run.
"""

from __future__ import annotations

import attrs

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
)
from replay.session import RecordedSession, SessionError


class ExplainError(SessionError):
    """No such order or fill in the session."""


def parse_ident(ident: int | str) -> tuple[str, int]:
    """``42`` / ``oid:42`` is an order id; ``seq:1234`` (or ``#1234``) is the fill at that record."""
    if isinstance(ident, int):
        return "oid", ident
    text = ident.strip()
    for prefix, kind in (("seq:", "seq"), ("#", "seq"), ("oid:", "oid")):
        if text.startswith(prefix) and text[len(prefix) :].isdigit():
            return kind, int(text[len(prefix) :])
    if text.isdigit():
        return "oid", int(text)
    raise ExplainError(f"{ident!r}: expected an order id (42 or oid:42) or a fill's record (seq:1234)")


@attrs.define
class OrderRecords:
    """What the log alone says about one order: ``(seq, event)`` of each of its records."""

    oid: int
    place: tuple[int, PlaceOrder] | None = None
    decision: tuple[int, QuoteCycle] | None = None
    estimates: tuple[int, Event] | None = None
    accepted: tuple[int, OrderAccepted] | None = None
    rejected: tuple[int, OrderRejected] | None = None
    fills: list[tuple[int, Fill]] = attrs.Factory(list)
    cancel: tuple[int, CancelOrder] | None = None
    canceled: tuple[int, OrderCanceled] | None = None
    #: The record that ended the order (rejected, filled, left the book); None while it rests.
    end_seq: int | None = None


def scan_orders(session: RecordedSession, oids: set[int] | None) -> tuple[dict[int, OrderRecords], int]:
    """Every wanted order's records (all orders when ``oids`` is None), and the last seq."""
    scans: dict[int, OrderRecords] = {}
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
            scan = scans[oid] = OrderRecords(oid, place=(seq, event), estimates=in_force)  # type: ignore[arg-type]
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


def oid_of_record(session: RecordedSession, seq: int) -> int:
    """The order id of the order's event at record ``seq``.

    Raises:
        ExplainError: there is no such record, or it is not an order's event.
    """
    for s, event in session.records():
        if s == seq:
            oid = getattr(event, "oid", None)
            if oid is None:
                raise ExplainError(f"record {seq} is a {type(event).__name__}, not an order's event")
            return int(oid)
    raise ExplainError(f"no record {seq} in {session.log_path}")


def order_outcome(scan: OrderRecords) -> str:
    """How the order ended, in words (see ``Explanation.outcome``)."""
    if scan.rejected is not None:
        return f"rejected ({scan.rejected[1].reason})"
    filled = bool(scan.fills)
    if scan.fills and scan.fills[-1][1].remaining <= 0.0:
        return "filled"
    if scan.canceled is not None:
        reason = scan.canceled[1].reason
        return f"partially filled, then {reason}" if filled else reason
    return "partially filled, resting at the end of the log" if filled else "resting at the end of the log"
