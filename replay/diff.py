"""Differences between two sessions of the same inputs: fills added, removed, changed; PnL.

Fills are matched by **what triggered them and which rung they were on**, not by order
id: two runs with other settings number their orders differently from the first
differing quote on, but the market's trades are the same. The key of a fill is

    (ts, tid, trade side, trade px)  of the triggering trade, and
    (side, level)                    of our order, plus
    occurrence                       0, 1, ... among fills with the same key so far

(the occurrence separates two of our orders on the same rung filled by one trade, e.g.
an order with a cancel in flight and its replacement). A fill whose key is only in A is
*removed*, only in B *added*; a fill in both is *changed* when any of its other fields
differ (price, size, remaining, mid, a factor, the probability or the draw; the order id
is bookkeeping and ignored).

PnL comes from the last PnL record of each session: total and its four parts (spread
capture, adverse selection, inventory, fees). The diff also says whether both logs hold
the same external inputs (a digest of every input's bytes) and which settings differ.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import msgspec

from events import EXTERNAL_TYPES, Fill, PnL
from events.codec import encode
from replay.session import RecordedSession, open_session
from replay.time_specs import format_offset

PNL_PARTS: tuple[str, ...] = ("total", "spread_capture", "adverse_selection", "inventory", "fees")
_KEY_FIELDS = ("ts", "tid", "trade_side", "trade_px", "side", "level")
#: Fill fields compared for "changed": all but the key and the order id.
COMPARED_FIELDS: tuple[str, ...] = tuple(f for f in Fill.__struct_fields__ if f not in (*_KEY_FIELDS, "oid"))

FillKey = tuple[int, int, str, float, str, int, int]


@attrs.frozen
class FillChange:
    key: FillKey
    a_seq: int
    a: Fill
    b_seq: int
    b: Fill
    fields: tuple[str, ...]


@attrs.frozen
class PnlDelta:
    part: str
    a: float
    b: float

    @property
    def delta(self) -> float:
        return self.b - self.a


@attrs.frozen
class SessionDiff:
    a_dir: Path
    b_dir: Path
    a_id: str
    b_id: str
    start_ns: int
    #: (key path, value in A, value in B) for every setting that differs.
    config_changes: tuple[tuple[str, Any, Any], ...]
    same_inputs: bool
    inputs_a: int
    inputs_b: int
    fills_a: int
    fills_b: int
    removed: tuple[tuple[int, Fill], ...]
    added: tuple[tuple[int, Fill], ...]
    changed: tuple[FillChange, ...]
    unchanged: int
    pnl: tuple[PnlDelta, ...]

    @property
    def empty(self) -> bool:
        """No fill added, removed or changed, and no PnL figure moved."""
        return not (self.removed or self.added or self.changed) and all(
            d.a == d.b or (math.isnan(d.a) and math.isnan(d.b)) for d in self.pnl
        )


@attrs.define
class _Side:
    fills: dict[FillKey, tuple[int, Fill]] = attrs.Factory(dict)
    inputs: int = 0
    digest: Any = attrs.Factory(hashlib.sha256)
    pnl: PnL | None = None


def _read(session: RecordedSession) -> _Side:
    side = _Side()
    seen: Counter[tuple[Any, ...]] = Counter()
    for seq, event in session.records():
        kind = type(event)
        if kind in EXTERNAL_TYPES:
            side.inputs += 1
            side.digest.update(encode(event))
        elif kind is Fill:
            base = tuple(getattr(event, f) for f in _KEY_FIELDS)
            key: FillKey = (*base, seen[base])  # type: ignore[assignment]
            seen[base] += 1
            side.fills[key] = (seq, event)  # type: ignore[assignment]
        elif kind is PnL:
            side.pnl = event  # type: ignore[assignment]
    return side


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: data}


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return bool(x == y)


def diff_sessions(a: RecordedSession | str | Path, b: RecordedSession | str | Path) -> SessionDiff:
    """Compare session ``b`` with session ``a`` (what changed going from A to B)."""
    sa = a if isinstance(a, RecordedSession) else open_session(a)
    sb = b if isinstance(b, RecordedSession) else open_session(b)
    ra, rb = _read(sa), _read(sb)
    removed, added, changed = [], [], []
    unchanged = 0
    for key, (seq, fill) in ra.fills.items():
        other = rb.fills.get(key)
        if other is None:
            removed.append((seq, fill))
            continue
        fields = tuple(f for f in COMPARED_FIELDS if not _same(getattr(fill, f), getattr(other[1], f)))
        if fields:
            changed.append(FillChange(key, seq, fill, other[0], other[1], fields))
        else:
            unchanged += 1
    added = [item for key, item in rb.fills.items() if key not in ra.fills]
    ca, cb = _flatten(sa.started.config), _flatten(sb.started.config)
    config_changes = tuple(
        (k, ca.get(k), cb.get(k)) for k in sorted(set(ca) | set(cb)) if not _same(ca.get(k), cb.get(k))
    )
    pnl = tuple(
        PnlDelta(
            part,
            float(getattr(ra.pnl, part)) if ra.pnl else 0.0,
            float(getattr(rb.pnl, part)) if rb.pnl else 0.0,
        )
        for part in PNL_PARTS
    )
    return SessionDiff(
        a_dir=sa.session_dir,
        b_dir=sb.session_dir,
        a_id=sa.started.session_id,
        b_id=sb.started.session_id,
        start_ns=sa.started.ts,
        config_changes=config_changes,
        same_inputs=ra.inputs == rb.inputs and ra.digest.digest() == rb.digest.digest(),
        inputs_a=ra.inputs,
        inputs_b=rb.inputs,
        fills_a=len(ra.fills),
        fills_b=len(rb.fills),
        removed=tuple(removed),
        added=tuple(added),
        changed=tuple(changed),
        unchanged=unchanged,
        pnl=pnl,
    )


def _fill_line(seq: int, f: Fill, t0: int) -> str:
    return (
        f"  seq {seq:<8d} {format_offset(f.ts, t0)}  {f.side:<4} L{f.level}  {f.sz:g} @ {f.px:g}  "
        f"p {f.probability:.4f} draw {f.draw:.4f}  trade {f.trade_side} {f.trade_sz:g}@{f.trade_px:g} "
        f"tid {f.tid}"
    )


def render(d: SessionDiff, limit: int = 20) -> str:
    """The diff as text; at most ``limit`` fills per list (0 = all)."""
    lines = [f"A  {d.a_dir}", f"B  {d.b_dir}"]
    if d.config_changes:
        lines.append(
            "config   " + "\n         ".join(f"{k}: {va!r} -> {vb!r}" for k, va, vb in d.config_changes)
        )
    else:
        lines.append("config   identical")
    lines.append(
        f"inputs   identical ({d.inputs_a} external inputs)"
        if d.same_inputs
        else f"inputs   DIFFER (A {d.inputs_a}, B {d.inputs_b} external inputs): the fills are not comparable"
    )
    lines.append(
        f"fills    A {d.fills_a}, B {d.fills_b}: {d.unchanged} unchanged, {len(d.changed)} changed, "
        f"{len(d.removed)} removed, {len(d.added)} added"
    )

    def cut(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return items if limit <= 0 else items[:limit]

    def more(items: tuple[Any, ...]) -> None:
        if 0 < limit < len(items):
            lines.append(f"  ... and {len(items) - limit} more")

    for title, items in (("removed (in A only)", d.removed), ("added (in B only)", d.added)):
        if items:
            lines += ["", f"{title}: {len(items)}"]
            lines += [_fill_line(seq, f, d.start_ns) for seq, f in cut(items)]
            more(items)
    if d.changed:
        lines += ["", f"changed: {len(d.changed)}"]
        for c in cut(d.changed):
            lines.append(_fill_line(c.a_seq, c.a, d.start_ns))
            lines.append(
                "      "
                + ", ".join(f"{f} {getattr(c.a, f)!r} -> {getattr(c.b, f)!r}" for f in c.fields)
                + f"  (B seq {c.b_seq})"
            )
        more(d.changed)
    lines += ["", f"pnl (last PnL record)  {'A':>12} {'B':>14} {'B - A':>14}"]
    for p in d.pnl:
        lines.append(f"  {p.part:<18} {p.a:14.6f} {p.b:14.6f} {p.delta:+14.6f}")
    lines += ["", "no difference" if d.empty else "sessions differ"]
    return "\n".join(lines)


def to_builtins(d: SessionDiff) -> dict[str, Any]:
    """Plain data of a diff (for --json)."""

    def fill(seq: int, f: Fill) -> dict[str, Any]:
        return {"seq": seq, **{k: getattr(f, k) for k in f.__struct_fields__}}

    return {
        "a": str(d.a_dir),
        "b": str(d.b_dir),
        "config_changes": [{"key": k, "a": va, "b": vb} for k, va, vb in d.config_changes],
        "same_inputs": d.same_inputs,
        "inputs": {"a": d.inputs_a, "b": d.inputs_b},
        "fills": {"a": d.fills_a, "b": d.fills_b, "unchanged": d.unchanged},
        "removed": [fill(s, f) for s, f in d.removed],
        "added": [fill(s, f) for s, f in d.added],
        "changed": [
            {"a": fill(c.a_seq, c.a), "b": fill(c.b_seq, c.b), "fields": list(c.fields)} for c in d.changed
        ],
        "pnl": {p.part: {"a": p.a, "b": p.b, "delta": p.delta} for p in d.pnl},
        "empty": d.empty,
    }


def to_json(d: SessionDiff) -> bytes:
    return msgspec.json.encode(to_builtins(d))
