"""The validation checklist of a session (the seed system's manual one, automated).

Each item says pass, fail or not applicable, with the figure it was judged on:

1. fills on both sides: at least one buy fill and one sell fill;
2. kappa confidence increased: the last Estimates' ``kappa_confidence`` is above the
   first one's;
3. calibration progress > 0: the last Estimates' ``cal_progress``;
4. PnL tracked: the last PnL record's realized PnL is nonzero, and unrealized PnL was
   nonzero in some record (a session may well end flat, with nothing unrealized);
5. adverse-selection outcomes recorded: at least one Markout, and at least one
   CalibrationRecord level with a realized adverse selection;
6. regime detection not stuck: the Estimates name more than one regime over the session;
7. checkpoints saved on schedule: not applicable when the session wrote none (no
   CheckpointSaved: a session recorded before the checkpointer existed, or one with
   ``checkpoint.save`` off); otherwise the largest gap between consecutive ones (and from
   the start to the first) must stay within 1.5 x ``checkpoint.interval_s`` (any number
   passes when the logged config has no interval).

A session without Estimates (no estimators actor) fails items 2, 3 and 6 with the
figure "no Estimates in the log".
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal

import attrs

from events import Estimates
from events.base import SEC_NS
from replay.session_data import SessionData

Status = Literal["pass", "fail", "not applicable"]
#: Slack on the checkpoint interval before a gap counts as off schedule.
SCHEDULE_SLACK: Final = 1.5


@attrs.frozen
class CheckItem:
    """One checklist item: its name, status and the figure behind it."""

    name: str
    status: Status
    figure: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "figure": self.figure}


@attrs.frozen
class Checklist:
    items: tuple[CheckItem, ...]

    @property
    def passed(self) -> bool:
        """No item failed (not applicable ones do not count)."""
        return all(item.status != "fail" for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "items": [item.as_dict() for item in self.items]}

    def render(self) -> str:
        """One line per item: status, name, figure."""
        width = max(len(item.name) for item in self.items)
        lines = [f"{item.status.upper():<14} {item.name:<{width}}  {item.figure}" for item in self.items]
        lines.append("checklist " + ("passed" if self.passed else "FAILED"))
        return "\n".join(lines)


def _ok(cond: bool) -> Status:
    return "pass" if cond else "fail"


def run_checklist(data: SessionData) -> Checklist:
    """Every item, judged from the session's log."""
    return Checklist(
        (
            _fills_both_sides(data),
            _kappa_confidence(data),
            _calibration_progress(data),
            _pnl_tracked(data),
            _adverse_outcomes(data),
            _regimes(data),
            _checkpoints(data),
        )
    )


def _fills_both_sides(data: SessionData) -> CheckItem:
    buys = sum(1 for f in data.fills if f.side == "buy")
    sells = len(data.fills) - buys
    return CheckItem("fills on both sides", _ok(buys > 0 and sells > 0), f"{buys} buys, {sells} sells")


def _no_estimates(name: str) -> CheckItem:
    return CheckItem(name, "fail", "no Estimates in the log")


def _kappa_confidence(data: SessionData) -> CheckItem:
    name = "kappa confidence increased"
    if not data.estimates:
        return _no_estimates(name)
    first = data.estimates[0].kappa_confidence
    last = data.estimates[-1].kappa_confidence
    return CheckItem(name, _ok(last > first), f"{first:.3f} -> {last:.3f}")


def _calibration_progress(data: SessionData) -> CheckItem:
    name = "calibration progress > 0"
    if not data.estimates:
        return _no_estimates(name)
    last: Estimates = data.estimates[-1]
    progress = float(getattr(last, "cal_progress", math.nan))
    return CheckItem(name, _ok(progress > 0.0), f"{progress:.3f}")


def _pnl_tracked(data: SessionData) -> CheckItem:
    name = "PnL tracked (realized and unrealized nonzero)"
    if not data.pnl:
        return CheckItem(name, "fail", "no PnL records")
    realized = data.pnl[-1].realized
    unrealized = max((abs(r.unrealized) for r in data.pnl), default=0.0)
    ok = realized != 0.0 and unrealized != 0.0
    return CheckItem(name, _ok(ok), f"realized {realized:+.4f}, largest |unrealized| {unrealized:.4f}")


def _adverse_outcomes(data: SessionData) -> CheckItem:
    realized = sum(1 for r in data.records for f in r.fills if math.isfinite(f.adverse_bps))
    ok = len(data.markouts) > 0 and realized > 0
    return CheckItem(
        "adverse-selection outcomes recorded",
        _ok(ok),
        f"{len(data.markouts)} markouts, {realized} predicted levels with realized adverse selection",
    )


def _regimes(data: SessionData) -> CheckItem:
    name = "regime detection not stuck"
    if not data.estimates:
        return _no_estimates(name)
    seen: dict[str, int] = {}
    for est in data.estimates:
        seen[est.regime] = seen.get(est.regime, 0) + 1
    total = len(data.estimates)
    shares = ", ".join(f"{r} {n / total:.0%}" for r, n in sorted(seen.items(), key=lambda kv: -kv[1]))
    return CheckItem(name, _ok(len(seen) > 1), f"{len(seen)} regimes: {shares}")


def _checkpoints(data: SessionData) -> CheckItem:
    name = "checkpoints saved on schedule"
    saved = data.checkpoints
    if not saved:
        due = data.counts.get("CheckpointDue", 0)
        if due:
            return CheckItem(
                name, "not applicable", f"not applicable (checkpoint.save is off: {due} due, none written)"
            )
        return CheckItem(name, "not applicable", "not applicable (no checkpointer in this session)")
    section = data.started.config.get("checkpoint", {})
    interval = section.get("interval_s") if isinstance(section, dict) else None
    times = [data.start_ns, *(c.ts for c in saved)]
    gap = max(b - a for a, b in zip(times, times[1:], strict=False)) / SEC_NS
    if not isinstance(interval, int | float) or interval <= 0:
        return CheckItem(
            name, "pass", f"{len(saved)} checkpoints, largest gap {gap:.0f} s (no interval configured)"
        )
    ok = gap <= SCHEDULE_SLACK * interval
    return CheckItem(
        name, _ok(ok), f"{len(saved)} checkpoints, largest gap {gap:.0f} s, interval {interval:g} s"
    )
