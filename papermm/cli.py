"""The ``papermm`` command line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

import msgspec
import structlog
import trio

from actors.config import Config
from actors.feed_sources import FeedError, open_feed
from actors.runtime import run_session
from actors.settings import ConfigError, generate_config_toml, load_config, parse_override
from events.codec import to_json_line
from events.log import LogError
from papermm import __version__, kill_switch
from papermm.cmd_feeds import live_overrides
from papermm.errors import UserError
from papermm.logging_setup import configure_logging
from papermm.progress import market_time_progress
from papermm.summary import render_text, summarize
from replay.session import SessionError, open_session
from replay.verify import verify_session

log = structlog.get_logger("papermm.cli")


#: Modules that add subcommands: each has ``register(subparsers)`` that sets ``handler``.
COMMAND_MODULES: tuple[str, ...] = (
    "papermm.cmd_feeds",
    "papermm.cmd_replay_tools",
    "papermm.cmd_analysis",
    "papermm.cmd_checkpoint",
)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML configuration file")
    parser.add_argument("--data-dir", help="root of sessions and checkpoints (default ./data)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="papermm", description=__doc__)
    parser.add_argument("--version", action="version", version=f"papermm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    paper = sub.add_parser("paper", help="run a paper session and print its summary")
    _common(paper)
    paper.add_argument("--asset", help="coin to quote (default BTC)")
    paper.add_argument("--feed", help="synthetic | hyperliquid | recording:PATH")
    paper.add_argument("--duration", type=float, help="market seconds to run; 0 = until Ctrl-C / end of feed")
    paper.add_argument("--speed", help="1 | N | max")
    paper.add_argument("--seed", type=int, help="session seed")
    paper.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override any setting")
    paper.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    paper.add_argument("--report", action="store_true", help="write analytics/ and report.html at the end")
    paper.add_argument("--dex", help="HIP-3 builder dex (live feed)")
    paper.add_argument("--network", choices=["mainnet", "testnet"], help="live feed network")
    paper.add_argument("--ws-url", help="live feed websocket endpoint (overrides --network)")
    risk = paper.add_argument_group("quoting and risk (each also a config key; CLI > config > default)")
    risk.add_argument(
        "--spread-profile",
        choices=["default", "hip3", "aggressive", "glft"],
        help="quote.spread_profile: bounds of the total spread at the touch (default 40-50 bps)",
    )
    risk.add_argument("--risk-aversion", type=float, metavar="GAMMA", help="quote.gamma (default 0.3)")
    risk.add_argument(
        "--max-position", type=float, metavar="CONTRACTS", help="quote.max_position (default 1.0)"
    )
    risk.add_argument(
        "--max-position-usd", type=float, metavar="USD", help="quote.max_position_usd (0 = no cap)"
    )
    risk.add_argument("--leverage", type=float, help="quote.leverage, for the margin check (default 10)")
    risk.add_argument(
        "--max-drawdown",
        type=float,
        metavar="FRACTION",
        help="risk.max_drawdown, of the paper balance (default 0.05)",
    )
    risk.add_argument(
        "--max-daily-loss", type=float, metavar="USD", help="risk.max_daily_loss_usd (default 100)"
    )
    risk.add_argument(
        "--reset-kill-switch",
        action="store_true",
        help="clear a kill switch left tripped by an earlier session, and quote again",
    )
    paper.add_argument(
        "--prior", metavar="auto|PATH", help="warm-start from a prior (auto: the asset's prior.json)"
    )
    paper.add_argument(
        "--allow-asset-mismatch", action="store_true", help="accept a prior learned on another asset"
    )
    paper.add_argument(
        "--allow-stale", action="store_true", help="accept a prior older than checkpoint.stale_after_s"
    )

    replay = sub.add_parser("replay", help="re-run a recorded session")
    _common(replay)
    replay.add_argument("session", help="session directory or its events.log")
    replay.add_argument("--verify", action="store_true", help="check every derived event against the log")
    replay.add_argument(
        "--until",
        metavar="SEQ|TIME",
        help="print every actor's state at record SEQ or at TIME (+SECONDS or ISO)",
    )
    replay.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="counterfactual: re-run the recorded inputs with this setting (repeatable)",
    )
    replay.add_argument("--out", metavar="DIR", help="counterfactual: directory of the new session")

    logp = sub.add_parser("log", help="inspect an event log")
    _common(logp)
    logsub = logp.add_subparsers(dest="log_command", required=True, metavar="SUBCOMMAND")
    cat = logsub.add_parser("cat", help="print records as JSON lines")
    _common(cat)
    cat.add_argument("session", help="session directory or its events.log")
    cat.add_argument("--type", action="append", default=[], help="only records of this type (repeatable)")

    gen = sub.add_parser("generate-config", help="print a commented TOML with every setting")
    _common(gen)
    val = sub.add_parser("validate-config", help="list every error in a config file")
    _common(val)
    val.add_argument("file", help="TOML file to check")
    paper.set_defaults(handler=cmd_paper)
    replay.set_defaults(handler=cmd_replay)
    cat.set_defaults(handler=cmd_log_cat)
    gen.set_defaults(handler=cmd_generate_config)
    val.set_defaults(handler=cmd_validate_config)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub, _common)
    return parser


def _overrides(args: argparse.Namespace) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    if getattr(args, "data_dir", None):
        pairs.append(("session.data_dir", args.data_dir))
    for flag, key in (
        ("asset", "session.asset"),
        ("feed", "feed.kind"),
        ("duration", "session.duration_s"),
        ("speed", "session.speed"),
        ("seed", "session.seed"),
        ("spread_profile", "quote.spread_profile"),
        ("risk_aversion", "quote.gamma"),
        ("max_position", "quote.max_position"),
        ("max_position_usd", "quote.max_position_usd"),
        ("leverage", "quote.leverage"),
        ("max_drawdown", "risk.max_drawdown"),
        ("max_daily_loss", "risk.max_daily_loss_usd"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            pairs.append((key, value))
    pairs.extend(live_overrides(args))
    pairs.extend(parse_override(text) for text in getattr(args, "set", []))
    return pairs


def cmd_paper(args: argparse.Namespace) -> int:
    config = load_config(args.config, _overrides(args))
    config, latched = kill_switch.latch(config, args.reset_kill_switch)
    if latched is not None:
        sys.stderr.write(f"kill switch latched: {config.risk.kill_switch_latched}\n")
    from papermm.cmd_checkpoint import warm_start

    initial = warm_start(config, args)
    total_ns = int(config.session.duration_s * 1e9)
    with market_time_progress("paper", total_ns, config.session.speed != "1") as hook:
        result = trio.run(_run_paper, config, hook, initial)
    summary = summarize(result)
    if args.report:
        from replay.report import write_report

        write_report(result.session_dir)
    kill_switch.record(config, result.session_id, summary.kill_switch)
    if args.json:
        sys.stdout.write(msgspec.json.encode(summary).decode() + "\n")
    else:
        sys.stdout.write(render_text(summary) + "\n")
    return 0


async def _run_paper(config: Config, hook: Any, initial: Any = None) -> Any:
    return await run_session(
        config, lambda session_dir: open_feed(config, session_dir), progress=hook, initial_inputs=initial
    )


def cmd_replay(args: argparse.Namespace) -> int:
    if args.until is not None or args.set or args.out is not None:
        from papermm.cmd_replay_tools import run_replay_tools

        return run_replay_tools(args)
    if not args.verify:
        raise UserError("replay: nothing to do; pass --verify")
    result = verify_session(args.session)
    if result.identical:
        sys.stdout.write(
            f"identical: {result.derived_checked} derived events checked "
            f"over {result.external} external inputs\n"
        )
        return 0
    d = result.divergence
    assert d is not None
    sys.stdout.write(f"divergence at seq {d.seq}\n  expected {d.expected}\n  got      {d.got}\n")
    return 1


def cmd_log_cat(args: argparse.Namespace) -> int:
    session = open_session(args.session)
    wanted = set(args.type)
    out = sys.stdout.buffer
    for seq, event in session.records():
        if wanted and type(event).__name__ not in wanted:
            continue
        out.write(to_json_line(seq, event) + b"\n")
    out.flush()
    return 0


def cmd_generate_config(args: argparse.Namespace) -> int:
    sys.stdout.write(generate_config_toml())
    return 0


def cmd_validate_config(args: argparse.Namespace) -> int:
    try:
        load_config(args.file)
    except ConfigError as exc:
        for error in exc.errors:
            sys.stdout.write(f"{args.file}: {error}\n")
        return 1
    sys.stdout.write(f"{args.file}: ok\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: dispatch, and turn every expected failure into a clear message and exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        log.error("invalid_config", source=exc.source, errors=exc.errors)
        for error in exc.errors:
            sys.stderr.write(f"config error: {exc.source}: {error}\n")
        return 2
    except UserError as exc:
        log.error("command_failed", command=args.command, error=str(exc))
        sys.stderr.write(f"error: {exc}\n")
        return exc.code
    except (FeedError, SessionError, LogError) as exc:
        log.error("command_failed", command=args.command, error=str(exc))
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
