"""The event log: framing, checksums, torn-tail recovery, corruption, streaming."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from events import SCHEMA_VERSION, BookSnapshot, SessionEnded, SessionStarted, Trade
from events.log import HEADER_SIZE, MAGIC, EventLogWriter, LogError, read_events, repair, scan
from tests.conftest import T0, make_book, make_trade


def _started() -> SessionStarted:
    return SessionStarted(
        ts=T0,
        session_id="s",
        asset="BTC",
        feed="synthetic",
        seed=1,
        config={"b": 1, "a": [1.5, "x"]},
        package_version="0",
        schema_version=SCHEMA_VERSION,
        wall_ns=5,
    )


def _write(path: Path, events: list) -> list[int]:
    """Write events; return each record's end offset."""
    ends = []
    with EventLogWriter(path) as writer:
        for event in events:
            writer.append(event)
            writer.flush()
            ends.append(path.stat().st_size)
    return ends


def _sample() -> list:
    return (
        [_started()]
        + [make_trade(ts=T0 + i, tid=i, px=100.0 + i) for i in range(5)]
        + [
            make_book(ts=T0 + 10),
            SessionEnded(ts=T0 + 10, reason="duration", records=8),
        ]
    )


def test_round_trip_preserves_every_event(tmp_path: Path) -> None:
    events = _sample()
    _write(tmp_path / "events.log", events)
    assert list(read_events(tmp_path / "events.log")) == events


def test_file_starts_with_magic_and_frames_are_length_crc_payload(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    ends = _write(path, _sample()[:2])
    data = path.read_bytes()
    assert data.startswith(MAGIC)
    length = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little")
    assert len(MAGIC) + HEADER_SIZE + length == ends[0]


def test_torn_tail_at_every_byte_of_last_three_records(tmp_path: Path) -> None:
    """Truncate at every offset inside the last 3 records: open, report the cut, keep the rest."""
    events = _sample()
    source = tmp_path / "full.log"
    ends = _write(source, events)
    data = source.read_bytes()
    first_cut = ends[-4]
    for cut in range(first_cut + 1, len(data)):
        path = tmp_path / f"cut{cut}.log"
        path.write_bytes(data[:cut])
        whole = sum(1 for e in ends if e <= cut)
        if cut in ends:  # a record boundary: nothing is torn
            assert repair(path) is None and list(read_events(path)) == events[:whole]
            continue
        with structlog.testing.capture_logs() as logs:
            torn = repair(path)
        assert torn is not None, cut
        assert torn.valid_records == whole
        assert any(entry["event"] == "torn_tail_cut" for entry in logs)
        assert path.stat().st_size == ends[whole - 1]
        assert list(read_events(path)) == events[:whole]
        # Appending after a repair continues a valid log.
        with EventLogWriter(path) as writer:
            writer.append(events[-1])
        assert list(read_events(path)) == events[:whole] + [events[-1]]


def test_flipped_byte_in_last_record_is_a_torn_tail(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    ends = _write(path, _sample())
    data = bytearray(path.read_bytes())
    data[-2] ^= 0xFF
    path.write_bytes(bytes(data))
    torn = repair(path)
    assert torn is not None and torn.reason.startswith("checksum")
    assert path.stat().st_size == ends[-2]


def test_corruption_before_the_tail_is_refused_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    ends = _write(path, _sample())
    data = bytearray(path.read_bytes())
    data[ends[1] + HEADER_SIZE + 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(LogError, match="corrupted"):
        scan(path)
    with pytest.raises(LogError, match="checksum"):
        list(read_events(path))


def test_not_a_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.log"
    path.write_bytes(b"hello world")
    with pytest.raises(LogError, match="not a papermm event log"):
        scan(path)
    with pytest.raises(LogError, match="no such"):
        scan(tmp_path / "missing.log")


def test_reader_streams_across_chunk_boundaries(tmp_path: Path) -> None:
    """Records straddling the 1 MiB read chunks come out whole and in order."""
    path = tmp_path / "events.log"
    events = [
        BookSnapshot(
            ts=T0 + i,
            coin="BTC",
            bid_px=tuple(100.0 - j for j in range(20)),
            bid_sz=(1.0,) * 20,
            ask_px=tuple(101.0 + j for j in range(20)),
            ask_sz=(2.0,) * 20,
        )
        for i in range(6000)
    ]
    with EventLogWriter(path) as writer:
        for e in events:
            writer.append(e)
    assert path.stat().st_size > 2 << 20
    assert scan(path).records == len(events)
    assert list(read_events(path)) == events


@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=False),
            st.floats(min_value=0, allow_nan=False),
            st.sampled_from(["A", "B"]),
            st.integers(0, 2**62),
        ),
        max_size=50,
    )
)
def test_any_trades_round_trip(tmp_path_factory: pytest.TempPathFactory, rows: list) -> None:
    path = tmp_path_factory.mktemp("rt") / "events.log"
    events = [
        Trade(ts=T0 + i, coin="BTC", px=px, sz=sz, side=side, tid=tid)
        for i, (px, sz, side, tid) in enumerate(rows)
    ]
    with EventLogWriter(path) as writer:
        for e in events:
            writer.append(e)
    assert list(read_events(path)) == events
