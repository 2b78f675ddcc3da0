"""Pairs the way freqtrade's users write them (``--pairs A B C``), commas and repeats, on every command that
takes pairs; and every usage error as one line ``error[usage]: ...`` with exit code 2 (no Typer box)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gentrade.cli.usage import spread_pairs


def _gentrade(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENTRADE_")}
    return subprocess.run(
        [sys.executable, "-m", "gentrade.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def test_pair_lists_are_spread_and_nothing_else_is_touched() -> None:
    assert spread_pairs(["backtest", "s.py", "--pairs", "ETH/BTC", "LTC/BTC", "--json"]) == [
        "backtest",
        "s.py",
        "--pairs",
        "ETH/BTC",
        "--pairs",
        "LTC/BTC",
        "--json",
    ]
    assert spread_pairs(["backtest", "-p", "ETH/BTC", "LTC/BTC,XLM/BTC", "user_data/strategies/X.py"]) == [
        "backtest",
        "-p",
        "ETH/BTC",
        "-p",
        "LTC/BTC,XLM/BTC",
        "user_data/strategies/X.py",
    ]
    untouched = ["strategy", "render", "a/b.json", "-o", "user_data/strategies", "ETH/BTC"]
    assert spread_pairs(untouched) == untouched
    assert spread_pairs(["draft", "x", "--pair", "BTC/USDT:USDT", "ETH/USDT"]) == [
        "draft",
        "x",
        "--pair",
        "BTC/USDT:USDT",
        "--pair",
        "ETH/USDT",
    ]


@pytest.mark.parametrize(
    "pairs",
    [
        ["--pairs", "ETH/USDT", "BTC/USDT", "SOL/USDT"],
        ["--pairs", "ETH/USDT,BTC/USDT", "--pairs", "SOL/USDT"],
        ["-p", "ETH/USDT", "-p", "BTC/USDT", "-p", "SOL/USDT", "-p", "ETH/USDT"],
    ],
    ids=["spaces", "commas", "repeats"],
)
def test_data_synth_takes_every_pair_form(tmp_path: Path, pairs: list[str]) -> None:
    done = _gentrade("data", "synth", "--datadir", str(tmp_path), "--days", "2", *pairs)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "BTC_USDT-5m.feather",
        "ETH_USDT-5m.feather",
        "SOL_USDT-5m.feather",
    ]


def test_draft_takes_a_pair_list() -> None:
    done = _gentrade("draft", "RSI under 30, stop 2 ATR", "--json", "--pair", "ETH/BTC", "LTC/BTC")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["spec"]["pairs"] == ["ETH/BTC", "LTC/BTC"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["backtest", "s.py", "--bogus"], "No such option: --bogus (see `gentrade backtest --help`)"),
        (["backtest"], "Missing argument 'strategy_file'. (see `gentrade backtest --help`)"),
        (["nosuch"], "No such command 'nosuch'. (see `gentrade --help`)"),
        (["backtest", "s.py", "--max-open-trades", "many"], "Invalid value for '--max-open-trades'"),
        (["data", "synth", "--days"], "Option '--days' requires an argument."),
    ],
    ids=["unknown-option", "missing-argument", "unknown-command", "bad-value", "missing-value"],
)
def test_every_usage_error_is_one_line(args: list[str], fragment: str) -> None:
    done = _gentrade(*args)
    assert (done.returncode, done.stdout) == (2, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith("error[usage]: ") and fragment in line, line
