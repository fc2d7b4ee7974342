"""Event time for humans: the ``--until`` specs that locate a point of a session, and back.

Times are event time, integer nanoseconds since the epoch, as in every event. A point of
a session is asked for as a record number, an offset from the session start
(``+90s``) or an ISO-8601 time; it is printed as an ISO time or an offset.
"""

from __future__ import annotations

import datetime as _dt
import re

from events.base import SEC_NS

_OFFSET = re.compile(r"^\+?(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h)?$")
_UNIT_NS = {"ms": 1_000_000, "s": SEC_NS, "m": 60 * SEC_NS, "h": 3600 * SEC_NS, None: SEC_NS}


def parse_time(text: str, start_ns: int) -> int:
    """Event time in ns from ``+SECONDS`` (also ``+90s``, ``+250ms``, ``+2m``, ``+1h``,
    an offset from the session start) or an ISO-8601 time (UTC unless it says otherwise).

    Raises:
        ValueError: the text is neither.
    """
    text = text.strip()
    match = _OFFSET.match(text)
    if match and text.startswith("+"):
        return start_ns + round(float(match.group(1)) * _UNIT_NS[match.group(2)])
    try:
        when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r}: expected +SECONDS (offset from the session start, e.g. +90s) or an ISO time"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    delta = when - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * SEC_NS + delta.microseconds * 1000


def parse_until(text: str, start_ns: int) -> tuple[int | None, int | None]:
    """``--until``: a plain integer is a sequence number, anything else a time (see parse_time).

    Returns ``(seq, None)`` or ``(None, ts)``.
    """
    text = text.strip()
    if text.isdigit():
        return int(text), None
    return None, parse_time(text, start_ns)


def format_ts(ts: int) -> str:
    """``2026-01-01T00:01:02.345Z`` (ms precision)."""
    when = _dt.datetime.fromtimestamp(ts // SEC_NS, tz=_dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{(ts % SEC_NS) // 1_000_000:03d}Z"


def format_offset(ts: int, start_ns: int) -> str:
    """``+123.456s`` from the session start."""
    ms = (ts - start_ns) // 1_000_000  # truncated like format_ts, so the two always agree
    return f"{'-' if ms < 0 else '+'}{abs(ms) // 1000}.{abs(ms) % 1000:03d}s"
