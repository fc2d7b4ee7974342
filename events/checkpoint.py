"""Checkpoints and warm starts: what a session learned, saved, and a prior injected.

``PriorInjected`` and ``EndOfSession`` are external: the runtime admits them (the first
right after SessionStarted, the second right before SessionEnded), so replay re-admits
them and the graph reproduces everything they cause. ``CheckpointDue`` is derived (the
checkpointer's decision and the digest of what it will save); the file itself is written
by the runtime's checkpoint edge, which logs ``CheckpointSaved`` (a session record).
"""

from __future__ import annotations

from typing import Any

from events.base import Event


class PriorInjected(Event, frozen=True):
    """A warm start: the prior this session starts from, admitted before the feed's first input.

    ``state`` holds the injected components' state as plain data (component name to the
    estimator's snapshot), so the session replays without the prior file. ``digest`` is
    the SHA-256 of the prior file, ``content_digest`` the digest of its learned content
    (the ``CheckpointDue.digest`` of the session that saved it). A prior that is not Ready
    is ``defensive``: the quote engine widens its spread by ``spread_factor`` and scales
    its size by ``size_factor`` for the whole session.
    """

    source: str
    digest: str
    content_digest: str
    asset: str
    verdict: str
    defensive: bool
    spread_factor: float
    size_factor: float
    #: Market time of learning behind the prior, seconds, and the sessions it spans.
    learned_s: float
    sessions: int
    components: tuple[str, ...]
    state: dict[str, Any]


class EndOfSession(Event, frozen=True):
    """The session is ending (duration reached, end of feed, Ctrl-C): the final checkpoint is due.

    ``ts`` is the last input's time. The session's market time is ``end_ts - start_ts``:
    ``end_ts`` is start + duration when the duration ended it (the feed was read up to
    there), else ``ts``.
    """

    reason: str
    start_ts: int
    end_ts: int


class CheckpointDue(Event, frozen=True):
    """The checkpointer took a checkpoint bundle; the runtime writes it and logs CheckpointSaved.

    ``digest`` is the SHA-256 of the bundle's deterministic content (everything but the
    wall-clock time, the session id and the package version), so replay reproduces it.
    """

    reason: str
    digest: str
    verdict: str
    estimators_ready: int
    session_s: float
    learned_s: float
