"""One call from a `TradeSignal` to the `StrategySpec` that trades it, for a backtest or a dry-run bot.

What carries over, and how:

* pair, timeframe and direction are the signal's;
* the take-profit ladder becomes percent targets: each TP price as its distance from the entry
  (``|tp − entry| / entry × 100``), with the allocations as fractions;
* the stop becomes a percent distance the same way, and break-even after TP1 when the signal asks for it;
* the validity window becomes a time stop (``max_candles_in_trade = valid_for_candles``), the way the
  signal evaluator marks whatever is left open at expiry.

The entry rule is the honest part to read: a signal names a price level, a strategy needs a condition it
can test on every candle. The spec enters when **the close crosses the entry level from the stop's side**:
``close crosses_above entry`` for a long, ``close crosses_below entry`` for a short — the price has moved
through the level in the trade's direction. Consequences worth knowing:

* it does not enter on the candle the signal was generated on unless that candle itself crossed the level;
* it enters every time the price crosses the level again (a backtest over months tests "this level with
  this ladder" as a rule, not the one-off signal);
* targets and stop are distances from the *fill*, which sits near the entry level but not exactly on it;
* a short signal gives a short spec, which freqtrade runs only in futures mode (spot refuses it).
"""

from __future__ import annotations

from gentrade.spec import StrategySpec, TradeSignal, parse_spec

DEFAULT_MAX_STOP_PERCENT = 25.0
_MAX_PERCENT = 90.0


def _percent(price: float, entry: float) -> float:
    return abs(price - entry) / entry * 100


def default_name(signal: TradeSignal) -> str:
    base, quote = signal.symbol.split("/")
    side = "Long" if signal.direction == "long" else "Short"
    return f"Signal{base.title()}{quote.split(':')[0].title()}{signal.timeframe}{side}"


def to_spec(signal: TradeSignal, *, name: str | None = None) -> StrategySpec:
    """The spec trading ``signal`` (see the module doc); validated by ``parse_spec``, so a signal whose
    distances no spec can hold (a stop or target more than 90 % away) raises ``SpecValidationError``."""
    stop_percent = _percent(signal.stop_loss, signal.entry)
    cross = "crosses_above" if signal.direction == "long" else "crosses_below"
    return parse_spec(
        {
            "name": name or default_name(signal),
            "description": (
                f"From a {signal.model_id} signal: {signal.direction} {signal.symbol} {signal.timeframe} "
                f"at {signal.entry:.8g}, stop {signal.stop_loss:.8g}, "
                f"targets {', '.join(f'{t.price:.8g}' for t in signal.take_profits)}; enters when the close "
                f"{cross.replace('_', ' ')} the entry level."
            ),
            "timeframe": signal.timeframe,
            "pairs": [signal.symbol],
            "direction": signal.direction,
            f"entry_{signal.direction}": {"left": "close", "op": cross, "right": signal.entry},
            "stop": {
                "initial": {"percent": stop_percent},
                "breakeven_after_level": 1 if signal.breakeven_after_tp1 else None,
                "max_percent": min(_MAX_PERCENT, max(DEFAULT_MAX_STOP_PERCENT, stop_percent)),
            },
            "take_profit": [
                {"target": {"percent": _percent(t.price, signal.entry)}, "fraction": t.allocation}
                for t in signal.take_profits
            ],
            "max_candles_in_trade": signal.valid_for_candles,
        }
    )
