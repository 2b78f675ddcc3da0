"""The spec's ``risk:`` section, proven by freqtrade's own backtest on candle series built to trip each limit.

Every probe enters on each candle it may (``close > 0``), one trade at a time, with a percent stop.
A "crash" candle opens at 100, dips to 97 and closes at 100: a trade entered at its open is stopped out at
98 inside it, so a run of crash candles is a run of stop-outs. Flat candles afterwards keep the last trade
open to the end (no target is reached), so "when did the next trade open" is the thing to read.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from gentrade.data import store
from gentrade.engine import BacktestResult
from gentrade.services.backtests import backtest_spec
from gentrade.settings import Settings
from gentrade.spec import StrategySpec, parse_spec

PAIR = "RISK/USDT"
START = datetime(2024, 1, 1, tzinfo=UTC)
FEE = 0.001 + 0.0005  # the runner's defaults: exchange fee plus slippage, per side
CRASH = (100.0, 100.0, 97.0, 100.0)
FLAT = (100.0, 100.0, 100.0, 100.0)
#: The trade open since the flat start stops out on the first crash, two more on the next two.
THREE_CRASHES = [FLAT] * 30 + [CRASH] * 3 + [FLAT] * 30

pytestmark = pytest.mark.slow  # real backtests


def write_series(datadir: Path, rows: list[tuple[float, float, float, float]]) -> None:
    frame = pd.DataFrame(
        [(START + timedelta(minutes=5 * i), *row, 1000.0) for i, row in enumerate(rows)],
        columns=["date", "open", "high", "low", "close", "volume"],
    )
    store.save_candles(datadir, PAIR, "5m", frame)


def probe(risk: dict[str, Any], stop_percent: float = 2.0) -> StrategySpec:
    return parse_spec(
        {
            "name": "RiskProbe",
            "pairs": [PAIR],
            "entry_long": {"left": "close", "op": ">", "right": 0},
            "stop": {"initial": {"percent": stop_percent}},
            "take_profit": [{"target": {"percent": 50}, "fraction": 1.0}],
            "risk": {"max_open_trades": 1, **risk},
        }
    )


def run(tmp_path: Path, spec: StrategySpec, rows: list[tuple[float, float, float, float]]) -> BacktestResult:
    write_series(tmp_path / "data", rows)
    _built, result = backtest_spec(
        Settings(),
        spec,
        strategies_dir=tmp_path / "strategies",
        datadir=tmp_path / "data",
        timerange=None,
        results_dir=tmp_path / "results",
    )
    return result


def locks(result: BacktestResult) -> list[dict[str, Any]]:
    """The pair locks freqtrade recorded in its own result file."""
    assert result.run is not None
    with zipfile.ZipFile(result.run.result_zip) as archive:
        name = next(
            n for n in archive.namelist() if n.endswith(".json") and not n.endswith(("_config.json",))
        )
        content = json.loads(archive.read(name))
    return list(content["strategy"]["RiskProbe"]["locks"])


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_stoploss_guard_locks_the_pair_after_three_stop_outs(tmp_path: Path) -> None:
    guard = {
        "method": "StoplossGuard",
        "trade_limit": 3,
        "lookback_period_candles": 12,
        "stop_duration_candles": 6,
        "only_per_pair": True,
    }
    result = run(tmp_path, probe({"protections": [guard]}), THREE_CRASHES)

    stopped = [t for t in result.trade_list if t.exit_reason == "stop_loss"]
    assert len(stopped) == 3, [(t.open_date, t.exit_reason) for t in result.trade_list]
    found = locks(result)
    assert [(lock["pair"], lock["reason"].split(" ")[0]) for lock in found] == [(PAIR, "3")]
    assert "stoplosses" in found[0]["reason"]
    third_stop = stopped[-1].close_date
    assert third_stop is not None
    assert found[0]["lock_timestamp"] == ms(third_stop)
    # Locked for 6 candles: the next trade opens when the lock ends, not on the candle after the stop-out.
    following = [t for t in result.trade_list if t.open_date > third_stop]
    assert len(following) == 1
    assert ms(following[0].open_date) >= found[0]["lock_end_timestamp"]
    assert following[0].open_date - third_stop >= timedelta(minutes=30)
    assert following[0].is_open or following[0].exit_reason == "force_exit"


def test_without_protections_the_next_trade_opens_on_the_candle_after_the_stop_out(tmp_path: Path) -> None:
    result = run(tmp_path, probe({}), THREE_CRASHES)
    stops = [t.close_date for t in result.trade_list if t.exit_reason == "stop_loss"]
    assert len(stops) == 3 and stops[-1] is not None
    assert [t.open_date for t in result.trade_list][-1] == stops[-1] + timedelta(minutes=5)
    assert locks(result) == []


def test_daily_loss_limit_stops_entries_for_the_rest_of_the_utc_day(tmp_path: Path) -> None:
    # Full-wallet trades with a 2 % stop lose ~2.3 % each: the second stop-out passes a 3 % daily limit.
    day = 288
    rows = [FLAT] * 30 + [CRASH] * 40 + [FLAT] * (day - 70) + [CRASH] * 3 + [FLAT] * 20
    result = run(tmp_path, probe({"daily_loss_limit": "3%"}), rows)

    first_day = [t for t in result.trade_list if t.open_date < START + timedelta(days=1)]
    assert [t.exit_reason for t in first_day] == ["stop_loss", "stop_loss"]
    loss = -sum(t.profit_abs for t in first_day)
    assert 0.03 * 1000 <= loss < 0.05 * 1000
    found = locks(result)
    assert found and found[0]["pair"] == "*" and found[0]["reason"] == "daily_loss_limit"
    assert found[0]["lock_end_timestamp"] == ms(START + timedelta(days=1))
    # The next day starts afresh: the first crash candle of day two stops a trade out again.
    second_day = [t for t in result.trade_list if t.open_date >= START + timedelta(days=1)]
    assert second_day and second_day[0].open_date == START + timedelta(days=1)
    assert second_day[0].exit_reason == "stop_loss"


def test_risk_sizing_puts_one_percent_of_the_wallet_at_the_initial_stop(tmp_path: Path) -> None:
    rows = [FLAT] * 30 + [(100.0, 100.0, 94.0, 100.0)] * 2 + [FLAT] * 10
    result = run(tmp_path, probe({"risk_per_trade": 1, "max_stake_fraction": 0.5}, stop_percent=5), rows)

    wallet = 1000.0
    stopped = [t for t in result.trade_list if t.exit_reason == "stop_loss"]
    assert len(stopped) == 2
    for trade in stopped:
        # 1 % of the wallet at a 5 % stop is a stake of 20 % of the wallet.
        assert trade.max_stake_amount == pytest.approx(wallet * 0.01 / 0.05, rel=1e-3)
        price_loss = trade.amount * (trade.open_rate - (trade.close_rate or 0.0))
        assert price_loss == pytest.approx(wallet * 0.01, rel=1e-3)
        fees = trade.amount * (trade.open_rate + (trade.close_rate or 0.0)) * FEE
        assert -trade.profit_abs == pytest.approx(price_loss + fees, rel=1e-3)
        wallet += trade.profit_abs


def test_max_stake_fraction_caps_a_risk_sized_stake(tmp_path: Path) -> None:
    rows = [FLAT] * 30 + [(100.0, 100.0, 94.0, 100.0)] + [FLAT] * 10
    # 2 % of the wallet at a 5 % stop would be 40 % of it; the cap is 25 %.
    result = run(tmp_path, probe({"risk_per_trade": 2, "max_stake_fraction": 0.25}, stop_percent=5), rows)
    assert result.trade_list[0].max_stake_amount == pytest.approx(250.0, rel=1e-3)
