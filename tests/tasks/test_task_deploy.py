"""Deployment pieces that need no Docker engine here: the compose file, the backtest container spec, and
the clear error when no engine answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gentrade.engine import run_backtest
from gentrade.engine.docker_runner import BacktestContainerSpec, DockerBacktestRunner
from gentrade.engine.launch import Launched
from gentrade.engine.local_runner import local_launcher
from gentrade.errors import DockerUnavailableError
from gentrade.services.backtests import launcher_for
from gentrade.settings import Settings
from gentrade.tasks.app import EMBEDDED_TRANSPORT, broker_options, make_celery

REPO = Path(__file__).resolve().parents[2]


def test_compose_file_declares_the_production_services() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"api", "worker", "beat", "redis", "postgres", "migrate"} <= set(services)
    for name in ("api", "worker", "beat"):
        env = services[name]["environment"]
        assert env["GENTRADE_TASK_BACKEND"] == "celery"
        assert env["GENTRADE_TASK_BROKER_URL"] == "redis://redis:6379/0"
        assert env["GENTRADE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "GENTRADE_DATA_DIR" in env and "user-data:/data/user_data" in services[name]["volumes"]
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    for name in ("api", "worker", "redis", "postgres"):
        assert "healthcheck" in services[name], name
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"][0] == "worker" and services["beat"]["command"] == ["beat"]
    assert "${GENTRADE_SECRET_KEY:?" in (REPO / "docker-compose.yml").read_text()  # keys from env only


def test_celery_app_settings_follow_the_broker(tmp_path: Path) -> None:
    embedded = Settings(user_dir=tmp_path, backtest_timeout_s=100, task_time_margin_s=10)
    options = broker_options(embedded)
    assert options["broker_transport"] == EMBEDDED_TRANSPORT
    assert options["broker_url"] == f"sqlite:///{tmp_path.resolve() / 'celery-broker.sqlite'}"
    assert options["broker_transport_options"]["visibility_timeout"] == 130
    assert embedded.task_soft_time_limit_s == 110 and embedded.task_time_limit_s == 120
    redis = broker_options(Settings(task_broker_url="redis://127.0.0.1:6379/0"))
    assert redis["broker_transport"] is None and redis["broker_url"] == "redis://127.0.0.1:6379/0"
    assert redis["broker_transport_options"]["unacked_restore_throttle"] == 1
    conf = make_celery(embedded).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result
    assert {entry["task"] for entry in conf.beat_schedule.values()} == {
        "gentrade.bots.check_health",
        "gentrade.backtests.requeue_stranded",
        "gentrade.signals.evaluate_expired",
        "gentrade.checks.sweep",
    }


def _prepared_run(tmp_path: Path, synthetic_data_dir: Path, sample_strategy_file: Path) -> Path:
    """A real run dir as run_backtest prepares it, captured by a launcher that runs nothing."""
    captured: list[Path] = []

    def capture(job_file: Path, run_dir: Path, log_file: Path, timeout_s: float, env: object) -> Launched:
        captured.append(job_file)
        raise DockerUnavailableError("captured")

    with pytest.raises(DockerUnavailableError):
        run_backtest(
            sample_strategy_file, synthetic_data_dir, "20240105-20240106", ["BTC/USDT"],
            results_dir=tmp_path / "runs", launcher=capture,
        )  # fmt: skip
    return captured[0]


def test_backtest_container_spec(
    tmp_path: Path, synthetic_data_dir: Path, sample_strategy_file: Path
) -> None:
    job_file = _prepared_run(tmp_path, synthetic_data_dir, sample_strategy_file)
    job = json.loads(job_file.read_text())
    runner = DockerBacktestRunner(image="gentrade:test", memory_mb=2048, cpus=1.5)
    spec = runner.spec(job_file, {"GENTRADE_REQUEST_ID": "req-1", "EMPTY": ""})
    assert isinstance(spec, BacktestContainerSpec)
    argv = spec.run_argv()
    assert argv[:2] == ["docker", "run"] and "--rm" in argv and "--detach" not in argv
    assert "--network=none" in argv and "--entrypoint=python" in argv
    assert (
        f"--memory={max(2048, job['memory_mb']) + 256}m" in argv
        and "--cpus=1.5" in argv
        and "--read-only" in argv
    )
    assert "--cap-drop=ALL" in argv and "--publish" not in argv
    assert argv[-4:] == ["gentrade:test", "-m", "gentrade.engine.worker", str(job_file.resolve())]
    mounts = {m.target: m.read_only for m in spec.mounts}
    run_dir = str(job_file.parent.resolve())
    assert mounts[run_dir] is False  # the only writable mount: results land here
    assert all(read_only for target, read_only in mounts.items() if target != run_dir)
    assert mounts[str(Path(job["datadir"]).resolve())] is True
    assert mounts[str(Path(job["strategy_file"]).parent.resolve())] is True
    # Nested read-only mounts come after the writable run dir, so Docker lays them over it.
    assert spec.mounts[0].target == run_dir
    assert spec.env["GENTRADE_REQUEST_ID"] == "req-1" and "EMPTY" not in spec.env


def test_docker_runner_without_engine_is_a_clear_error(
    tmp_path: Path, synthetic_data_dir: Path, sample_strategy_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(user_dir=tmp_path, runner="docker", docker_image="gentrade:test")
    launcher = launcher_for(settings)
    assert isinstance(launcher, DockerBacktestRunner) and launcher_for(Settings()) is local_launcher()
    # The docker CLI is installed here but no engine answers; point it at a socket nobody serves to be sure.
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-docker.sock'}")
    with pytest.raises(DockerUnavailableError, match="docker version failed"):
        run_backtest(
            sample_strategy_file, synthetic_data_dir, "20240105-20240106", ["BTC/USDT"],
            results_dir=tmp_path / "runs", launcher=launcher,
        )  # fmt: skip
