"""Checkpoints on disk: atomic writes, timestamped backups, and loading with validation.

Layout, under ``DATA_DIR/checkpoints/paper/{ASSET}/`` (``:`` in a HIP-3 asset becomes
``_``)::

    prior.json                        the latest bundle (what ``--prior auto`` takes)
    {YYYYmmddTHHMMSSffffffZ}/checkpoint.json   one per checkpoint, the last ``keep`` kept

**Atomic.** Every file is written to a temporary file in the same directory, flushed and
fsynced, then renamed over the target, and the directory is fsynced: a crash (even
``kill -9``) at any moment leaves either the old file or the new one, never a torn one.
Temporary files a crash left behind are removed by the next save.

This module is an I/O edge: it reads the wall clock (for the backup names, the bundle's
``wall_ns`` and a prior's age), through an injectable ``clock``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import attrs
import msgspec
import structlog

from actors.checkpoint.bundle import (
    BUNDLE_KIND,
    BUNDLE_SCHEMA_VERSION,
    CheckpointBundle,
    encode_bundle,
    file_digest,
)
from actors.checkpoint.checkpointer import Checkpointer
from actors.config import Config
from events import CheckpointDue, CheckpointSaved

log = structlog.get_logger("papermm.checkpoint")

PRIOR_NAME: Final = "prior.json"
CHECKPOINT_NAME: Final = "checkpoint.json"
_STAMP_RE: Final = re.compile(r"^\d{8}T\d{12}Z(-\d+)?$")
_TMP_PREFIX: Final = ".tmp-"

Clock = Callable[[], int]


class PriorError(Exception):
    """A prior cannot be used; the message says why and offers the previous backup, if any."""

    def __init__(self, message: str, *, backup: Path | None = None) -> None:
        super().__init__(message)
        self.backup = backup


def checkpoint_dir(data_dir: str | Path, asset: str) -> Path:
    """``DATA_DIR/checkpoints/paper/{ASSET}``."""
    return Path(data_dir) / "checkpoints" / "paper" / asset.replace(":", "_")


def stamp(wall_ns: int) -> str:
    """A sortable UTC name for a checkpoint directory, to the microsecond."""
    seconds, ns = divmod(wall_ns, 1_000_000_000)
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds)) + f"{ns // 1000:06d}Z"


# -- writing ------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably (temp file, fsync, rename,
    fsync of the directory)."""
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@attrs.frozen
class SavedCheckpoint:
    path: Path
    prior_path: Path
    digest: str


class CheckpointStore:
    """One asset's checkpoint directory."""

    def __init__(self, root: Path, keep: int = 24) -> None:
        self.root = root
        self.keep = keep

    @property
    def prior_path(self) -> Path:
        return self.root / PRIOR_NAME

    def save(self, data: bytes, wall_ns: int) -> SavedCheckpoint:
        """Write ``data`` as a new timestamped checkpoint, then as ``prior.json``; prune."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_temporaries()
        name = stamp(wall_ns)
        target = self.root / name
        suffix = 1
        while target.exists():  # two saves in the same microsecond
            suffix += 1
            target = self.root / f"{name}-{suffix}"
        target.mkdir()
        path = target / CHECKPOINT_NAME
        atomic_write(path, data)
        _fsync_dir(self.root)
        atomic_write(self.prior_path, data)
        self.prune()
        return SavedCheckpoint(path=path, prior_path=self.prior_path, digest=file_digest(data))

    def backups(self) -> list[Path]:
        """Every timestamped checkpoint file, oldest first."""
        if not self.root.is_dir():
            return []
        dirs = sorted(p for p in self.root.iterdir() if p.is_dir() and _STAMP_RE.match(p.name))
        return [d / CHECKPOINT_NAME for d in dirs if (d / CHECKPOINT_NAME).is_file()]

    def prune(self) -> None:
        """Delete the oldest timestamped checkpoints beyond ``keep`` (nothing else)."""
        dirs = sorted(p for p in self.root.iterdir() if p.is_dir() and _STAMP_RE.match(p.name))
        for old in dirs[: max(0, len(dirs) - self.keep)]:
            for child in old.iterdir():
                child.unlink()
            old.rmdir()

    def _remove_temporaries(self) -> None:
        for tmp in self.root.glob(f"{_TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)
        for d in self.root.iterdir():
            if d.is_dir() and _STAMP_RE.match(d.name):
                for tmp in d.glob(f"{_TMP_PREFIX}*"):
                    tmp.unlink(missing_ok=True)


class CheckpointWriter:
    """The runtime's checkpoint edge: writes what the checkpointer took, logs CheckpointSaved.

    ``save`` is called with each CheckpointDue right after it is logged; it fills in the
    bundle's wall time, session id and package version (which the graph cannot know),
    writes the files and returns the CheckpointSaved record to log after it.
    """

    def __init__(
        self, store: CheckpointStore, checkpointer: Checkpointer, session_id: str, package_version: str,
        clock: Clock = time.time_ns,
    ) -> None:  # fmt: skip
        self.store = store
        self.checkpointer = checkpointer
        self.session_id = session_id
        self.package_version = package_version
        self.clock = clock
        self.saved: list[SavedCheckpoint] = []

    @classmethod
    def for_session(
        cls, config: Config, checkpointer: Checkpointer, session_id: str, package_version: str
    ) -> CheckpointWriter | None:
        """The edge of a session, or None when ``checkpoint.save`` is off."""
        if not config.checkpoint.save:
            return None
        store = CheckpointStore(
            checkpoint_dir(config.session.data_dir, config.session.asset), config.checkpoint.keep
        )
        return cls(store, checkpointer, session_id, package_version)

    def encode(self, due: CheckpointDue) -> tuple[bytes, int]:
        """The file's bytes for the bundle behind ``due`` (synchronous: read the bundle now)."""
        bundle = self.checkpointer.bundle
        if bundle is None:
            raise RuntimeError("CheckpointDue without a bundle")
        wall_ns = self.clock()
        meta = msgspec.structs.replace(
            bundle.meta, wall_ns=wall_ns, session_id=self.session_id, package_version=self.package_version
        )
        return encode_bundle(msgspec.structs.replace(bundle, meta=meta)), wall_ns

    def write(self, due: CheckpointDue, data: bytes, wall_ns: int) -> CheckpointSaved:
        """Write the files (blocking I/O: run it in a thread) and return the record to log."""
        saved = self.store.save(data, wall_ns)
        self.saved.append(saved)
        log.info("checkpoint_saved", path=str(saved.path), reason=due.reason, verdict=due.verdict,
                 learned_s=round(due.learned_s, 1))  # fmt: skip
        return CheckpointSaved(ts=due.ts, path=str(saved.path), digest=saved.digest)

    def save(self, due: CheckpointDue) -> CheckpointSaved:
        """``encode`` then ``write``."""
        data, wall_ns = self.encode(due)
        return self.write(due, data, wall_ns)


# -- reading ------------------------------------------------------------------------------


class _Head(msgspec.Struct):
    kind: str = ""
    schema_version: int = -1


class _Header(msgspec.Struct):
    meta: _Head = msgspec.field(default_factory=_Head)


@attrs.frozen
class LoadedPrior:
    """A bundle read from disk, with its path and file digest."""

    path: Path
    bundle: CheckpointBundle
    digest: str


def load_bundle(path: str | Path) -> LoadedPrior:
    """Read and check one checkpoint file; PriorError says what is wrong with it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PriorError(f"{path}: no such prior") from None
    except OSError as exc:
        raise PriorError(f"{path}: unreadable: {exc.strerror or exc}") from None
    if not data.strip():
        raise PriorError(f"{path}: empty file (truncated?)")
    try:
        header = msgspec.json.decode(data, type=_Header)
    except msgspec.ValidationError:
        raise PriorError(f"{path}: not a papermm checkpoint (a JSON value of the wrong type)") from None
    except msgspec.DecodeError as exc:
        raise PriorError(f"{path}: not valid JSON, truncated or corrupted ({exc})") from None
    if header.meta.kind != BUNDLE_KIND:
        raise PriorError(f"{path}: not a papermm checkpoint (meta.kind is {header.meta.kind or 'missing'!r})")
    if header.meta.schema_version != BUNDLE_SCHEMA_VERSION:
        raise PriorError(
            f"{path}: checkpoint schema version {header.meta.schema_version}, this papermm reads "
            f"version {BUNDLE_SCHEMA_VERSION}"
        )
    try:
        bundle = msgspec.json.decode(data, type=CheckpointBundle)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise PriorError(f"{path}: invalid checkpoint content: {exc}") from None
    return LoadedPrior(path=path, bundle=bundle, digest=file_digest(data))


def age_s(bundle: CheckpointBundle, now_wall_ns: int) -> float:
    """Wall-clock seconds since the bundle was written."""
    return (now_wall_ns - bundle.meta.wall_ns) / 1e9


def describe_age(seconds: float) -> str:
    if seconds < 0:
        return "from the future (clock skew?)"
    if seconds < 120:
        return f"{seconds:.0f} s old"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min old"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h old"
    return f"{seconds / 86400:.1f} days old"


def previous_backup(root: Path, refused: LoadedPrior | Path | None) -> LoadedPrior | None:
    """The newest readable timestamped checkpoint in ``root`` other than the refused one
    (a different file with different content)."""
    if isinstance(refused, LoadedPrior):
        refused_path, refused_digest = refused.path.resolve(), refused.digest
    else:
        refused_path = refused.resolve() if refused is not None else None
        refused_digest = ""
    for path in reversed(CheckpointStore(root).backups()):
        if path.resolve() == refused_path:
            continue
        try:
            loaded = load_bundle(path)
        except PriorError:
            continue
        if loaded.digest != refused_digest:
            return loaded
    return None


def _offer(root: Path, refused: LoadedPrior | Path | None, now_wall_ns: int) -> tuple[str, Path | None]:
    backup = previous_backup(root, refused)
    if backup is None:
        return " No earlier checkpoint to fall back on.", None
    meta = backup.bundle.meta
    return (
        f" The previous backup is {backup.path} ({backup.bundle.readiness.verdict}, {meta.asset}, "
        f"{describe_age(age_s(backup.bundle, now_wall_ns))}): pass --prior {backup.path} to use it.",
        backup.path,
    )


def validate_prior(
    path: str | Path,
    *,
    asset: str,
    now_wall_ns: int,
    stale_after_s: float,
    allow_asset_mismatch: bool = False,
    allow_stale: bool = False,
    backups_root: Path | None = None,
) -> LoadedPrior:
    """Load a prior for a warm start of ``asset``; refuse it (PriorError) when it is
    unreadable, for another asset or older than ``stale_after_s``, offering the previous
    backup from ``backups_root`` (default: the prior's own directory)."""
    path = Path(path)
    root = backups_root if backups_root is not None else path.parent
    try:
        loaded = load_bundle(path)
    except PriorError as exc:
        offer, backup = _offer(root, path, now_wall_ns)
        raise PriorError(f"refusing the prior: {exc}.{offer}", backup=backup) from None
    meta = loaded.bundle.meta
    if meta.asset != asset and not allow_asset_mismatch:
        offer, backup = _offer(root, loaded, now_wall_ns)
        raise PriorError(
            f"refusing the prior {path}: it was learned on {meta.asset}, this session quotes {asset} "
            f"(--allow-asset-mismatch to use it anyway).{offer}",
            backup=backup,
        )
    age = age_s(loaded.bundle, now_wall_ns)
    if age > stale_after_s and not allow_stale:
        offer, backup = _offer(root, loaded, now_wall_ns)
        raise PriorError(
            f"refusing the prior {path}: it is stale, saved {describe_age(age)} "
            f"(checkpoint.stale_after_s is {stale_after_s:.0f} s; --allow-stale to use it anyway).{offer}",
            backup=backup,
        )
    return loaded
