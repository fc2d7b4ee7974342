"""One pass over a session's log: what the analytics streams, the report and the checklist read.

``collect`` reads the log once and keeps, besides the events the post-pass analyses need,
what only the order of the log tells: the Estimates each quote cycle was priced with,
the marked-to-mid PnL at each cycle, the book around it and the API-budget multiplier
in force.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Final

import attrs

from actors.config import Config
from actors.predictions import book_imbalance
from events import (
    EXTERNAL_TYPES,
    ApiHeadroomChanged,
    Bbo,
    BookSnapshot,
    CheckpointSaved,
    Estimates,
    Fill,
    PlaceOrder,
    PnL,
    PriorInjected,
    QuoteCycle,
    SessionEnded,
    SessionStarted,
)
from events.outcomes import CalibrationRecord, Markout
from replay.session import RecordedSession, open_session

_BPS: Final = 1e4


@attrs.define
class CycleContext:
    """A quote cycle with what surrounded it in the log."""

    seq: int
    cycle: QuoteCycle
    #: The Estimates the quote engine priced the cycle with (before the cycle's input).
    estimates: Estimates | None
    #: Marked-to-mid PnL total at the cycle: cash + position * cycle mid - fees paid.
    mtm: float
    spread_bps: float
    book_imbalance: float
    #: The API-budget gate's spread multiplier in force (1 before any ApiHeadroomChanged).
    api_multiplier: float = 1.0


@attrs.define
class SessionData:
    """Everything the analytics, the report and the checklist read, from one pass."""

    session: RecordedSession
    start_ns: int = 0
    end_ns: int = 0
    ended: SessionEnded | None = None
    counts: Counter[str] = attrs.Factory(Counter)
    mid_ts: list[int] = attrs.Factory(list)
    mids: list[float] = attrs.Factory(list)
    pnl: list[PnL] = attrs.Factory(list)
    fills: list[Fill] = attrs.Factory(list)
    #: Fill number (from 1) -> the Estimates in force at the fill.
    fill_estimates: list[Estimates | None] = attrs.Factory(list)
    markouts: list[Markout] = attrs.Factory(list)
    records: list[CalibrationRecord] = attrs.Factory(list)
    cycles: list[CycleContext] = attrs.Factory(list)
    estimates: list[Estimates] = attrs.Factory(list)
    placed: dict[int, PlaceOrder] = attrs.Factory(dict)
    checkpoints: list[CheckpointSaved] = attrs.Factory(list)
    prior: PriorInjected | None = None

    @property
    def config(self) -> Config:
        return self.session.config

    @property
    def started(self) -> SessionStarted:
        return self.session.started


def collect(path: str | Path | RecordedSession) -> SessionData:
    """Read a session's log once and keep what the post-pass analyses need."""
    session = path if isinstance(path, RecordedSession) else open_session(path)
    data = SessionData(session=session, start_ns=session.started.ts, end_ns=session.started.ts)
    n_levels = session.config.estimators.book_imbalance_levels
    maker = session.config.fees.maker
    counts = data.counts
    est: Estimates | None = None
    priced_with: Estimates | None = None
    book: BookSnapshot | None = None
    bid = ask = math.nan
    api_multiplier = 1.0
    position = cash = fees = 0.0
    for seq, event in session.records():
        kind = type(event)
        counts[kind.__name__] += 1
        if event.ts > data.end_ns:
            data.end_ns = event.ts
        if kind in EXTERNAL_TYPES:
            priced_with = est
        if kind is BookSnapshot:
            book = event  # type: ignore[assignment]
            if event.bid_px and event.ask_px:  # type: ignore[attr-defined]
                bid, ask = event.bid_px[0], event.ask_px[0]  # type: ignore[attr-defined]
                _add_mid(data, event.ts, bid, ask)
        elif kind is Bbo:
            if event.bid_px > 0.0 and event.ask_px > 0.0:  # type: ignore[attr-defined]
                bid, ask = event.bid_px, event.ask_px  # type: ignore[attr-defined]
                _add_mid(data, event.ts, bid, ask)
        elif kind is QuoteCycle:
            q: QuoteCycle = event  # type: ignore[assignment]
            mid = 0.5 * (bid + ask)
            data.cycles.append(
                CycleContext(
                    seq=seq,
                    cycle=q,
                    estimates=priced_with,
                    mtm=cash + position * q.mid - fees,
                    spread_bps=(ask - bid) / mid * _BPS,
                    book_imbalance=book_imbalance(book, n_levels) if book is not None else math.nan,
                    api_multiplier=api_multiplier,
                )
            )
        elif kind is Fill:
            f: Fill = event  # type: ignore[assignment]
            s = f.sz if f.side == "buy" else -f.sz
            position += s
            cash -= s * f.px
            fees += maker * f.sz * f.px
            data.fills.append(f)
            data.fill_estimates.append(est)
        elif kind is PnL:
            data.pnl.append(event)  # type: ignore[arg-type]
        elif kind is Estimates:
            est = event  # type: ignore[assignment]
            data.estimates.append(est)  # type: ignore[arg-type]
        elif kind is Markout:
            data.markouts.append(event)  # type: ignore[arg-type]
        elif kind is CalibrationRecord:
            data.records.append(event)  # type: ignore[arg-type]
        elif kind is PlaceOrder:
            data.placed[event.oid] = event  # type: ignore[attr-defined]
        elif kind is CheckpointSaved:
            data.checkpoints.append(event)  # type: ignore[arg-type]
        elif kind is ApiHeadroomChanged:
            api_multiplier = event.spread_multiplier  # type: ignore[attr-defined]
        elif kind is PriorInjected:
            data.prior = event  # type: ignore[assignment]
        elif kind is SessionEnded:
            data.ended = event  # type: ignore[assignment]
    return data


def _add_mid(data: SessionData, ts: int, bid: float, ask: float) -> None:
    mid = 0.5 * (bid + ask)
    if math.isfinite(mid) and mid > 0.0:
        data.mid_ts.append(ts)
        data.mids.append(mid)


def cycle_rewards(data: SessionData) -> list[float]:
    """PnL (USD) earned from each cycle to the next; the last cycle's runs to the last mid."""
    cycles = data.cycles
    out = [b.mtm - a.mtm for a, b in zip(cycles, cycles[1:], strict=False)]
    if cycles:
        last = cycles[-1]
        position = cash = fees = 0.0
        for f in data.fills:
            s = f.sz if f.side == "buy" else -f.sz
            position += s
            cash -= s * f.px
            fees += data.config.fees.maker * f.sz * f.px
        mid = data.mids[-1] if data.mids else last.cycle.mid
        out.append(cash + position * mid - fees - last.mtm)
    return out
