"""The synthetic market's random numbers: its own seeded stream, and Hawkes waiting times.

Everything the market draws comes from one numpy Generator seeded by ``(seed, STREAM)``,
independent of the fill simulator's, in an order fixed by the simulation alone: the
same seed gives the same stream, and a shorter run is a prefix of a longer one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import chain, repeat
from typing import Final

import numpy as np

#: Second word of the generator's seed, so that this stream never coincides with the
#: fill simulator's (which is seeded from the session seed alone).
STREAM: Final = 0x5E7_4A11
#: Random numbers drawn from numpy at a time: one numpy call per float would cost more
#: than the simulation step that uses it.
BLOCK: Final = 8192


def market_generator(seed: int) -> np.random.Generator:
    """The generator of the synthetic market of a session with ``seed``."""
    return np.random.default_rng([seed, STREAM])


def draws(draw: Callable[[int], np.ndarray]) -> Callable[[], float]:
    """An endless supply of Python floats from ``draw``, refilled a block at a time."""
    blocks = map(lambda n: draw(n).tolist(), repeat(BLOCK))
    return chain.from_iterable(blocks).__next__


def hawkes_wait(mu: float, excess: float, beta: float, expo: Callable[[], float]) -> float:
    """Exact time to the next arrival of an exponential-kernel Hawkes process.

    The sooner of a baseline arrival and one from the excess intensity decaying at rate
    ``beta`` (Dassios & Zhao 2013): no thinning, no rejected draws. The simulation loop
    carries an inlined copy for its per-trade call; the two must draw alike.
    """
    wait = expo() / mu
    if excess > 0.0:
        d = 1.0 - beta * expo() / excess
        if d > 0.0:
            excited = -math.log(d) / beta
            if excited < wait:
                return excited
    return wait
