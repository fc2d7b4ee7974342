"""The vocabulary of rejected input: every kind an ``InputRejected`` can carry, and its detail."""

from __future__ import annotations

from typing import Final, Literal, get_args

import msgspec

#: How much of an offending frame a rejection keeps.
DETAIL_FRAME_CHARS: Final = 300

RejectionKind = Literal[
    "invalid_json",
    "missing_field",
    "wrong_type",
    "bad_number",
    "non_finite",
    "non_positive",
    "out_of_range",
    "unsorted_levels",
    "crossed_book",
    "time_backwards",
    "error_channel",
    "bad_row",
]
#: Every kind an ``InputRejected`` from a feed can carry ("bad_row": recordings only).
REJECTION_KINDS: Final[tuple[RejectionKind, ...]] = get_args(RejectionKind)

#: Why a value is bad: its kind and a reason for people.
Problem = tuple[RejectionKind, str]


def truncate_frame(frame: object) -> str:
    """The start of a frame as printable text, for rejection details and logs."""
    if isinstance(frame, bytes | bytearray | memoryview):
        text = bytes(frame[: DETAIL_FRAME_CHARS * 4]).decode("utf-8", "replace")
    else:
        text = str(frame)
    # Lone surrogates would make the event unencodable in the log.
    return text[:DETAIL_FRAME_CHARS].encode("utf-8", "backslashreplace").decode("utf-8")


def classify_validation_error(exc: msgspec.ValidationError) -> RejectionKind:
    """Name the kind of a msgspec validation failure from its message."""
    message = str(exc)
    if "missing required field" in message:
        return "missing_field"
    if message.startswith(("Expected `float`, got `str`", "Number out of range")):
        return "bad_number"
    return "wrong_type"
