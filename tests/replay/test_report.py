"""The session report: every plot present, non-empty and embedded, checked in a real browser.

The browser is Debian's chromium (``make browser`` installs it), run headless on the file
with networking features off. The report must need no network: it names no URL at all
(no script, stylesheet, image or font to fetch), which the tests check on the file and on
the DOM the browser rendered from it.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from papermm.cli import main
from replay.report import PLOTS, write_report
from tests.e2e.helpers import papermm, run_synthetic

CHROMIUM = Path("/usr/bin/chromium")
#: Anything that would make a browser fetch something.
EXTERNAL = re.compile(r"https?://|<script|<link|<img|<iframe|@import|url\((?!#)|\bsrc=", re.I)


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    session = run_synthetic(tmp_path_factory.mktemp("report"), 900, seed=7).session_dir
    return write_report(session)


@pytest.fixture(scope="module")
def btc_report(tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path) -> Path:
    """The real BTC recording (35 minutes) with the default configuration."""
    recording = shared_data_dir / "ws_csv_20250904_btc_eth_sol_wlfi"
    session = run_synthetic(
        tmp_path_factory.mktemp("btc"), 0, feed__kind=f"recording:{recording}"
    ).session_dir
    return write_report(session)


@pytest.fixture(scope="module")
def shared_data_dir() -> Path:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data missing at {SHARED_DATA}: CI clones ../shared beside the project")
    return SHARED_DATA


class _Plots(HTMLParser):
    """Per plot figure: its data-points attribute, and the drawn elements of its series."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.points: dict[str, int] = {}
        self.drawn: dict[str, int] = {}
        self.svgs: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        ident = a.get("id") or ""
        if tag == "figure" and ident in PLOTS:
            self.points[ident] = int(a.get("data-points") or 0)
        figure = next((i for t, i in reversed(self.stack) if t == "figure"), None)
        if figure is not None:
            if tag == "svg":
                self.svgs[figure] = self.svgs.get(figure, 0) + 1
            in_series = any("-series-" in i for _, i in self.stack)
            drawn = (tag == "path" and len(a.get("d") or "") > 10) or tag == "use"
            if in_series and drawn:
                self.drawn[figure] = self.drawn.get(figure, 0) + 1
        if tag not in ("path", "use", "rect", "circle", "line", "polyline", "polygon", "stop", "meta", "br"):
            self.stack.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == tag:
                del self.stack[k:]
                break


def plots_of(html: str) -> _Plots:
    parser = _Plots()
    parser.feed(html)
    return parser


def assert_every_plot_drawn(html: str) -> None:
    plots = plots_of(html)
    assert sorted(plots.points) == sorted(PLOTS)
    for plot in PLOTS:
        assert plots.points[plot] > 0, f"{plot} drew nothing"
        assert plots.svgs.get(plot) == 1, f"{plot} has no inline svg"
        assert plots.drawn.get(plot, 0) > 0, f"{plot} has no drawn data series"


def chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: run `make browser` (apt-get install -y chromium)")
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp / 'profile'}", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def test_synthetic_report_embeds_every_plot_and_names_no_url(synthetic_report: Path) -> None:
    html = synthetic_report.read_text()
    assert EXTERNAL.search(html) is None, EXTERNAL.search(html)
    assert_every_plot_drawn(html)
    assert (synthetic_report.parent / "analytics" / "experiences.jsonl").stat().st_size > 0
    assert "Validation checklist" in html and "Brier" in html


def test_real_btc_recording_report_embeds_every_plot(btc_report: Path) -> None:
    html = btc_report.read_text()
    assert EXTERNAL.search(html) is None
    assert_every_plot_drawn(html)


def test_the_browser_renders_every_plot_offline(
    synthetic_report: Path, btc_report: Path, tmp_path: Path
) -> None:
    for report in (synthetic_report, btc_report):
        dom = chromium("--dump-dom", report.as_uri(), tmp=tmp_path).stdout
        assert "<figure" in dom
        assert EXTERNAL.search(dom) is None
        assert_every_plot_drawn(dom)
    shot = tmp_path / "report.png"
    chromium("--window-size=1400,4000", f"--screenshot={shot}", synthetic_report.as_uri(), tmp=tmp_path)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 100_000  # a page of plots, not a blank one


def test_a_session_without_fills_still_gets_a_report(tmp_path: Path) -> None:
    session = run_synthetic(tmp_path, 3, seed=1).session_dir
    html = write_report(session).read_text()
    plots = plots_of(html)
    assert sorted(plots.points) == sorted(PLOTS) and plots.points["plot-markouts"] == 0
    assert "no markouts" in html and EXTERNAL.search(html) is None


def test_report_json_has_the_numbers(synthetic_report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = synthetic_report.parent
    assert main(["report", str(session), "--json", "--log-level", "error"]) == 0
    nums = json.loads(capsys.readouterr().out)
    assert set(nums) == {"summary", "checklist", "calibration", "markouts", "fill_rate_by_depth", "edge",
                         "signal_pnl", "sharpe"}  # fmt: skip
    assert nums["summary"]["fills"] > 0 and nums["checklist"]["passed"]
    cal = nums["calibration"]["overall"]
    assert sum(b["count"] for b in cal["bins"]) == cal["n"] == nums["summary"]["predictions"]
    b = cal["brier"]
    assert b["brier"] == pytest.approx(
        b["reliability"] - b["resolution"] + b["uncertainty"] + b["within_variance"] - b["within_covariance"]
    )
    assert [r["horizon_s"] for r in nums["markouts"]["all"]] == [0.5, 1.0, 2.0, 5.0, 10.0]
    assert main(["report", str(session), "--log-level", "error"]) == 0
    assert "report.html" in capsys.readouterr().out


def test_paper_report_writes_the_report_and_the_streams_at_the_end(tmp_path: Path) -> None:
    proc = papermm("paper", "--duration", "300", "--speed", "max", "--report", "--json",
                   "--data-dir", str(tmp_path), check=True)  # fmt: skip
    session = Path(json.loads(proc.stdout)["session_dir"])
    assert (session / "report.html").is_file()
    assert_every_plot_drawn((session / "report.html").read_text())
    streams = {"sharpe_metrics", "signal_contributions", "signal_pnl", "edge_validation", "experiences"}
    assert {p.name for p in (session / "analytics").iterdir()} == {f"{name}.jsonl" for name in streams}
