"""``papermm record``: raw Hyperliquid frames to a recorder file, for replay later.

The recorder connects exactly like the live feed (same subscriptions, acks, pings,
silence watchdog and reconnect backoff: it is the same ``LiveClient``) and writes
every frame it receives, control frames included, with its receive wall time. Nothing
is parsed: a recording keeps what the wire said, so a better parser can re-read it.
"""

from __future__ import annotations

import contextlib
import os
from typing import Final

import attrs
import structlog
import trio

from actors.config import Config
from actors.feed_sources import FeedError
from actors.feeds.live_client import ClientStatistics, LiveClient
from actors.feeds.recorder_file import RecorderWriter
from actors.feeds.wall_stamps import WallStamps
from events.market import FeedState

_log = structlog.get_logger("papermm.feeds.recorder")

#: Wall time between flushes: a crash loses at most this much of the recording.
FLUSH_INTERVAL_S: Final = 1.0


@attrs.frozen
class RecordingSummary:
    """What one ``record`` call wrote."""

    path: str
    frames: int
    client: ClientStatistics


class _FrameWriter:
    """A ``FrameHandler`` that appends every frame to the recorder file."""

    def __init__(self, writer: RecorderWriter) -> None:
        self._writer = writer

    async def on_frame(self, recv_ns: int, frame: str | bytes) -> None:
        self._writer.append(recv_ns, frame)

    async def on_status(self, status: FeedState, detail: str) -> None:
        # Connection changes are not frames: they go to the log, not the recording.
        _log.info("recorder_connection", status=status, detail=detail, frames=self._writer.frames)


async def _flush_periodically(writer: RecorderWriter) -> None:
    while True:
        await trio.sleep(FLUSH_INTERVAL_S)
        writer.flush()


async def record(
    config: Config, out_path: str | os.PathLike[str], duration_s: float, *, overwrite: bool = False
) -> RecordingSummary:
    """Record ``duration_s`` seconds of wall time (0: until cancelled) into ``out_path``.

    A name ending in ``.zst`` is compressed. The file is closed (flushed and fsynced)
    however the recording ends: duration, Ctrl-C or cancellation. A ``live.ws_url``
    that is not a websocket URL raises ``FeedError`` before any file is created.
    """
    try:
        client = LiveClient(config, WallStamps())
    except ValueError as exc:
        raise FeedError(f"live.ws_url: {exc}") from None
    writer = RecorderWriter(out_path, overwrite=overwrite)
    deadline = trio.move_on_after(duration_s) if duration_s > 0 else contextlib.nullcontext()
    try:
        with structlog.contextvars.bound_contextvars(recorder=str(out_path), url=client.url):
            _log.info("recording_started", duration_s=duration_s, streams=len(client.subscriptions))
            with deadline:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(_flush_periodically, writer)
                    await client.run(_FrameWriter(writer))
    finally:
        writer.close()
    _log.info("recording_ended", frames=writer.frames, path=str(out_path))
    return RecordingSummary(path=str(out_path), frames=writer.frames, client=client.statistics())
