"""Which ``--timeframe-detail`` a backtest uses.

Without detail candles freqtrade checks stops once per candle against its high and low, raises a trailing
stop with the high and fills it in that same candle (sometimes above the open: an optimistic fill no market
would give). With 1m detail candles it walks each candle minute by minute, so GenTrade asks for them by
default whenever the data dir holds them for every pair over the whole timerange.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from gentrade.data import store
from gentrade.errors import ConfigError
from gentrade.spec.common import timeframe_seconds

AUTO: Final = "auto"
DEFAULT_DETAIL: Final = "1m"


def choose_detail(
    datadir: Path, pairs: list[str], timeframe: str, timerange: str | None, asked: str | None
) -> str | None:
    """The detail timeframe for this run: ``asked`` as given (None = none), or with ``"auto"`` 1m when
    1m candles cover every pair over the timerange and the strategy's timeframe is coarser."""
    if asked is None:
        return None
    if asked == AUTO:
        if timeframe_seconds(DEFAULT_DETAIL) >= timeframe_seconds(timeframe):
            return None
        covered = all(
            store.check_coverage(datadir, pair, DEFAULT_DETAIL, timerange).complete
            and store.candles_path(datadir, pair, DEFAULT_DETAIL).is_file()
            for pair in pairs
        )
        return DEFAULT_DETAIL if covered else None
    if timeframe_seconds(asked) >= timeframe_seconds(timeframe):
        raise ConfigError(
            f"timeframe_detail {asked} must be shorter than the strategy's timeframe {timeframe}"
        )
    store.require_coverage(datadir, pairs, asked, timerange)
    return asked
