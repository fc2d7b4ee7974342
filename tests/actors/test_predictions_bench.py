"""The bench's measure of what the prediction tracker costs a replay (bench.bench_predictions)."""

from __future__ import annotations

from pathlib import Path

from bench.bench_predictions import log_without_tracker, tracker_cost, without_tracker
from events import CalibrationRecord, Markout
from events.log import read_events
from replay.verify import verify_session
from tests.e2e.helpers import run_synthetic


def test_the_log_without_the_tracker_verifies_through_the_graph_without_it(
    tmp_path: Path, capsys: object
) -> None:
    log = run_synthetic(tmp_path / "data", 120, seed=7).log_path
    reduced = log_without_tracker(log, tmp_path / "reduced")
    full_types = [type(e) for e in read_events(log)]
    reduced_types = [type(e) for e in read_events(reduced)]
    assert CalibrationRecord in full_types and Markout in full_types
    # The same log less the tracker's events (every other record in the same order).
    assert reduced_types == [t for t in full_types if t not in (CalibrationRecord, Markout)]
    result = verify_session(reduced, without_tracker)
    assert result.identical, result.divergence
    assert not verify_session(reduced).identical  # the full graph expects the tracker's events
    full, without, drop = tracker_cost(log, 1000, tmp_path / "work", runs=1)
    assert full > 0.0 and without > 0.0 and drop == (1.0 - full / without) * 100.0
    assert "prediction tracker cost: full" in capsys.readouterr().out  # type: ignore[attr-defined]
