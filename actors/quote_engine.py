"""The quote engine: GLFT ladders on every book, sent as the diff against live orders.

On a book (BookSnapshot or Bbo), at most once per ``min_requote_interval_ms`` of event
time, the engine runs one cycle: the GLFT half spread and skew from the current sigma and
kappa (the configured priors until the estimators' first usable Estimates), the ladder
around the touch's mid, the risk limits, then one QuoteCycle followed by the commands
that turn the orders it believes live into that ladder: CancelOrder for each live order
no level wants, then PlaceOrder for each level no live order covers.

Its view of our orders is built only from its own commands and the fill simulator's
answers: an order is live from its PlaceOrder until OrderRejected, OrderCanceled or a
Fill that leaves nothing. An order with a cancel in flight no longer matches a level,
but still counts against the exposure limits, because it can fill until the cancel
takes effect. The position is the sum of our fills.

The controls, each acting through an event (events.risk): GLFT's half spread is clamped
into the spread profile's band (actors.spread_profiles) and widened by the API headroom
gate (actors.api_budget, ApiHeadroomChanged); a level that would break the position,
notional, margin or API limits is never sent (QuoteSuppressed); the kill switch, folded
over the outcome tracker's PnL, cancels everything and stops quoting for the session
(KillSwitchTripped); the stale-data gate, a Heartbeat long after the last book, cancels
everything until the next book (QuotingPaused, QuotingResumed). A cold start quotes
nothing for its first ``observe_s`` of event time (ObservingMarket, then QuotingResumed);
a warm start whose prior knows the volatility quotes at once. Before any book at all,
the last Mids, else the last trade, stands in for the touch (QuoteCycle.reason says so).

The handler is pure (event time only, no I/O, no randomness). Books arrive a few times a
second and most fall inside the requote interval, so that path is one comparison (and
one store of the book's time, for the stale gate).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import attrs
import msgspec

from actors.api_budget import ApiBudget
from actors.assets import sz_decimals_for
from actors.base import NOTHING
from actors.config import FeesSection, QuoteSection, RiskSection
from actors.glft import glft_quote
from actors.ladder import Touch, base_size, build_ladder
from actors.requote import keep_orders
from actors.risk import (
    API_EXHAUSTED,
    Breach,
    KillSwitch,
    PositionLimits,
    StaleGate,
    SuppressionLog,
    admit_levels,
    kill_switch_event,
)
from actors.spread_profiles import ladder_config, resolve_profile
from events import (
    Bbo,
    BookSnapshot,
    CancelOrder,
    Estimates,
    Event,
    Fill,
    Heartbeat,
    Mids,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    PlaceOrder,
    PnL,
    PriorInjected,
    QuoteCycle,
    QuoteLevel,
    Trade,
)
from events.orders import OrderSide
from events.risk import ApiHeadroomChanged, ObservingMarket, QuotingPaused, QuotingResumed

MS_NS: Final = 1_000_000
SEC_NS: Final = 1_000_000_000
_BPS: Final = 1e4
#: Time of the "previous cycle" before the first one: far enough back that the first
#: usable book always quotes, whatever the interval.
_NEVER_CYCLED: Final = -(2**63)
#: Requote interval once the kill switch tripped: every book is throttled (one comparison).
_NEVER_AGAIN: Final = 2**63 - 1
#: Last book time before any book.
_NO_BOOK: Final = -(2**63)


@attrs.define(eq=False)
class _OwnOrder:
    """One of our orders as the engine believes it: live, or live with a cancel in flight."""

    oid: int
    side: OrderSide
    px: float
    sz: float
    remaining: float
    level: int
    cycle: int
    cancel_pending: bool = False


@attrs.frozen
class QuoteEngineStatistics:
    """Counters of a quote engine since it was built."""

    cycles: int
    books_throttled: int
    books_unquotable: int
    orders_placed: int
    cancels_sent: int
    accepted: int
    rejected: int
    canceled: int
    fills: int
    live_orders: int
    pending_cancels: int
    position: float
    sigma: float
    kappa: float


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
        self._profile = resolve_profile(quote)
        self._cfg = ladder_config(quote, self._profile)
        self._maker_fee = fees.maker
        self._sz_decimals = sz_decimals_for(asset, quote.sz_decimals)
        self._interval_ns = round(quote.min_requote_interval_ms * MS_NS)
        self._tolerance_bps = quote.requote_tolerance_bps
        self._limits = PositionLimits.from_config(quote)
        self._kill = KillSwitch.from_config(quote, risk)
        self._budget = ApiBudget.from_config(risk)
        self._headroom_seen = (self._budget.headroom_pct, self._budget.mode)
        self._gate = StaleGate(stale_after_s)
        self._suppressed = SuppressionLog()
        self._last_book_ts = _NO_BOOK
        self._last_trade_px = math.nan
        # Quoted total spread at the touch per cycle, bps (for the realized median).
        self._spreads = array("d")
        self._sigma = quote.sigma_prior
        self._kappa = quote.kappa_prior
        self._base_gamma = quote.gamma  # times the calibration controller's cal_gamma
        self._defensive_spread = 1.0  # > 1 after a warm start from a prior that is not Ready
        self._warming_up = False  # set from Estimates.warmup; priors alone never relax the profile
        # Cold start: no quote for observe_s of event time (a warm start skips it).
        self._observe_ns = round(quote.observe_s * SEC_NS)
        self._observed = self._observe_ns == 0
        self._observing_since: int | None = None
        self._estimates_used = 0
        self._position = 0.0
        self._exchange_mid = math.nan
        # Insertion order is oid order (oids only grow), which keeps every walk over
        # the orders deterministic without sorting.
        self._orders: dict[int, _OwnOrder] = {}
        self._next_oid = 1
        self._cycle = 0
        self._last_cycle_ts = _NEVER_CYCLED
        self._books_throttled = 0
        self._books_unquotable = 0
        self._orders_placed = 0
        self._cancels_sent = 0
        self._accepted = 0
        self._rejected = 0
        self._canceled = 0
        self._fills = 0

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
            self._on_fill(event)
        elif type(event) is OrderCanceled:
            self._canceled += 1
            self._orders.pop(event.oid, None)
        elif type(event) is OrderRejected:
            self._rejected += 1
            self._orders.pop(event.oid, None)
        elif type(event) is OrderAccepted:
            self._accepted += 1
        elif type(event) is Estimates:
            self._on_estimates(event)
        elif type(event) is PriorInjected:
            self._on_prior(event)
        elif type(event) is Mids:
            # Quotes are priced against the touch they must not cross, and the exchange
            # mid can lag it: Mids price quotes only while there is no book at all.
            self._exchange_mid = event.mid
            if self._last_book_ts == _NO_BOOK and event.ts - self._last_cycle_ts >= self._interval_ns:
                return self._requote_reference(event.ts)
        return NOTHING

    def _on_fill(self, fill: Fill) -> None:
        self._fills += 1
        self._budget.add_volume(fill.px * fill.sz)  # volume earns API budget
        # The fill happened whatever we believe about the order, so it always moves
        # the position.
        self._position += fill.sz if fill.side == "buy" else -fill.sz
        order = self._orders.get(fill.oid)
        if order is None:
            return
        if fill.remaining <= 0.0:
            del self._orders[fill.oid]
        else:
            order.remaining = fill.remaining

    def _on_estimates(self, est: Estimates) -> None:
        # Each estimate replaces the current value only when usable, so a warming-up
        # estimator that reports 0 or NaN leaves the prior (or the last good value).
        # The warmup kappa floor bounds kappa from below (it caps the half spread while
        # kappa is being learned); cal_gamma multiplies the configured gamma.
        used = False
        # Until warmup completes, the profile's minimum spread yields to GLFT and the
        # warmup floor: learning needs fills, and a floor that keeps quotes out of reach
        # of the flow is the catch-22 the estimators exist to avoid.
        self._warming_up = est.warmup < 1.0
        if est.sigma > 0.0 and math.isfinite(est.sigma):
            self._sigma = est.sigma
            used = True
        if est.kappa > 0.0 and math.isfinite(est.kappa):
            floor = est.kappa_floor
            self._kappa = floor if est.kappa < floor < math.inf else est.kappa
            used = True
        if est.cal_gamma > 0.0 and math.isfinite(est.cal_gamma):
            gamma = self._base_gamma * est.cal_gamma
            if gamma != self._cfg.gamma:
                self._cfg = msgspec.structs.replace(self._cfg, gamma=gamma)
            used = True
        if used:
            self._estimates_used += 1

    def _on_prior(self, prior: PriorInjected) -> None:
        # A prior that knows the volatility is what the observation window would learn.
        if "volatility" in prior.components:
            self._observed = True
        # A warm start from a prior that is not Ready quotes defensively for the whole
        # session: wider by spread_factor, smaller by size_factor (actors.checkpoint).
        if prior.defensive:
            self._defensive_spread = prior.spread_factor
            notional = self._cfg.order_notional_usd * prior.size_factor
            self._cfg = msgspec.structs.replace(self._cfg, order_notional_usd=notional)

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

    def _end_observation(self, ts: int, out: list[Event]) -> bool:
        """Whether the cold start's observation window is over (ObservingMarket when it
        begins, QuotingResumed when it ends)."""
        since = self._observing_since
        if since is None:
            self._observing_since = since = ts
            out.append(
                ObservingMarket(ts=ts, observe_s=self._observe_ns / SEC_NS, until_ts=ts + self._observe_ns)
            )
        if ts - since < self._observe_ns:
            return False
        self._observed = True
        out.append(QuotingResumed(ts=ts, reason="observed", paused_at=since, paused_s=(ts - since) / SEC_NS))
        return True

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
        if not self._observed and not self._end_observation(ts, out):
            return out or NOTHING
        mid = touch.mid
        self._last_cycle_ts = ts
        self._cycle += 1
        cfg = self._cfg
        szd = self._sz_decimals
        glft = glft_quote(
            gamma=cfg.gamma,
            arrival_a=cfg.arrival_a,
            delta=cfg.delta,
            sigma=self._sigma,
            kappa=self._kappa,
            maker_fee=self._maker_fee,
        )
        budget = self._budget
        budget.observe()
        mode = budget.mode
        seen = (budget.headroom_pct, mode)
        if seen != self._headroom_seen:
            self._headroom_seen = seen
            out.append(self._headroom_event(ts))
        # GLFT decides within the profile's band; the API gate widens beyond it.
        half_spread = self._profile.clamp_half_spread(glft.half_spread, warming_up=self._warming_up)
        half_spread *= budget.spread_multiplier * self._defensive_spread
        quote = attrs.evolve(glft, half_spread=half_spread) if half_spread != glft.half_spread else glft
        lot = base_size(cfg, mid, szd)
        inventory_lots = self._position / lot if lot > 0.0 else 0.0
        candidates = build_ladder(
            cfg,
            touch,
            quote,
            inventory_lots=inventory_lots,
            lot_size=lot,
            kappa=self._kappa,
            sz_decimals=szd,
        )
        # The profile's band as the half spread above got it: widened by the same gates,
        # no lower bound while warming up.
        widen = budget.spread_multiplier * self._defensive_spread * mid / _BPS
        lo = -math.inf if self._warming_up else self._profile.min_spread_bps * widen
        candidates, matched = keep_orders(
            candidates,
            self._live_orders(),
            tolerance_px=self._tolerance_bps * mid / _BPS,
            touch=touch,
            kappa=self._kappa,
            spread_px=(lo, self._profile.max_spread_bps * widen),
        )
        committed_buy = 0.0
        committed_sell = 0.0
        for order in self._orders.values():
            if order.side == "buy":
                committed_buy += order.remaining
            else:
                committed_sell += order.remaining
        refused = admit_levels(
            candidates,
            [oid is not None for oid in matched],
            limits=self._limits,
            position=self._position,
            mid=mid,
            equity=kill.equity,
            committed_buy=committed_buy,
            committed_sell=committed_sell,
            api_mode=mode,
        )
        kept = {oid for oid, why in zip(matched, refused, strict=True) if oid is not None and why is None}
        stale = [o for o in self._orders.values() if not o.cancel_pending and o.oid not in kept]
        # Cancels are always sent; new orders only while the budget lasts, best first.
        allowed = int(budget.remaining) - len(stale)
        for i, (oid, why) in enumerate(zip(matched, refused, strict=True)):
            if why is None and oid is None:
                if allowed <= 0:
                    refused[i] = API_EXHAUSTED
                allowed -= 1
        levels = tuple(level for level, why in zip(candidates, refused, strict=True) if why is None)
        # Placements take oids in ladder order, as _place hands them out below.
        oids: list[int] = []
        next_oid = self._next_oid
        for oid, why in zip(matched, refused, strict=True):
            if why is None:
                if oid is None:
                    oid = next_oid
                    next_oid += 1
                oids.append(oid)
        out.append(
            QuoteCycle(
                ts=ts,
                cycle=self._cycle,
                mid=mid,
                sigma=self._sigma,
                kappa=self._kappa,
                gamma=cfg.gamma,
                half_spread_bps=quote.half_spread * _BPS,
                skew_bps=quote.skew * _BPS,
                position=self._position,
                levels=levels,
                reason=reason,
                oids=tuple(oids),
            )
        )
        self._record_spread(levels, mid)
        out.extend(self._suppressed.emit(ts, self._cycle, candidates, refused))
        out.extend(self._cancel(ts, stale, "requote"))
        places = 0
        for level, oid, why in zip(candidates, matched, refused, strict=True):
            if why is None and oid is None:
                out.append(self._place(ts, level.side, level.px, level.sz, level.level))
                places += 1
        budget.count(places, 0)
        return out

    def _cancel(self, ts: int, orders: list[_OwnOrder], reason: str) -> list[Event]:
        """CancelOrder for each order: best first on each side, bids before asks (oid
        breaks ties between equal prices); each is a request against the API budget."""
        orders.sort(key=lambda o: (0, -o.px, o.oid) if o.side == "buy" else (1, o.px, o.oid))
        out: list[Event] = []
        for order in orders:
            order.cancel_pending = True
            out.append(CancelOrder(ts=ts, oid=order.oid, reason=reason))
        self._cancels_sent += len(orders)
        self._budget.count(0, len(orders))
        return out

    def _live_orders(self) -> list[_OwnOrder]:
        return [o for o in self._orders.values() if not o.cancel_pending]

    def _trip(self, ts: int, breach: Breach) -> Sequence[Event]:
        """The kill switch tripped: announce it, cancel everything, never quote again."""
        live = self._live_orders()
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
        live = self._live_orders()
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

    def _headroom_event(self, ts: int) -> ApiHeadroomChanged:
        b = self._budget
        return ApiHeadroomChanged(
            ts=ts,
            requests=b.requests,
            places=b.places,
            cancels=b.cancels,
            budget=b.budget,
            headroom=b.headroom,
            spread_multiplier=b.spread_multiplier,
            mode=b.mode,
        )

    def _record_spread(self, levels: tuple[QuoteLevel, ...], mid: float) -> None:
        """Our quoted total spread at the touch, when both sides are quoted."""
        bid = max((lv.px for lv in levels if lv.side == "buy"), default=math.nan)
        ask = min((lv.px for lv in levels if lv.side == "sell"), default=math.nan)
        if bid > 0.0 and ask > 0.0:
            self._spreads.append((ask - bid) / mid * _BPS)

    def _place(self, ts: int, side: OrderSide, px: float, sz: float, level: int) -> PlaceOrder:
        oid = self._next_oid
        self._next_oid += 1
        self._orders_placed += 1
        self._orders[oid] = _OwnOrder(
            oid=oid, side=side, px=px, sz=sz, remaining=sz, level=level, cycle=self._cycle
        )
        return PlaceOrder(ts=ts, oid=oid, side=side, px=px, sz=sz, level=level, cycle=self._cycle)

    # -- introspection ------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Plain data of the engine's state (for checkpoints and debugging)."""
        return {
            "asset": self.asset,
            "sz_decimals": self._sz_decimals,
            "cycle": self._cycle,
            "next_oid": self._next_oid,
            "last_cycle_ts": None if self._last_cycle_ts == _NEVER_CYCLED else self._last_cycle_ts,
            "position": self._position,
            "sigma": self._sigma,
            "kappa": self._kappa,
            "estimates_used": self._estimates_used,
            "exchange_mid": self._exchange_mid,
            "spread_profile": attrs.asdict(self._profile),
            "kill_switch": self._kill.snapshot(),
            "api_budget": self._budget.snapshot(),
            "stale_gate": {"paused_at": self._gate.paused_at, "pauses": self._gate.pauses},
            "orders": [attrs.asdict(order) for order in self._orders.values()],
        }

    def risk_summary(self) -> dict[str, Any]:
        """The controls' figures for the session summary: kill switch, suppressed quotes,
        API headroom, stale-gate pauses and the realized median spread at the touch."""
        spreads = sorted(self._spreads)
        n = len(spreads)
        median = math.nan if n == 0 else 0.5 * (spreads[(n - 1) // 2] + spreads[n // 2])
        sup = self._suppressed
        return {
            "spread_profile": self._profile.name,
            "spread_bounds_bps": [self._profile.min_spread_bps, self._profile.max_spread_bps],
            "median_spread_bps": median,
            "spread_cycles": n,
            "kill_switch": self._kill.snapshot(),
            "suppressed": sup.events,
            "suppressed_levels": sup.levels,
            "suppressed_by_reason": dict(sorted(sup.by_reason.items())),
            "api": self._budget.snapshot(),
            "stale_pauses": self._gate.pauses,
        }

    def statistics(self) -> QuoteEngineStatistics:
        """Counters and current values, as a frozen record."""
        pending = sum(1 for o in self._orders.values() if o.cancel_pending)
        return QuoteEngineStatistics(
            cycles=self._cycle,
            books_throttled=self._books_throttled,
            books_unquotable=self._books_unquotable,
            orders_placed=self._orders_placed,
            cancels_sent=self._cancels_sent,
            accepted=self._accepted,
            rejected=self._rejected,
            canceled=self._canceled,
            fills=self._fills,
            live_orders=len(self._orders) - pending,
            pending_cancels=pending,
            position=self._position,
            sigma=self._sigma,
            kappa=self._kappa,
        )
