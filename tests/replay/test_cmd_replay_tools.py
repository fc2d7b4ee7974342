"""The replay debugger as a user runs it: fills, explain, replay --until/--set/--out, diff, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events import Fill
from events.log import read_events
from tests.e2e.helpers import papermm, run_synthetic


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_synthetic(tmp_path_factory.mktemp("cli"), 120, seed=7).session_dir


def test_fills_table_and_json(session_dir: Path) -> None:
    events = list(read_events(session_dir / "events.log"))
    fills = [e for e in events if isinstance(e, Fill)]
    table = papermm("fills", str(session_dir), check=True).stdout.splitlines()
    assert table[0].split()[:5] == ["seq", "time", "oid", "side", "lvl"] and "mk10s" in table[0]
    assert len(table) == len(fills) + 2 and table[-1].startswith(f"{len(fills)} fills")
    rows = [
        json.loads(line)
        for line in papermm(
            "fills", str(session_dir), "--json", "--side", "sell", "--since", "+60s", check=True
        ).stdout.splitlines()
    ]
    want = [f for f in fills if f.side == "sell" and f.ts >= events[0].ts + 60 * 10**9]
    assert rows and [(r["oid"], r["ts"]) for r in rows] == [(f.oid, f.ts) for f in want]
    assert {"depth_bps", "probability", "draw", "markouts_bps"} <= set(rows[0])
    assert set(rows[0]["markouts_bps"]) == {"0.5s", "1s", "2s", "5s", "10s"}
    bad = papermm("fills", str(session_dir), "--since", "yesterday")
    assert bad.returncode == 2 and "--since" in bad.stderr and "Traceback" not in bad.stderr


def test_explain_a_fill(session_dir: Path) -> None:
    seq = next(s for s, e in enumerate(read_events(session_dir / "events.log")) if isinstance(e, Fill))
    out = papermm("explain", str(session_dir), f"seq:{seq}", check=True).stdout
    for words in (
        "decision",
        "sigma",
        "kappa",
        "gamma",
        "placement latency",
        "touches",
        "markouts",
        f"Fill seq {seq}",
        "every factor and draw of the logged fills reproduced",
    ):
        assert words in out
    missing = papermm("explain", str(session_dir), "987654")
    assert (
        missing.returncode == 1 and "no order 987654" in missing.stderr and "Traceback" not in missing.stderr
    )


def test_replay_until(session_dir: Path) -> None:
    out = papermm("replay", str(session_dir), "--until", "500", check=True).stdout
    assert out.startswith("state at seq") and "resting" in out and "position" in out and "book" in out
    at_time = papermm("replay", str(session_dir), "--until", "+30s", check=True).stdout
    assert "(+30.000s)" in at_time.splitlines()[1]
    both = papermm("replay", str(session_dir), "--until", "10", "--set", "quote.gamma=1")
    assert both.returncode == 2 and "--until" in both.stderr


def test_counterfactual_verify_and_diff(session_dir: Path, tmp_path: Path) -> None:
    new = tmp_path / "t0"
    run = papermm(
        "replay",
        str(session_dir),
        "--set",
        "fill.touch_probability=0",
        "--out",
        str(new),
        "--verify",
        check=True,
    ).stdout
    assert f"dir             {new}" in run and "verify          identical" in run
    assert papermm("replay", str(new), "--verify", check=True).stdout.startswith("identical:")
    diff = papermm("diff", str(session_dir), str(new), "--limit", "0")
    assert diff.returncode == 1
    n_fills = sum(1 for e in read_events(session_dir / "events.log") if isinstance(e, Fill))
    assert (
        f"removed (in A only): {n_fills}" in diff.stdout
        and "fill.touch_probability: 0.3 -> 0.0" in diff.stdout
    )
    same = tmp_path / "same"
    papermm("replay", str(session_dir), "--out", str(same), check=True)
    nodiff = papermm("diff", str(session_dir), str(same), "--json")
    assert nodiff.returncode == 0 and json.loads(nodiff.stdout)["empty"] is True
    again = papermm("replay", str(session_dir), "--out", str(same))
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr


def test_bad_override_is_refused_with_its_key_path(session_dir: Path, tmp_path: Path) -> None:
    proc = papermm(
        "replay",
        str(session_dir),
        "--set",
        "quote.bogus=1",
        "--set",
        "fill.touch_probability=-1",
        "--out",
        str(tmp_path / "x"),
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert (
        "quote.bogus: unknown key" in proc.stderr
        and "fill.touch_probability: Expected `float` >= 0.0" in proc.stderr
    )
    assert not (tmp_path / "x").exists()


def test_export(session_dir: Path, tmp_path: Path) -> None:
    out = papermm(
        "export", str(session_dir), "--format", "parquet", "--out", str(tmp_path / "pq"), check=True
    ).stdout
    records = sum(1 for _ in read_events(session_dir / "events.log"))
    assert out.startswith(f"{records:,} records") and "Fill.parquet" in out
    assert (tmp_path / "pq" / "Trade.parquet").exists()
