"""The spec's ``risk:`` section as strategy code: one block of class attributes and callbacks.

The block is empty for a spec without ``risk:``, so such a spec renders to the same bytes as before the
section existed. Everything here is plain freqtrade: ``protections`` is the strategy attribute freqtrade
reads (backtests need ``--enable-protections``; the runner turns it on for strategies that declare them),
the daily loss limit is a global ``"*"`` lock set from ``confirm_trade_entry`` (freqtrade's
``PairLocks`` honour it in backtests and bots alike), and sizing by risk is ``custom_stake_amount``.
"""

from __future__ import annotations

import json

from gentrade.spec.risk_controls import RiskSpec

_WALLET = '''
    def gt_wallet(self) -> float:
        """The whole wallet in the stake currency: free plus tied up in open trades (before freqtrade's
        tradable_balance_ratio, which only reserves part of it from being staked)."""
        return Trade.total_open_trades_stakes() + self.wallets.get_free(self.config["stake_currency"])
'''

_DAILY_LOSS = """
    def confirm_trade_entry(
        self,
        pair: str,
        order_type: str,
        amount: float,
        rate: float,
        time_in_force: str,
        current_time: datetime,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> bool:
        # Daily loss limit: the trades closed since 00:00 UTC lost gt_daily_loss_limit of the wallet the day
        # began with (today's wallet plus what today lost) -> lock every pair until the next UTC midnight.
        day_start = current_time.replace(hour=0, minute=0, second=0, microsecond=0)
        closed_today = Trade.get_trades_proxy(is_open=False, close_date=day_start)
        realised = sum(trade.close_profit_abs or 0.0 for trade in closed_today)
        day_wallet = self.gt_wallet() - realised
        if realised < 0 and -realised >= day_wallet * self.gt_daily_loss_limit:
            # freqtrade rounds a lock's end up to the next candle: a second before midnight ends it at 00:00.
            last_second = day_start + timedelta(days=1) - timedelta(seconds=1)
            self.lock_pair("*", until=last_second, reason="daily_loss_limit")
            return False
        return True
"""

_SIZING = '''
    def custom_stake_amount(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_stake: float,
        min_stake: float | None,
        max_stake: float,
        leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> float:
        # Sizing by risk: the stake whose initial stop loses gt_risk_per_trade of the wallet, at most
        # gt_max_stake_fraction of the wallet (and what freqtrade allows).
        wallet = self.gt_wallet()
        distance = self.gt_stop_distance(pair, current_time, current_rate)
        stake = wallet * self.gt_risk_per_trade * current_rate / distance / leverage
        return min(stake, wallet * self.gt_max_stake_fraction, max_stake)

    def gt_stop_distance(self, pair: str, current_time: datetime, rate: float) -> float:
        """Price distance from `rate` to the initial stop an entry now gets (as gt_plan fixes it)."""
        kind, size = self.gt_stop
        if kind == "percent":
            distance = rate * size / 100.0
        else:
            dataframe, _ = self.dp.get_analyzed_dataframe(pair, self.timeframe)
            signal_time = current_time - timedelta(minutes=self.gt_timeframe_minutes)
            known = dataframe.loc[dataframe["date"] <= signal_time, "gt_risk_atr"].dropna()
            distance = float(known.iloc[-1]) * size if not known.empty else math.inf
        return min(distance, rate * self.gt_stop_cap)
'''


def risk_block(risk: RiskSpec | None) -> str:
    """Class-body code for ``risk`` (indented four spaces), framed by blank lines; "" without it."""
    if risk is None:
        return ""
    lines = ["", "    # Account limits (the spec's risk section)."]
    if risk.max_open_trades is not None:
        lines.append(f"    max_open_trades = {risk.max_open_trades}")
    if risk.protections:
        body = json.dumps(risk.freqtrade_protections(), indent=4).replace("\n", "\n    ")
        lines.append("    # freqtrade protections; durations in candles of the strategy's timeframe.")
        lines.append(f"    protections = {_python(body)}")
    if risk.daily_loss_limit is not None:
        lines.append("    # Daily loss limit: share of the wallet the UTC day's closed trades may lose.")
        lines.append(f"    gt_daily_loss_limit = {risk.daily_loss_limit / 100.0!r}")
    if risk.risk_per_trade is not None:
        lines.append(
            "    # Sizing by risk: share of the wallet lost at the initial stop; stake cap, share of wallet."
        )
        lines.append(f"    gt_risk_per_trade = {risk.risk_per_trade / 100.0!r}")
        lines.append(f"    gt_max_stake_fraction = {risk.max_stake_fraction!r}")
    text = "\n".join(lines) + "\n"
    if risk.daily_loss_limit is not None or risk.risk_per_trade is not None:
        text += _WALLET
    if risk.daily_loss_limit is not None:
        text += _DAILY_LOSS
    if risk.risk_per_trade is not None:
        text += _SIZING
    return text


def _python(json_text: str) -> str:
    """JSON booleans as Python literals (the protections hold only numbers, strings and booleans)."""
    return json_text.replace(": true", ": True").replace(": false", ": False")
