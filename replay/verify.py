"""Deterministic re-run of a session from its log, checking every derived event."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

import attrs

from actors.config import Config
from actors.graph import build_sequencer
from actors.sequencer import Sequencer
from events import EXTERNAL_TYPES, SESSION_TYPES, Event
from events.codec import encode, to_json_line
from replay.session import open_session


@attrs.frozen
class Divergence:
    """The first place where the re-run disagreed with the log."""

    seq: int
    expected: str
    got: str


@attrs.frozen
class VerifyResult:
    identical: bool
    external: int
    derived_checked: int
    divergence: Divergence | None


def _show(seq: int, event: Event | None) -> str:
    return "nothing" if event is None else to_json_line(seq, event).decode()


def verify_session(path: str | Path, build: Callable[[Config], Sequencer] = build_sequencer) -> VerifyResult:
    """Re-admit every logged external input into a fresh graph (``build``: the session's
    graph) and compare derived events."""
    session = open_session(path)
    sequencer = build(session.config)
    pending: deque[Event] = deque()
    external = 0
    checked = 0
    seq = -1
    for seq, event in session.records():
        kind = type(event)
        if kind in SESSION_TYPES:
            continue
        if kind in EXTERNAL_TYPES:
            if pending:
                return VerifyResult(False, external, checked, Divergence(seq, _show(seq, event), _show(seq, pending[0])))
            pending.extend(sequencer.admit(event)[1:])
            external += 1
            continue
        if not pending:
            return VerifyResult(False, external, checked, Divergence(seq, _show(seq, event), "nothing"))
        produced = pending.popleft()
        # Compare bytes when == fails: NaN fields (a mid before any book) are equal as bytes.
        if produced != event and encode(produced) != encode(event):
            return VerifyResult(False, external, checked, Divergence(seq, _show(seq, event), _show(seq, produced)))
        checked += 1
    if pending:
        return VerifyResult(False, external, checked, Divergence(seq + 1, "nothing (log ends)", _show(seq + 1, pending[0])))
    return VerifyResult(True, external, checked, None)
