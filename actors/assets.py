"""Static facts about Hyperliquid perp assets that quoting needs."""

from __future__ import annotations

#: szDecimals from the exchange's ``meta`` universe for the assets we ship data for.
SZ_DECIMALS: dict[str, int] = {
    "BTC": 5,
    "ETH": 4,
    "SOL": 2,
    "HYPE": 2,
    "WLFI": 0,
    "DYDX": 1,
    "kPEPE": 0,
    "DOGE": 0,
    "XRP": 0,
    "AVAX": 2,
}
DEFAULT_SZ_DECIMALS = 2


def sz_decimals_for(asset: str, configured: int = -1) -> int:
    """szDecimals of ``asset``; ``configured`` wins when it is not -1."""
    if configured >= 0:
        return configured
    return SZ_DECIMALS.get(asset, DEFAULT_SZ_DECIMALS)
