"""Parquet export: one file per event type, columns = fields, every record exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import replay
from events import AnyEvent
from events.codec import encode
from events.log import read_events
from replay.export import ExportError, export_parquet, read_exported
from tests.e2e.helpers import run_synthetic


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("export")
    result = run_synthetic(base, 120, seed=7, fill__ignore_book_depth=False)
    out = base / "parquet"
    export_parquet(result.session_dir, out)
    return result.log_path, out


def test_round_trip_every_record_exactly_once(exported: tuple[Path, Path]) -> None:
    log_path, out = exported
    original = list(read_events(log_path))
    back = list(read_exported(out))
    assert [seq for seq, _ in back] == list(range(len(original)))
    # Bytes, so that NaN fields (a mid before any book) compare equal too.
    assert [encode(e) for _, e in back] == [encode(e) for e in original]


def test_one_file_per_type_with_the_fields_as_columns(exported: tuple[Path, Path]) -> None:
    log_path, out = exported
    types = {type(e).__name__: type(e) for e in read_events(log_path)}
    assert {p.stem for p in out.glob("*.parquet")} == set(types)
    for name, cls in types.items():
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.names == ["seq", *cls.__struct_fields__]
        assert schema.metadata[b"papermm.event"] == name.encode()
    cycles = pq.read_schema(out / "QuoteCycle.parquet")
    assert pa.types.is_list(cycles.field("levels").type)
    assert pa.types.is_struct(cycles.field("levels").type.value_type)
    book = pq.read_schema(out / "BookSnapshot.parquet")
    assert book.field("bid_px").type == pa.list_(pa.float64())
    assert book.field("ts").type == pa.int64()
    started = pq.read_table(out / "SessionStarted.parquet").to_pylist()[0]
    assert json.loads(started["config"])["session"]["seed"] == 7
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["records"] == sum(1 for _ in read_events(log_path))
    assert manifest["rows"] == {n: pq.read_metadata(out / f"{n}.parquet").num_rows for n in types}


def test_every_event_type_has_a_schema() -> None:
    """New event types need no change: the schema comes from the annotations."""
    from replay.export import _table_for

    for cls in AnyEvent.__args__:  # type: ignore[attr-defined]
        table = _table_for(cls, Path("/nonexistent"))
        assert table.schema.names == ["seq", *cls.__struct_fields__]


def test_export_refuses_a_non_empty_directory(exported: tuple[Path, Path], tmp_path: Path) -> None:
    log_path, out = exported
    with pytest.raises(ExportError, match="not empty"):
        export_parquet(log_path, out)
    result = replay.open_replay(log_path).export(tmp_path / "x")
    assert result.total_rows == sum(1 for _ in read_events(log_path))
