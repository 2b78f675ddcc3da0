"""OHLCV candles in freqtrade's on-disk layout: ``<datadir>/<BASE>_<QUOTE>-<timeframe>.feather``.

Everything here reads the files directly (pandas + pyarrow) instead of importing freqtrade, because the
API, CLI and the backtest runner check data before a run and must stay cheap to import; freqtrade itself
reads the same files during the backtest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from gentrade.errors import ConfigError, DataMissingError
from gentrade.spec.common import TIMEFRAME_SECONDS, timeframe_seconds

CANDLE_COLUMNS: tuple[str, ...] = ("date", "open", "high", "low", "close", "volume")

# Spot files only: futures/mark/funding files carry a suffix after the timeframe and are not ours.
_SPOT_FILE = re.compile(r"^(?P<base>[^_]+)_(?P<quote>[^_]+)-(?P<tf>\d+[smhdwM])\.feather$")
_RESAMPLE = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
_TIMERANGE_POINT = re.compile(r"^(\d{8}|\d{10})$")
_EDGE_TOLERANCE = timedelta(days=1)


def pair_filename(pair: str) -> str:
    """freqtrade's file stem for a spot pair: ``ETH/BTC`` → ``ETH_BTC``."""
    base, sep, quote = pair.partition("/")
    if not sep or not base or not quote or ":" in pair:
        raise ConfigError(f"invalid spot pair {pair!r} (expected BASE/QUOTE)")
    return f"{base}_{quote}"


def candles_path(datadir: Path, pair: str, timeframe: str) -> Path:
    timeframe_seconds(timeframe)
    return Path(datadir) / f"{pair_filename(pair)}-{timeframe}.feather"


def available(datadir: Path) -> list[tuple[str, str]]:
    """Every ``(pair, timeframe)`` with a spot candle file in ``datadir``, sorted; files of timeframes outside
    the spec's table (``1s``, ``1M``) are not ours to read."""
    found: list[tuple[str, str]] = []
    if not Path(datadir).is_dir():
        return found
    for path in Path(datadir).iterdir():
        match = _SPOT_FILE.match(path.name)
        if match and match["tf"] in TIMEFRAME_SECONDS:
            found.append((f"{match['base']}/{match['quote']}", match["tf"]))
    return sorted(found, key=lambda item: (item[0], timeframe_seconds(item[1])))


def list_pairs(datadir: Path, timeframe: str | None = None) -> list[str]:
    return sorted({pair for pair, tf in available(datadir) if timeframe is None or tf == timeframe})


def list_timeframes(datadir: Path, pair: str | None = None) -> list[str]:
    timeframes = {tf for p, tf in available(datadir) if pair is None or p == pair}
    return sorted(timeframes, key=timeframe_seconds)


def load_candles_frame(datadir: Path, pair: str, timeframe: str, *, resample: bool = False) -> pd.DataFrame:
    """The one candle loader: a DataFrame sorted by date with a UTC ``date`` column; a missing file is a
    ``DataMissingError``.

    With ``resample``, a timeframe without its own file is built from the coarsest finer file that divides it,
    complete buckets only (a partly filled bucket is not a candle yet): signals and the analyst speak
    1h/4h/1d/1w while stored data is often 5m. Backtest paths leave it off, since freqtrade reads files only.
    """
    path = candles_path(datadir, pair, timeframe)
    if path.is_file() or not resample:
        return _read_frame(path, pair, timeframe, datadir)
    want = timeframe_seconds(timeframe)
    finer = [
        tf
        for tf in list_timeframes(datadir, pair)
        if timeframe_seconds(tf) < want and want % timeframe_seconds(tf) == 0
    ]
    if not finer:
        raise DataMissingError(
            f"no candles for {pair} at {timeframe} or finer in {datadir}",
            details={"pair": pair, "timeframe": timeframe},
        )
    source = finer[-1]
    per_bucket = want // timeframe_seconds(source)
    fine = _read_frame(candles_path(datadir, pair, source), pair, source, datadir).set_index("date")
    buckets = fine.resample(f"{want}s", label="left", closed="left")
    coarse = buckets.agg(_RESAMPLE)
    complete = buckets["close"].count() == per_bucket
    return coarse[complete].dropna().reset_index()


def _read_frame(path: Path, pair: str, timeframe: str, datadir: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataMissingError(
            f"no {timeframe} candles for {pair} in {datadir} (expected {path.name})",
            details={"pair": pair, "timeframe": timeframe, "path": str(path)},
        )
    frame = pd.read_feather(path, columns=list(CANDLE_COLUMNS))
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    return frame.sort_values("date", ignore_index=True)


def save_candles(datadir: Path, pair: str, timeframe: str, candles: pd.DataFrame) -> Path:
    """Write candles the way freqtrade's feather handler does, so freqtrade reads them unchanged."""
    path = candles_path(datadir, pair, timeframe)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = candles.loc[:, list(CANDLE_COLUMNS)].reset_index(drop=True)
    frame.to_feather(path, compression_level=9, compression="lz4")
    return path


@dataclass(frozen=True)
class TimeRange:
    """A freqtrade ``--timerange`` (``YYYYMMDD-YYYYMMDD``, open ends allowed); ``None`` ends are open."""

    start: datetime | None
    stop: datetime | None

    @classmethod
    def parse(cls, text: str | None) -> TimeRange:
        if not text:
            return cls(None, None)
        head, sep, tail = text.partition("-")
        if not sep or (not head and not tail):
            raise ConfigError(f"invalid timerange {text!r} (expected YYYYMMDD-YYYYMMDD, open ends allowed)")
        start, stop = _parse_point(head, text), _parse_point(tail, text)
        if start is not None and stop is not None and start >= stop:
            raise ConfigError(f"invalid timerange {text!r}: start is not before stop")
        return cls(start, stop)


def _parse_point(point: str, text: str) -> datetime | None:
    if not point:
        return None
    if not _TIMERANGE_POINT.match(point):
        raise ConfigError(f"invalid timerange {text!r} (dates are YYYYMMDD or unix seconds)")
    if len(point) == 10:
        return datetime.fromtimestamp(int(point), tz=UTC)
    try:
        return datetime.strptime(point, "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:  # 00000000, 99999999, 20180231: digits that name no day
        raise ConfigError(f"invalid timerange {text!r}: {point} is not a calendar date") from None


@dataclass(frozen=True)
class Coverage:
    """How a pair's candles cover a timerange: the span present, and what is missing at either end."""

    pair: str
    timeframe: str
    first: datetime | None
    last: datetime | None
    candles: int
    missing: list[tuple[datetime | None, datetime | None]] = field(default_factory=list)
    interior_gaps: int = 0

    @property
    def complete(self) -> bool:
        return not self.missing


def _fmt(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "…"


def check_coverage(
    datadir: Path,
    pair: str,
    timeframe: str,
    timerange: str | None,
    *,
    tolerance: timedelta = _EDGE_TOLERANCE,
) -> Coverage:
    """Compare the candles on disk with a timerange.

    A shortfall at either end of at most ``tolerance`` is accepted: ``20180110-`` on data that starts at
    04:55 that day is what people mean, and freqtrade reports the exact span it used. Interior gaps are
    counted, not refused, because freqtrade fills them and real exchange data has them.
    """
    tr = TimeRange.parse(timerange)
    step = timedelta(seconds=timeframe_seconds(timeframe))
    path = candles_path(datadir, pair, timeframe)
    if not path.is_file():
        return Coverage(pair, timeframe, None, None, 0, missing=[(tr.start, tr.stop)])
    dates = load_candles_frame(datadir, pair, timeframe)["date"]
    if tr.start is not None:
        dates = dates[dates >= tr.start - tolerance]
    if tr.stop is not None:
        dates = dates[dates < tr.stop + tolerance]
    if dates.empty:
        return Coverage(pair, timeframe, None, None, 0, missing=[(tr.start, tr.stop)])
    first, last = dates.iloc[0].to_pydatetime(), dates.iloc[-1].to_pydatetime()
    missing: list[tuple[datetime | None, datetime | None]] = []
    if tr.start is not None and first - tr.start > tolerance:
        missing.append((tr.start, first))
    if tr.stop is not None and tr.stop - (last + step) > tolerance:
        missing.append((last + step, tr.stop))
    interior_gaps = int((dates.diff().dropna() > step).sum())
    return Coverage(pair, timeframe, first, last, len(dates), missing, interior_gaps)


def require_coverage(datadir: Path, pairs: list[str], timeframe: str, timerange: str | None) -> None:
    """Raise one ``DataMissingError`` naming every pair, timeframe and range that is not on disk."""
    problems: list[str] = []
    details: list[dict[str, str | None]] = []
    for pair in pairs:
        coverage = check_coverage(datadir, pair, timeframe, timerange)
        if coverage.first is None:
            problems.append(f"{pair} {timeframe}: no candles in {datadir} for timerange {timerange or 'all'}")
        for start, stop in coverage.missing if coverage.first is not None else []:
            problems.append(
                f"{pair} {timeframe}: missing {_fmt(start)} → {_fmt(stop)} "
                f"(candles cover {_fmt(coverage.first)} → {_fmt(coverage.last)})"
            )
        for start, stop in coverage.missing:
            details.append(
                {
                    "pair": pair,
                    "timeframe": timeframe,
                    "missing_start": start.isoformat() if start else None,
                    "missing_stop": stop.isoformat() if stop else None,
                }
            )
    if problems:
        raise DataMissingError("; ".join(problems), details=details)
