"""Feeds as the runtime sees them: async producers of batches of external events.

Synthetic and recorded feeds are plain iterators of events; ``IteratorFeed`` paces them
in wall time (1x, Nx) or hands them over as fast as the sequencer takes them (max). The
pacing reads trio's clock, which is fine here: feeds are the I/O edge, and what they
deliver is logged before any actor sees it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

import trio

from actors.config import Config
from actors.graph import sz_decimals
from events import Event, SyntheticTruth
from events.log import EventLogWriter

#: Event time at which every synthetic session starts (2026-01-01T00:00:00Z).
SYNTHETIC_EPOCH_NS = 1_767_225_600_000_000_000


class FeedError(Exception):
    """The feed cannot be opened (unknown kind, unreadable recording)."""


class FeedSource(Protocol):
    """What the session runner needs of a feed."""

    name: str
    start_ns: int

    async def run(self, send: trio.MemorySendChannel[list[Event]]) -> None:
        """Send batches of external events in non-decreasing ts order; close ``send`` at the end."""
        ...

    def close(self) -> None:
        """Release files the feed holds."""
        ...


def parse_speed(speed: str) -> float | None:
    """``max`` -> None (no pacing), else the factor over real time."""
    if speed == "max":
        return None
    value = float(speed)
    if value <= 0:
        raise FeedError(f"speed must be max or a positive number, got {speed!r}")
    return value


class IteratorFeed:
    """Hands an iterator of events to the sequencer, paced by ``speed``."""

    def __init__(
        self,
        name: str,
        events: Iterable[Event],
        *,
        speed: float | None,
        batch: int,
        start_ns: int | None = None,
        on_side_record: Callable[[Event], None] | None = None,
    ) -> None:
        self.name = name
        self._events: Iterator[Event] = iter(events)
        self._speed = speed
        self._batch = batch
        self._on_side = on_side_record
        if start_ns is None:
            first = next(self._events, None)
            if first is None:
                raise FeedError(f"{name}: the feed has no events")
            self._events = itertools.chain([first], self._events)
            start_ns = first.ts
        self.start_ns = start_ns

    def _market_events(self) -> Iterator[Event]:
        side = self._on_side
        for event in self._events:
            if side is not None and type(event) is SyntheticTruth:
                side(event)
            else:
                yield event

    async def run(self, send: trio.MemorySendChannel[list[Event]]) -> None:
        async with send:
            events = self._market_events()
            if self._speed is None:
                while batch := list(itertools.islice(events, self._batch)):
                    await send.send(batch)
                return
            await self._run_paced(events, send, self._speed)

    async def _run_paced(
        self, events: Iterator[Event], send: trio.MemorySendChannel[list[Event]], speed: float
    ) -> None:
        wall0 = trio.current_time()
        ts0 = self.start_ns
        pending: list[Event] = []
        for event in events:
            due = wall0 + (event.ts - ts0) / 1e9 / speed
            if due > trio.current_time() and pending:
                await send.send(pending)
                pending = []
            if due > trio.current_time():
                await trio.sleep_until(due)
            pending.append(event)
            if len(pending) >= self._batch:
                await send.send(pending)
                pending = []
        if pending:
            await send.send(pending)

    def close(self) -> None:
        pass


class SyntheticFeed(IteratorFeed):
    """The built-in synthetic market; its ground truth goes to its own log."""

    def __init__(
        self, config: Config, truth_path: Path, speed: float | None, duration_ns: int | None
    ) -> None:
        from actors.synthetic import SyntheticMarket

        market = SyntheticMarket(
            config.synthetic,
            config.session.asset,
            config.session.seed,
            SYNTHETIC_EPOCH_NS,
            sz_decimals(config),
        )
        self._truth = EventLogWriter(truth_path)
        super().__init__(
            "synthetic",
            market.events(duration_ns),
            speed=speed,
            batch=config.feed.batch,
            start_ns=SYNTHETIC_EPOCH_NS,
            on_side_record=self._truth.append,
        )

    def close(self) -> None:
        self._truth.close()


def open_feed(config: Config, session_dir: Path) -> FeedSource:
    """The feed named by ``config.feed.kind``."""
    kind = config.feed.kind
    speed = parse_speed(config.session.speed)
    if kind == "synthetic":
        # Endless: the runtime alone decides where the session's duration ends.
        return SyntheticFeed(config, session_dir / "synthetic_truth.log", speed, None)
    if kind.startswith("recording:"):
        from actors.feeds.recordings import RecordingError, open_recording

        path = kind.split(":", 1)[1]
        try:
            events = open_recording(path, config.session.asset)
            return IteratorFeed(f"recording:{path}", events, speed=speed, batch=config.feed.batch)
        except RecordingError as exc:
            raise FeedError(str(exc)) from None
    if kind == "hyperliquid":
        from actors.feeds.live import open_live_feed

        return open_live_feed(config)
    raise FeedError(f"feed.kind: unknown feed {kind!r} (synthetic, hyperliquid, recording:PATH)")
