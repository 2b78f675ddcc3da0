"""The downloader wraps freqtrade's and says plainly when there is no network to download from."""

from __future__ import annotations

from pathlib import Path

import pytest

from gentrade.data import download
from gentrade.errors import ConfigError, DataMissingError


def test_probe_reports_an_unreachable_host() -> None:
    reason = download._probe("exchange.invalid")  # .invalid never resolves (RFC 2606)
    assert reason  # e.g. "gaierror: [Errno -2] Name or service not known"


def test_without_network_the_error_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "_probe", lambda host: "gaierror: [Errno -2] Name or service not known")
    with pytest.raises(DataMissingError) as caught:
        download.download(tmp_path, ["ETH/USDT"], ["5m"], days=3)
    message = caught.value.message
    assert "api.binance.com:443 is unreachable" in message
    assert "gentrade data synth" in message


@pytest.mark.parametrize(
    ("pairs", "kwargs"),
    [([], {}), (["ETH/USDT"], {"timerange": "20240101-", "days": 3}), (["ETHUSDT"], {})],
)
def test_bad_requests_fail_before_any_download(tmp_path: Path, pairs: list[str], kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        download.download(tmp_path, pairs, **kwargs)
