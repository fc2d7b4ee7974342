"""The actor graph of a paper session, built from its configuration."""

from __future__ import annotations

from actors.assets import sz_decimals_for
from actors.base import Actor
from actors.config import Config
from actors.fill_simulator import FillSimulator
from actors.outcome_tracker import OutcomeTracker
from actors.quote_engine import QuoteEngine
from actors.sequencer import Sequencer


def build_actors(config: Config) -> list[Actor]:
    """The actors in delivery order.

    The fill simulator sees a book before the quote engine reacts to it, so a new order's
    post-only check uses the book the quote engine priced against; the outcome tracker
    marks to that book before any fill derived from later events.
    """
    asset = config.session.asset
    return [
        FillSimulator(config.fill, config.session.seed),
        OutcomeTracker(config.outcome, config.fees),
        QuoteEngine(config.quote, config.fees, asset),
    ]


def build_sequencer(config: Config) -> Sequencer:
    """A fresh sequencer over a fresh graph (used by sessions and by replay alike)."""
    return Sequencer(build_actors(config))


def sz_decimals(config: Config) -> int:
    """szDecimals of the session's asset."""
    return sz_decimals_for(config.session.asset, config.quote.sz_decimals)
