"""The sequencer's core: admit one external input and run the graph to quiescence.

This is the functional core of the runtime and of replay. Delivery is breadth-first in
the graph's declared order: the input goes to each subscriber in order, then every event
they emitted is delivered the same way, until nothing is in flight. The returned list is
the log order for that input, so a session is a pure function of its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from actors.base import Actor
from events import Event

Handler = Callable[[Event], Sequence[Event]]


class Sequencer:
    """Routes events to actors by type, in declared order."""

    def __init__(self, actors: Sequence[Actor]) -> None:
        self.actors = list(actors)
        routes: dict[type[Event], list[Handler]] = {}
        for actor in self.actors:
            for event_type in actor.consumes:
                routes.setdefault(event_type, []).append(actor.handle)
        # Tuples are faster to iterate than lists on the hot path.
        self._routes: dict[type[Event], tuple[Handler, ...]] = {t: tuple(h) for t, h in routes.items()}
        self.admitted = 0
        self.derived = 0

    def admit(self, external: Event) -> list[Event]:
        """Deliver one external input; return it followed by every derived event, in log order."""
        out = [external]
        routes = self._routes
        i = 0
        while i < len(out):
            event = out[i]
            i += 1
            handlers = routes.get(type(event))
            if handlers is None:
                continue
            for handle in handlers:
                emitted = handle(event)
                if emitted:
                    out.extend(emitted)
        self.admitted += 1
        self.derived += len(out) - 1
        return out

    def actor(self, name: str) -> Actor:
        """The actor called ``name``."""
        for actor in self.actors:
            if actor.name == name:
                return actor
        raise KeyError(name)
