"""Stepping through a recorded session: the notebook object, and the names of the stepping tools.

``Replay`` is a recorded session to read, step through, explain, re-run and export. What
it is built from lives in modules of their own: the stepper that re-admits the logged
inputs into a fresh graph and checks every derived event (``replay.stepper``), the state
it rebuilds (``replay.replay_state``), the time specs that locate a point of the session
(``replay.time_specs``) and the state as text (``replay.state_text``). Their public
names are re-exported here, where they lived first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from events import Event
from replay.replay_state import ReplayState
from replay.session import RecordedSession, open_session
from replay.stepper import Stepper
from replay.time_specs import parse_time

if TYPE_CHECKING:
    from replay.diff import SessionDiff
    from replay.explain import Explanation
    from replay.export import ExportResult
    from replay.fills import FillRow


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
