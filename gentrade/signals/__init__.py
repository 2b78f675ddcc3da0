"""Trade-signal outcomes against OHLCV (first touch of targets and stop, fees, slippage) and their statistics.

Pure functions over typed inputs, so the CLI, the API and Celery tasks all call the same code.
"""

from gentrade.signals.arrays import SignalArrays
from gentrade.signals.batch import evaluate_batch
from gentrade.signals.batch_outcomes import BatchOutcomes
from gentrade.signals.candles import Candles, candles_from_frame, load_candles_arrays
from gentrade.signals.evaluate import evaluate, evaluate_many
from gentrade.signals.outcome import DataQuality, EvaluationSettings, Fill, Gap, SignalOutcome

__all__ = [
    "BatchOutcomes",
    "Candles",
    "DataQuality",
    "EvaluationSettings",
    "Fill",
    "Gap",
    "SignalArrays",
    "SignalOutcome",
    "candles_from_frame",
    "evaluate",
    "evaluate_batch",
    "evaluate_many",
    "load_candles_arrays",
]
