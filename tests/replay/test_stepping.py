"""Stepping: the state rebuilt at seq N is the state of a session stopped at seq N."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec
import pytest
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

import replay
from actors.feed_sources import IteratorFeed, open_feed
from actors.runtime import SessionResult, run_session
from actors.settings import config_from_dict
from events import EXTERNAL_TYPES, SESSION_TYPES, Event, Fill, PlaceOrder
from events.codec import encode
from events.log import EventLogWriter, read_events
from replay.replay_state import actor_snapshot, snapshots_equal
from replay.session import RecordedSession
from replay.state_text import render_state
from replay.stepper import ReplayDivergence
from replay.stepping import Replay
from replay.time_specs import format_offset, format_ts, parse_time, parse_until
from tests.conftest import SHARED_DATA
from tests.e2e.helpers import run_synthetic

T0 = 1_767_225_600_000_000_000


RECORDING = SHARED_DATA / "ws_csv_20250904_btc_eth_sol_wlfi"
SOURCES = {
    "synthetic": (180, {"quote__min_requote_interval_ms": 500.0}),
    "real": (300, {"feed__kind": f"recording:{RECORDING}"}),
}


@pytest.fixture(scope="module", params=list(SOURCES))
def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Replay:
    duration, sets = SOURCES[request.param]
    result = run_synthetic(tmp_path_factory.mktemp(request.param), duration, seed=7, **sets)
    return replay.open_replay(result.session_dir)


@pytest.fixture(scope="module")
def records(source: Replay) -> list[tuple[int, Event]]:
    return list(source.records())


def _run_stopped(session: RecordedSession, inputs: list[Event], data_dir: Path) -> SessionResult:
    """A real session (the trio runtime) whose feed stops after ``inputs``."""
    config = config_from_dict(
        {
            **session.started.config,
            "session": {**session.started.config["session"], "data_dir": str(data_dir)},
        }
    )

    async def main() -> SessionResult:
        return await run_session(
            config,
            lambda _d: IteratorFeed("prefix", inputs, speed=None, batch=64, start_ns=session.started.ts),
            handle_sigint=False,
        )

    return trio.run(main)


def _owner_of(records: list[tuple[int, Event]], n: int) -> int:
    """Index of the external input whose cascade contains record ``n``."""
    for i in range(n, -1, -1):
        if type(records[i][1]) in EXTERNAL_TYPES:
            return i
    return 0


def _body(events: Iterable[Event]) -> list[bytes]:
    """The records an actor or the feed wrote (not the runtime's session records), as bytes,
    up to the runtime's EndOfSession input (a stopped session admits one where it stops)."""
    out = []
    for e in events:
        if type(e).__name__ == "EndOfSession":
            break
        if type(e) not in SESSION_TYPES:
            out.append(encode(e))
    return out


def _assert_same_graph(rebuilt: dict[str, dict[str, Any]], result: SessionResult) -> None:
    live = {actor.name: actor_snapshot(actor) for actor in result.sequencer.actors}
    assert list(rebuilt) == list(live)
    for name in live:
        assert snapshots_equal(rebuilt[name], live[name]), name


class _Case:
    """The source session and its records, with a short repr for hypothesis' reports."""

    def __init__(self, source: Replay, records: list[tuple[int, Event]]) -> None:
        self.source = source
        self.records = records

    def __repr__(self) -> str:
        return f"<{self.source.session_id}: {len(self.records)} records>"


@pytest.fixture(scope="module")
def case(source: Replay, records: list[tuple[int, Event]]) -> _Case:
    return _Case(source, records)


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 2**16))
def test_state_at_seq_n_equals_a_session_stopped_at_seq_n(
    case: _Case, tmp_path_factory: pytest.TempPathFactory, position: int
) -> None:
    source, records = case.source, case.records
    n = 1 + position * (len(records) - 3) // 2**16  # any record but the first and the last
    state = source.state_at(n)
    owner = _owner_of(records, n)
    assert state.requested_seq == n and state.seq >= n
    inputs = [e for _, e in records[1 : owner + 1] if type(e) in EXTERNAL_TYPES]
    stopped = _run_stopped(source, inputs, tmp_path_factory.mktemp("stop"))
    _assert_same_graph(state.actors, stopped)
    # The stopped session logged exactly the source's records up to the state's seq.
    assert _body(read_events(stopped.log_path)) == _body(e for _, e in records[: state.seq + 1])
    assert state.external == len(inputs)


def test_state_at_a_time_equals_a_session_stopped_by_its_duration(source: Replay, tmp_path: Path) -> None:
    """The session's own feed, stopped by ``duration_s``: its graph is the replay's at that time."""
    config = config_from_dict(
        {
            **source.started.config,
            "session": {**source.started.config["session"], "data_dir": str(tmp_path), "duration_s": 61.25},
        }
    )

    async def main() -> SessionResult:
        return await run_session(config, lambda d: open_feed(config, d), handle_sigint=False)

    stopped = trio.run(main)
    # The runtime admits inputs with ts < start + duration.
    state = source.state_at(ts=source.start_ns + round(61.25e9) - 1)
    _assert_same_graph(state.actors, stopped)
    records = list(source.records())
    assert _body(read_events(stopped.log_path)) == _body(e for _, e in records[: state.seq + 1])


def test_state_at_the_end_and_iteration(source: Replay, records: list[tuple[int, Event]]) -> None:
    end = source.state_at()
    assert end.seq == len(records) - 1
    assert type(end.last_event("SessionEnded")).__name__ == "SessionEnded"
    assert [encode(e) for e in source] == [encode(e) for _, e in records]
    fills = sum(1 for _, e in records if isinstance(e, Fill))
    assert end.actors["fill_simulator"]["statistics"]["fills"] == fills
    assert end.to_builtins()["seq"] == end.seq


def test_state_past_the_end_is_the_end(source: Replay, records: list[tuple[int, Event]]) -> None:
    assert source.state_at(10**9).seq == len(records) - 1


def test_stepper_walks_one_input_at_a_time(source: Replay, records: list[tuple[int, Event]]) -> None:
    stepper = source.stepper()
    seen: list[int] = [0]
    while batch := stepper.step():
        assert type(batch[0][1]) in EXTERNAL_TYPES
        assert all(type(e) not in EXTERNAL_TYPES for _, e in batch[1:])
        seen += [s for s, _ in batch]
    session_seqs = [s for s, e in records if type(e) in SESSION_TYPES]
    assert sorted(seen + session_seqs[1:]) == list(range(len(records)))


def test_render_state_shows_book_orders_position(source: Replay) -> None:
    text = render_state(source.state_at(2000))
    assert "state at seq" in text and "book" in text and "resting" in text and "position" in text
    assert "quoting" in text


def test_a_tampered_log_stops_the_stepper_at_the_divergence(
    records: list[tuple[int, Event]], tmp_path: Path
) -> None:
    idx = next(i for i, (_, e) in enumerate(records) if isinstance(e, PlaceOrder))
    place = records[idx][1]
    events = [e for _, e in records]
    events[idx] = msgspec.structs.replace(place, sz=place.sz * 2)  # type: ignore[type-var]
    with EventLogWriter(tmp_path / "events.log") as writer:
        for e in events:
            writer.append(e)
    tampered = replay.open_replay(tmp_path)
    tampered.state_at(_owner_of(records, idx) - 1)  # before the tampered input's cascade: fine
    with pytest.raises(ReplayDivergence) as info:
        tampered.state_at(idx)
    assert info.value.seq == idx
    assert "PlaceOrder: sz" in str(info.value)


def test_open_session_alias_is_the_notebook_object(source: Replay) -> None:
    opened = replay.open_session(source.log_path)
    assert isinstance(opened, Replay) and isinstance(opened, RecordedSession)
    assert opened.session_id == source.session_id
    assert replay.open_replay(opened) is opened


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+90s", T0 + 90 * 10**9),
        ("+90", T0 + 90 * 10**9),
        ("+250ms", T0 + 250 * 10**6),
        ("+1.5m", T0 + 90 * 10**9),
        ("+1h", T0 + 3600 * 10**9),
        ("2026-01-01T00:01:30Z", T0 + 90 * 10**9),
        ("2026-01-01T00:01:30.5", T0 + 90_500_000_000),
        ("2026-01-01T01:01:30+01:00", T0 + 90 * 10**9),
    ],
)
def test_parse_time(text: str, expected: int) -> None:
    assert parse_time(text, T0) == expected


def test_parse_until_and_formatting() -> None:
    assert parse_until("1234", T0) == (1234, None)
    assert parse_until("+2s", T0) == (None, T0 + 2 * 10**9)
    with pytest.raises(ValueError, match="expected"):
        parse_until("soon", T0)
    assert format_ts(T0 + 3_350_800_000) == "2026-01-01T00:00:03.350Z"
    assert format_offset(T0 + 3_350_800_000, T0) == "+3.350s"
