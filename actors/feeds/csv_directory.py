"""A CSV recording directory: the websocket's book, bbo and trades frames flattened to rows.

Per coin, ``orderbooks_<COIN>.csv.gz`` (one l2Book frame per row), ``prices_<COIN>.csv.gz``
(one bbo frame per two rows) and ``trades_<COIN>.csv.gz`` (one trade per row), plain
or gzipped. Each row is rebuilt into its frame; the three files are merged by exchange
time and every event is stamped with the exchange time.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

import msgspec

from actors.feeds.compressed_streams import STREAM_ERRORS, read_until_cut_short
from actors.feeds.frames import FrameParser
from actors.feeds.recorder_file import RecordingError
from actors.feeds.trade_dedupe import TradeDeduper
from actors.feeds.wire_builders import bbo_frame, book_frame, trades_frame, wire_trade
from events import Event
from events.base import MS_NS

#: Columns each CSV file must have; checked when the recording is opened.
CSV_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "orderbooks": ("exchange_timestamp", "bid_price_0", "bid_size_0", "ask_price_0", "ask_size_0"),
    "prices": ("timestamp", "price", "size", "side", "exchange_timestamp"),
    "trades": ("price", "size", "side", "trade_id", "exchange_timestamp"),
}
_CSV_SIDES: Final = {"buy": "B", "sell": "A"}


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


def _cells(stream: IO[bytes]) -> Iterator[list[str]]:
    return csv.reader(io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=""))


def _csv_rows(path: Path) -> Iterator[list[str]]:
    """Rows, header included, as lists of cells; a truncated file ends with a warning."""
    return read_until_cut_short(path, _cells, (*STREAM_ERRORS, csv.Error))


def check_csv_header(kind: str, path: Path) -> None:
    """Raise ``RecordingError`` unless ``path`` starts with the header its kind needs."""
    header = next(_csv_rows(path), None) or []
    missing = [name for name in CSV_COLUMNS[kind] if name not in header]
    if missing:
        raise RecordingError(f"{path}: not a {kind} CSV: missing columns {', '.join(missing)}")


def _table(path: Path) -> tuple[dict[str, int], Iterator[list[str]]]:
    """The column indexes of a CSV file's header, and its rows after the header."""
    rows = _csv_rows(path)
    return {name: i for i, name in enumerate(next(rows, None) or [])}, rows


def _row_time(path: Path, row: list[str], ex_col: int, width: int) -> int | _RowRejected:
    """The row's exchange time; its rejection when it has the wrong width or a bad time."""
    try:
        if len(row) != width:
            raise ValueError(f"{len(row)} cells, want {width}")
        return int(row[ex_col])
    except ValueError as exc:
        return _RowRejected(f"{path.name}: {exc}", ",".join(row))


def _wire_int(cell: str) -> int | str:
    """An integer cell as an int; anything else stays text, for the parser to reject."""
    try:
        return int(cell)
    except ValueError:
        return cell


def _book_items(path: Path, coin: str) -> Iterator[_Item]:
    columns, rows = _table(path)
    depth = sum(1 for name in columns if name.startswith("bid_price_"))
    cells = [
        tuple(columns.get(f"{side}_{what}_{i}", -1) for side in ("bid", "ask") for what in ("price", "size"))
        for i in range(depth)
    ]
    ex_col, width, last_ms = columns["exchange_timestamp"], len(columns), 0
    for row in rows:
        time_ms = _row_time(path, row, ex_col, width)
        if isinstance(time_ms, _RowRejected):
            yield last_ms, time_ms
            continue
        last_ms = time_ms
        bids = [(row[bp], row[bs]) for bp, bs, _, _ in cells if bp >= 0 and (row[bp] or row[bs])]
        asks = [(row[ap], row[az]) for _, _, ap, az in cells if ap >= 0 and (row[ap] or row[az])]
        yield time_ms, book_frame(coin, time_ms, bids, asks)


def _bbo_items(path: Path, coin: str) -> Iterator[_Item]:
    """Two rows (bid, ask) with the same receive and exchange times make one bbo frame."""
    columns, rows = _table(path)
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


def _trade_items(path: Path, coin: str, parser: FrameParser) -> Iterator[_Item]:
    """One trades frame per row, repeats of a ``trade_id`` dropped (the reconnect replay)."""
    columns, rows = _table(path)
    px_col, sz_col, side_col, tid_col, ex_col = (columns[name] for name in CSV_COLUMNS["trades"])
    width, last_ms = len(columns), 0
    # Dropped here, before the merge: a replayed row's old exchange time would break the order.
    seen = TradeDeduper()
    for row in rows:
        time_ms = _row_time(path, row, ex_col, width)
        if isinstance(time_ms, _RowRejected):
            yield last_ms, time_ms
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
        recv_ns = time_ms * MS_NS
        if isinstance(payload, bytes):
            yield from parser.parse(payload, recv_ns)
        else:
            yield parser.reject(recv_ns, "bad_row", payload.reason, payload.row)
