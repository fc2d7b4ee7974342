"""The append-only event log: framed, checksummed records in one file per session.

Layout: an 8-byte magic header, then records ``[u32 length][u32 crc32][msgpack payload]``.
The record's sequence number is its position in the file (SessionStarted is seq 0).
A crash can leave a torn last record; opening the log detects it, reports it and cuts
the file back to the last whole record. A bad checksum followed by more whole records is
corruption, not a torn tail, and is refused rather than silently dropped.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import attrs
import structlog

from events.base import Event
from events.codec import decoder, encoder

MAGIC = b"PMMLOG\x00\x01"
_HEADER = struct.Struct("<II")
HEADER_SIZE = _HEADER.size
_READ_CHUNK = 1 << 20

log = structlog.get_logger("papermm.log")


class LogError(Exception):
    """The log cannot be read: missing, not a papermm log, or corrupted mid-file."""


@attrs.frozen
class TornTail:
    """What opening a log cut off its end."""

    path: str
    valid_records: int
    valid_bytes: int
    cut_bytes: int
    reason: str


@attrs.frozen
class ScanResult:
    records: int
    valid_bytes: int
    file_bytes: int
    torn: TornTail | None


def _check_magic(head: bytes, path: Path) -> None:
    if head != MAGIC:
        raise LogError(f"{path}: not a papermm event log (bad magic {head[:8]!r})")


def _walk(fh: BinaryIO, path: Path, size: int) -> Iterator[tuple[int, memoryview]]:
    """Yield (offset, payload) of each whole record with a good checksum.

    A bad checksum in the final record, or an incomplete final record, ends the walk
    (a torn tail); a bad checksum with more data after it raises LogError.
    """
    crc32 = zlib.crc32
    unpack_from = _HEADER.unpack_from
    rest = b""
    consumed = len(MAGIC)
    while chunk := fh.read(_READ_CHUNK):
        buf = rest + chunk if rest else chunk
        mv = memoryview(buf)
        n = len(buf)
        off = 0
        while off + HEADER_SIZE <= n:
            length, crc = unpack_from(buf, off)
            start = off + HEADER_SIZE
            end = start + length
            if end > n:
                break
            payload = mv[start:end]
            if crc32(payload) != crc:
                if consumed + end < size:
                    raise LogError(
                        f"{path}: record at byte {consumed + off} fails its checksum and is "
                        "followed by more data: the log is corrupted, not torn"
                    )
                return
            yield consumed + off, payload
            off = end
        consumed += off
        rest = buf[off:]


def _open_log(path: Path) -> tuple[BinaryIO, int]:
    """Open a log for reading, past its checked magic header; also return its size."""
    try:
        size = path.stat().st_size
        fh = open(path, "rb")  # noqa: SIM115 - the caller owns and closes it
    except FileNotFoundError:
        raise LogError(f"{path}: no such event log") from None
    try:
        _check_magic(fh.read(len(MAGIC)), path)
    except LogError:
        fh.close()
        raise
    return fh, size


def scan(path: str | Path) -> ScanResult:
    """Walk every frame and its checksum without decoding; find a torn tail if any."""
    path = Path(path)
    fh, size = _open_log(path)
    with fh:
        records = 0
        valid = len(MAGIC)
        for offset, payload in _walk(fh, path, size):
            records += 1
            valid = offset + HEADER_SIZE + len(payload)
    if valid < size:
        # Distinguish a half-written frame from a whole frame whose checksum failed.
        reason = "incomplete last record"
        with open(path, "rb") as fh:
            fh.seek(valid)
            head = fh.read(HEADER_SIZE)
        if len(head) == HEADER_SIZE and valid + HEADER_SIZE + _HEADER.unpack(head)[0] == size:
            reason = "checksum mismatch in the last record"
        return ScanResult(records, valid, size, TornTail(str(path), records, valid, size - valid, reason))
    return ScanResult(records, valid, size, None)


def _ends_whole(path: Path) -> bool:
    """True when the frames' lengths tile the file exactly and the last frame's checksum
    holds: the log has no torn tail. Cheap (one header per record, one checksum), so that
    opening a log does not read it twice; a False sends the caller to the full ``scan``,
    which tells a torn tail from corruption. Corruption that keeps the framing is caught
    by every reader's checksums."""
    fh, size = _open_log(path)
    with fh:
        if size == len(MAGIC):
            return True
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            unpack_from = _HEADER.unpack_from
            off = len(MAGIC)
            last = off
            limit = size - HEADER_SIZE
            while off <= limit:
                last = off
                off += HEADER_SIZE + unpack_from(mm, off)[0]
            if off != size:
                return False
            length, crc = unpack_from(mm, last)
            return zlib.crc32(mm[last + HEADER_SIZE : last + HEADER_SIZE + length]) == crc


def repair(path: str | Path) -> TornTail | None:
    """Cut a torn tail back to the last whole record; report what was cut."""
    path = Path(path)
    if _ends_whole(path):
        return None
    result = scan(path)
    if result.torn is not None:
        with open(path, "r+b") as fh:
            fh.truncate(result.valid_bytes)
            fh.flush()
            os.fsync(fh.fileno())
        log.warning(
            "torn_tail_cut",
            path=str(path),
            kept_records=result.torn.valid_records,
            cut_bytes=result.torn.cut_bytes,
            reason=result.torn.reason,
        )
    return result.torn


def iter_payloads(path: str | Path) -> Iterator[memoryview]:
    """Yield each whole record's payload (checksum verified); stop at a torn tail.

    Streams the file in 1 MiB chunks, so memory stays flat for any log size.
    """
    path = Path(path)
    fh, size = _open_log(path)
    with fh:
        for _offset, payload in _walk(fh, path, size):
            yield payload


def read_events(path: str | Path) -> Iterator[Event]:
    """Decode every whole record in order (the log's ``select``)."""
    decode = decoder().decode
    for payload in iter_payloads(path):
        yield decode(payload)


class EventLogWriter:
    """Appends framed records to a session log through an in-memory buffer.

    ``append`` only encodes into the buffer (cheap and synchronous, so the sequencer never
    waits on disk); ``flush`` writes the buffer out. The runtime flushes on a wall-clock
    timer and on shutdown; a buffer over ``max_buffer`` bytes is flushed at once, so the
    log never drops a record and memory stays bounded.
    """

    def __init__(self, path: str | Path, *, max_buffer: int = 8 << 20) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists:
            result = scan(self.path)
            repair(self.path)
            self.records = result.records
        else:
            self.records = 0
        self._fh = open(self.path, "ab")
        if not exists:
            self._fh.write(MAGIC)
        self._buf = bytearray()
        self._max_buffer = max_buffer
        self._encode_into = encoder().encode_into
        self.bytes_written = 0

    def append(self, event: Event) -> int:
        """Buffer one record; return its sequence number."""
        buf = self._buf
        start = len(buf)
        self._encode_into(event, buf, start + HEADER_SIZE)
        payload = memoryview(buf)[start + HEADER_SIZE :]
        crc = zlib.crc32(payload)
        payload.release()
        _HEADER.pack_into(buf, start, len(buf) - start - HEADER_SIZE, crc)
        seq = self.records
        self.records = seq + 1
        if len(buf) >= self._max_buffer:
            self.flush()
        return seq

    def flush(self, *, fsync: bool = False) -> None:
        """Write buffered records to the file."""
        if self._buf:
            self._fh.write(self._buf)
            self.bytes_written += len(self._buf)
            self._buf.clear()
        self._fh.flush()
        if fsync:
            os.fsync(self._fh.fileno())

    @property
    def pending_bytes(self) -> int:
        return len(self._buf)

    def close(self) -> None:
        """Flush, fsync and close."""
        if not self._fh.closed:
            self.flush(fsync=True)
            self._fh.close()

    def __enter__(self) -> EventLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
