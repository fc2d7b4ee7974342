"""A rich progress bar with ETA for sessions and replays that run faster than real time."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

Hook = Callable[[int, int], None]


@contextmanager
def market_time_progress(label: str, total_ns: int, enabled: bool) -> Iterator[Hook | None]:
    """Yield a hook ``(done_ns, total_ns)`` drawing a bar on stderr, or None when disabled."""
    if not enabled or not sys.stderr.isatty() or total_ns <= 0:
        yield None
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} s market time"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task(label, total=total_ns / 1e9)

        def hook(done_ns: int, _total: int) -> None:
            progress.update(task, completed=done_ns / 1e9)

        yield hook
