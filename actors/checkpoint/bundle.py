"""The checkpoint bundle: versioned msgspec structs, their JSON file form and digests.

A bundle is what one session learned, as a file a later session (or a live system) can
start from: metadata, every estimator's snapshot, the quote-outcome bins, the kill
switch's figures (recorded for the operator, never restored), the session's figures and
the readiness verdict. Its JSON form is the file; ``BUNDLE_SCHEMA_VERSION`` is bumped
whenever a field changes incompatibly, and a file of another version is refused.

**Two digests.** ``content_digest`` hashes the bundle with its three wall-clock or
install-dependent fields blanked (``meta.wall_ns``, ``meta.session_id``,
``meta.package_version``): the checkpointer computes it inside the graph, where none
of them is known, and logs it in ``CheckpointDue``, so replay reproduces it. The file
digest (``file_digest``, logged in ``CheckpointSaved``) hashes the file's bytes.

**What a prior is not.** The estimators' references to the session's clock (the last
mid of the volatility estimators' return chain, the warmup's clock) are cleared by
``learned_estimators``: a new session's first mid is not a return from the old
session's last one (a synthetic or recorded market even starts earlier in event time).
Pending markouts and live quote levels are not in the snapshot: they belong to the
session that saw the fills.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import msgspec

from actors.checkpoint.readiness import PriorReadiness
from actors.estimators import EstimatorsSnapshot

#: Bumped whenever the bundle's structure changes incompatibly.
BUNDLE_SCHEMA_VERSION: Final = 1
#: ``meta.kind`` of every bundle: tells a checkpoint from any other JSON object.
BUNDLE_KIND: Final = "papermm.checkpoint"

_json_encoder = msgspec.json.Encoder(order="deterministic")


class BundleStruct(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of the bundle's structs: strict, so a file that does not match is refused."""


class CheckpointMeta(BundleStruct, frozen=True, kw_only=True):
    """Where and when a bundle was taken. ``ts`` and ``start_ts`` are event time (ns)."""

    kind: str = BUNDLE_KIND
    schema_version: int = BUNDLE_SCHEMA_VERSION
    package_version: str = ""
    #: Wall clock of the write (ns); 0 inside the graph.
    wall_ns: int = 0
    ts: int
    start_ts: int
    asset: str
    dex: str
    session_id: str = ""
    #: ``interval`` or ``final``.
    reason: str
    #: Market time of this session, and of all the learning behind the bundle (this
    #: session plus the chain of priors it was warm-started from), seconds.
    session_s: float
    learned_s: float
    sessions: int
    #: File digest of the prior this session was warm-started from; "" for a cold start.
    prior_digest: str = ""


class QuoteOutcomeBin(BundleStruct, frozen=True, kw_only=True):
    """Quote levels by depth from mid: how many there were, how many filled, and the sum of
    their predicted fill probabilities (so ``predicted / levels`` vs ``fills / levels``
    is the fill model's calibration at that depth)."""

    depth_bps: float
    levels: int
    fills: int
    predicted: float


class KillSwitchFigures(BundleStruct, frozen=True, kw_only=True):
    """The kill switch's figures when the bundle was taken: recorded, never restored."""

    peak_pnl: float
    pnl: float
    drawdown: float
    daily_loss: float
    day_start_ts: int
    tripped: bool
    trip_reason: str


class SessionFigures(BundleStruct, frozen=True, kw_only=True):
    """The session's own results (not learned state): for ``papermm status``."""

    fills: int
    buys: int
    sells: int
    volume_usd: float
    pnl_total: float
    spread_capture: float
    adverse_selection: float
    inventory: float
    fees: float
    position: float


class LearnedState(BundleStruct, frozen=True, kw_only=True):
    """What a warm start can inject."""

    estimators: EstimatorsSnapshot
    quote_outcomes: tuple[QuoteOutcomeBin, ...]


class CheckpointBundle(BundleStruct, frozen=True, kw_only=True):
    """One checkpoint: ``checkpoint.json`` and, for the latest, ``prior.json``."""

    meta: CheckpointMeta
    learned: LearnedState
    kill_switch: KillSwitchFigures
    session: SessionFigures
    readiness: PriorReadiness


def learned_estimators(snapshot: EstimatorsSnapshot) -> EstimatorsSnapshot:
    """The snapshot without the session's clock: the volatility estimators' return chain and
    the warmup's clock restart in the next session (idempotent)."""
    replace = msgspec.structs.replace

    def chainless(vol: Any) -> Any:
        return replace(vol, has_ref=False, ref_ts=0, ref_price=0.0, has_prev_return=False, prev_abs_rate=0.0)

    return replace(
        snapshot,
        volatility=chainless(snapshot.volatility),
        fast_volatility=chainless(snapshot.fast_volatility),
        warmup=replace(snapshot.warmup, started=False, last_ts=0),
    )


def content_digest(bundle: CheckpointBundle) -> str:
    """SHA-256 of the bundle's deterministic content (wall clock, session id and package
    version blanked): the same inputs give the same digest, in a session and in its replay."""
    meta = msgspec.structs.replace(bundle.meta, wall_ns=0, session_id="", package_version="")
    body = msgspec.structs.replace(bundle, meta=meta)
    return hashlib.sha256(_json_encoder.encode(body)).hexdigest()


def encode_bundle(bundle: CheckpointBundle) -> bytes:
    """The file form: indented JSON (for humans), keys in declaration order, newline-terminated."""
    return msgspec.json.format(_json_encoder.encode(bundle), indent=1) + b"\n"


def file_digest(data: bytes) -> str:
    """SHA-256 of a checkpoint file's bytes (what CheckpointSaved and PriorInjected record)."""
    return hashlib.sha256(data).hexdigest()
