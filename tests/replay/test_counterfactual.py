"""Counterfactual runs on a synthetic and a real-data session: identity, touch 0, gamma, refusal."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

import replay
from actors.settings import ConfigError
from events import SESSION_TYPES, Fill, PlaceOrder, QuoteCycle, SessionEnded, SessionStarted
from events.codec import encode
from events.log import read_events
from replay.counterfactual import CounterfactualError, counterfactual_id, run_counterfactual
from replay.diff import diff_sessions
from replay.stepping import Replay
from replay.verify import verify_session
from tests.conftest import SHARED_DATA
from tests.e2e.helpers import run_synthetic

RECORDING = SHARED_DATA / "ws_csv_20250904_btc_eth_sol_wlfi"
SESSIONS = {
    "synthetic": (300, {}),
    # Ten minutes of real ETH tape. GLFT unbounded: the default spread profile (40-50 bps)
    # rests where real flow never reaches; touch probability 1 so that it surely fills.
    "real": (
        600,
        {
            "feed__kind": f"recording:{RECORDING}",
            "session__asset": "ETH",
            "quote__spread_profile": "glft",
            "fill__touch_probability": 1.0,
        },
    ),
}


@pytest.fixture(scope="module", params=list(SESSIONS))
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Replay:
    duration, sets = SESSIONS[request.param]
    result = run_synthetic(tmp_path_factory.mktemp(request.param), duration, seed=7, **sets)
    assert result.counts["Fill"] > 0
    return replay.open_replay(result.session_dir)


def _body(path: Path) -> list[bytes]:
    """Every record but the session records (SessionStarted, SessionEnded, CheckpointSaved), as bytes."""
    return [encode(e) for e in read_events(path) if type(e) not in SESSION_TYPES]


def test_no_override_is_identical(source: Replay, tmp_path: Path) -> None:
    result = run_counterfactual(source, [], out=tmp_path / "same")
    assert _body(result.log_path) == _body(source.log_path)
    d = diff_sessions(source, result.session_dir)
    assert d.empty and d.same_inputs and not d.config_changes
    assert d.unchanged == d.fills_a == d.fills_b > 0
    assert result.pnl["total"] == d.pnl[0].b == d.pnl[0].a  # the figures diff compares
    assert verify_session(result.session_dir).identical
    events = list(read_events(result.log_path))
    assert isinstance(events[0], SessionStarted) and isinstance(events[-1], SessionEnded)
    assert events[0].feed == f"counterfactual:{source.session_id}"
    assert events[-1].records == len(events)


def test_touch_probability_zero_removes_every_fill(source: Replay, tmp_path: Path) -> None:
    result = run_counterfactual(source, ["fill.touch_probability=0"], out=tmp_path / "t0")
    assert result.counts.get("Fill", 0) == 0
    assert verify_session(result.session_dir).identical
    d = diff_sessions(source, result.session_dir)
    source_fills = [s for s, e in source.records() if isinstance(e, Fill)]
    assert [s for s, _ in d.removed] == source_fills
    assert not d.added and not d.changed and d.unchanged == 0
    assert d.config_changes == (("fill.touch_probability", source.config.fill.touch_probability, 0.0),)
    by_part = {p.part: p for p in d.pnl}
    assert by_part["total"].b == 0.0 and by_part["total"].delta == -by_part["total"].a
    assert by_part["fees"].a < 0.0


def _median_depth_bps(path: Path) -> float:
    """Median distance from the quote cycle's mid of every order placed, bps."""
    mids: dict[int, float] = {}
    depths = []
    for event in read_events(path / "events.log"):
        if isinstance(event, QuoteCycle):
            mids[event.cycle] = event.mid
        elif isinstance(event, PlaceOrder):
            mid = mids[event.cycle]
            depths.append(((mid - event.px) if event.side == "buy" else (event.px - mid)) / mid * 1e4)
    return statistics.median(depths)


def test_a_larger_gamma_quotes_wider(source: Replay, tmp_path: Path) -> None:
    """GLFT's half spread is c1 + D/2 * sigma * c2: c1 = ln(1 + gamma D/kappa) / (gamma D)
    *falls* as gamma rises, while the risk term grows with sqrt(gamma / A). At the default
    arrival scale A = 1/s the risk term is a small fraction of a bp, c1 wins and gamma barely
    moves the quotes (slightly inward); the test therefore uses a small A, where the
    inventory risk term is what the half spread is made of. (The estimators feed back: a
    run that fills differently learns another kappa, so the effect must be clear-cut.) The
    unbounded ``glft`` spread profile lets GLFT's half spread through unclamped."""
    sets = ["quote.spread_profile=glft", "quote.arrival_a=1e-6"]
    low = run_counterfactual(source, [*sets, "quote.gamma=0.3"], out=tmp_path / "low")
    high = run_counterfactual(source, [*sets, "quote.gamma=3.0"], out=tmp_path / "high")
    assert _median_depth_bps(high.session_dir) > _median_depth_bps(low.session_dir)
    assert verify_session(high.session_dir).identical


def test_ids_are_deterministic_and_nothing_is_overwritten(source: Replay) -> None:
    sets = ["quote.gamma=0.5", "fill.touch_probability=0.4"]
    first = run_counterfactual(source, sets)
    assert first.session_id == counterfactual_id(
        source.session_id, [("quote.gamma", 0.5), ("fill.touch_probability", 0.4)]
    )
    assert first.session_dir == source.session_dir.parent / first.session_id
    assert first.session_id.startswith(source.session_id + "-cf")
    assert counterfactual_id(source.session_id, [("quote.gamma", 0.6)]) != first.session_id
    before = first.log_path.read_bytes()
    with pytest.raises(CounterfactualError, match="refusing to overwrite"):
        run_counterfactual(source, sets)
    assert first.log_path.read_bytes() == before
    # The same counterfactual elsewhere is the same bytes: no wall clock is read.
    again = run_counterfactual(source, sets, out=first.session_dir.parent / "again")
    assert again.log_path.read_bytes() == before
    with pytest.raises(CounterfactualError, match="source session"):
        run_counterfactual(source, [], out=source.session_dir)


def test_bad_overrides_are_refused_with_their_key_paths(source: Replay, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run_counterfactual(
            source,
            ["quote.bogus=1", "fill.touch_probability=2", 'quote.levels="three"'],
            out=tmp_path / "bad",
        )
    text = "\n".join(info.value.errors)
    assert "quote.bogus: unknown key" in text
    assert "fill.touch_probability: Expected `float` <= 1.0" in text
    assert "quote.levels: Expected `int`, got `str`" in text
    assert not (tmp_path / "bad").exists()
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        run_counterfactual(source, ["quote.gamma"], out=tmp_path / "bad")


def test_settings_that_shape_inputs_are_reported_inert(source: Replay, tmp_path: Path) -> None:
    result = run_counterfactual(source, ["synthetic.sigma=0.001", "quote.levels=2"], out=tmp_path / "inert")
    assert result.inert == ("synthetic.sigma",)
    assert _body(result.log_path) != _body(source.log_path)
    assert verify_session(result.session_dir).identical


def test_the_notebook_object_chains(source: Replay, tmp_path: Path) -> None:
    other = source.counterfactual(["fill.touch_probability=0.6"], out=tmp_path / "nb")
    assert isinstance(other, Replay)
    d = source.diff(other)
    assert not d.empty
    assert d.config_changes == (("fill.touch_probability", source.config.fill.touch_probability, 0.6),)
