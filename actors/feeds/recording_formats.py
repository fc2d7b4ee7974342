"""Which format a recording is in, from its name and its first line.

Formats (see ../shared/data/hyperliquid/README.md), each read by a module of its own
that rebuilds the websocket frames and hands them to the session's ``FrameParser``:

- ``recorder``: ``papermm record``'s JSON lines of raw frames (``recorder_file``).
- ``s3_archive``: Hyperliquid's S3 ``l2Book`` archive (``s3_archive``).
- ``csv``: a directory of book, bbo and trades CSV files (``csv_directory``).
- ``node_fills``: the ``node_fills_by_block`` stream (``node_fills``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Literal

import msgspec

from actors.feeds.compressed_streams import (
    first_line,
)
from actors.feeds.recorder_file import RecordingError

RecordingFormat = Literal["recorder", "s3_archive", "csv", "node_fills"]
_CSV_FILE: Final = re.compile(r"^(orderbooks|prices|trades)_(.+)\.csv(\.gz)?$")


def _keys_of(line: bytes) -> frozenset[str]:
    try:
        value = msgspec.json.decode(line)
    except (msgspec.DecodeError, UnicodeError):
        return frozenset()
    return frozenset(value) if isinstance(value, dict) else frozenset()


def detect_format(path: Path) -> RecordingFormat:
    """What ``path`` holds, from its name and its first line; ``RecordingError`` if unknown."""
    if not path.exists():
        raise RecordingError(f"{path}: no such recording")
    if path.is_dir() or _CSV_FILE.match(path.name):
        return "csv"
    try:
        line = first_line(path)
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc}") from None
    keys = _keys_of(line)
    if {"recv_ns", "frame"} <= keys:
        return "recorder"
    if {"time", "raw"} <= keys:
        return "s3_archive"
    if {"block_time", "events"} <= keys:
        return "node_fills"
    if not keys and path.name.endswith((".jsonl", ".jsonl.zst")):
        # Empty, or torn before its first line ended: the recorder reader says which.
        return "recorder"
    raise RecordingError(
        f"{path}: unknown recording format (expected a recorder file, an S3 l2Book archive, "
        "a node_fills_by_block file or a CSV directory)"
    )
