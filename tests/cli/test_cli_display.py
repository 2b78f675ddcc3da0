"""What a person sees: a progress display on a terminal only (never under --json or when piped), tables
that fit the terminal without cutting a value ("trad…", "-105.…"), and a default wallet that fits the
quote currency (not 1000 BTC), said out loud."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from gentrade.cli.tables import fitted_table

HEADERS = ["strategy", "trades", "win %", "profit %", "max DD %", "sharpe", "PF", "TP exits", "warnings"]
ROWS = [
    ["TrendFollower", "112", "41.1", "-105.32", "107.55", "-3.21", "0.62", "38", "0"],
    ["MeanReversion", "9", "66.7", "+2.10", "1.05", "1.90", "1.44", "6", "1"],
]


def _render(width: int) -> str:
    console = Console(width=width, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(fitted_table(HEADERS, ROWS, console=console, title="backtests"))
    return console.export_text()


@pytest.mark.parametrize("width", [40, 60, 80, 160])
def test_tables_fit_the_terminal_and_never_cut_a_value(width: int) -> None:
    text = _render(width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    caption = " ".join(text.split("left out to fit the terminal:")[1].split()) if "left out" in text else ""
    left_out = {header for header in HEADERS if header in caption}
    shown_rows = [line.split() for line in text.split("left out")[0].splitlines()]
    for row in ROWS:  # every value is shown whole, or its column is named as left out
        line = next(words for words in shown_rows if row[0] in words)
        for header, cell in zip(HEADERS[1:], row[1:], strict=True):
            assert (cell in line) != (header in left_out), (header, cell, text)
    assert "strategy" not in left_out
    assert (left_out == set()) == (width >= 160)


def _backtest(strategy: Path, datadir: Path, tmp: Path, *extra: str, terminal: bool) -> tuple[int, str, str]:
    """`gentrade backtest` with stdout and stderr on a pseudo-terminal (as a person runs it) or on pipes."""
    argv = [
        sys.executable, "-m", "gentrade.cli", "backtest", str(strategy), "--datadir", str(datadir),
        "--timerange", "20180115-20180118", "--pairs", "ETH/BTC", "--results-dir", str(tmp), *extra,
    ]  # fmt: skip
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GENTRADE_")}, "COLUMNS": "100"}
    if not terminal:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        return done.returncode, done.stdout, done.stderr
    env["TERM"] = "xterm-256color"
    out_main, out_child = pty.openpty()
    err_main, err_child = pty.openpty()
    process = subprocess.Popen(argv, stdout=out_child, stderr=err_child, env=env)
    os.close(out_child)
    os.close(err_child)
    chunks: dict[int, list[bytes]] = {out_main: [], err_main: []}
    for fd in chunks:
        os.set_blocking(fd, True)
    code = process.wait(timeout=300)
    for fd in chunks:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child's end is closed and everything was read
                break
            if not data:
                break
            chunks[fd].append(data)
        os.close(fd)
    return code, b"".join(chunks[out_main]).decode(), b"".join(chunks[err_main]).decode()


@pytest.mark.slow
def test_progress_on_a_terminal_only_and_a_wallet_that_fits_btc(
    sample_strategy_file: Path, shared_data_dir: Path, tmp_path: Path
) -> None:
    code, out, err = _backtest(sample_strategy_file, shared_data_dir, tmp_path, terminal=True)
    assert code == 0, err
    assert "backtesting SampleStrategy.py" in err  # the progress line, on stderr
    assert "wallet: 0.02 BTC (the default for BTC-quoted pairs; --wallet to change)" in out
    assert "0.02 →" in out and "1000" not in out.split("starting → final")[1].splitlines()[0]

    code, out, err = _backtest(sample_strategy_file, shared_data_dir, tmp_path, "--json", terminal=True)
    assert code == 0 and json.loads(out)["starting_balance"] == 0.02
    assert err == ""  # --json: no progress, no notes, even on a terminal

    code, out, err = _backtest(sample_strategy_file, shared_data_dir, tmp_path, terminal=False)
    assert code == 0 and "backtesting SampleStrategy.py" not in err  # piped: no progress display
