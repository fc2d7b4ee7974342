"""The actor graph of a paper session, built from its configuration."""

from __future__ import annotations

from actors.assets import sz_decimals_for
from actors.base import Actor
from actors.checkpoint.checkpointer import with_checkpointing
from actors.config import Config
from actors.estimators import EstimatorsActor
from actors.fill_simulator import FillSimulator
from actors.outcome_tracker import OutcomeTracker
from actors.predictions import PredictionTracker
from actors.quote_engine import QuoteEngine
from actors.sequencer import Sequencer


def build_actors(config: Config) -> list[Actor]:
    """The actors in delivery order.

    The fill simulator sees a book before the quote engine reacts to it, so a new order's
    post-only check uses the book the quote engine priced against; the outcome tracker
    marks to that book before any fill derived from later events. The estimators emit
    their Estimates on the quote engine's cycle cadence, before it in this order. The
    prior injector comes first and the checkpointer last (actors.checkpoint).
    """
    asset = config.session.asset
    return with_checkpointing([
        FillSimulator(config.fill, config.session.seed),
        OutcomeTracker(config.outcome, config.fees),
        EstimatorsActor.from_config(config),
        QuoteEngine(config.quote, config.fees, asset, config.risk, config.live.stale_after_s),
        PredictionTracker.from_config(config),
    ], config)  # fmt: skip


def build_sequencer(config: Config) -> Sequencer:
    """A fresh sequencer over a fresh graph (used by sessions and by replay alike)."""
    return Sequencer(build_actors(config))


def sz_decimals(config: Config) -> int:
    """szDecimals of the session's asset."""
    return sz_decimals_for(config.session.asset, config.quote.sz_decimals)
