"""Signals per second: the batch evaluator, the single-signal evaluator and a per-candle Python loop, on 1m.

10,000 signals (4h signals valid for 6 candles, i.e. one day = up to 1,440 one-minute candles each) over
UNITTEST/BTC 1m from ../shared/data (synthetic 1m candles when that file is absent), twice: levels as drawn
(most signals close within ~100 candles) and levels 10× wider (most run to expiry).

- batch: ``evaluate_batch(signals, candles)`` from the `TradeSignal` models to the numeric results
  (`BatchOutcomes`: fills, P/L, status, coverage, largest gap for every signal); it does NOT build the 10,000
  pydantic `SignalOutcome`s (``outcome(i)`` does that on demand). "engine" is the same call on signals
  already turned into arrays (``SignalArrays.from_signals``, done once, outside the clock).
- single: ``evaluate(signal, candles)`` per signal, complete `SignalOutcome`s (gaps listed, pydantic).
- loop: the reference, written here: one Python iteration per candle over plain lists (the fastest honest
  form of the loop), stops at the candle that closes the position, computes fills and net P/L only. It
  runs twice, on the two inputs the batch path has: "loop (models)" reads each `TradeSignal`;
  "loop (arrays)" reads the very `SignalArrays` the engine gets, its columns turned into Python lists
  inside the timing, then the same per-candle walk.
- reading the models alone: only fetching the fields an evaluation needs from the 10,000 `TradeSignal`s
  (``read_fields``), the least any models → numbers path pays; ``loop / read`` is the ceiling of batch / loop.

The like-for-like comparisons, same input on both sides:
- batch / loop (both from models): ``evaluate_batch(signals)`` against the loop reading the models;
- engine / loop (both from arrays): ``evaluate_batch(arrays)`` against the loop reading the arrays.
"engine / models loop" (arrays in for the engine, models in for the loop) is printed too, labelled as
mixed: it credits the engine with the model reading it did not do.

Times are the best of a few runs (``--repeat``). All must agree: the batch's fills and net P/L equal the
loop's for every signal (and both loops give the same), its arrays equal the single evaluator's outcomes for
every signal, and ``outcome(i)`` equals ``evaluate`` field for field on a sample.

Run: .venv/bin/python benchmarks/bench_signal_eval.py [--signals 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import bisect
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path

import numpy as np

from gentrade.signals import (
    BatchOutcomes,
    Candles,
    SignalArrays,
    evaluate,
    evaluate_batch,
    load_candles_arrays,
)
from gentrade.signals.batch_outcomes import STATUSES
from gentrade.signals.candles import from_ns, to_ns
from gentrade.spec import parse_signal
from gentrade.spec.costs import breakeven_price
from gentrade.spec.signal import TradeSignal

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "binance"
FEE = SLIPPAGE = 0.001
SIZE = 1000.0


def synthetic_1m(count: int = 14_400, seed: int = 7) -> Candles:
    rng = np.random.default_rng(seed)
    close = 0.003 * np.exp(np.cumsum(rng.normal(0, 0.002, count)))
    open_ = np.concatenate(([0.003], close[:-1]))
    wick = np.abs(rng.normal(0, 0.000004, (2, count)))
    start = to_ns(from_ns(0) + timedelta(days=17_500))
    return Candles(
        "UNITTEST/BTC",
        "1m",
        start + np.arange(count, dtype=np.int64) * 60_000_000_000,
        open_,
        np.maximum(open_, close) + wick[0],
        np.minimum(open_, close) - wick[1],
        close,
    )


def make_signals(candles: Candles, count: int, scale: float, seed: int = 11) -> list[TradeSignal]:
    """Targets 0.3-2 % apart and the stop 0.5-3 % away, times ``scale`` (wide levels run to expiry; < 15)."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(candles.time) - 1, count)
    signals = []
    for i, start in enumerate(starts):
        s = 1 if i % 2 == 0 else -1
        entry = float(candles.open[start])
        steps = np.cumsum(rng.uniform(0.003, 0.02, 3)) * scale
        signals.append(
            parse_signal(
                {
                    "symbol": candles.pair,
                    "direction": "long" if s == 1 else "short",
                    "timeframe": "4h",
                    "valid_for_candles": 6,
                    "entry": entry,
                    "stop_loss": entry * (1 - s * scale * rng.uniform(0.005, 0.03)),
                    "take_profits": [
                        {"price": entry * (1 + s * k), "allocation": a}
                        for k, a in zip(steps, (0.5, 0.3, 0.2), strict=True)
                    ],
                    "breakeven_after_tp1": bool(i % 3),
                    "confidence": 50,
                    "model_id": "bench",
                    "generated_at": from_ns(int(candles.time[start])),
                }
            )
        )
    return signals


Fills = list[tuple[str, int, float, float]]


class Reference:
    """The straightforward evaluator: one Python iteration per candle, stop assumed first on a tie; nothing
    counts before the candle that reaches the entry, no target inside it, a stop its candle opened past
    fills at the open, and break-even is ``gentrade.spec.costs.breakeven_price``."""

    def __init__(self, candles: Candles) -> None:
        self.time, self.open, self.high, self.low, self.close = (
            candles.time.tolist(),
            candles.open.tolist(),
            candles.high.tolist(),
            candles.low.tolist(),
            candles.close.tolist(),
        )
        self.step = candles.step

    def evaluate(self, signal: TradeSignal) -> tuple[Fills, float]:
        """One signal, read from its model."""
        assert signal.generated_at is not None and signal.expires_at() is not None
        start, expires = to_ns(signal.generated_at), to_ns(signal.expires_at())  # type: ignore[arg-type]
        total = sum(t.allocation for t in signal.take_profits)
        targets = [(t.price, t.allocation / total) for t in signal.take_profits]
        return self.walk(
            start,
            expires,
            signal.direction == "long",
            signal.entry,
            signal.stop_loss,
            signal.breakeven_after_tp1,
            targets,
        )

    def evaluate_arrays(self, arrays: SignalArrays) -> list[tuple[Fills, float]]:
        """Every signal, read from the engine's input: each column becomes a Python list, then one walk each
        (the targets cut to the signal's ladder, as the model path has them)."""
        columns = zip(
            arrays.start.tolist(),
            arrays.expires.tolist(),
            arrays.long.tolist(),
            arrays.entry.tolist(),
            arrays.stop.tolist(),
            arrays.breakeven.tolist(),
            arrays.prices.tolist(),
            arrays.fractions.tolist(),
            arrays.n_targets.tolist(),
            strict=True,
        )
        return [
            self.walk(
                start,
                expires,
                long,
                entry,
                stop,
                breakeven,
                list(zip(prices[:n], fractions[:n], strict=True)),
            )
            for start, expires, long, entry, stop, breakeven, prices, fractions, n in columns
        ]

    def walk(
        self,
        start: int,
        expires: int,
        long: bool,
        entry: float,
        stop_loss: float,
        breakeven_after_tp1: bool,
        targets: list[tuple[float, float]],
    ) -> tuple[Fills, float]:
        """The per-candle loop over ``[start, min(expires, data end))``, then the fills' net P/L."""
        end = min(expires, self.time[-1] + self.step)
        lo, hi = bisect.bisect_left(self.time, start), bisect.bisect_left(self.time, end)
        reached = (i for i in range(lo, hi) if (self.low[i] <= entry if long else self.high[i] >= entry))
        entered = next(reached, None)
        if entered is None:
            return [], 0.0
        stop, stop_from, breakeven, k = stop_loss, start, False, 0
        level = breakeven_price(entry, "long" if long else "short", FEE, SLIPPAGE)
        fills: Fills = []
        closed = False
        for i in range(entered, hi):
            t, high, low, open_ = self.time[i], self.high[i], self.low[i], self.open[i]
            while not closed:
                price, fraction = targets[k]
                target_hit = i > entered and (high >= price if long else low <= price)
                stop_hit = t >= stop_from and (low <= stop if long else high >= stop)
                if stop_hit:
                    kind = "breakeven_stop" if breakeven else "stop"
                    gapped = i > entered and (open_ < stop if long else open_ > stop)
                    left = min(1.0, sum(f for _, f in targets[k:]))
                    fills.append((kind, t, open_ if gapped else stop, left))
                    closed = True
                elif target_hit:
                    fills.append(("target", t, price, fraction))
                    k += 1
                    if k == 1 and breakeven_after_tp1:
                        stop, stop_from, breakeven = level, t + self.step, True
                    closed = k == len(targets)
                else:
                    break
            if closed:
                break
        if not closed:
            left = min(1.0, sum(f for _, f in targets[k:]))
            fills.append(("mark", self.time[hi - 1], self.close[hi - 1], left))
        s = 1 if long else -1
        entry_fill = entry * (1 + s * SLIPPAGE)
        quantity = SIZE / entry_fill
        net = -FEE * SIZE
        for _, _, price, fraction in fills:
            exit_fill = price * (1 - s * SLIPPAGE)
            net += s * fraction * quantity * (exit_fill - entry_fill) - FEE * fraction * quantity * exit_fill
        return fills, net


def read_fields(signals: list[TradeSignal]) -> list[list[object]]:
    """Only reading what an evaluation needs from the models: each field once, by C-level ``map`` (the
    fastest reading found), and ``generated_at`` as a number; no arrays, no evaluation. Any TradeSignal →
    numbers path pays at least this, so ``loop / read`` bounds ``batch / loop`` whatever the engine does."""
    rows = list(
        map(
            itemgetter(
                "direction",
                "timeframe",
                "valid_for_candles",
                "entry",
                "stop_loss",
                "breakeven_after_tp1",
                "generated_at",
                "take_profits",
            ),
            map(vars, signals),
        )
    )
    targets = list(chain.from_iterable(map(itemgetter(7), rows)))
    return [
        rows,
        list(map(attrgetter("price"), targets)),
        list(map(attrgetter("allocation"), targets)),
        list(map(datetime.timestamp, map(itemgetter(6), rows))),
    ]


def best(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    """The shortest wall time of ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return min(times), result


def check(
    batch: BatchOutcomes,
    outcomes: list,
    expected: list,
    signals: list[TradeSignal],
    candles: Candles,
    sample: int,
) -> None:
    for i, (outcome, (fills, net)) in enumerate(zip(outcomes, expected, strict=True)):
        mine = [(kind, t, price, fraction) for kind, _, t, price, fraction, _, _ in batch.raw_fills(i)]
        assert mine == fills and abs(batch.net_pnl[i] - net) <= 1e-9 * SIZE, f"batch vs loop, signal {i}"
        assert [(f.kind, to_ns(f.time), f.price, f.fraction) for f in outcome.fills] == fills, f"single {i}"
        assert (
            batch.net_pnl[i],
            batch.gross_pnl[i],
            batch.fees[i],
            STATUSES[batch.status[i]],
            batch.coverage[i],
            batch.score[i],
        ) == (
            outcome.net_pnl,
            outcome.gross_pnl,
            outcome.fees,
            outcome.status,
            outcome.data_quality.coverage,
            outcome.data_quality.score,
        ), f"batch vs single, signal {i}"
    for i in np.random.default_rng(5).choice(len(signals), min(sample, len(signals)), replace=False):
        assert batch.outcome(int(i)) == outcomes[i], f"outcome({i}) differs from evaluate()"


def run(candles: Candles, count: int, scale: float, repeat: int, sample: int) -> None:
    signals = make_signals(candles, count, scale)
    reference = Reference(candles)
    prepared = SignalArrays.from_signals(signals)
    batch_s, batch = best(lambda: evaluate_batch(signals, candles), repeat)
    engine_s, _ = best(lambda: evaluate_batch(prepared, candles), repeat)
    read_s, _ = best(lambda: read_fields(signals), repeat)
    single_s, outcomes = best(lambda: [evaluate(s, candles) for s in signals], 1)
    loop_s, expected = best(lambda: [reference.evaluate(s) for s in signals], max(1, repeat // 2))
    array_loop_s, from_arrays = best(lambda: reference.evaluate_arrays(prepared), max(1, repeat // 2))
    assert isinstance(batch, BatchOutcomes) and isinstance(outcomes, list) and isinstance(expected, list)
    assert from_arrays == expected, "the loop reads the same signals from the models and from the arrays"
    check(batch, outcomes, expected, signals, candles, sample)

    walked = np.mean(
        [
            (to_ns(o.closed_at or o.evaluated_until) - to_ns(o.generated_at)) / candles.step
            for o in outcomes
            if o.evaluated_until is not None
        ]
    )
    print(
        f"levels x{scale:g}: {count} signals, the loop walks {walked:.0f} candles a signal on average; "
        f"{int(batch.pessimistic.sum())} candles touched a target and the stop (pessimistic)"
    )
    for name, seconds in (
        ("batch (TradeSignal -> arrays)", batch_s),
        ("batch engine (arrays -> arrays)", engine_s),
        ("single-signal evaluate", single_s),
        ("per-candle Python loop (models)", loop_s),
        ("per-candle Python loop (arrays)", array_loop_s),
        ("reading the models alone", read_s),
    ):
        print(f"  {name:32s} {count / seconds:10.0f} signals/s  ({seconds * 1e3:8.1f} ms)")
    print(
        f"  batch / loop (both from models) {loop_s / batch_s:6.1f}x   "
        f"engine / loop (both from arrays) {array_loop_s / engine_s:6.1f}x   (target: >= 50x the loop)"
    )
    print(
        f"  batch / single {single_s / batch_s:6.1f}x   mixed inputs, not like for like: "
        f"engine / models loop {loop_s / engine_s:6.1f}x"
    )
    print(
        f"  ceiling from reading the models: batch / loop (both from models) <= loop / read = "
        f"{loop_s / read_s:.1f}x"
    )
    print(
        f"  agreement: fills and net P/L identical for all {count} (batch, both loops); outcome(i) == "
        f"evaluate() on {min(sample, count)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7, help="batch runs (loop: half); best counts")
    parser.add_argument("--sample", type=int, default=500, help="outcome(i) == evaluate() checks")
    args = parser.parse_args()
    real = (DATA / "UNITTEST_BTC-1m.feather").is_file()
    candles = load_candles_arrays(DATA, "UNITTEST/BTC", "1m") if real else synthetic_1m()
    load = os.getloadavg()
    print(
        f"{'UNITTEST/BTC 1m (real)' if real else 'synthetic 1m'}: {len(candles.time)} candles; "
        f"4h signals valid 6 candles (1,440 one-minute candles); {os.cpu_count()} cores, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    for scale in (1.0, 10.0):
        run(candles, args.signals, scale, args.repeat, args.sample)


if __name__ == "__main__":
    main()
