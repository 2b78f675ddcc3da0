"""The production runner: the same bot, in a container built from the repo's Dockerfile.

The container is described as data first (``ContainerSpec``) so what it may touch is reviewable and tested
without a Docker engine: the strategy and config are mounted read-only, only the bot's own user dir is
writable, the api_server port is published on 127.0.0.1 only, every capability is dropped, the root file
system is read-only and memory, CPU and process counts are capped.  Exchange keys are passed through from
the caller's environment by name, so they never appear in the spec, a file or a command line, and only to
a live bot.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gentrade.errors import DockerUnavailableError
from gentrade.freqtrade_config.bot import FREQTRADE_KEY_ENV, FREQTRADE_SECRET_ENV

CONTAINER_ROOT = "/gentrade"
CONTAINER_API_PORT = 8080
DEFAULT_IMAGE = "gentrade:latest"
REPO_ROOT = Path(__file__).resolve().parents[3]
_DOCKER_TIMEOUT_S = 30


class Mount(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: Path
    target: str
    read_only: bool


class PortMapping(BaseModel):
    model_config = ConfigDict(frozen=True)

    host_ip: str = "127.0.0.1"
    host_port: int = Field(ge=1, le=65535)
    container_port: int = Field(ge=1, le=65535)


class ContainerSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    image: str
    command: list[str]
    mounts: list[Mount]
    ports: list[PortMapping]
    env: dict[str, str] = Field(default_factory=dict)
    passthrough_env: list[str] = Field(default_factory=list, description="Names copied from the caller.")
    memory_mb: int = Field(gt=0)
    cpus: float = Field(gt=0)
    pids_limit: int = Field(gt=0)
    privileged: bool = False
    read_only_root: bool = True
    cap_drop: list[str] = Field(default_factory=lambda: ["ALL"])
    security_opt: list[str] = Field(default_factory=lambda: ["no-new-privileges"])

    def run_argv(self) -> list[str]:
        """``docker run`` arguments that create and start this container detached."""
        argv = ["docker", "run", "--detach", "--name", self.name, "--init"]
        argv += [f"--memory={self.memory_mb}m", f"--cpus={self.cpus:g}", f"--pids-limit={self.pids_limit}"]
        argv += [f"--cap-drop={cap}" for cap in self.cap_drop]
        argv += [f"--security-opt={opt}" for opt in self.security_opt]
        if self.privileged:
            argv.append("--privileged")
        if self.read_only_root:
            argv += ["--read-only", "--tmpfs=/tmp"]
        for mount in self.mounts:
            option = f"type=bind,source={mount.source},target={mount.target}"
            argv += ["--mount", option + (",readonly" if mount.read_only else "")]
        for port in self.ports:
            argv += ["--publish", f"{port.host_ip}:{port.host_port}:{port.container_port}"]
        for key, value in sorted(self.env.items()):
            argv += ["--env", f"{key}={value}"]
        for key in self.passthrough_env:
            argv += ["--env", key]
        return [*argv, self.image, *self.command]


def container_config(config: dict[str, Any]) -> dict[str, Any]:
    """A bot config as seen from inside the container: api_server on all container interfaces (the host
    side publishes it on loopback only) and the database in the writable user dir."""
    inside = {**config, "db_url": f"sqlite:///{CONTAINER_ROOT}/user_data/tradesv3.sqlite"}
    inside["api_server"] = {
        **config["api_server"],
        "listen_ip_address": "0.0.0.0",  # noqa: S104 - inside the container; published on 127.0.0.1
        "listen_port": CONTAINER_API_PORT,
    }
    return inside


class DockerBotRunner:
    """Runs bots as containers; every engine call fails with ``DockerUnavailableError`` when none answers."""

    def __init__(self, *, image: str = DEFAULT_IMAGE, build_context: Path = REPO_ROOT) -> None:
        self.image = image
        self.build_context = build_context

    def spec(
        self,
        *,
        name: str,
        bot_dir: Path,
        strategy: str,
        host_port: int,
        live: bool = False,
        memory_mb: int = 2048,
        cpus: float = 1.0,
        pids_limit: int = 256,
    ) -> ContainerSpec:
        """The container for a prepared bot directory (its ``config.json`` made by ``container_config``).
        Exchange keys pass through to a ``live`` bot only: a dry-run bot needs none and holds none."""
        bot_dir = bot_dir.resolve()
        command = [
            "trade",
            "--config", f"{CONTAINER_ROOT}/config.json",
            "--userdir", f"{CONTAINER_ROOT}/user_data",
            "--strategy-path", f"{CONTAINER_ROOT}/strategies",
            "--strategy", strategy,
        ]  # fmt: skip
        return ContainerSpec(
            name=f"gentrade-bot-{name}",
            image=self.image,
            command=command,
            mounts=[
                Mount(source=bot_dir / "strategies", target=f"{CONTAINER_ROOT}/strategies", read_only=True),
                Mount(source=bot_dir / "config.json", target=f"{CONTAINER_ROOT}/config.json", read_only=True),
                Mount(source=bot_dir / "user_data", target=f"{CONTAINER_ROOT}/user_data", read_only=False),
            ],
            ports=[PortMapping(host_port=host_port, container_port=CONTAINER_API_PORT)],
            env={"PYTHONUNBUFFERED": "1"},
            passthrough_env=[FREQTRADE_KEY_ENV, FREQTRADE_SECRET_ENV] if live else [],
            memory_mb=memory_mb,
            cpus=cpus,
            pids_limit=pids_limit,
        )

    # ------------------------------------------------------------ engine calls
    def _docker(self, *args: str, timeout_s: float = _DOCKER_TIMEOUT_S, stderr_too: bool = False) -> str:
        if shutil.which("docker") is None:
            raise DockerUnavailableError("the docker command is not installed")
        try:
            done = subprocess.run(
                ["docker", *args], capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise DockerUnavailableError(f"docker {args[0]} did not answer within {timeout_s:g} s") from None
        if done.returncode != 0:
            raise DockerUnavailableError(f"docker {args[0]} failed: {done.stderr.strip()[-500:]}")
        return done.stdout + (done.stderr if stderr_too else "")

    def ensure_engine(self) -> str:
        """The engine's version; raises ``DockerUnavailableError`` if no engine is reachable."""
        return self._docker("version", "--format", "{{.Server.Version}}", timeout_s=10).strip()

    def build_image(self) -> None:
        self.ensure_engine()
        self._docker("build", "--tag", self.image, str(self.build_context), timeout_s=1800)

    def run(self, spec: ContainerSpec) -> str:
        """Start the container; returns its id."""
        self.ensure_engine()
        return self._docker(*spec.run_argv()[1:]).strip()

    def stop(self, name: str, grace_s: float = 20.0) -> None:
        """``docker stop`` sends SIGTERM and kills after the grace period, like the local runner."""
        self.ensure_engine()
        self._docker("stop", "--time", str(int(grace_s)), name, timeout_s=grace_s + 30)
        self._docker("rm", name)

    def logs(self, name: str, lines: int = 100) -> str:
        self.ensure_engine()
        return self._docker("logs", "--tail", str(lines), name, stderr_too=True)
