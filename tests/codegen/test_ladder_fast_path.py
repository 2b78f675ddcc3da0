"""The ladder's fast path changes nothing but speed: identical trades on the real candles.

Three variants of each bundled example, backtested by the ordinary runner:

- as rendered: the per-candle callbacks opt out of freqtrade's deep copy of the trade, the entry ATR is
  found by a binary search over the candle dates populate_indicators kept, the ladder levels done are only
  counted again when the trade's orders or amount change, and custom_stoploss returns nothing when the stop
  in place is already the one it wants;
- ordinary: the same file without the opt-out lines (freqtrade deep-copies the trade for every call);
- reference: the ordinary file with the entry ATR found the obvious way, a boolean mask over every candle
  of freqtrade's analyzed frame, the levels done counted on every call, and the stop always returned.

All three must make exactly the same trades, orders and exit tags.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gentrade.codegen import render
from gentrade.engine import run_backtest
from gentrade.examples import load_examples
from gentrade.spec import StrategySpec

FAST_LOOKUP = re.compile(
    r"        # Candles are sorted by date.*?"
    r"        value = float\(atr\[known\]\) if known is not None else math\.inf\n",
    re.S,
)
SKIP_UNCHANGED = re.compile(
    r"        if not after_fill and trade\.stop_loss and sign \* \(trade\.stop_loss - stop\) >= 0:\n"
    r".*?return None\n",
    re.S,
)
MASK_LOOKUP = """        dataframe, _ = self.dp.get_analyzed_dataframe(trade.pair, self.timeframe)
        known = dataframe.loc[dataframe["date"] <= signal_time, "gt_risk_atr"].dropna()
        if known.empty:
            known = dataframe["gt_risk_atr"].dropna()
        value = float(known.iloc[-1]) if not known.empty else math.inf
"""

LEVELS_MEMO = "        if memo[2] != orders or memo[3] != amount:\n"


def variants(source: str, name: str) -> dict[str, tuple[str, str]]:
    ordinary = re.sub(r"\n    \w+\.__qualname__ = \"IStrategy\.\w+\"", "", source)
    reference, replaced = FAST_LOOKUP.subn(MASK_LOOKUP, ordinary)
    reference, skipped = SKIP_UNCHANGED.subn("", reference)
    recounted = reference.count(LEVELS_MEMO)
    reference = reference.replace(LEVELS_MEMO, "        if True:\n")
    assert ordinary != source and replaced == skipped == recounted == 1, (
        "the rendered source no longer has the expected shape"
    )
    return {
        "rendered": (name, source),
        "ordinary": (f"{name}Ordinary", ordinary.replace(f"class {name}(", f"class {name}Ordinary(")),
        "reference": (f"{name}Reference", reference.replace(f"class {name}(", f"class {name}Reference(")),
    }


@pytest.mark.slow
@pytest.mark.parametrize("spec", load_examples(), ids=lambda spec: spec.name)
def test_fast_path_trades_exactly_like_ordinary_callbacks_and_a_plain_atr_lookup(
    spec: StrategySpec, shared_data_dir: Path, tmp_path: Path
) -> None:
    trades = {}
    for key, (cls, text) in variants(render(spec), spec.name).items():
        folder = tmp_path / key
        folder.mkdir()
        (folder / f"{cls}.py").write_text(text)
        result = run_backtest(
            folder / f"{cls}.py",
            shared_data_dir,
            "20180118-20180130",
            ["ETH/BTC", "LTC/BTC", "ADA/BTC"],
            spec.timeframe,
            results_dir=folder / "results",
        )
        trades[key] = [trade.model_dump() for trade in result.trade_list]
    assert len(trades["rendered"]) > 5
    assert trades["rendered"] == trades["ordinary"] == trades["reference"]
