"""The dashboard in a real browser: sign up, create a strategy from a spec, backtest it and watch it
finish, read its charts back from the chart library and hold them against the API, compare two backtests,
the signals and bots pages on real data, and another user's pages as 404s. Every page is screenshotted
into test-artifacts/screenshots/."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import PAIRS, TIMERANGE, Dashboard, Person, register
from playwright.sync_api import Browser, Page, expect

from gentrade.examples import load_example

pytestmark = pytest.mark.slow
BACKTEST_WAIT_MS = 300_000
QUICK_LADDER = {
    "name": "QuickLadder",
    "description": "Enters at once (close > 0) so a bot trades within its first loop.",
    "timeframe": "1m",
    "pairs": ["BTC/USDT"],
    "entry_long": {"left": "close", "op": ">", "right": 0},
    "stop": {"initial": {"percent": 10}},
    "take_profit": [
        {"target": {"percent": 1}, "fraction": 0.5},
        {"target": {"percent": 50}, "fraction": 0.5},
    ],
}


SIGNAL_SETTLED = """() => document.querySelector('#signal-table tbody tr[data-signal-id]') !== null
    || /^(?!Working)\\S/.test(document.querySelector('#signal-form .form-status').textContent)"""


@dataclass
class Journey:
    person: Person
    strategy_id: int
    backtest_id: int


def shoot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def alice(browser: Browser, dashboard: Dashboard) -> Person:
    return register(browser, dashboard, "alice")


@pytest.fixture(scope="module")
def journey(browser: Browser, dashboard: Dashboard, screenshots: Path) -> Journey:
    """Through the pages only: a strategy from a spec, a backtest queued from its page, followed live to
    its report. A user of its own, so its empty start holds whichever of alice's tests ran before."""
    dana = register(browser, dashboard, "dana")
    page = dana.page
    page.goto("/strategies")
    expect(page.locator("#strategies-empty")).to_be_visible()  # the empty state says what to do
    spec = load_example("trend_following").model_dump(mode="json")
    page.select_option("#example-pick", "trend_following")
    assert json.loads(page.input_value("#spec-input")) == spec
    page.get_by_role("button", name="Create strategy").click()
    page.wait_for_url("**/strategies/*")
    strategy_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#audit-status")).to_have_text("passed")
    expect(page.locator("#spec")).to_contain_text("name: TrendFollower")
    expect(page.locator("#source")).to_contain_text("class TrendFollower")
    form = page.locator("#backtest-form")
    form.locator("input[name=pairs]").fill(", ".join(PAIRS))
    form.locator("input[name=timerange]").fill(TIMERANGE)
    form.get_by_role("button", name="Queue backtest").click()
    progress = page.locator("#backtest-progress")
    expect(progress).to_contain_text("Backtest #")  # queued/running shown while it runs
    expect(progress).to_have_attribute("data-finished", re.compile(".+"), timeout=BACKTEST_WAIT_MS)
    assert progress.get_attribute("data-finished") == "succeeded", progress.inner_text()
    link = page.locator("#backtest-done-link")
    backtest_id = int(link.inner_text().lstrip("#"))
    shoot(page, screenshots, "strategy")
    link.click()
    page.wait_for_url(f"**/backtests/{backtest_id}")
    return Journey(dana, strategy_id, backtest_id)


def _expected_markers(trades: list[dict[str, Any]], pair: str) -> tuple[int, Counter[str]]:
    """Entries, and exit labels as freqtrade recorded them, straight from the API's trade list."""
    entries, exits = 0, Counter[str]()
    for trade in (t for t in trades if t["pair"] == pair):
        entries += 1
        filled = [o for o in trade["orders"] if not o["is_entry"] and o["filled_at"] is not None]
        for index, order in enumerate(filled):
            closing = index == len(filled) - 1 and not trade["is_open"]
            exits[trade["exit_reason"] if closing else order["tag"]] += 1
    return entries, exits


def _chart_markers(page: Page, pair: str) -> tuple[int, Counter[str]]:
    page.select_option("#pair-pick", pair)
    expect(page.locator("#candle-chart")).to_have_attribute("data-loaded", pair)
    markers: list[dict[str, Any]] = page.evaluate("GT.state.candleMarkers.markers()")
    entries = sum(1 for m in markers if m["text"] == "")
    return entries, Counter(m["text"] for m in markers if m["text"] != "")


def test_backtest_page_charts_match_the_api(
    journey: Journey, dashboard: Dashboard, screenshots: Path
) -> None:
    page, api = journey.person.page, dashboard.api(journey.person.token)
    page.goto(f"/backtests/{journey.backtest_id}")
    detail = api.get(f"/api/v1/backtests/{journey.backtest_id}").json()
    result = detail["result"]
    assert detail["status"] == "succeeded" and result["trades"] > 0

    equity = api.get(f"/api/v1/backtests/{journey.backtest_id}/equity").json()["points"]
    expect(page.locator("#equity-count")).to_have_text(f"{len(equity)} points")
    drawn = page.evaluate("GT.state.equitySeries[0].data().map(p => [p.time, p.value])")
    assert drawn == [[p["time"], p["equity"]] for p in equity]
    assert drawn[-1][1] == pytest.approx(result["final_balance"], rel=1e-9)
    assert page.evaluate("GT.state.drawdownSeries[0].data().length") == len(equity)

    for pair in PAIRS:
        assert _chart_markers(page, pair) == _expected_markers(result["trade_list"], pair), pair
    labels = set(_expected_markers(result["trade_list"], PAIRS[0])[1]) | set(
        _expected_markers(result["trade_list"], PAIRS[1])[1]
    )
    assert {"tp1", "tp2"} <= labels  # the ladder's exits are on the chart

    expect(page.locator("#metrics")).to_contain_text(f"{result['trades']}")
    expect(page.locator("#metrics")).to_contain_text("fee 0.100 % + slippage 0.050 %")
    assert page.locator("#trades tbody.trade").count() == len(result["trade_list"])
    page.locator("#trades th", has_text="Profit").first.click()  # sortable: ascending profit
    first = float(
        page.locator("#trades tbody.trade").first.locator("td").nth(6).get_attribute("data-value") or 0
    )
    assert first == pytest.approx(min(t["profit_ratio"] for t in result["trade_list"]))
    page.locator("#trades tr.trade-row").first.click()  # its orders unfold
    expect(page.locator("#trades tr.orders").first).to_be_visible()
    reasons = page.locator("#exit-reasons tr")
    assert reasons.count() == len(result["exit_reasons"])
    candles = f"/api/v1/backtests/{journey.backtest_id}/candles"
    bucketed = api.get(candles, params={"pair": PAIRS[0], "max_candles": 1000}).json()
    assert bucketed["candles_per_bar"] > 1 and len(bucketed["candles"]) <= 1000
    assert api.get(candles, params={"pair": "ADA/BTC"}).status_code == 404  # not a pair it traded
    assert api.get(candles, params={"pair": PAIRS[0], "max_candles": 50}).status_code == 422
    zip_reply = page.request.get(f"/backtests/{journey.backtest_id}/result.zip")
    assert zip_reply.ok and zip_reply.body()[:2] == b"PK"
    shoot(page, screenshots, "backtest")


def test_compare_two_backtests(journey: Journey, dashboard: Dashboard, screenshots: Path) -> None:
    page, api = journey.person.page, dashboard.api(journey.person.token)
    spec = load_example("trend_following").model_dump(mode="json")
    spec["stop"]["initial"] = {"percent": 3}
    assert api.put(f"/api/v1/strategies/{journey.strategy_id}", json={"spec": spec}).status_code == 200
    queued = api.post(
        "/api/v1/backtests",
        json={"strategy_id": journey.strategy_id, "timerange": TIMERANGE, "pairs": PAIRS, "fee": 0.002},
    ).json()
    dashboard.executor.wait(queued["id"], timeout=BACKTEST_WAIT_MS / 1000)
    page.goto("/backtests")
    for backtest_id in (journey.backtest_id, queued["id"]):
        page.check(f"input[name=ids][value='{backtest_id}']")
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/compare?ids=*")
    assert page.locator("#compare-table thead th").count() == 3
    assert page.url.endswith(f"ids={journey.backtest_id},{queued['id']}")  # oldest first: the baseline
    counts = page.evaluate("GT.state.equitySeries.map(s => s.data().length)")
    expected = [
        len(api.get(f"/api/v1/backtests/{i}/equity").json()["points"])
        for i in (journey.backtest_id, queued["id"])
    ]
    assert counts == expected
    expect(page.locator("#spec-diff tr[data-path='stop.initial.atr'] td")).to_have_text(
        ["stop.initial.atr", "2.0", "(not set)"]
    )
    expect(page.locator("#spec-diff tr[data-path='stop.initial.percent'] td")).to_have_text(
        ["stop.initial.percent", "(not set)", "3.0"]
    )
    expect(page.locator("#compare-table tr[data-metric='max_drawdown_pct']")).to_contain_text(
        "lower is better"
    )
    shoot(page, screenshots, "compare")
    page.goto("/backtests")
    shoot(page, screenshots, "backtests")


def test_signals_page_with_an_evaluated_signal(
    alice: Person, dashboard: Dashboard, screenshots: Path
) -> None:
    page, api = alice.page, dashboard.api(alice.token)
    page.goto("/signals")
    expect(page.locator("#rate-limit")).to_contain_text("per minute")
    form = page.locator("#signal-form")
    form.locator("input[name=pair]").fill("ETH/BTC")
    form.locator("input[name=as_of]").fill("2018-01-22T00:00:00Z")
    form.get_by_role("button", name="Generate").click()
    # Success reloads the page with the new row; a refusal stays, with the API's reason in the form.
    page.wait_for_function(SIGNAL_SETTLED, timeout=60_000)
    refusal = page.locator("#signal-form .form-status").inner_text()
    assert refusal in ("", "Done."), refusal
    expect(page.locator("#signal-table tbody tr[data-signal-id]")).to_have_count(1)
    signals = api.get("/api/v1/signals").json()["items"]
    assert len(signals) == 1 and signals[0]["symbol"] == "ETH/BTC"
    evaluated = api.post(f"/api/v1/signals/{signals[0]['id']}/evaluate").json()
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-signals-loaded", "1")
    row = page.locator(f"#signal-table tr[data-signal-id='{signals[0]['id']}']")
    expect(row).to_contain_text(evaluated["status"])
    stats = api.get("/api/v1/signals/stats").json()
    expect(page.locator("#signal-metrics")).to_contain_text(f"{stats['decided']} decided")
    assert page.locator("#calibration tbody tr").count() == len(stats["calibration"])
    page.select_option(
        "#signal-filters select[name=status]", "expired" if evaluated["status"] != "expired" else "active"
    )
    page.locator("#signal-filters").get_by_role("button", name="Filter").click()
    expect(page.locator("#signals-empty")).to_be_visible()
    csv = page.request.get("/api/v1/signals/export", headers={"Authorization": f"Bearer {alice.token}"})
    assert csv.ok and "ETH/BTC" in csv.text()
    page.select_option("#signal-filters select[name=status]", "")
    page.locator("#signal-filters").get_by_role("button", name="Filter").click()
    shoot(page, screenshots, "signals")


def fill_entry(api: httpx.Client, bot_id: int, exchange_url: str) -> None:
    """The bot's entry rests at the bid; the replay testnet is scripted 1 % under it so it fills."""
    bot = api.get(f"/api/v1/bots/{bot_id}").json()  # the owner's view carries the api_server login
    login = (bot["username"], bot["password"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = httpx.get(f"{bot['api_url']}/api/v1/status", auth=login, timeout=10).json()
        buys = [o for t in status for o in t["orders"] if o["ft_order_side"] == "buy"]
        if buys:
            script = {"symbol": "BTC/USDT", "prices": [buys[0]["safe_price"] * 0.99] * 60}
            httpx.post(f"{exchange_url}/gentrade/v1/script", json=script, timeout=10).raise_for_status()
            return
        time.sleep(0.5)
    raise AssertionError("the bot placed no entry order in 120 s")


def test_bots_page_runs_a_dry_run_bot(alice: Person, dashboard: Dashboard, screenshots: Path) -> None:
    page, api = alice.page, dashboard.api(alice.token)
    created = api.post("/api/v1/strategies", json={"spec": QUICK_LADDER})
    assert created.status_code == 201, created.text
    page.goto("/bots")
    expect(page.locator("#bot-list")).to_contain_text("No bots yet")
    page.select_option("#bot-form select[name=strategy_id]", str(created.json()["id"]))
    page.locator("#bot-form input[name=name]").fill("quick")
    page.get_by_role("button", name="Start bot").click()
    card = page.locator(".bot-card").first
    expect(card.locator(".badge")).to_have_text("running", timeout=120_000)
    bot = api.get("/api/v1/bots").json()[0]
    expect(card.locator(".api-url")).to_have_text(bot["api_url"])
    expect(card.locator(".api-login")).to_contain_text("password")
    expect(card).to_have_attribute("data-live", "1", timeout=30_000)
    expect(card.locator(".bot-profit")).to_contain_text("trades")
    log = page.locator(f"#log-{bot['id']}")
    expect(log).to_contain_text("freqtrade", timeout=60_000)  # the tail arrives over server-sent events
    fill_entry(api, bot["id"], dashboard.settings.bot_exchange_url)
    expect(card).to_have_attribute("data-open-trades", "1", timeout=60_000)  # QuickLadder enters at once
    expect(card.locator(".open-trades")).to_contain_text("BTC/USDT long")
    expect(card.locator(".open-trades")).not_to_contain_text("entry order open", timeout=60_000)
    shoot(page, screenshots, "bots")
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Emergency stop").click()
    expect(page.locator("#emergency-report")).to_contain_text("quick: closed 1 position(s)", timeout=120_000)
    expect(page.locator(".bot-card .badge").first).to_have_text("stopped")
    assert api.get(f"/api/v1/bots/{bot['id']}").json()["status"] == "stopped"


def test_chat_and_settings_pages(alice: Person, screenshots: Path) -> None:
    page = alice.page
    page.goto("/chat")
    page.fill("#chat-message", "RSI under 30 on ETH/BTC 5m, stop 2 ATR, take profit at 1R 2R 3R")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#draft")).to_contain_text('"take_profit"', timeout=60_000)
    expect(page.locator(".msg.assistant").first).to_contain_text("Understood: enter long when RSI(14) < 30")
    page.fill("#chat-message", f"backtest it on {TIMERANGE}")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#approval-text")).to_contain_text(f"on ETH/BTC (5m, {TIMERANGE})", timeout=60_000)
    page.get_by_role("button", name="Approve backtest").click()
    expect(page.locator("#chat-result")).to_contain_text("Trades", timeout=BACKTEST_WAIT_MS)
    expect(page.locator("#chat-held-back")).to_contain_text("Trades")  # the held-back run beside it
    expect(page.locator("#chat-held-back-link")).to_be_visible()
    report = page.locator("#chat-backtest-link")  # the chat's run is a stored backtest, linked to its page
    expect(report).to_be_visible()
    page.get_by_role("button", name="Save as strategy").click()
    expect(page.locator("#saved-strategy-link")).to_be_visible()
    shoot(page, screenshots, "chat")
    report.click()
    page.wait_for_url("**/backtests/*")
    expect(page.locator("h1")).to_contain_text("succeeded")
    expect(page.locator(".crumbs + h1 + p")).to_contain_text("RsiOversold")
    page.goto("/settings")
    expect(page.locator("body")).to_have_attribute("data-settings-loaded", "1")
    page.fill("#token-form input[name=name]", "scripts")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#token-value")).to_contain_text("gtp_")
    expect(page.locator("#token-table")).to_contain_text("scripts")
    form = page.locator("#credential-form")
    form.locator("input[name=label]").fill("main")
    form.locator("input[name=api_key]").fill("KEY1234567890ABCD")
    form.locator("input[name=api_secret]").fill("secret-value")
    form.get_by_role("button", name="Add").click()
    expect(page.locator("#credential-table")).to_contain_text("main")
    expect(page.locator("#credential-table")).not_to_contain_text("secret-value")
    shoot(page, screenshots, "settings")


def test_another_user_sees_none_of_it(
    journey: Journey, browser: Browser, dashboard: Dashboard, screenshots: Path
) -> None:
    bob = register(browser, dashboard, "bob")
    for path in (
        f"/strategies/{journey.strategy_id}",
        f"/backtests/{journey.backtest_id}",
        f"/backtests/{journey.backtest_id}/result.zip",
        f"/compare?ids={journey.backtest_id},{journey.backtest_id + 1}",
    ):
        reply = bob.page.goto(path)
        assert reply is not None and reply.status == 404, path
    expect(bob.page.locator("h1")).to_have_text("Not found")
    shoot(bob.page, screenshots, "not-found")
    api = dashboard.api(bob.token)
    for path in (
        f"/api/v1/backtests/{journey.backtest_id}/equity",
        f"/api/v1/backtests/{journey.backtest_id}/candles?pair=ETH/BTC",
    ):
        assert api.get(path).status_code == 404, path
    bob.page.goto("/strategies")
    expect(bob.page.locator("#strategies-empty")).to_be_visible()
    shoot(bob.page, screenshots, "empty-strategies")
    bob.page.goto("/backtests")
    expect(bob.page.locator("#backtests-empty")).to_be_visible()
    shoot(bob.page, screenshots, "empty-backtests")
    bob.context.close()
