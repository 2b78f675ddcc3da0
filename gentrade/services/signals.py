"""Signals in the database: generate one with the analyst, store it with its snapshots, evaluate it, and
sweep the expired ones. The API, the CLI and the Celery beat all call these functions.

Generation runs the analyst's analysis step on the data dir's candles (``agents.offline.analyze``, or the
LLM analyst when a client is given) — not the whole analyst graph, whose in-sample and held-back backtests
take minutes and judge the *strategy*, while a signal is judged later by its outcome.

``generated_at`` is the close of the last candle the analyst read, not its open: a signal is known only
once that candle has closed, and the evaluator trusts candles that open at or after ``generated_at``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agents.llm import LLMClient
from agents.offline import Snapshot, analyze, take_snapshot
from gentrade.data import store
from gentrade.db.base import utcnow
from gentrade.db.models import SignalOutcome as OutcomeRow
from gentrade.db.models import TradeSignal as SignalRow
from gentrade.db.models import User
from gentrade.db.repositories import signals as repo
from gentrade.db.repositories.signals import ACTIVE, SignalFilter
from gentrade.errors import DataMissingError, GenTradeError
from gentrade.signals import (
    EvaluationSettings,
    SignalArrays,
    SignalOutcome,
    evaluate,
    evaluate_batch,
    load_candles_arrays,
)
from gentrade.signals.outcome import DEFAULT_SETTINGS
from gentrade.signals.stats import Evaluated
from gentrade.spec import TIMEFRAME_SECONDS, TradeSignal, parse_signal, timeframe_seconds

logger = logging.getLogger(__name__)

SENTIMENT_FIELDS = ("fear_greed_index", "news_sentiment", "social_sentiment")
"""Market-snapshot fields no offline source fills; kept (as null) so every stored snapshot has one shape."""


def indicator_snapshot(snap: Snapshot) -> dict[str, Any]:
    return {
        "rsi": snap.rsi,
        "macd": snap.macd,
        "macd_signal": snap.macd_signal,
        "macd_hist": snap.macd_hist,
        "ema20": snap.ema20,
        "ema50": snap.ema50,
        "ema200": snap.ema200,
        "bb_upper": snap.bb_upper,
        "bb_middle": snap.bb_middle,
        "bb_lower": snap.bb_lower,
        "atr": snap.atr,
        "atr_pct": snap.atr_pct,
        "adx": snap.adx,
        "volume_24h": snap.volume_24h,
        "regime": snap.regime,
    }


def market_snapshot(candles: pd.DataFrame, closed_at: datetime) -> dict[str, Any]:
    """Price and its 24 h change from the candles the analyst read (the change is null with < 24 h)."""
    last = candles["date"].iloc[-1]
    price = float(candles["close"].iloc[-1])
    before = candles.loc[candles["date"] <= last - timedelta(hours=24), "close"]
    change = (price / float(before.iloc[-1]) - 1) * 100 if len(before) else None
    return {
        "price": price,
        "change_24h_pct": change,
        "as_of": closed_at.isoformat(),
        **dict.fromkeys(SENTIMENT_FIELDS),
    }


def _closed_candles(candles: pd.DataFrame, timeframe: str, as_of: datetime | None) -> pd.DataFrame:
    if as_of is None:
        return candles
    length = pd.Timedelta(seconds=TIMEFRAME_SECONDS[timeframe])
    return candles[candles["date"] + length <= as_of].reset_index(drop=True)


def generate_signal(
    session: Session,
    owner: User,
    pair: str,
    timeframe: str,
    *,
    datadir: Path,
    as_of: datetime | None = None,
    llm: LLMClient | None = None,
) -> SignalRow:
    """Analyse the candles closed by ``as_of`` (default: all of them) and store the signal as ``active``."""
    candles = _closed_candles(
        store.load_candles_frame(datadir, pair, timeframe, resample=True), timeframe, as_of
    )
    if candles.empty:
        raise DataMissingError(f"no {timeframe} candles for {pair} closed by {as_of}")
    length = pd.Timedelta(seconds=TIMEFRAME_SECONDS[timeframe])
    closed_at = (candles["date"].iloc[-1] + length).to_pydatetime()
    if llm is None:
        analysis = analyze(candles, pair, timeframe)
        snap, signal = analysis.snapshot, analysis.signal
    else:
        from agents.analyst.llm_analyst import analyze_with_llm

        snap = take_snapshot(candles, pair, timeframe)
        signal, _spec = analyze_with_llm(llm, snap, None)
    signal = parse_signal({**signal.model_dump(mode="json"), "generated_at": closed_at.isoformat()})
    snapshots = {"indicators": indicator_snapshot(snap), "market": market_snapshot(candles, closed_at)}
    return store_signal(session, owner, signal, snapshots=snapshots)


def store_signal(
    session: Session, owner: User, signal: TradeSignal, *, snapshots: dict[str, Any] | None = None
) -> SignalRow:
    generated_at = signal.generated_at or utcnow()
    if signal.generated_at is None:
        signal = signal.model_copy(update={"generated_at": generated_at})
    row = SignalRow(
        owner_id=owner.id,
        symbol=signal.symbol,
        direction=signal.direction,
        timeframe=signal.timeframe,
        entry=signal.entry,
        take_profits=[target.model_dump() for target in signal.take_profits],
        stop=signal.stop_loss,
        breakeven_after_tp1=signal.breakeven_after_tp1,
        confidence=signal.confidence,
        market_condition=signal.market_condition,
        reasoning=signal.reasoning,
        model_id=signal.model_id,
        status=ACTIVE,
        snapshots=snapshots,
        generated_at=generated_at,
        expires_at=signal.expires_at(),
    )
    return repo.add(session, row)


def _valid_for_candles(row: SignalRow) -> int:
    """The signal's validity, recovered from ``expires_at`` (the row does not store it)."""
    if row.expires_at is None:
        return 6
    return round((row.expires_at - row.generated_at) / timedelta(seconds=TIMEFRAME_SECONDS[row.timeframe]))


def signal_of(row: SignalRow) -> TradeSignal:
    """The row as the typed signal again (validity recovered from ``expires_at``)."""
    return parse_signal(
        {
            "symbol": row.symbol,
            "direction": row.direction,
            "timeframe": row.timeframe,
            "entry": row.entry,
            "take_profits": row.take_profits,
            "stop_loss": row.stop,
            "breakeven_after_tp1": row.breakeven_after_tp1,
            "confidence": round(row.confidence or 0),
            "market_condition": row.market_condition or "unknown",
            "reasoning": row.reasoning or "",
            "model_id": row.model_id or "unknown",
            "generated_at": row.generated_at,
            "valid_for_candles": _valid_for_candles(row),
        }
    )


def signal_arrays(rows: Sequence[SignalRow]) -> SignalArrays:
    """The rows as the batch evaluator's columns, equal to ``SignalArrays.from_signals`` of their
    ``signal_of``: read straight from the row attributes, since a sweep needs no pydantic model per row
    (the rows were validated when stored)."""
    ladders = [row.take_profits for row in rows]
    targets = [*chain.from_iterable(ladders)]
    return SignalArrays.from_columns(
        symbols=[row.symbol for row in rows],
        directions=[row.direction for row in rows],
        timeframes=[row.timeframe for row in rows],
        valid_for_candles=[_valid_for_candles(row) for row in rows],
        entry=[row.entry for row in rows],
        stop=[row.stop for row in rows],
        breakeven=[row.breakeven_after_tp1 for row in rows],
        generated_at=[row.generated_at for row in rows],
        n_targets=[len(ladder) for ladder in ladders],
        target_prices=[target["price"] for target in targets],
        target_allocations=[target["allocation"] for target in targets],
    )


# ----------------------------------------------------------------------------------------------- reading


def evaluated(
    session: Session, actor: User, where: SignalFilter | None = None, *, own_only: bool = False
) -> list[Evaluated]:
    """Every (signal, outcome) pair of the actor's evaluated signals, oldest first (``own_only``: see
    ``repositories.signals.evaluated``)."""
    rows = repo.evaluated(session, actor, where, own_only=own_only)
    return [(signal_of(row), stored_outcome(out)) for row, out in rows]


def stored_outcome(row: OutcomeRow) -> SignalOutcome:
    """The stored JSON as the typed outcome; the derived (rounded) fields in it are recomputed, not read."""
    derived = SignalOutcome.model_computed_fields
    return SignalOutcome.model_validate({k: v for k, v in row.outcome.items() if k not in derived})


# ----------------------------------------------------------------------------------------------- evaluating


def candle_timeframe(datadir: Path, pair: str, signal_timeframe: str) -> str:
    """The finest stored timeframe that divides the signal's: finer candles see more of the price path."""
    want = timeframe_seconds(signal_timeframe)
    usable = [
        tf
        for tf in store.list_timeframes(datadir, pair)
        if timeframe_seconds(tf) <= want and want % timeframe_seconds(tf) == 0
    ]
    if not usable:
        raise DataMissingError(
            f"no candles for {pair} at {signal_timeframe} or finer in {datadir}",
            details={"pair": pair, "timeframe": signal_timeframe},
        )
    return usable[0]


def evaluate_row(
    session: Session,
    row: SignalRow,
    *,
    datadir: Path,
    settings: EvaluationSettings | None = None,
) -> OutcomeRow:
    """Evaluate on the data dir's candles; the outcome replaces any earlier one and the status follows it."""
    signal = signal_of(row)
    candles = load_candles_arrays(datadir, row.symbol, candle_timeframe(datadir, row.symbol, row.timeframe))
    outcome = evaluate(signal, candles, settings=settings or DEFAULT_SETTINGS)
    stored = _store_outcome(session, row, repo.outcome_of(session, row), outcome)
    session.flush()
    return stored


def _store_outcome(
    session: Session, row: SignalRow, stored: OutcomeRow | None, outcome: SignalOutcome
) -> OutcomeRow:
    """``outcome`` into the signal's outcome row (``stored``, or a new one) and its status onto the signal."""
    stored = stored or OutcomeRow(signal_id=row.id, outcome={})
    stored.outcome = outcome.model_dump(mode="json")
    stored.net_pnl_pct = outcome.net_pnl_pct
    stored.net_pnl_abs = outcome.net_pnl
    stored.evaluated_at = utcnow()
    row.status = outcome.status
    repo.put_outcome(session, stored)
    return stored


def evaluate_expired_signals(
    session: Session,
    now: datetime | None = None,
    *,
    datadir: Path,
    settings: EvaluationSettings | None = None,
) -> list[int]:
    """Evaluate every active signal, of every user, whose expiry has passed; returns the ids evaluated.

    For the Celery beat (every 5 minutes). The due signals go a group at a time, a group being the signals
    of one symbol that read the same candles (``candle_timeframe``): the candles are loaded once and the
    whole group is judged by one ``evaluate_batch``, whose outcomes equal ``evaluate_row``'s. Each group is
    committed on its own, so one that fails (its candles are missing, say) is logged and left active for the
    next sweep without undoing the others. A signal whose candles do not yet reach its expiry comes out
    ``active`` (or ``pending``, its entry not reached yet) and is retried the same way.
    """
    moment = now or datetime.now(UTC)
    done: list[int] = []
    for group in _groups(datadir, repo.due_kinds(session, moment)):
        done += _evaluate_group(session, group, moment, datadir, settings or DEFAULT_SETTINGS)
    return sorted(done)


@dataclass(frozen=True)
class _Group:
    """The due signals of ``symbol`` with one of ``signal_timeframes``: all read its ``timeframe`` candles."""

    symbol: str
    timeframe: str
    signal_timeframes: tuple[str, ...]


def _groups(datadir: Path, kinds: Sequence[tuple[str, str]]) -> list[_Group]:
    """The groups of the due (symbol, signal timeframe) pairs; a pair without usable candles is logged and
    left out (its signals stay active)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for symbol, timeframe in kinds:
        try:
            key = (symbol, candle_timeframe(datadir, symbol, timeframe))
        except GenTradeError as exc:
            logger.warning(
                "%s %s signals not evaluated: %s", symbol, timeframe, exc.message, extra={"code": exc.code}
            )
            continue
        groups.setdefault(key, []).append(timeframe)
    return [
        _Group(symbol, timeframe, tuple(signal_timeframes))
        for (symbol, timeframe), signal_timeframes in groups.items()
    ]


def _evaluate_group(
    session: Session,
    group: _Group,
    moment: datetime,
    datadir: Path,
    settings: EvaluationSettings,
) -> list[int]:
    """Evaluate and commit one group; returns its ids, or none when it failed (rolled back, logged).

    The rows are read after the candles, with the due condition again, so a signal deleted or evaluated
    meanwhile (another worker, an on-demand call) is not in the group; each comes with its outcome row, if
    any, which the new outcome replaces.
    """
    try:
        candles = load_candles_arrays(datadir, group.symbol, group.timeframe)
        pairs = repo.due_with_outcomes(session, moment, group.symbol, group.signal_timeframes)
        rows = [row for row, _ in pairs]
        ids = [row.id for row in rows]  # read before the commit expires the rows
        batch = evaluate_batch(signal_arrays(rows), candles, settings=settings)
        for i, (row, stored) in enumerate(pairs):
            _store_outcome(session, row, stored, batch.outcome(i))
        session.commit()
    except GenTradeError as exc:
        session.rollback()
        logger.warning(
            "%s signals on %s candles not evaluated: %s",
            group.symbol,
            group.timeframe,
            exc.message,
            extra={"code": exc.code},
        )
        return []
    except IntegrityError:
        # Another evaluator (an on-demand call, a second beat) stored an outcome for one of these rows
        # first; the group is retried by the next sweep, which no longer sees the rows it finished.
        session.rollback()
        logger.warning("%s signals evaluated concurrently elsewhere; retried next sweep", group.symbol)
        return []
    except Exception:  # a row damaged outside the API, say: this group waits, the others still go
        session.rollback()
        logger.exception("%s signals on %s candles not evaluated", group.symbol, group.timeframe)
        return []
    return ids
