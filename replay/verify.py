"""Deterministic re-run of a session from its log, checking every derived event.

Derived events are checked as bytes: each one the re-run produces is encoded and compared
with the logged payload, which is decoded only when they differ (to report it, or because
it is the next external input). Encoding is cheaper than decoding, and bytes are the
log's own truth: a NaN field (a mid before any book) is equal to itself as bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

import attrs

from actors.config import Config
from actors.graph import build_sequencer
from actors.sequencer import Sequencer
from events import EXTERNAL_TYPES, SESSION_TYPES, Event
from events.codec import decoder, encoder, to_json_line
from events.log import iter_payloads
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
    admit = sequencer.admit
    encode = encoder().encode
    decode = decoder().decode
    # Derived events still to be matched; ``expected``: the first one encoded, made lazily.
    pending: deque[Event] = deque()
    expected = b""
    external = 0
    checked = 0
    seq = -1
    for seq, payload in enumerate(iter_payloads(session.log_path)):
        if pending:
            if not expected:
                expected = encode(pending[0])
            if payload == expected:
                pending.popleft()
                expected = b""
                checked += 1
                continue
        event = decode(payload)
        kind = type(event)
        if kind in SESSION_TYPES:
            continue
        if pending:
            # Either an external input while derived events were still due, or a
            # different derived event: the first divergence either way.
            return VerifyResult(
                False, external, checked, Divergence(seq, _show(seq, event), _show(seq, pending[0]))
            )
        if kind in EXTERNAL_TYPES:
            pending.extend(admit(event)[1:])
            external += 1
            continue
        return VerifyResult(False, external, checked, Divergence(seq, _show(seq, event), "nothing"))
    if pending:
        return VerifyResult(
            False, external, checked, Divergence(seq + 1, "nothing (log ends)", _show(seq + 1, pending[0]))
        )
    return VerifyResult(True, external, checked, None)
