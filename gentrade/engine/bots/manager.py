"""``BotManager``: start, find, watch and stop freqtrade processes that keep running after the caller returns.

Everything the manager knows lives in its state dir, so any number of managers (a CLI call, the API process,
a Celery worker, a restarted server) see the same bots.  Each bot directory holds::

    bot.json            registry record (pid + process start time, port, files)
    credentials.json    api_server login (0600)
    config.json         the exact freqtrade config (0600: it carries the password)
    strategies/         the audited copy of the strategy the bot runs
    user_data/          the bot's freqtrade user dir
    tradesv3.sqlite     the bot's own database
    freqtrade.log       stdout and stderr of the process
"""

from __future__ import annotations

import builtins
import contextlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from gentrade.codegen.parse import class_literal
from gentrade.engine.bots import processes
from gentrade.engine.bots.breaker import BreakerPolicy, BreakerState, probe, probe_url
from gentrade.engine.bots.breaker import step as breaker_step
from gentrade.engine.bots.client import BotClient
from gentrade.engine.bots.emergency import (
    DEFAULT_CLOSE_TIMEOUT_S,
    EmergencyStopReport,
    OpenTrade,
    TradeRef,
    close_positions,
)
from gentrade.engine.bots.models import BotInfo, BotKind, BotRecord, BotStatus
from gentrade.engine.bots.notify import WEBHOOK_URL_ENV, log_config, send_event, webhook_section
from gentrade.engine.bots.registry import Registry, write_json
from gentrade.engine.bots.sandbox import bot_policy
from gentrade.engine.guarded import guarded_command
from gentrade.engine.launch import inherited_environment
from gentrade.engine.webserver import collect_results
from gentrade.errors import BotStartFailedError, ConfigError, ConflictError, StrategyLoadError
from gentrade.files import write_atomically
from gentrade.freqtrade_config.bot import (
    DEFAULT_CORS_ORIGINS,
    FREQTRADE_KEY_ENV,
    FREQTRADE_SECRET_ENV,
    Credentials,
    bot_config,
    guard_live,
    load_base,
    new_credentials,
    webserver_config,
)
from gentrade.safety.bypass import AuditBypass, strategy_class_name
from gentrade.safety.guard_policy import GuardPolicy

DEFAULT_GRACE_S = 20.0
WEBHOOK_FILE = "webhook.json"
CRASH_LOG_LINES = 30
_PING_TIMEOUT_S = 1.0
_POLL_S = 0.25
#: A bot runs strategy code for as long as it trades: its address space is capped like a backtest's.
DEFAULT_MEMORY_MB = 4096
_CHILD_ENV = {"PYTHONUNBUFFERED": "1", "COLUMNS": "200", "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1"}


#: Fills a bot directory for one process kind: (bot dir, port, credentials) -> (freqtrade argv, config).
Prepare = Callable[[Path, int, Credentials], tuple[list[str], dict[str, Any]]]


def _now() -> datetime:
    return datetime.now(UTC)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1/ping", timeout=_PING_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        return False


class BotManager:
    """Supervises freqtrade ``trade`` bots and ``webserver`` processes recorded under ``state_dir``.

    ``freqtrade_command`` is how freqtrade is launched (default: this interpreter's ``-m freqtrade``): an
    interpreter and what follows it, since trade bots run it through ``gentrade.engine.guarded`` (the runtime
    guard and the OS layers, ``bots.sandbox.bot_policy``). ``sandbox=False`` is only for stand-in commands
    in tests that must do what a strategy may not (start a child of their own); nothing else passes it.
    The manager is handed what would tie it to a market: ``default_config`` builds the config of a bot started
    without one (the CLI hands the local testnet's), and ``exchange_env`` is the environment that hands
    exchange keys to every bot (the CLI's, from ``GENTRADE_EXCHANGE_KEY``); a per-bot key passed to ``start``
    wins over it.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        freqtrade_command: Sequence[str] | None = None,
        memory_mb: int = DEFAULT_MEMORY_MB,
        sandbox: bool = True,
        default_config: Callable[[], dict[str, Any]] | None = None,
        exchange_env: Mapping[str, str] | None = None,
    ) -> None:
        self.registry = Registry(state_dir)
        self.default_config = default_config
        self.exchange_env = dict(exchange_env or {})
        self.command = list(freqtrade_command or (sys.executable, "-m", "freqtrade"))
        self.memory_mb = memory_mb
        self.sandbox = sandbox
        # Children this manager spawned: polled so an exited one is reaped instead of lingering as a zombie.
        self._children: dict[int, psutil.Popen] = {}

    # ------------------------------------------------------------------ start
    def start(
        self,
        strategy_file: Path,
        *,
        name: str | None = None,
        config: Mapping[str, Any] | Path | None = None,
        dry_run: bool = True,
        confirm_real_money: bool = False,
        exchange_key: str | None = None,
        exchange_secret: str | None = None,
        port: int | None = None,
        cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS,
        webhook_url: str | None = None,
        _audit_bypass: AuditBypass | None = None,
    ) -> BotInfo:
        """Audit ``strategy_file`` and start a bot trading it; returns at once (status ``starting``).

        ``dry_run`` wins over the config's own value.  Exchange keys go to a live bot's environment
        (``FREQTRADE__EXCHANGE__KEY``/``SECRET``), never into a file; a dry-run bot gets none.
        ``webhook_url`` receives the bot's notifications (``gentrade.engine.bots.notify``); it too reaches
        freqtrade through the environment (``FREQTRADE__WEBHOOK__URL``) and is kept for the supervisor in a
        0600 file beside the bot.
        """
        strategy_file = Path(strategy_file)
        try:
            source = strategy_file.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise StrategyLoadError(f"cannot read strategy file {strategy_file}: {exc}") from exc
        class_name = strategy_class_name(source, strategy_file.name, _audit_bypass)
        if not class_name:
            raise StrategyLoadError(f"{strategy_file.name} defines no IStrategy subclass")
        if config is None:
            if self.default_config is None:
                raise ConfigError("config: this manager has no default freqtrade config; pass one")
            base = self.default_config()
        else:
            base = load_base(config)
        own_limit = class_literal(source, class_name, "max_open_trades")
        if config is None and isinstance(own_limit, int) and own_limit > 0:
            # The default config's max_open_trades would override the strategy's own (the spec's risk).
            base["max_open_trades"] = own_limit
        guard_live(base, dry_run=dry_run, confirm_real_money=confirm_real_money)
        if dry_run and (exchange_key is not None or exchange_secret is not None):
            raise ConfigError(
                "exchange_key/exchange_secret: a dry-run bot places no orders and is handed no keys; "
                "keys are for a live bot (dry_run=False)"
            )
        # A dry-run bot needs no keys (freqtrade simulates its fills on public prices), so it gets none, not
        # even the manager's: a strategy that flips its config's dry_run mid-run cannot place a real order.
        env = dict(self.exchange_env) if not dry_run else {}
        if exchange_key is not None:
            env[FREQTRADE_KEY_ENV] = exchange_key
        if exchange_secret is not None:
            env[FREQTRADE_SECRET_ENV] = exchange_secret
        name = name or class_name.lower()
        if webhook_url is not None:
            env[WEBHOOK_URL_ENV] = webhook_url

        def prepare(bot_dir: Path, chosen_port: int, creds: Credentials) -> tuple[list[str], dict[str, Any]]:
            strategies = bot_dir / "strategies"
            shutil.rmtree(strategies, ignore_errors=True)
            strategies.mkdir(parents=True)
            (strategies / strategy_file.name).write_text(source)
            db_file = bot_dir / "tradesv3.sqlite"
            cfg = bot_config(
                base,
                name=name,
                strategy=class_name,
                dry_run=dry_run,
                port=chosen_port,
                creds=creds,
                db_file=db_file,
                cors_origins=cors_origins,
            )
            if webhook_url is not None:
                from freqtrade.loggers import FT_LOGGING_CONFIG

                cfg["webhook"] = webhook_section(webhook_url, name)
                del cfg["webhook"]["url"]  # from the environment: the URL stays out of config.json
                cfg["log_config"] = log_config(FT_LOGGING_CONFIG)
                write_atomically(bot_dir / WEBHOOK_FILE, json.dumps({"url": webhook_url}), private=True)
            else:
                (bot_dir / WEBHOOK_FILE).unlink(missing_ok=True)
            argv = ["trade", "--strategy-path", str(strategies), "--strategy", class_name]
            argv += ["--db-url", cfg["db_url"]]
            return argv, cfg

        startup = class_literal(source, class_name, "startup_candle_count")
        timeframe = class_literal(source, class_name, "timeframe")
        return self._launch(
            name,
            BotKind.TRADE,
            prepare,
            strategy=class_name,
            dry_run=dry_run,
            db_file=self.registry.bot_dir(name) / "tradesv3.sqlite",
            port=port,
            env=env,
            startup_candles=startup if isinstance(startup, int) and startup > 0 else None,
            timeframe=timeframe if isinstance(timeframe, str) else None,
            policy=lambda bot_dir, cfg: bot_policy(
                bot_dir, cfg, bot_dir / "strategies" / strategy_file.name, extra_urls=[webhook_url or ""]
            ),
        )

    def start_webserver(
        self,
        user_dir: Path,
        *,
        name: str = "webserver",
        port: int | None = None,
        cors_origins: tuple[str, ...] = DEFAULT_CORS_ORIGINS,
    ) -> BotInfo:
        """Start a ``freqtrade webserver`` showing the GenTrade backtests of ``user_dir`` to FreqUI."""

        def prepare(bot_dir: Path, chosen_port: int, creds: Credentials) -> tuple[list[str], dict[str, Any]]:
            collect_results(user_dir, bot_dir / "user_data" / "backtest_results")
            return ["webserver"], webserver_config(port=chosen_port, creds=creds, cors_origins=cors_origins)

        return self._launch(
            name, BotKind.WEBSERVER, prepare, strategy=None, dry_run=True, db_file=None, port=port, env={}
        )

    def refresh_webserver(self, name: str, user_dir: Path) -> list[Path]:
        """Link backtests finished since the webserver started (freqtrade re-reads the folder per request)."""
        return collect_results(user_dir, self.registry.bot_dir(name) / "user_data" / "backtest_results")

    def _launch(
        self,
        name: str,
        kind: BotKind,
        prepare: Prepare,
        *,
        strategy: str | None,
        dry_run: bool,
        db_file: Path | None,
        port: int | None,
        env: Mapping[str, str],
        startup_candles: int | None = None,
        timeframe: str | None = None,
        policy: Callable[[Path, dict[str, Any]], GuardPolicy] | None = None,
    ) -> BotInfo:
        bot_dir = self.registry.bot_dir(name)
        with self.registry.locked():
            live = [r for r in self.registry.records() if self._alive(r)]
            if any(r.name == name for r in live):
                raise ConflictError(f"bot {name!r} is already running; stop it or choose another name")
            taken = {r.port for r in live}
            if port is None:
                port = processes.free_port(taken)
            elif port in taken or not processes.port_is_free(port):
                raise ConflictError(f"port {port} is in use")
            creds = new_credentials()
            (bot_dir / "user_data").mkdir(mode=0o700, parents=True, exist_ok=True)
            self._breaker_file(name).unlink(missing_ok=True)  # a fresh process starts with entries on
            argv, cfg = prepare(bot_dir, port, creds)
            config_file = bot_dir / "config.json"
            write_json(config_file, cfg)
            self.registry.save_credentials(name, creds)
            log_file = bot_dir / "freqtrade.log"
            command = [*self.command, *argv[:1], "--config", str(config_file)]
            command += ["--userdir", str(bot_dir / "user_data"), *argv[1:]]
            if policy is not None and self.sandbox:
                command = guarded_command(command[1:], policy(bot_dir, cfg))
            proc = processes.spawn(
                command,
                cwd=bot_dir,
                log_file=log_file,
                env={**inherited_environment(), **_CHILD_ENV, **env},
                memory_mb=self.memory_mb,
            )
            self._children[proc.pid] = proc
            record = BotRecord(
                name=name,
                kind=kind,
                strategy=strategy,
                dry_run=dry_run,
                port=port,
                username=creds.username,
                pid=proc.pid,
                create_time=proc.create_time(),
                started_at=_now(),
                config_file=config_file,
                log_file=log_file,
                db_file=db_file,
                startup_candles=startup_candles,
                timeframe=cfg.get("timeframe") or timeframe,
                watch_pair=next(iter(cfg.get("exchange", {}).get("pair_whitelist") or []), None),
            )
            self.registry.save(record)
        return self._info(record)

    # ---------------------------------------------------------------- observe
    def _alive(self, record: BotRecord) -> bool:
        if record.stopped_at is not None:
            return False
        child = self._children.get(record.pid)
        if child is not None and child.poll() is not None:
            del self._children[record.pid]
        return processes.find(record.pid, record.create_time) is not None

    def _info(self, record: BotRecord) -> BotInfo:
        last_log = None
        if record.stopped_at is not None:
            status = BotStatus.STOPPED
        elif not self._alive(record):
            status = BotStatus.CRASHED
            last_log = processes.tail(record.log_file, CRASH_LOG_LINES)
        else:
            status = BotStatus.RUNNING if _answers(record.api_url) else BotStatus.STARTING
        warmup = self._warmup(record) if status is BotStatus.RUNNING else None
        breaker = self._breaker_state(record.name)
        if status is BotStatus.RUNNING and breaker.degraded:
            status = BotStatus.DEGRADED
        return BotInfo(
            name=record.name,
            kind=record.kind,
            status=status,
            pid=record.pid if status in (BotStatus.RUNNING, BotStatus.DEGRADED, BotStatus.STARTING) else None,
            api_url=record.api_url,
            username=record.username,
            strategy=record.strategy,
            dry_run=record.dry_run,
            started_at=record.started_at,
            stopped_at=record.stopped_at,
            log_path=record.log_file,
            db_path=record.db_file,
            last_log=last_log,
            warmup=warmup,
            degraded=breaker.degraded_reason if status is BotStatus.DEGRADED else None,
        )

    # ---------------------------------------------------------- circuit breaker
    def check_exchange(self, name: str, policy: BreakerPolicy | None = None) -> BreakerState:
        """One circuit-breaker tick for a running bot: probe its exchange, pause or resume entries."""
        record = self.registry.load(name)
        state = self._breaker_state(name)
        if record.kind is not BotKind.TRADE or not self._alive(record):
            return state
        try:
            url = probe_url(json.loads(record.config_file.read_text()))
        except (OSError, ValueError):
            url = None
        if url is None:
            return state
        new, action = breaker_step(state, probe(url), policy or BreakerPolicy())
        if action is not None:
            client = BotClient(record.api_url, self.registry.credentials(name))
            refused = client.pause() if action == "pause" else client.resume()
            if refused is not None and action == "resume":
                return state  # the bot did not take it: stay degraded, try again next tick
        write_json(self._breaker_file(name), new.model_dump(mode="json"))
        return new

    def _breaker_file(self, name: str) -> Path:
        return self.registry.bot_dir(name) / "breaker.json"

    def _breaker_state(self, name: str) -> BreakerState:
        try:
            return BreakerState.model_validate_json(self._breaker_file(name).read_text())
        except (OSError, ValueError):
            return BreakerState()

    def _warmup(self, record: BotRecord) -> str | None:
        """Why the strategy cannot trade yet, when the bot has fewer candles than its indicators need.

        A bot with too little history computes NaN indicators and simply never signals; saying so in the
        status is the only way a person learns why a fresh bot on a replay does nothing.
        """
        if record.startup_candles is None or record.watch_pair is None or record.timeframe is None:
            return None
        client = BotClient(record.api_url, self.registry.credentials(record.name))
        answer = client.get("pair_candles", {"pair": record.watch_pair, "timeframe": record.timeframe})
        if isinstance(answer, str) or not isinstance(answer, dict):
            return None  # not analysed yet, or the bot is busy: no claim either way
        have = int(answer.get("length") or 0)
        if have >= record.startup_candles:
            return None
        return (
            f"indicators not ready: {have} of {record.startup_candles} {record.timeframe} candles "
            f"of {record.watch_pair} (the exchange served too little history)"
        )

    def status(self, name: str) -> BotInfo:
        return self._info(self.registry.load(name))

    def list(self) -> list[BotInfo]:
        return [self._info(r) for r in self.registry.records()]

    def logs(self, name: str, lines: int = 100) -> str:
        return processes.tail(self.registry.load(name).log_file, lines)

    def credentials(self, name: str) -> Credentials:
        """The api_server login of a bot, for a caller that must log in to it (never logged by us)."""
        self.registry.load(name)
        return self.registry.credentials(name)

    def wait_running(self, name: str, timeout_s: float = 90.0) -> BotInfo:
        """Block until the bot's api_server answers; raises if the process exits or time runs out."""
        deadline = time.monotonic() + timeout_s
        while True:
            info = self.status(name)
            if info.status is BotStatus.RUNNING:
                return info
            if info.status in (BotStatus.CRASHED, BotStatus.STOPPED):
                raise BotStartFailedError(
                    f"bot {name!r} exited while starting (log {info.log_path})",
                    details={"log_tail": info.last_log or ""},
                )
            if time.monotonic() > deadline:
                raise BotStartFailedError(
                    f"bot {name!r} did not answer on {info.api_url} within {timeout_s:g} s",
                    details={"log_tail": self.logs(name, CRASH_LOG_LINES)},
                )
            time.sleep(_POLL_S)

    # ------------------------------------------------------------------- stop
    def stop(self, name: str, grace_s: float = DEFAULT_GRACE_S) -> BotInfo:
        """SIGTERM the bot's whole session, SIGKILL it after ``grace_s``; idempotent.

        A crashed bot is stopped too: that clears anything its session left running and records that
        someone has seen the crash.
        """
        record = self.registry.load(name)
        if record.stopped_at is None:
            processes.terminate_session(record.pid, record.create_time, grace_s)
            child = self._children.pop(record.pid, None)
            if child is not None:
                with contextlib.suppress(psutil.TimeoutExpired):
                    child.wait(timeout=5)
            record.stopped_at = _now()
            self.registry.save(record)
        return self._info(record)

    def emergency_stop(
        self, name: str, *, close_timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S, grace_s: float = DEFAULT_GRACE_S
    ) -> EmergencyStopReport:
        """Close every open position at market through the bot's REST API, then stop the bot.

        Returns once the positions are closed or ``close_timeout_s`` ran out; the report names what did not
        close. The bot is stopped either way: an emergency stop must not leave a bot trading.
        """
        record = self.registry.load(name)
        closed: builtins.list[TradeRef] = []
        not_closed: builtins.list[OpenTrade] = []
        error = None
        if record.kind is BotKind.TRADE and self._alive(record):
            client = BotClient(record.api_url, self.registry.credentials(name))
            closed, not_closed, error = close_positions(client, close_timeout_s)
        info = self.stop(name, grace_s)
        report = EmergencyStopReport(name=name, closed=closed, not_closed=not_closed, error=error, bot=info)
        self.notify(name, {"event": "emergency_stop", "complete": report.complete, **report.detail()})
        return report

    # ------------------------------------------------------------ notifications
    def notify(self, name: str, event: dict[str, Any]) -> bool:
        """Send a supervisor event to the bot's webhook, if it has one; True when it was delivered."""
        try:
            url = json.loads((self.registry.bot_dir(name) / WEBHOOK_FILE).read_text())["url"]
        except (OSError, ValueError, KeyError):
            return False
        return send_event(url, {"bot": name, **event})

    def notify_crash(self, name: str) -> bool:
        """Tell the bot's webhook that its process died, with the log's last lines."""
        info = self.status(name)
        return self.notify(name, {"event": "crash", "status": info.status.value, "last_log": info.last_log})

    def stop_all(self, grace_s: float = DEFAULT_GRACE_S) -> builtins.list[BotInfo]:
        return [self.stop(r.name, grace_s) for r in self.registry.records() if r.stopped_at is None]
