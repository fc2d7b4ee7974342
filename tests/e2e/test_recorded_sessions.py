"""Paper sessions on every real recording shipped in ../shared/data/hyperliquid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replay.verify import verify_session
from tests.conftest import SHARED_DATA
from tests.e2e.helpers import papermm

DATASETS = {
    "ws_csv": ("ws_csv_20250904_btc_eth_sol_wlfi", True),
    "s3_archive": ("s3_archive_l2book_btc_20240101_h12/BTC.lz4", False),
    "node_fills": ("node_fills_by_block_20251027_sample/node_fills_by_block_20251027_1700_sample.jsonl.gz", True),
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_paper_session_on_real_recording(tmp_path: Path, name: str) -> None:
    relative, has_trades = DATASETS[name]
    source = SHARED_DATA / relative
    assert source.exists(), f"missing shared data {source}"
    # Real BTC trades print within a fraction of a bp of the mid: the synthetic default
    # kappa prior (500, ~20 bps half spread) and the default spread profile (40-50 bps at
    # the touch) would rest where real flow never reaches, so GLFT quotes unbounded here.
    proc = papermm("paper", "--feed", f"recording:{source}", "--speed", "max", "--duration", "0", "--json",
                   "--data-dir", str(tmp_path), "--set", "quote.kappa_prior=20000", "--spread-profile", "glft",
                   check=True)
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
    a = json.loads(papermm("paper", "--feed", f"recording:{source}", "--duration", "0", "--json",
                           "--data-dir", str(tmp_path / "a"), check=True).stdout)
    b = json.loads(papermm("paper", "--feed", f"recording:{out}", "--duration", "0", "--json",
                           "--data-dir", str(tmp_path / "b"), check=True).stdout)
    for key in ("market_events", "quote_cycles", "orders_placed", "fills", "pnl", "position"):
        assert a[key] == b[key], key


def test_unknown_recording_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.txt"
    bogus.write_text("hello\n")
    proc = papermm("paper", "--feed", f"recording:{bogus}", "--data-dir", str(tmp_path))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and str(bogus) in proc.stderr
