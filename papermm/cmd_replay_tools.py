"""Replay as a debugger on the command line: fills, explain, stepping, counterfactuals, diff, export.

``register`` adds ``fills``, ``explain``, ``diff`` and ``export``. ``papermm replay`` is the
lead's parser; its handler delegates here (``run_replay_tools``) when ``--until``,
``--set`` or ``--out`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import msgspec

from papermm.errors import UserError
from replay.state_text import render_state
from replay.stepping import open_replay
from replay.time_specs import format_ts, parse_time, parse_until

AddCommon = Callable[[argparse.ArgumentParser], None]


def register(subparsers: Any, add_common: AddCommon) -> None:
    """Add this module's subcommands."""
    fills = subparsers.add_parser("fills", help="table of a session's fills: depth, probability, markouts")
    add_common(fills)
    fills.add_argument("session", help="session directory or its events.log")
    fills.add_argument("--side", choices=["buy", "sell"], help="only this side")
    fills.add_argument(
        "--since", metavar="T", help="only fills at or after T (+SECONDS from the start, or ISO time)"
    )
    fills.add_argument("--json", action="store_true", help="one JSON object per fill")
    fills.set_defaults(handler=cmd_fills)

    explain = subparsers.add_parser("explain", help="the whole story of one order or fill")
    add_common(explain)
    explain.add_argument("session", help="session directory or its events.log")
    explain.add_argument(
        "ident",
        metavar="FILL_OR_ORDER_ID",
        help="an order id (42 or oid:42) or a fill's record number (seq:1234)",
    )
    explain.set_defaults(handler=cmd_explain)

    diff = subparsers.add_parser("diff", help="fills added, removed and changed from session A to B, and PnL")
    add_common(diff)
    diff.add_argument("a", metavar="SESSION_A")
    diff.add_argument("b", metavar="SESSION_B")
    diff.add_argument("--limit", type=int, default=20, help="fills shown per list (0 = all; default 20)")
    diff.add_argument("--json", action="store_true", help="the whole diff as one JSON object")
    diff.set_defaults(handler=cmd_diff)

    export = subparsers.add_parser("export", help="write a session as one Parquet file per event type")
    add_common(export)
    export.add_argument("session", help="session directory or its events.log")
    export.add_argument("--format", choices=["parquet"], default="parquet", help="output format (parquet)")
    export.add_argument("--out", required=True, metavar="DIR", help="directory to create (must be empty)")
    export.set_defaults(handler=cmd_export)


def run_replay_tools(args: argparse.Namespace) -> int:
    """``papermm replay SESSION --until ...`` or ``--set ... [--out DIR] [--verify]``."""
    if args.until is not None:
        if args.set or args.out is not None:
            raise UserError(
                "replay: --until steps a recorded session; run the counterfactual "
                "(--set/--out) first, then step the new session",
                2,
            )
        return _step(args)
    return _counterfactual(args)


def _step(args: argparse.Namespace) -> int:
    session = open_replay(args.session)
    try:
        seq, ts = parse_until(args.until, session.start_ns)
    except ValueError as exc:
        raise UserError(f"--until: {exc}", 2) from None
    state = session.state_at(seq) if seq is not None else session.state_at(ts=ts)
    sys.stdout.write(render_state(state) + "\n")
    return 0


def _counterfactual(args: argparse.Namespace) -> int:
    from replay.counterfactual import run_counterfactual
    from replay.verify import verify_session

    result = run_counterfactual(args.session, args.set, out=args.out, data_dir=args.data_dir)
    counts = result.counts
    s = result.pnl
    lines = [
        f"counterfactual  {result.session_id}",
        f"dir             {result.session_dir}",
        f"from            {result.source_id}: {result.external:,} recorded inputs re-admitted",
        "overrides       " + (", ".join(f"{k}={v!r}" for k, v in result.overrides) or "none"),
    ]
    if result.inert:
        lines.append(
            "note            "
            + ", ".join(result.inert)
            + ": shapes the inputs, which are the recorded ones; it changes nothing here"
        )
    lines.append(
        f"records         {result.records:,}: {counts.get('QuoteCycle', 0):,} quote cycles, "
        f"{counts.get('PlaceOrder', 0):,} orders, {counts.get('Fill', 0):,} fills"
    )
    if s:
        lines.append(
            f"pnl (last PnL)  total {s['total']:+.4f} = spread {s['spread_capture']:+.4f} + adverse "
            f"{s['adverse_selection']:+.4f} + inventory {s['inventory']:+.4f} + fees {s['fees']:+.4f}"
        )
    lines.append(f"next            papermm diff {args.session} {result.session_dir}")
    sys.stdout.write("\n".join(lines) + "\n")
    if args.verify:
        verdict = verify_session(result.session_dir)
        if not verdict.identical:
            d = verdict.divergence
            assert d is not None
            sys.stdout.write(f"verify          divergence at seq {d.seq}\n")
            return 1
        sys.stdout.write(f"verify          identical: {verdict.derived_checked:,} derived events checked\n")
    return 0


def cmd_fills(args: argparse.Namespace) -> int:
    from replay.fills import render_table, summary_line

    session = open_replay(args.session)
    since = None
    if args.since is not None:
        try:
            since = parse_time(args.since, session.start_ns)
        except ValueError as exc:
            raise UserError(f"--since: {exc}", 2) from None
    rows = session.fills(side=args.side, since=since)
    out = sys.stdout
    if args.json:
        enc = msgspec.json.Encoder()
        for r in rows:
            body = {
                "seq": r.seq,
                "ts": r.ts,
                "time": format_ts(r.ts),
                "oid": r.oid,
                "side": r.side,
                "level": r.level,
                "px": r.px,
                "sz": r.sz,
                "remaining": r.remaining,
                "mid": r.mid,
                "depth_bps": r.depth_bps,
                "tid": r.tid,
                "trade_px": r.trade_px,
                "trade_sz": r.trade_sz,
                "trade_side": r.trade_side,
                "probability": r.probability,
                "draw": r.draw,
                "trade_ts": r.trade_ts,  # non-zero for a held adverse fill: its markouts start there
                "markouts_bps": dict(zip((f"{h:g}s" for h in r.horizons_s), r.markouts_bps, strict=True)),
            }
            out.write(enc.encode(body).decode() + "\n")
        return 0
    out.write(render_table(rows, session.start_ns) + "\n")
    out.write(summary_line(rows) + "\n")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from replay.explain_text import render

    session = open_replay(args.session)
    explanation = session.explain(args.ident)
    sys.stdout.write(render(explanation) + "\n")
    return 0 if explanation.reproduced else 1


def cmd_diff(args: argparse.Namespace) -> int:
    from replay.diff import diff_sessions, render, to_json

    d = diff_sessions(args.a, args.b)
    if args.json:
        sys.stdout.write(to_json(d).decode() + "\n")
    else:
        sys.stdout.write(render(d, args.limit) + "\n")
    return 0 if d.empty else 1


def cmd_export(args: argparse.Namespace) -> int:
    from replay.export import export_parquet

    result = export_parquet(args.session, args.out)
    width = max((len(n) for n in result.rows), default=0)
    lines = [f"{result.total_rows:,} records -> {result.out_dir}"]
    lines += [f"  {name + '.parquet':<{width + 8}} {rows:>10,}" for name, rows in result.rows.items()]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
