"""Checks a backtest request must pass before anything is stored, queued or charged (``POST /backtests``
and a chat's approved backtest, ``gentrade.services.chat_backtests``).

The worker checks the same things, but only after the API answered 202, stored a row and took a rate-limit
token: a reversed timerange or a pair with no candles then failed minutes later (some as
``internal_error``). Here they are a 422 naming the request's fields, every one at once, with no server path
in the message.
"""

from __future__ import annotations

from pathlib import Path

from gentrade.data.store import candles_path, check_coverage
from gentrade.errors import DataMissingError


def _when(moment: object) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "…"


def require_candles(
    datadir: Path, pairs: list[str], timeframe: str, timerange: str, *, pairs_field: str = "pairs"
) -> None:
    """Raise one ``DataMissingError`` (422) naming every pair with no candles (``pairs[i]``) and every
    pair whose candles do not cover the range (``timerange``).

    ``pairs_field`` is what to call the pairs in the paths: the request's ``pairs``, or ``spec.pairs`` when
    the request left them to the strategy.
    """
    problems: list[dict[str, str]] = []
    for index, pair in enumerate(pairs):
        if not candles_path(datadir, pair, timeframe).is_file():
            problems.append(
                {"path": f"{pairs_field}[{index}]", "message": f"no {timeframe} candles for {pair}"}
            )
            continue
        coverage = check_coverage(datadir, pair, timeframe, timerange)
        if coverage.first is None:
            message = f"no {timeframe} candles for {pair} in {timerange}"
            problems.append({"path": "timerange", "message": message})
            continue
        for start, stop in coverage.missing:
            problems.append(
                {
                    "path": "timerange",
                    "message": f"{pair} {timeframe}: no candles {_when(start)} → {_when(stop)} "
                    f"(they cover {_when(coverage.first)} → {_when(coverage.last)})",
                }
            )
    if problems:
        summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:3])
        raise DataMissingError(f"invalid request: {summary}", details=problems)
