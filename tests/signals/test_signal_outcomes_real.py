"""Outcomes on real Binance candles, each checked against arithmetic done by hand from the candle values.

Every expected figure below is written from the candles quoted in the comments (read from the feather
files), with the default costs: $1000, fee 0.1 % per side, slippage 0.1 % per fill. A long buys at
``entry × 1.001`` and sells at ``level × 0.999``; a short sells at ``entry × 0.999`` and buys back at
``level × 1.001``; the fee is 0.1 % of every fill's notional (the entry notional is $1000, so $1). The
break-even stop sits at the entry plus the round-trip costs (``gentrade.spec.costs``, fee + slippage =
0.2 % per side): ``entry × 1.002 / 0.998`` for a long, ``entry × 0.998 / 1.002`` for a short.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from gentrade.signals import Candles, candles_from_frame, evaluate, load_candles_arrays
from gentrade.spec.signal import TradeSignal


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def eth(real_datadir: Path) -> Candles:
    return load_candles_arrays(real_datadir, "ETH/BTC", "5m")


def test_long_tp1_then_stop_at_break_even(eth: Candles, make_signal: Callable[..., TradeSignal]) -> None:
    # ETH/BTC 5m  05:00 o .09946999 h .09972380 l .09900000 ≤ entry .0995 → entered (TP1 .1, stop .098)
    #             05:05 h .10072981 ≥ .1 → TP1 (50 %); l .09900001 < break-even, which starts next candle
    #             05:10 o .09999 l .09880000 ≤ break-even .0995 × 1.002 / 0.998 = .09989880 → stop there
    signal = make_signal(
        "ETH/BTC", "2018-01-10T05:00:00+00:00", 0.0995, 0.098, [(0.1, 0.5), (0.101, 0.3), (0.102, 0.2)]
    )
    outcome = evaluate(signal, eth)

    qty = 1000 / (0.0995 * 1.001)  # 10040.2110 ETH
    breakeven = 0.0995 * 1.002 / 0.998
    tp1 = 0.5 * qty * (0.1 * 0.999 - 0.0995 * 1.001)  # +1.508542
    be = 0.5 * qty * (breakeven * 0.999 - 0.0995 * 1.001)  # +1.001003
    fees = 1000 * 0.001 + 0.001 * 0.5 * qty * 0.1 * 0.999 + 0.001 * 0.5 * qty * breakeven * 0.999  # 2.002510
    assert outcome.breakeven_price == pytest.approx(breakeven, rel=1e-15)
    assert outcome.net_pnl == pytest.approx(tp1 + be - fees, abs=1e-9)
    # The break-even half nets zero (its exit, its fee, half the entry fee), to 2e-6 (the fee on the
    # slippage is not in the cost): only TP1's half is left.
    assert be - 0.5 - 0.001 * 0.5 * qty * breakeven * 0.999 == pytest.approx(0, abs=3e-6)
    assert outcome.net_pnl_rounded == 0.51  # TP1's half minus its own costs
    assert outcome.gross_pnl_rounded == 4.52  # 1000 × 0.5 × (0.1 + .09989922 − 2 × .0995) / .0995
    assert outcome.fees_rounded == 2.00
    assert outcome.entered_at == at("2018-01-10T05:00") and outcome.entry_fill_price == 0.0995 * 1.001
    assert outcome.status == "completed_success"
    assert outcome.targets_hit_at == [at("2018-01-10T05:05"), None, None]
    assert outcome.stop_hit_at == at("2018-01-10T05:10") and outcome.stop_was_breakeven
    assert [f.kind for f in outcome.fills] == ["target", "breakeven_stop"]
    assert outcome.duration == timedelta(minutes=10)
    assert outcome.closed_fraction == 1.0 and outcome.open_fraction == 0.0
    assert outcome.data_quality.coverage == 1.0 and outcome.data_quality.expected_candles == 72


def test_long_below_the_market_never_reached_is_not_triggered(
    eth: Candles, make_signal: Callable[..., TradeSignal]
) -> None:
    # ETH/BTC 5m 12:00-18:00: every target is reached (TP1 .0885 at 12:30, TP2 .09 at 12:50, TP3 .0915 at
    # 13:35), but the lowest low is .08731003 > entry .0873: the buy order never fills, so no trade.
    signal = make_signal(
        "ETH/BTC", "2018-01-12T12:00:00+00:00", 0.0873, 0.086, [(0.0885, 0.4), (0.0900, 0.3), (0.0915, 0.3)]
    )
    outcome = evaluate(signal, eth)
    assert outcome.status == "not_triggered"
    assert outcome.fills == [] and outcome.targets_hit == 0 and outcome.stop_hit_at is None
    assert outcome.entered_at is None and outcome.entry_fill_price is None
    assert (outcome.net_pnl, outcome.gross_pnl, outcome.fees) == (0.0, 0.0, 0.0)
    assert outcome.closed_fraction == outcome.open_fraction == 0.0 and not outcome.decided


def test_long_all_three_targets(eth: Candles, make_signal: Callable[..., TradeSignal]) -> None:
    # Entry .0874 reached at once (12:00 l .08731003); from 12:05: TP1 .0885 first reached 12:30
    # (h .08929248), TP2 .0900 at 12:50 (h .090812), TP3 .0915 at 13:35 (h .09162365); lows after TP1 stay
    # ≥ .08860001 > break-even .0874 × 1.002 / .998 = .08775030, and the stop .086 is never near.
    signal = make_signal(
        "ETH/BTC", "2018-01-12T12:00:00+00:00", 0.0874, 0.086, [(0.0885, 0.4), (0.0900, 0.3), (0.0915, 0.3)]
    )
    outcome = evaluate(signal, eth)

    qty = 1000 / (0.0874 * 1.001)
    legs = (
        0.4 * qty * (0.0885 * 0.999 - 0.0874 * 1.001)
        + 0.3 * qty * (0.0900 * 0.999 - 0.0874 * 1.001)
        + 0.3 * qty * (0.0915 * 0.999 - 0.0874 * 1.001)
    )  # 25.978027
    fees = 1 + 0.001 * qty * 0.999 * (0.4 * 0.0885 + 0.3 * 0.0900 + 0.3 * 0.0915)  # 2.025978
    assert outcome.net_pnl == pytest.approx(legs - fees, abs=1e-9)
    assert outcome.net_pnl_rounded == 23.95
    assert outcome.gross_pnl_rounded == 28.03  # 1000 × (0.4×.0011 + 0.3×.0026 + 0.3×.0041) / .0874
    assert outcome.status == "completed_success"
    assert outcome.entered_at == at("2018-01-12T12:00")
    assert outcome.targets_hit_at == [at("2018-01-12T12:30"), at("2018-01-12T12:50"), at("2018-01-12T13:35")]
    assert outcome.stop_hit_at is None
    assert outcome.closed_at == at("2018-01-12T13:35")
    assert outcome.duration == timedelta(minutes=95)


def test_long_stop_first(eth: Candles, make_signal: Callable[..., TradeSignal]) -> None:
    # ETH/BTC 5m 18:05: l .0889989 ≤ stop .089 while h .09051578 < TP1 .0925 (18:00 touched neither)
    signal = make_signal("ETH/BTC", "2018-01-10T18:00:00+00:00", 0.091, 0.089, [(0.0925, 0.5), (0.094, 0.5)])
    outcome = evaluate(signal, eth)

    qty = 1000 / (0.091 * 1.001)
    net = qty * (0.089 * 0.999 - 0.091 * 1.001) - 1 - 0.001 * qty * 0.089 * 0.999  # -23.932112 - 1.976068
    assert outcome.net_pnl == pytest.approx(net, abs=1e-9)
    assert outcome.net_pnl_rounded == -25.91
    assert outcome.gross_pnl_rounded == -21.98  # 1000 × (.089 / .091 − 1)
    assert outcome.status == "completed_failure"
    assert outcome.stop_hit_at == at("2018-01-10T18:05") and not outcome.stop_was_breakeven
    assert outcome.targets_hit == 0


def test_short_tp1_then_break_even_and_without_break_even(
    eth: Candles, make_signal: Callable[..., TradeSignal]
) -> None:
    # Short ETH/BTC at .0907, stop .0925, TP1 .0898 / TP2 .0880 (50/50). 5m candles from 20:00:
    #   20:00 h .091 ≥ .0907 → entered;  20:25 l .08999 (> TP1);  20:30 l .08937001 ≤ .0898 → TP1
    #   20:35 … 21:00 highs ≤ .090161 < break-even .0907 × 0.998 / 1.002 = .09033792;
    #   21:05 o .09014151 h .0910 ≥ .09033792 → break-even stop
    #   without break-even the stop stays at .0925 (window high .09142874) and 21:35 l .0879587 ≤ .088 → TP2
    signal = make_signal(
        "ETH/BTC",
        "2018-01-10T20:00:00+00:00",
        0.0907,
        0.0925,
        [(0.0898, 0.5), (0.088, 0.5)],
        direction="short",
    )
    outcome = evaluate(signal, eth)

    qty = 1000 / (0.0907 * 0.999)  # sold 0.1 % lower
    breakeven = 0.0907 * 0.998 / 1.002
    tp1 = 0.5 * qty * (0.0907 * 0.999 - 0.0898 * 1.001)  # bought back 0.1 % higher: +3.970343
    be = 0.5 * qty * (0.0907 * 0.999 - breakeven * 1.001)  # +0.999003
    fees = 1 + 0.001 * 0.5 * qty * (0.0898 * 1.001 + breakeven * 1.001)  # 1.995031
    assert outcome.net_pnl == pytest.approx(tp1 + be - fees, abs=1e-9)
    assert outcome.net_pnl_rounded == 2.97
    assert outcome.status == "completed_success"
    assert outcome.targets_hit_at == [at("2018-01-10T20:30"), None]
    assert outcome.stop_hit_at == at("2018-01-10T21:05") and outcome.stop_was_breakeven

    no_be = evaluate(signal.model_copy(update={"breakeven_after_tp1": False}), eth)
    tp2 = 0.5 * qty * (0.0907 * 0.999 - 0.088 * 1.001)
    fees2 = 1 + 0.001 * 0.5 * qty * (0.0898 * 1.001 + 0.088 * 1.001)
    assert no_be.net_pnl == pytest.approx(tp1 + tp2 - fees2, abs=1e-9)
    assert no_be.net_pnl_rounded == 15.90
    assert no_be.targets_hit_at == [at("2018-01-10T20:30"), at("2018-01-10T21:35")]


def test_short_all_targets(eth: Candles, make_signal: Callable[..., TradeSignal]) -> None:
    # Short .0985 (stop .0995, window high .09869996): TP1 .097 at 07:00 (l .096841), TP2 .096 at 10:30
    # (l .096), TP3 .0945 at 11:55 (l .09421); highs after 07:00 stay ≤ .09784568 < break-even .0985.
    signal = make_signal(
        "ETH/BTC",
        "2018-01-15T06:00:00+00:00",
        0.0985,
        0.0995,
        [(0.097, 0.5), (0.096, 0.3), (0.0945, 0.2)],
        direction="short",
    )
    outcome = evaluate(signal, eth)

    qty = 1000 / (0.0985 * 0.999)
    legs = [(0.5, 0.097), (0.3, 0.096), (0.2, 0.0945)]
    net = (
        sum(f * qty * (0.0985 * 0.999 - p * 1.001) for f, p in legs)
        - 1
        - sum(0.001 * f * qty * p * 1.001 for f, p in legs)
    )
    assert outcome.net_pnl == pytest.approx(net, abs=1e-9)
    assert outcome.net_pnl_rounded == 19.42
    assert outcome.status == "completed_success"
    assert outcome.targets_hit_at == [at("2018-01-15T07:00"), at("2018-01-15T10:30"), at("2018-01-15T11:55")]


@pytest.fixture(scope="module")
def unittest_1m(real_datadir: Path) -> Candles:
    return load_candles_arrays(real_datadir, "UNITTEST/BTC", "1m")


@pytest.fixture(scope="module")
def unittest_15m(real_datadir: Path) -> Candles:
    """Real 1m candles aggregated to 15m (the files hold no coarser candles for the 1m period)."""
    frame = pd.read_feather(real_datadir / "UNITTEST_BTC-1m.feather").set_index("date")
    bars = (
        frame.resample("15min", label="left", closed="left")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna()
    )
    return candles_from_frame(bars.reset_index(), "UNITTEST/BTC", "15m")


def test_candle_touching_target_and_stop(
    unittest_15m: Candles, unittest_1m: Candles, make_signal: Callable[..., TradeSignal]
) -> None:
    # Short UNITTEST/BTC at .00264, stop .00272, TP1 .002635 / TP2 .00255, from 2017-11-11 12:15.
    # 15m: 12:15 h .00264123 ≥ .00264 → entered (h < stop); 12:30 (15 complete 1m candles) has
    # l .00263003 ≤ TP1 and h .00277285 ≥ stop.
    # 1m: 12:30 l .00263003 ≤ .002635 → TP1 (h .0026755 < stop); from 12:31 the stop is break-even
    # .00264 × 0.998 / 1.002 = .00262946, but 12:31 *opens* at .00266057, already past it: a stop order
    # fills at that open, not at its own price.
    signal = make_signal(
        "UNITTEST/BTC",
        "2017-11-11T12:15:00+00:00",
        0.00264,
        0.00272,
        [(0.002635, 0.5), (0.00255, 0.5)],
        direction="short",
        valid_for_candles=1,
    )
    qty = 1000 / (0.00264 * 0.999)

    pessimistic = evaluate(signal, unittest_15m)
    stop_net = qty * (0.00264 * 0.999 - 0.00272 * 1.001) - 1 - 0.001 * qty * 0.00272 * 1.001
    assert pessimistic.net_pnl == pytest.approx(stop_net, abs=1e-9)
    assert pessimistic.net_pnl_rounded == -34.40
    assert pessimistic.status == "completed_failure"
    assert pessimistic.fills[0].resolved_by == "pessimistic"
    assert pessimistic.stop_hit_at == at("2017-11-11T12:30") and pessimistic.targets_hit == 0
    assert "assumed the stop first" in pessimistic.notes[0]

    resolved = evaluate(signal, unittest_15m, detail=unittest_1m)
    tp1 = 0.5 * qty * (0.00264 * 0.999 - 0.002635 * 1.001)
    be = 0.5 * qty * (0.00264 * 0.999 - 0.00266057 * 1.001)
    fees = 1 + 0.001 * 0.5 * qty * (0.002635 * 1.001 + 0.00266057 * 1.001)
    assert resolved.net_pnl == pytest.approx(tp1 + be - fees, abs=1e-9)
    assert resolved.net_pnl_rounded == -6.96
    assert [(f.kind, f.time, f.price, f.resolved_by, f.gapped) for f in resolved.fills] == [
        ("target", at("2017-11-11T12:30"), 0.002635, "detail", False),
        ("breakeven_stop", at("2017-11-11T12:31"), 0.00266057, "detail", True),
    ]
    assert resolved.detail_timeframe == "1m" and "resolved with 1m candles" in resolved.notes[0]


def test_stop_inside_a_gap_fills_at_the_open(eth: Candles, make_signal: Callable[..., TradeSignal]) -> None:
    # ETH/BTC 5m: 20:00 l .09000003 ≤ entry .0905 → entered; lows 20:00-20:25 stay ≥ .08999 > stop .08998;
    # 20:25 closes at .08999 and 20:30 *opens* at .08997548, below the stop, and trades down to .08937001.
    # The stop order triggers at the first trade past it, the open: filled at .08997548, not .08998.
    signal = make_signal("ETH/BTC", "2018-01-10T20:00:00+00:00", 0.0905, 0.08998, [(0.0925, 1.0)])
    outcome = evaluate(signal, eth)

    qty = 1000 / (0.0905 * 1.001)
    net = qty * (0.08997548 * 0.999 - 0.0905 * 1.001) - 1 - 0.001 * qty * 0.08997548 * 0.999
    assert outcome.net_pnl == pytest.approx(net, abs=1e-9)
    assert outcome.net_pnl_rounded == -9.77
    [stop] = outcome.fills
    assert (stop.kind, stop.time, stop.price) == ("stop", at("2018-01-10T20:30"), 0.08997548) and stop.gapped
    assert outcome.status == "completed_failure"


def test_expiry_with_nothing_hit_marks_the_remainder(
    eth: Candles, make_signal: Callable[..., TradeSignal]
) -> None:
    # 18:00 → 24:00: highs ≤ .09493 < TP1 .096, lows ≥ .09405639 > stop .093; last close (23:55) .09410001
    signal = make_signal("ETH/BTC", "2018-01-25T18:00:00+00:00", 0.0947, 0.093, [(0.096, 0.6), (0.097, 0.4)])
    outcome = evaluate(signal, eth)

    qty = 1000 / (0.0947 * 1.001)
    mark = qty * (0.09410001 * 0.999 - 0.0947 * 1.001) - 1 - 0.001 * qty * 0.09410001 * 0.999
    assert outcome.net_pnl == pytest.approx(mark, abs=1e-9)
    assert outcome.net_pnl_rounded == -10.31
    assert outcome.status == "expired"
    [mark_fill] = outcome.fills
    assert (mark_fill.kind, mark_fill.time, mark_fill.price) == ("mark", at("2018-01-25T23:55"), 0.09410001)
    assert outcome.open_fraction == 1.0 and outcome.closed_fraction == 0.0
    assert outcome.duration == timedelta(hours=6) and outcome.closed_at is None


def test_window_beyond_the_data_is_active(eth: Candles, make_signal: Callable[..., TradeSignal]) -> None:
    # The file ends with the 04:50 candle; a 6h window from 02:00 is still running there.
    signal = make_signal("ETH/BTC", "2018-01-30T02:00:00+00:00", 0.104, 0.102, [(0.106, 0.5), (0.108, 0.5)])
    outcome = evaluate(signal, eth)
    assert outcome.status == "active"
    assert outcome.evaluated_until == at("2018-01-30T04:55")
    assert outcome.fills[-1].price == pytest.approx(0.10441057, abs=1e-12)  # last close
    assert outcome.data_quality.expected_candles == outcome.data_quality.present_candles == 35  # 02:00…04:50


def test_long_gap_is_incomplete_data(real_datadir: Path, make_signal: Callable[..., TradeSignal]) -> None:
    # ADA/BTC misses 40 candles between 10:10 and 14:40 on 2018-01-15: 32 of 72 present in 09:00-15:00.
    ada = load_candles_arrays(real_datadir, "ADA/BTC", "5m")
    signal = make_signal(
        "ADA/BTC", "2018-01-15T09:00:00+00:00", 0.0000606, 0.000058, [(0.000062, 0.5), (0.000063, 0.5)]
    )
    outcome = evaluate(signal, ada)
    quality = outcome.data_quality
    assert outcome.status == "incomplete_data"
    assert (quality.expected_candles, quality.present_candles) == (72, 32)
    assert quality.coverage == pytest.approx(32 / 72)
    assert [(g.start, g.missing_candles) for g in quality.gaps] == [
        (at("2018-01-15T10:10"), 1),
        (at("2018-01-15T10:30"), 1),
        (at("2018-01-15T11:10"), 4),
        (at("2018-01-15T11:45"), 1),
        (at("2018-01-15T12:00"), 33),
    ]
    assert quality.largest_gap_candles == 33
    assert quality.score == pytest.approx(32 / 72 * (1 - 33 / 72))


def test_one_missing_candle_matters_only_before_the_decision(
    real_datadir: Path, make_signal: Callable[..., TradeSignal]
) -> None:
    # TRX/BTC misses the 17:20 candle of 2018-01-22 (71 of 72 present from 15:00: coverage 98.6 %).
    trx = load_candles_arrays(real_datadir, "TRX/BTC", "5m")
    open_through_gap = make_signal(
        "TRX/BTC", "2018-01-22T15:00:00+00:00", 0.0000909, 0.000088, [(0.000093, 0.5), (0.000095, 0.5)]
    )
    outcome = evaluate(open_through_gap, trx)
    assert outcome.status == "incomplete_data"
    assert outcome.data_quality.coverage == pytest.approx(71 / 72)
    assert [(g.start, g.end) for g in outcome.data_quality.gaps] == [(at("2018-01-22T17:20"),) * 2]

    # 16:45: l .00008962 ≤ stop .00008965 (h .00009076 < TP1 .000092): closed 35 minutes before the hole.
    closed_before_gap = make_signal(
        "TRX/BTC", "2018-01-22T16:45:00+00:00", 0.00009035, 0.00008965, [(0.000092, 1.0)]
    )
    outcome = evaluate(closed_before_gap, trx)
    qty = 1000 / (0.00009035 * 1.001)
    net = qty * (0.00008965 * 0.999 - 0.00009035 * 1.001) - 1 - 0.001 * qty * 0.00008965 * 0.999
    assert outcome.status == "completed_failure"
    assert outcome.net_pnl == pytest.approx(net, abs=1e-9)
    assert outcome.net_pnl_rounded == -11.72
    assert len(outcome.data_quality.gaps) == 1
