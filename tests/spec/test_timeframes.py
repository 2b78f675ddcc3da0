"""One timeframe table: the spec's. The literal a spec validates against, the data store and the testnet's
kline intervals all agree with it, so no two places can give a timeframe different lengths."""

from __future__ import annotations

from typing import get_args

import pytest

from gentrade.errors import ConfigError
from gentrade.exchange.intervals import INTERVALS, SECOND
from gentrade.spec import TIMEFRAME_SECONDS, Timeframe, timeframe_seconds


def test_the_spec_literal_names_exactly_the_tables_timeframes() -> None:
    assert list(get_args(Timeframe)) == list(TIMEFRAME_SECONDS)


def test_lengths_ascend_and_each_is_a_whole_multiple_of_the_minute() -> None:
    lengths = list(TIMEFRAME_SECONDS.values())
    assert lengths == sorted(lengths) and len(set(lengths)) == len(lengths)
    assert (
        TIMEFRAME_SECONDS["5m"] == 300
        and TIMEFRAME_SECONDS["4h"] == 14_400
        and TIMEFRAME_SECONDS["1w"] == 604_800
    )


def test_the_testnet_intervals_are_the_table_plus_binances_second_klines() -> None:
    assert list(INTERVALS) == ["1s", *TIMEFRAME_SECONDS]
    assert all(INTERVALS[name] == seconds * SECOND for name, seconds in TIMEFRAME_SECONDS.items())
    assert INTERVALS["1s"] == SECOND


@pytest.mark.parametrize("bad", ["7m", "1M", "1s", "5 minutes", ""])
def test_an_unknown_timeframe_is_a_config_error_naming_it_and_the_known_ones(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        timeframe_seconds(bad)
    assert repr(bad) in str(caught.value) and "1m, 3m, 5m" in str(caught.value)
