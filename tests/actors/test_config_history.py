"""A config logged before a key existed reads with the value that reproduces its session."""

from __future__ import annotations

from pathlib import Path

import msgspec

from actors.config_history import ADDED_KEYS, upgrade_logged_config
from actors.settings import config_from_dict
from events import ObservingMarket, PlaceOrder, SessionStarted
from events.log import EventLogWriter, read_events
from replay.session import open_session
from replay.verify import verify_session
from tests.e2e.helpers import run_synthetic


def test_added_keys_take_their_legacy_value_and_present_ones_are_kept() -> None:
    logged = msgspec.to_builtins(config_from_dict({}))
    del logged["quote"]["observe_s"]
    upgraded = upgrade_logged_config(logged)
    assert upgraded["quote"]["observe_s"] == ADDED_KEYS[("quote", "observe_s")] == 0.0
    assert "observe_s" not in logged["quote"]  # the logged dict itself is not touched
    present = msgspec.to_builtins(config_from_dict({"quote": {"observe_s": 12.0}}))
    assert upgrade_logged_config(present)["quote"]["observe_s"] == 12.0


def test_a_session_logged_before_the_observation_window_replays_identically(tmp_path: Path) -> None:
    # A session as an older papermm ran it (quoting on its first book), whose logged
    # config does not know quote.observe_s.
    result = run_synthetic(tmp_path / "run", 30, quote__observe_s=0.0)
    events = list(read_events(result.log_path))
    assert not [e for e in events if isinstance(e, ObservingMarket)] and any(
        isinstance(e, PlaceOrder) for e in events
    )
    started = events[0]
    assert isinstance(started, SessionStarted)
    old_config = msgspec.to_builtins(started.config)
    del old_config["quote"]["observe_s"]
    old = tmp_path / "old" / "events.log"
    with EventLogWriter(old) as log:
        log.append(msgspec.structs.replace(started, config=old_config))
        for event in events[1:]:
            log.append(event)
    assert open_session(old).config.quote.observe_s == 0.0
    verdict = verify_session(old)
    assert verdict.identical, verdict.divergence
