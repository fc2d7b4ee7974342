"""Analytics streams: derived from the log alone, byte-identical when rebuilt."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from events import Fill, QuoteCycle
from events.log import read_events
from events.outcomes import Markout
from papermm.cli import main
from replay.analytics import STREAMS, write_analytics
from replay.session_data import collect
from replay.sharpe import SHARPE_INTERVAL_S
from replay.signals import SIGNALS
from tests.e2e.helpers import run_synthetic

DURATION_S = 900


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = run_synthetic(tmp_path_factory.mktemp("analytics"), DURATION_S, seed=7)
    write_analytics(result.session_dir)
    return result.session_dir


def lines(session: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (session / "analytics" / f"{name}.jsonl").read_text().splitlines()]


def test_rebuilding_from_the_log_alone_gives_byte_identical_streams(session: Path, tmp_path: Path) -> None:
    alone = tmp_path / "copy"
    alone.mkdir()
    shutil.copy(session / "events.log", alone / "events.log")
    assert main(["analytics", str(alone), "--log-level", "error"]) == 0
    for name in STREAMS:
        original = (session / "analytics" / f"{name}.jsonl").read_bytes()
        assert original, name
        assert (alone / "analytics" / f"{name}.jsonl").read_bytes() == original, name
    # And again, over the existing files: the same bytes, no temporary file left behind.
    write_analytics(alone)
    assert sorted(p.name for p in (alone / "analytics").iterdir()) == sorted(f"{n}.jsonl" for n in STREAMS)
    assert all((alone / "analytics" / f"{n}.jsonl").read_bytes() == (session / "analytics" / f"{n}.jsonl").read_bytes()
               for n in STREAMS)  # fmt: skip


def test_every_stream_has_its_records(session: Path) -> None:
    events = list(read_events(session / "events.log"))
    cycles = [e for e in events if isinstance(e, QuoteCycle)]
    fills = [e for e in events if isinstance(e, Fill)]
    assert len(lines(session, "signal_contributions")) == len(cycles) > 800
    assert len(lines(session, "edge_validation")) == len(fills) > 100
    assert [r["signal"] for r in lines(session, "signal_pnl")] == list(SIGNALS)
    data = collect(session)
    minutes = int((data.end_ns - data.start_ns) / 1e9 // SHARPE_INTERVAL_S)
    assert len(lines(session, "sharpe_metrics")) == minutes == DURATION_S // 60 - 1
    exp = lines(session, "experiences")
    assert len(exp) == len(cycles)
    assert [e["done"] for e in exp].count(True) == 1 and exp[-1]["done"] and exp[-1]["next_state"] is None
    for a, b in zip(exp, exp[1:], strict=False):
        assert a["next_state"] == b["state"]
    assert set(exp[0]) == {"cycle", "state", "action", "reward", "next_state", "done"}
    assert {"mid", "sigma", "kappa", "regime", "book_imbalance", "position"} <= set(exp[0]["state"])


def test_signal_decomposition_reproduces_the_quoted_half_spread(session: Path) -> None:
    rows = lines(session, "signal_contributions")
    for row in rows:
        assert abs(row["residual_bps"]) < 1e-9
        parts = sum(s["spread_bps"] for s in row["signals"])
        assert parts == pytest.approx(row["half_spread_bps"], abs=1e-9)
        assert [s["signal"] for s in row["signals"]] == list(SIGNALS)
    # The base GLFT spread is always on; the inventory skew whenever there is inventory.
    assert all(r["signals"][0]["active"] for r in rows)
    assert any(r["signals"][-1]["active"] for r in rows)


def test_signal_pnl_adds_up_and_rewards_telescope(session: Path) -> None:
    exp = lines(session, "experiences")
    total = sum(e["reward"] for e in exp)
    first = exp[0]["state"]["pnl_total"]
    # Recompute the mark-to-market at the end from the fills alone.
    data = collect(session)
    position = cash = fees = 0.0
    for f in data.fills:
        s = f.sz if f.side == "buy" else -f.sz
        position += s
        cash -= s * f.px
        fees += data.config.fees.maker * f.sz * f.px
    assert first + total == pytest.approx(cash + position * data.mids[-1] - fees, abs=1e-6)
    for row in lines(session, "signal_pnl"):
        assert row["pnl_active"] + row["pnl_inactive"] == pytest.approx(total, abs=1e-6)
        assert row["cycles_active"] + row["cycles_inactive"] == len(exp)
    glft = lines(session, "signal_pnl")[0]
    assert glft["cycles_inactive"] == 0 and glft["marginal_value_per_hour"] is None


def test_sharpe_windows_match_numpy(session: Path) -> None:
    import numpy as np

    rows = lines(session, "sharpe_metrics")
    returns = np.array([r["return_bps"] for r in rows])
    last = rows[-1]
    for window in ("1h", "24h", "7d", "all"):  # a 15-minute session: every window is all of it
        w = last[window]
        assert w["samples"] == len(returns)
        assert w["mean_bps"] == pytest.approx(float(np.mean(returns)))
        assert w["std_bps"] == pytest.approx(float(np.std(returns, ddof=1)))
        expected = np.mean(returns) / np.std(returns, ddof=1) * math.sqrt(365 * 86400 / 60)
        assert w["sharpe"] == pytest.approx(float(expected))
    assert rows[0]["all"]["samples"] == 1 and rows[0]["all"]["sharpe"] is None


def test_edge_validation_phases(session: Path) -> None:
    rows = lines(session, "edge_validation")
    markouts = {m.fill: m for m in read_events(session / "events.log") if isinstance(m, Markout)}
    fee = collect(session).config.fees.maker * 1e4
    marked = 0
    for row in rows:
        assert set(row) >= {"placed", "filled", "marked_out", "oid", "side", "level"}
        for phase in ("placed", "filled", "marked_out"):
            p = row[phase]
            if p is None or None in (p["spread_bps"], p["adverse_bps"]):
                continue  # no prediction yet (before the first Estimates)
            assert p["edge_bps"] == pytest.approx(p["spread_bps"] - p["adverse_bps"] - fee)
        m = markouts.get(row["fill"])
        if m is not None:
            marked += 1
            i = m.horizons_s.index(5.0)
            assert row["marked_out"]["adverse_bps"] == pytest.approx(-m.bps[i])
            assert row["filled"]["spread_bps"] == row["marked_out"]["spread_bps"]
    assert marked > 0.9 * len(rows)


def test_analytics_command_refuses_a_missing_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analytics", str(tmp_path / "nope"), "--log-level", "error"]) == 1
    assert "no such session" in capsys.readouterr().err
