"""Seeded fixtures and event factories shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, settings

from events import BookSnapshot, Mids, Trade

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data" / "hyperliquid"

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z in ns
SEC = 1_000_000_000
MS = 1_000_000


def make_trade(
    ts: int = T0, px: float = 100.0, sz: float = 1.0, side: str = "A", tid: int = 1, coin: str = "BTC"
) -> Trade:
    """A trade; ``side`` is the aggressor (A = taker sold, hits bids)."""
    return Trade(ts=ts, coin=coin, px=px, sz=sz, side=side, tid=tid)  # type: ignore[arg-type]


def make_book(
    ts: int = T0,
    bid: float = 99.99,
    ask: float = 100.01,
    levels: int = 5,
    step: float = 0.01,
    size: float = 1.0,
    coin: str = "BTC",
) -> BookSnapshot:
    """A symmetric book with ``levels`` levels per side spaced by ``step``."""
    return BookSnapshot(
        ts=ts,
        coin=coin,
        bid_px=tuple(round(bid - i * step, 10) for i in range(levels)),
        bid_sz=tuple(size for _ in range(levels)),
        ask_px=tuple(round(ask + i * step, 10) for i in range(levels)),
        ask_sz=tuple(size for _ in range(levels)),
    )


def make_mids(ts: int = T0, mid: float = 100.0, coin: str = "BTC") -> Mids:
    """A Mids event for one coin."""
    return Mids(ts=ts, coin=coin, mid=mid)


@pytest.fixture
def shared_data() -> Path:
    """The real recorded Hyperliquid data beside the project."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data missing at {SHARED_DATA}: CI clones ../shared beside the project")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_structlog(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Give every test the structlog configuration the suite started with.

    An in-process CLI call (``main([..., "--log-level", "error"])``) configures structlog
    for the whole process: its level filter, its renderer, and a stderr that pytest
    replaces after the test. Left in place, it decides what a later test's
    ``capture_logs()`` sees, so a test would pass or fail depending on what ran before
    it. Loggers are never cached under test: a module-level logger cached under one
    test's configuration keeps it for good, whatever is restored afterwards (structlog's
    testing docs advise the same).
    """
    saved = structlog.get_config()
    processors = list(saved["processors"])
    was_configured = structlog.is_configured()
    configure = structlog.configure

    def configure_uncached(**settings: Any) -> None:
        configure(**{**settings, "cache_logger_on_first_use": False})

    monkeypatch.setattr(structlog, "configure", configure_uncached)
    yield
    if was_configured:
        # The same list object, as capture_logs() keeps it: loggers bound before the test
        # hold it.
        saved["processors"][:] = processors
        configure(**saved)
    else:
        structlog.reset_defaults()
