"""The batch evaluator against the single-signal one: identical outcomes, field for field, float for float.

Random signals (longs and shorts, 1-5 targets, break-even on and off, windows starting off the candle grid,
before the data and past its end) over random paths with missing candles, with and without detail candles
that have holes of their own; plus chunking forced down to a few signals, and ``evaluate_many``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from price_paths import T0, aggregate, jumpy_path, random_path

import gentrade.signals.touches as touches_module
from gentrade.errors import ConfigError, SpecValidationError
from gentrade.signals import (
    BatchOutcomes,
    Candles,
    EvaluationSettings,
    SignalArrays,
    evaluate,
    evaluate_batch,
    evaluate_many,
)
from gentrade.signals.batch_outcomes import STATUSES
from gentrade.signals.candles import to_ns
from gentrade.spec import parse_signal
from gentrade.spec.signal import TradeSignal

costs = st.builds(
    EvaluationSettings, size=st.floats(10, 10_000), fee=st.floats(0, 0.01), slippage=st.floats(0, 0.01)
)


def drop(candles: Candles, keep: np.ndarray) -> Candles:
    return Candles(
        candles.pair,
        candles.timeframe,
        candles.time[keep],
        candles.open[keep],
        candles.high[keep],
        candles.low[keep],
        candles.close[keep],
    )


@st.composite
def signal_lists(draw: st.DrawFn) -> list[TradeSignal]:
    count = draw(st.integers(1, 12))
    out = []
    for _ in range(count):
        direction = draw(st.sampled_from(["long", "short"]))
        s = 1 if direction == "long" else -1
        entry = draw(st.floats(97, 103))
        steps = draw(st.lists(st.floats(0.02, 2), min_size=1, max_size=5))
        weights = draw(st.lists(st.integers(1, 10), min_size=len(steps), max_size=len(steps)))
        prices = entry + s * np.cumsum(steps)
        out.append(
            parse_signal(
                {
                    "symbol": "ABC/USDT",
                    "direction": direction,
                    "timeframe": draw(st.sampled_from(["1h", "4h"])),
                    "entry": entry,
                    "stop_loss": entry - s * draw(st.floats(0.02, 3)),
                    "take_profits": [
                        {"price": float(p), "allocation": w / sum(weights)}
                        for p, w in zip(prices, weights, strict=True)
                    ],
                    "breakeven_after_tp1": draw(st.booleans()),
                    "confidence": 50,
                    "model_id": "prop",
                    "generated_at": T0
                    + timedelta(
                        minutes=draw(st.integers(-90, 1500)), seconds=draw(st.sampled_from([0, 0, 0, 30]))
                    ),
                    "valid_for_candles": draw(st.integers(1, 4)),
                }
            )
        )
    return out


def check_same(
    batch: BatchOutcomes,
    signals: list[TradeSignal],
    candles: Candles,
    detail: Candles | None,
    cost: EvaluationSettings,
) -> None:
    assert len(batch) == len(signals)
    for i, signal in enumerate(signals):
        expected = evaluate(signal, candles, detail=detail, settings=cost)
        assert batch.outcome(i) == expected, i
        # The arrays themselves (what the hot path returns) carry the same numbers.
        assert STATUSES[batch.status[i]] == expected.status
        assert batch.net_pnl[i] == expected.net_pnl and batch.gross_pnl[i] == expected.gross_pnl
        assert batch.fees[i] == expected.fees and batch.targets_hit[i] == expected.targets_hit
        quality = expected.data_quality
        assert (batch.coverage[i], batch.score[i]) == (quality.coverage, quality.score)
        assert (batch.expected_candles[i], batch.present_candles[i], batch.largest_gap_candles[i]) == (
            quality.expected_candles,
            quality.present_candles,
            quality.largest_gap_candles,
        )
        assert batch.duration_ns[i] == expected.duration // timedelta(microseconds=1) * 1_000
        assert [
            (kind, t, price, fraction, gapped)
            for kind, _, t, price, fraction, _, gapped in batch.raw_fills(i)
        ] == [(f.kind, to_ns(f.time), f.price, f.fraction, f.gapped) for f in expected.fills]
        assert batch.entered[i] == (expected.entered_at is not None)


@settings(max_examples=250, deadline=None)
@given(
    signal_lists(),
    costs,
    st.integers(0, 2**32),
    st.integers(1, 400),
    st.floats(0.001, 0.02),
    st.floats(0, 0.3),
    st.booleans(),
)
def test_batch_equals_single_on_gappy_paths(
    signals: list[TradeSignal],
    cost: EvaluationSettings,
    seed: int,
    count: int,
    volatility: float,
    missing: float,
    jumpy: bool,
) -> None:
    """Holes in the data, and (``jumpy``) candles opening away from the last close: stops filled at opens."""
    candles = (jumpy_path if jumpy else random_path)(seed, count, 5, volatility)
    candles = drop(candles, np.random.default_rng(seed + 1).random(count) >= missing)
    check_same(evaluate_batch(signals, candles, settings=cost), signals, candles, None, cost)


@settings(max_examples=200, deadline=None)
@given(
    signal_lists(),
    costs,
    st.integers(0, 2**32),
    st.floats(0.002, 0.02),
    st.floats(0, 0.2),
    st.floats(0, 0.05),
    st.booleans(),
)
def test_batch_equals_single_with_detail_candles(
    signals: list[TradeSignal],
    cost: EvaluationSettings,
    seed: int,
    volatility: float,
    coarse_missing: float,
    fine_missing: float,
    jumpy: bool,
) -> None:
    fine = (jumpy_path if jumpy else random_path)(seed, 5 * 300, 1, volatility)
    coarse = aggregate(fine, 5, "5m")
    rng = np.random.default_rng(seed + 2)
    coarse = drop(coarse, rng.random(len(coarse.time)) >= coarse_missing)
    fine = drop(fine, rng.random(len(fine.time)) >= fine_missing)
    batch = evaluate_batch(signals, coarse, detail=fine, settings=cost)
    check_same(batch, signals, coarse, fine, cost)
    assert not (batch.pessimistic & batch.detail_resolved).any()


@settings(max_examples=60, deadline=None)
@given(signal_lists(), st.integers(0, 2**32), st.floats(0.002, 0.02))
def test_chunked_batches_agree(signals: list[TradeSignal], seed: int, volatility: float) -> None:
    candles = random_path(seed, 300, 5, volatility)
    whole = evaluate_batch(signals, candles)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(touches_module, "_CHUNK_SIGNALS", 2)
        patch.setattr(touches_module, "_TABLE_BYTES", 4_000)
        chunked = evaluate_batch(signals, candles)
    assert chunked.to_outcomes() == whole.to_outcomes()
    check_same(chunked, signals, candles, None, EvaluationSettings())


def test_batch_on_real_candles_and_prepared_arrays(
    real_datadir: Path, make_signal: Callable[..., TradeSignal]
) -> None:
    from gentrade.signals import load_candles_arrays

    candles = load_candles_arrays(real_datadir, "ETH/BTC", "5m")
    rng = np.random.default_rng(3)
    picks = rng.integers(0, len(candles.time) - 50, 300)
    signals = []
    for n, j in enumerate(picks):
        entry = float(candles.open[j])
        s = 1 if n % 2 else -1
        signals.append(
            make_signal(
                "ETH/BTC",
                f"{np.datetime64(int(candles.time[j]), 'ns').astype('datetime64[s]')}+00:00",
                entry,
                entry * (1 - s * 0.01),
                [(entry * (1 + s * 0.004), 0.5), (entry * (1 + s * 0.01), 0.5)],
                direction="long" if s == 1 else "short",
                breakeven_after_tp1=bool(n % 3),
            )
        )
    prepared = SignalArrays.from_signals(signals)
    batch = evaluate_batch(prepared, candles)
    check_same(batch, signals, candles, None, EvaluationSettings())
    assert set(batch.status_names()) >= {"completed_success", "completed_failure"}


def test_evaluate_many_groups_and_keeps_order(make_signal: Callable[..., TradeSignal]) -> None:
    fine = random_path(5, 600, 5, 0.004)
    other = Candles("XYZ/USDT", "5m", fine.time, fine.open, fine.high, fine.low, fine.close)
    signals = [
        make_signal(pair, (T0 + timedelta(minutes=35 * k)).isoformat(), 100, 98.5, [(101, 1.0)])
        for k in range(6)
        for pair in ("ABC/USDT", "XYZ/USDT")
    ]
    by_key = {("ABC/USDT", "5m"): fine, ("XYZ/USDT", "5m"): other}
    outcomes = evaluate_many(signals, by_key, candle_timeframe="5m")
    assert outcomes == [evaluate(s, by_key[(s.symbol, "5m")]) for s in signals]


def test_batch_input_errors(make_signal: Callable[..., TradeSignal]) -> None:
    candles = random_path(1, 50, 5, 0.01)
    good = make_signal("ABC/USDT", T0.isoformat(), 100, 99, [(101, 1.0)])
    with pytest.raises(ConfigError, match="signals are for XYZ/USDT"):
        evaluate_batch([good, make_signal("XYZ/USDT", T0.isoformat(), 100, 99, [(101, 1.0)])], candles)
    undated = make_signal("ABC/USDT", T0.isoformat(), 100, 99, [(101, 1.0)]).model_copy(
        update={"generated_at": None}
    )
    with pytest.raises(SpecValidationError, match="generated_at"):
        evaluate_batch([good, undated], candles)
    empty = evaluate_batch([], candles)
    assert len(empty) == 0 and empty.to_outcomes() == []


def test_signal_arrays_read_every_field_as_the_models_say(make_signal: Callable[..., TradeSignal]) -> None:
    """The one-pass conversion against the plain per-signal reading: both directions, break-even on and off,
    ladders of 1 to 5 targets (padding), defaults left out, non-UTC offsets, times past 2038 (exact ns)."""
    signals = [
        make_signal("ABC/USDT", "2024-01-01T00:00:00+00:00", 100, 98, [(101, 1.0)]),
        make_signal(
            "ABC/USDT",
            "2024-01-01T05:30:00+05:30",
            100,
            103,
            [(99, 0.2), (98, 0.3), (97, 0.5)],
            direction="short",
            breakeven_after_tp1=False,
            timeframe="4h",
            valid_for_candles=3,
        ),
        make_signal(
            "XYZ/USDT",
            "2024-03-01T10:07:30.123456-04:00",
            50,
            49,
            [(50 + k, a) for k, a in zip(range(1, 6), (0.1, 0.2, 0.3, 0.25, 0.15), strict=True)],
            timeframe="1d",
        ),
        make_signal(
            "ABC/USDT",
            "2001-09-09T01:46:40+00:00",
            10,
            11,
            [(9, 0.6), (8, 0.4)],
            direction="short",
            timeframe="1w",
            valid_for_candles=1,
        ),
    ]
    defaults = parse_signal(
        {
            "symbol": "ABC/USDT",
            "entry": 100,
            "stop_loss": 90,
            "confidence": 1,
            "model_id": "m",
            "generated_at": "2024-01-02T00:00:00Z",
            "take_profits": [{"price": 110, "allocation": 1}],
        }
    )
    far = make_signal("ABC/USDT", "2040-06-01T12:00:00.000001+00:00", 100, 98, [(101, 0.5), (102, 0.5)])
    for batch in (signals + [defaults], signals + [defaults, far], [far]):
        arrays = SignalArrays.from_signals(batch)
        assert arrays.generated_at == tuple(s.generated_at for s in batch) and len(arrays) == len(batch)
        assert arrays.timeframes == tuple(s.timeframe for s in batch)
        assert arrays.pairs == {s.symbol for s in batch}
        width = max(len(s.take_profits) for s in batch)
        for i, s in enumerate(batch):
            expires = s.expires_at()
            assert s.generated_at is not None and expires is not None
            total = sum(t.allocation for t in s.take_profits)
            pad = width - len(s.take_profits)
            assert arrays.long[i] == (s.direction == "long") and arrays.breakeven[i] == s.breakeven_after_tp1
            assert arrays.start[i] == to_ns(s.generated_at) and arrays.expires[i] == to_ns(expires)
            assert (arrays.entry[i], arrays.stop[i], arrays.n_targets[i]) == (
                s.entry,
                s.stop_loss,
                len(s.take_profits),
            )
            assert arrays.prices[i].tolist()[: width - pad] == [t.price for t in s.take_profits]
            assert np.isnan(arrays.prices[i, width - pad :]).all()
            fractions = [t.allocation / total for t in s.take_profits]
            assert arrays.fractions[i].tolist() == fractions + [0.0] * pad
        assert [arrays.start.dtype, arrays.long.dtype, arrays.prices.shape] == [
            np.int64,
            bool,
            (len(batch), width),
        ]


def off_grid(candles: Candles, shift_ns: int) -> Candles:
    """Every other candle opens ``shift_ns`` late (less than a step: still sorted, off the grid)."""
    time = candles.time.copy()
    time[1::2] += shift_ns
    return Candles(
        candles.pair, candles.timeframe, time, candles.open, candles.high, candles.low, candles.close
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-3, 400), max_size=60),
    st.integers(0, 2**32),
    st.integers(1, 300),
    st.sampled_from([0, 0, 1, 30_000_000_000]),
    st.floats(0, 0.9),
)
def test_window_search_equals_searchsorted(
    offsets: list[int], seed: int, count: int, shift: int, missing: float
) -> None:
    """`_Search` answers as ``searchsorted``: by slot arithmetic on the grid (gaps included), by a search
    off the grid or on candles too sparse for the slot table; keys before, inside, between and past them."""
    candles = random_path(seed, count, 5, 0.01)
    keep = np.random.default_rng(seed).random(count) >= missing
    keep[0] = True
    time, step = off_grid(drop(candles, keep), shift).time, candles.step
    keys = to_ns(T0) + np.array(offsets, dtype=np.int64) * (step // 2) + seed % 7
    search = touches_module.Search(time, step, keys)
    assert (search(keys) == np.searchsorted(time, keys, "left")).all()
    on_grid = not ((time - time[0]) % step).any()
    sparse = (time[-1] - time[0]) // step + 1 > touches_module._GRID_SLOTS_PER_CANDLE * len(time)
    assert (search.below is not None) == (on_grid and not sparse)


@settings(max_examples=60, deadline=None)
@given(
    signal_lists(),
    st.integers(0, 2**32),
    st.floats(0.002, 0.02),
    st.sampled_from([(1_000, 0.0), (30_000_000_000, 0.2), (0, 0.85)]),
)
def test_batch_equals_single_off_the_grid_or_sparse(
    signals: list[TradeSignal], seed: int, volatility: float, shape: tuple[int, float]
) -> None:
    """Candles off their timeframe's grid, or too sparse for the slot table, take the searchsorted path."""
    shift, missing = shape
    candles = random_path(seed, 300, 5, volatility)
    candles = off_grid(drop(candles, np.random.default_rng(seed + 3).random(300) >= missing), shift)
    check_same(evaluate_batch(signals, candles), signals, candles, None, EvaluationSettings())
