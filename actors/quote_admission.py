"""Which of a quote cycle's levels are sent: the risk limits, then the API budget.

A level that would break the position, notional or margin limits (actors.risk) is never
sent; cancels are always sent, and new orders only while the API budget lasts, best
first. The API gate also announces its headroom (ApiHeadroomChanged) and, through its
spread multiplier, widens the quotes (actors.quote_pricing).
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.api_budget import ApiBudget
from actors.quote_orders import OwnOrder, OwnOrders
from actors.risk import API_EXHAUSTED, PositionLimits, admit_levels
from events import QuoteLevel
from events.risk import ApiHeadroomChanged


def admit_cycle(
    candidates: Sequence[QuoteLevel],
    matched: Sequence[int | None],
    orders: OwnOrders,
    *,
    limits: PositionLimits,
    position: float,
    mid: float,
    equity: float,
    budget: ApiBudget,
) -> tuple[list[str | None], list[OwnOrder]]:
    """For each level, None when it is sent (or its live order kept), else the reason it
    is not; and the live orders the cycle cancels (those no admitted level keeps).

    ``matched``: per level, the oid of the live order kept for it (None: a new order).
    """
    committed_buy, committed_sell = orders.committed()
    refused = admit_levels(
        candidates,
        [oid is not None for oid in matched],
        limits=limits,
        position=position,
        mid=mid,
        equity=equity,
        committed_buy=committed_buy,
        committed_sell=committed_sell,
        api_mode=budget.mode,
    )
    kept = {oid for oid, why in zip(matched, refused, strict=True) if oid is not None and why is None}
    stale = orders.unkept(kept)
    # Cancels are always sent; new orders only while the budget lasts, best first.
    allowed = int(budget.remaining) - len(stale)
    for i, (oid, why) in enumerate(zip(matched, refused, strict=True)):
        if why is None and oid is None:
            if allowed <= 0:
                refused[i] = API_EXHAUSTED
            allowed -= 1
    return refused, stale


def api_headroom_changed(ts: int, budget: ApiBudget) -> ApiHeadroomChanged:
    """The ApiHeadroomChanged of the budget as it is."""
    return ApiHeadroomChanged(
        ts=ts,
        requests=budget.requests,
        places=budget.places,
        cancels=budget.cancels,
        budget=budget.budget,
        headroom=budget.headroom,
        spread_multiplier=budget.spread_multiplier,
        mode=budget.mode,
    )
