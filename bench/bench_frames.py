"""Throughput of ``FrameParser`` on frames built from the real recordings.

Run: ``.venv/bin/python bench/bench_frames.py [repeats]``. Trade frames are the BTC
trades of the CSV recording rebuilt as wire frames, grouped as they were received (one
frame per receive time, like a block's push) with the hash and users the wire carries;
books are the raw 20-level ``l2Book`` frames of the S3 archive. Targets: 100k trade
frames/s, 20k book frames/s.
"""

from __future__ import annotations

import csv
import gzip
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec

from actors.feeds.frames import FrameParser
from actors.feeds.wire_builders import trades_frame, wire_trade

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "hyperliquid"
_SIDES = {"buy": "B", "sell": "A"}
_USERS = ("0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222")
_HASH = "0x5f2c0d1e9a7b4c3d2e1f00a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9"


class _ArchiveLine(msgspec.Struct):
    raw: msgspec.Raw


def trade_frames() -> list[bytes]:
    """BTC trade frames as the socket delivered them (rows sharing a receive time)."""
    groups: dict[str, list[dict[str, object]]] = {}
    with gzip.open(DATA / "ws_csv_20250904_btc_eth_sol_wlfi" / "trades_BTC.csv.gz", "rt", newline="") as f:
        for row in csv.DictReader(f):
            trade = wire_trade(
                "BTC",
                _SIDES[row["side"]],
                row["price"],
                row["size"],
                int(row["exchange_timestamp"]),
                int(row["trade_id"]),
                _USERS,
                _HASH,
            )
            groups.setdefault(row["timestamp"], []).append(trade)
    return [trades_frame(trades) for trades in groups.values()]


def book_frames() -> list[bytes]:
    """The raw l2Book frames of the S3 archive (20 levels a side)."""
    decoder = msgspec.json.Decoder(_ArchiveLine)
    path = DATA / "s3_archive_l2book_btc_20240101_h12" / "BTC.jsonl.gz"
    with gzip.open(path, "rb") as f:
        return [bytes(decoder.decode(line).raw) for line in f]


def frames_per_second(frames: Sequence[bytes], repeats: int) -> tuple[float, int]:
    """Best-of-``repeats`` parse rate with a fresh parser per pass; also the events of a pass."""
    best = float("inf")
    events = 0
    for _ in range(repeats):
        parser = FrameParser("BTC")
        parse = parser.parse
        start = time.perf_counter()
        for recv_ns, frame in enumerate(frames):
            parse(frame, recv_ns)
        best = min(best, time.perf_counter() - start)
        events = parser.statistics().events
    return len(frames) / best, events


def main(argv: Sequence[str]) -> None:
    repeats = int(argv[1]) if len(argv) > 1 else 5
    for name, frames in (("trades", trade_frames()), ("l2Book 20 levels", book_frames())):
        rate, events = frames_per_second(frames, repeats)
        size = sum(len(frame) for frame in frames) / len(frames)
        print(
            f"{name:>17}: {rate:10,.0f} frames/s  ({len(frames):,} frames of {size:,.0f} B avg, "
            f"{events:,} events a pass)"
        )


if __name__ == "__main__":
    main(sys.argv)
