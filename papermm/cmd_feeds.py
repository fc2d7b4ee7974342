"""Commands for market data: ``papermm record`` and ``papermm convert``."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any

import trio

from actors.settings import load_config
from papermm.errors import UserError


def register(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the record and convert subcommands."""
    record = sub.add_parser("record", help="record raw Hyperliquid frames to a file")
    add_common(record)
    record.add_argument("--asset", help="coin to record (default BTC)")
    record.add_argument("--dex", help="HIP-3 builder dex")
    record.add_argument("--duration", type=float, required=True, help="wall seconds; 0 = until Ctrl-C")
    record.add_argument("--out", required=True, help="output file (.jsonl, or .jsonl.zst to compress)")
    record.add_argument("--network", choices=["mainnet", "testnet"])
    record.add_argument("--ws-url", help="websocket endpoint (overrides --network)")
    record.add_argument("--overwrite", action="store_true", help="replace an existing file")
    record.set_defaults(handler=cmd_record)

    convert = sub.add_parser("convert", help="turn any supported recording into the recorder format")
    add_common(convert)
    convert.add_argument("source", help="recording: recorder file, S3 archive, CSV directory, node fills")
    convert.add_argument("--asset", default="BTC", help="coin to extract (default BTC)")
    convert.add_argument("--out", required=True, help="output file (.jsonl or .jsonl.zst)")
    convert.add_argument("--overwrite", action="store_true", help="replace an existing file")
    convert.set_defaults(handler=cmd_convert)


def live_overrides(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """Config overrides from the live-feed flags shared by paper and record."""
    pairs: list[tuple[str, Any]] = []
    for flag, key in (("dex", "session.dex"), ("network", "live.network"), ("ws_url", "live.ws_url")):
        value = getattr(args, flag, None)
        if value is not None:
            pairs.append((key, value))
    return pairs


def cmd_record(args: argparse.Namespace) -> int:
    from actors.feeds.recorder import record
    from actors.feeds.recorder_file import RecordingError

    overrides: list[tuple[str, Any]] = live_overrides(args)
    if args.asset:
        overrides.append(("session.asset", args.asset))
    config = load_config(args.config, overrides)
    try:
        summary = trio.run(
            functools.partial(record, config, args.out, args.duration, overwrite=args.overwrite)
        )
    except RecordingError as exc:
        raise UserError(str(exc)) from None
    sys.stdout.write(f"recorded {summary.frames:,} frames to {summary.path}\n")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from actors.feeds.recordings import RecordingError, convert_recording

    try:
        frames = convert_recording(args.source, args.asset, args.out, overwrite=args.overwrite)
    except RecordingError as exc:
        raise UserError(str(exc)) from None
    sys.stdout.write(f"wrote {frames:,} frames to {args.out}\n")
    return 0
