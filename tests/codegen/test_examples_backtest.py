"""Every bundled example renders, passes the audit and trades on the real Binance candles."""

from __future__ import annotations

from pathlib import Path

import pytest

from gentrade.codegen import render, strategy_filename
from gentrade.examples import load_examples
from gentrade.safety import audit
from gentrade.services.backtests import backtest_spec
from gentrade.settings import Settings
from gentrade.spec import StrategySpec

REAL_PAIRS = ["ETH/BTC", "ADA/BTC", "LTC/BTC"]


@pytest.mark.parametrize("spec", load_examples(), ids=lambda s: s.name)
def test_generated_sources_pass_the_audit(spec: StrategySpec) -> None:
    report = audit(render(spec), filename=strategy_filename(spec))
    assert report.ok, report.summary()
    assert report.class_name == spec.name


@pytest.mark.slow
@pytest.mark.parametrize("spec", load_examples(), ids=lambda s: s.name)
def test_example_backtests_on_real_candles_with_trades(
    spec: StrategySpec, shared_data_dir: Path, tmp_path: Path
) -> None:
    built, result = backtest_spec(
        Settings(),
        spec,
        strategies_dir=tmp_path / "strategies",
        datadir=shared_data_dir,
        timerange="20180110-20180130",
        pairs=REAL_PAIRS,
        results_dir=tmp_path / "results",
    )
    assert built.path.read_text() == render(spec)
    assert result.trades >= 1
    assert sorted(result.pairs) == sorted(REAL_PAIRS)
    assert result.fee == pytest.approx(result.exchange_fee + result.slippage) and result.fee > 0
    assert result.run is not None and result.run.result_zip.is_file()
    # The ladder really ran: at least one take-profit partial exit was filled and counted by its tag.
    assert any(reason.startswith("tp") for reason in result.exit_reasons)
