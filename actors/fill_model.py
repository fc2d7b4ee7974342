"""The fill probability model: how likely a trade that reaches one of our orders fills it.

A trade that reaches a resting order at or through its price fills it when the order's
uniform draw is below

    P(fill) = touch x price x size x queue x age x aggressor, capped at max_probability,

for min(remaining, trade size x queue_position_factor, liquidity the trade still has).
The Fill carries every factor and the draw, so any fill can be explained later.

Two modes (``fill.mode``): ``probabilistic`` is the factor model above;
``trade_through`` is the seed system's optimistic bound: a trade through our price
always fills us, one exactly at our level with ``trade_through_probability`` (0.9), for
all the liquidity the trade has left (no queue share).

This module only assesses; the draws are the simulator's, made whatever the
probability, so that both modes consume its generator identically.
"""

from __future__ import annotations

from typing import NamedTuple

from actors import queue_estimate
from actors.config import FillSection
from actors.fill_orders import PaperOrder
from events import Fill, Trade
from events.base import SEC_NS


class Chance(NamedTuple):
    """One order's chance of filling on one trade: every factor, and the size it would fill."""

    touch_probability: float
    price_factor: float
    size_factor: float
    queue_factor: float
    age_factor: float
    aggressor_factor: float
    probability: float
    size: float

    def fill(
        self,
        order: PaperOrder,
        trade: Trade,
        queue_ahead: float,
        mid: float,
        draw: float,
        adverse_draw: float,
    ) -> Fill:
        """The Fill this chance becomes when its draw passes, with its whole explanation.

        ``remaining`` is what the order has left after it; the order itself is not touched
        (a held fill changes it only once it is decided). ``adverse_draw`` is -1 when
        adverse fills are off, and ``trade_ts`` is then 0.
        """
        size = self.size
        return Fill(
            ts=trade.ts,
            oid=order.oid,
            side=order.side,
            px=order.px,
            sz=size,
            remaining=max(order.remaining - size, 0.0),
            level=order.level,
            mid=mid,
            tid=trade.tid,
            trade_px=trade.px,
            trade_sz=trade.sz,
            trade_side=trade.side,
            touch_probability=self.touch_probability,
            price_factor=self.price_factor,
            size_factor=self.size_factor,
            queue_factor=self.queue_factor,
            age_factor=self.age_factor,
            aggressor_factor=self.aggressor_factor,
            queue_ahead=queue_ahead,
            probability=self.probability,
            draw=draw,
            adverse_draw=adverse_draw,
            trade_ts=trade.ts if adverse_draw >= 0.0 else 0,
        )


def _clamp(x: float, lo: float, hi: float) -> float:
    return hi if x > hi else (lo if x < lo else x)


class FillModel:
    """The configured model (``fill`` section): a pure function of an order and a trade."""

    def __init__(self, cfg: FillSection) -> None:
        self._cfg = cfg
        #: Queue from the book's displayed depth (else a flat queue with an age bonus).
        self.depth_mode = not cfg.ignore_book_depth
        self._trade_through = cfg.mode == "trade_through"
        self._young_ns = round(cfg.young_order_s * SEC_NS)
        self._old_ns = round(cfg.old_order_s * SEC_NS)

    def assess(
        self, order: PaperOrder, trade: Trade, passive: bool, queue_ahead: float, liquidity: float
    ) -> Chance:
        """The chance that ``trade`` fills ``order``, which it reaches.

        Args:
            passive: the trade's aggressor is on the other side (a seller for our buy).
            queue_ahead: the queue ahead of the order before this trade (depth mode).
            liquidity: what the trade has left after the orders it reached before ours.
        """
        cfg = self._cfg
        through = trade.px < order.px if order.is_buy else trade.px > order.px
        if self._trade_through:
            probability = 1.0 if through else cfg.trade_through_probability
            return Chance(probability, 1.0, 1.0, 1.0, 1.0, 1.0, probability, min(order.remaining, liquidity))
        price_factor = cfg.through_price_factor if through else 1.0
        size_factor = _clamp(trade.sz / order.remaining, cfg.min_size_factor, cfg.max_size_factor)
        if self.depth_mode:
            queue_factor = queue_estimate.queue_factor(queue_ahead, order.remaining, cfg.queue_alpha)
            age_factor = 1.0
            budget = liquidity - queue_ahead  # the queue ahead of us takes its share first
        else:
            queue_factor = cfg.queue_position_factor
            age_factor = self.age_factor(trade.ts - order.rests_at)
            budget = liquidity
        aggressor_factor = 1.0 if passive else cfg.wrong_aggressor_factor
        raw = (
            cfg.touch_probability * price_factor * size_factor * queue_factor * age_factor * aggressor_factor
        )
        return Chance(
            cfg.touch_probability,
            price_factor,
            size_factor,
            queue_factor,
            age_factor,
            aggressor_factor,
            min(raw, cfg.max_probability),
            min(order.remaining, trade.sz * cfg.queue_position_factor, budget),
        )

    def age_factor(self, age_ns: int) -> float:
        """Flat-queue age bonus: young orders sit behind the queue, old ones near its front."""
        if age_ns < self._young_ns:
            return self._cfg.young_order_factor
        if age_ns > self._old_ns:
            return self._cfg.old_order_factor
        return 1.0
