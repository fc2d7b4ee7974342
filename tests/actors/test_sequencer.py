"""The sequencer delivers breadth-first, in declared order, to quiescence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from actors.base import NOTHING
from actors.sequencer import Sequencer
from events import CancelOrder, Event, Mids, PlaceOrder, Trade
from tests.conftest import T0, make_mids, make_trade


class Recorder:
    """Records what it sees; on a Trade emits two PlaceOrders, on a PlaceOrder a CancelOrder."""

    consumes: ClassVar[tuple[type[Event], ...]] = (Trade, PlaceOrder)

    def __init__(self, name: str, seen: list[str]) -> None:
        self.name = name  # type: ignore[misc]
        self.seen = seen

    def handle(self, event: Event) -> Sequence[Event]:
        self.seen.append(f"{self.name}:{type(event).__name__}")
        if isinstance(event, Trade) and self.name == "a":
            return [
                PlaceOrder(ts=event.ts, oid=1, side="buy", px=1.0, sz=1.0, level=0, cycle=0),
                PlaceOrder(ts=event.ts, oid=2, side="sell", px=2.0, sz=1.0, level=0, cycle=0),
            ]
        if isinstance(event, PlaceOrder) and self.name == "b":
            return [CancelOrder(ts=event.ts, oid=event.oid)]
        return NOTHING


def test_breadth_first_in_declared_order() -> None:
    seen: list[str] = []
    seq = Sequencer([Recorder("a", seen), Recorder("b", seen)])
    out = seq.admit(make_trade())
    assert [type(e).__name__ for e in out] == [
        "Trade",
        "PlaceOrder",
        "PlaceOrder",
        "CancelOrder",
        "CancelOrder",
    ]
    assert [e.oid for e in out[3:]] == [1, 2]  # type: ignore[attr-defined]
    assert seen == ["a:Trade", "b:Trade", "a:PlaceOrder", "b:PlaceOrder", "a:PlaceOrder", "b:PlaceOrder"]
    assert (seq.admitted, seq.derived) == (1, 4)


def test_events_nobody_consumes_pass_through() -> None:
    seq = Sequencer([Recorder("a", [])])
    event = make_mids(T0, 5.0)
    assert seq.admit(event) == [event]
    assert isinstance(seq.admit(event)[0], Mids)
