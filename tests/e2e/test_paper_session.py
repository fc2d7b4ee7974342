"""A paper session end to end on the synthetic market: fills, PnL attribution, replay, CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import EXTERNAL_TYPES, SESSION_TYPES, CheckpointSaved, Fill, PnL, SessionEnded, SessionStarted
from events.codec import encode
from events.log import read_events
from replay.verify import verify_session
from tests.e2e.helpers import PAPERMM, papermm, run_synthetic


def test_one_hour_session_acceptance(tmp_path: Path) -> None:
    """The issue's acceptance run, as the real command."""
    proc = papermm(
        "paper",
        "--duration",
        "3600",
        "--speed",
        "max",
        "--seed",
        "7",
        "--json",
        "--data-dir",
        str(tmp_path),
        check=True,
        timeout=600,
    )
    summary = json.loads(proc.stdout)
    assert summary["end_reason"] == "duration"
    assert summary["buy_fills"] > 0 and summary["sell_fills"] > 0
    pnl = summary["pnl"]
    assert pnl["total"] != 0
    parts = pnl["spread_capture"] + pnl["adverse_selection"] + pnl["inventory"] + pnl["fees"]
    assert abs(parts - pnl["total"]) <= 1e-9
    session_dir = Path(summary["session_dir"])
    for event in read_events(session_dir / "events.log"):
        if isinstance(event, PnL):
            s = event.spread_capture + event.adverse_selection + event.inventory + event.fees
            assert abs(s - event.total) <= 1e-9
    verify = papermm("replay", str(session_dir), "--verify", check=True)
    assert verify.stdout.startswith("identical:")


def _records_without_wall_fields(path: Path) -> list[bytes]:
    """Every record's bytes, with the wall-clock fields blanked.

    Those are SessionStarted's session_id and wall_ns, and CheckpointSaved's path and
    digest (the checkpoint file is named by and stamped with the wall clock).
    """
    out = []
    for event in read_events(path):
        if isinstance(event, SessionStarted):
            event = msgspec.structs.replace(event, session_id="", wall_ns=0)
        elif isinstance(event, CheckpointSaved):
            event = msgspec.structs.replace(event, path="", digest="")
        out.append(encode(event))
    return out


def test_same_seed_gives_byte_identical_logs_but_for_wall_clock_fields(tmp_path: Path) -> None:
    a = run_synthetic(tmp_path, 900, seed=11)
    b = run_synthetic(tmp_path, 900, seed=11)
    assert a.counts["Fill"] > 0 and a.counts["CheckpointDue"] > 0
    assert _records_without_wall_fields(a.log_path) == _records_without_wall_fields(b.log_path)


def test_same_seed_gives_byte_identical_logs(tmp_path: Path) -> None:
    """Without checkpoint files, only SessionStarted carries wall-clock fields."""
    a = run_synthetic(tmp_path, 900, seed=11, checkpoint__save=False)
    b = run_synthetic(tmp_path, 900, seed=11, checkpoint__save=False)
    assert a.session_dir != b.session_dir
    raw_a, raw_b = a.log_path.read_bytes(), b.log_path.read_bytes()
    assert raw_a != raw_b  # the wall-clock fields of SessionStarted differ...
    assert _records_without_wall_fields(a.log_path) == _records_without_wall_fields(b.log_path)
    # ...and nothing else: every record after SessionStarted is the same bytes.
    first_a = raw_a.index(encode(next(read_events(a.log_path)))) + len(encode(next(read_events(a.log_path))))
    first_b = raw_b.index(encode(next(read_events(b.log_path)))) + len(encode(next(read_events(b.log_path))))
    assert raw_a[first_a:] == raw_b[first_b:]
    assert a.counts["Fill"] > 0


def test_different_seeds_give_different_sessions(tmp_path: Path) -> None:
    a = run_synthetic(tmp_path, 300, seed=1)
    b = run_synthetic(tmp_path, 300, seed=2)
    assert _records_without_wall_fields(a.log_path) != _records_without_wall_fields(b.log_path)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    gamma=st.floats(0.05, 2.0),
    touch=st.floats(0.0, 1.0),
    levels=st.integers(1, 5),
    latency=st.floats(0, 500),
    depth_mode=st.booleans(),
)
def test_replay_reproduces_every_derived_event(
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    gamma: float,
    touch: float,
    levels: int,
    latency: float,
    depth_mode: bool,
) -> None:
    result = run_synthetic(
        tmp_path_factory.mktemp("s"),
        120,
        seed=seed,
        quote__gamma=gamma,
        fill__touch_probability=touch,
        quote__levels=levels,
        fill__placement_latency_ms=latency,
        fill__ignore_book_depth=not depth_mode,
        quote__min_requote_interval_ms=250.0,
    )
    verdict = verify_session(result.session_dir)
    assert verdict.identical, verdict.divergence
    not_derived = {t.__name__ for t in EXTERNAL_TYPES | SESSION_TYPES}
    assert verdict.derived_checked == sum(n for t, n in result.counts.items() if t not in not_derived)


def test_tampered_log_reports_the_first_divergence(tmp_path: Path) -> None:
    from events.log import EventLogWriter

    result = run_synthetic(tmp_path / "s", 300, seed=3)
    events = list(read_events(result.log_path))
    idx = next(i for i, e in enumerate(events) if isinstance(e, Fill))
    fill = events[idx]
    events[idx] = fill.__class__(**{**{f: getattr(fill, f) for f in fill.__struct_fields__}, "draw": 0.5})
    tampered = tmp_path / "t" / "events.log"
    with EventLogWriter(tampered) as writer:
        for e in events:
            writer.append(e)
    verdict = verify_session(tampered)
    assert not verdict.identical and verdict.divergence is not None
    assert verdict.divergence.seq == idx
    proc = papermm("replay", str(tampered.parent), "--verify")
    assert proc.returncode == 1
    assert f"divergence at seq {idx}" in proc.stdout and "expected" in proc.stdout


def test_ctrl_c_leaves_a_complete_verifiable_log(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*PAPERMM, "paper", "--duration", "0", "--speed", "max", "--json", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    logs = list(tmp_path.glob("sessions/BTC/*/events.log"))
    deadline = time.monotonic() + 60
    while not logs or logs[0].stat().st_size < 200_000:
        assert time.monotonic() < deadline, "session did not start"
        time.sleep(0.1)
        logs = list(tmp_path.glob("sessions/BTC/*/events.log"))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    summary = json.loads(out)
    assert summary["end_reason"] == "interrupted"
    events = list(read_events(logs[0]))
    assert isinstance(events[-1], SessionEnded) and events[-1].reason == "interrupted"
    assert events[-1].records == len(events)
    assert verify_session(logs[0].parent).identical


def test_log_cat_prints_json_lines(tmp_path: Path) -> None:
    result = run_synthetic(tmp_path, 30)
    proc = papermm("log", "cat", str(result.session_dir), check=True)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["type"] == "SessionStarted" and lines[0]["seq"] == 0
    assert lines[-1]["type"] == "SessionEnded"
    assert [line["seq"] for line in lines] == list(range(len(lines)))
    only = papermm("log", "cat", str(result.session_dir), "--type", "Trade", check=True)
    assert {json.loads(x)["type"] for x in only.stdout.splitlines()} == {"Trade"}


@pytest.mark.parametrize(
    ("toml", "path", "words"),
    [
        ("[fill]\nplacement_latency_ms = -5\n", "fill.placement_latency_ms", ">= 0"),
        ("[quote]\nbogus = 1\n", "quote.bogus", "unknown key"),
        ('[quote]\nlevels = "three"\n', "quote.levels", "Expected `int`, got `str`"),
    ],
)
def test_bad_config_is_refused_with_its_key_path(tmp_path: Path, toml: str, path: str, words: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    proc = papermm("validate-config", str(cfg))
    assert proc.returncode == 1
    assert path in proc.stdout and words in proc.stdout
    run = papermm("paper", "--config", str(cfg), "--duration", "10", "--data-dir", str(tmp_path))
    assert run.returncode == 2
    assert path in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "sessions").exists()


def test_generate_config_validates_and_version_prints(tmp_path: Path) -> None:
    gen = papermm("generate-config", check=True)
    cfg = tmp_path / "all.toml"
    cfg.write_text(gen.stdout)
    assert papermm("validate-config", str(cfg)).stdout.strip().endswith("ok")
    version = subprocess.run([*PAPERMM, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("papermm ")


def test_missing_session_is_a_clear_error(tmp_path: Path) -> None:
    proc = papermm("replay", str(tmp_path / "nope"), "--verify")
    assert proc.returncode == 1 and "no such event log" in proc.stderr and "Traceback" not in proc.stderr
