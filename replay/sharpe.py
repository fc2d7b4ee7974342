"""The ``sharpe_metrics`` stream: per-minute returns and their rolling Sharpe ratios.

One line per ``SHARPE_INTERVAL_S`` (60 s) of event time: the return of that minute (change
of the marked-to-mid PnL total, in bps of the paper balance) and, over the trailing 1 h,
24 h, 7 d and the whole session, the number of returns, their mean and standard deviation
in bps and the annualized Sharpe ratio ``mean / std * sqrt(minutes per year)`` (365-day
year: crypto never closes).
"""

from __future__ import annotations

import math
from typing import Any, Final

from events.base import SEC_NS
from replay.session_data import SessionData

SHARPE_INTERVAL_S: Final = 60.0
SHARPE_WINDOWS: Final = (("1h", 3600.0), ("24h", 86_400.0), ("7d", 604_800.0), ("all", math.inf))
_BPS: Final = 1e4
_YEAR_S: Final = 365.0 * 86_400.0


def pnl_samples(data: SessionData, interval_s: float = SHARPE_INTERVAL_S) -> tuple[list[int], list[float]]:
    """The PnL total in force at every ``interval_s`` boundary after the start (the last
    PnL record at or before it; 0 before any), up to the end of the log."""
    step = round(interval_s * SEC_NS)
    times: list[int] = []
    values: list[float] = []
    i = 0
    value = 0.0
    records = data.pnl
    t = data.start_ns + step
    while t <= data.end_ns:
        while i < len(records) and records[i].ts <= t:
            value = records[i].total
            i += 1
        times.append(t)
        values.append(value)
        t += step
    return times, values


def sharpe_stream(data: SessionData) -> list[dict[str, Any]]:
    """One line per interval: its return and the rolling statistics of every window."""
    times, values = pnl_samples(data)
    balance = data.config.quote.paper_balance_usd
    per_year = math.sqrt(_YEAR_S / SHARPE_INTERVAL_S)
    returns: list[float] = []
    prev = 0.0
    # Prefix sums for O(1) window statistics.
    s1 = [0.0]
    s2 = [0.0]
    out = []
    for t, v in zip(times, values, strict=True):
        r = (v - prev) / balance * _BPS
        prev = v
        returns.append(r)
        s1.append(s1[-1] + r)
        s2.append(s2[-1] + r * r)
        n_all = len(returns)
        line: dict[str, Any] = {"ts": t, "pnl_total": v, "return_bps": r}
        for name, window_s in SHARPE_WINDOWS:
            n = n_all if math.isinf(window_s) else min(n_all, int(window_s // SHARPE_INTERVAL_S))
            a = n_all - n
            mean = (s1[-1] - s1[a]) / n
            var = ((s2[-1] - s2[a]) - n * mean * mean) / (n - 1) if n > 1 else math.nan
            std = math.sqrt(var) if var > 0.0 else (0.0 if n > 1 else math.nan)
            sharpe = mean / std * per_year if std > 0.0 else None
            line[name] = {"samples": n, "mean_bps": mean, "std_bps": std, "sharpe": sharpe}
        out.append(line)
    return out
