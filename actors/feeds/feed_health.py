"""What the live feed reports about itself: a wall-clock ``Heartbeat``, and stale or fresh.

The feed is stale when no book has arrived for ``live.stale_after_s`` of wall time,
and fresh again with the next book; each change is one ``FeedStatus``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NoReturn

import structlog
import trio

from actors.feeds.wall_stamps import WallStamps
from events import Event, FeedStatus, Heartbeat

_log = structlog.get_logger("papermm.feeds.live")


class FeedHealth:
    """The heartbeat clock and the stale-data check of one live feed."""

    def __init__(self, stamps: WallStamps, heartbeat_s: float, stale_after_ns: int, start_ns: int) -> None:
        self._stamps = stamps
        self._heartbeat_s = heartbeat_s
        self._stale_after_ns = stale_after_ns
        self._last_book_ns = start_ns
        self._stale = False
        self.heartbeats = 0

    def on_book(self, recv_ns: int) -> FeedStatus | None:
        """A book arrived at ``recv_ns``: the ``fresh`` status when the feed was stale."""
        self._last_book_ns = recv_ns
        if not self._stale:
            return None
        self._stale = False
        return FeedStatus(ts=recv_ns, status="fresh", detail="book updated")

    async def run(self, emit: Callable[[list[Event]], Awaitable[None]]) -> NoReturn:
        """A Heartbeat every heartbeat interval of wall time, and the stale check."""
        next_at = trio.current_time() + self._heartbeat_s
        while True:
            await trio.sleep_until(next_at)
            # A late wake-up (a busy sequencer) skips beats rather than bunching them:
            # the next beat is never less than an interval after this one.
            next_at = max(next_at, trio.current_time()) + self._heartbeat_s
            now = self._stamps()
            batch: list[Event] = [Heartbeat(ts=now, wall_ns=now)]
            self.heartbeats += 1
            quiet_ns = now - self._last_book_ns
            if not self._stale and quiet_ns > self._stale_after_ns:
                self._stale = True
                _log.warning("feed_stale", quiet_s=round(quiet_ns / 1e9, 3))
                batch.append(FeedStatus(ts=now, status="stale", detail=f"no book for {quiet_ns / 1e9:.1f} s"))
            await emit(batch)
