"""extract -> inject -> extract is the identity on what was learned."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings

from actors.checkpoint.bundle import CheckpointBundle, encode_bundle, file_digest, learned_estimators
from actors.checkpoint.checkpointer import Checkpointer
from actors.checkpoint.injection import (
    ESTIMATOR_COMPONENTS,
    QUOTE_OUTCOMES,
    prior_injected,
    seedable_components,
)
from actors.checkpoint.readiness import READY
from actors.checkpoint.store import load_bundle
from actors.config import Config
from actors.graph import build_sequencer
from events import CheckpointDue, EndOfSession, Estimates, PriorInjected
from events.codec import decode, encode
from tests.actors.checkpoint.streams import Step, end_of, graph, steps, stream
from tests.conftest import SEC, T0


def extract(plan: list[Step], config: Config | None = None) -> CheckpointBundle:
    """Drive a fresh graph's estimators with ``plan``, then take the final bundle."""
    actors = graph(config)
    estimators = actors["estimators"]
    checkpointer: Checkpointer = actors["checkpointer"]
    for event in stream(plan):
        estimators.handle(event)
        checkpointer.handle(event)
    end = end_of(plan)
    due = checkpointer.handle(EndOfSession(ts=end, reason="end_of_feed", start_ts=T0, end_ts=end))
    if not plan:  # no input, nothing learned: no checkpoint (a prior is never overwritten by it)
        assert due == ()
        return checkpointer.current_bundle(end)
    assert len(due) == 1 and type(due[0]) is CheckpointDue
    assert checkpointer.bundle is not None
    return checkpointer.bundle


def through_file(bundle: CheckpointBundle, tmp: Path) -> tuple[CheckpointBundle, str]:
    meta = msgspec.structs.replace(bundle.meta, wall_ns=T0, session_id="s", package_version="0")
    data = encode_bundle(msgspec.structs.replace(bundle, meta=meta))
    path = tmp / "prior.json"
    path.write_bytes(data)
    loaded = load_bundle(path)
    assert loaded.digest == file_digest(data)
    return loaded.bundle, loaded.digest


def inject_and_extract(
    bundle: CheckpointBundle, digest: str, config: Config | None = None
) -> CheckpointBundle:
    """A fresh graph warm-started from ``bundle`` through the log codec; its bundle at once."""
    config = config or Config()
    start = T0 + 3600 * SEC
    event = prior_injected(bundle, ts=start, source="prior.json", digest=digest, cfg=config.checkpoint)
    logged = decode(encode(event))  # what replay re-admits
    assert logged == event
    sequencer = build_sequencer(config)
    out = sequencer.admit(logged)
    # The estimators answer the injection with what they now know, for the first quote.
    assert out[0] == logged and [type(e) for e in out[1:]] == [Estimates]
    checkpointer: Checkpointer = sequencer.actor("checkpointer")  # type: ignore[assignment]
    return checkpointer.current_bundle(start)


@settings(max_examples=40, deadline=None)
@given(plan=steps)
def test_extract_inject_extract_gives_an_equal_bundle(
    plan: list[Step], tmp_path_factory: pytest.TempPathFactory
) -> None:
    a = extract(plan)
    a_file, digest = through_file(a, tmp_path_factory.mktemp("prior"))
    # The file round trip is exact (floats included).
    assert a_file.learned == a.learned and a_file.readiness == a.readiness
    b = inject_and_extract(a_file, digest)
    seeded = set(seedable_components(a))
    fresh = learned_estimators(graph()["estimators"].snapshot())
    for name, (fields, _) in ESTIMATOR_COMPONENTS.items():
        want = a.learned.estimators if name in seeded else fresh
        for f in fields:
            assert getattr(b.learned.estimators, f) == getattr(want, f), (name, f)
    if QUOTE_OUTCOMES in seeded:
        assert b.learned.quote_outcomes == a.learned.quote_outcomes
    if seeded >= set(ESTIMATOR_COMPONENTS):
        assert b.learned == a.learned
        assert b.readiness == a.readiness  # same counts, same learned time
    assert b.meta.learned_s == a.meta.learned_s
    assert b.meta.sessions == a.meta.sessions + 1
    assert b.meta.prior_digest == digest
    # Never inherited: the kill switch's figures start from zero.
    assert b.kill_switch.peak_pnl == 0.0 and not b.kill_switch.tripped


def test_a_rich_stream_seeds_every_component(tmp_path: Path) -> None:
    plan: list[Step] = [(1000, (i % 7 - 3) * 0.5, 3, True, i % 3 == 0, i % 3 == 1) for i in range(120)]
    a = extract(plan)
    assert set(seedable_components(a)) == set(ESTIMATOR_COMPONENTS)
    a_file, digest = through_file(a, tmp_path)
    b = inject_and_extract(a_file, digest)
    assert b.learned == a.learned


def test_only_components_with_observations_are_seeded() -> None:
    plan: list[Step] = [(1000, 0.5, 2, False, False, False) for _ in range(30)]  # market only, no orders
    a = extract(plan)
    seeded = seedable_components(a)
    assert "volatility" in seeded and "kappa_market" in seeded
    for own in ("kappa_own", "adverse_selection", "kelly", "fill_rate", "warmup"):
        assert own not in seeded
    event = prior_injected(a, ts=T0, source="p", digest="d", cfg=Config().checkpoint)
    assert set(event.state) == set(seeded)
    assert event.defensive and event.verdict != READY  # a 30 s prior is not Ready
    assert event.spread_factor == 1.5 and event.size_factor == 0.5


def test_injection_is_replayed_from_the_event_alone() -> None:
    """Two graphs fed the same PriorInjected end in the same estimator state."""
    plan: list[Step] = [(700, (i % 5 - 2) * 1.0, 2, True, i % 2 == 0, False) for i in range(60)]
    a = extract(plan)
    event = prior_injected(a, ts=T0, source="p", digest="d", cfg=Config().checkpoint)
    states = []
    for _ in range(2):
        sequencer = build_sequencer(Config())
        sequencer.admit(decode(encode(event)))
        states.append(sequencer.actor("estimators").snapshot())  # type: ignore[attr-defined]
    assert states[0] == states[1]
    assert isinstance(event, PriorInjected)
