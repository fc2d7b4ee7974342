"""Readers of the Hyperliquid archive formats, each turned back into wire frames.

Every reader rebuilds the websocket frame that the data came from (the archives are
flattenings of those frames) and hands it to the session's ``FrameParser``, so one
gate validates, counts and stamps everything, whatever the source. All readers stream:
gzip, LZ4 and zstd are decompressed line by line.

Formats (see ../shared/data/hyperliquid/README.md):

- S3 archive ``market_data/<date>/<hour>/l2Book/<COIN>.lz4`` (or re-gzipped): JSON lines
  ``{"time": "<UTC receive time, ns digits>", "ver_num": 1, "raw": <l2Book frame>}``.
- CSV directory: ``orderbooks_<COIN>.csv.gz`` (one l2Book frame per row),
  ``prices_<COIN>.csv.gz`` (one bbo frame per two rows) and ``trades_<COIN>.csv.gz``,
  merged by exchange time; events are stamped with the exchange time.
- ``node_fills_by_block`` JSON lines: every fill of every coin, twice (maker and taker).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import heapq
import io
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Final, TypeVar

import lz4.frame
import msgspec
import numpy as np
import structlog
import zstandard

from actors.feeds.frames import FrameParser, RejectionKind, TradeDeduper, classify_validation_error
from actors.feeds.recorder_file import ZSTD_MAGIC, RecordingError
from events import Event

_T = TypeVar("_T")


def _log() -> structlog.typing.FilteringBoundLogger:
    # A fresh proxy per (rare) message: a logger cached at first use would ignore a later
    # structlog.configure, such as the one capture_logs() does in tests.
    return structlog.get_logger(__name__)  # type: ignore[no-any-return]


GZIP_MAGIC: Final = b"\x1f\x8b"
LZ4_MAGIC: Final = b"\x04\x22\x4d\x18"
_EPOCH: Final = dt.datetime(1970, 1, 1)
_ONE_NS: Final = dt.timedelta(microseconds=1) / 1000
_MS: Final = 1_000_000
_ZERO_HASH: Final = "0x" + "0" * 64
_NO_USER: Final = "0x" + "0" * 40
#: The CSV flattening dropped the order count of each level; a level has at least one.
SYNTHETIC_ORDER_COUNT: Final = 1

# Errors a compressed stream raises when the file was cut short or is damaged.
_STREAM_ERRORS: Final = (EOFError, OSError, RuntimeError, zlib.error, zstandard.ZstdError)

_json = msgspec.json.Encoder()


# --- wire frames, built from text cells (prices stay exactly as on the wire)


def format_decimal(value: float) -> str:
    """A float as the wire writes numbers: positional, shortest round-trip digits."""
    text = repr(value)
    if "e" in text or "E" in text:
        text = np.format_float_positional(value, unique=True, trim="0")
    return text


def _level(px: str, sz: str) -> dict[str, Any]:
    return {"px": px, "sz": sz, "n": SYNTHETIC_ORDER_COUNT}


def book_frame(
    coin: str, time_ms: int, bids: Iterable[tuple[str, str]], asks: Iterable[tuple[str, str]]
) -> bytes:
    """An ``l2Book`` frame; levels are ``(px, sz)`` text pairs, best first."""
    levels = [[_level(px, sz) for px, sz in bids], [_level(px, sz) for px, sz in asks]]
    return _json.encode({"channel": "l2Book", "data": {"coin": coin, "time": time_ms, "levels": levels}})


def bbo_frame(coin: str, time_ms: int, bid: tuple[str, str] | None, ask: tuple[str, str] | None) -> bytes:
    """A ``bbo`` frame; an empty side is ``null`` as on the wire."""
    sides = [None if side is None else _level(*side) for side in (bid, ask)]
    return _json.encode({"channel": "bbo", "data": {"coin": coin, "time": time_ms, "bbo": sides}})


def wire_trade(
    coin: str,
    side: str,
    px: str,
    sz: str,
    time_ms: int,
    tid: int | str,
    users: tuple[str, str] = (_NO_USER, _NO_USER),
    hash_: str = _ZERO_HASH,
) -> dict[str, Any]:
    """One element of a ``trades`` frame (``hash`` all zeros, as the wire sometimes has it)."""
    return {
        "coin": coin,
        "side": side,
        "px": px,
        "sz": sz,
        "time": time_ms,
        "hash": hash_,
        "tid": tid,
        "users": list(users),
    }


def trades_frame(trades: Sequence[dict[str, Any]]) -> bytes:
    """A ``trades`` frame from ``wire_trade`` elements, oldest first."""
    return _json.encode({"channel": "trades", "data": list(trades)})


def all_mids_frame(mids: dict[str, str], dex: str = "") -> bytes:
    """An ``allMids`` frame; ``dex`` is written only for a builder dex, as the server does."""
    data: dict[str, Any] = {"mids": mids}
    if dex:
        data["dex"] = dex
    return _json.encode({"channel": "allMids", "data": data})


# --- streams and times


def parse_utc_ns(text: str) -> int:
    """``2024-01-01T12:00:01.138942031`` (UTC, no zone, up to 9 fraction digits) to epoch ns."""
    head, _, fraction = text.rstrip("Z").partition(".")
    if len(fraction) > 9 or (fraction and not fraction.isdigit()):
        raise ValueError(f"bad fraction of a second in {text!r}")
    seconds = (dt.datetime.fromisoformat(head) - _EPOCH) // dt.timedelta(seconds=1)
    return seconds * 1_000_000_000 + int(fraction.ljust(9, "0") or 0)


def sniff_compression(path: Path) -> str:
    """``gzip``, ``zstd``, ``lz4`` or ``none``, from the file's first bytes."""
    with open(path, "rb") as file:
        head = file.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head == ZSTD_MAGIC:
        return "zstd"
    if head == LZ4_MAGIC:
        return "lz4"
    return "none"


@contextmanager
def open_decompressed(path: Path) -> Iterator[IO[bytes]]:
    """The file's bytes, decompressed as a stream whatever the compression."""
    kind = sniff_compression(path)
    with open(path, "rb") as raw:
        stream: IO[bytes]
        if kind == "gzip":
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        elif kind == "lz4":
            stream = lz4.frame.LZ4FrameFile(raw, mode="rb")
        elif kind == "zstd":
            reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            stream = io.BufferedReader(reader)  # type: ignore[arg-type]
        else:
            stream = raw
        with stream:
            yield stream


def iter_lines(path: Path) -> Iterator[bytes]:
    """The lines of a (compressed) file; a stream cut short ends with a warning, not an error."""
    with open_decompressed(path) as stream:
        lines = iter(stream)
        while True:
            try:
                line = next(lines)
            except StopIteration:
                return
            except _STREAM_ERRORS as exc:
                _log().warning("recording_truncated", path=str(path), error=str(exc))
                return
            yield line


def first_line(path: Path) -> bytes:
    """The first line of a (compressed) file, or b"" when it has none."""
    for line in iter_lines(path):
        return line
    return b""


def _fallback_ns(parser: FrameParser) -> int:
    """Time for a rejection that has no time of its own: the last one stamped."""
    return parser.last_ts if parser.last_ts is not None else 0


def _reject_decode(parser: FrameParser, exc: Exception, line: bytes) -> Event:
    kind: RejectionKind
    kind = classify_validation_error(exc) if isinstance(exc, msgspec.ValidationError) else "invalid_json"
    return parser.reject(_fallback_ns(parser), kind, f"bad line: {exc}", line)


# --- S3 archive


class _ArchiveLine(msgspec.Struct, frozen=True):
    time: str
    raw: msgspec.Raw


_ARCHIVE = msgspec.json.Decoder(_ArchiveLine)


def _stamped_lines(
    path: Path,
    parser: FrameParser,
    decode: Callable[[bytes], _T],
    time_of: Callable[[_T], str],
    what: str,
) -> Iterator[tuple[_T, int] | Event]:
    """Decode each non-blank JSON line with its UTC time; a bad line becomes its rejection."""
    for line in iter_lines(path):
        if not line.strip():
            continue
        try:
            record = decode(line)
            recv_ns = parse_utc_ns(time_of(record))
        except (msgspec.DecodeError, UnicodeError) as exc:
            yield _reject_decode(parser, exc, line)
            continue
        except ValueError as exc:
            yield parser.reject(_fallback_ns(parser), "out_of_range", f"bad {what}: {exc}", line)
            continue
        yield record, recv_ns


def read_s3_archive(path: Path, parser: FrameParser) -> Iterator[Event]:
    """Events of an S3 ``l2Book`` archive: each ``raw`` frame, received at the outer ``time``."""
    for item in _stamped_lines(path, parser, _ARCHIVE.decode, lambda r: r.time, "receive time"):
        if isinstance(item, tuple):
            record, recv_ns = item
            yield from parser.parse(bytes(record.raw), recv_ns)
        else:
            yield item


# --- node_fills_by_block


class _Block(msgspec.Struct, frozen=True):
    block_time: str
    events: list[tuple[str, msgspec.Raw]]


class _Fill(msgspec.Struct, frozen=True):
    coin: str
    px: str
    sz: str
    side: str
    time: int
    crossed: bool
    tid: int


class _FillCoin(msgspec.Struct, frozen=True):
    coin: str


_BLOCK = msgspec.json.Decoder(_Block)
_FILL = msgspec.json.Decoder(_Fill)
_FILL_COIN = msgspec.json.Decoder(_FillCoin)
_OPPOSITE: Final = {"B": "A", "A": "B"}


def _block_trades(
    coin: str, fills: list[tuple[str, _Fill]], recv_ns: int, parser: FrameParser
) -> tuple[list[dict[str, Any]], list[Event]]:
    """Pair the maker and taker rows of each tid into one wire trade (aggressor = taker)."""
    by_tid: dict[int, list[tuple[str, _Fill]]] = {}
    for user, fill in fills:
        by_tid.setdefault(fill.tid, []).append((user, fill))
    trades: list[dict[str, Any]] = []
    rejected: list[Event] = []
    for tid, rows in by_tid.items():  # insertion order: the block's own fill order
        takers = [fill for _, fill in rows if fill.crossed]
        if len(rows) > 2 or len(takers) > 1 or (len(rows) == 2 and not takers):
            detail = _json.encode([[user, msgspec.to_builtins(fill)] for user, fill in rows])
            reason = f"tid {tid}: {len(rows)} fill rows, {len(takers)} taker, want one maker and one taker"
            rejected.append(parser.reject(recv_ns, "bad_row", reason, detail))
            continue
        first = rows[0][1]
        # A lone maker row (its taker half elsewhere): the aggressor took the other side.
        side = takers[0].side if takers else _OPPOSITE.get(first.side, first.side)
        buyer = next((user for user, fill in rows if fill.side == "B"), _NO_USER)
        seller = next((user for user, fill in rows if fill.side == "A"), _NO_USER)
        trades.append(wire_trade(coin, side, first.px, first.sz, first.time, tid, (buyer, seller)))
    return trades, rejected


def read_node_fills(path: Path, parser: FrameParser) -> Iterator[Event]:
    """One trade per tid of the session coin, stamped with the block time."""
    coin = parser.coin
    # A fill of ours must contain the coin as a JSON string: skip the others undecoded.
    needle = _json.encode(coin)
    for item in _stamped_lines(path, parser, _BLOCK.decode, lambda b: b.block_time, "block time"):
        if not isinstance(item, tuple):
            yield item
            continue
        block, recv_ns = item
        fills: list[tuple[str, _Fill]] = []
        for user, raw_fill in block.events:
            raw = bytes(raw_fill)
            if needle not in raw:
                continue
            try:
                fill = _FILL.decode(raw)
            except msgspec.ValidationError as exc:
                try:
                    theirs = _FILL_COIN.decode(raw).coin != coin
                except msgspec.ValidationError:
                    theirs = False
                if not theirs:
                    yield parser.reject(recv_ns, classify_validation_error(exc), f"fill: {exc}", raw)
                continue
            if fill.coin == coin:
                fills.append((user, fill))
        if not fills:
            continue
        trades, rejected = _block_trades(coin, fills, recv_ns, parser)
        yield from rejected
        if trades:
            yield from parser.parse(trades_frame(trades), recv_ns)


# --- CSV directory


class _RowRejected(msgspec.Struct, frozen=True):
    reason: str
    row: str


_Item = tuple[int, bytes | _RowRejected]


def csv_paths(directory: Path, coin: str) -> dict[str, Path]:
    """The CSV files of ``coin`` in ``directory``, by kind (orderbooks, prices, trades)."""
    found: dict[str, Path] = {}
    for kind in ("orderbooks", "prices", "trades"):
        for suffix in (".csv.gz", ".csv"):
            candidate = directory / f"{kind}_{coin}{suffix}"
            if candidate.is_file():
                found[kind] = candidate
                break
    return found


def _csv_rows(path: Path) -> Iterator[list[str]]:
    """Rows after the header, as lists of cells; a truncated file ends with a warning."""
    with open_decompressed(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(text)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (*_STREAM_ERRORS, csv.Error) as exc:
                _log().warning("recording_truncated", path=str(path), error=str(exc))
                return
            yield row


#: Columns each CSV file must have; checked when the recording is opened.
CSV_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "orderbooks": ("exchange_timestamp", "bid_price_0", "bid_size_0", "ask_price_0", "ask_size_0"),
    "prices": ("timestamp", "price", "size", "side", "exchange_timestamp"),
    "trades": ("price", "size", "side", "trade_id", "exchange_timestamp"),
}


def check_csv_header(kind: str, path: Path) -> None:
    """Raise ``RecordingError`` unless ``path`` starts with the header its kind needs."""
    header = next(_csv_rows(path), None) or []
    missing = [name for name in CSV_COLUMNS[kind] if name not in header]
    if missing:
        raise RecordingError(f"{path}: not a {kind} CSV: missing columns {', '.join(missing)}")


def _header(rows: Iterator[list[str]]) -> dict[str, int]:
    return {name: i for i, name in enumerate(next(rows, None) or [])}


def _wire_int(cell: str) -> int | str:
    """An integer cell as an int; anything else stays text, for the parser to reject."""
    try:
        return int(cell)
    except ValueError:
        return cell


def _book_items(path: Path, coin: str) -> Iterator[_Item]:
    rows = _csv_rows(path)
    columns = _header(rows)
    depth = sum(1 for name in columns if name.startswith("bid_price_"))
    cells = [
        tuple(columns.get(f"{side}_{what}_{i}", -1) for side in ("bid", "ask") for what in ("price", "size"))
        for i in range(depth)
    ]
    ex_col, width, last_ms = columns["exchange_timestamp"], len(columns), 0
    for row in rows:
        try:
            if len(row) != width:
                raise ValueError(f"{len(row)} cells, want {width}")
            time_ms = int(row[ex_col])
        except ValueError as exc:
            yield last_ms, _RowRejected(f"{path.name}: {exc}", ",".join(row))
            continue
        last_ms = time_ms
        bids = [(row[bp], row[bs]) for bp, bs, _, _ in cells if bp >= 0 and (row[bp] or row[bs])]
        asks = [(row[ap], row[az]) for _, _, ap, az in cells if ap >= 0 and (row[ap] or row[az])]
        yield time_ms, book_frame(coin, time_ms, bids, asks)


def _bbo_items(path: Path, coin: str) -> Iterator[_Item]:
    """Two rows (bid, ask) with the same receive and exchange times make one bbo frame."""
    rows = _csv_rows(path)
    columns = _header(rows)
    recv_col, px_col, sz_col = columns["timestamp"], columns["price"], columns["size"]
    side_col, ex_col, width = columns["side"], columns["exchange_timestamp"], len(columns)
    last_ms = 0
    group: list[list[str]] = []

    def frame_of(group: list[list[str]]) -> _Item:
        text = "\n".join(",".join(row) for row in group)
        try:
            time_ms = int(group[0][ex_col])
        except ValueError as exc:
            return last_ms, _RowRejected(f"{path.name}: {exc}", text)
        sides: dict[str, tuple[str, str]] = {}
        for row in group:
            if row[side_col] not in ("bid", "ask") or row[side_col] in sides:
                return time_ms, _RowRejected(f"{path.name}: want one bid and one ask row", text)
            sides[row[side_col]] = (row[px_col], row[sz_col])
        return time_ms, bbo_frame(coin, time_ms, sides.get("bid"), sides.get("ask"))

    for row in rows:
        if len(row) != width:
            yield last_ms, _RowRejected(f"{path.name}: {len(row)} cells, want {width}", ",".join(row))
            continue
        if group and (row[recv_col], row[ex_col]) != (group[0][recv_col], group[0][ex_col]):
            item = frame_of(group)
            last_ms = item[0]
            yield item
            group = []
        group.append(row)
    if group:
        yield frame_of(group)


_CSV_SIDES: Final = {"buy": "B", "sell": "A"}


def _trade_items(path: Path, coin: str, parser: FrameParser) -> Iterator[_Item]:
    """One trades frame per row, repeats of a ``trade_id`` dropped (the reconnect replay)."""
    rows = _csv_rows(path)
    names = CSV_COLUMNS["trades"]
    columns = _header(rows)
    px_col, sz_col, side_col, tid_col, ex_col = (columns[name] for name in names)
    width, last_ms = len(columns), 0
    # Dropped here, before the merge: a replayed row's old exchange time would break the order.
    seen = TradeDeduper()
    for row in rows:
        try:
            if len(row) != width:
                raise ValueError(f"{len(row)} cells, want {width}")
            time_ms = int(row[ex_col])
        except ValueError as exc:
            yield last_ms, _RowRejected(f"{path.name}: {exc}", ",".join(row))
            continue
        tid = _wire_int(row[tid_col])
        if not seen.admit(tid):
            parser.count_duplicate_trades(1)
            continue
        last_ms = time_ms
        side = _CSV_SIDES.get(row[side_col], row[side_col])
        trade = wire_trade(coin, side, row[px_col], row[sz_col], time_ms, tid)
        yield time_ms, trades_frame([trade])


def read_csv_directory(paths: dict[str, Path], parser: FrameParser) -> Iterator[Event]:
    """Books, bbos and trades merged by exchange time (ties: book, bbo, trades)."""
    coin = parser.coin
    sources: list[Iterator[_Item]] = []
    if "orderbooks" in paths:
        sources.append(_book_items(paths["orderbooks"], coin))
    if "prices" in paths:
        sources.append(_bbo_items(paths["prices"], coin))
    if "trades" in paths:
        sources.append(_trade_items(paths["trades"], coin, parser))
    # heapq.merge keeps input order among equal keys: that is the tie rule.
    for time_ms, payload in heapq.merge(*sources, key=lambda item: item[0]):
        recv_ns = time_ms * _MS
        if isinstance(payload, bytes):
            yield from parser.parse(payload, recv_ns)
        else:
            yield parser.reject(recv_ns, "bad_row", payload.reason, payload.row)
