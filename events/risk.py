"""Risk-control events: what the quote engine's gates decided, and why.

Every control of the quote engine acts through one of these, so a replay shows exactly
when and why it acted. All of them are emitted by the quote engine (their one producer).
"""

from __future__ import annotations

from events.base import Event
from events.orders import OrderSide


class KillSwitchTripped(Event, frozen=True):
    """The kill switch tripped: every resting order was canceled and quoting stopped.

    ``reason`` is ``max_drawdown`` (drawdown from the session's peak equity over the
    limit), ``max_daily_loss`` (the loss since 00:00 UTC of event time over the limit) or
    ``latched`` (tripped in an earlier session and not reset; ``detail`` says which).
    Equity is the paper balance plus the outcome tracker's total PnL; the figures are those
    of the PnL record that crossed the threshold (zeros for ``latched``).
    """

    reason: str
    equity: float
    peak_equity: float
    drawdown_usd: float
    max_drawdown_usd: float
    daily_loss_usd: float
    max_daily_loss_usd: float
    day_start_ts: int
    position: float
    canceled: int
    detail: str = ""


class QuoteSuppressed(Event, frozen=True):
    """A ladder level the model wanted was not sent, with the reason.

    Reasons: ``max_position`` (contracts), ``max_position_usd`` (notional), ``margin``
    (notional over equity times leverage), ``api_headroom`` (below the inventory-only
    headroom, a level that would not reduce the position) and ``api_budget_exhausted``
    (no request left). A level suppressed identically (same side, level, price, size and
    reason) in consecutive cycles is logged once.
    """

    reason: str
    side: OrderSide
    level: int
    px: float
    sz: float
    cycle: int


class QuotingPaused(Event, frozen=True):
    """The stale-data gate pulled every quote: no book for longer than ``stale_after_s``.

    ``ts`` is the Heartbeat's (wall time); ``silence_s`` is how long no book had arrived.
    """

    reason: str
    last_book_ts: int
    silence_s: float
    stale_after_s: float
    canceled: int


class QuotingResumed(Event, frozen=True):
    """Quoting resumes with this book: after a stale-data pause (``reason`` ``book``) or
    at the end of a cold start's observation window (``observed``)."""

    reason: str
    paused_at: int
    paused_s: float


class ObservingMarket(Event, frozen=True):
    """A cold start watches the market for ``observe_s`` (``quote.observe_s``) before its
    first quote.

    GLFT priced off the configured sigma and kappa priors is a guess, not a quote, so a
    session that starts without a prior places nothing until ``until_ts``; its estimators
    learn from the market meanwhile. A warm start whose prior has volatility observations
    quotes at once. Logged at the first cycle that could have quoted; QuotingResumed
    (``observed``) ends the window.
    """

    observe_s: float
    until_ts: int


class ApiHeadroomChanged(Event, frozen=True):
    """The request headroom moved to another whole percent, or the gate changed mode.

    ``budget`` is the address budget (initial buffer plus requests earned by volume),
    ``requests`` the requests counted so far (places and cancels the session would have
    sent), ``headroom`` = max(budget - requests, 0) / budget. ``mode`` is ``normal``,
    ``inventory_only`` (below the threshold: only orders that reduce the position) or
    ``exhausted`` (nothing left to send but cancels).
    """

    requests: int
    places: int
    cancels: int
    budget: float
    headroom: float
    spread_multiplier: float
    mode: str
