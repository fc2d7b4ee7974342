"""structlog for every command: a console renderer on a TTY, JSON lines otherwise."""

from __future__ import annotations

import logging
import sys

import msgspec
import structlog

_json = msgspec.json.Encoder()


def configure_logging(level: str = "info", *, json: bool | None = None) -> None:
    """Configure structlog once per process; logs go to stderr so stdout stays data."""
    use_json = (not sys.stderr.isatty()) if json is None else json
    renderer: structlog.typing.Processor
    if use_json:
        renderer = structlog.processors.JSONRenderer(serializer=lambda d, **_: _json.encode(d).decode())
    else:
        renderer = structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
