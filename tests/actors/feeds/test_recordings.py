"""Recordings: every real dataset, the recorder file format, bad input, conversion."""

from __future__ import annotations

import gzip
import io
import json
import math
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from actors.feeds.frames import FrameParser
from actors.feeds.recorder_file import RecorderWriter, iter_recorder
from actors.feeds.recordings import RecordingError, convert_recording, open_recording
from actors.feeds.stamped_lines import parse_utc_ns
from actors.feeds.wire_builders import format_decimal, trades_frame, wire_trade
from events import Bbo, BookSnapshot, Event, InputRejected, Trade
from tests.conftest import MS, SHARED_DATA

CSV_DIR = SHARED_DATA / "ws_csv_20250904_btc_eth_sol_wlfi"
S3_LZ4 = SHARED_DATA / "s3_archive_l2book_btc_20240101_h12" / "BTC.lz4"
S3_GZ = SHARED_DATA / "s3_archive_l2book_btc_20240101_h12" / "BTC.jsonl.gz"
NODE_FILLS = (
    SHARED_DATA / "node_fills_by_block_20251027_sample" / "node_fills_by_block_20251027_1700_sample.jsonl.gz"
)


def _of(events: Iterable[Event], kind: type[Event]) -> list[Event]:
    return [e for e in events if isinstance(e, kind)]


def _assert_non_decreasing(events: Sequence[Event]) -> None:
    assert all(a.ts <= b.ts for a, b in zip(events, events[1:], strict=False))


@pytest.fixture(scope="module")
def csv_btc() -> list[Event]:
    return list(open_recording(CSV_DIR, "BTC"))


@pytest.fixture(scope="module")
def s3_btc() -> list[Event]:
    return list(open_recording(S3_LZ4, "BTC"))


@pytest.fixture(scope="module")
def node_btc() -> list[Event]:
    return list(open_recording(NODE_FILLS, "BTC"))


# --- the real datasets, with the counts of their README


def test_csv_recording_of_btc_matches_the_readme(csv_btc: list[Event]) -> None:
    books, bbos, trades = _of(csv_btc, BookSnapshot), _of(csv_btc, Bbo), _of(csv_btc, Trade)
    assert (len(books), len(bbos), len(trades)) == (3785, 13896, 6675)
    assert len(csv_btc) == 3785 + 13896 + 6675  # no rejections
    assert Counter(t.side for t in trades) == {"B": 3784, "A": 2891}  # type: ignore[attr-defined]
    assert len({t.tid for t in trades}) == 6675  # type: ignore[attr-defined]
    assert all(isinstance(b, BookSnapshot) and len(b.bid_px) == len(b.ask_px) == 20 for b in books)
    _assert_non_decreasing(csv_btc)
    # Stamped with exchange time; the 30 replayed trades of the subscribe come before the first book.
    assert all(e.ts == e.exchange_ts for e in csv_btc)  # type: ignore[attr-defined]
    assert all(isinstance(e, Trade) for e in csv_btc[:30])
    assert books[0].ts == 1757015216253 * MS


def test_csv_ties_go_book_then_bbo_then_trades(csv_btc: list[Event]) -> None:
    order = {BookSnapshot: 0, Bbo: 1, Trade: 2}
    ties = 0
    for a, b in zip(csv_btc, csv_btc[1:], strict=False):
        if a.ts == b.ts and type(a) is not type(b):
            ties += 1
            assert order[type(a)] < order[type(b)]
    assert ties > 100


def test_csv_path_may_be_one_of_its_files(csv_btc: list[Event]) -> None:
    recording = open_recording(CSV_DIR / "prices_BTC.csv.gz", "BTC")
    assert recording.format == "csv" and recording.path == CSV_DIR
    assert list(recording) == csv_btc


def test_csv_trades_repeated_after_the_reconnect_are_dropped() -> None:
    recording = open_recording(CSV_DIR, "ETH")
    events = list(recording)
    assert len(_of(events, Trade)) == 6867 and len(_of(events, BookSnapshot)) == 3785
    stats = recording.statistics()
    assert stats.duplicate_trades == 17 and stats.rejected == 0
    _assert_non_decreasing(events)


@pytest.mark.parametrize("path", [S3_LZ4, S3_GZ], ids=["lz4", "gz"])
def test_s3_archive_has_books_only_stamped_with_the_archiver_time(path: Path, s3_btc: list[Event]) -> None:
    events = list(open_recording(path, "BTC"))
    assert len(events) == len(_of(events, BookSnapshot)) == 5587
    assert events == s3_btc
    assert events[0].ts == 1704110401138942031  # "2024-01-01T12:00:01.138942031"
    assert events[0].exchange_ts == 1704110399915 * MS  # type: ignore[attr-defined]
    _assert_non_decreasing(events)


def test_node_fills_make_one_trade_per_tid_with_the_taker_side(node_btc: list[Event]) -> None:
    # The expectation, computed straight from the file: the crossed row of each BTC tid.
    expected: dict[int, tuple[str, float, int]] = {}
    block_ns: dict[int, int] = {}
    with gzip.open(NODE_FILLS, "rt") as f:
        for line in f:
            block = json.loads(line)
            for _, fill in block["events"]:
                if fill["coin"] == "BTC" and fill["crossed"]:
                    expected[fill["tid"]] = (fill["side"], float(fill["px"]), fill["time"])
                    block_ns[fill["tid"]] = parse_utc_ns(block["block_time"])
    assert len(node_btc) == len(expected) == 345
    for trade in node_btc:
        assert isinstance(trade, Trade)
        assert (trade.side, trade.px, trade.exchange_ts // MS) == expected[trade.tid]
        assert trade.ts == block_ns[trade.tid]
    _assert_non_decreasing(node_btc)


# --- bad input in recordings


def _write_csv(path: Path, header: str, rows: Sequence[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n")


def test_bad_csv_rows_become_rejections(tmp_path: Path) -> None:
    book_header = "timestamp,sequence,exchange_timestamp,bid_price_0,bid_size_0,ask_price_0,ask_size_0"
    _write_csv(
        tmp_path / "orderbooks_XYZ.csv",
        book_header,
        [
            "1.0,1000,1000,10.0,1.0,11.0,1.0",
            "1.1,1001,1001,12.0,1.0,11.0,1.0",  # crossed
            "1.2,x,soon,10.0,1.0,11.0,1.0",  # no exchange time
            "1.3,1003,1003,10.0",  # short row
            "1.4,1004,1004,10.0,nan,11.0,1.0",
        ],
    )
    _write_csv(
        tmp_path / "prices_XYZ.csv",
        "timestamp,price,size,side,exchange_timestamp",
        ["2.0,10.0,1.0,bid,1000", "2.0,11.0,1.0,ask,1000", "2.1,10.0,1.0,bid,1002", "2.1,10.5,1.0,bid,1002"],
    )
    _write_csv(
        tmp_path / "trades_XYZ.csv",
        "timestamp,price,size,side,trade_id,exchange_timestamp",
        [
            "3.0,10.5,1.0,buy,1,999",
            "3.0,10.5,1.0,buy,1,999",
            "3.1,10.5,1.0,hold,2,1001",
            "3.2,-1,1.0,sell,3,1002",
        ],
    )
    recording = open_recording(tmp_path, "XYZ")
    events = list(recording)
    kinds = [(type(e).__name__, getattr(e, "kind", "")) for e in events]
    # Merged by exchange time (a row without one sorts with the row before it); ties book, bbo, trades.
    assert kinds == [
        ("Trade", ""),  # 999
        ("BookSnapshot", ""),  # 1000
        ("Bbo", ""),
        ("InputRejected", "crossed_book"),  # 1001
        ("InputRejected", "bad_row"),  # exchange time "soon"
        ("InputRejected", "bad_row"),  # short row
        ("InputRejected", "wrong_type"),  # side "hold"
        ("InputRejected", "bad_row"),  # 1002: two bid rows for one bbo frame
        ("InputRejected", "non_positive"),  # trade price -1
        ("InputRejected", "non_finite"),  # 1004
    ]
    stats = recording.statistics()
    assert stats.rejected == 7 and stats.rejected_by_kind["bad_row"] == 3 and stats.duplicate_trades == 1
    _assert_non_decreasing(events)


def test_node_fill_rows_pair_by_tid(tmp_path: Path) -> None:
    def fill(coin: str, side: str, crossed: bool, tid: int, px: str = "10.0") -> dict[str, object]:
        return {
            "coin": coin,
            "px": px,
            "sz": "1.0",
            "side": side,
            "time": 1000,
            "crossed": crossed,
            "tid": tid,
        }

    blocks = [
        {
            "block_time": "2025-10-27T17:00:00.5",
            "events": [["0xa", fill("XYZ", "B", False, 1)], ["0xb", fill("XYZ", "A", True, 1)]],
        },
        {"block_time": "2025-10-27T17:00:01", "events": [["0xa", fill("XYZ", "A", False, 2)]]},  # lone maker
        {
            "block_time": "2025-10-27T17:00:02",
            "events": [["0xa", fill("XYZ", "A", True, 3)], ["0xb", fill("XYZ", "B", True, 3)]],
        },
        {
            "block_time": "2025-10-27T17:00:03",
            "events": [["0xa", {"coin": "ABC", "px": 1}], ["0xb", {"coin": "XYZ", "px": 1}]],
        },
        {"block_time": "2025-10-27T17:00:04", "events": [["0xa", fill("XYZ", "B", True, 4, px="0")]]},
    ]
    path = tmp_path / "fills.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.writelines(json.dumps(block) + "\n" for block in blocks)
    events = list(open_recording(path, "XYZ"))
    assert [(type(e).__name__, getattr(e, "side", getattr(e, "kind", None))) for e in events] == [
        ("Trade", "A"),  # the crossed row's side
        ("Trade", "B"),  # a lone maker sold, so the taker bought
        ("InputRejected", "bad_row"),  # two takers for one tid
        ("InputRejected", "wrong_type"),  # a broken fill of ours (the other coin's is not our business)
        ("InputRejected", "non_positive"),
    ]
    assert events[0].ts == parse_utc_ns("2025-10-27T17:00:00.5") == 1761584400500000000
    assert '{"coin": "XYZ", "px": 1}' in events[3].detail  # type: ignore[attr-defined]


def test_missing_unknown_and_empty_recordings_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no such recording"):
        open_recording(tmp_path / "nope.jsonl", "BTC")
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(RecordingError, match="unknown recording format"):
        open_recording(tmp_path / "notes.txt", "BTC")
    with pytest.raises(RecordingError, match="no orderbooks/prices/trades CSV files for coin 'DOGE'"):
        open_recording(CSV_DIR, "DOGE")
    (tmp_path / "trades_BTC.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(RecordingError, match="missing columns"):
        open_recording(tmp_path, "BTC")


def test_a_truncated_archive_ends_early_with_a_warning(tmp_path: Path) -> None:
    data = S3_GZ.read_bytes()
    cut = tmp_path / "BTC.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    with capture_logs() as logs:
        events = list(open_recording(cut, "BTC"))
    assert 1000 < len(_of(events, BookSnapshot)) < 5587
    assert len(_of(events, InputRejected)) <= 1  # at most the torn last line
    assert any(log["event"] == "recording_truncated" for log in logs)


# --- the recorder format


def _sample_frames() -> list[tuple[int, str]]:
    """A recorder's worth of frames: greeting, acks, pongs, real books and trades, junk."""
    with gzip.open(S3_GZ, "rb") as f:
        books = [
            json.dumps(json.loads(line)["raw"], separators=(",", ":"))
            for _, line in zip(range(50), f, strict=False)
        ]
    trades = [
        trades_frame([wire_trade("BTC", "B", "42700.0", "0.5", 1704110399915 + i, 100 + i)]).decode()
        for i in range(20)
    ]
    control = ["Websocket connection established.", '{"channel":"pong"}', "not json", "x" * 500, "üñí\u2028"]
    frames = control + [f for pair in zip(books, trades, strict=False) for f in pair] + books[20:]
    return [(1704110400000000000 + i * 1000, frame) for i, frame in enumerate(frames)]


@pytest.mark.parametrize("name", ["rec.jsonl", "rec.jsonl.zst"])
def test_recorder_round_trip(tmp_path: Path, name: str) -> None:
    frames = _sample_frames()
    path = tmp_path / name
    with RecorderWriter(path) as writer:
        for recv_ns, frame in frames[:10]:
            writer.append(recv_ns, frame.encode())  # bytes are written as their text
        writer.flush()
        for recv_ns, frame in frames[10:]:
            writer.append(recv_ns, frame)
    assert list(iter_recorder(path)) == frames
    if name.endswith(".zst"):
        assert path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    else:
        assert json.loads(path.read_text().splitlines()[0]) == {
            "recv_ns": frames[0][0],
            "frame": frames[0][1],
        }
    # open_recording sees the same events as parsing the frames directly.
    parser = FrameParser("BTC")
    with capture_logs():
        direct = [e for recv_ns, frame in frames for e in parser.parse(frame, recv_ns)]
        recording = open_recording(path, "BTC")
        assert recording.format == "recorder"
        assert list(recording) == direct
    assert len(_of(direct, BookSnapshot)) == 50 and len(_of(direct, Trade)) == 20
    assert len(_of(direct, InputRejected)) == 3


def _torn(content: bytes, zst: bool) -> bytes:
    """What a crash leaves: the content so far, in zstd without the end of its frame."""
    if not zst:
        return content
    sink = io.BytesIO()
    writer = zstandard.ZstdCompressor().stream_writer(sink, closefd=False)
    writer.write(content)
    writer.flush(zstandard.FLUSH_BLOCK)
    return sink.getvalue()


@pytest.mark.parametrize("name", ["rec.jsonl", "rec.jsonl.zst"])
def test_a_torn_last_line_is_skipped_and_reported(tmp_path: Path, name: str) -> None:
    frames = _sample_frames()
    path = tmp_path / name
    writer = RecorderWriter(path)
    for recv_ns, frame in frames:
        writer.append(recv_ns, frame)
    writer.flush()
    # The recorder is still running (its zstd frame still open): what was flushed reads back.
    assert list(iter_recorder(path)) == frames
    writer.close()
    content = b"".join(msgspec.json.encode({"recv_ns": t, "frame": f}) + b"\n" for t, f in frames)
    torn = tmp_path / f"torn-{name}"
    torn.write_bytes(_torn(content[:-7], zst=name.endswith(".zst")))
    with capture_logs() as logs:
        assert list(iter_recorder(torn)) == frames[:-1]
        assert len(list(open_recording(torn, "BTC"))) > 50
    assert [log["event"] for log in logs if log["event"].startswith("recorder")] == ["recorder_torn_tail"] * 2
    # Cut anywhere, a file reads back a prefix of its frames and never raises.
    data = path.read_bytes()
    for cut in range(1, len(data), max(1, len(data) // 40)):
        torn.write_bytes(data[:cut])
        with capture_logs():
            read = list(iter_recorder(torn))
        assert read == frames[: len(read)]


def test_a_recorder_torn_inside_its_first_line_opens_empty(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text('{"recv_ns": 1, "fra')
    with capture_logs() as logs:
        assert list(open_recording(path, "BTC")) == []
    assert [log["event"] for log in logs] == ["recorder_torn_tail"]


def test_a_bad_line_inside_a_recorder_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text('{"recv_ns": 1, "frame": "a"}\n{"recv_ns": oops\n{"recv_ns": 3, "frame": "c"}\n')
    with pytest.raises(RecordingError, match="line 2"):
        list(iter_recorder(path))


def test_the_writer_refuses_to_clobber_and_to_write_after_close(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl.zst"
    RecorderWriter(path).close()
    assert list(open_recording(path, "BTC")) == []  # an empty recording is fine
    with pytest.raises(RecordingError, match="already exists"):
        RecorderWriter(path)
    writer = RecorderWriter(path, overwrite=True)
    writer.append(5, '{"channel":"pong"}')
    writer.close()
    writer.close()
    with pytest.raises(RecordingError, match="after close"):
        writer.append(6, "x")
    assert list(iter_recorder(path)) == [(5, '{"channel":"pong"}')]


def test_the_writer_survives_text_that_is_not_utf8(tmp_path: Path) -> None:
    with RecorderWriter(tmp_path / "rec.jsonl") as writer:
        writer.append(1, "a\ud800b")
        writer.append(2, b"c\xffd")
    assert list(iter_recorder(tmp_path / "rec.jsonl")) == [(1, "a?b"), (2, "c\ufffdd")]


# --- conversion into the recorder format


@pytest.mark.parametrize(
    ("source", "fixture", "out"),
    [
        (CSV_DIR, "csv_btc", "csv.jsonl.zst"),
        (S3_LZ4, "s3_btc", "s3.jsonl"),
        (NODE_FILLS, "node_btc", "node.jsonl.zst"),
    ],
    ids=["csv", "s3", "node_fills"],
)
def test_convert_round_trip(
    tmp_path: Path, source: Path, fixture: str, out: str, request: pytest.FixtureRequest
) -> None:
    expected: list[Event] = request.getfixturevalue(fixture)
    frames = convert_recording(source, "BTC", tmp_path / out)
    converted = open_recording(tmp_path / out, "BTC")
    assert converted.format == "recorder"
    assert list(converted) == expected
    assert frames <= len(expected) and converted.statistics().rejected == 0
    # The frames have the wire's shape.
    recv_ns, frame = next(iter_recorder(tmp_path / out))
    assert recv_ns == expected[0].ts
    wire = json.loads(frame)
    assert wire["channel"] in ("l2Book", "trades") and isinstance(wire["data"], (dict, list))


def test_convert_leaves_rejections_out(tmp_path: Path) -> None:
    src = tmp_path / "src.jsonl"
    with RecorderWriter(src) as writer:
        writer.append(
            10,
            trades_frame(
                [wire_trade("BTC", "B", "1.5", "2.0", 7, 1), wire_trade("BTC", "A", "1.5", "1e-05", 7, 2)]
            ),
        )
        writer.append(11, "junk")
        writer.append(12, '{"channel":"allMids","data":{"mids":{"BTC":"1.25"}}}')
    with capture_logs():
        convert_recording(src, "BTC", tmp_path / "out.jsonl")
        source_events = [e for e in open_recording(src, "BTC") if not isinstance(e, InputRejected)]
    assert list(open_recording(tmp_path / "out.jsonl", "BTC")) == source_events
    lines = [frame for _, frame in iter_recorder(tmp_path / "out.jsonl")]
    assert len(lines) == 2 and '"sz":"0.00001"' in lines[0]  # both trades in one frame, no exponent
    with pytest.raises(RecordingError, match="already exists"):
        convert_recording(src, "BTC", tmp_path / "out.jsonl")


# --- small pieces


def test_utc_times_with_nanosecond_digits() -> None:
    assert parse_utc_ns("2024-01-01T12:00:01.138942031") == 1704110401138942031
    assert parse_utc_ns("1970-01-01T00:00:00") == 0
    assert parse_utc_ns("2025-10-27T16:59:59.7975") == 1761584399797500000
    for bad in ("2024-01-01T12:00:01.1234567891", "2024-01-01T12:00:01.12a", "yesterday"):
        with pytest.raises(ValueError):
            parse_utc_ns(bad)


@given(st.floats(min_value=1e-12, max_value=1e15, allow_nan=False, allow_infinity=False))
def test_format_decimal_is_positional_and_round_trips(value: float) -> None:
    text = format_decimal(value)
    assert "e" not in text.lower() and float(text) == value and not math.isnan(float(text))


def test_copy_of_a_recording_elsewhere_opens_the_same(tmp_path: Path, s3_btc: list[Event]) -> None:
    # Formats are sniffed from content, not trusted from names: an archive under any name opens.
    copy = tmp_path / "archive.bin"
    shutil.copy(S3_LZ4, copy)
    assert list(open_recording(copy, "BTC")) == s3_btc


def test_a_renamed_zstd_recorder_file_still_reads(tmp_path: Path) -> None:
    with RecorderWriter(tmp_path / "rec.jsonl.zst") as writer:
        writer.append(5, '{"channel":"pong"}')
    (tmp_path / "rec.jsonl.zst").rename(tmp_path / "rec.jsonl")
    assert list(iter_recorder(tmp_path / "rec.jsonl")) == [(5, '{"channel":"pong"}')]
