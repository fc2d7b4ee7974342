"""Hyperliquid's ``node_fills_by_block`` stream: every fill of every coin, grouped by block.

One JSON line per block, ``{"block_time": "<UTC>", "events": [[user, fill], ...]}``.
Each trade appears twice, once per side (maker and taker share a ``tid``); the reader
pairs them back into the one trade the ``trades`` channel would have sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import msgspec

from actors.feeds.frames import FrameParser
from actors.feeds.rejections import classify_validation_error
from actors.feeds.stamped_lines import stamped_lines
from actors.feeds.wire_builders import NO_USER, trades_frame, wire_trade
from events import Event


class _Block(msgspec.Struct, frozen=True):
    block_time: str
    events: list[tuple[str, msgspec.Raw]]


class _Fill(msgspec.Struct, frozen=True):
    coin: str
    px: str
    sz: str
    side: str
    time: int
    crossed: bool
    tid: int


class _FillCoin(msgspec.Struct, frozen=True):
    coin: str


_BLOCK = msgspec.json.Decoder(_Block)
_FILL = msgspec.json.Decoder(_Fill)
_FILL_COIN = msgspec.json.Decoder(_FillCoin)
_OPPOSITE: Final = {"B": "A", "A": "B"}
_json = msgspec.json.Encoder()


def _block_trades(
    coin: str, fills: list[tuple[str, _Fill]], recv_ns: int, parser: FrameParser
) -> tuple[list[dict[str, Any]], list[Event]]:
    """Pair the maker and taker rows of each tid into one wire trade (aggressor = taker)."""
    by_tid: dict[int, list[tuple[str, _Fill]]] = {}
    for user, fill in fills:
        by_tid.setdefault(fill.tid, []).append((user, fill))
    trades: list[dict[str, Any]] = []
    rejected: list[Event] = []
    for tid, rows in by_tid.items():  # insertion order: the block's own fill order
        takers = [fill for _, fill in rows if fill.crossed]
        if len(rows) > 2 or len(takers) > 1 or (len(rows) == 2 and not takers):
            detail = _json.encode([[user, msgspec.to_builtins(fill)] for user, fill in rows])
            reason = f"tid {tid}: {len(rows)} fill rows, {len(takers)} taker, want one maker and one taker"
            rejected.append(parser.reject(recv_ns, "bad_row", reason, detail))
            continue
        first = rows[0][1]
        # A lone maker row (its taker half elsewhere): the aggressor took the other side.
        side = takers[0].side if takers else _OPPOSITE.get(first.side, first.side)
        buyer = next((user for user, fill in rows if fill.side == "B"), NO_USER)
        seller = next((user for user, fill in rows if fill.side == "A"), NO_USER)
        trades.append(wire_trade(coin, side, first.px, first.sz, first.time, tid, (buyer, seller)))
    return trades, rejected


def read_node_fills(path: Path, parser: FrameParser) -> Iterator[Event]:
    """One trade per tid of the session coin, stamped with the block time."""
    coin = parser.coin
    # A fill of ours must contain the coin as a JSON string: skip the others undecoded.
    needle = _json.encode(coin)
    for item in stamped_lines(path, parser, _BLOCK.decode, lambda b: b.block_time, "block time"):
        if not isinstance(item, tuple):
            yield item
            continue
        block, recv_ns = item
        fills: list[tuple[str, _Fill]] = []
        for user, raw_fill in block.events:
            raw = bytes(raw_fill)
            if needle not in raw:
                continue
            try:
                fill = _FILL.decode(raw)
            except msgspec.ValidationError as exc:
                try:
                    theirs = _FILL_COIN.decode(raw).coin != coin
                except msgspec.ValidationError:
                    theirs = False
                if not theirs:
                    yield parser.reject(recv_ns, classify_validation_error(exc), f"fill: {exc}", raw)
                continue
            if fill.coin == coin:
                fills.append((user, fill))
        if not fills:
            continue
        trades, rejected = _block_trades(coin, fills, recv_ns, parser)
        yield from rejected
        if trades:
            yield from parser.parse(trades_frame(trades), recv_ns)
