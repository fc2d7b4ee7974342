"""The checkpointer: decides when a checkpoint is due and takes the bundle, in event time.

Writing a file is I/O, which no handler may do, so the work is split:

- this actor (pure) decides *when*: on the first market input at or after every
  ``checkpoint.interval_s`` of event time since the session's first input, and on
  ``EndOfSession``. It then takes the bundle from the other actors' snapshots and
  emits ``CheckpointDue`` with the bundle's content digest (no wall-clock field goes
  into it), so replay reproduces the decision and the digest exactly;
- the runtime's checkpoint edge (``actors.checkpoint.store.CheckpointWriter``) reads
  the bundle the actor just took (``Checkpointer.bundle``), writes it atomically with the
  wall time and session id filled in, and logs ``CheckpointSaved``.

**References to other actors.** Given at graph build time and only read: the
estimators' ``snapshot()`` and the outcome tracker's ``summary()``, called when a
checkpoint is due. Delivery is sequential, so what they return is the state after
every actor before the checkpointer (it is last in the graph) handled the same input.

It also keeps what no other actor keeps: the quote-outcome bins (quote levels by depth:
how many, how many filled, the fill probability predicted for them; from
CalibrationRecord), and the kill switch's figures (peak PnL, drawdown, loss since
00:00 UTC of event time, from PnL; tripped, from KillSwitchTripped), which are recorded
and never restored.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import msgspec

from actors.base import NOTHING
from actors.checkpoint.bundle import (
    CheckpointBundle,
    CheckpointMeta,
    KillSwitchFigures,
    LearnedState,
    QuoteOutcomeBin,
    SessionFigures,
    content_digest,
    learned_estimators,
)
from actors.checkpoint.injection import QUOTE_OUTCOMES, PriorInjector
from actors.checkpoint.readiness import EstimatorCounts, assess
from actors.config import CheckpointSection, Config
from actors.estimators import DEPTH_EDGES_BPS, EstimatorsActor, EstimatorsSnapshot
from events import (
    Bbo,
    BookSnapshot,
    CalibrationRecord,
    CheckpointDue,
    EndOfSession,
    Event,
    FeedStatus,
    Heartbeat,
    KillSwitchTripped,
    Mids,
    PnL,
    PriorInjected,
    Trade,
)
from events.base import SEC_NS

DAY_NS: Final = 86_400 * SEC_NS
_NEVER: Final = -(2**63)
#: Inputs whose time can make an interval checkpoint due.
_CLOCK_TYPES: Final = frozenset({BookSnapshot, Bbo, Trade, Mids, Heartbeat, FeedStatus})


def estimator_counts(snap: EstimatorsSnapshot) -> EstimatorCounts:
    """The observation counts readiness is decided from."""
    kelly = snap.kelly
    return EstimatorCounts(
        volatility=snap.volatility.observations,
        kappa=snap.kappa_own.observations,
        adverse_selection=snap.adverse.observations,
        regime=snap.regime.observations,
        fill_rate=sum(snap.fill_rate.outcomes),
        kelly=kelly.wins + kelly.losses + kelly.flat,
    )


class Checkpointer:
    """Takes a checkpoint bundle every ``interval_s`` of event time and at session end."""

    name: ClassVar[str] = "checkpointer"
    consumes: ClassVar[tuple[type[Event], ...]] = (
        BookSnapshot,
        Bbo,
        Trade,
        Mids,
        Heartbeat,
        FeedStatus,
        PnL,
        CalibrationRecord,
        KillSwitchTripped,
        PriorInjected,
        EndOfSession,
    )

    def __init__(
        self, cfg: CheckpointSection, asset: str, dex: str, estimators: EstimatorsActor, outcome_tracker: Any
    ) -> None:
        self.cfg = cfg
        self.asset = asset
        self.dex = dex
        self._estimators = estimators
        self._tracker = outcome_tracker
        self._interval_ns = max(1, round(cfg.interval_s * SEC_NS))
        self._start = _NEVER
        self._next_due = _NEVER
        self._inputs = 0
        self._ended = False
        # The prior this session was warm-started from.
        self._prior_learned_s = 0.0
        self._prior_sessions = 0
        self._prior_digest = ""
        # Quote-outcome bins: per depth bin, levels, fills, summed predicted P(fill).
        self._edges = DEPTH_EDGES_BPS
        self._levels = [0] * len(self._edges)
        self._fills = [0] * len(self._edges)
        self._predicted = [0.0] * len(self._edges)
        # Kill switch figures.
        self._pnl = 0.0
        self._peak = 0.0
        self._day = _NEVER
        self._day_start_pnl = 0.0
        self._tripped = False
        self._trip_reason = ""
        #: The last bundle taken (the checkpoint edge writes it) and how many were taken.
        self.bundle: CheckpointBundle | None = None
        self.taken = 0

    # -- dispatch ---------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """Track time, bins and PnL; return a CheckpointDue when one is due."""
        tp = type(event)
        if tp in _CLOCK_TYPES:
            ts = event.ts
            self._inputs += 1
            if ts < self._next_due:
                return NOTHING
            if self._start == _NEVER:
                self._start = ts
                self._next_due = ts + self._interval_ns
                return NOTHING
            steps = (ts - self._start) // self._interval_ns + 1
            self._next_due = self._start + steps * self._interval_ns
            return (self._take(ts, "interval", self._start, ts),)
        if tp is PnL:
            self._on_pnl(event)  # type: ignore[arg-type]
        elif tp is CalibrationRecord:
            self._on_record(event)  # type: ignore[arg-type]
        elif tp is KillSwitchTripped:
            self._tripped = True
            self._trip_reason = event.reason  # type: ignore[attr-defined]
        elif tp is PriorInjected:
            self._on_prior(event)  # type: ignore[arg-type]
        elif tp is EndOfSession:
            if self._ended or self._inputs == 0:
                return NOTHING  # nothing learned: never overwrite a prior with an empty one
            self._ended = True
            return (self._take(event.ts, "final", event.start_ts, event.end_ts),)  # type: ignore[attr-defined]
        return NOTHING

    def _on_prior(self, prior: PriorInjected) -> None:
        if self._start == _NEVER:
            self._start = prior.ts
            self._next_due = prior.ts + self._interval_ns
        self._prior_learned_s = prior.learned_s
        self._prior_sessions = prior.sessions
        self._prior_digest = prior.digest
        if QUOTE_OUTCOMES in prior.components:
            bins = msgspec.convert(prior.state[QUOTE_OUTCOMES], tuple[QuoteOutcomeBin, ...])
            for b in bins:
                i = self._bin(b.depth_bps)
                self._levels[i] += b.levels
                self._fills[i] += b.fills
                self._predicted[i] += b.predicted

    def _on_pnl(self, pnl: PnL) -> None:
        day = pnl.ts - pnl.ts % DAY_NS
        if day != self._day:
            self._day = day
            self._day_start_pnl = self._pnl  # the last figure before the day began
        total = pnl.total
        if math.isfinite(total):
            self._pnl = total
            if total > self._peak:
                self._peak = total

    def _bin(self, depth_bps: float) -> int:
        return bisect_right(self._edges, depth_bps) - 1 if depth_bps > 0.0 else 0

    def _on_record(self, record: CalibrationRecord) -> None:
        # Once per quote cycle in every replay: locals, and no call but the bisection.
        levels = record.levels
        oids = record.oids
        edges, counts, predicted = self._edges, self._levels, self._predicted
        isfinite = math.isfinite
        for level, oid in zip(levels, oids, strict=False):  # equal lengths by construction
            if not oid:
                continue  # no order rested it: no outcome
            depth = level.depth_bps
            p = level.p_fill
            if 0.0 <= p <= 1.0 and isfinite(depth):
                i = bisect_right(edges, depth) - 1 if depth > 0.0 else 0
                counts[i] += 1
                predicted[i] += p
        for fill in record.fills:  # the rested levels that filled
            level = levels[fill.index]
            if oids[fill.index] and 0.0 <= level.p_fill <= 1.0 and isfinite(level.depth_bps):
                self._fills[self._bin(level.depth_bps)] += 1

    # -- the bundle -----------------------------------------------------------------------

    def current_bundle(self, ts: int, reason: str = "manual") -> CheckpointBundle:
        """The bundle as it would be taken at ``ts``, without emitting or scheduling
        anything (for tests and tools; the session's start is its first input)."""
        start = ts if self._start == _NEVER else self._start
        return self._build(ts, reason, start, ts)

    def _take(self, ts: int, reason: str, start_ts: int, end_ts: int) -> CheckpointDue:
        bundle = self._build(ts, reason, start_ts, end_ts)
        self.bundle = bundle
        self.taken += 1
        readiness = bundle.readiness
        return CheckpointDue(
            ts=ts,
            reason=reason,
            digest=content_digest(bundle),
            verdict=readiness.verdict,
            estimators_ready=readiness.estimators_ready,
            session_s=bundle.meta.session_s,
            learned_s=bundle.meta.learned_s,
        )

    def _build(self, ts: int, reason: str, start_ts: int, end_ts: int) -> CheckpointBundle:
        snap = learned_estimators(self._estimators.snapshot())
        session_s = max(0, end_ts - start_ts) / SEC_NS
        learned_s = self._prior_learned_s + session_s
        readiness = assess(estimator_counts(snap), learned_s, self.cfg)
        return CheckpointBundle(
            meta=CheckpointMeta(
                ts=ts,
                start_ts=start_ts,
                asset=self.asset,
                dex=self.dex,
                reason=reason,
                session_s=session_s,
                learned_s=learned_s,
                sessions=self._prior_sessions + 1,
                prior_digest=self._prior_digest,
            ),
            learned=LearnedState(estimators=snap, quote_outcomes=self._quote_outcomes()),
            kill_switch=self._kill_switch(),
            session=self._session_figures(),
            readiness=readiness,
        )

    def _quote_outcomes(self) -> tuple[QuoteOutcomeBin, ...]:
        return tuple(
            QuoteOutcomeBin(depth_bps=edge, levels=n, fills=f, predicted=p)
            for edge, n, f, p in zip(self._edges, self._levels, self._fills, self._predicted, strict=True)
        )

    def _kill_switch(self) -> KillSwitchFigures:
        return KillSwitchFigures(
            peak_pnl=self._peak,
            pnl=self._pnl,
            drawdown=self._peak - self._pnl,
            daily_loss=max(0.0, self._day_start_pnl - self._pnl),
            day_start_ts=max(self._day, 0),
            tripped=self._tripped,
            trip_reason=self._trip_reason,
        )

    def _session_figures(self) -> SessionFigures:
        s: dict[str, Any] = self._tracker.summary()

        def num(key: str) -> float:
            v = s.get(key)
            return float(v) if isinstance(v, int | float) and math.isfinite(v) else 0.0

        return SessionFigures(
            fills=int(num("fills")),
            buys=int(num("buys")),
            sells=int(num("sells")),
            volume_usd=num("volume"),
            pnl_total=num("total"),
            spread_capture=num("spread_capture"),
            adverse_selection=num("adverse_selection"),
            inventory=num("inventory"),
            fees=num("fees"),
            position=num("position"),
        )


def with_checkpointing(graph: list[Any], config: Config) -> list[Any]:
    """The graph with the prior injector first and the checkpointer last.

    Both hold references to actors of the same graph (the estimators; the outcome
    tracker), which is why they are added here, at build time.
    """
    by_name = {actor.name: actor for actor in graph}
    estimators = by_name["estimators"]
    checkpointer = Checkpointer(
        config.checkpoint, config.session.asset, config.session.dex, estimators, by_name["outcome_tracker"]
    )
    return [PriorInjector(estimators), *graph, checkpointer]
