"""Checkpoints end to end: a 40-minute session's prior, a warm start from it, the gate.

Everything runs as the real command (``papermm ...``), except where a test needs the
graph's state, which runs the same session in-process.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import trio

from actors.checkpoint.bundle import content_digest, file_digest
from actors.checkpoint.readiness import MARGINAL, READY
from actors.checkpoint.store import CheckpointStore, load_bundle
from actors.feed_sources import open_feed
from actors.runtime import SessionResult, run_session
from actors.settings import load_config
from events import (
    CheckpointDue,
    CheckpointSaved,
    EndOfSession,
    Estimates,
    Event,
    Fill,
    ObservingMarket,
    PlaceOrder,
    PriorInjected,
    QuoteCycle,
    SessionEnded,
    SessionStarted,
)
from events.log import read_events
from papermm.cmd_checkpoint import load_warm_start, warm_start_inputs
from replay.verify import verify_session
from tests.e2e.helpers import PAPERMM, papermm

SEC = 1_000_000_000


def prior_dir(data: Path, asset: str = "BTC") -> Path:
    return data / "checkpoints" / "paper" / asset


def events_of(session_dir: str | Path) -> list[Event]:
    return list(read_events(Path(session_dir) / "events.log"))


def first_of(events: list[Event], kind: type[Event]) -> Any:
    return next(e for e in events if type(e) is kind)


def last_of(events: list[Event], kind: type[Event]) -> Any:
    return [e for e in events if type(e) is kind][-1]


def paper(data: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return papermm("paper", "--speed", "max", "--json", "--data-dir", str(data), "--log-level", "warning", *args,
                   check=check)  # fmt: skip


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A cold synthetic session of 40 minutes of market time."""
    data = tmp_path_factory.mktemp("first")
    summary = json.loads(paper(data, "--duration", "2400", "--seed", "7").stdout)
    return {"data": data, "summary": summary, "events": events_of(summary["session_dir"])}


@pytest.fixture(scope="module")
def second(first: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 10-minute session on the same market, warm-started from the first one's prior."""
    data = tmp_path_factory.mktemp("second")
    shutil.copytree(first["data"] / "checkpoints", data / "checkpoints")
    prior = load_bundle(prior_dir(data) / "prior.json")
    proc = paper(data, "--duration", "600", "--seed", "7", "--prior", "auto")
    summary = json.loads(proc.stdout)
    return {"data": data, "summary": summary, "events": events_of(summary["session_dir"]), "prior": prior,
            "stderr": proc.stderr}  # fmt: skip


def test_forty_minutes_of_market_reach_ready(first: dict[str, Any]) -> None:
    loaded = load_bundle(prior_dir(first["data"]) / "prior.json")
    readiness = loaded.bundle.readiness
    assert readiness.verdict == READY, readiness.reasons
    assert readiness.estimators_ready == 5 and readiness.learned_s == 2400.0
    assert loaded.bundle.meta.reason == "final" and loaded.bundle.meta.sessions == 1
    gate = papermm("gate", "--asset", "BTC", "--data-dir", str(first["data"]))
    assert gate.returncode == 0 and gate.stdout.startswith("READY: BTC")


def test_checkpoints_every_five_minutes_and_at_the_end(first: dict[str, Any]) -> None:
    events = first["events"]
    due = [e for e in events if type(e) is CheckpointDue]
    saved = [e for e in events if type(e) is CheckpointSaved]
    assert [d.reason for d in due] == ["interval"] * 7 + ["final"]  # 300, 600, ... 2100 s; then the end
    assert [round(d.session_s) for d in due] == [300, 600, 900, 1200, 1500, 1800, 2100, 2400]
    assert len(saved) == len(due)
    # Each CheckpointSaved follows its CheckpointDue and names a file with that digest...
    for d, s in zip(due, saved, strict=True):
        assert events[events.index(s) - 1] is d
        data = Path(s.path).read_bytes()
        assert file_digest(data) == s.digest
        assert content_digest(load_bundle(s.path).bundle) == d.digest
    # ...and the final one comes before SessionEnded, after EndOfSession.
    assert type(events[-4]) is EndOfSession and events[-3] is due[-1] and events[-2] is saved[-1]
    assert type(events[-1]) is SessionEnded
    prior = prior_dir(first["data"]) / "prior.json"
    assert prior.read_bytes() == Path(saved[-1].path).read_bytes()


def test_the_warm_start_is_logged_and_replays_identically(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    events = second["events"]
    assert type(events[0]) is SessionStarted
    injected = events[1]
    assert type(injected) is PriorInjected
    assert injected.digest == second["prior"].digest == last_of(first["events"], CheckpointSaved).digest
    assert injected.verdict == READY and not injected.defensive
    assert "warmup" in injected.components and "kappa_own" in injected.components
    assert "warm start from" in second["stderr"]
    for run in (first, second):
        proc = papermm("replay", run["summary"]["session_dir"], "--verify", check=True)
        assert proc.stdout.startswith("identical:")
    # The second session's prior continues the first's.
    meta = load_bundle(prior_dir(second["data"]) / "prior.json").bundle.meta
    assert (meta.sessions, meta.learned_s, meta.prior_digest) == (2, 3000.0, injected.digest)


def test_kappa_confidence_starts_where_the_first_session_ended(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    ended = last_of(first["events"], Estimates)
    started = first_of(second["events"], Estimates)
    cold = first_of(first["events"], Estimates)
    assert cold.kappa_confidence < 0.5 < ended.kappa_confidence
    # The prior is the state at the end of the session, a moment after its last Estimates.
    assert started.kappa_confidence == pytest.approx(ended.kappa_confidence, abs=1e-4)
    assert started.kappa_own_obs >= ended.kappa_own_obs and started.sigma_obs >= ended.sigma_obs
    assert started.warmup == 1.0 and started.kappa_floor == 0.0


def test_the_warm_start_fills_sooner(first: dict[str, Any], second: dict[str, Any]) -> None:
    """A cold start watches the market for quote.observe_s before its first quote; a warm
    start already knows the volatility and quotes on its first book."""
    cold, warm = first["events"], second["events"]
    watching = first_of(cold, ObservingMarket)
    assert watching.observe_s == 30.0
    assert first_of(cold, PlaceOrder).ts >= watching.until_ts
    assert not [e for e in warm if type(e) is ObservingMarket]
    cold_first = first_of(cold, Fill).ts - cold[0].ts
    warm_first = first_of(warm, Fill).ts - warm[0].ts
    assert warm_first < 30 * SEC <= cold_first
    # The first quote already prices with the prior: Estimates came with the injection.
    injected = first_of(warm, PriorInjected)
    assert warm.index(first_of(warm, Estimates)) < warm.index(first_of(warm, QuoteCycle))
    assert first_of(warm, Estimates).ts == injected.ts


def _run_warm(data: Path, seconds: float, *sets: tuple[str, Any]) -> SessionResult:
    config = load_config(None, [("session.data_dir", str(data)), ("session.duration_s", seconds), *sets])
    loaded = load_warm_start(config, "auto")

    async def main() -> SessionResult:
        return await run_session(config, lambda d: open_feed(config, d), handle_sigint=False,
                                 initial_inputs=warm_start_inputs(config, loaded))  # fmt: skip

    return trio.run(main)


def test_a_marginal_prior_quotes_defensively(first: dict[str, Any], tmp_path: Path) -> None:
    shutil.copytree(first["data"] / "checkpoints", tmp_path / "checkpoints")
    ready = _run_warm(tmp_path, 120, ("checkpoint.save", False))
    # Thresholds under which the same prior is Marginal (every estimator, not enough Kelly fills).
    marginal = _run_warm(tmp_path, 120, ("checkpoint.save", False), ("checkpoint.ready_kelly_fills", 10**6))
    injected = first_of(events_of(marginal.session_dir), PriorInjected)
    assert injected.verdict == MARGINAL and injected.defensive
    assert (injected.spread_factor, injected.size_factor) == (1.5, 0.5)

    def spreads_and_sizes(result: SessionResult) -> tuple[list[float], list[float]]:
        events = events_of(result.session_dir)
        return ([q.half_spread_bps for q in events if type(q) is QuoteCycle][1:],
                [p.sz for p in events if type(p) is PlaceOrder and p.level == 0])  # fmt: skip

    ready_spreads, ready_sizes = spreads_and_sizes(ready)
    spreads, sizes = spreads_and_sizes(marginal)
    assert min(spreads) >= 1.5 * min(ready_spreads) - 1e-9
    assert max(sizes) <= 0.5 * max(ready_sizes) + 1e-9
    assert verify_session(marginal.session_dir).identical


def test_the_gate_exit_codes(first: dict[str, Any], tmp_path: Path) -> None:
    data = str(first["data"])

    def gate(*args: str) -> subprocess.CompletedProcess[str]:
        return papermm("gate", "--asset", "BTC", "--data-dir", data, *args)

    assert gate().returncode == 0
    marginal = gate("--set", "checkpoint.ready_kelly_fills=1000000")
    assert marginal.returncode == 2 and marginal.stdout.startswith("MARGINAL") and "kelly" in marginal.stdout
    insufficient = gate("--set", "checkpoint.ready_session_s=100000")
    assert (
        insufficient.returncode == 1
        and "Insufficient" in insufficient.stdout
        and "needs 100000 s" in insufficient.stdout
    )
    stale = gate("--set", "checkpoint.stale_after_s=0.001")
    assert stale.returncode == 1 and "stale" in stale.stdout
    missing = papermm("gate", "--asset", "ETH", "--data-dir", data)
    assert missing.returncode == 1 and "no prior for ETH" in missing.stdout


def test_status(first: dict[str, Any]) -> None:
    proc = papermm("status", "--asset", "BTC", "--json", "--data-dir", str(first["data"]), check=True)
    s = json.loads(proc.stdout)
    assert s["verdict"] == READY and not s["stale"] and s["estimators_ready"] == 5
    assert s["estimators"]["kappa"]["observations"] >= 50 and s["kelly"]["fills"] >= 20
    assert s["last_session"]["fills"] == first["summary"]["fills"] and s["backups"] == 8
    text = papermm("status", "--data-dir", str(first["data"]), check=True).stdout
    assert "verdict     Ready" in text and "estimators  volatility" in text and "last        " in text


def test_refused_priors(first: dict[str, Any], tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(first["data"] / "checkpoints", data / "checkpoints")
    prior = prior_dir(data) / "prior.json"
    backups = CheckpointStore(prior_dir(data)).backups()
    stale = paper(
        data, "--duration", "10", "--prior", "auto", "--set", "checkpoint.stale_after_s=0.001", check=False
    )
    assert (
        stale.returncode == 1
        and "stale" in stale.stderr
        and f"previous backup is {backups[-2]}" in stale.stderr
    )
    other = paper(data, "--duration", "10", "--asset", "ETH", "--prior", str(prior), check=False)
    assert other.returncode == 1 and "learned on BTC, this session quotes ETH" in other.stderr
    assert (
        paper(
            data, "--duration", "10", "--asset", "ETH", "--prior", str(prior), "--allow-asset-mismatch"
        ).returncode
        == 0
    )
    prior.write_bytes(prior.read_bytes()[:1000])  # torn
    torn = paper(data, "--duration", "10", "--prior", "auto", check=False)
    assert torn.returncode == 1 and "truncated" in torn.stderr
    assert f"previous backup is {backups[-1]}" in torn.stderr and "Traceback" not in torn.stderr
    none = paper(tmp_path / "empty", "--duration", "10", "--prior", "auto", check=False)
    assert none.returncode == 1 and "no prior for BTC yet" in none.stderr


def test_ctrl_c_writes_the_final_checkpoint(tmp_path: Path) -> None:
    proc = subprocess.Popen([*PAPERMM, "paper", "--duration", "0", "--speed", "200", "--json", "--data-dir",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("checkpoints/paper/BTC/*/checkpoint.json")):  # the first, at 300 s
        assert time.monotonic() < deadline, "no checkpoint"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    events = events_of(json.loads(out)["session_dir"])
    end = first_of(events, EndOfSession)
    assert end.reason == "interrupted" and type(events[-1]) is SessionEnded
    final = last_of(events, CheckpointDue)
    assert final.reason == "final" and events[-2] == last_of(events, CheckpointSaved)
    assert load_bundle(prior_dir(tmp_path) / "prior.json").digest == events[-2].digest


def test_calibrate_runs_warm_started_sessions_until_ready(tmp_path: Path) -> None:
    proc = papermm("calibrate", "--asset", "BTC", "--max-duration", "1800", "--session-duration", "600",
                   "--speed", "max", "--json", "--data-dir", str(tmp_path), "--log-level", "warning")  # fmt: skip
    out = json.loads(proc.stdout)
    assert proc.returncode == 0 and out["verdict"] == READY, out
    sessions = out["sessions"]
    assert [s["market_s"] for s in sessions] == [600.0, 600.0, 600.0]
    assert sessions[0]["start"].startswith("cold") and all(
        s["start"].startswith("warm") for s in sessions[1:]
    )
    seeds = [first_of(events_of(s["session_dir"]), SessionStarted).seed for s in sessions]
    assert seeds == [7, 8, 9]
    assert all(verify_session(s["session_dir"]).identical for s in sessions)
