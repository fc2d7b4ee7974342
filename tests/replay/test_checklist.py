"""The validation checklist: `papermm check` on a session, and each item's verdict."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import msgspec
import pytest

from events import CheckpointSaved
from papermm.cli import main
from replay.checklist import run_checklist
from replay.session_data import SessionData, collect
from tests.conftest import SEC
from tests.e2e.helpers import run_synthetic


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_synthetic(tmp_path_factory.mktemp("check"), 900, seed=7).session_dir


def items(data: SessionData) -> dict[str, tuple[str, str]]:
    return {i.name: (i.status, i.figure) for i in run_checklist(data).items}


def test_check_passes_on_a_synthetic_session(session: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(session), "--log-level", "error"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("checklist passed")
    for name in ("fills on both sides", "kappa confidence increased", "calibration progress > 0",
                 "PnL tracked", "adverse-selection outcomes recorded", "regime detection not stuck",
                 "checkpoints saved on schedule"):  # fmt: skip
        assert name in out
    assert "FAIL " not in out
    assert main(["check", str(session), "--json", "--log-level", "error"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    assert as_json["passed"] and len(as_json["items"]) == 7
    # Every item that applies passed, with its figure.
    assert all(i["status"] in ("pass", "not applicable") and i["figure"] for i in as_json["items"])


def test_each_failing_item_fails_the_checklist(session: Path) -> None:
    data = collect(session)
    assert run_checklist(data).passed
    one_sided = attrs.evolve(data, fills=[f for f in data.fills if f.side == "buy"])
    assert items(one_sided)["fills on both sides"][0] == "fail"
    assert not run_checklist(one_sided).passed
    blind = attrs.evolve(data, estimates=[])
    verdicts = items(blind)
    for name in ("kappa confidence increased", "calibration progress > 0", "regime detection not stuck"):
        assert verdicts[name] == ("fail", "no Estimates in the log")
    stuck = attrs.evolve(data, estimates=[msgspec.structs.replace(e, regime="quiet") for e in data.estimates])
    assert items(stuck)["regime detection not stuck"][0] == "fail"
    unmarked = attrs.evolve(data, markouts=[], records=[])
    assert items(unmarked)["adverse-selection outcomes recorded"][0] == "fail"
    flat = attrs.evolve(data, pnl=[])
    assert items(flat)["PnL tracked (realized and unrealized nonzero)"] == ("fail", "no PnL records")


def test_checkpoints_item(session: Path) -> None:
    data = collect(session)
    interval = data.config.checkpoint.interval_s
    none = attrs.evolve(data, checkpoints=[], counts=data.counts.copy())
    none.counts.pop("CheckpointDue", None)
    assert items(none)["checkpoints saved on schedule"] == (
        "not applicable", "not applicable (no checkpointer in this session)"
    )  # fmt: skip
    assert run_checklist(none).passed  # not applicable is not a failure
    start = data.start_ns
    on_time = [CheckpointSaved(ts=start + round(k * interval * SEC), path="p", digest="d") for k in (1, 2, 3)]
    assert items(attrs.evolve(data, checkpoints=on_time))["checkpoints saved on schedule"][0] == "pass"
    late = [on_time[0], CheckpointSaved(ts=start + round(3 * interval * SEC), path="p", digest="d")]
    assert items(attrs.evolve(data, checkpoints=late))["checkpoints saved on schedule"][0] == "fail"


def test_check_exits_1_when_an_item_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = run_synthetic(tmp_path, 3, seed=1).session_dir  # far too short to learn anything
    assert main(["check", str(short), "--log-level", "error"]) == 1
    assert "checklist FAILED" in capsys.readouterr().out
