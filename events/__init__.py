"""The vocabulary of papermm: typed events, their codec and the append-only event log."""

from __future__ import annotations

from typing import Union

from events.base import DAY_NS, MS_NS, SCHEMA_CHANGES, SCHEMA_VERSION, SEC_NS, Event, Record
from events.checkpoint import CheckpointDue, EndOfSession, PriorInjected
from events.estimates import Estimates
from events.market import Bbo, BookSnapshot, FeedStatus, Heartbeat, Mids, Trade
from events.orders import (
    CancelOrder,
    Fill,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    QuoteCycle,
    QuoteLevel,
)
from events.outcomes import CalibrationRecord, Markout, PnL
from events.risk import (
    ApiHeadroomChanged,
    KillSwitchTripped,
    ObservingMarket,
    QuoteSuppressed,
    QuotingPaused,
    QuotingResumed,
)
from events.session import CheckpointSaved, InputRejected, SessionEnded, SessionStarted
from events.synthetic import SyntheticTruth

AnyEvent = Union[
    SessionStarted,
    SessionEnded,
    InputRejected,
    CheckpointSaved,
    BookSnapshot,
    Bbo,
    Trade,
    Mids,
    FeedStatus,
    Heartbeat,
    QuoteCycle,
    PlaceOrder,
    CancelOrder,
    OrderAccepted,
    OrderRejected,
    OrderCanceled,
    Fill,
    Estimates,
    PnL,
    Markout,
    CalibrationRecord,
    SyntheticTruth,
    KillSwitchTripped,
    QuoteSuppressed,
    QuotingPaused,
    QuotingResumed,
    ObservingMarket,
    ApiHeadroomChanged,
    PriorInjected,
    EndOfSession,
    CheckpointDue,
]

#: Inputs from outside the actor graph; everything else an actor emits is derived.
EXTERNAL_TYPES: frozenset[type[Event]] = frozenset(
    {BookSnapshot, Bbo, Trade, Mids, FeedStatus, Heartbeat, InputRejected, PriorInjected, EndOfSession}
)
#: Records the runtime writes around the graph; neither admitted nor derived.
SESSION_TYPES: frozenset[type[Event]] = frozenset({SessionStarted, SessionEnded, CheckpointSaved})

__all__ = [
    "DAY_NS",
    "MS_NS",
    "SCHEMA_CHANGES",
    "SEC_NS",
    "SCHEMA_VERSION",
    "AnyEvent",
    "ApiHeadroomChanged",
    "Bbo",
    "BookSnapshot",
    "CalibrationRecord",
    "CancelOrder",
    "CheckpointDue",
    "CheckpointSaved",
    "EXTERNAL_TYPES",
    "EndOfSession",
    "Estimates",
    "Event",
    "FeedStatus",
    "Fill",
    "Heartbeat",
    "InputRejected",
    "KillSwitchTripped",
    "Markout",
    "Mids",
    "ObservingMarket",
    "OrderAccepted",
    "OrderCanceled",
    "OrderRejected",
    "PlaceOrder",
    "PnL",
    "PriorInjected",
    "QuoteCycle",
    "QuoteLevel",
    "QuoteSuppressed",
    "QuotingPaused",
    "QuotingResumed",
    "Record",
    "SESSION_TYPES",
    "SessionEnded",
    "SessionStarted",
    "SyntheticTruth",
    "Trade",
]
