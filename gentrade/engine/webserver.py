"""FreqUI for GenTrade backtests: gather a user's result zips where a ``freqtrade webserver`` looks for them.

GenTrade's runner gives every backtest a user dir of its own (``<user_dir>/backtests/<run>/``), but
``freqtrade webserver`` lists only the one ``backtest_results/`` folder of its own user dir.  Links (not
copies) keep that folder cheap and current; a zip is only listed together with its ``.meta.json``, because
freqtrade's history endpoint reads the metadata file and would fail on a zip without it.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

RESULT_GLOB = "backtests/*/backtest_results/backtest-result-*.zip"


def _meta(zip_path: Path) -> Path:
    return zip_path.with_name(f"{zip_path.stem}.meta.json")


def collect_results(user_dir: Path, target: Path) -> list[Path]:
    """Link every finished GenTrade backtest of ``user_dir`` into ``target``; returns the linked zips.

    Freqtrade names result files to the second, so two runs may share a name: the first one (by run
    directory, which starts with its timestamp) keeps the name and the other is left out and logged.
    Links whose result has been deleted are removed.
    """
    target.mkdir(parents=True, exist_ok=True)
    for link in target.iterdir():
        if link.is_symlink() and not link.exists():
            link.unlink()
    linked: list[Path] = []
    for zip_path in sorted(Path(user_dir).resolve().glob(RESULT_GLOB)):
        meta = _meta(zip_path)
        if not meta.is_file():
            continue
        zip_link, meta_link = target / zip_path.name, target / meta.name
        if zip_link.is_symlink() and zip_link.resolve() == zip_path:
            linked.append(zip_link)
            continue
        if zip_link.exists() or zip_link.is_symlink() or meta_link.exists():
            logger.warning("backtest result %s has the name of another result; not listed", zip_path)
            continue
        meta_link.symlink_to(meta)
        zip_link.symlink_to(zip_path)
        linked.append(zip_link)
    return linked
