"""diff: fills matched by their trigger and rung; added, removed, changed; the PnL change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from actors.config import Config
from actors.settings import config_to_dict
from events import SCHEMA_VERSION, Event, Fill, PnL, SessionEnded, SessionStarted
from events.log import EventLogWriter
from replay.diff import diff_sessions, render, to_json
from tests.conftest import MS, T0, make_book, make_trade


def _fill(
    ts: int, tid: int, oid: int, side: str = "buy", level: int = 0, px: float = 99.0, **kw: Any
) -> Fill:
    fields: dict[str, Any] = dict(
        ts=ts,
        oid=oid,
        side=side,
        px=px,
        sz=0.1,
        remaining=0.0,
        level=level,
        mid=100.0,
        tid=tid,
        trade_px=98.0,
        trade_sz=1.0,
        trade_side="A",
        touch_probability=0.3,
        price_factor=1.5,
        size_factor=2.0,
        queue_factor=0.4,
        age_factor=1.0,
        aggressor_factor=1.0,
        queue_ahead=0.0,
        probability=0.36,
        draw=0.1,
    )
    fields.update(kw)
    return Fill(**fields)


def _pnl(ts: int, total: float, parts: tuple[float, float, float, float]) -> PnL:
    return PnL(
        ts=ts,
        mid=100.0,
        position=0.0,
        cash=0.0,
        realized=0.0,
        unrealized=0.0,
        total=total,
        spread_capture=parts[0],
        adverse_selection=parts[1],
        inventory=parts[2],
        fees=parts[3],
        volume=0.0,
        fills=0,
    )


def _write(path: Path, events: list[Event], **config: Any) -> Path:
    cfg = config_to_dict(Config())
    for key, value in config.items():
        section, name = key.split("__")
        cfg[section][name] = value
    started = SessionStarted(
        ts=T0,
        session_id=path.name,
        asset="BTC",
        feed="test",
        seed=7,
        config=cfg,
        package_version="0",
        schema_version=SCHEMA_VERSION,
        wall_ns=0,
    )
    with EventLogWriter(path / "events.log") as writer:
        for event in [started, *events, SessionEnded(ts=events[-1].ts, reason="t", records=len(events) + 2)]:
            writer.append(event)
    return path


def _inputs() -> list[Event]:
    return [make_book(ts=T0), *(make_trade(ts=T0 + i * 100 * MS, px=98.0, tid=i) for i in range(1, 6))]


def test_fills_are_matched_by_trigger_and_rung(tmp_path: Path) -> None:
    t = [T0 + i * 100 * MS for i in range(6)]
    a = _inputs() + [
        _fill(t[1], 1, oid=1),  # unchanged (B renumbers the order: ignored)
        _fill(t[2], 2, oid=2),  # removed in B
        _fill(t[3], 3, oid=3, level=1, px=98.5),  # changed in B: price and probability
        _fill(t[4], 4, oid=4),
        _fill(t[4], 4, oid=5),  # two orders on one rung, one trade
        _pnl(t[5], 1.0, (2.0, -0.5, 0.0, -0.5)),
    ]
    b = _inputs() + [
        _fill(t[1], 1, oid=10),
        _fill(t[3], 3, oid=12, level=1, px=98.6, probability=0.5),
        _fill(t[4], 4, oid=13),
        _fill(t[5], 5, oid=14, side="sell", px=101.0, trade_side="B"),  # added
        _pnl(t[5], 0.25, (1.0, -0.25, 0.0, -0.5)),
    ]
    d = diff_sessions(_write(tmp_path / "a", a), _write(tmp_path / "b", b, quote__gamma=0.6))
    assert d.same_inputs and d.inputs_a == 6
    assert (d.fills_a, d.fills_b, d.unchanged) == (5, 4, 2)
    assert [f.oid for _, f in d.removed] == [2, 5]  # the second fill of the shared rung went too
    assert [f.oid for _, f in d.added] == [14]
    assert [(c.a.oid, c.b.oid, c.fields) for c in d.changed] == [(3, 12, ("px", "probability"))]
    assert d.config_changes == (("quote.gamma", 0.3, 0.6),)
    pnl = {p.part: p.delta for p in d.pnl}
    assert pnl == {
        "total": -0.75,
        "spread_capture": -1.0,
        "adverse_selection": 0.25,
        "inventory": 0.0,
        "fees": 0.0,
    }
    assert not d.empty
    text = render(d)
    assert "removed (in A only): 2" in text and "added (in B only): 1" in text and "changed: 1" in text
    assert "px 98.5 -> 98.6" in text and "quote.gamma: 0.3 -> 0.6" in text and "sessions differ" in text
    body = json.loads(to_json(d))
    assert body["pnl"]["total"]["delta"] == -0.75 and len(body["removed"]) == 2 and body["empty"] is False


def test_a_session_against_itself_is_empty(tmp_path: Path) -> None:
    events = _inputs() + [_fill(T0 + 100 * MS, 1, oid=1), _pnl(T0 + 100 * MS, 0.5, (1.0, 0.0, 0.0, -0.5))]
    path = _write(tmp_path / "a", events)
    d = diff_sessions(path, path)
    assert d.empty and d.unchanged == 1
    assert render(d).endswith("no difference")
    assert msgspec.json.decode(to_json(d))["empty"] is True


def test_limit_and_different_inputs(tmp_path: Path) -> None:
    fills = [_fill(T0 + i * 100 * MS, i, oid=i) for i in range(1, 6)]
    a = _write(tmp_path / "a", _inputs() + fills)
    b = _write(tmp_path / "b", _inputs()[:-1])
    d = diff_sessions(a, b)
    assert not d.same_inputs and len(d.removed) == 5
    text = render(d, limit=2)
    assert "inputs   DIFFER" in text and "... and 3 more" in text
    assert "... and" not in render(d, limit=0)
    # No PnL record in either: the parts compare as zero.
    assert all(p.a == 0.0 and p.b == 0.0 for p in d.pnl)
