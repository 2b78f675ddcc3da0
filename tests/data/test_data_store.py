"""The candle store reads freqtrade's layout and says exactly which pair, timeframe and range is missing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from gentrade.data import store
from gentrade.errors import ConfigError, DataMissingError


def test_paths_follow_freqtrades_layout(tmp_path: Path) -> None:
    assert store.candles_path(tmp_path, "ETH/BTC", "5m") == tmp_path / "ETH_BTC-5m.feather"
    with pytest.raises(ConfigError):
        store.candles_path(tmp_path, "ETHBTC", "5m")
    with pytest.raises(ConfigError):
        store.candles_path(tmp_path, "ETH/BTC", "5 minutes")


def test_lists_pairs_and_timeframes_of_the_shared_data(shared_data_dir: Path) -> None:
    pairs = store.list_pairs(shared_data_dir, "5m")
    assert {"ETH/BTC", "ADA/BTC", "LTC/BTC", "UNITTEST/BTC"} <= set(pairs)
    assert store.list_timeframes(shared_data_dir, "UNITTEST/BTC") == ["1m", "5m", "30m"]
    assert store.list_pairs(shared_data_dir, "30m") == ["UNITTEST/BTC"]


def test_files_of_timeframes_outside_the_table_are_not_listed(tmp_path: Path) -> None:
    for name in ("ETH_BTC-5m.feather", "ETH_BTC-1s.feather", "ETH_BTC-1M.feather", "ETH_BTC-7m.feather"):
        (tmp_path / name).touch()
    assert store.available(tmp_path) == [("ETH/BTC", "5m")]
    with pytest.raises(ConfigError, match="unknown timeframe '7m'"):
        store.candles_path(tmp_path, "ETH/BTC", "7m")


def test_loads_sorted_utc_candles(shared_data_dir: Path) -> None:
    candles = store.load_candles_frame(shared_data_dir, "ETH/BTC", "5m")
    assert list(candles.columns) == ["date", "open", "high", "low", "close", "volume"]
    assert str(candles["date"].dt.tz) == "UTC"
    assert candles["date"].is_monotonic_increasing
    assert candles["date"].iloc[0] == datetime(2018, 1, 10, 4, 55, tzinfo=UTC)


def test_resample_builds_a_missing_timeframe_from_complete_finer_buckets(shared_data_dir: Path) -> None:
    fine = store.load_candles_frame(shared_data_dir, "ETH/BTC", "5m")
    hourly = store.load_candles_frame(shared_data_dir, "ETH/BTC", "1h", resample=True)
    assert list(hourly.columns) == list(store.CANDLE_COLUMNS)
    assert (hourly["date"].diff().dropna() >= pd.Timedelta(hours=1)).all()
    # The data starts at 04:55: that hour holds one 5m candle of twelve, so it is not a candle yet.
    assert hourly["date"].iloc[0] == datetime(2018, 1, 10, 5, tzinfo=UTC)
    first = fine[(fine["date"] >= hourly["date"].iloc[0]) & (fine["date"] < hourly["date"].iloc[1])]
    assert len(first) == 12
    assert hourly.iloc[0][["open", "high", "low", "close", "volume"]].tolist() == [
        first["open"].iloc[0],
        first["high"].max(),
        first["low"].min(),
        first["close"].iloc[-1],
        pytest.approx(first["volume"].sum()),
    ]


def test_resample_is_asked_for_and_needs_a_finer_file_that_divides(shared_data_dir: Path) -> None:
    with pytest.raises(DataMissingError, match="no 1h candles for ETH/BTC"):
        store.load_candles_frame(shared_data_dir, "ETH/BTC", "1h")
    with pytest.raises(DataMissingError, match="no candles for XRP/BTC at 1h or finer"):
        store.load_candles_frame(shared_data_dir, "XRP/BTC", "1h", resample=True)
    assert store.load_candles_frame(shared_data_dir, "UNITTEST/BTC", "30m", resample=True).equals(
        store.load_candles_frame(shared_data_dir, "UNITTEST/BTC", "30m")
    )


def test_missing_file_names_pair_and_timeframe(shared_data_dir: Path) -> None:
    with pytest.raises(DataMissingError, match=r"XRP/BTC") as caught:
        store.load_candles_frame(shared_data_dir, "XRP/BTC", "5m")
    assert "5m" in caught.value.message


@pytest.mark.parametrize(
    ("text", "start", "stop"),
    [
        ("20180110-20180130", datetime(2018, 1, 10, tzinfo=UTC), datetime(2018, 1, 30, tzinfo=UTC)),
        ("20180110-", datetime(2018, 1, 10, tzinfo=UTC), None),
        ("-20180130", None, datetime(2018, 1, 30, tzinfo=UTC)),
        ("1515542400-1517270400", datetime(2018, 1, 10, tzinfo=UTC), datetime(2018, 1, 30, tzinfo=UTC)),
        (None, None, None),
    ],
)
def test_timerange_parsing_agrees_with_freqtrade(text: str | None, start: datetime, stop: datetime) -> None:
    from freqtrade.configuration import TimeRange as FreqtradeTimeRange

    parsed = store.TimeRange.parse(text)
    assert (parsed.start, parsed.stop) == (start, stop)
    theirs = FreqtradeTimeRange.parse_timerange(text)
    assert (theirs.startdt, theirs.stopdt) == (start, stop)


@pytest.mark.parametrize("text", ["2018-01-10", "20180130-20180110", "-", "2018011-"])
def test_invalid_timeranges_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        store.TimeRange.parse(text)


def test_coverage_accepts_the_data_span_and_counts_interior_gaps(shared_data_dir: Path) -> None:
    coverage = store.check_coverage(shared_data_dir, "ADA/BTC", "5m", "20180110-20180130")
    assert coverage.complete
    assert coverage.first == datetime(2018, 1, 10, 4, 55, tzinfo=UTC)
    assert coverage.interior_gaps > 0  # ADA/BTC has 5720 of 5760 candles


def test_coverage_names_what_is_missing_at_either_end(shared_data_dir: Path) -> None:
    coverage = store.check_coverage(shared_data_dir, "ETH/BTC", "5m", "20171201-20180301")
    assert coverage.missing == [
        (datetime(2017, 12, 1, tzinfo=UTC), datetime(2018, 1, 10, 4, 55, tzinfo=UTC)),
        (datetime(2018, 1, 30, 4, 55, tzinfo=UTC), datetime(2018, 3, 1, tzinfo=UTC)),
    ]


def test_require_coverage_names_pair_timeframe_and_range(shared_data_dir: Path) -> None:
    with pytest.raises(DataMissingError) as caught:
        store.require_coverage(shared_data_dir, ["ETH/BTC", "XRP/BTC"], "5m", "20180115-20180220")
    message = caught.value.message
    assert "XRP/BTC 5m: no candles" in message
    assert "ETH/BTC 5m: missing 2018-01-30 04:55 → 2018-02-20 00:00" in message
    assert {d["pair"] for d in caught.value.details} == {"ETH/BTC", "XRP/BTC"}


def test_require_coverage_passes_for_covered_data(shared_data_dir: Path) -> None:
    store.require_coverage(shared_data_dir, ["ETH/BTC", "ADA/BTC", "LTC/BTC"], "5m", "20180111-20180130")
    store.require_coverage(shared_data_dir, ["ETH/BTC"], "5m", None)
