"""Runs freqtrade: offline exchange, backtest runner (contained child process), typed results.

Importing this package does not import freqtrade; only the backtest child and the result parser do.
"""

from gentrade.engine.result import BacktestResult, RunInfo
from gentrade.engine.runner import run_backtest

__all__ = ["BacktestResult", "RunInfo", "run_backtest"]
