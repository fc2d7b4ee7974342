"""Recordings as event streams: opening one in its format, and conversion to the recorder format.

``open_recording`` looks at a path, decides what it holds and returns an iterator of
the session coin's external events in non-decreasing ``ts`` order; everything goes
through one ``FrameParser``, so bad input becomes ``InputRejected`` the same way as on
a live socket. ``convert_recording`` writes any of them as a recorder file whose
frames parse back to the same market events.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import structlog

from actors.feeds.csv_directory import check_csv_header, csv_paths, read_csv_directory
from actors.feeds.frames import FrameParser
from actors.feeds.node_fills import read_node_fills
from actors.feeds.parser_statistics import ParserStatistics
from actors.feeds.recorder_file import RecorderWriter, RecordingError, read_recorder
from actors.feeds.recording_formats import RecordingFormat, detect_format
from actors.feeds.s3_archive import read_s3_archive
from actors.feeds.wire_builders import (
    all_mids_frame,
    bbo_frame,
    book_frame,
    format_decimal,
    trades_frame,
    wire_trade,
)
from events import Bbo, BookSnapshot, Event, InputRejected, Mids, Trade
from events.base import MS_NS

__all__ = ["Recording", "RecordingError", "RecordingFormat", "convert_recording", "open_recording"]


def _log() -> structlog.typing.FilteringBoundLogger:
    # A fresh proxy per (rare) message: a logger cached at first use would ignore a later
    # structlog.configure, such as the one capture_logs() does in tests.
    return structlog.get_logger(__name__)  # type: ignore[no-any-return]


class Recording(Iterator[Event]):
    """The events of one recording, read lazily; ``statistics()`` counts what the parser saw."""

    def __init__(
        self, path: Path, fmt: RecordingFormat, parser: FrameParser, events: Iterator[Event]
    ) -> None:
        self.path = path
        self.format = fmt
        self._parser = parser
        self._events = events

    def __next__(self) -> Event:
        return next(self._events)

    def statistics(self) -> ParserStatistics:
        """Frames, events, duplicates and rejections (by kind) so far."""
        return self._parser.statistics()

    def close(self) -> None:
        """Release the open file early (it is released anyway when the iterator ends)."""
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_recording(path: str | os.PathLike[str], coin: str) -> Recording:
    """The external events of ``coin`` in a recording, in non-decreasing ``ts`` order.

    ``path`` is a recorder file (``.jsonl``, ``.jsonl.zst``), an S3 ``l2Book`` archive
    (``.lz4`` or gzipped JSON lines), a ``node_fills_by_block`` file, or a CSV recording
    directory (or one of its files; the coin comes from the argument). The format and
    the files are checked here, so a bad path fails now with ``RecordingError``.
    """
    source = Path(path)
    fmt = detect_format(source)
    parser = FrameParser(coin)
    events: Iterator[Event]
    if fmt == "csv":
        directory = source if source.is_dir() else source.parent
        paths = csv_paths(directory, coin)
        if not paths:
            raise RecordingError(f"{directory}: no orderbooks/prices/trades CSV files for coin {coin!r}")
        for kind, csv_path in paths.items():
            check_csv_header(kind, csv_path)
        events = read_csv_directory(paths, parser)
        source = directory
    elif fmt == "recorder":
        events = read_recorder(source, parser)
    elif fmt == "s3_archive":
        events = read_s3_archive(source, parser)
    else:
        events = read_node_fills(source, parser)
    return Recording(source, fmt, parser, events)


# --- conversion to the recorder format


def _levels(px: tuple[float, ...], sz: tuple[float, ...]) -> list[tuple[str, str]]:
    return [(format_decimal(p), format_decimal(s)) for p, s in zip(px, sz, strict=True)]


def _side(px: float, sz: float) -> tuple[str, str] | None:
    return None if px == 0.0 and sz == 0.0 else (format_decimal(px), format_decimal(sz))


def event_frame(event: Event) -> bytes | None:
    """The wire frame that carries ``event`` (None for events that are not market data)."""
    if isinstance(event, BookSnapshot):
        bids, asks = _levels(event.bid_px, event.bid_sz), _levels(event.ask_px, event.ask_sz)
        return book_frame(event.coin, event.exchange_ts // MS_NS, bids, asks)
    if isinstance(event, Bbo):
        bid, ask = _side(event.bid_px, event.bid_sz), _side(event.ask_px, event.ask_sz)
        return bbo_frame(event.coin, event.exchange_ts // MS_NS, bid, ask)
    if isinstance(event, Trade):
        return trades_frame([_wire_trade(event)])
    if isinstance(event, Mids):
        dex = event.coin.split(":", 1)[0] if ":" in event.coin else ""
        return all_mids_frame({event.coin: format_decimal(event.mid)}, dex)
    return None


def _wire_trade(trade: Trade) -> dict[str, object]:
    return wire_trade(
        trade.coin,
        trade.side,
        format_decimal(trade.px),
        format_decimal(trade.sz),
        trade.exchange_ts // MS_NS,
        trade.tid,
    )


def convert_recording(
    src: str | os.PathLike[str], coin: str, out_path: str | os.PathLike[str], *, overwrite: bool = False
) -> int:
    """Write ``coin``'s market events of any recording as a recorder file; return the frame count.

    Each event becomes the wire frame that carries it, received at the event's ``ts``
    (trades with the same ``ts`` and exchange time share one frame, as on the wire), so
    ``open_recording(out_path, coin)`` yields the same market events. Rejections are
    not market data and are left out (their count is logged).
    """
    rejected = 0
    pending: list[Trade] = []
    with open_recording(src, coin) as recording, RecorderWriter(out_path, overwrite=overwrite) as writer:

        def flush_trades() -> None:
            if pending:
                writer.append(pending[0].ts, trades_frame([_wire_trade(trade) for trade in pending]))
                pending.clear()

        for event in recording:
            if isinstance(event, Trade):
                if pending and (event.ts, event.exchange_ts) != (pending[0].ts, pending[0].exchange_ts):
                    flush_trades()
                pending.append(event)
                continue
            flush_trades()
            frame = event_frame(event)
            if frame is not None:
                writer.append(event.ts, frame)
            elif isinstance(event, InputRejected):
                rejected += 1
        flush_trades()
        frames = writer.frames
    _log().info(
        "recording_converted", src=str(src), out=str(out_path), frames=frames, rejected_left_out=rejected
    )
    return frames
