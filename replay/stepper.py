"""Re-admitting a session's logged inputs, one at a time, into a fresh graph.

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

from typing import Any

import msgspec

from actors.graph import build_sequencer
from actors.sequencer import Sequencer
from events import EXTERNAL_TYPES, SESSION_TYPES, Event, SessionEnded
from events.codec import encode, to_json_line
from replay.replay_state import ReplayState, actor_snapshot
from replay.session import RecordedSession, SessionError
from replay.state_text import short_value


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
            raise ReplayDivergence(
                seq, _show(seq, event), "nothing (the log has a derived event that no input caused)"
            )
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
                raise ReplayDivergence(
                    lseq, _show(lseq, levent), _show(lseq, derived), _difference(levent, derived)
                )
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
