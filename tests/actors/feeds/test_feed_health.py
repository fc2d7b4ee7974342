"""The live feed's heartbeat clock and stale check, on trio's mock clock."""

from __future__ import annotations

import trio
import trio.testing

from actors.feeds.feed_health import FeedHealth
from actors.feeds.wall_stamps import WallStamps
from events import Event, FeedStatus, Heartbeat

HEARTBEAT_S = 0.05
NS = 1_000_000_000


def _clock_ns() -> int:
    return round(trio.current_time() * NS)


async def _beats(slow_emits: dict[int, float], until_s: float, stale_after_s: float = 10.0) -> list[Event]:
    """Run the health loop until ``until_s``; emit number ``k`` takes ``slow_emits[k]`` s."""
    health = FeedHealth(WallStamps(_clock_ns), HEARTBEAT_S, round(stale_after_s * NS), _clock_ns())
    out: list[Event] = []

    async def emit(batch: list[Event]) -> None:
        out.extend(batch)
        await trio.sleep(slow_emits.get(health.heartbeats, 0.0))

    with trio.move_on_after(until_s):
        await health.run(emit)
    return out


def test_beats_every_interval() -> None:
    async def main() -> list[Event]:
        return await _beats({}, 1.0)

    beats = [e.ts for e in trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))]
    gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
    assert len(beats) == 19 and all(g == round(HEARTBEAT_S * NS) for g in gaps)


def test_a_late_beat_skips_rather_than_bunches() -> None:
    """The third emit takes 0.12 s (a busy sequencer): beats are missed, and the next one
    comes a whole interval after the late one, never right behind it."""

    async def main() -> list[Event]:
        return await _beats({3: 0.12}, 1.0)

    beats = [e.ts for e in trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))]
    gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
    assert min(gaps) >= round(HEARTBEAT_S * NS) - 1  # (float seconds to ns)
    assert max(gaps) >= round(0.12 * NS)


def test_no_book_for_the_stale_time_is_reported_once() -> None:
    async def main() -> list[Event]:
        return await _beats({}, 1.0, stale_after_s=0.3)

    events = trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    statuses = [e for e in events if isinstance(e, FeedStatus)]
    assert [s.status for s in statuses] == ["stale"] and statuses[0].ts > round(0.3 * NS)
    assert sum(isinstance(e, Heartbeat) for e in events) == 19
