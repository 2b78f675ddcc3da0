"""``gentrade check``: freqtrade's lookahead and recursive analyses, run offline in the sandbox, judged.

Strategies written here peek at the future in the four classic ways (a ``shift(-1)``, a centred rolling
window, a whole-column maximum, an informative 1h pair merged without shifting) and must come out
``biased`` naming the column; the same strategy without the peek is ``clean``; one that trades too rarely
is ``inconclusive`` with its count. Every check is a real guarded child running freqtrade on the real
ETH/BTC candles of ../shared/data, a few days and one pair so each takes seconds. The command line runs
the ``next_close`` peek and the rare trader, so no check runs twice.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gentrade.cli.main import app
from gentrade.engine.analysis import CheckReport, check_strategy
from gentrade.errors import AuditFailedError

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance"
SPAN = "20180111-20180114"

STRATEGY = """from pandas import DataFrame
from freqtrade.strategy import IStrategy


class {name}(IStrategy):
    timeframe = "5m"
    minimal_roi = {{"0": 0.01}}
    stoploss = -0.02
    startup_candle_count = 30
{extra_class}
    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["fast"] = dataframe["close"].rolling(5).mean()
        dataframe["slow"] = dataframe["close"].rolling(20).mean()
{indicators}
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[{entry}, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["fast"] < dataframe["slow"], "exit_long"] = 1
        return dataframe
"""
HONEST_ENTRY = 'dataframe["fast"] > dataframe["slow"] * 1.002'
INFORMATIVE = """
    def informative_pairs(self):
        return [("LTC/BTC", "1h")]
"""
BIASED = {
    "next_close": (
        '        dataframe["peek"] = dataframe["close"].shift(-1)',
        'dataframe["peek"] > dataframe["close"] * 1.003',
        "",
    ),
    "centred_window": (
        '        dataframe["peek"] = dataframe["close"].rolling(9, center=True).mean()',
        'dataframe["close"] < dataframe["peek"] * 0.997',
        "",
    ),
    "column_max": (
        '        dataframe["peek"] = dataframe["close"].max()',
        'dataframe["close"] > dataframe["peek"] * 0.93',
        "",
    ),
    "unshifted_informative": (
        '        informative = self.dp.get_pair_dataframe("LTC/BTC", "1h")[["date", "close"]]\n'
        '        informative = informative.rename(columns={"close": "peek"})\n'
        '        dataframe = dataframe.merge(informative, on="date", how="left")\n'
        '        dataframe["peek"] = dataframe["peek"].ffill()',
        'dataframe["peek"] > dataframe["peek"].shift(12) * 1.002',
        INFORMATIVE,
    ),
}


def write(folder: Path, name: str, indicators: str = "", entry: str = HONEST_ENTRY, extra: str = "") -> Path:
    path = folder / f"{name}.py"
    path.write_text(STRATEGY.format(name=name, indicators=indicators, entry=entry, extra_class=extra))
    return path


def check_one_pair(strategy: Path, datadir: Path, tmp_path: Path) -> CheckReport:
    """The check as most cases here run it: ETH/BTC over SPAN, at least 5 and at most 8 trades re-checked."""
    return check_strategy(
        strategy,
        datadir,
        work_dir=tmp_path / "runs",
        pairs=["ETH/BTC"],
        timerange=SPAN,
        minimum_trade_amount=5,
        targeted_trade_amount=8,
    )


@pytest.fixture(scope="module")
def datadir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ETH/BTC 5m as shipped, plus LTC/BTC 1h made from its real 5m candles (the informative pair)."""
    folder = tmp_path_factory.mktemp("data")
    shutil.copyfile(REAL / "ETH_BTC-5m.feather", folder / "ETH_BTC-5m.feather")
    ltc = pd.read_feather(REAL / "LTC_BTC-5m.feather").set_index("date")
    hourly = (
        ltc.resample("1h")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna()
        .reset_index()
    )
    hourly.to_feather(folder / "LTC_BTC-1h.feather")
    return folder


@pytest.mark.parametrize("kind", sorted(set(BIASED) - {"next_close"}))
def test_a_peek_at_the_future_is_biased(kind: str, datadir: Path, tmp_path: Path) -> None:
    indicators, entry, extra = BIASED[kind]
    strategy = write(tmp_path, "Peek", indicators, entry, extra)
    report = check_one_pair(strategy, datadir, tmp_path)
    assert report.verdict == "biased", report
    columns = {*report.lookahead["biased_indicators"], *report.recursive["lookahead_indicators"]}
    assert "peek" in columns
    assert "peek" in report.reason


def test_the_same_strategy_without_the_peek_is_clean_and_says_how_it_was_judged(
    datadir: Path, tmp_path: Path
) -> None:
    report = check_strategy(
        write(tmp_path, "Honest"),
        datadir,
        work_dir=tmp_path / "runs",
        pairs=["ETH/BTC"],
        timerange=SPAN,
        minimum_trade_amount=8,
        targeted_trade_amount=10,
    )
    assert report.verdict == "clean", report
    assert report.lookahead["total_signals"] == 10 and report.lookahead["biased_trades"] == []
    assert report.lookahead["order_types"]["entry"] == "market"
    assert (report.settings.timerange, report.settings.pairs) == (SPAN, ["ETH/BTC"])
    assert Path(report.settings.run_dir, "analysis.log").read_text().startswith("sandbox: ")
    exported = pd.read_csv(report.settings.exportfilename)  # freqtrade's own lookahead CSV
    assert exported[["strategy", "has_bias", "total_signals"]].values.tolist() == [["Honest", False, 10]]


def test_cli_json_and_exit_codes_for_a_peek_and_too_few_trades(
    datadir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv("GENTRADE_USER_DIR", str(tmp_path / "user"))
    from gentrade.settings import get_settings

    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)  # even when it fails, no later test sees these settings
    runner = CliRunner()
    peek = write(tmp_path, "Peek", *BIASED["next_close"])
    args = [
        "--datadir",
        str(datadir),
        "--timerange",
        SPAN,
        "--pairs",
        "ETH/BTC",
        "--minimum-trades",
        "5",
        "--targeted-trades",
        "8",
    ]
    biased = runner.invoke(app, ["check", str(peek), *args, "--json"])
    assert biased.exit_code == 3, biased.output
    body = json.loads(biased.stdout)
    assert body["verdict"] == "biased" and {"lookahead", "recursive", "settings"} <= set(body)
    assert "peek" in body["lookahead"]["biased_indicators"] and "peek" in body["reason"]
    rare = write(tmp_path, "Rare", entry='dataframe["fast"] > dataframe["slow"] * 1.02')
    text = runner.invoke(app, ["check", str(rare), *args])
    assert text.exit_code == 4, text.output
    count = re.match(r"inconclusive: only (\d+) trades re-checked", text.stdout)
    assert count is not None and int(count[1]) < 5, text.stdout
    assert f"lookahead: {count[1]} trades re-checked" in text.stdout and "minimum trades 5" in text.stdout


def test_an_unsafe_strategy_is_refused_before_anything_runs(datadir: Path, tmp_path: Path) -> None:
    evil = write(tmp_path, "Evil", '        __import__("os").system("true")')
    with pytest.raises(AuditFailedError):
        check_strategy(evil, datadir, work_dir=tmp_path / "runs", pairs=["ETH/BTC"], timerange=SPAN)
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("example", ["breakout", "mean_reversion", "trend_following"])
def test_every_bundled_example_is_clean_on_the_raw_shared_candles(example: str, tmp_path: Path) -> None:
    """Rendered as shipped, checked on the unrounded real candles (the check reads them through the tick
    grid, as every backtest does): enough trades re-checked, nothing moved."""
    from gentrade.examples import load_example
    from gentrade.services.strategy_saving import build_strategy

    built = build_strategy(load_example(example), tmp_path)
    report = check_strategy(
        built.path,
        REAL,
        work_dir=tmp_path / "runs",
        pairs=["ETH/BTC", "LTC/BTC"],
        timerange="20180111-20180120",
        minimum_trade_amount=10,
        targeted_trade_amount=10,
    )
    assert report.verdict == "clean", report
    assert report.lookahead["total_signals"] == 10


HONEST_INFORMATIVE = {
    "merge_informative_pair": (
        '        informative = self.dp.get_pair_dataframe("LTC/BTC", "1h")\n'
        '        informative["trend"] = informative["close"].rolling(3).mean()\n'
        "        dataframe = merge_informative_pair(\n"
        '            dataframe, informative, self.timeframe, "1h", ffill=True\n'
        "        )",
        'dataframe["close_1h"] > dataframe["trend_1h"]',
        INFORMATIVE,
    ),
    "informative_decorator": (
        "",
        'dataframe["ltc_btc_close_1h"] > dataframe["ltc_btc_trend_1h"]',
        """
    @informative("1h", "LTC/BTC")
    def populate_indicators_ltc_1h(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["trend"] = dataframe["close"].rolling(3).mean()
        return dataframe
""",
    ),
}


@pytest.mark.parametrize("kind", sorted(HONEST_INFORMATIVE))
def test_an_informative_pair_merged_the_way_freqtrade_documents_is_clean(
    kind: str, datadir: Path, tmp_path: Path
) -> None:
    """The closed-candle cut must not flag the documented merges: an hourly candle merged onto the last 5m
    candle of its hour (it closes with that candle) is known when the 5m candle's signal is acted on."""
    indicators, entry, extra = HONEST_INFORMATIVE[kind]
    path = write(tmp_path, "Informed", indicators, f"({HONEST_ENTRY}) & ({entry})", extra)
    path.write_text(
        path.read_text().replace(
            "from freqtrade.strategy import IStrategy",
            "from freqtrade.strategy import IStrategy, informative, merge_informative_pair",
        )
    )
    report = check_one_pair(path, datadir, tmp_path)
    assert report.verdict == "clean", report


# Callbacks that keep the analysed frame on ``self`` and read the candle they are deciding on (or the next
# one): freqtrade's cut keeps those rows whole, so only hiding the decision candle shows the peek.
KEEP_FRAME = '        self.seen = dataframe.set_index("date")'
CALLBACK_PEEKS = {
    "exit_reads_its_own_candle": """
    def custom_exit(self, pair, trade, current_time, current_rate, current_profit, **kwargs):
        candle = self.seen.loc[current_time]
        if candle["close"] < candle["open"] * 0.999:
            return "dodge"
        return None
""",
    "entry_reads_its_own_candle": """
    def confirm_trade_entry(
        self, pair, order_type, amount, rate, time_in_force, current_time, entry_tag, side, **kwargs
    ):
        candle = self.seen.loc[current_time]
        return bool(candle["close"] > candle["open"])
""",
    "exit_reads_the_next_open": """
    def custom_exit(self, pair, trade, current_time, current_rate, current_profit, **kwargs):
        later = current_time + timedelta(minutes=5)
        if later in self.seen.index and self.seen.loc[later, "open"] < current_rate * 0.999:
            return "dodge"
        return None
""",
}
HONEST_CALLBACK = """
    def custom_exit(self, pair, trade, current_time, current_rate, current_profit, **kwargs):
        frame, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
        candle = frame.iloc[-1]
        if candle["close"] < candle["open"] * 0.999:
            return "dodge"
        return None
"""


def write_with_callback(folder: Path, name: str, callback: str) -> Path:
    path = write(folder, name, KEEP_FRAME, extra=callback)
    path.write_text("from datetime import timedelta\n" + path.read_text())
    return path


@pytest.mark.parametrize("kind", sorted(CALLBACK_PEEKS))
def test_a_callback_reading_the_candle_it_decides_on_is_biased(
    kind: str, datadir: Path, tmp_path: Path
) -> None:
    strategy = write_with_callback(tmp_path, "PeekingCallback", CALLBACK_PEEKS[kind])
    report = check_one_pair(strategy, datadir, tmp_path)
    assert report.verdict == "biased", report
    side = "entry" if kind.startswith("entry") else "exit"
    hidden = [t for t in report.lookahead["biased_trades"] if t["found_by"] == "decision candle hidden"]
    assert hidden and all(t[f"{side}_biased"] for t in hidden), report.lookahead["biased_trades"]
    assert f"{side} of the trade opened" in report.reason and "(decision candle hidden)" in report.reason


def test_the_same_callback_reading_only_closed_candles_is_clean(datadir: Path, tmp_path: Path) -> None:
    strategy = write_with_callback(tmp_path, "ClosedCallback", HONEST_CALLBACK)
    report = check_one_pair(strategy, datadir, tmp_path)
    assert report.verdict == "clean", report
    assert report.lookahead["total_signals"] >= 5
