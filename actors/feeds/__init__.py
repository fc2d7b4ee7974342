"""Market feeds: Hyperliquid frame parsing, the recorder file format and recordings."""

from actors.feeds.frames import FrameParser
from actors.feeds.parser_statistics import ParserStatistics
from actors.feeds.recorder_file import RecorderWriter, RecordingError, iter_recorder
from actors.feeds.recordings import Recording, convert_recording, open_recording
from actors.feeds.trade_dedupe import TradeDeduper

__all__ = [
    "FrameParser",
    "ParserStatistics",
    "Recording",
    "RecorderWriter",
    "RecordingError",
    "TradeDeduper",
    "convert_recording",
    "iter_recorder",
    "open_recording",
]
