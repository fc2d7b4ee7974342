"""Export a session to Parquet: one file per event type, one row per record, columns = fields.

``DIR/{Type}.parquet`` has a ``seq`` column (the record's position in the log) and one
column per field of the event, in declaration order. The Arrow types follow the event's
annotations, so a new event type or field needs no change here:

    int -> int64, float -> float64, str and Literal -> string, bool -> bool,
    tuple[X, ...] -> list<X>, a nested Record -> struct, dict / anything else -> JSON string

(``SessionStarted.config`` is therefore a JSON string). ``DIR/manifest.json`` lists the
files and their row counts. ``read_exported`` turns the files back into events, which is
how the round trip is tested: every record appears exactly once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import msgspec
import msgspec.inspect as mi

from events import AnyEvent, Event
from replay.session import RecordedSession, SessionError, open_session

_BATCH_ROWS = 65_536
_json = msgspec.json.Encoder(order="deterministic")


class ExportError(SessionError):
    """The export cannot be written (destination not empty)."""


@attrs.frozen
class ExportResult:
    out_dir: Path
    #: type name -> rows written
    rows: dict[str, int]
    files: tuple[Path, ...]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _event_types() -> dict[str, type[Event]]:
    return {cls.__name__: cls for cls in AnyEvent.__args__}  # type: ignore[attr-defined]


def _arrow_type(info: mi.Type) -> Any:
    import pyarrow as pa

    if isinstance(info, mi.BoolType):
        return pa.bool_()
    if isinstance(info, mi.IntType):
        return pa.int64()
    if isinstance(info, mi.FloatType):
        return pa.float64()
    if isinstance(info, mi.StrType):
        return pa.string()
    if isinstance(info, mi.LiteralType):
        return pa.string() if all(isinstance(v, str) for v in info.values) else pa.int64()
    if isinstance(info, mi.VarTupleType | mi.ListType):
        return pa.list_(_arrow_type(info.item_type))
    if isinstance(info, mi.StructType):
        return pa.struct([pa.field(f.name, _arrow_type(f.type)) for f in info.fields])
    if isinstance(info, mi.UnionType):
        rest = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(rest) == 1:
            return _arrow_type(rest[0])
    return pa.string()  # JSON


def _is_json(info: mi.Type) -> bool:
    if isinstance(info, mi.UnionType):
        rest = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return len(rest) != 1 or _is_json(rest[0])
    return not isinstance(
        info,
        mi.BoolType
        | mi.IntType
        | mi.FloatType
        | mi.StrType
        | mi.LiteralType
        | mi.VarTupleType
        | mi.ListType
        | mi.StructType,
    )


def _to_cell(value: Any, info: mi.Type) -> Any:
    if value is None:
        return None
    if isinstance(info, mi.UnionType):
        rest = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(rest) == 1:
            return _to_cell(value, rest[0])
    if _is_json(info):
        return _json.encode(value).decode()
    if isinstance(info, mi.VarTupleType | mi.ListType):
        return [_to_cell(v, info.item_type) for v in value]
    if isinstance(info, mi.StructType):
        return {f.name: _to_cell(getattr(value, f.name), f.type) for f in info.fields}
    return value


def _from_cell(value: Any, info: mi.Type) -> Any:
    if value is None:
        return None
    if isinstance(info, mi.UnionType):
        rest = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(rest) == 1:
            return _from_cell(value, rest[0])
    if _is_json(info):
        return msgspec.json.decode(value)
    if isinstance(info, mi.VarTupleType | mi.ListType):
        items = [_from_cell(v, info.item_type) for v in value]
        return tuple(items) if isinstance(info, mi.VarTupleType) else items
    if isinstance(info, mi.StructType):
        return info.cls(**{f.name: _from_cell(value[f.name], f.type) for f in info.fields})
    return value


@attrs.define
class _Table:
    """Rows of one event type, written to its Parquet file in batches."""

    info: mi.StructType
    schema: Any
    path: Path
    writer: Any = None
    columns: dict[str, list[Any]] = attrs.Factory(dict)
    pending: int = 0
    rows: int = 0

    def add(self, seq: int, event: Event) -> None:
        cols = self.columns
        if not cols:
            cols["seq"] = []
            for f in self.info.fields:
                cols[f.name] = []
        cols["seq"].append(seq)
        for f in self.info.fields:
            cols[f.name].append(_to_cell(getattr(event, f.name), f.type))
        self.pending += 1
        self.rows += 1
        if self.pending >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not self.pending:
            return
        table = pa.Table.from_pydict(self.columns, schema=self.schema)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(table)
        self.columns = {}
        self.pending = 0

    def close(self) -> None:
        self.flush()
        if self.writer is not None:
            self.writer.close()


def _table_for(cls: type[Event], out: Path) -> _Table:
    import pyarrow as pa

    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    fields = [pa.field("seq", pa.int64(), nullable=False)]
    fields += [pa.field(f.name, _arrow_type(f.type)) for f in info.fields]
    meta = {b"papermm.event": cls.__name__.encode()}
    return _Table(info=info, schema=pa.schema(fields, metadata=meta), path=out / f"{cls.__name__}.parquet")


def export_parquet(session: RecordedSession | str | Path, out: str | Path) -> ExportResult:
    """Write one Parquet file per event type of ``session`` into ``out`` (created; must be empty)."""
    session = session if isinstance(session, RecordedSession) else open_session(session)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: already exists and is not empty; refusing to overwrite")
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[type[Event], _Table] = {}
    try:
        for seq, event in session.records():
            table = tables.get(type(event))
            if table is None:
                table = tables[type(event)] = _table_for(type(event), out)
            table.add(seq, event)
    finally:
        for table in tables.values():
            table.close()
    rows = {cls.__name__: t.rows for cls, t in sorted(tables.items(), key=lambda kv: kv[0].__name__)}
    manifest = {
        "session_id": session.started.session_id,
        "source": str(session.log_path),
        "schema_version": session.started.schema_version,
        "records": sum(rows.values()),
        "files": {name: f"{name}.parquet" for name in rows},
        "rows": rows,
    }
    tmp = out / "manifest.json.tmp"
    tmp.write_bytes(msgspec.json.format(_json.encode(manifest)) + b"\n")
    os.replace(tmp, out / "manifest.json")
    return ExportResult(out_dir=out, rows=rows, files=tuple(out / f"{name}.parquet" for name in rows))


def read_exported(out: str | Path) -> Iterator[tuple[int, Event]]:
    """Every event of an export, rebuilt from its Parquet files, in ``seq`` order."""
    import pyarrow.parquet as pq

    types = _event_types()
    items: list[tuple[int, Event]] = []
    for path in sorted(Path(out).glob("*.parquet")):
        cls = types.get(path.stem)
        if cls is None:
            raise ExportError(f"{path}: not an event type of this version ({path.stem})")
        info = mi.type_info(cls)
        assert isinstance(info, mi.StructType)
        for row in pq.read_table(path).to_pylist():
            kwargs = {f.name: _from_cell(row[f.name], f.type) for f in info.fields}
            items.append((row["seq"], cls(**kwargs)))
    items.sort(key=lambda item: item[0])
    return iter(items)
