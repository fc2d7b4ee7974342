"""The trio shell around the sequencer: feed in, log out, clean shutdown.

One nursery, three tasks: the feed (sends batches of external events over a bounded
channel), the log flusher (writes the buffer at least every flush_interval_ms of wall
time), and the SIGINT watcher (cancels the feed, so the session ends through the same
path as end of feed and writes SessionEnded). The sequencer itself runs in the parent
task: admitting an input and running the graph to quiescence is synchronous, so task
interleaving can never change the log order.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import structlog
import trio

from actors.checkpoint.store import CheckpointWriter
from actors.config import Config
from actors.feed_sources import FeedSource
from actors.graph import build_sequencer
from actors.sequencer import Sequencer
from actors.settings import config_to_dict
from events import (
    SCHEMA_VERSION,
    CheckpointDue,
    CheckpointSaved,
    EndOfSession,
    Event,
    SessionEnded,
    SessionStarted,
)
from events.log import EventLogWriter

log = structlog.get_logger("papermm.runtime")

ProgressHook = Callable[[int, int], None]


@attrs.define
class SessionResult:
    """What a finished session leaves behind, for the summary."""

    session_id: str
    session_dir: Path
    log_path: Path
    sequencer: Sequencer
    counts: Counter[str]
    records: int
    start_ns: int
    end_ns: int
    end_reason: str
    wall_s: float


def new_session_id(asset: str, seed: int, wall_ns: int) -> str:
    """A sortable, unique-enough id: UTC wall time of the start plus the seed."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(wall_ns / 1e9))
    return f"{stamp}{(wall_ns // 1000) % 1_000_000:06d}Z-{asset.replace(':', '_')}-s{seed}"


def session_dir_for(config: Config, session_id: str) -> Path:
    """``DATA_DIR/sessions/{ASSET}/{session_id}``."""
    asset = config.session.asset.replace(":", "_")
    return Path(config.session.data_dir) / "sessions" / asset / session_id


async def _flush_periodically(writer: EventLogWriter, interval_s: float) -> None:
    while True:
        await trio.sleep(interval_s)
        writer.flush()


async def _cancel_on_sigint(scope: trio.CancelScope, result: dict[str, str]) -> None:
    with trio.open_signal_receiver(signal.SIGINT) as signals:
        async for _ in signals:
            result["reason"] = "interrupted"
            log.info("session_interrupted", detail="SIGINT: finishing the log")
            scope.cancel("SIGINT")
            return


async def run_session(
    config: Config,
    feed_factory: Callable[[Path], FeedSource],
    *,
    session_id: str | None = None,
    progress: ProgressHook | None = None,
    handle_sigint: bool = True,
    initial_inputs: Callable[[int], Sequence[Event]] | None = None,
) -> SessionResult:
    """Run one paper session to its end (duration, end of feed or Ctrl-C).

    ``initial_inputs(start_ns)`` gives external inputs admitted before the feed's first
    (a warm start's PriorInjected). Each CheckpointDue the graph emits is written by the
    checkpoint edge and followed by its CheckpointSaved; at the end EndOfSession is admitted,
    so the final checkpoint is written before SessionEnded.
    """
    wall_ns = time.time_ns()
    session_id = session_id or new_session_id(config.session.asset, config.session.seed, wall_ns)
    session_dir = session_dir_for(config, session_id)
    suffix = 1
    while session_dir.exists():  # never append to another session's log
        suffix += 1
        session_dir = session_dir_for(config, f"{session_id}-{suffix}")
    session_id = session_dir.name
    session_dir.mkdir(parents=True)
    feed = feed_factory(session_dir)
    sequencer = build_sequencer(config)
    writer = EventLogWriter(session_dir / "events.log")
    checkpoints = CheckpointWriter.for_session(
        config,
        sequencer.actor("checkpointer"),
        session_id,
        _package_version(),  # type: ignore[arg-type]
    )
    counts: Counter[str] = Counter()
    duration_ns = int(config.session.duration_s * 1e9)
    end_at = feed.start_ns + duration_ns if duration_ns > 0 else None
    end = {"reason": "end_of_feed"}
    last_ts = feed.start_ns
    wall0 = time.perf_counter()
    with structlog.contextvars.bound_contextvars(session_id=session_id):
        writer.append(
            SessionStarted(
                ts=feed.start_ns,
                session_id=session_id,
                asset=config.session.asset,
                feed=feed.name,
                seed=config.session.seed,
                config=config_to_dict(config),
                package_version=_package_version(),
                schema_version=SCHEMA_VERSION,
                wall_ns=wall_ns,
            )
        )
        log.info("session_started", dir=str(session_dir), feed=feed.name)

        async def admit_logged(event: Event) -> None:
            for out in sequencer.admit(event):
                writer.append(out)
                counts[type(out).__name__] += 1
                if type(out) is CheckpointDue and checkpoints is not None:
                    writer.append(await _save_checkpoint(checkpoints, out))

        try:
            for initial in initial_inputs(feed.start_ns) if initial_inputs is not None else ():
                await admit_logged(initial)
            async with trio.open_nursery() as nursery:
                feed_scope = trio.CancelScope()
                send, receive = trio.open_memory_channel[list[Event]](8)

                async def run_feed() -> None:
                    with feed_scope:
                        await feed.run(send)
                    await send.aclose()

                nursery.start_soon(run_feed)
                nursery.start_soon(_flush_periodically, writer, config.log.flush_interval_ms / 1000)
                if handle_sigint:
                    nursery.start_soon(_cancel_on_sigint, feed_scope, end)
                admit = sequencer.admit
                append = writer.append
                async with receive:
                    async for batch in receive:
                        for event in batch:
                            if end_at is not None and event.ts >= end_at:
                                end["reason"] = "duration"
                                break
                            last_ts = event.ts
                            for out in admit(event):
                                append(out)
                                counts[type(out).__name__] += 1
                                if type(out) is CheckpointDue and checkpoints is not None:
                                    append(await _save_checkpoint(checkpoints, out))
                        else:
                            if progress is not None:
                                progress(last_ts - feed.start_ns, duration_ns)
                            continue
                        feed_scope.cancel("duration reached")
                        break
                nursery.cancel_scope.cancel("session ended: " + end["reason"])
            # The session's market time ends at start + duration when the duration ended it.
            end_ts = end_at if end["reason"] == "duration" and end_at is not None else last_ts
            await admit_logged(
                EndOfSession(ts=last_ts, reason=end["reason"], start_ts=feed.start_ns, end_ts=end_ts)
            )
        except BaseException:
            # Not a clean end: keep every record so far, but do not claim SessionEnded.
            writer.close()
            feed.close()
            raise
        records = writer.records + 1
        writer.append(SessionEnded(ts=last_ts, reason=end["reason"], records=records))
        writer.close()
        feed.close()
        log.info("session_ended", reason=end["reason"], records=records)
    return SessionResult(
        session_id=session_id,
        session_dir=session_dir,
        log_path=session_dir / "events.log",
        sequencer=sequencer,
        counts=counts,
        records=records,
        start_ns=feed.start_ns,
        end_ns=last_ts,
        end_reason=end["reason"],
        wall_s=time.perf_counter() - wall0,
    )


async def _save_checkpoint(checkpoints: CheckpointWriter, due: CheckpointDue) -> CheckpointSaved:
    """Write the bundle behind ``due`` off the trio thread (fsyncs); the sequencer waits for it."""
    data, wall_ns = checkpoints.encode(due)
    return await trio.to_thread.run_sync(checkpoints.write, due, data, wall_ns)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("papermm")
    except PackageNotFoundError:
        return "0.0.0+unknown"
