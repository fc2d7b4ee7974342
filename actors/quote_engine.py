"""The quote engine: GLFT ladders on every book, sent as the diff against live orders.

On a book (BookSnapshot or Bbo), at most once per ``min_requote_interval_ms`` of event
time, the engine runs one cycle: the GLFT half spread and skew from the current sigma and
kappa (the configured priors until the estimators' first usable Estimates), the ladder
around the touch's mid (actors.quote_pricing), the requote tolerance (actors.requote), the
risk limits and the API budget (actors.quote_admission), then one QuoteCycle followed by
the commands that turn the orders it believes live (actors.quote_orders) into that ladder:
CancelOrder for each live order no level wants, then PlaceOrder for each level no live
order covers. The position is the sum of our fills.

The controls, each acting through an event (events.risk): GLFT's half spread is clamped
into the spread profile's band and widened by the API headroom gate (ApiHeadroomChanged);
a level that would break the position, notional, margin or API limits is never sent
(QuoteSuppressed); the kill switch, folded over the outcome tracker's PnL, cancels
everything and stops quoting for the session (KillSwitchTripped); the stale-data gate, a
Heartbeat long after the last book, cancels everything until the next book
(QuotingPaused, QuotingResumed). A cold start quotes nothing for its first ``observe_s``
of event time (actors.observation_window); a warm start whose prior knows the volatility
quotes at once. Before any book at all, the last Mids, else the last trade, stands in for
the touch (QuoteCycle.reason says so).

The handler is pure (event time only, no I/O, no randomness). Books arrive a few times a
second and most fall inside the requote interval, so that path is one comparison (and
one store of the book's time, for the stale gate).

``tests/actors/test_predictions.py`` instruments a live engine through this module's
``keep_orders`` and the engine's ``_cycle``: keep them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import attrs

from actors.api_budget import ApiBudget
from actors.base import NOTHING
from actors.config import FeesSection, QuoteSection, RiskSection
from actors.ladder import Touch
from actors.observation_window import ObservationWindow
from actors.quote_admission import admit_cycle, api_headroom_changed
from actors.quote_orders import OwnOrder, OwnOrders
from actors.quote_pricing import QuotePricing
from actors.quote_statistics import QuotedSpreads, QuoteEngineStatistics
from actors.requote import keep_orders
from actors.risk import Breach, KillSwitch, PositionLimits, StaleGate, SuppressionLog, kill_switch_event
from events import (
    Bbo,
    BookSnapshot,
    Estimates,
    Event,
    Fill,
    Heartbeat,
    Mids,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PnL,
    PriorInjected,
    QuoteCycle,
    Trade,
)
from events.base import MS_NS, SEC_NS
from events.risk import QuotingPaused, QuotingResumed

_BPS: Final = 1e4
#: Time of the "previous cycle" before the first one: far enough back that the first
#: usable book always quotes, whatever the interval.
_NEVER_CYCLED: Final = -(2**63)
#: Requote interval once the kill switch tripped: every book is throttled (one comparison).
_NEVER_AGAIN: Final = 2**63 - 1
#: Last book time before any book.
_NO_BOOK: Final = -(2**63)


class QuoteEngine:
    """GLFT market maker for one asset: QuoteCycle, then CancelOrder and PlaceOrder diffs."""

    name: ClassVar[str] = "quote_engine"
    consumes: ClassVar[tuple[type[Event], ...]] = (
        BookSnapshot,
        Bbo,
        Mids,
        Estimates,
        OrderAccepted,
        OrderRejected,
        OrderCanceled,
        Fill,
        Trade,
        Heartbeat,
        PnL,
        PriorInjected,
    )

    def __init__(
        self,
        quote: QuoteSection,
        fees: FeesSection,
        asset: str,
        risk: RiskSection | None = None,
        stale_after_s: float = 15.0,
    ) -> None:
        risk = risk if risk is not None else RiskSection()
        self.asset = asset
        self._pricing = QuotePricing.from_config(quote, fees, asset)
        self._interval_ns = round(quote.min_requote_interval_ms * MS_NS)
        self._tolerance_bps = quote.requote_tolerance_bps
        self._limits = PositionLimits.from_config(quote)
        self._kill = KillSwitch.from_config(quote, risk)
        self._budget = ApiBudget.from_config(risk)
        self._headroom_seen = (self._budget.headroom_pct, self._budget.mode)
        self._gate = StaleGate(stale_after_s)
        self._window = ObservationWindow(round(quote.observe_s * SEC_NS))
        self._suppressed = SuppressionLog()
        self._spreads = QuotedSpreads()
        self._last_book_ts = _NO_BOOK
        self._last_trade_px = math.nan
        self._exchange_mid = math.nan
        self._position = 0.0
        self._orders = OwnOrders()
        self._cycle = 0
        self._last_cycle_ts = _NEVER_CYCLED
        self._books_throttled = 0
        self._books_unquotable = 0

    # -- dispatch ---------------------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """React to one event; return the QuoteCycle and order commands it causes, if any."""
        if type(event) is BookSnapshot:
            # The common case: inside the requote interval, nothing else to look at.
            self._last_book_ts = event.ts
            if event.ts - self._last_cycle_ts < self._interval_ns:
                self._books_throttled += 1
                return NOTHING
            best_bid = event.bid_px[0] if event.bid_px else 0.0
            best_ask = event.ask_px[0] if event.ask_px else 0.0
            return self._requote(event.ts, best_bid, best_ask)
        if type(event) is Trade:
            self._last_trade_px = event.px
            # Only a session without any book yet prices off trades (or Mids).
            if self._last_book_ts == _NO_BOOK and event.ts - self._last_cycle_ts >= self._interval_ns:
                return self._requote_reference(event.ts)
            return NOTHING
        if type(event) is Bbo:
            self._last_book_ts = event.ts
            if event.ts - self._last_cycle_ts < self._interval_ns:
                self._books_throttled += 1
                return NOTHING
            return self._requote(event.ts, event.bid_px, event.ask_px)
        if type(event) is PnL:
            breach = self._kill.on_pnl(event)
            return NOTHING if breach is None else self._trip(event.ts, breach)
        if type(event) is Heartbeat:
            return self._on_heartbeat(event.ts)
        if type(event) is Fill:
            self._budget.add_volume(event.px * event.sz)  # volume earns API budget
            # The fill happened whatever we believe about the order, so it always moves
            # the position.
            self._position += event.sz if event.side == "buy" else -event.sz
            self._orders.on_fill(event)
        elif type(event) is OrderCanceled:
            self._orders.on_canceled(event.oid)
        elif type(event) is OrderRejected:
            self._orders.on_rejected(event.oid)
        elif type(event) is OrderAccepted:
            self._orders.on_accepted()
        elif type(event) is Estimates:
            self._pricing.on_estimates(event)
        elif type(event) is PriorInjected:
            self._window.on_prior(event)
            self._pricing.on_prior(event)
        elif type(event) is Mids:
            # Quotes are priced against the touch they must not cross, and the exchange
            # mid can lag it: Mids price quotes only while there is no book at all.
            self._exchange_mid = event.mid
            if self._last_book_ts == _NO_BOOK and event.ts - self._last_cycle_ts >= self._interval_ns:
                return self._requote_reference(event.ts)
        return NOTHING

    # -- the quote cycle ----------------------------------------------------------------

    def _requote(self, ts: int, best_bid: float, best_ask: float) -> Sequence[Event]:
        # An empty side reads as 0.0 (and NaN fails every comparison).
        if not (best_bid > 0.0 and best_ask > 0.0):
            self._books_unquotable += 1
            return NOTHING
        mid = 0.5 * (best_bid + best_ask)
        if not math.isfinite(mid):
            self._books_unquotable += 1
            return NOTHING
        out: list[Event] = []
        if self._gate.paused_at is not None:
            # The stale gate ends with the first book, which is quoted at once.
            paused_at = self._gate.paused_at
            out.append(
                QuotingResumed(ts=ts, reason="book", paused_at=paused_at, paused_s=self._gate.resume(ts))
            )
        return self._cycle_at(ts, Touch(mid=mid, best_bid=best_bid, best_ask=best_ask), "requote", out)

    def _requote_reference(self, ts: int) -> Sequence[Event]:
        """No book yet: price off the last Mids, else the last trade (as allMids does).

        With no touch to respect, the reference price stands for both sides of it: every
        bid rests at least a tick below it and every ask a tick above.
        """
        ref = self._exchange_mid
        reason = "reference_mids"
        if not (ref > 0.0 and math.isfinite(ref)):
            ref = self._last_trade_px
            reason = "reference_trade"
            if not (ref > 0.0 and math.isfinite(ref)):
                return NOTHING
        return self._cycle_at(ts, Touch(mid=ref, best_bid=ref, best_ask=ref), reason, [])

    def _cycle_at(self, ts: int, touch: Touch, reason: str, out: list[Event]) -> Sequence[Event]:
        """One quote cycle around ``touch``: the gates, GLFT within the profile, the ladder,
        the limits, then QuoteCycle and the CancelOrder / PlaceOrder diff."""
        kill = self._kill
        if kill.tripped:
            if kill.latch_pending:  # latched from an earlier session: say so, never quote
                out.extend(self._trip(ts, kill.latch(ts)))
            return out or NOTHING
        window = self._window
        if not window.over and not window.ends_by(ts, out):
            return out or NOTHING
        mid = touch.mid
        self._last_cycle_ts = ts
        self._cycle += 1
        # The API gate: say when its headroom moves; its multiplier widens the quotes.
        budget = self._budget
        budget.observe()
        seen = (budget.headroom_pct, budget.mode)
        if seen != self._headroom_seen:
            self._headroom_seen = seen
            out.append(api_headroom_changed(ts, budget))
        pricing = self._pricing
        quote, candidates, band = pricing.ladder(touch, self._position, budget.spread_multiplier)
        # Live orders close enough to their level keep their queue place (the requote
        # tolerance), then the limits and the API budget say what is sent.
        orders = self._orders
        candidates, matched = keep_orders(
            candidates,
            orders.live(),
            tolerance_px=self._tolerance_bps * mid / _BPS,
            touch=touch,
            kappa=pricing.kappa,
            spread_px=band,
        )
        refused, stale = admit_cycle(
            candidates,
            matched,
            orders,
            limits=self._limits,
            position=self._position,
            mid=mid,
            equity=kill.equity,
            budget=budget,
        )
        levels = tuple(level for level, why in zip(candidates, refused, strict=True) if why is None)
        # Each sent level's order: the kept one, else the one placed for it now (the
        # PlaceOrders follow the QuoteCycle in the log).
        oids: list[int] = []
        places: list[Event] = []
        for level, oid, why in zip(candidates, matched, refused, strict=True):
            if why is None:
                if oid is None:
                    cmd = orders.place(ts, level.side, level.px, level.sz, level.level, self._cycle)
                    places.append(cmd)
                    oid = cmd.oid
                oids.append(oid)
        out.append(
            QuoteCycle(
                ts=ts,
                cycle=self._cycle,
                mid=mid,
                sigma=pricing.sigma,
                kappa=pricing.kappa,
                gamma=pricing.cfg.gamma,
                half_spread_bps=quote.half_spread * _BPS,
                skew_bps=quote.skew * _BPS,
                position=self._position,
                levels=levels,
                reason=reason,
                oids=tuple(oids),
            )
        )
        self._spreads.record(levels, mid)
        out.extend(self._suppressed.emit(ts, self._cycle, candidates, refused))
        out.extend(self._cancel(ts, stale, "requote"))
        out.extend(places)
        budget.count(len(places), 0)
        return out

    def _cancel(self, ts: int, orders: list[OwnOrder], reason: str) -> list[Event]:
        """CancelOrder for each order (actors.quote_orders); each is a request against the
        API budget."""
        out = self._orders.cancel(ts, orders, reason)
        self._budget.count(0, len(orders))
        return out

    # -- the kill switch and the stale-data gate ----------------------------------------

    def _trip(self, ts: int, breach: Breach) -> Sequence[Event]:
        """The kill switch tripped: announce it, cancel everything, never quote again."""
        live = self._orders.live()
        self._interval_ns = _NEVER_AGAIN  # every later book is throttled: one comparison
        self._suppressed.reset()
        return [
            kill_switch_event(ts, breach, self._position, len(live)),
            *self._cancel(ts, live, "kill_switch"),
        ]

    def _on_heartbeat(self, ts: int) -> Sequence[Event]:
        """The stale-data gate: a heartbeat long after the last book pulls every quote."""
        if self._kill.tripped:
            return NOTHING  # nothing rests and nothing will: no gate to close
        last_book = None if self._last_book_ts == _NO_BOOK else self._last_book_ts
        silence_s = self._gate.on_heartbeat(ts, last_book)
        if silence_s is None:
            return NOTHING
        live = self._orders.live()
        # The next book must get past the requote throttle, to resume at once.
        self._last_cycle_ts = _NEVER_CYCLED
        self._suppressed.reset()
        paused = QuotingPaused(
            ts=ts,
            reason="stale_data",
            last_book_ts=self._last_book_ts,
            silence_s=silence_s,
            stale_after_s=self._gate.stale_after_s,
            canceled=len(live),
        )
        return [paused, *self._cancel(ts, live, "stale_data")]

    # -- introspection ------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Plain data of the engine's state (for checkpoints and debugging)."""
        pricing = self._pricing
        return {
            "asset": self.asset,
            "sz_decimals": pricing.sz_decimals,
            "cycle": self._cycle,
            "next_oid": self._orders.next_oid,
            "last_cycle_ts": None if self._last_cycle_ts == _NEVER_CYCLED else self._last_cycle_ts,
            "position": self._position,
            "sigma": pricing.sigma,
            "kappa": pricing.kappa,
            "estimates_used": pricing.estimates_used,
            "exchange_mid": self._exchange_mid,
            "spread_profile": attrs.asdict(pricing.profile),
            "kill_switch": self._kill.snapshot(),
            "api_budget": self._budget.snapshot(),
            "stale_gate": {"paused_at": self._gate.paused_at, "pauses": self._gate.pauses},
            "orders": self._orders.snapshot(),
        }

    def risk_summary(self) -> dict[str, Any]:
        """The controls' figures for the session summary: kill switch, suppressed quotes,
        API headroom, stale-gate pauses and the realized median spread at the touch."""
        profile = self._pricing.profile
        sup = self._suppressed
        return {
            "spread_profile": profile.name,
            "spread_bounds_bps": [profile.min_spread_bps, profile.max_spread_bps],
            "median_spread_bps": self._spreads.median(),
            "spread_cycles": len(self._spreads),
            "kill_switch": self._kill.snapshot(),
            "suppressed": sup.events,
            "suppressed_levels": sup.levels,
            "suppressed_by_reason": dict(sorted(sup.by_reason.items())),
            "api": self._budget.snapshot(),
            "stale_pauses": self._gate.pauses,
        }

    def statistics(self) -> QuoteEngineStatistics:
        """Counters and current values, as a frozen record."""
        orders = self._orders
        pending = orders.pending_cancels
        return QuoteEngineStatistics(
            cycles=self._cycle,
            books_throttled=self._books_throttled,
            books_unquotable=self._books_unquotable,
            orders_placed=orders.placed,
            cancels_sent=orders.cancels_sent,
            accepted=orders.accepted,
            rejected=orders.rejected,
            canceled=orders.canceled,
            fills=orders.fills,
            live_orders=len(orders.orders) - pending,
            pending_cancels=pending,
            position=self._position,
            sigma=self._pricing.sigma,
            kappa=self._pricing.kappa,
        )
