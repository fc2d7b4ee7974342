"""kill -9 during saves never leaves a torn prior.json."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from actors.checkpoint.store import CheckpointStore, load_bundle
from tests.actors.checkpoint.test_store import NOW, taken
from tests.conftest import ROOT

#: Saves two bundles of different sizes in turn, as fast as it can, forever.
SAVER = """
import sys
from pathlib import Path
from actors.checkpoint.store import CheckpointStore
root = Path(sys.argv[1])
blobs = [Path(sys.argv[2]).read_bytes(), Path(sys.argv[3]).read_bytes()]
store = CheckpointStore(root, keep=4)
i = 0
while True:
    store.save(blobs[i % 2], 1_800_000_000_000_000_000 + i * 1000)
    i += 1
    if i == 3:
        print("saving", flush=True)
"""


def test_kill_9_during_saves_never_tears_prior_json(tmp_path: Path) -> None:
    checkpointer, due = taken()
    from actors.checkpoint.store import CheckpointWriter

    small = CheckpointWriter(
        CheckpointStore(tmp_path / "a"), checkpointer, "s", "0", clock=lambda: NOW
    ).encode(due)[0]
    # A much larger file: a rename race or a partial write would show as a torn tail.
    big = small.replace(b'"session_id": "s"', b'"session_id": "' + b"x" * 200_000 + b'"')
    blobs = [tmp_path / "small.json", tmp_path / "big.json"]
    blobs[0].write_bytes(small)
    blobs[1].write_bytes(big)
    root = tmp_path / "checkpoints" / "BTC"
    rng = np.random.default_rng(6)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    kills = 0
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(root), str(blobs[0]), str(blobs[1])],
                                stdout=subprocess.PIPE, env=env)  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"saving\n"
        time.sleep(float(rng.uniform(0.0, 0.25)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        kills += 1
        prior = root / "prior.json"
        assert prior.read_bytes() in (small, big)
        load_bundle(prior)  # parses and validates
        for backup in CheckpointStore(root).backups():
            assert backup.read_bytes() in (small, big)
    assert kills == 8
