"""The warm zygote behind local backtests: restarts when it dies, never shared across a fork, never
outlives the process that started it, and its forks leave nothing running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from gentrade.engine import run_backtest
from gentrade.engine.local_runner import ZygoteLauncher, local_launcher

pytestmark = pytest.mark.slow

TIMERANGE = "20240105-20240107"


def _zygote_pid(launcher: ZygoteLauncher) -> int:
    launcher.warm_up()
    assert launcher._proc is not None
    return launcher._proc.pid


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def _works_in(proc: psutil.Process, folder: Path) -> bool:
    try:
        return proc.cwd().startswith(str(folder))
    except psutil.Error:
        return False


def test_a_dead_zygote_is_replaced_on_the_next_run(
    sample_strategy_file: Path, synthetic_data_dir: Path, tmp_path: Path
) -> None:
    launcher = local_launcher()
    first = _zygote_pid(launcher)
    os.kill(first, signal.SIGKILL)
    assert _gone(first)
    result = run_backtest(
        sample_strategy_file, synthetic_data_dir, TIMERANGE, ["BTC/USDT"], results_dir=tmp_path / "runs"
    )
    assert result.run is not None and result.run.child_import_s is not None  # it ran in a forked child
    assert _zygote_pid(launcher) != first


def test_a_forked_process_starts_its_own_zygote() -> None:
    parent_zygote = _zygote_pid(local_launcher())
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        code = 1
        try:
            os.close(read)
            os.write(write, str(_zygote_pid(local_launcher())).encode())
            local_launcher().stop()
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        child_zygote = int(pipe.read())
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert child_zygote != parent_zygote
    assert _gone(child_zygote)
    assert psutil.Process(parent_zygote).is_running()


def test_zygote_and_its_backtest_die_with_the_process_that_started_them(
    synthetic_data_dir: Path, tmp_path: Path
) -> None:
    strategy = tmp_path / "Spinner.py"
    strategy.write_text(
        textwrap.dedent(
            """
            from pandas import DataFrame

            from freqtrade.strategy import IStrategy


            class Spinner(IStrategy):
                timeframe = "5m"
                minimal_roi = {"0": 0.05}
                stoploss = -0.1

                def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
                    while True:
                        pass

                def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
                    return dataframe

                def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
                    return dataframe
            """
        )
    )
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from gentrade.engine import run_backtest\n"
        "run_backtest(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], ['BTC/USDT'],\n"
        "             results_dir=Path(sys.argv[4]), timeout_s=300)\n"
    )
    runs = tmp_path / "runs"
    owner = subprocess.Popen(
        [sys.executable, "-c", script, str(strategy), str(synthetic_data_dir), TIMERANGE, str(runs)]
    )
    try:
        deadline = time.monotonic() + 60
        spinning: list[psutil.Process] = []
        while not spinning:
            assert time.monotonic() < deadline and owner.poll() is None
            family = psutil.Process(owner.pid).children(recursive=True)
            spinning = [p for p in family if _works_in(p, runs)]
            time.sleep(0.2)
        zygote = next(p for p in family if "gentrade.engine.zygote" in " ".join(p.cmdline()))
        owner.kill()
        owner.wait()
        assert _gone(zygote.pid)
        assert _gone(spinning[0].pid)
    finally:
        if owner.poll() is None:
            owner.kill()


def test_the_zygote_inherits_no_secrets_and_no_freqtrade_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strategy code runs in forks of the zygote: the server's keys and ``FREQTRADE__*`` stay behind."""
    monkeypatch.setenv("GENTRADE_SECRET_KEY", "server-signing-key-never-for-strategies")
    monkeypatch.setenv("FREQTRADE__STAKE_AMOUNT", "1")
    launcher = ZygoteLauncher()
    try:
        pid = _zygote_pid(launcher)
        environ = psutil.Process(pid).environ()
    finally:
        launcher.stop()
    assert "GENTRADE_SECRET_KEY" not in environ and "FREQTRADE__STAKE_AMOUNT" not in environ
    assert environ["PYTHONHASHSEED"] == "0" and environ["PATH"] == os.environ["PATH"]


def test_the_zygote_is_single_threaded_so_every_fork_is_clean() -> None:
    """A fork copies only the forking thread: any other thread (a BLAS pool, jemalloc's background thread)
    could hold a lock the child then waits on forever."""
    assert psutil.Process(_zygote_pid(local_launcher())).num_threads() == 1
