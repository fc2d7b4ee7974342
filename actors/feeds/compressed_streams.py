"""Reading recording files whatever their compression (gzip, LZ4, zstd or none), as streams.

A recording cut short (a download or a recorder that stopped mid-write) is read up to
the damage, with a ``recording_truncated`` warning, never an error: what came before
is still good data.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final, TypeVar

import lz4.frame
import structlog
import zstandard

from actors.feeds.recorder_file import ZSTD_MAGIC

_T = TypeVar("_T")


def _log() -> structlog.typing.FilteringBoundLogger:
    # A fresh proxy per (rare) message: a logger cached at first use would ignore a later
    # structlog.configure, such as the one capture_logs() does in tests.
    return structlog.get_logger(__name__)  # type: ignore[no-any-return]


GZIP_MAGIC: Final = b"\x1f\x8b"
LZ4_MAGIC: Final = b"\x04\x22\x4d\x18"

#: Errors a compressed stream raises when the file was cut short or is damaged.
STREAM_ERRORS: Final = (EOFError, OSError, RuntimeError, zlib.error, zstandard.ZstdError)


def sniff_compression(path: Path) -> str:
    """``gzip``, ``zstd``, ``lz4`` or ``none``, from the file's first bytes."""
    with open(path, "rb") as file:
        head = file.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head == ZSTD_MAGIC:
        return "zstd"
    if head == LZ4_MAGIC:
        return "lz4"
    return "none"


@contextmanager
def open_decompressed(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed as a stream whatever the compression."""
    kind = sniff_compression(path)
    with open(path, "rb") as raw:
        stream: IO[bytes]
        if kind == "gzip":
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        elif kind == "lz4":
            stream = lz4.frame.LZ4FrameFile(raw, mode="rb")
        elif kind == "zstd":
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            stream = io.BufferedReader(reader)  # type: ignore[arg-type]
        else:
            stream = raw
        with stream:
            yield stream


def read_until_cut_short(
    path: Path,
    items_of: Callable[[IO[bytes]], Iterator[_T]],
    errors: tuple[type[Exception], ...] = STREAM_ERRORS,
) -> Iterator[_T]:
    """The items ``items_of`` reads from the decompressed file, up to the first of ``errors``.

    Such an error means the stream was cut short or damaged: it ends the items with a
    ``recording_truncated`` warning instead of raising.
    """
    with open_decompressed(path) as stream:
        items = items_of(stream)
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except errors as exc:
                _log().warning("recording_truncated", path=str(path), error=str(exc))
                return
            yield item


def iter_lines(path: Path) -> Iterator[bytes]:
    """The lines of a (compressed) file; a stream cut short ends with a warning, not an error."""
    return read_until_cut_short(path, iter)


def first_line(path: Path) -> bytes:
    """The first line of a (compressed) file, or b"" when it has none."""
    for line in iter_lines(path):
        return line
    return b""
