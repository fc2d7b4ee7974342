"""The recorder's file format: one JSON line per raw websocket frame.

Each line is ``{"recv_ns": <int>, "frame": "<the raw text frame>"}``. A name ending in
``.zst`` means the lines are zstd-compressed, written and read as a stream so a
recording never has to fit in memory. The writer flushes whole zstd blocks, so after a
crash everything up to the last flush decodes and only the torn last line is lost; the
reader skips that line and says so in the log rather than failing. ``read_recorder``
turns a file back into events through the session's ``FrameParser``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Final

import msgspec
import structlog
import zstandard

from actors.feeds.frames import FrameParser
from events import Event


def _log() -> structlog.typing.FilteringBoundLogger:
    # A fresh proxy per (rare) message: a logger cached at first use would ignore a later
    # structlog.configure, such as the one capture_logs() does in tests.
    return structlog.get_logger(__name__)  # type: ignore[no-any-return]


ZSTD_SUFFIX: Final = ".zst"
ZSTD_MAGIC: Final = b"\x28\xb5\x2f\xfd"
_ZSTD_LEVEL: Final = 3
_CHUNK: Final = 1 << 16


class RecordingError(Exception):
    """A recording cannot be read or written (missing, unknown format, corrupt)."""


class RecordedFrame(msgspec.Struct, frozen=True, gc=False):
    """One line of a recorder file."""

    recv_ns: int
    frame: str


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(RecordedFrame)


def is_zstd_name(path: str | os.PathLike[str]) -> bool:
    """Whether the recorder compresses a file of this name."""
    return os.fspath(path).endswith(ZSTD_SUFFIX)


class RecorderWriter:
    """Appends frames to a new recorder file; ``close`` flushes and fsyncs it.

    Writes go straight to the final name (a recorder that dies keeps what it wrote).
    An existing file is refused unless ``overwrite``: appending to a possibly torn file
    would glue a new line (or zstd frame) onto a broken one.
    """

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        try:
            self._file: IO[bytes] = open(self.path, "wb" if overwrite else "xb")  # noqa: SIM115
        except FileExistsError:
            raise RecordingError(f"{self.path}: already exists (pass overwrite to replace it)") from None
        except OSError as exc:
            raise RecordingError(f"{self.path}: cannot create: {exc.strerror}") from None
        self._zstd: zstandard.ZstdCompressionWriter | None = None
        if is_zstd_name(self.path):
            compressor = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
            self._zstd = compressor.stream_writer(self._file, closefd=False)
        self._buffer = bytearray()
        self.frames = 0
        self.closed = False

    def append(self, recv_ns: int, frame: str | bytes) -> None:
        """Add one frame received at ``recv_ns`` (bytes are decoded as UTF-8)."""
        if self.closed:
            raise RecordingError(f"{self.path}: append after close")
        if not isinstance(frame, str):
            frame = frame.decode("utf-8", "replace")
        try:
            line = _encoder.encode(RecordedFrame(recv_ns=recv_ns, frame=frame))
        except UnicodeEncodeError:  # lone surrogates cannot be UTF-8: keep the rest of the frame
            frame = frame.encode("utf-8", "replace").decode("utf-8")
            line = _encoder.encode(RecordedFrame(recv_ns=recv_ns, frame=frame))
        self._buffer += line
        self._buffer += b"\n"
        self.frames += 1
        if len(self._buffer) >= _CHUNK:
            self._drain()

    def flush(self) -> None:
        """Push everything appended so far to the OS, as whole lines (and whole zstd blocks)."""
        self._drain()
        if self._zstd is not None:
            self._zstd.flush(zstandard.FLUSH_BLOCK)
        self._file.flush()

    def close(self) -> None:
        """Finish the file and fsync it; closing twice is harmless."""
        if self.closed:
            return
        self._drain()
        if self._zstd is not None:
            self._zstd.flush(zstandard.FLUSH_FRAME)
            self._zstd.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self.closed = True

    def __enter__(self) -> RecorderWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _drain(self) -> None:
        if not self._buffer:
            return
        if self._zstd is not None:
            self._zstd.write(self._buffer)
        else:
            self._file.write(self._buffer)
        self._buffer.clear()


def _chunks(raw: IO[bytes], path: Path, zstd: bool) -> Iterator[bytes]:
    """Decompressed chunks of a file. A zstd stream cut short yields all it can, then ends.

    (``decompressobj`` rather than ``stream_reader``: the reader drops output it has
    already decoded when the last frame is incomplete, which is what a crash leaves.)
    """
    decompressor = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True) if zstd else None
    while True:
        chunk = raw.read(_CHUNK)
        if not chunk:
            return
        if decompressor is None:
            yield chunk
            continue
        try:
            yield decompressor.decompress(chunk)
        except zstandard.ZstdError as exc:
            _log().warning("recorder_stream_corrupt", path=str(path), error=str(exc))
            return


def _lines(raw: IO[bytes], path: Path, zstd: bool) -> Iterator[bytes]:
    """Lines with their ending; the last one lacks ``\\n`` when the file was torn."""
    pending = b""
    for chunk in _chunks(raw, path, zstd):
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line + b"\n"
    if pending:
        yield pending


def iter_recorder(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """The ``(recv_ns, frame)`` pairs of a recorder file (plain or zstd), in file order.

    A torn last line (no newline, not valid JSON: the recorder died mid-write) is
    skipped and logged as ``recorder_torn_tail``. A bad line anywhere else means the
    file was damaged some other way and raises ``RecordingError``.
    """
    file_path = Path(path)
    try:
        raw = open(file_path, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise RecordingError(f"{file_path}: no such recording") from None
    except OSError as exc:
        raise RecordingError(f"{file_path}: cannot open: {exc.strerror}") from None
    with raw:
        # Sniffed rather than trusted from the name, so a renamed file still reads.
        zstd = raw.read(4) == ZSTD_MAGIC
        raw.seek(0)
        for number, line in enumerate(_lines(raw, file_path, zstd), start=1):
            if not line.strip():
                continue
            try:
                record = _decoder.decode(line)
            except (msgspec.DecodeError, UnicodeError) as exc:
                if not line.endswith(b"\n"):
                    _log().warning("recorder_torn_tail", path=str(file_path), line=number, bytes=len(line))
                    return
                raise RecordingError(f"{file_path}: line {number} is not a recorder line: {exc}") from None
            yield record.recv_ns, record.frame


def read_recorder(path: Path, parser: FrameParser) -> Iterator[Event]:
    """Events of a recorder file: each frame, parsed as received at its ``recv_ns``."""
    for recv_ns, frame in iter_recorder(path):
        yield from parser.parse(frame, recv_ns)
