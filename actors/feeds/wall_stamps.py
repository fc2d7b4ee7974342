"""Receive times at the I/O edge: the only wall clock the live feed reads.

Everything stamped here is logged before any actor sees it, so replay never reads a
clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class WallStamps:
    """Receive times: the wall clock in ns, never going backwards (NTP may step it)."""

    def __init__(self, source: Callable[[], int] = time.time_ns) -> None:
        self._source = source
        self.last = 0

    def __call__(self) -> int:
        now = self._source()
        if now < self.last:
            now = self.last
        self.last = now
        return now
