"""The offline change of a draft ("the improve loop"): the kinds of phrasing a person uses to amend a
draft, each checked on the merged spec and on the diff the reply shows; anything not understood leaves the
draft as it was and is named."""

from __future__ import annotations

import pytest

from agents.drafting.merge import merge_change
from agents.drafting.spec_diff import spec_diff
from agents.errors import DraftNotUnderstoodError
from agents.offline import draft
from gentrade.spec import AtrMultiple, Percent, StrategySpec

EMA_IDEA = "buy BTC/USDT when EMA 20 crosses above EMA 50, 3% stop"


@pytest.fixture
def ema() -> StrategySpec:
    return draft(EMA_IDEA).spec


def _comparisons(spec: StrategySpec) -> list[str]:
    rule = spec.model_dump(mode="json")["entry_long"]
    children = rule.get("all", [rule])
    return [
        f"{c['left'].get('indicator')} {c['op']} {c['right'].get('value', c['right'].get('indicator'))}"
        for c in children
    ]


def test_stop_to_atr_and_an_rsi_filter_amend_the_entry(ema: StrategySpec) -> None:
    result = merge_change(ema, "change the stop to 2 ATR and add RSI below 40 as a filter")
    after = result.spec
    assert after.stop.initial == AtrMultiple(atr=2.0)
    assert _comparisons(after) == ["ema_20 crosses_above ema_50", "rsi < 40.0"]  # EMA kept, RSI ANDed
    assert {ind.id for ind in after.indicators} == {"ema_20", "ema_50", "rsi"}
    assert after.take_profit == ema.take_profit and after.timeframe == ema.timeframe
    assert spec_diff(ema, after) == ["entry_long: + rsi < 40", "stop.initial: 3% -> 2 ATR"]
    assert result.assumptions == ["no period given for the RSI: RSI(14)"]  # the period the text left out


@pytest.mark.parametrize(
    ("text", "diff"),
    [
        ("tighten the stop to 1.5 ATR", ["stop.initial: 3% -> 1.5 ATR"]),
        ("widen the stop-loss to 4%", ["stop.initial: 3% -> 4%"]),
        ("also require ADX above 25", ["entry_long: + adx.adx > 25"]),
        (
            "use 3 take profits at 1R 2R 4R",
            ["take_profit: 40% at 1R, 30% at 2R, 30% at 3R -> 40% at 1R, 30% at 2R, 30% at 4R"],
        ),
        ("switch to 15m", ["timeframe: 5m -> 15m"]),
        ("exit when RSI above 70", ["exit_long: + rsi > 70"]),
        ("trail 1% after TP1", ["stop.trailing: none -> 1% after TP1"]),
    ],
)
def test_one_kind_of_change_each(ema: StrategySpec, text: str, diff: list[str]) -> None:
    after = merge_change(ema, text).spec
    assert spec_diff(ema, after) == diff


def test_a_rule_without_add_words_replaces_that_side(ema: StrategySpec) -> None:
    after = merge_change(ema, "enter when RSI below 30 instead").spec
    assert _comparisons(after) == ["rsi < 30.0"]
    assert {ind.id for ind in after.indicators} == {"rsi"}  # the EMAs no rule uses are gone


def test_remove_a_filter_keeps_the_rest(ema: StrategySpec) -> None:
    filtered = merge_change(ema, "add RSI below 40 as a filter").spec
    after = merge_change(filtered, "remove the RSI filter").spec
    assert after.entry_long == ema.entry_long and after.indicators == ema.indicators
    assert spec_diff(filtered, after) == ["entry_long: - rsi < 40"]


def test_remove_then_add_in_one_message(ema: StrategySpec) -> None:
    filtered = merge_change(ema, "add RSI below 40 as a filter").spec
    after = merge_change(filtered, "remove the RSI filter and also require ADX above 25").spec
    assert _comparisons(after) == ["ema_20 crosses_above ema_50", "adx > 25.0"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("make it purple", "make it purple"),
        ("remove the MACD filter", "remove macd: no rule of the draft uses it"),
        ("remove the EMA filter", "it is the whole entry rule"),
        ("remove the trailing stop", "the draft has none"),
        ("use 2 take profits at 1R 2R 4R", "2 take profits, but 3 target levels were named"),
        ("tighten the stop to 1.5 ATR and make it purple", "make it purple"),
        ("also require RSI above 120", "entry_long: RSI(14) > 120 (RSI only reads 0 to 100)"),
    ],
)
def test_what_is_not_understood_is_named_and_nothing_changes(
    ema: StrategySpec, text: str, named: str
) -> None:
    before = ema.model_dump()
    with pytest.raises(DraftNotUnderstoodError) as caught:
        merge_change(ema, text)
    assert named in caught.value.message and "unchanged" in caught.value.message
    assert ema.model_dump() == before
    assert ema.stop.initial == Percent(percent=3.0)


@pytest.mark.parametrize(
    ("idea", "text", "diff"),
    [
        (
            "buy ETH/BTC when RSI(14) under 30, exit when RSI above 70",
            "exit when RSI above 75",
            ["exit_long: + rsi > 75, - rsi > 70"],
        ),
        (
            "buy ETH/BTC when stochastic oversold",
            "exit when stochastic above 80",
            ["exit_long: + stoch.k > 80"],
        ),
        (
            "buy ETH/BTC when MACD crosses above signal",
            "exit when MACD crosses below signal",
            ["exit_long: + macd.macd crosses_below macd.signal"],
        ),
        (
            "buy ETH/BTC when price below the lower bollinger band",
            "exit when price above the upper bollinger band",
            ["exit_long: + close > bb.upper"],
        ),
    ],
)
def test_a_change_may_name_an_indicator_the_draft_already_has(idea: str, text: str, diff: list[str]) -> None:
    """The stored indicator has its defaults filled in ("source": "close"), the one read from the change
    does not: the same indicator must still count as the same."""
    before = draft(idea).spec
    assert spec_diff(before, merge_change(before, text).spec) == diff


RSI_IDEA = "buy ETH/BTC when RSI(14) under 30, exit when RSI above 70, stop 2 ATR"


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("also trade LTC/BTC", ["ETH/BTC", "LTC/BTC"]),
        ("add ADA/BTC as a pair", ["ETH/BTC", "ADA/BTC"]),
        ("trade LTC/BTC as well", ["ETH/BTC", "LTC/BTC"]),
        ("trade LTC/BTC instead", ["LTC/BTC"]),
        ("trade ETH/BTC and LTC/BTC", ["ETH/BTC", "LTC/BTC"]),
    ],
)
def test_an_added_pair_joins_the_pairs_a_named_one_replaces_them(text: str, pairs: list[str]) -> None:
    assert merge_change(draft(RSI_IDEA).spec, text).spec.pairs == pairs


def test_another_timeframe_as_well_is_refused_not_switched() -> None:
    with pytest.raises(DraftNotUnderstoodError, match="trades one timeframe"):
        merge_change(draft(RSI_IDEA).spec, "also trade on 4h")
    both = merge_change(draft(RSI_IDEA).spec, "switch to 1h and also require ADX above 25").spec
    assert both.timeframe == "1h"


def test_a_time_stop_in_candles_keeps_its_duration_across_a_new_timeframe() -> None:
    held = draft(RSI_IDEA + ", on the 15m, close after 4 hours").spec
    assert held.max_candles_in_trade == 16
    assert merge_change(held, "switch to 1h").spec.max_candles_in_trade == 4
    assert merge_change(held, "switch to 5m").spec.max_candles_in_trade == 48
    with pytest.raises(DraftNotUnderstoodError, match="not a whole number of 8h candles"):
        merge_change(held, "switch to 8h")
    assert merge_change(held, "switch to 8h, close after 3 candles").spec.max_candles_in_trade == 3


def test_a_change_from_one_level_to_another_is_refused_not_anded() -> None:
    with pytest.raises(DraftNotUnderstoodError, match="the same value bounded twice"):
        merge_change(draft(RSI_IDEA).spec, "change RSI under 30 to RSI under 25")


def test_only_take_trades_when_is_a_filter() -> None:
    before = draft(RSI_IDEA).spec
    after = merge_change(before, "only take trades when ADX is over 20").spec
    assert spec_diff(before, after) == ["entry_long: + adx.adx > 20"]
