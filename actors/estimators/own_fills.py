"""What the estimators learn from our own orders and fills.

Part of the estimators actor (actors.estimators.actor), which owns the state:

- kappa from own fills: every Fill updates the own-fill kappa posterior (its distance
  from the fill's mid, weighted by its notional over ``quote.order_notional_usd``);
- adverse-selection outcomes: every Fill becomes a pending markout, resolved on the
  first mid at or after fill time + horizon; the outcome trains the classifier, the EWMA
  and the Kelly tracker. A fill held by ``fill.adverse_fill_ratio`` is measured from its
  trade (``Fill.trade_ts``, ``Fill.mid``) like any other fill, with the features of then
  (actors.estimators.held);
- the fill-rate curve: each PlaceOrder opens a level outcome at its depth from the mid,
  which its first fill resolves (filled within ``fill_horizon_s`` or not; a cancel
  resolves it unfilled, a rejection forgets it, both in the actor's dispatch).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

from actors.estimators.adverse_selection import features
from actors.estimators.market_features import book_imbalance
from events import Fill, PlaceOrder

if TYPE_CHECKING:
    from actors.estimators.actor import EstimatorsActor

_BPS: Final = 1e4
_INF: Final = math.inf


def on_place(actor: EstimatorsActor, cmd: PlaceOrder) -> None:
    """Open the level outcome of a new order, at its depth from the last mid."""
    mid = actor._mid
    if not mid > 0.0:
        return  # no book yet: the level has no depth to learn from
    depth = (mid - cmd.px) / mid if cmd.side == "buy" else (cmd.px - mid) / mid
    actor.levels.place(cmd.oid, cmd.ts, depth * _BPS)


def on_fill(actor: EstimatorsActor, fill: Fill) -> None:
    """Learn from a fill: own-fill kappa, a pending markout, the level's outcome."""
    ts = fill.ts
    px = fill.px
    mid = fill.mid
    if not (0.0 < px < _INF and 0.0 < fill.sz < _INF and 0.0 < mid < _INF):
        actor._rejected += 1
        return
    # When it happened: a held fill is logged after its trade (mid is the mid then).
    t0 = fill.trade_ts or ts
    weight = px * fill.sz / actor._order_notional
    if actor.kappa_own.update(abs(px - mid) / mid, weight):
        actor.warmup.on_fill(min(weight, actor._max_w))
    sign = 1.0 if fill.side == "buy" else -1.0
    markouts = actor.markouts
    markouts.add(t0, sign, mid, px, fill_features(actor, fill, sign, t0))
    due = markouts.next_due
    if due is not None and due <= actor._mid_ts:
        # A held fill whose horizon had ended before it was logged: everything else
        # pending ends later, or it would have been resolved already.
        recent = actor._recent
        at = recent.first_mid(due) if recent is not None else None
        resolve_markouts(actor, due, actor._mid if at is None else at)
    outcome = actor.levels.fill(fill.oid, t0)
    if outcome is not None:
        actor.fill_rate.update(*outcome)


def fill_features(actor: EstimatorsActor, fill: Fill, sign: float, t0: int) -> tuple[float, ...]:
    """The classifier's features of a fill, as they stood when it happened."""
    context = None
    recent = actor._recent
    if t0 != fill.ts and recent is not None:
        context = recent.context(t0, fill.tid)
    if context is None:
        context = actor._trade_context()
    book, flow, vol_ratio, probs, mean_notional = context
    trade_notional = fill.trade_px * fill.trade_sz
    size_ratio = trade_notional / mean_notional if mean_notional > 0.0 else 1.0
    return features(sign, size_ratio, book_imbalance(book, actor._imbalance_levels), flow, vol_ratio, probs)


def resolve_markouts(actor: EstimatorsActor, ts: int, mid: float) -> None:
    """Resolve the markouts due by ``ts`` at ``mid``; each outcome trains the classifier,
    the EWMA and the Kelly tracker (net of the maker fee)."""
    for outcome in actor.markouts.resolve(ts, mid):
        actor.adverse.update(outcome.against_bps, outcome.features)
        actor.kelly.update(outcome.pnl_bps - actor._maker_fee_bps)
