"""What the live feed subscribes: the session coin's streams, as the exchange names them."""

from __future__ import annotations

from actors.config import Config, SessionSection

Subscription = dict[str, str | bool]


def exchange_coin(session: SessionSection) -> str:
    """The coin as the exchange names it: HIP-3 coins are ``dex:COIN``."""
    if session.dex and ":" not in session.asset:
        return f"{session.dex}:{session.asset}"
    return session.asset


def mids_dex(session: SessionSection) -> str:
    """The dex whose ``allMids`` carries the coin ("" is the first perp dex)."""
    coin = exchange_coin(session)
    return coin.split(":", 1)[0] if ":" in coin else ""


def subscriptions_for(config: Config) -> tuple[Subscription, ...]:
    """Every stream the live feed subscribes, in the order it sends them."""
    coin = exchange_coin(config.session)
    live = config.live
    subs: list[Subscription] = [{"type": "l2Book", "coin": coin}]
    if live.fast_book:
        subs.append({"type": "l2Book", "coin": coin, "fast": True})
    subs.append({"type": "trades", "coin": coin})
    if live.bbo:
        subs.append({"type": "bbo", "coin": coin})
    if live.all_mids:
        dex = mids_dex(config.session)
        subs.append({"type": "allMids", "dex": dex} if dex else {"type": "allMids"})
    return tuple(subs)
