"""Stepping through a recorded session: the graph's state at any record, and the notebook object.

Replay is a fold: the state after record N is what a fresh graph (built from the logged
config) holds after re-admitting every logged external input up to N. The sequencer
admits an input and runs the graph to quiescence in one go, and a session can only stop
between two inputs, so "the state at seq N" is the state after the *whole cascade* of the
input that N belongs to: ``ReplayState.seq`` says which record that is (``>= N``).

While stepping, every derived event the re-run produces is checked against the log; a
difference raises ``ReplayDivergence``, because a state rebuilt from a replay that
disagrees with its log would describe a session that never happened.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import msgspec

from actors.graph import build_sequencer
from actors.sequencer import Sequencer
from events import EXTERNAL_TYPES, SESSION_TYPES, Event, SessionEnded
from events.codec import encode, to_json_line
from replay.session import RecordedSession, SessionError, open_session

if TYPE_CHECKING:
    from replay.diff import SessionDiff
    from replay.explain import Explanation
    from replay.export import ExportResult
    from replay.fills import FillRow

NS = 1_000_000_000


class ReplayDivergence(SessionError):
    """The re-run produced something other than what the log holds at ``seq``.

    ``expected`` and ``got`` are the two records as JSON lines; the message names only
    the fields that differ.
    """

    def __init__(self, seq: int, expected: str, got: str, summary: str = "") -> None:
        self.seq = seq
        self.expected = expected
        self.got = got
        super().__init__(
            f"replay diverges from the log at seq {seq}: {summary or f'expected {expected}, got {got}'} "
            "(the log was written by other code, or altered; `papermm replay --verify` shows both records)"
        )


def _difference(logged: Event, derived: Event, limit: int = 4) -> str:
    """``Type: field logged -> re-run, ...`` for the first ``limit`` differing fields."""
    if type(logged) is not type(derived):
        return f"the log has a {type(logged).__name__}, the re-run a {type(derived).__name__}"
    diffs = []
    for name in logged.__struct_fields__:
        a, b = getattr(logged, name), getattr(derived, name)
        if a != b and encode_value(a) != encode_value(b):
            diffs.append(f"{name} {short_value(a)} (log) -> {short_value(b)} (re-run)")
    more = f", and {len(diffs) - limit} more fields" if len(diffs) > limit else ""
    return f"{type(logged).__name__}: " + ", ".join(diffs[:limit]) + more


def encode_value(value: Any) -> bytes:
    """Bytes of a field value (NaN equals NaN)."""
    return _value_encoder.encode(value)


_value_encoder = msgspec.msgpack.Encoder(order="deterministic")


# -- time specs ------------------------------------------------------------------------------

_OFFSET = re.compile(r"^\+?(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)?$")
_UNIT_NS = {"ms": 1_000_000, "s": NS, "m": 60 * NS, "h": 3600 * NS, None: NS}


def parse_time(text: str, start_ns: int) -> int:
    """Event time in ns from ``+SECONDS`` (also ``+90s``, ``+250ms``, ``+2m``, ``+1h``,
    an offset from the session start) or an ISO-8601 time (UTC unless it says otherwise).

    Raises:
        ValueError: the text is neither.
    """
    text = text.strip()
    match = _OFFSET.match(text)
    if match and text.startswith("+"):
        return start_ns + round(float(match.group(1)) * _UNIT_NS[match.group(2)])
    try:
        when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r}: expected +SECONDS (offset from the session start, e.g. +90s) or an ISO time"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    delta = when - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1000


def parse_until(text: str, start_ns: int) -> tuple[int | None, int | None]:
    """``--until``: a plain integer is a sequence number, anything else a time (see parse_time).

    Returns ``(seq, None)`` or ``(None, ts)``.
    """
    text = text.strip()
    if text.isdigit():
        return int(text), None
    return None, parse_time(text, start_ns)


def format_ts(ts: int) -> str:
    """``2026-01-01T00:01:02.345Z`` (ms precision)."""
    when = _dt.datetime.fromtimestamp(ts // NS, tz=_dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{(ts % NS) // 1_000_000:03d}Z"


def format_offset(ts: int, start_ns: int) -> str:
    """``+123.456s`` from the session start."""
    ms = (ts - start_ns) // 1_000_000  # truncated like format_ts, so the two always agree
    return f"{'-' if ms < 0 else '+'}{abs(ms) // 1000}.{abs(ms) % 1000:03d}s"


# -- the state -------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Plain data (dicts, lists, scalars) of a snapshot made of dicts, attrs classes,
    msgspec structs (field names kept even when array_like) and numpy arrays."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, msgspec.Struct):
        return {f: plain(getattr(value, f)) for f in value.__struct_fields__}
    if attrs.has(type(value)):
        return {a.name: plain(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, list | tuple):
        return type(value)(plain(v) for v in value)
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist) and not isinstance(value, int | float | str | bytes):
        return tolist()
    return value


def actor_snapshot(actor: Any) -> dict[str, Any]:
    """An actor's ``snapshot()`` (or else its ``statistics()``) as plain data; {} if neither."""
    for method in ("snapshot", "statistics"):
        fn = getattr(actor, method, None)
        if callable(fn):
            data = plain(fn())
            return data if isinstance(data, dict) else {"value": data}
    return {}


@attrs.frozen
class ReplayState:
    """Every actor's state after record ``seq`` (the end of an input's cascade)."""

    #: The record asked for (None when asked by time or for the end).
    requested_seq: int | None
    #: The last record applied: the end of the cascade that contains ``requested_seq``.
    seq: int
    #: Event time of the last record applied.
    ts: int
    start_ns: int
    external: int
    #: actor name -> snapshot(), in the graph's delivery order.
    actors: dict[str, dict[str, Any]]
    #: type name -> (seq, event) of the last record of that type up to ``seq``.
    last: dict[str, tuple[int, Event]]

    def last_event(self, type_name: str) -> Event | None:
        found = self.last.get(type_name)
        return None if found is None else found[1]

    def to_builtins(self) -> dict[str, Any]:
        """Plain data (JSON-encodable; NaN becomes null under JSON)."""
        return {
            "requested_seq": self.requested_seq,
            "seq": self.seq,
            "ts": self.ts,
            "time": format_ts(self.ts),
            "external": self.external,
            "actors": self.actors,
            "last": {
                name: {"seq": seq, **_fields(event)} for name, (seq, event) in sorted(self.last.items())
            },
        }


def _fields(event: Event) -> dict[str, Any]:
    body = msgspec.to_builtins(event)
    if isinstance(body, list):
        return dict(zip(("type", *event.__struct_fields__), body, strict=True))
    return dict(body)


def _show(seq: int, event: Event | None) -> str:
    return "nothing" if event is None else to_json_line(seq, event).decode()


class Stepper:
    """Re-admits a session's external inputs one at a time into a fresh graph.

    ``sequencer`` is the graph; ``seq`` the last record applied; ``last`` the latest
    record of each type. With ``check`` (the default) every derived event is compared
    with the log as it is produced.
    """

    def __init__(
        self, session: RecordedSession, *, check: bool = True, sequencer: Sequencer | None = None
    ) -> None:
        self.session = session
        self.sequencer = sequencer if sequencer is not None else build_sequencer(session.config)
        self.check = check
        self.start_ns = session.started.ts
        self.seq = 0
        self.ts = session.started.ts
        self.external = 0
        self.done = False
        self.ended: SessionEnded | None = None
        self.last: dict[str, tuple[int, Event]] = {"SessionStarted": (0, session.started)}
        self._records = session.records()
        next(self._records)  # SessionStarted, already read by open_session
        self._peeked: tuple[int, Event] | None = None

    def _next(self) -> tuple[int, Event] | None:
        if self._peeked is not None:
            item, self._peeked = self._peeked, None
            return item
        return next(self._records, None)

    def _next_non_session(self) -> tuple[int, Event] | None:
        """The next record that is not a session record (those are noted and passed over)."""
        while (item := self._next()) is not None:
            seq, event = item
            if type(event) in SESSION_TYPES:
                self._note(seq, event)
                continue
            return item
        return None

    def _note(self, seq: int, event: Event) -> None:
        self.seq = seq
        self.ts = max(self.ts, event.ts)
        self.last[type(event).__name__] = (seq, event)
        if type(event) is SessionEnded:
            self.ended = event
            self.done = True

    def peek(self) -> tuple[int, Event] | None:
        """The next external input (not yet applied), or None at the end."""
        item = self._next_non_session()
        self._peeked = item
        return item

    def step(self) -> list[tuple[int, Event]]:
        """Apply the next external input and its cascade; return its records (empty at the end)."""
        item = self._next_non_session()
        if item is None:
            self.done = True
            return []
        seq, event = item
        if type(event) not in EXTERNAL_TYPES:
            raise ReplayDivergence(seq, _show(seq, event), "nothing (the log has a derived event "
                                   "that no input caused)")
        produced = self.sequencer.admit(event)
        self.external += 1
        self._note(seq, event)
        applied = [(seq, event)]
        for derived in produced[1:]:
            logged = self._next_non_session()
            if logged is None:
                # A log cut inside a cascade (a crash): the graph is ahead of the log.
                self.done = True
                break
            lseq, levent = logged
            if self.check and derived != levent and encode(derived) != encode(levent):
                raise ReplayDivergence(lseq, _show(lseq, levent), _show(lseq, derived), _difference(levent, derived))
            self._note(lseq, levent)
            applied.append((lseq, levent))
        return applied

    def advance_to(self, seq: int) -> None:
        """Apply inputs until record ``seq`` has been applied (or the log ends)."""
        while self.seq < seq and not self.done:
            if not self.step():
                break

    def advance_until(self, ts: int) -> None:
        """Apply every input whose event time is at or before ``ts``."""
        while not self.done:
            nxt = self.peek()
            if nxt is None or nxt[1].ts > ts:
                break
            self.step()

    def run_to_end(self) -> None:
        """Apply every input in the log."""
        while not self.done and self.step():
            pass

    def state(self, requested_seq: int | None = None) -> ReplayState:
        """Every actor's snapshot now."""
        return ReplayState(
            requested_seq=requested_seq,
            seq=self.seq,
            ts=self.ts,
            start_ns=self.start_ns,
            external=self.external,
            actors={actor.name: actor_snapshot(actor) for actor in self.sequencer.actors},
            last=dict(self.last),
        )


# -- the notebook object ---------------------------------------------------------------------


@attrs.define
class Replay(RecordedSession):
    """A recorded session to read, step through, explain, re-run and export.

    Iterating it yields every event in log order; ``records()`` yields ``(seq, event)``.
    """

    def __iter__(self) -> Iterator[Event]:
        return self.events()

    @property
    def session_id(self) -> str:
        return self.started.session_id

    @property
    def start_ns(self) -> int:
        return self.started.ts

    def stepper(self, *, check: bool = True) -> Stepper:
        """A fresh graph positioned before the first input, to step by hand."""
        return Stepper(self, check=check)

    def state_at(self, seq: int | None = None, *, ts: int | str | None = None) -> ReplayState:
        """Every actor's state at record ``seq``, or after every input up to time ``ts``
        (ns, or a spec such as ``"+90s"``), or at the end of the log when neither is given."""
        if seq is not None and ts is not None:
            raise ValueError("state_at: give seq or ts, not both")
        stepper = self.stepper()
        if seq is not None:
            stepper.advance_to(seq)
        elif ts is not None:
            stepper.advance_until(parse_time(ts, self.start_ns) if isinstance(ts, str) else ts)
        else:
            stepper.run_to_end()
        return stepper.state(seq)

    def fills(self, *, side: str | None = None, since: int | None = None) -> list[FillRow]:
        """Every fill with its depth, probability and markouts (see replay.fills)."""
        from replay.fills import fill_rows

        return fill_rows(self, side=side, since_ns=since)

    def explain(self, ident: int | str) -> Explanation:
        """The whole story of one order (an oid, or ``"seq:N"`` for the fill at record N)."""
        from replay.explain import explain

        return explain(self, ident)

    def counterfactual(self, overrides: Sequence[str] = (), out: str | Path | None = None) -> Replay:
        """Re-run the same inputs with ``KEY=VALUE`` overrides into a new session; open it."""
        from replay.counterfactual import run_counterfactual

        return open_replay(run_counterfactual(self, overrides, out=out).session_dir)

    def diff(self, other: RecordedSession | str | Path) -> SessionDiff:
        """Fills added, removed and changed from this session to ``other``, and the PnL change."""
        from replay.diff import diff_sessions

        return diff_sessions(self, other)

    def export(self, out: str | Path) -> ExportResult:
        """One Parquet file per event type under ``out``."""
        from replay.export import export_parquet

        return export_parquet(self, out)


def open_replay(path: str | Path | RecordedSession) -> Replay:
    """Open a session directory (or its events.log) as a ``Replay``."""
    if isinstance(path, Replay):
        return path
    if isinstance(path, RecordedSession):
        return Replay(log_path=path.log_path, started=path.started, config=path.config)
    session = open_session(path)
    return Replay(log_path=session.log_path, started=session.started, config=session.config)


def snapshots_equal(a: Any, b: Any) -> bool:
    """Deep equality of plain data where NaN equals NaN (a mid before any book is NaN)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(snapshots_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(snapshots_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


# -- printing a state --------------------------------------------------------------------------


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
            body = {k: v for k, v in _fields(ev).items() if k not in ("type", "ts", "coin", "exchange_ts")}
            lines.append(f"{name.lower():<9} seq {seq} at {format_offset(ev.ts, state.start_ns)}: "
                         + "  ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in body.items()))
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
    lines = [f"resting   {len(orders)} order(s)",
             f"          {'oid':>6} {'side':<4} {'lvl':>3} {'px':>14} {'sz':>10} {'remaining':>10} "
             f"{'rests_at':>10} {'cancel_at':>10} {'queue_ahead':>11}"]
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
    asked = "" if state.requested_seq is None or state.requested_seq == state.seq else \
        f" (asked for {state.requested_seq}: the state is only defined between inputs)"
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
        lines += wrap_items([f"{f}={short_value(getattr(ev, f))}" for f in ev.__struct_fields__ if f != "ts"],
                            indent=10, width=110)
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
