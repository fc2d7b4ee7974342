"""Matching the server's answers to the subscriptions sent: acknowledgements and errors.

An ack echoes the subscription, normalised; an error quotes the request inside a
plain-text message. Both are matched to what was sent by subset, never by equality.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from actors.feeds.subscriptions import Subscription


def is_subset(sent: Mapping[str, object], echo: object) -> bool:
    """Whether ``echo`` carries every key of ``sent`` with the same value.

    The server normalises what it echoes (an ``l2Book`` ack adds ``nSigFigs``,
    ``mantissa`` and ``fast``), so acks and errors are matched by subset, not equality.
    """
    return isinstance(echo, dict) and all(key in echo and echo[key] == value for key, value in sent.items())


class ControlFrame(msgspec.Struct, frozen=True):
    """The channel and data of a subscription answer (``subscriptionResponse`` or ``error``)."""

    channel: str
    data: object = None


_CONTROL = msgspec.json.Decoder(ControlFrame)
_ANY_JSON = msgspec.json.Decoder()


def control_frame(frame: str | bytes) -> ControlFrame | None:
    """The channel and data of an ack or error frame; None for anything else."""
    # A substring test first: data frames (almost all traffic) skip the second decode.
    if isinstance(frame, str):
        if '"subscriptionResponse"' not in frame and '"error"' not in frame:
            return None
    elif b'"subscriptionResponse"' not in frame and b'"error"' not in frame:
        return None
    try:
        control = _CONTROL.decode(frame)
    except (msgspec.DecodeError, UnicodeError):
        return None
    return control if control.channel in ("subscriptionResponse", "error") else None


def quoted_subscription(message: str) -> object:
    """The JSON an error message quotes after its prefix (a whole request or a subscription)."""
    start = message.find("{")
    if start < 0:
        return None
    try:
        quoted = _ANY_JSON.decode(message[start:])
    except msgspec.DecodeError:
        return None
    if isinstance(quoted, dict) and isinstance(quoted.get("subscription"), dict):
        return quoted["subscription"]
    return quoted


def concerns(sub: Subscription, quoted: object) -> bool:
    """Whether an error that quotes ``quoted`` is about the subscription ``sub``."""
    if not isinstance(quoted, dict) or "type" not in quoted:
        return False
    return is_subset(sub, quoted) or is_subset(quoted, sub)
