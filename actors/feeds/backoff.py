"""How long to wait before reconnecting: exponential backoff with seeded jitter."""

from __future__ import annotations

import attrs
import numpy as np


@attrs.define
class Backoff:
    """Exponential reconnect delays with multiplicative jitter.

    The n-th delay is ``min(max_s, initial_s * 2**n) * (1 + jitter * u)``, u uniform in
    [0, 1) from a generator seeded by the session seed (delays are not logged events,
    but a seeded edge is easier to debug).
    """

    initial_s: float
    max_s: float
    jitter: float
    rng: np.random.Generator
    attempts: int = 0

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the base."""
        base = min(self.max_s, self.initial_s * 2.0 ** min(self.attempts, 60))
        self.attempts += 1
        return base * (1.0 + self.jitter * float(self.rng.random()))

    def reset(self) -> None:
        """Start again from ``initial_s`` (after a stable connection)."""
        self.attempts = 0
