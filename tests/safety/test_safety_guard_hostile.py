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
        "changes freqtrade's config after the backtest has read it: fee, wallet and stake are already taken, "
        "so the result does not move (the audit refuses the write by shape; the library code it could "
        "rewrite instead is sealed)",
        "ConfigFeeZero",
    ),
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


def test_a_config_changed_after_loading_moves_no_number(synthetic_data_dir: Path, tmp_path: Path) -> None:
    """ConfigFeeZero zeroes the fee and inflates the wallet in the config it shares with freqtrade. The
    runtime layers let it (a dict write raises no event), so this proves why that is safe: freqtrade read
    those values before the strategy's first callback, and the trades are those of the same strategy
    without the change, fee included."""
    source = (Path(__file__).parent / "hostile" / "ConfigFeeZero.py").read_text()
    honest = re.sub(r"    def bot_start\(.*?\n\n", "", source, flags=re.DOTALL)
    assert honest != source and "self.config" not in honest
    results = []
    for name, text in (("tampering", source), ("honest", honest)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "ConfigFeeZero.py").write_text(text)
        result = run_backtest(
            folder / "ConfigFeeZero.py",
            synthetic_data_dir,
            "20240101-20240110",
            ["BTC/USDT"],
            "5m",
            results_dir=tmp_path / f"runs-{name}",
            timeout_s=120,
            _audit_bypass=UNAUDITED_FOR_TESTS,
        )
        results.append(
            [(t.open_date, t.close_date, t.profit_abs, t.fee_open, t.fee_close) for t in result.trade_list]
        )
    tampering, honest_trades = results
    assert honest_trades and all(fee_open and fee_open > 0 for *_, fee_open, _ in honest_trades)
    assert tampering == honest_trades
