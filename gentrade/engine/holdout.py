"""An in-sample / held-back split of a backtest range, so a result is never shown without the part of the
data the strategy was not shaped on.

The later ``HELD_BACK_SHARE`` of the range (whole days) is held back: in-sample runs first, the held-back
range is backtested once with the same strategy, and both are shown side by side with the split date. A
range given open-ended is closed by the candles every pair has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gentrade.data import store
from gentrade.errors import ConfigError, DataMissingError

HELD_BACK_SHARE = 0.3
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Split:
    in_sample: str
    held_back: str
    start: datetime
    split_at: datetime
    end: datetime


def _day(moment: datetime) -> str:
    return f"{moment:%Y%m%d}"


def _data_span(datadir: Path, pairs: list[str], timeframe: str) -> tuple[datetime, datetime]:
    starts, ends = [], []
    for pair in pairs:
        dates = store.load_candles_frame(datadir, pair, timeframe)["date"]
        if dates.empty:
            raise DataMissingError(f"no {timeframe} candles for {pair}", details={"pair": pair})
        starts.append(dates.min().to_pydatetime())
        ends.append(dates.max().to_pydatetime())
    return max(starts), min(ends)


def split_timerange(
    datadir: Path, pairs: list[str], timeframe: str, timerange: str | None, share: float = HELD_BACK_SHARE
) -> Split:
    """The in-sample and held-back freqtrade timeranges of ``timerange`` (default: the data's span)."""
    if not 0 < share < 1:
        raise ConfigError(f"held-back share must lie between 0 and 1, got {share}")
    asked = store.TimeRange.parse(timerange)
    if asked.start is None or asked.stop is None:
        first, last = _data_span(datadir, pairs, timeframe)
        start = asked.start or first.replace(hour=0, minute=0, second=0, microsecond=0) + _DAY
        stop = asked.stop or last.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start, stop = asked.start, asked.stop
    days = (stop - start).days
    held = max(1, int(days * share))
    if days - held < 1:
        raise ConfigError(
            f"timerange {_day(start)}-{_day(stop)} is too short to hold part of it back (need 2 days or more)"
        )
    split_at = stop - held * _DAY
    return Split(
        in_sample=f"{_day(start)}-{_day(split_at)}",
        held_back=f"{_day(split_at)}-{_day(stop)}",
        start=start,
        split_at=split_at,
        end=stop,
    )
