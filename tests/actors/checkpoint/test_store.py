"""Checkpoint files: atomic saves, backups, and priors refused with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from actors.checkpoint.bundle import BUNDLE_SCHEMA_VERSION, CheckpointBundle, encode_bundle, file_digest
from actors.checkpoint.checkpointer import Checkpointer
from actors.checkpoint.store import (
    CheckpointStore,
    CheckpointWriter,
    PriorError,
    checkpoint_dir,
    load_bundle,
    stamp,
    validate_prior,
)
from actors.config import Config
from events import CheckpointDue, EndOfSession
from tests.actors.checkpoint.streams import Step, end_of, graph, stream
from tests.conftest import SEC, T0

HOUR = 3600 * SEC
#: Wall clock of the tests: a day after the synthetic epoch.
NOW = T0 + 24 * HOUR
PLAN: list[Step] = [(1000, (i % 5 - 2) * 0.5, 2, True, i % 2 == 0, False) for i in range(50)]


def taken(asset: str = "BTC") -> tuple[Checkpointer, CheckpointDue]:
    config = Config()
    config = msgspec.structs.replace(config, session=msgspec.structs.replace(config.session, asset=asset))
    actors = graph(config)
    checkpointer: Checkpointer = actors["checkpointer"]
    for event in stream(PLAN):
        actors["estimators"].handle(event)
        checkpointer.handle(event)
    end = end_of(PLAN)
    (due,) = checkpointer.handle(EndOfSession(ts=end, reason="duration", start_ts=T0, end_ts=end))
    assert type(due) is CheckpointDue
    return checkpointer, due


def write(tmp: Path, wall_ns: int, asset: str = "BTC", keep: int = 24) -> CheckpointWriter:
    checkpointer, due = taken(asset)
    store = CheckpointStore(checkpoint_dir(tmp, asset), keep)
    writer = CheckpointWriter(store, checkpointer, "session-1", "0.1.0", clock=lambda: wall_ns)
    saved = writer.save(due)
    assert saved.path.endswith("checkpoint.json") and saved.digest == writer.saved[-1].digest
    return writer


def test_save_writes_a_checkpoint_and_the_prior(tmp_path: Path) -> None:
    writer = write(tmp_path, NOW)
    saved = writer.saved[-1]
    assert saved.path.parent.name == stamp(NOW)
    assert saved.path.read_bytes() == saved.prior_path.read_bytes()
    loaded = load_bundle(saved.prior_path)
    assert loaded.digest == saved.digest == file_digest(saved.path.read_bytes())
    meta = loaded.bundle.meta
    assert (meta.wall_ns, meta.session_id, meta.package_version) == (NOW, "session-1", "0.1.0")
    assert meta.reason == "final"
    # No temporary file is left behind.
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]


def test_only_the_last_n_backups_are_kept(tmp_path: Path) -> None:
    checkpointer, due = taken()
    store = CheckpointStore(checkpoint_dir(tmp_path, "BTC"), keep=3)
    (store.root / "notes").mkdir(parents=True)  # not ours: never deleted
    for i in range(6):
        CheckpointWriter(store, checkpointer, "s", "0", clock=lambda i=i: NOW + i * SEC).save(due)
    names = [p.parent.name for p in store.backups()]
    assert names == [stamp(NOW + i * SEC) for i in (3, 4, 5)]
    assert (store.root / "notes").is_dir()
    assert load_bundle(store.prior_path).bundle.meta.wall_ns == NOW + 5 * SEC


def test_two_saves_in_the_same_microsecond_both_kept(tmp_path: Path) -> None:
    checkpointer, due = taken()
    store = CheckpointStore(checkpoint_dir(tmp_path, "BTC"))
    for _ in range(2):
        CheckpointWriter(store, checkpointer, "s", "0", clock=lambda: NOW).save(due)
    assert len(store.backups()) == 2


def test_a_valid_prior_is_accepted(tmp_path: Path) -> None:
    writer = write(tmp_path, NOW)
    loaded = validate_prior(
        writer.store.prior_path, asset="BTC", now_wall_ns=NOW + HOUR, stale_after_s=4 * 3600
    )
    assert loaded.bundle.meta.asset == "BTC"


def _two_checkpoints(tmp: Path) -> tuple[Path, Path]:
    """An older backup and the latest one (== prior.json); returns (prior, older backup)."""
    checkpointer, due = taken()
    store = CheckpointStore(checkpoint_dir(tmp, "BTC"))
    first = CheckpointWriter(store, checkpointer, "older", "0", clock=lambda: NOW - HOUR).save(due)
    CheckpointWriter(store, checkpointer, "newer", "0", clock=lambda: NOW).save(due)
    return store.prior_path, Path(first.path)


def test_a_stale_prior_is_refused_and_the_previous_backup_offered(tmp_path: Path) -> None:
    prior, older = _two_checkpoints(tmp_path)
    now = NOW + 5 * HOUR
    with pytest.raises(PriorError) as err:
        validate_prior(prior, asset="BTC", now_wall_ns=now, stale_after_s=4 * 3600)
    msg = str(err.value)
    assert "stale" in msg and "5.0 h old" in msg and "--allow-stale" in msg
    assert f"previous backup is {older}" in msg and err.value.backup == older
    validate_prior(prior, asset="BTC", now_wall_ns=now, stale_after_s=4 * 3600, allow_stale=True)


def test_a_prior_of_another_asset_is_refused(tmp_path: Path) -> None:
    writer = write(tmp_path, NOW, asset="ETH")
    with pytest.raises(PriorError) as err:
        validate_prior(writer.store.prior_path, asset="BTC", now_wall_ns=NOW, stale_after_s=4 * 3600)
    assert "learned on ETH, this session quotes BTC" in str(err.value)
    assert "--allow-asset-mismatch" in str(err.value)
    loaded = validate_prior(writer.store.prior_path, asset="BTC", now_wall_ns=NOW, stale_after_s=4 * 3600,
                            allow_asset_mismatch=True)  # fmt: skip
    assert loaded.bundle.meta.asset == "ETH"


def _corrupt(kind: str, path: Path) -> str:
    """Damage ``path``; return what the refusal must say."""
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
        return "not valid JSON, truncated or corrupted"
    if kind == "empty":
        path.write_bytes(b"")
        return "empty file"
    if kind == "binary":
        path.write_bytes(b"\x00\x01PMMLOG\xff" * 10)
        return "not valid JSON"
    if kind == "list":
        path.write_text("[1, 2, 3]")
        return "wrong type"
    if kind == "other_json":
        path.write_text(json.dumps({"meta": {"kind": "something.else"}, "hello": 1}))
        return "not a papermm checkpoint"
    if kind == "schema_version":
        body = json.loads(data)
        body["meta"]["schema_version"] = BUNDLE_SCHEMA_VERSION + 1
        path.write_text(json.dumps(body))
        return f"schema version {BUNDLE_SCHEMA_VERSION + 1}"
    if kind == "field_type":
        body = json.loads(data)
        body["learned"]["estimators"]["kelly"]["wins"] = "many"
        path.write_text(json.dumps(body))
        return "invalid checkpoint content"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["truncated", "empty", "binary", "list", "other_json", "schema_version", "field_type"]
)
def test_a_corrupted_prior_is_refused_and_the_previous_backup_offered(tmp_path: Path, kind: str) -> None:
    prior, _ = _two_checkpoints(tmp_path)
    latest = CheckpointStore(prior.parent).backups()[-1]  # the good copy of what prior.json was
    expected = _corrupt(kind, prior)
    with pytest.raises(PriorError) as err:
        validate_prior(prior, asset="BTC", now_wall_ns=NOW, stale_after_s=4 * 3600)
    msg = str(err.value)
    assert expected in msg and str(prior) in msg
    assert f"previous backup is {latest}" in msg and f"--prior {latest}" in msg
    assert err.value.backup == latest
    # ...and the offered backup is usable.
    validate_prior(latest, asset="BTC", now_wall_ns=NOW, stale_after_s=4 * 3600)


def test_no_backup_to_offer(tmp_path: Path) -> None:
    path = tmp_path / "prior.json"
    path.write_text("{")
    with pytest.raises(PriorError) as err:
        validate_prior(path, asset="BTC", now_wall_ns=NOW, stale_after_s=1.0)
    assert "No earlier checkpoint" in str(err.value) and err.value.backup is None


def test_missing_prior(tmp_path: Path) -> None:
    with pytest.raises(PriorError, match="no such prior"):
        load_bundle(tmp_path / "prior.json")


def test_the_file_is_indented_json_with_the_schema_version_first(tmp_path: Path) -> None:
    writer = write(tmp_path, NOW)
    text = writer.store.prior_path.read_text()
    assert text.startswith('{\n "meta": {\n  "kind": "papermm.checkpoint",\n  "schema_version": 1,')
    bundle = msgspec.json.decode(text, type=CheckpointBundle)
    assert encode_bundle(bundle) == text.encode()
