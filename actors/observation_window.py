"""The cold start's observation window: no quote for ``quote.observe_s`` of event time.

The window opens at the first cycle the engine would run (ObservingMarket) and closes at
the first one ``observe_s`` later (QuotingResumed, reason "observed"). A warm start whose
prior knows the volatility already has what the window would learn, and skips it.
"""

from __future__ import annotations

import attrs

from events import Event, PriorInjected
from events.base import SEC_NS
from events.risk import ObservingMarket, QuotingResumed


@attrs.define(eq=False)
class ObservationWindow:
    """Whether the engine has watched the market long enough to quote."""

    observe_ns: int
    #: True once the window is over (at once when ``observe_ns`` is 0).
    over: bool = attrs.field(init=False)
    since: int | None = None

    def __attrs_post_init__(self) -> None:
        self.over = self.observe_ns == 0

    def on_prior(self, prior: PriorInjected) -> None:
        # A prior that knows the volatility is what the observation window would learn.
        if "volatility" in prior.components:
            self.over = True

    def ends_by(self, ts: int, out: list[Event]) -> bool:
        """Whether the window is over at ``ts``; appends ObservingMarket to ``out`` when it
        begins, QuotingResumed when it ends."""
        since = self.since
        if since is None:
            self.since = since = ts
            out.append(
                ObservingMarket(ts=ts, observe_s=self.observe_ns / SEC_NS, until_ts=ts + self.observe_ns)
            )
        if ts - since < self.observe_ns:
            return False
        self.over = True
        out.append(QuotingResumed(ts=ts, reason="observed", paused_at=since, paused_s=(ts - since) / SEC_NS))
        return True
