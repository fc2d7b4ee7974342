"""Which errors mean "the network failed, reconnect", and how they are told apart from ours."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Final

import trio
import trio_websocket

#: What a dropped, refused or broken connection raises; all of them mean "reconnect".
NETWORK_ERRORS: Final = (
    trio_websocket.ConnectionClosed,
    trio_websocket.HandshakeError,
    trio.BrokenResourceError,
    trio.TooSlowError,
    OSError,
)


class HandlerFailed(Exception):
    """The frame handler (not the network) failed: this ends the client instead of a reconnect."""


async def unless_network(call: Awaitable[None]) -> None:
    """Await a handler call so that its errors cannot pass for network trouble.

    A recorder's disk error is an ``OSError`` and a closed consumer channel a
    ``BrokenResourceError``; inside the connection they would look like a lost socket
    and be retried forever.
    """
    try:
        await call
    except NETWORK_ERRORS as exc:
        raise HandlerFailed(f"frame handler failed: {exc!r}") from exc


def describe(exc: BaseException) -> str:
    """Why a connection failed, in a few words for the log and ``FeedStatus``."""
    if isinstance(exc, trio_websocket.ConnectionClosed):
        reason = exc.reason
        return (
            f"closed by peer: code {reason.code} {reason.name}{': ' + reason.reason if reason.reason else ''}"
        )
    if isinstance(exc, trio.TooSlowError):
        return "connect timed out"
    return f"{type(exc).__name__}: {exc}"
