"""Fetch real candles with ``freqtrade download-data`` when the machine has a network.

freqtrade's downloader already knows every exchange's pagination and limits, so we only run it as a child
process and say plainly when it cannot work: no network, or it finished without writing some files.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from gentrade.data import grid, markets, store
from gentrade.errors import ConfigError, DataMissingError

logger = logging.getLogger(__name__)
_EXCHANGE_HOSTS = {"binance": "api.binance.com"}
_PROBE_TIMEOUT_S = 5.0
_OUTPUT_TAIL_CHARS = 2000


def _probe(host: str) -> str | None:
    """Why ``host`` cannot be reached on 443, or None when it can (checked before a minutes-long run)."""
    try:
        with socket.create_connection((host, 443), timeout=_PROBE_TIMEOUT_S):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


def download(
    datadir: Path,
    pairs: Sequence[str],
    timeframes: Sequence[str] = ("5m",),
    *,
    timerange: str | None = None,
    days: int | None = None,
    exchange: str = "binance",
    timeout_s: float = 3600,
) -> list[Path]:
    """Download spot candles into ``datadir`` (feather), put on each market's tick grid; returns the files."""
    if not pairs:
        raise ConfigError("download needs at least one pair")
    if timerange is not None and days is not None:
        raise ConfigError("give either a timerange or a number of days, not both")
    store.TimeRange.parse(timerange)
    paths = [store.candles_path(datadir, pair, tf) for pair in pairs for tf in timeframes]

    host = _EXCHANGE_HOSTS.get(exchange)
    if host is not None and (reason := _probe(host)) is not None:
        raise DataMissingError(
            f"cannot download from {exchange}: {host}:443 is unreachable ({reason}). "
            f"Copy candle files into {datadir} or create synthetic ones with `gentrade data synth`.",
            details={"exchange": exchange, "host": host},
        )

    command = [
        sys.executable, "-m", "freqtrade", "download-data",
        "--exchange", exchange,
        "--datadir", str(datadir),
        "--data-format-ohlcv", "feather",
        "--trading-mode", "spot",
        "--pairs", *pairs,
        "--timeframes", *timeframes,
    ]  # fmt: skip
    if timerange is not None:
        command += ["--timerange", timerange]
    if days is not None:
        command += ["--days", str(days)]
    Path(datadir).mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DataMissingError(f"freqtrade download-data did not finish within {timeout_s:.0f} s") from exc
    output = (done.stdout + done.stderr)[-_OUTPUT_TAIL_CHARS:]
    if done.returncode != 0:
        raise DataMissingError(f"freqtrade download-data failed (exit {done.returncode}): {output.strip()}")
    absent = [p.name for p in paths if not p.is_file()]
    if absent:
        raise DataMissingError(f"freqtrade download-data wrote no file for: {', '.join(absent)}")
    ticks = grid.market_ticks(markets.snapshot_for_datadir(Path(datadir), list(pairs)))
    moved = grid.grid_in_place(Path(datadir), list(pairs), list(timeframes), ticks)
    logger.info("download: %d of %d prices put on the tick grid", moved.moved, moved.values)
    return paths
