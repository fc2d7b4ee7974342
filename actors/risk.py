"""Risk controls of the quote engine: kill switch, position and margin limits, stale gate.

Pure helpers the quote engine owns (it is the one producer of their events, see
events.risk); nothing here reads a clock or does I/O.

* ``KillSwitch`` folds the outcome tracker's PnL records. Equity is the paper balance plus
  the record's total PnL. It trips on the first record whose drawdown from the session's
  peak equity exceeds ``max_drawdown x paper_balance_usd``, or whose loss since 00:00 UTC
  (event time) exceeds ``max_daily_loss_usd``. The day's loss is measured from the total
  of the last record before the day began (0 at the start of the session). Once tripped
  it stays tripped for the session. Why the quote engine and not a separate actor: the
  engine must cancel every order in the same step, and the switch needs nothing but PnL.
* ``admit_levels`` says which new ladder levels fit the limits, with the reason of each
  level that does not (max_position, max_position_usd, margin, api_headroom,
  api_budget_exhausted): an order that would break a limit is never sent, never clipped.
* ``StaleGate`` is the stale-data gate: a Heartbeat (wall time, admitted as an input)
  more than ``stale_after_s`` after the last book pauses quoting; the next book resumes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import attrs

from actors.config import QuoteSection, RiskSection
from events import KillSwitchTripped, PnL, QuoteLevel, QuoteSuppressed
from events.base import DAY_NS, SEC_NS

#: Relative slack of the limit checks, so that a ladder exactly at a limit is not dropped
#: because a product came out one ulp over.
_SLACK: Final = 1e-12

# Reasons a level is not sent (QuoteSuppressed.reason).
MAX_POSITION: Final = "max_position"
MAX_POSITION_USD: Final = "max_position_usd"
MARGIN: Final = "margin"
API_HEADROOM: Final = "api_headroom"
API_EXHAUSTED: Final = "api_budget_exhausted"


@attrs.frozen
class Breach:
    """What a tripping PnL record showed."""

    reason: str
    equity: float
    peak_equity: float
    drawdown_usd: float
    max_drawdown_usd: float
    daily_loss_usd: float
    max_daily_loss_usd: float
    day_start_ts: int
    detail: str = ""


@attrs.define
class KillSwitch:
    """Peak equity and the day's loss, folded over PnL records; trips once."""

    balance: float
    max_drawdown_usd: float
    max_daily_loss_usd: float
    latched: str = ""
    peak_equity: float = attrs.field(init=False)
    day: int | None = None
    day_start_total: float = 0.0
    last_total: float = 0.0
    drawdown_usd: float = 0.0
    daily_loss_usd: float = 0.0
    breach: Breach | None = None
    #: Event time of the trip (0 while untripped).
    tripped_at: int = 0
    #: True until a latched switch has announced itself.
    latch_pending: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.peak_equity = self.balance
        self.latch_pending = bool(self.latched)

    @classmethod
    def from_config(cls, quote: QuoteSection, risk: RiskSection) -> KillSwitch:
        return cls(
            balance=quote.paper_balance_usd,
            max_drawdown_usd=risk.max_drawdown * quote.paper_balance_usd,
            max_daily_loss_usd=risk.max_daily_loss_usd,
            latched=risk.kill_switch_latched,
        )

    @property
    def tripped(self) -> bool:
        return self.breach is not None or bool(self.latched)

    def latch(self, ts: int) -> Breach:
        """The breach a latched switch announces at the session's first quote attempt."""
        self.latch_pending = False
        self.tripped_at = ts
        self.breach = Breach(
            reason="latched",
            equity=self.balance,
            peak_equity=self.balance,
            drawdown_usd=0.0,
            max_drawdown_usd=self.max_drawdown_usd,
            daily_loss_usd=0.0,
            max_daily_loss_usd=self.max_daily_loss_usd,
            day_start_ts=0,
            detail=self.latched,
        )
        return self.breach

    def on_pnl(self, pnl: PnL) -> Breach | None:
        """Fold one PnL record; the Breach when this record trips the switch."""
        total = pnl.total
        if self.tripped or not math.isfinite(total):
            return None
        day = pnl.ts // DAY_NS
        if day != self.day:
            if self.day is not None:
                self.day_start_total = self.last_total
            self.day = day
        self.last_total = total
        equity = self.balance + total
        if equity > self.peak_equity:
            self.peak_equity = equity
        self.drawdown_usd = self.peak_equity - equity
        self.daily_loss_usd = self.day_start_total - total
        reason = ""
        if self.max_drawdown_usd > 0.0 and self.drawdown_usd > self.max_drawdown_usd:
            reason = "max_drawdown"
        elif self.max_daily_loss_usd > 0.0 and self.daily_loss_usd > self.max_daily_loss_usd:
            reason = "max_daily_loss"
        if not reason:
            return None
        self.tripped_at = pnl.ts
        self.breach = Breach(
            reason=reason,
            equity=equity,
            peak_equity=self.peak_equity,
            drawdown_usd=self.drawdown_usd,
            max_drawdown_usd=self.max_drawdown_usd,
            daily_loss_usd=self.daily_loss_usd,
            max_daily_loss_usd=self.max_daily_loss_usd,
            day_start_ts=day * DAY_NS,
        )
        return self.breach

    @property
    def equity(self) -> float:
        return self.balance + self.last_total

    def snapshot(self) -> dict[str, object]:
        """Plain data (kill-switch state for checkpoints and the summary)."""
        b = self.breach
        return {
            "tripped": self.tripped,
            "ts": self.tripped_at,
            "reason": b.reason if b is not None else ("latched" if self.latched else ""),
            "detail": b.detail if b is not None else self.latched,
            "equity": self.equity,
            "peak_equity": self.peak_equity,
            "drawdown_usd": self.drawdown_usd,
            "daily_loss_usd": self.daily_loss_usd,
            "max_drawdown_usd": self.max_drawdown_usd,
            "max_daily_loss_usd": self.max_daily_loss_usd,
        }


@attrs.frozen
class PositionLimits:
    """Caps of a side's worst-case position: contracts, notional, and margin leverage."""

    max_position: float
    max_position_usd: float
    leverage: float

    @classmethod
    def from_config(cls, cfg: QuoteSection) -> PositionLimits:
        return cls(
            max_position=cfg.max_position, max_position_usd=cfg.max_position_usd, leverage=cfg.leverage
        )


def admit_levels(
    levels: Sequence[QuoteLevel],
    resting: Sequence[bool],
    *,
    limits: PositionLimits,
    position: float,
    mid: float,
    equity: float,
    committed_buy: float,
    committed_sell: float,
    api_mode: str = "normal",
) -> list[str | None]:
    """For each level, None when it may rest, else the reason it is not sent.

    A side's exposure is the position in its direction plus every order on that side:
    those already resting or pending a cancel (``committed_*``, by remaining size) and
    the new levels admitted before it. It must stay within ``max_position`` contracts,
    within ``max_position_usd`` at ``mid`` (when set) and, for margin, within
    ``equity x leverage`` at ``mid``. Orders that reduce the position still go out when
    the position is at or over a limit, so the book can always be unwound.

    A resting level costs nothing and is kept, except under the API gate's inventory-only
    mode, where only levels that reduce the position (and, with what already rests on
    that side, by no more than the position) are kept or sent. When the budget is
    exhausted no new level is sent at all. Levels are admitted in order: pass them best
    first. A level that does not fit is dropped whole; later, smaller ones may still fit.
    """
    exposure = {"buy": position + committed_buy, "sell": -position + committed_sell}
    # Inventory-only: what each side may still add and stay reducing.
    reducing = {"buy": max(-position, 0.0) - committed_buy, "sell": max(position, 0.0) - committed_sell}
    inventory_only = api_mode != "normal"
    exhausted = api_mode == "exhausted"
    cap_contracts = limits.max_position * (1.0 + _SLACK)
    cap_usd = limits.max_position_usd * (1.0 + _SLACK) if limits.max_position_usd > 0.0 else math.inf
    cap_margin = max(equity, 0.0) * limits.leverage * (1.0 + _SLACK)
    out: list[str | None] = []
    for level, is_resting in zip(levels, resting, strict=True):
        side = level.side
        if is_resting:
            # Already counted in committed_*: it costs nothing more, unless the gate wants
            # only reducing orders and this side adds to the position.
            wrong_side = inventory_only and (position == 0.0 or (side == "buy") == (position > 0.0))
            out.append(API_HEADROOM if wrong_side else None)
            continue
        sz = level.sz
        after = exposure[side] + sz
        reason: str | None = None
        if exhausted:
            reason = API_EXHAUSTED
        elif inventory_only and sz > reducing[side] * (1.0 + _SLACK):
            reason = API_HEADROOM
        elif after > cap_contracts:
            reason = MAX_POSITION
        elif after * mid > cap_usd:
            reason = MAX_POSITION_USD
        elif after * mid > cap_margin:
            reason = MARGIN
        if reason is None:
            exposure[side] = after
            reducing[side] -= sz
        out.append(reason)
    return out


@attrs.define
class StaleGate:
    """Pauses quoting when a Heartbeat finds no book for more than ``stale_after_s``."""

    stale_after_s: float
    stale_after_ns: int = attrs.field(init=False)
    paused_at: int | None = None
    pauses: int = 0

    def __attrs_post_init__(self) -> None:
        self.stale_after_ns = round(self.stale_after_s * SEC_NS)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def on_heartbeat(self, ts: int, last_book_ts: int | None) -> float | None:
        """The silence in seconds when this heartbeat pauses quoting, else None.

        Before any book there is nothing to be stale against, so nothing pauses.
        """
        last = last_book_ts
        if self.paused_at is not None or last is None:
            return None
        silence = ts - last
        if silence <= self.stale_after_ns:
            return None
        self.paused_at = ts
        self.pauses += 1
        return silence / SEC_NS

    def resume(self, ts: int) -> float:
        """A fresh book ended the pause: how long it lasted, seconds."""
        assert self.paused_at is not None
        paused_s = (ts - self.paused_at) / SEC_NS
        self.paused_at = None
        return paused_s


@attrs.define
class SuppressionLog:
    """Turns the levels ``admit_levels`` refused into QuoteSuppressed events.

    A level refused identically (side, level, price, size, reason) in consecutive cycles
    is logged once, so a position parked at its limit does not flood the log; ``levels``
    counts every refused level of every cycle, ``events`` the QuoteSuppressed emitted.
    """

    previous: dict[tuple[str, int], tuple[float, float, str]] = attrs.field(factory=dict)
    levels: int = 0
    events: int = 0
    by_reason: dict[str, int] = attrs.field(factory=dict)

    def emit(
        self, ts: int, cycle: int, levels: Sequence[QuoteLevel], reasons: Sequence[str | None]
    ) -> list[QuoteSuppressed]:
        current: dict[tuple[str, int], tuple[float, float, str]] = {}
        out: list[QuoteSuppressed] = []
        for level, reason in zip(levels, reasons, strict=True):
            if reason is None:
                continue
            key = (level.side, level.level)
            value = (level.px, level.sz, reason)
            current[key] = value
            self.levels += 1
            if self.previous.get(key) == value:
                continue
            self.events += 1
            self.by_reason[reason] = self.by_reason.get(reason, 0) + 1
            out.append(
                QuoteSuppressed(
                    ts=ts,
                    reason=reason,
                    side=level.side,
                    level=level.level,
                    px=level.px,
                    sz=level.sz,
                    cycle=cycle,
                )
            )
        self.previous = current
        return out

    def reset(self) -> None:
        """Forget the last cycle (quoting stopped: the next refusal is news again)."""
        self.previous = {}


def kill_switch_event(ts: int, breach: Breach, position: float, canceled: int) -> KillSwitchTripped:
    """The KillSwitchTripped of a breach."""
    return KillSwitchTripped(
        ts=ts,
        reason=breach.reason,
        equity=breach.equity,
        peak_equity=breach.peak_equity,
        drawdown_usd=breach.drawdown_usd,
        max_drawdown_usd=breach.max_drawdown_usd,
        daily_loss_usd=breach.daily_loss_usd,
        max_daily_loss_usd=breach.max_daily_loss_usd,
        day_start_ts=breach.day_start_ts,
        position=position,
        canceled=canceled,
        detail=breach.detail,
    )
