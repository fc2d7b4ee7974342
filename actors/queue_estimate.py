"""Queue estimates of the fill simulator's depth mode: how much size rests ahead of our order.

Our paper orders never reach the exchange, so the displayed book never contains them. An
order joins the back of its level: the size displayed there when it is placed is ahead of
it, trades at or through its price eat that queue, and a snapshot that shows less size at
the level than we think is ahead proves the queue shrank (cancels ahead of us).
"""

from __future__ import annotations

#: Relative tolerance for "the same price": prices are tick-rounded floats from two sources.
PRICE_TOLERANCE = 1e-9


def same_price(a: float, b: float) -> bool:
    """Whether two tick-rounded prices name the same level."""
    return abs(a - b) <= PRICE_TOLERANCE * abs(b)


def visible_size(
    level_px: tuple[float, ...], level_sz: tuple[float, ...], px: float, is_buy: bool
) -> float | None:
    """Size displayed at ``px`` on one side of the book, best level first.

    Returns 0.0 when the side is empty, when ``px`` improves on the best level or falls
    between two levels, and None when ``px`` lies beyond the deepest displayed level (the
    book does not tell us what rests there).
    """
    for level, size in zip(level_px, level_sz, strict=True):
        if same_price(px, level):
            return size
        if (px > level) if is_buy else (px < level):
            # Sides are sorted best first, so our price is better than every level left.
            return 0.0
    return None if level_px else 0.0


def queue_at_placement(
    level_px: tuple[float, ...], level_sz: tuple[float, ...], px: float, is_buy: bool
) -> float:
    """The queue ahead of an order that joins the back of its level now."""
    size = visible_size(level_px, level_sz, px, is_buy)
    return 0.0 if size is None else size


def clamp_to_snapshot(
    queue_ahead: float, level_px: tuple[float, ...], level_sz: tuple[float, ...], px: float, is_buy: bool
) -> float:
    """The queue ahead after a snapshot: never more than the size displayed at our level."""
    size = visible_size(level_px, level_sz, px, is_buy)
    if size is None or size >= queue_ahead:
        return queue_ahead
    return size


def after_trade(queue_ahead: float, trade_sz: float) -> float:
    """The queue ahead after a trade at or through our price on our side ate into it."""
    left = queue_ahead - trade_sz
    return left if left > 0.0 else 0.0


def queue_fraction(queue_ahead: float, remaining: float) -> float:
    """Share of the size at our level (ours included) that is ahead of us."""
    total = queue_ahead + remaining
    return queue_ahead / total if total > 0.0 else 0.0


def queue_factor(queue_ahead: float, remaining: float, alpha: float) -> float:
    """Depth-mode queue factor (1 - queue_fraction) ** alpha: 1 at the front, 0 far behind."""
    return (1.0 - queue_fraction(queue_ahead, remaining)) ** alpha
