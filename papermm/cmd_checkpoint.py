"""Priors from the command line: ``status``, ``gate``, ``calibrate``, and the paper warm start.

* ``papermm status [--asset BTC] [--json]``: each prior's age, verdict, per-estimator
  counts against their thresholds, and the last session's figures;
* ``papermm gate --asset BTC``: exit 0 for a Ready prior, 2 for Marginal, 1 for
  Insufficient, stale, missing or unreadable, printing why (what a live system runs
  before it goes live);
* ``papermm calibrate --asset BTC --max-duration 1800``: paper sessions on the configured
  feed, each warm-started from the last prior, until the prior is Ready or the market
  time is used up; prints the verdict and exits like ``gate``;
* ``papermm paper --prior auto|PATH`` calls ``warm_start`` (the flags are the paper
  parser's).

Verdicts are re-assessed from the prior's counts under the current configuration's
thresholds (``[checkpoint]``), so the gate applies the live system's thresholds; the
verdict saved in the file is the one of the session that wrote it. This module is an I/O
edge: it reads the wall clock for the age of a prior.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec
import trio

from actors.checkpoint.bundle import CheckpointBundle
from actors.checkpoint.injection import prior_injected
from actors.checkpoint.readiness import MARGINAL, READY, PriorReadiness, assess, counts_of
from actors.checkpoint.store import (
    PRIOR_NAME,
    CheckpointStore,
    LoadedPrior,
    PriorError,
    age_s,
    checkpoint_dir,
    describe_age,
    validate_prior,
)
from actors.config import Config
from actors.settings import load_config, parse_override
from events import Event
from papermm.errors import UserError

AddCommon = Callable[[argparse.ArgumentParser], None]
Clock = Callable[[], int]

#: Exit codes of ``gate`` and ``calibrate``.
EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_MARGINAL = 2


def register(subparsers: Any, add_common: AddCommon) -> None:
    """Add ``status``, ``gate`` and ``calibrate``."""
    status = subparsers.add_parser("status", help="priors: age, verdict, estimator counts, last session")
    add_common(status)
    status.add_argument("--asset", help="only this asset (default: every asset with checkpoints)")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting (e.g. a threshold)",
    )
    status.set_defaults(handler=cmd_status)

    gate = subparsers.add_parser(
        "gate",
        help="exit 0 if the asset's prior is Ready, 2 if Marginal, 1 if Insufficient, stale or missing",
    )
    add_common(gate)
    gate.add_argument("--asset", required=True, help="asset whose prior.json is checked")
    gate.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting (e.g. a threshold)",
    )
    gate.set_defaults(handler=cmd_gate)

    cal = subparsers.add_parser(
        "calibrate", help="run warm-started paper sessions until the prior is Ready or the time is up"
    )
    add_common(cal)
    cal.add_argument("--asset", required=True, help="coin to quote")
    cal.add_argument(
        "--max-duration", type=float, required=True, help="market seconds to spend at most, over all sessions"
    )
    cal.add_argument(
        "--session-duration", type=float, help="market seconds per session (default: session.duration_s)"
    )
    cal.add_argument("--feed", help="synthetic | hyperliquid | recording:PATH (default: the configured feed)")
    cal.add_argument("--seed", type=int, help="seed of the first session (session i uses seed + i)")
    cal.add_argument("--speed", help="1 | N | max")
    cal.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override any setting")
    cal.add_argument("--json", action="store_true", help="print the result as one JSON object")
    cal.set_defaults(handler=cmd_calibrate)


def _config(args: argparse.Namespace, *extra: tuple[str, Any]) -> Config:
    pairs: list[tuple[str, Any]] = []
    if getattr(args, "data_dir", None):
        pairs.append(("session.data_dir", args.data_dir))
    if getattr(args, "asset", None):
        pairs.append(("session.asset", args.asset))
    pairs.extend(extra)
    pairs.extend(parse_override(text) for text in getattr(args, "set", []) or [])
    return load_config(getattr(args, "config", None), pairs)


def _reassess(bundle: CheckpointBundle, config: Config) -> PriorReadiness:
    return assess(counts_of(bundle.readiness), bundle.meta.learned_s, config.checkpoint)


def _utc(wall_ns: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall_ns / 1e9))


# -- warm start (papermm paper --prior) -----------------------------------------------------


def resolve_prior_path(config: Config, prior: str) -> Path:
    """``auto`` is the asset's prior.json; anything else a path."""
    if prior == "auto":
        return checkpoint_dir(config.session.data_dir, config.session.asset) / PRIOR_NAME
    return Path(prior)


def load_warm_start(
    config: Config,
    prior: str,
    *,
    allow_asset_mismatch: bool = False,
    allow_stale: bool = False,
    clock: Clock = time.time_ns,
) -> LoadedPrior:
    """Validate the prior a session would start from; PriorError says why it cannot."""
    path = resolve_prior_path(config, prior)
    root = checkpoint_dir(config.session.data_dir, config.session.asset)
    if prior == "auto" and not path.exists() and not CheckpointStore(root).backups():
        raise PriorError(
            f"no prior for {config.session.asset} yet ({path}): run a paper session without --prior first"
        )
    return validate_prior(
        path,
        asset=config.session.asset,
        now_wall_ns=clock(),
        stale_after_s=config.checkpoint.stale_after_s,
        allow_asset_mismatch=allow_asset_mismatch,
        allow_stale=allow_stale,
        backups_root=root,
    )


def warm_start_inputs(config: Config, loaded: LoadedPrior) -> Callable[[int], Sequence[Event]]:
    """What ``run_session(initial_inputs=...)`` admits first: the PriorInjected of ``loaded``."""

    def inputs(start_ns: int) -> Sequence[Event]:
        return (
            prior_injected(
                loaded.bundle,
                ts=start_ns,
                source=str(loaded.path),
                digest=loaded.digest,
                cfg=config.checkpoint,
            ),
        )

    return inputs


def warm_start(config: Config, args: argparse.Namespace) -> Callable[[int], Sequence[Event]] | None:
    """The paper command's ``--prior``: None without it; UserError when the prior is refused."""
    prior = getattr(args, "prior", None)
    if not prior:
        return None
    try:
        loaded = load_warm_start(
            config, prior, allow_asset_mismatch=args.allow_asset_mismatch, allow_stale=args.allow_stale
        )
    except PriorError as exc:
        raise UserError(str(exc), 1) from None
    readiness = _reassess(loaded.bundle, config)
    note = "" if readiness.verdict == READY else (
        f"; quoting defensively (spread x{config.checkpoint.defensive_spread_factor:g}, "
        f"size x{config.checkpoint.defensive_size_factor:g})"
    )  # fmt: skip
    sys.stderr.write(
        f"warm start from {loaded.path} ({readiness.verdict}, "
        f"{describe_age(age_s(loaded.bundle, time.time_ns()))}, learned over "
        f"{loaded.bundle.meta.learned_s:.0f} s){note}\n"
    )
    return warm_start_inputs(config, loaded)


# -- status ---------------------------------------------------------------------------------


def _assets(config: Config, asset: str | None) -> list[str]:
    if asset:
        return [asset]
    root = Path(config.session.data_dir) / "checkpoints" / "paper"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def asset_status(config: Config, asset: str, now_wall_ns: int) -> dict[str, Any]:
    """Plain data of one asset's prior (``papermm status --json``)."""
    config = msgspec.structs.replace(config, session=msgspec.structs.replace(config.session, asset=asset))
    root = checkpoint_dir(config.session.data_dir, asset)
    path = root / PRIOR_NAME
    backups = CheckpointStore(root).backups()
    out: dict[str, Any] = {"asset": asset, "prior": str(path), "exists": path.exists(), "backups": len(backups),
                           "latest_backup": str(backups[-1]) if backups else None}  # fmt: skip
    if not path.exists():
        out["error"] = "no prior"
        return out
    try:
        loaded = validate_prior(
            path, asset=asset, now_wall_ns=now_wall_ns, stale_after_s=config.checkpoint.stale_after_s,
            allow_stale=True, allow_asset_mismatch=True,
        )  # fmt: skip
    except PriorError as exc:
        out["error"] = str(exc)
        out["offered_backup"] = str(exc.backup) if exc.backup else None
        return out
    b = loaded.bundle
    readiness = _reassess(b, config)
    age = age_s(b, now_wall_ns)
    out.update(
        digest=loaded.digest,
        verdict=readiness.verdict,
        verdict_saved=b.readiness.verdict,
        reasons=list(readiness.reasons),
        saved_at=_utc(b.meta.wall_ns),
        age_s=round(age, 1),
        stale=age > config.checkpoint.stale_after_s,
        stale_after_s=config.checkpoint.stale_after_s,
        learned_s=b.meta.learned_s,
        required_s=readiness.required_s,
        sessions=b.meta.sessions,
        estimators_ready=readiness.estimators_ready,
        estimators={e.name: {"observations": e.observations, "required": e.required, "converged": e.converged}
                    for e in readiness.estimators},
        kelly={"fills": readiness.kelly_fills, "required": readiness.kelly_required},
        asset_in_prior=b.meta.asset,
        kill_switch=msgspec.to_builtins(b.kill_switch),
        last_session={"session_id": b.meta.session_id, "reason": b.meta.reason, "market_s": b.meta.session_s,
                      "warm_started": bool(b.meta.prior_digest), **msgspec.to_builtins(b.session)},
    )  # fmt: skip
    return out


def render_status(s: dict[str, Any]) -> str:
    """A short human-readable block for one asset."""
    lines = [f"{s['asset']}  {s['prior']}"]
    if "error" in s:
        lines.append(f"  {s['error']}")
        if s.get("latest_backup") and "offered_backup" not in s:
            lines.append(f"  latest backup: {s['latest_backup']}")
        return "\n".join(lines)
    stale = f"  STALE (older than {s['stale_after_s']:.0f} s)" if s["stale"] else ""
    saved = "" if s["verdict"] == s["verdict_saved"] else f" (saved as {s['verdict_saved']})"
    lines.append(f"  verdict     {s['verdict']}{saved}: {s['estimators_ready']}/5 estimators converged, "
                 f"kelly {s['kelly']['fills']}/{s['kelly']['required']} fills, learned over "
                 f"{s['learned_s']:.0f}/{s['required_s']:.0f} s in {s['sessions']} session(s)")  # fmt: skip
    lines.append(f"  age         {describe_age(s['age_s'])} (saved {s['saved_at']}){stale}")
    est = ", ".join(f"{name} {e['observations']}/{e['required']}{'' if e['converged'] else ' (lagging)'}"
                    for name, e in s["estimators"].items())  # fmt: skip
    lines.append(f"  estimators  {est}")
    last = s["last_session"]
    lines.append(f"  last        {last['session_id']}: {last['market_s']:.0f} s ({last['reason']}"
                 f"{', warm-started' if last['warm_started'] else ''}), {last['fills']} fills "
                 f"({last['buys']} buys, {last['sells']} sells), volume ${last['volume_usd']:,.2f}, "
                 f"pnl {last['pnl_total']:+.4f}")  # fmt: skip
    lines.append(f"  backups     {s['backups']} (latest {s['latest_backup']})")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    config = _config(args)
    now = time.time_ns()
    assets = _assets(config, args.asset)
    statuses = [asset_status(config, asset, now) for asset in assets]
    if args.json:
        body: Any = statuses[0] if args.asset else {"assets": statuses}
        sys.stdout.write(msgspec.json.encode(body).decode() + "\n")
        return 0
    if not statuses:
        sys.stdout.write(f"no priors under {Path(config.session.data_dir) / 'checkpoints' / 'paper'}\n")
        return 0
    sys.stdout.write("\n".join(render_status(s) for s in statuses) + "\n")
    return 0


# -- gate -----------------------------------------------------------------------------------


def gate(config: Config, now_wall_ns: int) -> tuple[int, list[str]]:
    """The gate's exit code and the lines that say why."""
    asset = config.session.asset
    root = checkpoint_dir(config.session.data_dir, asset)
    path = root / PRIOR_NAME
    if not path.exists():
        return EXIT_NOT_READY, [f"NOT READY: no prior for {asset} ({path})"]
    try:
        loaded = validate_prior(path, asset=asset, now_wall_ns=now_wall_ns,
                                stale_after_s=config.checkpoint.stale_after_s)  # fmt: skip
    except PriorError as exc:
        return EXIT_NOT_READY, [f"NOT READY: {exc}"]
    readiness = _reassess(loaded.bundle, config)
    head = (f"{readiness.estimators_ready}/5 estimators converged, kelly {readiness.kelly_fills}/"
            f"{readiness.kelly_required} fills, learned over {readiness.learned_s:.0f}/{readiness.required_s:.0f} s, "
            f"{describe_age(age_s(loaded.bundle, now_wall_ns))}")  # fmt: skip
    why = [f"  - {reason}" for reason in readiness.reasons]
    if readiness.verdict == READY:
        return EXIT_READY, [f"READY: {asset} prior {path}: {head}"]
    if readiness.verdict == MARGINAL:
        return EXIT_MARGINAL, [f"MARGINAL: {asset} prior {path}: {head}", *why]
    return EXIT_NOT_READY, [f"NOT READY: {asset} prior {path} is Insufficient: {head}", *why]


def cmd_gate(args: argparse.Namespace) -> int:
    code, lines = gate(_config(args), time.time_ns())
    sys.stdout.write("\n".join(lines) + "\n")
    return code


# -- calibrate ------------------------------------------------------------------------------


def _exit_code(verdict: str) -> int:
    return EXIT_READY if verdict == READY else (EXIT_MARGINAL if verdict == MARGINAL else EXIT_NOT_READY)


def calibrate(
    config: Config, max_duration_s: float, session_duration_s: float | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:  # fmt: skip
    """Run warm-started sessions until the prior is Ready or ``max_duration_s`` of market
    time is used; return what happened (plain data)."""
    from actors.feed_sources import open_feed
    from actors.runtime import SessionResult, run_session

    chunk = session_duration_s or config.session.duration_s or max_duration_s
    used = 0.0
    sessions: list[dict[str, Any]] = []
    verdict = "missing"
    i = 0
    while max_duration_s - used > 1e-9:
        duration = min(chunk, max_duration_s - used)
        session = msgspec.structs.replace(config.session, duration_s=duration, seed=config.session.seed + i)
        cfg = msgspec.structs.replace(config, session=session)
        try:
            loaded: LoadedPrior | None = load_warm_start(cfg, "auto")
            start = f"warm from {loaded.path} ({_reassess(loaded.bundle, cfg).verdict})"
        except PriorError as exc:
            loaded = None
            start = f"cold ({exc})"
        initial = warm_start_inputs(cfg, loaded) if loaded is not None else None

        async def main(cfg: Config = cfg, initial: Any = initial) -> SessionResult:
            return await run_session(
                cfg, lambda d: open_feed(cfg, d), initial_inputs=initial, handle_sigint=False
            )

        result = trio.run(main)
        market_s = duration if result.end_reason == "duration" else (result.end_ns - result.start_ns) / 1e9
        used += market_s
        prior = checkpoint_dir(cfg.session.data_dir, cfg.session.asset) / PRIOR_NAME
        try:
            now = validate_prior(prior, asset=cfg.session.asset, now_wall_ns=time.time_ns(),
                                 stale_after_s=cfg.checkpoint.stale_after_s)  # fmt: skip
            readiness = _reassess(now.bundle, cfg)
            verdict = readiness.verdict
            lagging = list(readiness.reasons)
        except PriorError as exc:
            verdict, lagging = "missing", [str(exc)]
        sessions.append({"session_id": result.session_id, "session_dir": str(result.session_dir), "start": start,
                         "market_s": market_s, "end_reason": result.end_reason, "verdict": verdict,
                         "reasons": lagging})  # fmt: skip
        log(f"session {i + 1}: {result.session_id} {market_s:.0f} s, {start} -> {verdict}"
            + ("" if verdict == READY else f" ({'; '.join(lagging)})"))  # fmt: skip
        if verdict == READY or result.end_reason != "duration" or market_s <= 0.0:
            break  # Ready; or the feed ended or was interrupted: no more market to learn from
        i += 1
    return {"asset": config.session.asset, "verdict": verdict, "market_s": used, "max_duration_s": max_duration_s,
            "sessions": sessions}  # fmt: skip


def cmd_calibrate(args: argparse.Namespace) -> int:
    if not args.max_duration > 0:
        raise UserError("calibrate: --max-duration must be positive (market seconds)", 2)
    extra: list[tuple[str, Any]] = []
    for flag, key in (("feed", "feed.kind"), ("seed", "session.seed"), ("speed", "session.speed")):
        value = getattr(args, flag, None)
        if value is not None:
            extra.append((key, value))
    config = _config(args, *extra)
    out = calibrate(config, args.max_duration, args.session_duration,
                    log=(lambda line: None) if args.json else (lambda line: sys.stdout.write(line + "\n")))  # fmt: skip
    if args.json:
        sys.stdout.write(msgspec.json.encode(out).decode() + "\n")
    else:
        sys.stdout.write(f"{out['asset']}: {out['verdict']} after {out['market_s']:.0f} s of market time "
                         f"in {len(out['sessions'])} session(s)\n")  # fmt: skip
    return _exit_code(out["verdict"])
