"""Every shell command the README shows runs as written, offline, so the README cannot drift again (its
`--pairs ETH/BTC LTC/BTC` example failed with "Got unexpected extra argument(s)").

The ```bash blocks are parsed into commands (``\\`` continuations joined, comments dropped) and run with
bash in a scratch directory laid out like a checkout: ``.venv`` is this venv and ``../shared/data/binance``
the real candles. The commands that cannot run here are listed in SKIPPED with the reason; a README
command matching none of them must run and exit 0.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SHARED_DATA = ROOT.parent / "shared" / "data" / "binance"

SKIPPED: dict[str, str] = {
    "pip install": "installs the package (the test runs in the installed venv)",
    "pytest": "runs the test suite itself",
    "exchange serve": "starts a server that runs until killed",
    "freqtrade backtesting": "needs the exchange server of the line before",
    "freqtrade hyperopt": "plain freqtrade loads markets from the exchange server, like backtesting",
    "gentrade optimize my.json": "a hyperopt of 50 epochs on 2 folds takes minutes (tests/ cover optimize)",
    "--user ada@example.com": "names another installation's user and stored ids, as an example",
    "gentrade bot ": "starts and stops freqtrade bots against that server",
    "gentrade webserver": "starts a server that runs until killed",
    "docker compose": "needs a Docker engine and builds images",
    "export POSTGRES_PASSWORD": "sets deployment secrets for docker compose",
}
INSTALL_THEN = re.compile(r"^.*pip install[^&]*&&\s*(?P<rest>.+)$")


def readme_commands() -> list[str]:
    """The commands of every ```bash block, in order; an install line keeps what runs after it."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.DOTALL):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\s{2,}#.*$", "", line).strip()
            for command in re.split(r";\s+(?=gentrade|\.venv)", line):
                if command:
                    commands.append(command)
    return commands


def _runnable(command: str) -> str | None:
    install = INSTALL_THEN.match(command)
    if install and "pytest" not in command:
        command = install["rest"]
    if any(marker in command for marker in SKIPPED):
        return None
    return command


def test_the_readme_has_commands_and_every_skip_is_used() -> None:
    commands = readme_commands()
    assert any("--pairs ETH/BTC LTC/BTC" in c for c in commands)
    unused = [marker for marker in SKIPPED if not any(marker in c for c in commands)]
    assert unused == [], f"SKIPPED lists commands the README no longer has: {unused}"


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the README's commands read ../shared/data/binance")
def test_every_offline_readme_command_runs(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "binance").symlink_to(SHARED_DATA)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GENTRADE_") and key != "VIRTUAL_ENV"
    }
    env["PATH"] = f"{Path(sys.prefix) / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    ran = []
    for command in readme_commands():
        runnable = _runnable(command)
        if runnable is None:
            continue
        done = subprocess.run(
            ["bash", "-c", runnable], cwd=checkout, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{runnable}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, f"{runnable}\n{done.stderr[-2000:]}"
        if runnable.endswith("gentrade quickstart"):
            _says_demonstration_when_one_loses(checkout, done.stdout)
        ran.append(runnable)
    assert any("--pairs ETH/BTC LTC/BTC" in command for command in ran)
    assert any(command.endswith("gentrade quickstart") for command in ran)


def _says_demonstration_when_one_loses(checkout: Path, stdout: str) -> None:
    """The quickstart's examples may lose on its synthetic candles: then it says they are demonstrations."""
    report = json.loads((checkout / "user_data" / "quickstart_report.json").read_text())
    losing = any(row["result"]["profit_total_pct"] < 0 for row in report["rows"])
    assert ("not trading advice" in " ".join(stdout.split())) == losing, stdout
