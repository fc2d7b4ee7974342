"""Reading sessions back: re-run and verify, step, explain fills, counterfactuals, diffs, export.

For notebooks::

    import replay
    r = replay.open_replay("data/sessions/BTC/<id>")   # also: replay.open_session(...)
    for event in r: ...                                # every event, in log order
    state = r.state_at(1234)                           # every actor's state at record 1234
    r.fills(); r.explain(42); r.counterfactual(["quote.gamma=0.6"]).diff(r); r.export("out/")
"""

from __future__ import annotations

from replay.replay_state import ReplayState
from replay.stepper import ReplayDivergence, Stepper
from replay.stepping import Replay, open_replay

#: ``replay.open_session(path)`` gives the notebook object (a RecordedSession with more on it);
#: ``replay.session.open_session`` is the plain reader.
open_session = open_replay

__all__ = ["Replay", "ReplayDivergence", "ReplayState", "Stepper", "open_replay", "open_session"]
