"""The production backtest runner: the same child (``python -m gentrade.engine.worker``) in a container.

It plugs into ``run_backtest`` as its ``launcher``, so auditing, the run directory, result parsing and
error kinds are exactly those of the local runner; only where the child runs changes. The container is
described as data first (``BacktestContainerSpec``, in the bot runner's ``ContainerSpec`` style) so what a
backtest may touch is reviewable and tested without a Docker engine: no network at all, the candles, the
strategy, its config and job read-only, only the run directory writable, capabilities dropped, a read-only
root file system, CPU, memory and process caps, and ``--rm`` so nothing outlives the run.

Paths inside the container are the host's own paths (bind-mounted at the same place), so the job file the
runner wrote is valid on both sides; the worker and the Docker engine must therefore share a file system.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from gentrade.engine.bots.docker import ContainerSpec, DockerBotRunner, Mount
from gentrade.engine.launch import CHILD_ENV, Launched
from gentrade.engine.worker import WorkerJob
from gentrade.errors import BacktestTimeoutError

_KILL_TIMEOUT_S = 30


class BacktestContainerSpec(ContainerSpec):
    """A one-shot, foreground container: ``--rm`` instead of ``--detach``, and a network mode."""

    network: str = "none"
    entrypoint: str = Field(description="The image's entrypoint is freqtrade's; the worker is Python.")

    def run_argv(self) -> list[str]:
        argv = super().run_argv()
        position = argv.index("--detach")
        argv[position : position + 1] = [
            "--rm",
            f"--network={self.network}",
            f"--entrypoint={self.entrypoint}",
        ]
        return argv


class DockerBacktestRunner:
    """Runs backtest children as containers of ``image``; an absent engine is ``DockerUnavailableError``."""

    def __init__(self, *, image: str, memory_mb: int, cpus: float, pids_limit: int = 256) -> None:
        self.image = image
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.pids_limit = pids_limit
        self._engine = DockerBotRunner(image=image)

    def spec(self, job_file: Path, env: Mapping[str, str]) -> BacktestContainerSpec:
        """The container for a run directory ``run_backtest`` prepared (``job.json`` and its files)."""
        job = WorkerJob.model_validate_json(job_file.read_text())
        run_dir = job_file.parent.resolve()
        read_only = [job.datadir, job.strategy_file.parent, job.config_file, job.markets_file, job_file]
        mounts = [Mount(source=run_dir, target=str(run_dir), read_only=False)]
        # Listed after the run dir they sit in, so Docker mounts them over it.
        mounts += [
            Mount(source=path.resolve(), target=str(path.resolve()), read_only=True) for path in read_only
        ]
        return BacktestContainerSpec(
            name=f"gentrade-backtest-{run_dir.name}",
            image=self.image,
            entrypoint="python",
            command=["-m", "gentrade.engine.worker", str(job_file.resolve())],
            mounts=mounts,
            ports=[],
            env={**CHILD_ENV, **{k: v for k, v in env.items() if v}},
            # The job's own RLIMIT_AS must fit inside the container's memory cap.
            memory_mb=max(self.memory_mb, job.memory_mb) + 256,
            cpus=self.cpus,
            pids_limit=self.pids_limit,
        )

    def __call__(
        self, job_file: Path, run_dir: Path, log_file: Path, timeout_s: float, env: Mapping[str, str]
    ) -> Launched:
        """Run the container to completion; at the deadline (or if this call is interrupted) remove it."""
        spec = self.spec(job_file, env)
        self._engine.ensure_engine()
        started = time.perf_counter()
        with log_file.open("wb") as log:
            try:
                # A session of its own, like the local child, so a cancel can kill it by its working dir;
                # a killed client leaves its container running, hence the removal below.
                done = subprocess.run(
                    spec.run_argv(),
                    cwd=run_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=timeout_s,
                    check=False,
                    start_new_session=True,
                )
            except subprocess.TimeoutExpired:
                self._remove(spec.name)
                raise BacktestTimeoutError(
                    f"backtest exceeded {timeout_s:g} s and was killed", details={"run_dir": str(run_dir)}
                ) from None
            except BaseException:
                self._remove(spec.name)
                raise
        if done.returncode < 0:
            self._remove(spec.name)
        return Launched(
            wall_s=time.perf_counter() - started, network_isolation=f"container with --network={spec.network}"
        )

    def _remove(self, name: str) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(["docker", "rm", "--force", name], capture_output=True, timeout=_KILL_TIMEOUT_S)
