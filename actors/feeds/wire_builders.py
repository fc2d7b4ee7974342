"""Hyperliquid websocket frames built back from text cells or events.

The archive formats are flattenings of websocket frames; their readers rebuild each
frame so that one ``FrameParser`` validates everything, and conversion writes events
back as frames. Prices and sizes stay exactly as on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec
import numpy as np

ZERO_HASH: Final = "0x" + "0" * 64
NO_USER: Final = "0x" + "0" * 40
#: The CSV flattening dropped the order count of each level; a level has at least one.
SYNTHETIC_ORDER_COUNT: Final = 1

_json = msgspec.json.Encoder()


def format_decimal(value: float) -> str:
    """A float as the wire writes numbers: positional, shortest round-trip digits."""
    text = repr(value)
    if "e" in text or "E" in text:
        text = np.format_float_positional(value, unique=True, trim="0")
    return text


def _level(px: str, sz: str) -> dict[str, Any]:
    return {"px": px, "sz": sz, "n": SYNTHETIC_ORDER_COUNT}


def book_frame(
    coin: str, time_ms: int, bids: Iterable[tuple[str, str]], asks: Iterable[tuple[str, str]]
) -> bytes:
    """An ``l2Book`` frame; levels are ``(px, sz)`` text pairs, best first."""
    levels = [[_level(px, sz) for px, sz in bids], [_level(px, sz) for px, sz in asks]]
    return _json.encode({"channel": "l2Book", "data": {"coin": coin, "time": time_ms, "levels": levels}})


def bbo_frame(coin: str, time_ms: int, bid: tuple[str, str] | None, ask: tuple[str, str] | None) -> bytes:
    """A ``bbo`` frame; an empty side is ``null`` as on the wire."""
    sides = [None if side is None else _level(*side) for side in (bid, ask)]
    return _json.encode({"channel": "bbo", "data": {"coin": coin, "time": time_ms, "bbo": sides}})


def wire_trade(
    coin: str,
    side: str,
    px: str,
    sz: str,
    time_ms: int,
    tid: int | str,
    users: tuple[str, str] = (NO_USER, NO_USER),
    hash_: str = ZERO_HASH,
) -> dict[str, Any]:
    """One element of a ``trades`` frame (``hash`` all zeros, as the wire sometimes has it)."""
    return {
        "coin": coin,
        "side": side,
        "px": px,
        "sz": sz,
        "time": time_ms,
        "hash": hash_,
        "tid": tid,
        "users": list(users),
    }


def trades_frame(trades: Sequence[dict[str, Any]]) -> bytes:
    """A ``trades`` frame from ``wire_trade`` elements, oldest first."""
    return _json.encode({"channel": "trades", "data": list(trades)})


def all_mids_frame(mids: dict[str, str], dex: str = "") -> bytes:
    """An ``allMids`` frame; ``dex`` is written only for a builder dex, as the server does."""
    data: dict[str, Any] = {"mids": mids}
    if dex:
        data["dex"] = dex
    return _json.encode({"channel": "allMids", "data": data})
