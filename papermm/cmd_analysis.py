"""Analysis of a finished session: ``analytics``, ``report`` and ``check``.

All three read only the session's event log:

* ``papermm analytics SESSION_DIR`` (re)writes ``SESSION_DIR/analytics/*.jsonl``;
* ``papermm report SESSION_DIR`` writes ``SESSION_DIR/report.html`` (and the analytics);
  ``--json`` prints the report's numbers instead;
* ``papermm check SESSION_DIR`` prints the validation checklist; exit 1 if an item fails.

``papermm paper --report`` belongs to the paper command; it calls
``replay.report.write_report(session_dir)`` at the end of the session.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from papermm.errors import UserError

AddCommon = Callable[[argparse.ArgumentParser], None]


def register(subparsers: Any, add_common: AddCommon) -> None:
    """Add ``analytics``, ``report`` and ``check``."""
    analytics = subparsers.add_parser("analytics", help="rebuild a session's analytics streams from its log")
    add_common(analytics)
    analytics.add_argument("session", help="session directory or its events.log")
    analytics.set_defaults(handler=cmd_analytics)

    report = subparsers.add_parser(
        "report", help="write a session's report.html (plots, calibration, checklist)"
    )
    add_common(report)
    report.add_argument("session", help="session directory or its events.log")
    report.add_argument(
        "--json", action="store_true", help="print the report's numbers as one JSON object instead"
    )
    report.set_defaults(handler=cmd_report)

    check = subparsers.add_parser(
        "check", help="the validation checklist of a session (exit 1 if an item fails)"
    )
    add_common(check)
    check.add_argument("session", help="session directory or its events.log")
    check.add_argument("--json", action="store_true", help="print the checklist as one JSON object")
    check.set_defaults(handler=cmd_check)


def _session_path(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise UserError(f"no such session: {text}")
    if path.is_dir() and not (path / "events.log").is_file():
        raise UserError(f"{text}: not a session directory (no events.log)")
    return path


def cmd_analytics(args: argparse.Namespace) -> int:
    from replay.analytics import write_analytics

    written = write_analytics(_session_path(args.session))
    for name, path in written.items():
        lines = path.read_bytes().count(b"\n")
        sys.stdout.write(f"{name:<22} {lines:>8,} records  {path}\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    path = _session_path(args.session)
    if args.json:
        from replay.report_numbers import report_numbers
        from replay.session_data import collect

        sys.stdout.write(msgspec.json.encode(report_numbers(collect(path))).decode() + "\n")
        return 0
    from replay.report import write_report

    target = write_report(path)
    sys.stdout.write(f"wrote {target}\n")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from replay.checklist import run_checklist
    from replay.session_data import collect

    checklist = run_checklist(collect(_session_path(args.session)))
    if args.json:
        sys.stdout.write(msgspec.json.encode(checklist.as_dict()).decode() + "\n")
    else:
        sys.stdout.write(checklist.render() + "\n")
    return 0 if checklist.passed else 1
