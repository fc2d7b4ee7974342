"""Application-level keep-alive: a ping whenever the client has sent nothing for a while.

Hyperliquid drops a socket that stays idle and sends no protocol pings of its own, so
the client pings with ``{"method":"ping"}``. Every frame the client sends goes through
``Keepalive.send``, which is how it knows how long the socket has been idle.
"""

from __future__ import annotations

from typing import Final

import trio
import trio_websocket

PING: Final = '{"method":"ping"}'


class Keepalive:
    """The time of the last frame sent, and the pings that keep the socket from going idle.

    One per client: it outlives reconnects, like the counters it keeps.
    """

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.last_send = 0.0
        self.pings = 0

    async def send(self, ws: trio_websocket.WebSocketConnection, text: str) -> None:
        """Send one text frame, and remember when."""
        self.last_send = trio.current_time()
        await ws.send_message(text)

    async def run(self, ws: trio_websocket.WebSocketConnection) -> None:
        """Ping whenever nothing was sent for ``interval_s``, until the connection closes."""
        interval = self.interval_s
        while True:
            due = self.last_send + interval
            if trio.current_time() < due:
                await trio.sleep_until(due)
                continue
            try:
                await self.send(ws, PING)
            except trio_websocket.ConnectionClosed:
                return  # the receive loop sees the close and reports it
            self.pings += 1
