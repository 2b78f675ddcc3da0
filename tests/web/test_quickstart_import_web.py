"""The quickstart's results in the browser: a person who ran `gentrade quickstart` signs up, presses the
empty state's import button and opens an imported backtest, whose equity chart and candle markers (the
ladder's tp exits among them) are held against the API's series."""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Dashboard, _serve, register
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, expect

from gentrade.api import create_app
from gentrade.api.executor import LocalExecutor
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.settings import Settings

pytestmark = pytest.mark.slow
BUTTON = "Import the quickstart's results"
PAINTED = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def quickstart_dashboard(
    tmp_path_factory: pytest.TempPathFactory, quickstart_dir: Path
) -> Iterator[Dashboard]:
    """`gentrade serve` as the quickstart leaves it: the same user_dir, its candles the server's data."""
    tmp = tmp_path_factory.mktemp("quickstart-dashboard")
    user_dir = tmp / "user_data"
    shutil.copytree(quickstart_dir, user_dir)
    url = f"sqlite:///{tmp / 'gentrade.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    settings = Settings(
        user_dir=user_dir,
        database_url=url,
        secret_key="test-secret-" + uuid.uuid4().hex,
        credentials_key=Fernet.generate_key().decode(),
        task_backend="local",
    )
    executor = LocalExecutor(make_session_factory(engine), settings)
    app = create_app(settings, engine=engine, executor=executor)
    base, server, thread = _serve(app)
    try:
        yield Dashboard(base, app, executor, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()


def _tp_exits(result: dict[str, Any]) -> int:
    """Take-profit exits freqtrade counted (each ladder level by its tag: tp1, tp2 ...)."""
    return sum(n for reason, n in result["exit_reasons"].items() if reason.startswith("tp"))


def test_import_the_quickstart_and_open_its_backtest(
    browser: Browser, quickstart_dashboard: Dashboard, screenshots: Path
) -> None:
    person = register(browser, quickstart_dashboard, "quickstarter")
    page, api = person.page, quickstart_dashboard.api(person.token)
    expect(page.locator("#strategies-empty").get_by_role("button", name=BUTTON)).to_be_visible()

    page.goto("/backtests")
    page.locator("#backtests-empty").get_by_role("button", name=BUTTON).click()
    expect(page.locator("#backtest-table tbody tr")).to_have_count(3)
    listed = api.get("/api/v1/backtests").json()["items"]
    assert {b["status"] for b in listed} == {"succeeded"}
    page.screenshot(path=str(screenshots / "quickstart-imported.png"), full_page=True)

    # The run with the most ladder exits: its chart must show them.
    details = [api.get(f"/api/v1/backtests/{b['id']}").json() for b in listed]
    chosen = max(
        details, key=lambda d: sum(n for r, n in d["result"]["exit_reasons"].items() if r[:2] == "tp")
    )
    page.locator(f'#backtest-table a[href="/backtests/{chosen["id"]}"]').click()
    page.wait_for_url(f"**/backtests/{chosen['id']}")

    equity = api.get(f"/api/v1/backtests/{chosen['id']}/equity").json()["points"]
    expect(page.locator("#equity-count")).to_have_text(f"{len(equity)} points")
    drawn = page.evaluate("GT.state.equitySeries[0].data().map(p => [p.time, p.value])")
    assert drawn == [[p["time"], p["equity"]] for p in equity]
    assert page.evaluate("GT.state.drawdownSeries[0].data().length") == len(equity)

    labels: Counter[str] = Counter()
    for pair in chosen["result"]["pairs"]:
        page.select_option("#pair-pick", pair)
        expect(page.locator("#candle-chart")).to_have_attribute("data-loaded", pair)
        on_chart: list[dict[str, Any]] = page.evaluate("GT.state.candleMarkers.markers()")
        candles = api.get(f"/api/v1/backtests/{chosen['id']}/candles", params={"pair": pair}).json()
        drawn_times = page.evaluate("GT.state.candleSeries.data().map(c => c.time)")
        assert drawn_times == [candle[0] for candle in candles["candles"]], pair
        assert drawn_times[0] >= datetime.fromisoformat(chosen["result"]["backtest_start"]).timestamp()
        served = candles["markers"]
        assert len(on_chart) == len(served) > 0, pair
        expected = Counter(m["label"] for m in served if m["kind"] != "entry")
        assert Counter(m["text"] for m in on_chart if m["text"]) == expected, pair
        labels += expected
    assert sum(n for label, n in labels.items() if label.startswith("tp")) == _tp_exits(chosen["result"]) > 0
    page.evaluate(PAINTED)
    page.screenshot(path=str(screenshots / "quickstart-backtest.png"), full_page=True)

    page.goto("/strategies")
    expect(page.locator("#strategy-table tbody tr")).to_have_count(3)
    expect(page.get_by_role("button", name=BUTTON)).to_have_count(0)
