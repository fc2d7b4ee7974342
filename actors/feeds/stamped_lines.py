"""JSON lines that each carry a UTC time string: the S3 archive and ``node_fills_by_block``.

Both formats stamp a line with a naive UTC ISO time of up to nanosecond precision; a
line that does not decode, or whose time does not parse, becomes its rejection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, TypeVar

import msgspec

from actors.feeds.compressed_streams import iter_lines
from actors.feeds.frames import FrameParser
from actors.feeds.rejections import RejectionKind, classify_validation_error
from events import Event

_T = TypeVar("_T")
_EPOCH: Final = dt.datetime(1970, 1, 1)


def parse_utc_ns(text: str) -> int:
    """``2024-01-01T12:00:01.138942031`` (UTC, no zone, up to 9 fraction digits) to epoch ns."""
    head, _, fraction = text.rstrip("Z").partition(".")
    if len(fraction) > 9 or (fraction and not fraction.isdigit()):
        raise ValueError(f"bad fraction of a second in {text!r}")
    seconds = (dt.datetime.fromisoformat(head) - _EPOCH) // dt.timedelta(seconds=1)
    return seconds * 1_000_000_000 + int(fraction.ljust(9, "0") or 0)


def _fallback_ns(parser: FrameParser) -> int:
    """Time for a rejection that has no time of its own: the last one stamped."""
    return parser.last_ts if parser.last_ts is not None else 0


def _reject_decode(parser: FrameParser, exc: Exception, line: bytes) -> Event:
    kind: RejectionKind
    kind = classify_validation_error(exc) if isinstance(exc, msgspec.ValidationError) else "invalid_json"
    return parser.reject(_fallback_ns(parser), kind, f"bad line: {exc}", line)


def stamped_lines(
    path: Path,
    parser: FrameParser,
    decode: Callable[[bytes], _T],
    time_of: Callable[[_T], str],
    what: str,
) -> Iterator[tuple[_T, int] | Event]:
    """Decode each non-blank JSON line with its UTC time; a bad line becomes its rejection."""
    for line in iter_lines(path):
        if not line.strip():
            continue
        try:
            record = decode(line)
            recv_ns = parse_utc_ns(time_of(record))
        except (msgspec.DecodeError, UnicodeError) as exc:
            yield _reject_decode(parser, exc, line)
            continue
        except ValueError as exc:
            yield parser.reject(_fallback_ns(parser), "out_of_range", f"bad {what}: {exc}", line)
            continue
        yield record, recv_ns
