"""`to_spec`: a signal's ladder, stop, break-even and validity carry over as distances from the entry; the
entry rule is a cross of the entry level; the spec renders, passes the audit and backtests on real candles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agents.offline import analyze
from gentrade.codegen import render
from gentrade.data import store
from gentrade.errors import SpecValidationError
from gentrade.safety import require_clean
from gentrade.services.backtests import backtest_spec
from gentrade.settings import Settings
from gentrade.signals.to_spec import to_spec
from gentrade.spec import Comparison, Const, Percent, Price, TradeSignal


def test_long_ladder_stop_and_entry_rule(make_signal: Callable[..., TradeSignal]) -> None:
    signal = make_signal("ETH/BTC", "2018-01-20T00:00:00Z", 100.0, 95.0, [(102.0, 0.5), (110.0, 0.5)])
    spec = to_spec(signal)
    assert (spec.name, spec.pairs, spec.timeframe, spec.direction) == (
        "SignalEthBtc1hLong",
        ["ETH/BTC"],
        "1h",
        "long",
    )
    assert [(level.target, level.fraction) for level in spec.take_profit] == [
        (Percent(percent=2.0), 0.5),
        (Percent(percent=10.0), 0.5),
    ]
    assert spec.stop.initial == Percent(percent=5.0) and spec.stop.breakeven_after_level == 1
    close = Price(column="close")
    assert spec.entry_long == Comparison(left=close, op="crosses_above", right=Const(value=100.0))
    assert spec.entry_short is None and spec.max_candles_in_trade == signal.valid_for_candles


def test_short_crosses_below_and_no_breakeven(make_signal: Callable[..., TradeSignal]) -> None:
    signal = make_signal(
        "LTC/BTC",
        "2018-01-20T00:00:00Z",
        50.0,
        55.0,
        [(45.0, 1.0)],
        direction="short",
        breakeven_after_tp1=False,
        timeframe="4h",
    )
    spec = to_spec(signal, name="MyShortSignal")
    assert spec.name == "MyShortSignal" and spec.direction == "short" and spec.timeframe == "4h"
    close = Price(column="close")
    assert spec.entry_short == Comparison(left=close, op="crosses_below", right=Const(value=50.0))
    assert spec.take_profit[0].target == Percent(percent=10.0) and spec.stop.initial == Percent(percent=10.0)
    assert spec.stop.breakeven_after_level is None


def test_a_wide_stop_widens_the_cap_and_an_impossible_one_is_refused(
    make_signal: Callable[..., TradeSignal],
) -> None:
    wide = to_spec(make_signal("ETH/BTC", "2018-01-20T00:00:00Z", 100.0, 60.0, [(150.0, 1.0)]))
    assert wide.stop.initial == Percent(percent=40.0) and wide.stop.max_percent == 40.0
    with pytest.raises(SpecValidationError, match="percent"):
        to_spec(make_signal("ETH/BTC", "2018-01-20T00:00:00Z", 100.0, 5.0, [(150.0, 1.0)]))


@pytest.mark.slow
def test_analyst_signal_renders_audits_and_backtests(real_datadir: Path, tmp_path: Path) -> None:
    candles = store.load_candles_frame(real_datadir, "ETH/BTC", "1h", resample=True)
    signal = analyze(candles[candles["date"] < "2018-01-25"].reset_index(drop=True), "ETH/BTC", "1h").signal
    assert signal.direction == "long"  # spot backtests cannot short
    spec = to_spec(signal)
    require_clean(render(spec), filename=f"{spec.name}.py")
    # freqtrade cannot resample: give it the 1h series the analyst read.
    store.save_candles(tmp_path / "data", "ETH/BTC", "1h", candles)
    built, result = backtest_spec(
        Settings(),
        spec,
        strategies_dir=tmp_path / "strategies",
        datadir=tmp_path / "data",
        timerange="20180112-20180130",
        results_dir=tmp_path / "runs",
    )
    assert built.path.name == f"{spec.name}.py"
    assert result.strategy == spec.name and result.pairs == ["ETH/BTC"] and result.timeframe == "1h"
    assert result.trades >= 1, "the price crosses the entry level in these 18 days: the spec must trade"
