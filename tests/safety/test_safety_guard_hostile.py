"""With the static audit bypassed, every hostile strategy is stopped by the runtime layers in the real child.

Each file in ``hostile/`` is backtested by ``run_backtest`` in the real zygote child with
``UNAUDITED_FOR_TESTS`` (the test-only bypass), so only the runtime guard and the OS layers stand between the
strategy and the machine. Files that name an ``# ATTACK-TARGET:`` must fail with ``sandbox_violation``
naming the refused event, and their target must not exist afterwards. Every file: nothing appears outside the
run's dir (the attack targets, the results dir), and no process of the run is left.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import psutil
import pytest

from gentrade.engine import run_backtest
from gentrade.errors import GenTradeError, SandboxViolation
from gentrade.safety.bypass import UNAUDITED_FOR_TESTS

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py"))
TARGET = re.compile(r"^# ATTACK-TARGET: (\S+)$", re.MULTILINE)
ABSOLUTE_PATH = re.compile(r"""["'](/(?:tmp|etc|root|home|var|usr|opt|work)\b[^"'\s]*)["']""")


def _because(reason: str, *stems: str) -> dict[str, str]:
    return dict.fromkeys(stems, reason)


# Older corpus files (written for the audit, without an ATTACK-TARGET) whose code does nothing outside the run
# when it runs, so there is nothing for the runtime layers to refuse; each with the reason. The general checks
# (nothing outside the run, no process left) still apply to them, and every other file must end in
# sandbox_violation. A file listed here that starts ending in sandbox_violation fails the test, so the list
# stays true.
NOT_STOPPED_BY_THE_GUARD: dict[str, str] = {
    **_because(
        "a structural case: it does not load as a strategy or carries no attack",
        *("SyntaxBroken", "NoStrategy", "TwoStrategies", "ClassNameMismatch", "DeepNesting", "StarImport"),
        *("GlobalStatement", "QualnameOnPopulate", "RelativeImport", "BareFreqtradeImport"),
    ),
    **_because(
        "only reads files or memory: reading is allowed (the mount namespace keeps everything read-only)",
        *("OpenRead", "NumpyFromfile", "NumpyLoadPickle", "PandasReadCsv", "AsStrided", "ScipyIo"),
    ),
    **_because(
        "introspection only: it reaches frames, builtins, classes or os, but calls nothing that acts",
        *("FormatStringDunder", "GeneratorFrame", "GetattrConstantDunder", "GlobalsBuiltins", "InspectFrame"),
        *("LambdaBuiltins", "LoggingCurrentFrame", "MatchClassDunder", "SubclassesWalk", "TypeMroWalk"),
        *("TypeClassFactory", "VarsCall", "InitSubclassHook", "MetaclassKeyword", "AliasOsAsNumpy"),
        *("ImportlibModule", "PickleLoads", "ThreadingThread"),
    ),
    **_because(
        "builds something that would act but never runs it: a coroutine never awaited, a plotting backend "
        "module whose import finds no browser to open (opening one would be a refused process)",
        *("AsyncioSubprocess", "PlottingBackend"),
    ),
    **_because("writes inside the run's own directory, which is allowed", "ConfigPathWrite"),
    **_because(
        "held by the OS layers before the guard sees an event: the read-only mount refuses the semaphore a "
        "process pool creates first, so no pool starts (with the OS layers off the guard refuses the pool's "
        "first process: test_safety_guard.py; the audit refuses 'workers=' up front)",
        "ScipyWorkersPool",
    ),
    **_because(
        "fails on its own in the child before it can act (freqtrade's message is the error)",
        *("ApplyByName", "ChrGetattr", "DataFrameOpenAttr", "GetattrBuiltinsEval", "LoggingHandlerRollover"),
        *("PrivateExchange", "RequestsPost", "TradeSession", "TypeOfStream"),
    ),
}


def _target(source: str) -> Path | None:
    match = TARGET.search(source)
    return Path(match.group(1)) if match else None


def _outside_paths(source: str, target: Path | None) -> set[Path]:
    """Where the file could write outside the run: its attack target and every absolute path it names."""
    paths = {Path(m) for m in ABSOLUTE_PATH.findall(source)}
    return paths | ({target} if target is not None else set())


def _existing(paths: set[Path]) -> set[Path]:
    return {p for p in paths if p.exists() or p.is_symlink()}


def _processes_in(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.cwd().startswith(str(folder)):
                found.append(proc)
        except psutil.Error:
            continue
    return found


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.stem)
def test_hostile_strategy_is_stopped_at_runtime(path: Path, synthetic_data_dir: Path, tmp_path: Path) -> None:
    source = path.read_text()
    target = _target(source)
    if target is not None and (target.exists() or target.is_symlink()):
        shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
    watched = _outside_paths(source, target)
    before = _existing(watched)
    strategies = tmp_path / "strategies"
    strategies.mkdir()
    strategy = strategies / path.name
    shutil.copy(path, strategy)
    results = tmp_path / "runs"

    error: GenTradeError | None = None
    try:
        run_backtest(
            strategy,
            synthetic_data_dir,
            "20240101-20240104",
            ["BTC/USDT"],
            "5m",
            results_dir=results,
            timeout_s=120,
            _audit_bypass=UNAUDITED_FOR_TESTS,
        )
    except GenTradeError as exc:
        error = exc

    assert _existing(watched) == before
    if target is not None:
        assert not (target.exists() or target.is_symlink())
    run_dirs = list(results.iterdir()) if results.exists() else []
    assert len(run_dirs) <= 1 and all(p.is_dir() for p in run_dirs)
    assert _processes_in(results) == []
    if path.stem in NOT_STOPPED_BY_THE_GUARD:
        assert not isinstance(error, SandboxViolation)
        return
    assert isinstance(error, SandboxViolation), repr(error)
    assert error.code == "sandbox_violation"
    event, where = error.details["event"], error.details["where"]
    assert event and f"refused {event}" in error.message
    if where is not None:
        assert where.startswith(f"{path.name}:") and f"at {where}" in error.message


_SETTINGS_TAMPERING = {
    # bot_start, through an alias: the fee and the wallet freqtrade has already read.
    "bot_start": ("", ["fee 0.0 instead of", "dry_run_wallet 1000000000 instead of"]),
    # __init__, before freqtrade reads the stake: every trade would be sized differently.
    "__init__": (
        "    def __init__(self, config: dict) -> None:\n"
        "        super().__init__(config)\n"
        "        for settings in [config]:\n"
        "            settings['stake_amount'] = 1\n\n",
        ["stake_amount 1 instead of"],
    ),
    # A callback, mid-run, through a container the audit cannot follow.
    "callback": (
        "    def confirm_trade_entry(self, pair, order_type, amount, rate, time_in_force, current_time,\n"
        "                            entry_tag, side, **kwargs) -> bool:\n"
        "        for settings in [self.config]:\n"
        "            settings['max_open_trades'] = 7\n"
        "        return True\n\n",
        ["max_open_trades 7 instead of"],
    ),
}


@pytest.mark.parametrize("where", sorted(_SETTINGS_TAMPERING))
def test_a_setting_the_strategy_changes_ends_the_run(
    where: str, synthetic_data_dir: Path, tmp_path: Path
) -> None:
    """The config freqtrade reads its fee, stake, wallet and limits from is the one the strategy receives.
    Whatever way the strategy writes to it (the audit refuses the shapes it can see; these run with the audit
    bypassed), the worker compares the settings the job asked for with the config once the run is built and
    once it is done, and the run ends as a sandbox violation naming each setting that changed."""
    source = (Path(__file__).parent / "hostile" / "ConfigFeeZero.py").read_text()
    honest = re.sub(r"    def bot_start\(.*?\n\n", "", source, flags=re.DOTALL)
    assert honest != source and "self.config" not in honest
    method, expected = _SETTINGS_TAMPERING[where]
    anchor = "    def populate_indicators"
    text = source if where == "bot_start" else honest.replace(anchor, method + anchor)
    strategy = tmp_path / "ConfigFeeZero.py"
    strategy.write_text(text)
    with pytest.raises(SandboxViolation) as caught:
        run_backtest(
            strategy,
            synthetic_data_dir,
            "20240101-20240110",
            ["BTC/USDT"],
            "5m",
            results_dir=tmp_path / "runs",
            timeout_s=120,
            _audit_bypass=UNAUDITED_FOR_TESTS,
        )
    assert "settings or costs changed" in caught.value.message
    for change in expected:
        assert change in caught.value.message, caught.value.message
