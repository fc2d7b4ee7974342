"""Hyperliquid's S3 archive of ``l2Book`` frames (``market_data/<date>/<hour>/l2Book/<COIN>.lz4``).

JSON lines ``{"time": "<UTC receive time, ns digits>", "ver_num": 1, "raw": <l2Book
frame>}``, LZ4-compressed as published or re-gzipped; ``raw`` is the websocket frame
exactly as received.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec

from actors.feeds.frames import FrameParser
from actors.feeds.stamped_lines import stamped_lines
from events import Event


class _ArchiveLine(msgspec.Struct, frozen=True):
    time: str
    raw: msgspec.Raw


_ARCHIVE = msgspec.json.Decoder(_ArchiveLine)


def read_s3_archive(path: Path, parser: FrameParser) -> Iterator[Event]:
    """Events of an S3 ``l2Book`` archive: each ``raw`` frame, received at the outer ``time``."""
    for item in stamped_lines(path, parser, _ARCHIVE.decode, lambda r: r.time, "receive time"):
        if isinstance(item, tuple):
            record, recv_ns = item
            yield from parser.parse(bytes(record.raw), recv_ns)
        else:
            yield item
