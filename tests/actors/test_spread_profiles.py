"""Spread profiles: the bounds GLFT quotes within, the ladder spacing, and a session per profile."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from actors.config import FeesSection, QuoteSection
from actors.quote_engine import QuoteEngine
from actors.spread_profiles import PROFILES, ladder_config, resolve_profile
from events import BookSnapshot, Estimates, PlaceOrder, QuoteCycle
from events.log import read_events
from tests.conftest import SEC, T0, make_book
from tests.e2e.helpers import run_synthetic

BOUNDS = {"default": (40.0, 50.0), "hip3": (15.0, 25.0), "aggressive": (10.0, 20.0)}


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_profiles_carry_the_seed_systems_targets(name: str) -> None:
    profile = resolve_profile(QuoteSection(spread_profile=name))
    assert (profile.min_spread_bps, profile.max_spread_bps) == BOUNDS[name]
    assert profile.min_half_spread == pytest.approx(BOUNDS[name][0] / 2e4)
    assert profile.clamp_half_spread(0.0) == profile.min_half_spread
    assert profile.clamp_half_spread(1.0) == profile.max_half_spread
    mid = (profile.min_half_spread + profile.max_half_spread) / 2
    assert profile.clamp_half_spread(mid) == mid


def test_glft_is_unbounded_and_keeps_the_configured_spacing() -> None:
    cfg = QuoteSection(spread_profile="glft", level_spacing=2.0)
    profile = resolve_profile(cfg)
    assert profile.clamp_half_spread(-0.001) == -0.001 and profile.clamp_half_spread(0.5) == 0.5
    assert ladder_config(cfg, profile) is cfg


def test_profiles_set_the_ladder_spacing() -> None:
    for name in BOUNDS:
        cfg = ladder_config(QuoteSection(spread_profile=name), PROFILES[name])
        assert cfg.level_spacing == PROFILES[name].level_spacing


def test_explicit_bounds_override_the_profile_and_are_checked() -> None:
    profile = resolve_profile(QuoteSection(spread_profile="hip3", min_spread_bps=1.0))
    assert (profile.min_spread_bps, profile.max_spread_bps) == (1.0, 25.0)
    profile = resolve_profile(QuoteSection(spread_profile="glft", max_spread_bps=8.0))
    assert profile.max_half_spread == pytest.approx(4e-4)
    with pytest.raises(ValueError, match="above max"):
        resolve_profile(QuoteSection(min_spread_bps=60.0))


def _engine(name: str, **quote: Any) -> QuoteEngine:
    cfg = QuoteSection(
        sz_decimals=0,
        spread_profile=name,
        max_position=1e6,
        order_notional_usd=1000.0,
        observe_s=0.0,
        **quote,
    )
    return QuoteEngine(cfg, FeesSection(), "TEST")


@pytest.mark.parametrize("name", sorted(BOUNDS))
@pytest.mark.parametrize("kappa", [50.0, 500.0, 50_000.0])
def test_glft_decides_within_the_profile(name: str, kappa: float) -> None:
    # Around 5 with 0 size decimals the tick is 0.0001 (0.2 bps): the ladder shows the bounds.
    book = BookSnapshot(ts=T0, coin="TEST", bid_px=(4.9999,), bid_sz=(1.0,), ask_px=(5.0001,), ask_sz=(1.0,))
    cycle = _engine(name, kappa_prior=kappa).handle(book)[0]
    assert isinstance(cycle, QuoteCycle)
    lo, hi = BOUNDS[name]
    assert lo / 2 - 1e-9 <= cycle.half_spread_bps <= hi / 2 + 1e-9
    bid = max(lv.px for lv in cycle.levels if lv.side == "buy")
    ask = min(lv.px for lv in cycle.levels if lv.side == "sell")
    spread_bps = (ask - bid) / 5.0 * 1e4
    assert lo - 0.41 <= spread_bps <= hi + 0.41  # one tick of rounding on each side
    unbounded = _engine("glft", kappa_prior=kappa).handle(book)[0]
    if lo / 2 <= unbounded.half_spread_bps <= hi / 2:  # inside the band GLFT alone decides
        assert cycle.half_spread_bps == pytest.approx(unbounded.half_spread_bps)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_each_profiles_spread_stays_inside_its_bounds_over_a_synthetic_session(
    name: str, tmp_path: Path
) -> None:
    # A budget that never runs low keeps the API gate's widening (which is allowed to go
    # past the profile on purpose) out of the picture.
    result = run_synthetic(tmp_path, 900, seed=3, quote__spread_profile=name, risk__api_prior_volume_usd=1e12)
    lo, hi = BOUNDS[name]
    tick_bps = 1.0 / 100_000 * 1e4 * 1.5  # BTC ticks are 1 USD near 100,000 (a little under 0.1 bps)
    book: BookSnapshot | None = None
    touch_spreads = []
    cycles = 0
    # The lower bound applies once the estimators' warmup has completed. Delivery is
    # breadth-first, so a cycle is priced with the Estimates logged before the latest one.
    warm = [False, False]
    for event in read_events(result.log_path):
        if isinstance(event, BookSnapshot):
            book = event
        elif isinstance(event, Estimates):
            warm = [warm[1], event.warmup >= 1.0]
        elif isinstance(event, QuoteCycle) and book is not None:
            cycles += 1
            assert event.half_spread_bps <= hi / 2 + 1e-9
            if not warm[0]:
                continue
            assert lo / 2 - 1e-9 <= event.half_spread_bps
            bids = [lv.px for lv in event.levels if lv.side == "buy"]
            asks = [lv.px for lv in event.levels if lv.side == "sell"]
            if not bids or not asks:
                continue
            spread = (min(asks) - max(bids)) / event.mid * 1e4
            assert spread <= hi + 2 * tick_bps
            # The inventory skew shifts both sides alike; only the post-only cap at the
            # opposite touch can narrow the spread.
            capped = max(bids) >= book.ask_px[0] - 1.0 or min(asks) <= book.bid_px[0] + 1.0
            if not capped:
                assert spread >= lo - 2 * tick_bps
                touch_spreads.append(spread)
    assert cycles > 800 and len(touch_spreads) > 0.5 * cycles
    summary = result.sequencer.actor("quote_engine").risk_summary()  # type: ignore[attr-defined]
    assert summary["spread_profile"] == name
    assert lo <= summary["median_spread_bps"] <= hi
    assert result.counts["Fill"] > 0 and math.isfinite(summary["median_spread_bps"])


def test_places_use_the_profiles_spacing() -> None:
    qe = _engine("aggressive")
    book = make_book(ts=T0, bid=9.9999, ask=10.0001, step=0.0001, coin="TEST")
    out = qe.handle(book)
    bids = [p for p in out if isinstance(p, PlaceOrder) and p.side == "buy"]
    d = [(10.0 - b.px) / 10.0 for b in bids]
    assert d[1] / d[0] == pytest.approx(1.25, rel=0.02) and d[2] / d[1] == pytest.approx(1.25, rel=0.02)
    assert qe.handle(make_book(ts=T0 + SEC, bid=9.9999, ask=10.0001, step=0.0001, coin="TEST"))[0].cycle == 2
