"""What a ``FrameParser`` counts, and the sum of several parsers' counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs


@attrs.frozen
class ParserStatistics:
    """Counts since the parser was made; ``rejected_by_kind`` has every kind, zeros included."""

    frames: int
    events: int
    control: int
    ignored: int
    duplicate_trades: int
    rejected: int
    rejected_by_kind: Mapping[str, int]


def sum_statistics(parts: Sequence[ParserStatistics]) -> ParserStatistics:
    """Counters of several parsers as one."""
    kinds: dict[str, int] = {}
    for part in parts:
        for kind, count in part.rejected_by_kind.items():
            kinds[kind] = kinds.get(kind, 0) + count
    return ParserStatistics(
        frames=sum(p.frames for p in parts),
        events=sum(p.events for p in parts),
        control=sum(p.control for p in parts),
        ignored=sum(p.ignored for p in parts),
        duplicate_trades=sum(p.duplicate_trades for p in parts),
        rejected=sum(p.rejected for p in parts),
        rejected_by_kind=kinds,
    )
