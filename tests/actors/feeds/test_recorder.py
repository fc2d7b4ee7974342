"""``record`` against the local Hyperliquid server: every raw frame, read back by ``iter_recorder``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import trio

from actors.config import Config, LiveSection
from actors.feed_sources import FeedError
from actors.feeds.frames import FrameParser
from actors.feeds.recorder import record
from actors.feeds.recorder_file import iter_recorder
from events import BookSnapshot, Mids, Trade
from tests.actors.feeds.hl_server import HlServer, HlServerConfig


async def start_server(nursery: trio.Nursery, **config: object) -> HlServer:
    server = HlServer(HlServerConfig(speed=20.0, **config))  # type: ignore[arg-type]
    await nursery.start(server.run)
    return server


def recorder_config(url: str) -> Config:
    return Config(live=LiveSection(ws_url=url, backoff_initial_s=0.05, backoff_jitter=0.0))


def channels(frames: list[tuple[int, str]]) -> Counter[str]:
    return Counter(json.loads(frame)["channel"] for _, frame in frames)


async def test_record_writes_every_raw_frame_with_its_receive_time(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    server = await start_server(nursery)
    out = tmp_path / "btc.jsonl"
    with trio.fail_after(10):
        summary = await record(recorder_config(server.url), out, duration_s=0.8)
    frames = list(iter_recorder(out))
    assert summary.frames == len(frames) == summary.client.frames > 50
    assert summary.client.acks == 5 and summary.client.connects == 1
    seen = channels(frames)
    assert seen["subscriptionResponse"] == 5  # control frames are recorded too
    assert {"l2Book", "trades", "bbo", "allMids"} <= set(seen)
    stamps = [recv_ns for recv_ns, _ in frames]
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] < 1e9
    # Everything received is there: pushed data, 5 acks and the trades replay batch
    # (frames still in flight when the recording stopped were never received).
    assert len(frames) - 6 <= server.connections[0].frames_sent < len(frames) + 20
    parser = FrameParser("BTC")
    events = [e for recv_ns, frame in frames for e in parser.parse(frame, recv_ns)]
    assert {BookSnapshot, Trade, Mids} <= {type(e) for e in events}
    assert parser.statistics().rejected == 0


async def test_record_keeps_going_across_a_drop_and_compresses(nursery: trio.Nursery, tmp_path: Path) -> None:
    server = await start_server(nursery)
    out = tmp_path / "btc.jsonl.zst"

    async def drop_once_subscribed() -> None:
        first = await server.wait_connections(1)
        await server.wait_subscribed(first, 5)
        await trio.sleep(0.2)
        server.drop_all()

    nursery.start_soon(drop_once_subscribed)
    with trio.fail_after(10):
        summary = await record(recorder_config(server.url), out, duration_s=1.0)
    frames = list(iter_recorder(out))
    assert summary.client.connects == 2 and summary.client.disconnects == 1
    assert channels(frames)["subscriptionResponse"] == 10  # subscribed twice
    assert len(frames) == summary.frames
    assert (await trio.Path(out).read_bytes())[:4] == b"\x28\xb5\x2f\xfd"  # zstd magic


async def test_a_url_that_can_never_work_fails_before_any_file_is_made(tmp_path: Path) -> None:
    out = tmp_path / "never.jsonl"
    with pytest.raises(FeedError, match="live.ws_url"):
        await record(recorder_config("https://api.hyperliquid.xyz/ws"), out, duration_s=1)
    assert not await trio.Path(out).exists()
