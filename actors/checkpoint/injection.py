"""Warm start: a prior's learned state into a new session's graph, through the log.

A warm start must replay, so the prior's content goes into the session log:
``prior_injected`` turns a validated bundle into a ``PriorInjected`` event that carries
the injected components' state as plain data, and the runtime admits it first, right
after SessionStarted. Inside the graph, ``PriorInjector`` restores the estimators from
that event (and only from it), so a replay re-admitting the event rebuilds exactly the
same state; the prior file is not needed to replay.

**Components.** The estimators' snapshot is cut into components, each seeded only when
the prior has observations for it (a component the prior never exercised keeps the new
session's fresh state and its configuration): ``volatility`` (slow and fast),
``kappa_own``, ``kappa_market``, ``kappa_regimes``, ``adverse_selection``, ``regime``,
``fill_rate``, ``kelly``, ``calibration``, ``warmup`` and ``features`` (the running
trade-size, flow and intensity features). The checkpointer's ``quote_outcomes`` bins
are carried over too. The kill switch is never inherited: it is not learned state and
not part of what can be injected.

**Why an actor writes into another.** ``PriorInjector`` holds a reference to the
estimators actor, given at graph build time, and calls its public ``restore`` once, on
``PriorInjected``: the one place where an actor's state is set from outside its own
handler. It happens at the start of the session, before any market input, from a
logged event, so it is as deterministic as any handler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Final

import msgspec

from actors.base import NOTHING
from actors.checkpoint.bundle import CheckpointBundle, content_digest, learned_estimators
from actors.checkpoint.readiness import READY, assess, counts_of
from actors.config import CheckpointSection
from actors.estimators import EstimatorsActor, EstimatorsSnapshot
from events import Event, PriorInjected

_Observations = Callable[[EstimatorsSnapshot], float]

#: Component name -> (EstimatorsSnapshot fields, its observation count).
ESTIMATOR_COMPONENTS: Final[dict[str, tuple[tuple[str, ...], _Observations]]] = {
    "volatility": (("volatility", "fast_volatility"), lambda s: s.volatility.observations),
    "kappa_own": (("kappa_own",), lambda s: s.kappa_own.observations),
    "kappa_market": (("kappa_market",), lambda s: s.kappa_market.observations),
    "kappa_regimes": (("kappa_regimes",), lambda s: sum(s.kappa_regimes.side_observations)),
    "adverse_selection": (("adverse",), lambda s: s.adverse.observations),
    "regime": (("regime",), lambda s: s.regime.observations),
    "fill_rate": (("fill_rate",), lambda s: sum(s.fill_rate.outcomes)),
    "kelly": (("kelly",), lambda s: s.kelly.wins + s.kelly.losses + s.kelly.flat),
    "calibration": (
        ("calibration",),
        lambda s: s.calibration.adverse_observations + s.calibration.kappa_observations,
    ),
    "warmup": (("warmup",), lambda s: s.warmup.fills),
    "features": (
        ("mean_notional", "flow_buy", "flow_sell", "intensity_count", "intensity_time", "rejected"),
        lambda s: s.mean_notional,
    ),
}
#: The checkpointer's own learned state.
QUOTE_OUTCOMES: Final = "quote_outcomes"


def _plain(value: Any) -> Any:
    """Plain data exactly as the log decodes it (lists, not tuples), so the event a session
    admits equals the one its replay re-admits."""
    return msgspec.msgpack.decode(msgspec.msgpack.encode(value))


def seedable_components(bundle: CheckpointBundle) -> tuple[str, ...]:
    """The components of ``bundle`` that have observations, in a fixed order."""
    snap = bundle.learned.estimators
    names = [name for name, (_, observed) in ESTIMATOR_COMPONENTS.items() if observed(snap) > 0]
    if any(b.levels for b in bundle.learned.quote_outcomes):
        names.append(QUOTE_OUTCOMES)
    return tuple(names)


def prior_injected(
    bundle: CheckpointBundle, *, ts: int, source: str, digest: str, cfg: CheckpointSection
) -> PriorInjected:
    """The event that warm-starts a session from ``bundle`` (already validated).

    The verdict is re-assessed under ``cfg`` (the new session's thresholds); a prior
    that is not Ready makes the session quote defensively by ``cfg``'s factors.
    """
    snap = bundle.learned.estimators
    components = seedable_components(bundle)
    state: dict[str, Any] = {}
    for name in components:
        if name == QUOTE_OUTCOMES:
            state[name] = _plain(bundle.learned.quote_outcomes)
        else:
            fields, _ = ESTIMATOR_COMPONENTS[name]
            state[name] = {f: _plain(getattr(snap, f)) for f in fields}
    verdict = assess(counts_of(bundle.readiness), bundle.meta.learned_s, cfg).verdict
    defensive = verdict != READY
    return PriorInjected(
        ts=ts,
        source=source,
        digest=digest,
        content_digest=content_digest(bundle),
        asset=bundle.meta.asset,
        verdict=verdict,
        defensive=defensive,
        spread_factor=cfg.defensive_spread_factor if defensive else 1.0,
        size_factor=cfg.defensive_size_factor if defensive else 1.0,
        learned_s=bundle.meta.learned_s,
        sessions=bundle.meta.sessions,
        components=components,
        state=state,
    )


def seeded_snapshot(fresh: EstimatorsSnapshot, prior: PriorInjected) -> EstimatorsSnapshot:
    """``fresh`` with every injected estimator component replaced by the prior's."""
    merged: dict[str, Any] = msgspec.to_builtins(fresh)
    for name in prior.components:
        if name in ESTIMATOR_COMPONENTS:
            part = prior.state[name]
            for f in ESTIMATOR_COMPONENTS[name][0]:
                merged[f] = part[f]
    return learned_estimators(msgspec.convert(merged, EstimatorsSnapshot))


class PriorInjector:
    """Restores the estimators from a PriorInjected (see the module docstring)."""

    name: ClassVar[str] = "prior_injector"
    consumes: ClassVar[tuple[type[Event], ...]] = (PriorInjected,)

    def __init__(self, estimators: EstimatorsActor) -> None:
        self._estimators = estimators
        self.injected: PriorInjected | None = None
        self.refused = ""

    def handle(self, event: Event) -> Sequence[Event]:
        """Seed the estimators with the injected components (once per session)."""
        assert type(event) is PriorInjected
        if self.injected is not None:
            self.refused = "a second PriorInjected in one session"
            return NOTHING
        try:
            state = seeded_snapshot(self._estimators.snapshot(), event)
        except (msgspec.ValidationError, KeyError, TypeError) as exc:
            # A logged event is checksummed, so this is a bug, not bad input: keep the
            # session cold rather than half-seeded, and say so.
            self.refused = f"unusable prior state: {exc}"
            return NOTHING
        self._estimators.restore(state)
        self.injected = event
        return NOTHING
