"""A real dashboard: the API app served by uvicorn on a loopback port, a replay testnet for its bots, and
one headless Debian chromium (driven by Playwright through its executable path) for the whole session."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from gentrade.api import create_app
from gentrade.api.executor import LocalExecutor
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.engine.result import BacktestResult
from gentrade.engine.runner import run_backtest
from gentrade.examples import load_example
from gentrade.exchange.server import TestnetHandle, start_testnet
from gentrade.services.strategy_saving import build_strategy
from gentrade.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ENSURE_CHROMIUM = REPO / "scripts" / "ensure-chromium"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
REPLAY_START = "2024-01-10T00:00:00Z"
PAIRS = ["ETH/BTC", "LTC/BTC"]
TIMERANGE = "20180110-20180130"


@dataclass
class Dashboard:
    url: str
    app: FastAPI
    executor: LocalExecutor
    settings: Settings

    def api(self, token: str) -> httpx.Client:
        """The JSON API as the given user (the tests' independent view of what the pages show)."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


@dataclass
class Person:
    email: str
    context: BrowserContext
    page: Page

    @property
    def token(self) -> str:
        return next(c["value"] for c in self.context.cookies() if c["name"] == "gentrade_session")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed by the project's own script when missing (never `playwright install`)."""
    if not CHROMIUM.exists():
        subprocess.run([str(ENSURE_CHROMIUM)], check=True)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing and scripts/ensure-chromium could not install it")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """One Chromium per test module, not per session: while Playwright's sync API is open the main thread has
    a running asyncio loop, and any later test that runs a loop of its own (freqtrade's Exchange does) fails
    with "Cannot run the event loop while another loop is running" when the random order puts it after."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def strategy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trend-following example, rendered and audited: a ladder, break-even after TP1, trail after TP2."""
    return build_strategy(load_example("trend_following"), tmp_path_factory.mktemp("strategies")).path


@pytest.fixture(scope="session")
def result(
    strategy_file: Path, shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> BacktestResult:
    """One real backtest of it on real candles, shared by the tests that read a result without the API."""
    found = run_backtest(
        strategy_file, shared_data_dir, TIMERANGE, PAIRS, results_dir=tmp_path_factory.mktemp("runs")
    )
    assert found.run is not None and found.trades > 0
    return found


def _serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the dashboard server did not start"
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


@pytest.fixture(scope="module")
def testnet(synthetic_data_dir: Path) -> Iterator[TestnetHandle]:
    with start_testnet(synthetic_data_dir, replay_start=REPLAY_START, speed=5) as handle:
        yield handle


@pytest.fixture(scope="module")
def dashboard(
    tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path, testnet: TestnetHandle
) -> Iterator[Dashboard]:
    tmp = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{tmp / 'gentrade.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(
        user_dir=tmp / "user_data",
        database_url=url,
        data_dir=shared_data_dir,
        secret_key="test-secret-" + uuid.uuid4().hex,
        credentials_key=Fernet.generate_key().decode(),
        rate_backtests_per_minute=600,
        rate_backtests_burst=100,
        task_backend="local",
        bot_exchange_url=testnet.url,
    )
    executor = LocalExecutor(make_session_factory(engine), settings)
    app = create_app(settings, engine=engine, executor=executor)
    base, server, thread = _serve(app)
    try:
        yield Dashboard(base, app, executor, settings)
    finally:
        # Whatever a failed test left running: every user's bot manager stops its bots.
        for manager in list(app.state.bot_managers._managers.values()):
            manager.stop_all(grace_s=10)
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()


def register(browser: Browser, dashboard: Dashboard, who: str) -> Person:
    """A new account created through the login page's form, signed in (the session cookie is set)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, base_url=dashboard.url)
    page = context.new_page()
    email = f"{who}-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/strategies")
    assert "/login" in page.url  # signed out: the page sends us to sign in
    page.get_by_text("No account yet? Create one").click()
    form = page.locator("#register-form")
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/strategies")
    return Person(email, context, page)
