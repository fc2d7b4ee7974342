"""Where the live feed connects: the network's public websocket, or a configured URL."""

from __future__ import annotations

import ssl
import urllib.parse
from typing import Final

import attrs
import trio

from actors.config import LiveSection

MAINNET_WS_URL: Final = "wss://api.hyperliquid.xyz/ws"
TESTNET_WS_URL: Final = "wss://api.hyperliquid-testnet.xyz/ws"


def ws_url(live: LiveSection) -> str:
    """``live.ws_url``, else the network's public endpoint."""
    if live.ws_url:
        return live.ws_url
    return TESTNET_WS_URL if live.network == "testnet" else MAINNET_WS_URL


@attrs.frozen
class Endpoint:
    """Where a ``ws://`` or ``wss://`` URL points."""

    host: str
    port: int
    resource: str
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        """Parse ``url``; ValueError when it is not a websocket URL."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
        tls = parts.scheme == "wss"
        resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(parts.hostname, parts.port or (443 if tls else 80), resource, tls)

    @property
    def host_header(self) -> str:
        return self.host if self.port in (80, 443) else f"{self.host}:{self.port}"

    async def open_stream(self) -> trio.SocketStream | trio.SSLStream[trio.SocketStream]:
        """A TCP (and TLS for wss) stream to the endpoint."""
        if self.tls:
            context = ssl.create_default_context()
            return await trio.open_ssl_over_tcp_stream(
                self.host, self.port, ssl_context=context, https_compatible=True
            )
        return await trio.open_tcp_stream(self.host, self.port)
