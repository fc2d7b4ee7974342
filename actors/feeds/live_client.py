"""The live websocket: one connection, kept subscribed, reconnected after every loss.

``LiveClient`` connects, subscribes (one frame per stream), checks every
acknowledgement, keeps the socket from going idle (``keepalive``), and on any close,
error, refused subscription or silence reconnects after a ``Backoff`` delay. It hands
every raw frame, stamped with its receive wall time, to a ``FrameHandler`` (the live
feed, or the recorder). Network trouble never leaves it.
"""

from __future__ import annotations

from typing import Final, NoReturn, Protocol

import attrs
import msgspec
import numpy as np
import structlog
import trio
import trio_websocket

from actors.config import Config
from actors.feeds.backoff import Backoff
from actors.feeds.connection_errors import NETWORK_ERRORS, describe, unless_network
from actors.feeds.endpoint import Endpoint, ws_url
from actors.feeds.keepalive import Keepalive
from actors.feeds.subscription_acks import (
    ControlFrame,
    concerns,
    control_frame,
    is_subset,
    quoted_subscription,
)
from actors.feeds.subscriptions import Subscription, subscriptions_for
from actors.feeds.wall_stamps import WallStamps
from events.market import FeedState

_log = structlog.get_logger("papermm.feeds.live")

#: An allMids frame of the first dex is ~20 KB; 4 MiB leaves room for anything public.
MAX_MESSAGE_SIZE: Final = 4 * 1024 * 1024
#: Frames trio-websocket buffers while a batch waits for the sequencer. Bounded on purpose.
MESSAGE_QUEUE_SIZE: Final = 256
#: How long a polite close (close frame, wait for the peer's) may take.
CLOSE_TIMEOUT_S: Final = 1.0
_ENCODER = msgspec.json.Encoder()


class FrameHandler(Protocol):
    """Where ``LiveClient`` delivers what it receives."""

    async def on_frame(self, recv_ns: int, frame: str | bytes) -> None:
        """One raw frame, as received, with its receive wall time."""
        ...

    async def on_status(self, status: FeedState, detail: str) -> None:
        """The connection changed: connected, disconnected or reconnecting."""
        ...


@attrs.frozen
class ClientStatistics:
    """Counters of one ``LiveClient`` since it was made."""

    connects: int
    disconnects: int
    frames: int
    acks: int
    pings: int
    silences: int
    ack_timeouts: int
    subscription_errors: int
    server_errors: int


class _Lost(Exception):
    """This connection is over; ``polite`` when the peer is alive enough for a close frame."""

    def __init__(self, reason: str, *, polite: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.polite = polite


class LiveClient:
    """Keeps one websocket subscribed to the session's streams until cancelled."""

    def __init__(self, config: Config, stamps: WallStamps) -> None:
        self.url = ws_url(config.live)
        self.endpoint = Endpoint.from_url(self.url)
        self.subscriptions = subscriptions_for(config)
        self._live = config.live
        self._stamps = stamps
        self._backoff = Backoff(
            config.live.backoff_initial_s,
            config.live.backoff_max_s,
            config.live.backoff_jitter,
            np.random.default_rng(config.session.seed),
        )
        self._keepalive = Keepalive(config.live.ping_interval_s)
        self._counts = {name: 0 for name in attrs.fields_dict(ClientStatistics) if name != "pings"}
        self._log = _log.bind(url=self.url)

    def statistics(self) -> ClientStatistics:
        """A snapshot of the counters."""
        return ClientStatistics(**self._counts, pings=self._keepalive.pings)

    async def run(self, handler: FrameHandler) -> NoReturn:
        """Connect, and reconnect after every loss, forever; only cancellation ends it."""
        reason = ""
        while True:
            if reason:
                delay = self._backoff.next_delay()
                self._log.info("reconnecting", delay_s=round(delay, 3), after=reason)
                await handler.on_status("reconnecting", f"in {delay:.3f} s after: {reason}")
                await trio.sleep(delay)
            reason, up_s = await self._connect_once(handler)
            if up_s >= self._live.stable_after_s:
                self._backoff.reset()

    async def _connect_once(self, handler: FrameHandler) -> tuple[str, float]:
        """One connection, from connect to loss: why it ended and how long it was up."""
        reason = "closed"
        up_since: float | None = None
        endpoint = self.endpoint
        try:
            deadline = trio.current_time() + self._live.connect_timeout_s
            with trio.fail_at(deadline):
                stream = await endpoint.open_stream()
            # We own the TCP stream and close it on every way out: trio-websocket leaves
            # it open after an abrupt close by the peer.
            async with stream, trio.open_nursery() as nursery:
                with trio.fail_at(deadline):
                    ws = await trio_websocket.wrap_client_stream(
                        nursery,
                        stream,
                        endpoint.host_header,
                        endpoint.resource,
                        message_queue_size=MESSAGE_QUEUE_SIZE,
                        max_message_size=MAX_MESSAGE_SIZE,
                    )
                up_since = trio.current_time()
                self._counts["connects"] += 1
                try:
                    await self._serve(ws, nursery, handler)
                except _Lost as lost:
                    reason = lost.reason
                    if lost.polite:  # a silent peer gets no close handshake to wait for
                        with trio.move_on_after(CLOSE_TIMEOUT_S):
                            await ws.aclose()
                nursery.cancel_scope.cancel(f"connection ended: {reason}")
        except* NETWORK_ERRORS as group:
            reason = describe(group.exceptions[0])
        up_s = 0.0 if up_since is None else trio.current_time() - up_since
        if up_since is not None:
            self._counts["disconnects"] += 1
            self._log.warning("disconnected", reason=reason, up_s=round(up_s, 3))
            await handler.on_status("disconnected", reason)
        else:
            self._log.warning("connect_failed", reason=reason)
        return reason, up_s

    async def _serve(
        self, ws: trio_websocket.WebSocketConnection, nursery: trio.Nursery, handler: FrameHandler
    ) -> NoReturn:
        """Subscribe, then deliver frames until the connection is lost (raises ``_Lost``)."""
        live = self._live
        self._log.info("connected")
        await unless_network(handler.on_status("connected", self.url))
        pending = list(self.subscriptions)
        for sub in pending:
            await self._keepalive.send(
                ws, _ENCODER.encode({"method": "subscribe", "subscription": sub}).decode()
            )
        ack_deadline = trio.current_time() + live.ack_timeout_s
        nursery.start_soon(self._keepalive.run, ws)
        last_frame = trio.current_time()
        while True:
            deadline = last_frame + live.silence_timeout_s
            if pending:
                deadline = min(deadline, ack_deadline)
            # Only the wait for a frame is timed: a handler blocked on a busy sequencer
            # is backpressure, not silence.
            with trio.move_on_at(deadline) as waiting:
                frame = await ws.get_message()
            if waiting.cancelled_caught:
                if pending and trio.current_time() >= ack_deadline:
                    self._counts["ack_timeouts"] += 1
                    types = ", ".join(str(sub["type"]) for sub in pending)
                    raise _Lost(f"no acknowledgement in {live.ack_timeout_s} s for: {types}", polite=True)
                self._counts["silences"] += 1
                raise _Lost(f"silent for {live.silence_timeout_s} s", polite=False)
            recv_ns = self._stamps()
            last_frame = trio.current_time()
            self._counts["frames"] += 1
            await unless_network(handler.on_frame(recv_ns, frame))
            control = control_frame(frame)
            if control is not None:
                self._on_control(control, pending)

    def _on_control(self, control: ControlFrame, pending: list[Subscription]) -> None:
        """Tick off acknowledgements; a refused subscription ends the connection."""
        data = control.data
        if control.channel == "subscriptionResponse":
            if not isinstance(data, dict) or data.get("method") != "subscribe":
                return
            echo = data.get("subscription")
            for i, sub in enumerate(pending):
                if is_subset(sub, echo):
                    del pending[i]
                    self._counts["acks"] += 1
                    if not pending:
                        self._log.info("subscribed", streams=len(self.subscriptions))
                    return
            return
        message = data if isinstance(data, str) else _ENCODER.encode(data).decode()
        quoted = quoted_subscription(message)
        if any(concerns(sub, quoted) for sub in self.subscriptions):
            self._counts["subscription_errors"] += 1
            raise _Lost(f"subscription refused: {message[:300]}", polite=True)
        # Not about our streams (a ping the server could not parse...): the parser has
        # already logged it as an InputRejected; the streams are fine.
        self._counts["server_errors"] += 1
        self._log.warning("server_error", message=message[:300])
