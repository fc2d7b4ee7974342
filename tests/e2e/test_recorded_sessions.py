"""Paper sessions on every real recording shipped in ../shared/data/hyperliquid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replay.verify import verify_session
from tests.conftest import SHARED_DATA
from tests.e2e.helpers import papermm

# name: (path under ../shared/data/hyperliquid, has trades, extra flags)
DATASETS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "ws_csv": ("ws_csv_20250904_btc_eth_sol_wlfi", True, ()),
    "s3_archive": ("s3_archive_l2book_btc_20240101_h12/BTC.lz4", False, ()),
    # 79 s of trades and no book: nothing to learn volatility from in the observation
    # window, so it needs a prior that says where real BTC trades print (within a bp).
    "node_fills": (
        "node_fills_by_block_20251027_sample/node_fills_by_block_20251027_1700_sample.jsonl.gz",
        True,
        ("--set", "quote.kappa_prior=20000", "--spread-profile", "glft"),
    ),
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_paper_session_on_real_recording(tmp_path: Path, name: str) -> None:
    relative, has_trades, flags = DATASETS[name]
    source = SHARED_DATA / relative
    assert source.exists(), f"missing shared data {source}"
    proc = papermm("paper", "--feed", f"recording:{source}", "--speed", "max", "--duration", "0", "--json",
                   "--data-dir", str(tmp_path), *flags, check=True)  # fmt: skip
    summary = json.loads(proc.stdout)
    assert summary["end_reason"] == "end_of_feed"
    assert summary["quote_cycles"] > 0 and summary["orders_placed"] > 0
    if has_trades:
        assert summary["fills"] > 0
    verdict = verify_session(summary["session_dir"])
    assert verdict.identical, verdict.divergence
    cli = papermm("replay", summary["session_dir"], "--verify", check=True)
    assert cli.stdout.startswith("identical:")


def test_converted_recording_gives_the_same_session(tmp_path: Path) -> None:
    source = SHARED_DATA / DATASETS["ws_csv"][0]
    out = tmp_path / "btc.jsonl.zst"
    papermm("convert", str(source), "--asset", "BTC", "--out", str(out), check=True)
    a = json.loads(
        papermm(
            "paper",
            "--feed",
            f"recording:{source}",
            "--duration",
            "0",
            "--json",
            "--data-dir",
            str(tmp_path / "a"),
            check=True,
        ).stdout
    )
    b = json.loads(
        papermm(
            "paper",
            "--feed",
            f"recording:{out}",
            "--duration",
            "0",
            "--json",
            "--data-dir",
            str(tmp_path / "b"),
            check=True,
        ).stdout
    )
    for key in ("market_events", "quote_cycles", "orders_placed", "fills", "pnl", "position"):
        assert a[key] == b[key], key


def test_unknown_recording_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.txt"
    bogus.write_text("hello\n")
    proc = papermm("paper", "--feed", f"recording:{bogus}", "--data-dir", str(tmp_path))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and str(bogus) in proc.stderr
