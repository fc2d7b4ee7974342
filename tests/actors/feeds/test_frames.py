"""FrameParser: the doc's wire shapes, real frames, every rejection kind, and fuzzing."""

from __future__ import annotations

import csv
import gzip
import json
import math
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from actors.feeds.frames import GREETING, FrameParser
from actors.feeds.rejections import DETAIL_FRAME_CHARS, REJECTION_KINDS
from actors.feeds.trade_dedupe import TradeDeduper
from actors.feeds.wire_builders import bbo_frame, trades_frame, wire_trade
from events import Bbo, BookSnapshot, Event, InputRejected, Mids, Trade
from tests.conftest import MS, SHARED_DATA

# --- real frames, loaded once per module


class _ArchiveLine(msgspec.Struct):
    raw: msgspec.Raw


def _csv_rows(name: str) -> list[dict[str, str]]:
    with gzip.open(SHARED_DATA / "ws_csv_20250904_btc_eth_sol_wlfi" / name, "rt", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def book_frames() -> list[bytes]:
    """The raw l2Book frames of the S3 archive, exactly as the socket sent them."""
    path = SHARED_DATA / "s3_archive_l2book_btc_20240101_h12" / "BTC.jsonl.gz"
    decoder = msgspec.json.Decoder(_ArchiveLine)
    with gzip.open(path, "rb") as f:
        return [bytes(decoder.decode(line).raw) for line in f]


@pytest.fixture(scope="module")
def trade_frames() -> list[bytes]:
    """BTC trades of the CSV recording as wire frames, one per receive time (as pushed)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in _csv_rows("trades_BTC.csv.gz"):
        side = {"buy": "B", "sell": "A"}[row["side"]]
        trade = wire_trade(
            "BTC", side, row["price"], row["size"], int(row["exchange_timestamp"]), int(row["trade_id"])
        )
        groups.setdefault(row["timestamp"], []).append(trade)
    return [trades_frame(trades) for trades in groups.values()]


@pytest.fixture(scope="module")
def bbo_frames() -> list[bytes]:
    """BTC bbo frames rebuilt from the CSV's bid and ask row pairs."""
    rows = _csv_rows("prices_BTC.csv.gz")
    frames = []
    for bid, ask in zip(rows[::2], rows[1::2], strict=True):
        assert (bid["side"], ask["side"]) == ("bid", "ask")
        time_ms = int(bid["exchange_timestamp"])
        frames.append(bbo_frame("BTC", time_ms, (bid["price"], bid["size"]), (ask["price"], ask["size"])))
    return frames


# --- an independent statement of what a valid event is


def _positive(*values: float) -> bool:
    return all(math.isfinite(v) and v > 0 for v in values)


def assert_valid(event: Event) -> None:
    """The parser's promise about every market event it lets through."""
    if isinstance(event, BookSnapshot):
        assert _positive(*event.bid_px, *event.bid_sz, *event.ask_px, *event.ask_sz)
        assert all(a > b for a, b in zip(event.bid_px, event.bid_px[1:], strict=False))
        assert all(a < b for a, b in zip(event.ask_px, event.ask_px[1:], strict=False))
        assert not (event.bid_px and event.ask_px) or event.bid_px[0] < event.ask_px[0]
        assert event.exchange_ts > 0
    elif isinstance(event, Bbo):
        for px, sz in ((event.bid_px, event.bid_sz), (event.ask_px, event.ask_sz)):
            assert (px, sz) == (0.0, 0.0) or _positive(px, sz)
        assert not (event.bid_px and event.ask_px) or event.bid_px < event.ask_px
        assert event.exchange_ts > 0
    elif isinstance(event, Trade):
        assert _positive(event.px, event.sz) and event.side in ("B", "A") and event.tid >= 0
        assert event.exchange_ts > 0
    else:
        assert isinstance(event, Mids) and _positive(event.mid)


def assert_one_rejection_or_valid(events: Sequence[Event]) -> None:
    rejections = [e for e in events if isinstance(e, InputRejected)]
    if rejections:
        assert len(events) == 1, events
    else:
        for event in events:
            assert_valid(event)


# --- the doc's wire shapes

DOC_BOOK = (
    '{"channel":"l2Book","data":{"coin":"BTC","time":1767225600123,"levels":['
    '[{"px":"97412.0","sz":"3.14159","n":12},{"px":"97411.0","sz":"0.25","n":2},{"px":"97405.0","sz":"1.0","n":1}],'
    '[{"px":"97413.0","sz":"0.61803","n":5},{"px":"97415.0","sz":"2.5","n":3},{"px":"97420.0","sz":"0.001","n":1}]'
    "]}}"
)
DOC_TRADES = (
    '{"channel":"trades","data":['
    '{"coin":"ETH","side":"B","px":"3321.4","sz":"0.5012","time":1767225601456,'
    '"hash":"0x5f2c0d1e9a7b4c3d2e1f00a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9","tid":874512390012345,'
    '"users":["0x1111111111111111111111111111111111111111","0x2222222222222222222222222222222222222222"]},'
    '{"coin":"ETH","side":"A","px":"3321.3","sz":"1.2","time":1767225601456,'
    '"hash":"0x0000000000000000000000000000000000000000000000000000000000000000","tid":874512390012399,'
    '"users":["0x3333333333333333333333333333333333333333","0x4444444444444444444444444444444444444444"]}'
    "]}"
)
DOC_BBO = (
    '{"channel":"bbo","data":{"coin":"BTC","time":1767225601789,'
    '"bbo":[{"px":"97412.0","sz":"3.14159","n":12},{"px":"97413.0","sz":"0.61803","n":5}]}}'
)
DOC_BBO_EMPTY_BID = '{"channel":"bbo","data":{"coin":"NOPEX","time":1767225601790,"bbo":[null,{"px":"1.2345","sz":"10.0","n":1}]}}'
DOC_MIDS = (
    '{"channel":"allMids","data":{"mids":{"BTC":"97412.5","ETH":"3321.35","kPEPE":"0.0044105",'
    '"@107":"24.871","PURR/USDC":"0.1812"}}}'
)
DOC_MIDS_DEX = '{"channel":"allMids","data":{"dex":"xyz","mids":{"xyz:TSLA":"412.05","xyz:GOLD":"2650.4"}}}'
DOC_CONTROL = [
    '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"trades","coin":"SOL"}}}',
    '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"type":"l2Book","coin":"ETH",'
    '"nSigFigs":null,"mantissa":null,"fast":false}}}',
    '{"channel":"subscriptionResponse","data":{"method":"unsubscribe","subscription":{"type":"l2Book",'
    '"coin":"ETH","nSigFigs":null,"mantissa":null,"fast":false}}}',
    '{"channel":"pong"}',
    '{"channel":"post","data":{"id":42,"response":{"type":"info","payload":{"type":"l2Book","data":'
    '{"coin":"ETH","time":1767225603000,"levels":[[],[]]}}}}}',
    '{"channel":"candle","data":{"t":1767139200000,"T":1767140099999,"s":"BTC","i":"1m","o":"97400.0",'
    '"c":"97412.0","h":"97420.0","l":"97390.0","v":"12.345","n":321}}',
    '{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"funding":"0.0000125","markPx":"97412.0"}}}',
    GREETING,
    GREETING.encode(),
]
T0 = 1_767_225_700_000_000_000


def test_doc_book_becomes_a_snapshot_of_floats_stamped_with_receive_time() -> None:
    [book] = FrameParser("BTC").parse(DOC_BOOK, T0)
    assert book == BookSnapshot(
        ts=T0,
        coin="BTC",
        bid_px=(97412.0, 97411.0, 97405.0),
        bid_sz=(3.14159, 0.25, 1.0),
        ask_px=(97413.0, 97415.0, 97420.0),
        ask_sz=(0.61803, 2.5, 0.001),
        exchange_ts=1767225600123 * MS,
    )


def test_doc_trades_become_one_trade_each_with_the_aggressor_side() -> None:
    trades = FrameParser("ETH").parse(DOC_TRADES.encode(), T0)
    assert trades == [
        Trade(
            ts=T0,
            coin="ETH",
            px=3321.4,
            sz=0.5012,
            side="B",
            tid=874512390012345,
            exchange_ts=1767225601456 * MS,
        ),
        Trade(
            ts=T0,
            coin="ETH",
            px=3321.3,
            sz=1.2,
            side="A",
            tid=874512390012399,
            exchange_ts=1767225601456 * MS,
        ),
    ]


def test_doc_bbo_and_an_empty_side_as_zero() -> None:
    assert FrameParser("BTC").parse(DOC_BBO, T0) == [
        Bbo(
            ts=T0,
            coin="BTC",
            bid_px=97412.0,
            bid_sz=3.14159,
            ask_px=97413.0,
            ask_sz=0.61803,
            exchange_ts=1767225601789 * MS,
        )
    ]
    assert FrameParser("NOPEX").parse(DOC_BBO_EMPTY_BID, T0) == [
        Bbo(
            ts=T0,
            coin="NOPEX",
            bid_px=0.0,
            bid_sz=0.0,
            ask_px=1.2345,
            ask_sz=10.0,
            exchange_ts=1767225601790 * MS,
        )
    ]


def test_all_mids_respects_the_dex() -> None:
    assert FrameParser("BTC").parse(DOC_MIDS, T0) == [Mids(ts=T0, coin="BTC", mid=97412.5)]
    assert FrameParser("xyz:TSLA").parse(DOC_MIDS_DEX, T0) == [Mids(ts=T0, coin="xyz:TSLA", mid=412.05)]
    assert FrameParser("xyz:TSLA", dex="xyz").parse(DOC_MIDS, T0) == []  # first dex: not ours
    assert FrameParser("BTC").parse(DOC_MIDS_DEX, T0) == []  # builder dex: not ours
    parser = FrameParser("SOL")
    assert parser.parse(DOC_MIDS, T0) == []  # coin absent: nothing
    assert parser.statistics().ignored == 1
    with pytest.raises(ValueError, match="not on dex"):
        FrameParser("xyz:TSLA", dex="abc")


def test_control_frames_give_nothing_and_are_counted() -> None:
    parser = FrameParser("BTC")
    for frame in DOC_CONTROL:
        assert parser.parse(frame, T0) == []
    stats = parser.statistics()
    assert (stats.frames, stats.control, stats.rejected, stats.events) == (
        len(DOC_CONTROL),
        len(DOC_CONTROL),
        0,
        0,
    )


def test_frames_of_other_coins_are_ignored() -> None:
    parser = FrameParser("SOL")
    assert parser.parse(DOC_BOOK, T0) == parser.parse(DOC_BBO, T0) == parser.parse(DOC_TRADES, T0) == []
    assert parser.statistics().ignored == 3


def test_a_trades_frame_keeps_only_the_session_coin() -> None:
    mixed = trades_frame(
        [wire_trade("ETH", "B", "1.0", "1.0", 5, 1), wire_trade("BTC", "A", "2.0", "3.0", 5, 2)]
    )
    [trade] = FrameParser("BTC").parse(mixed, T0)
    assert (trade.coin, trade.px, trade.sz, trade.side, trade.tid) == ("BTC", 2.0, 3.0, "A", 2)


def test_event_ts_is_receive_time_made_non_decreasing() -> None:
    parser = FrameParser("BTC")
    book = parser.parse(DOC_BOOK, T0 + 10)
    bbo = parser.parse(DOC_BBO, T0)  # the receive clock stepped back: clamped
    bad = parser.parse("junk", T0 - 5)
    mids = parser.parse(DOC_MIDS, T0 + 20)
    assert [e.ts for e in (*book, *bbo, *bad, *mids)] == [T0 + 10, T0 + 10, T0 + 10, T0 + 20]


# --- real frames


def test_every_real_s3_book_frame_parses(book_frames: list[bytes]) -> None:
    parser = FrameParser("BTC")
    events = [e for i, frame in enumerate(book_frames) for e in parser.parse(frame, T0 + i)]
    assert len(events) == len(book_frames) == 5587
    first = json.loads(book_frames[0])["data"]
    book = events[0]
    assert isinstance(book, BookSnapshot)
    assert book.exchange_ts == first["time"] * MS
    assert book.bid_px == tuple(float(level["px"]) for level in first["levels"][0])
    assert book.ask_sz == tuple(float(level["sz"]) for level in first["levels"][1])
    for event in events:
        assert isinstance(event, BookSnapshot) and len(event.bid_px) == len(event.ask_px) == 20
        assert_valid(event)
    assert parser.statistics().rejected == 0


def test_every_real_csv_trade_and_bbo_frame_parses(
    trade_frames: list[bytes], bbo_frames: list[bytes]
) -> None:
    parser = FrameParser("BTC")
    trades = [e for i, frame in enumerate(trade_frames) for e in parser.parse(frame, T0 + i)]
    bbos = [e for i, frame in enumerate(bbo_frames) for e in parser.parse(frame, T0 + i)]
    assert len(trades) == 6675 and len(bbos) == 13896
    assert sum(1 for t in trades if isinstance(t, Trade) and t.side == "B") == 3784
    for event in (*trades, *bbos):
        assert_valid(event)
    assert parser.statistics().rejected == 0


def _cassette_bodies(name: str) -> list[Any]:
    """The JSON response bodies of a vcrpy cassette (single-quoted one-line YAML strings)."""
    path = SHARED_DATA / "rest_info_cassettes_20230717" / name
    bodies = []
    for line in path.read_text().splitlines():
        text = line.strip()
        if text.startswith("string: '") and text.endswith("'"):
            bodies.append(json.loads(text[len("string: '") : -1].replace("''", "'")))
    return bodies


def test_real_rest_snapshots_have_the_ws_data_shapes() -> None:
    # The REST l2Book body is the WsBook object and allMids the bare mids map (doc 12.2, 12.4).
    book_body = _cassette_bodies("test_get_l2_snapshot.yaml")[-1]
    frame = json.dumps({"channel": "l2Book", "data": book_body})
    [book] = FrameParser("DYDX").parse(frame, T0)
    assert isinstance(book, BookSnapshot) and book.exchange_ts == book_body["time"] * MS
    assert book.bid_px[0] == float(book_body["levels"][0][0]["px"]) == 2.111
    assert len(book.bid_px) == len(book_body["levels"][0]) and len(book.ask_px) == len(book_body["levels"][1])
    assert_valid(book)
    [mids_body] = _cassette_bodies("test_get_all_mids.yaml")
    frame = json.dumps({"channel": "allMids", "data": {"mids": mids_body}})
    assert FrameParser("BTC").parse(frame, T0) == [Mids(ts=T0, coin="BTC", mid=30135.0)]


# --- rejections

_LEVEL = '{"px":"1.0","sz":"1.0","n":1}'


def _book(bids: str, asks: str, time: int = 1767225600123, coin: str = "BTC") -> str:
    return f'{{"channel":"l2Book","data":{{"coin":"{coin}","time":{time},"levels":[[{bids}],[{asks}]]}}}}'


def _trade(
    px: str = '"1.0"', sz: str = '"1.0"', side: str = '"B"', time: int = 1767225600123, tid: int = 7
) -> str:
    return (
        f'{{"channel":"trades","data":[{{"coin":"BTC","side":{side},"px":{px},"sz":{sz},'
        f'"time":{time},"hash":"0x0","tid":{tid},"users":["a","b"]}}]}}'
    )


_LV = '{{"px":"{}","sz":"{}","n":1}}'.format
BAD_FRAMES: list[tuple[str, str]] = [
    ("invalid_json", "this is not json"),
    ("invalid_json", '{"channel":"l2Book","data":{"coin":"BTC"'),
    ("invalid_json", b"\xff\xfe\x00"),  # type: ignore[list-item]
    ("missing_field", '{"data":{}}'),
    ("missing_field", '{"channel":"l2Book","data":{"coin":"BTC","time":1}}'),
    ("missing_field", '{"channel":"trades","data":[{"coin":"BTC","side":"B","px":"1.0","time":1,"tid":1}]}'),
    ("wrong_type", "[1, 2, 3]"),
    ("wrong_type", '{"channel":"l2Book","data":{"coin":"BTC","time":"soon","levels":[[],[]]}}'),
    ("wrong_type", '{"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[]]}}'),
    ("wrong_type", _trade(side='"X"')),
    ("wrong_type", '{"channel":"allMids","data":{"mids":["BTC"]}}'),
    ("bad_number", _trade(px='"abc"')),
    ("bad_number", '{"channel":"allMids","data":{"mids":{"BTC":"a lot"}}}'),
    ("non_finite", _trade(px='"NaN"')),
    ("non_finite", _book(_LV("inf", "1.0"), _LV("2.0", "1.0"))),
    ("non_finite", '{"channel":"allMids","data":{"mids":{"BTC":"nan"}}}'),
    ("non_positive", _trade(sz='"-1.0"')),
    ("non_positive", _book(_LV("1.0", "0.0"), _LV("2.0", "1.0"))),
    ("non_positive", _trade(px='"0"')),
    ("out_of_range", _trade(time=-5)),
    ("out_of_range", _trade(tid=-1)),
    ("unsorted_levels", _book(f"{_LV('1.0', '1.0')},{_LV('1.5', '1.0')}", _LV("2.0", "1.0"))),
    ("unsorted_levels", _book(_LV("1.0", "1.0"), f"{_LV('2.0', '1.0')},{_LV('2.0', '1.0')}")),
    ("crossed_book", _book(_LV("2.0", "1.0"), _LV("2.0", "1.0"))),
    ("crossed_book", DOC_BBO.replace('"97412.0"', '"97414.0"')),
    (
        "error_channel",
        '{"channel":"error","data":"Already subscribed: {\\"type\\":\\"trades\\",\\"coin\\":\\"ETH\\"}"}',
    ),
]


@pytest.mark.parametrize(("kind", "frame"), BAD_FRAMES)
def test_a_bad_frame_becomes_one_counted_logged_rejection(kind: str, frame: str | bytes) -> None:
    parser = FrameParser("BTC")
    with capture_logs() as logs:
        [rejected] = parser.parse(frame, T0)
    assert isinstance(rejected, InputRejected) and rejected.kind == kind and rejected.ts == T0
    text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
    assert text[:DETAIL_FRAME_CHARS] in rejected.detail
    stats = parser.statistics()
    assert stats.rejected == stats.rejected_by_kind[kind] == 1 and stats.events == 0
    assert [(log["event"], log["kind"], log["log_level"]) for log in logs] == [
        ("frame_rejected", kind, "warning")
    ]
    assert logs[0]["frame"] == text[:DETAIL_FRAME_CHARS]


def test_every_frame_rejection_kind_has_a_case() -> None:
    # bad_row is for recording rows that cannot become frames (tested with the recordings).
    assert {kind for kind, _ in BAD_FRAMES} | {"bad_row", "time_backwards"} == set(REJECTION_KINDS)


def test_exchange_time_going_backwards_is_rejected_per_channel() -> None:
    parser = FrameParser("BTC")
    level_b, level_a = _LV("1.0", "1.0"), _LV("2.0", "1.0")
    assert len(parser.parse(_book(level_b, level_a, time=2000), T0)) == 1
    [rejected] = parser.parse(_book(level_b, level_a, time=1999), T0)
    assert isinstance(rejected, InputRejected) and rejected.kind == "time_backwards"
    assert isinstance(parser.parse(_book(level_b, level_a, time=2000), T0)[0], BookSnapshot)  # equal is fine
    assert isinstance(parser.parse(_trade(time=1000), T0)[0], Trade)  # another channel, its own clock
    [rejected] = parser.parse(_trade(time=999, tid=8), T0)
    assert isinstance(rejected, InputRejected) and rejected.kind == "time_backwards"
    assert parser.statistics().rejected_by_kind["time_backwards"] == 2


def test_detail_keeps_the_first_300_characters_of_the_frame() -> None:
    frame = "x" * 1000
    [rejected] = FrameParser("BTC").parse(frame, T0)
    assert isinstance(rejected, InputRejected)
    assert (
        rejected.detail.endswith("x" * DETAIL_FRAME_CHARS)
        and "x" * (DETAIL_FRAME_CHARS + 1) not in rejected.detail
    )


def test_a_frame_that_is_not_text_is_rejected_not_raised() -> None:
    [rejected] = FrameParser("BTC").parse(None, T0)  # type: ignore[arg-type]
    assert isinstance(rejected, InputRejected) and rejected.kind == "wrong_type"


def test_statistics_count_frames_events_and_totals() -> None:
    parser = FrameParser("BTC")
    for frame in (DOC_BOOK, DOC_BBO, "junk", '{"channel":"pong"}', _trade(px='"NaN"'), DOC_TRADES):
        parser.parse(frame, T0)
    stats = parser.statistics()
    assert (stats.frames, stats.events, stats.control, stats.ignored, stats.rejected) == (6, 2, 1, 1, 2)
    assert stats.rejected_by_kind["invalid_json"] == stats.rejected_by_kind["non_finite"] == 1
    assert set(stats.rejected_by_kind) == set(REJECTION_KINDS)


# --- trade repeats


def test_the_replayed_batch_after_a_reconnect_yields_only_new_trades() -> None:
    parser = FrameParser("BTC")
    first = trades_frame([wire_trade("BTC", "B", "1.0", "1.0", 100, tid) for tid in (1, 2, 3)])
    assert [t.tid for t in parser.parse(first, T0)] == [1, 2, 3]  # type: ignore[attr-defined]
    # The replay repeats 2 and 3 (older than nothing new) and brings 4 and 5.
    replay = trades_frame(
        [wire_trade("BTC", "B", "1.0", "1.0", 100, tid) for tid in (2, 3)]
        + [wire_trade("BTC", "A", "1.0", "1.0", 105, tid) for tid in (4, 5)]
    )
    assert [t.tid for t in parser.parse(replay, T0 + 1)] == [4, 5]  # type: ignore[attr-defined]
    assert parser.parse(replay, T0 + 2) == []
    stats = parser.statistics()
    assert (stats.events, stats.duplicate_trades, stats.rejected) == (5, 6, 0)


def test_a_rejected_trades_frame_leaves_no_trace() -> None:
    parser = FrameParser("BTC")
    good = wire_trade("BTC", "B", "1.0", "1.0", 100, 1)
    bad = wire_trade("BTC", "B", "NaN", "1.0", 100, 2)
    [rejected] = parser.parse(trades_frame([good, bad]), T0)
    assert isinstance(rejected, InputRejected) and rejected.kind == "non_finite"
    [trade] = parser.parse(trades_frame([good]), T0)  # not remembered as seen
    assert isinstance(trade, Trade) and trade.tid == 1


def test_the_deduper_forgets_the_oldest_key_beyond_its_window() -> None:
    deduper = TradeDeduper(window=3)
    assert [deduper.admit(k) for k in (1, 2, 1, 3, 4)] == [True, True, False, True, True]
    assert len(deduper) == 3 and 1 not in deduper and 4 in deduper
    assert deduper.admit(1)  # forgotten, so new again
    with pytest.raises(ValueError):
        TradeDeduper(window=0)


def test_a_shared_deduper_spans_parsers() -> None:
    shared = TradeDeduper()
    frame = trades_frame([wire_trade("BTC", "B", "1.0", "1.0", 100, 1)])
    assert len(FrameParser("BTC", deduper=shared).parse(frame, T0)) == 1
    assert FrameParser("BTC", deduper=shared).parse(frame, T0) == []


# --- fuzzing: nothing raises, and a frame is one rejection or only valid events

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
_CHANNELS = ["l2Book", "bbo", "trades", "allMids", "error", "pong", "post", "subscriptionResponse", "x"]
_shaped = st.fixed_dictionaries({"channel": st.sampled_from(_CHANNELS), "data": _json_values})
_REPLACEMENTS: list[Any] = [
    "NaN",
    "nan",
    "inf",
    "-1.5",
    "0",
    "0.0",
    "-0.0",
    "abc",
    "",
    None,
    True,
    [],
    {},
    -7,
    0,
    2**70,
]


@settings(max_examples=300)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_random_text_never_raises(frame: str | bytes) -> None:
    assert_one_rejection_or_valid(FrameParser("BTC").parse(frame, T0))


@settings(max_examples=300)
@given(_json_values | _shaped)
def test_random_json_never_raises(value: Any) -> None:
    assert_one_rejection_or_valid(FrameParser("BTC").parse(json.dumps(value), T0))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position inside a JSON value, as key/index paths."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*prefix, i))
    return found


def _mutate(value: Any, path: tuple[Any, ...], replacement: Any, remove: bool) -> None:
    parent = value
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement


@st.composite
def mutated_real_frames(draw: st.DrawFn, frames: Sequence[bytes]) -> bytes:
    """A real frame with one field removed or replaced, or its sides swapped."""
    value = json.loads(frames[draw(st.integers(0, len(frames) - 1))])
    if draw(st.integers(0, 9)) == 0 and value["channel"] in ("l2Book", "bbo"):
        sides = value["data"]["levels" if value["channel"] == "l2Book" else "bbo"]
        sides.reverse()
    else:
        path = draw(st.sampled_from(_paths(value)))
        _mutate(value, path, draw(st.sampled_from(_REPLACEMENTS)), remove=draw(st.booleans()))
    return json.dumps(value).encode()


def _sample(frames: Sequence[bytes], n: int) -> list[bytes]:
    return list(frames[:: max(1, len(frames) // n)][:n])


def test_mutated_real_frames_are_one_rejection_or_valid(
    book_frames: list[bytes], trade_frames: list[bytes], bbo_frames: list[bytes]
) -> None:
    sample = _sample(book_frames, 20) + _sample(trade_frames, 20) + _sample(bbo_frames, 20)

    @settings(max_examples=500)
    @given(mutated_real_frames(sample))
    def check(frame: bytes) -> None:
        assert_one_rejection_or_valid(FrameParser("BTC").parse(frame, T0))

    check()


# Replacements that make a px/sz, time, tid or side invalid whatever the parser has seen.
_BAD_NUMBERS: list[Any] = ["NaN", "inf", "-1.5", "0", "-0.0", "abc", None, True, [], -7, 0]
_BAD_TIMES: list[Any] = [-5, 0, "abc", None, 1.5, 2**70, "-3"]
_BAD_SIDES: list[Any] = ["X", "b", None, 1]


@st.composite
def surely_bad_frames(draw: st.DrawFn, frames: Sequence[bytes]) -> str | bytes:
    """A frame that must be rejected: broken text, no channel, an error, or a real frame spoiled."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        frame = frames[draw(st.integers(0, len(frames) - 1))]
        return frame[: draw(st.integers(1, len(frame) - 1))]  # torn JSON
    if choice == 1:
        return "\x00" + draw(st.text(max_size=20))
    if choice == 2:
        keys = st.text(max_size=5).filter(lambda k: k != "channel")
        return json.dumps(draw(st.dictionaries(keys, st.integers(), max_size=3)))
    if choice == 3:
        return json.dumps({"channel": "error", "data": draw(st.text(max_size=20))})
    value = json.loads(frames[draw(st.integers(0, len(frames) - 1))])
    data = value["data"]
    if value["channel"] == "trades":
        trade = data[draw(st.integers(0, len(data) - 1))]
        field = draw(st.sampled_from(["px", "sz", "time", "tid", "side"]))
        bad = {"time": _BAD_TIMES, "tid": [-1, "x", None, 2**64], "side": _BAD_SIDES}.get(field, _BAD_NUMBERS)
        if draw(st.booleans()):
            del trade[field]
        else:
            trade[field] = draw(st.sampled_from(bad))
    elif choice == 4:
        sides = data["levels"] if value["channel"] == "l2Book" else data["bbo"]
        sides.reverse()  # bids ascending, or bid above ask
    else:
        levels = data["levels"][draw(st.integers(0, 1))] if value["channel"] == "l2Book" else data["bbo"]
        level = levels[draw(st.integers(0, len(levels) - 1))]
        field = draw(st.sampled_from(["px", "sz"]))
        if draw(st.booleans()):
            del level[field]
        else:
            level[field] = draw(st.sampled_from(_BAD_NUMBERS))
    return json.dumps(value)


def test_ten_thousand_malformed_frames_mixed_into_real_ones(
    book_frames: list[bytes], trade_frames: list[bytes], bbo_frames: list[bytes]
) -> None:
    real = [
        f
        for group in zip(book_frames[:300], trade_frames[:300], bbo_frames[:300], strict=True)
        for f in group
    ]
    clean_parser = FrameParser("BTC")
    clean = [clean_parser.parse(frame, T0 + i * 1000) for i, frame in enumerate(real)]
    assert clean_parser.statistics().rejected == 0
    injected = 0

    @settings(max_examples=50)
    @given(
        st.lists(st.tuples(st.integers(0, len(real)), surely_bad_frames(real)), min_size=200, max_size=200)
    )
    def check(bad: list[tuple[int, str | bytes]]) -> None:
        nonlocal injected
        at: dict[int, list[str | bytes]] = {}
        for position, frame in bad:
            at.setdefault(position, []).append(frame)
        parser = FrameParser("BTC")
        for i in range(len(real) + 1):
            for frame in at.get(i, []):  # received with the real frame before it
                result = parser.parse(frame, T0 + max(i - 1, 0) * 1000)
                assert len(result) == 1 and isinstance(result[0], InputRejected), (frame, result)
            if i < len(real):
                assert parser.parse(real[i], T0 + i * 1000) == clean[i]
        assert parser.statistics().rejected == len(bad)
        injected += len(bad)

    with capture_logs() as logs:  # also spares rendering 10,000 warnings
        check()
    assert injected >= 10_000
    assert sum(1 for log in logs if log["event"] == "frame_rejected") == injected
