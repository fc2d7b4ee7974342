"""Checkpoints: what a session learned, saved as a prior with a readiness verdict.

``checkpointer`` (the pure actor that decides when and takes the bundle), ``bundle``
(the versioned structs and digests), ``readiness`` (the verdict), ``injection`` (warm
start through the log) and ``store`` (atomic files, backups, loading with validation,
and the runtime's checkpoint edge). docs/checkpoints.md is the user's guide.
"""

from actors.checkpoint.bundle import (
    BUNDLE_SCHEMA_VERSION,
    CheckpointBundle,
    CheckpointMeta,
    content_digest,
    encode_bundle,
    file_digest,
    learned_estimators,
)
from actors.checkpoint.checkpointer import Checkpointer, estimator_counts
from actors.checkpoint.injection import PriorInjector, prior_injected, seedable_components
from actors.checkpoint.readiness import INSUFFICIENT, MARGINAL, READY, PriorReadiness, assess
from actors.checkpoint.store import (
    CheckpointStore,
    CheckpointWriter,
    LoadedPrior,
    PriorError,
    checkpoint_dir,
    load_bundle,
    validate_prior,
)

__all__ = [
    "BUNDLE_SCHEMA_VERSION",
    "INSUFFICIENT",
    "MARGINAL",
    "READY",
    "CheckpointBundle",
    "CheckpointMeta",
    "CheckpointStore",
    "CheckpointWriter",
    "Checkpointer",
    "LoadedPrior",
    "PriorError",
    "PriorInjector",
    "PriorReadiness",
    "assess",
    "checkpoint_dir",
    "content_digest",
    "encode_bundle",
    "estimator_counts",
    "file_digest",
    "learned_estimators",
    "load_bundle",
    "prior_injected",
    "seedable_components",
    "validate_prior",
]
