"""The DB-facing signal service on SQLite and PostgreSQL: generation reads only candles closed by ``as_of``
and dates the signal at that close; the expiry sweep evaluates exactly the active signals past expiry, of
every user, and a signal it cannot evaluate stays active without stopping the sweep."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from agents.offline import analyze, load_candles
from gentrade.cli.signal import register
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.models import SignalOutcome, TradeSignal, User
from gentrade.db.repositories.users import create_user
from gentrade.db.testing import fresh_database
from gentrade.settings import get_settings
from gentrade.signals.service import evaluate_expired_signals, generate_signal, signal_of, store_signal
from gentrade.spec import parse_signal

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
AS_OF = datetime(2018, 1, 25, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with make_session_factory(engine)() as db:
            yield db
        engine.dispose()


def _user(session: Session, name: str) -> User:
    user = create_user(session, f"{name}@example.com", "x")
    session.commit()
    return user


def test_generation_reads_only_closed_candles_and_dates_the_signal_at_their_close(
    session: Session, real_datadir: Path
) -> None:
    row = generate_signal(session, _user(session, "gen"), "ETH/BTC", "1h", datadir=real_datadir, as_of=AS_OF)
    session.commit()
    candles = load_candles(real_datadir, "ETH/BTC", "1h")
    closed = candles[candles["date"] < AS_OF].reset_index(drop=True)  # the 23:00 candle closes at AS_OF
    expected = analyze(closed, "ETH/BTC", "1h").signal
    assert row.generated_at == AS_OF and row.expires_at == AS_OF + timedelta(hours=6)
    stored = signal_of(row)
    assert (stored.entry, stored.stop_loss, stored.take_profits) == (
        expected.entry, expected.stop_loss, expected.take_profits
    )
    assert row.snapshots is not None and row.snapshots["market"]["price"] == expected.entry
    assert row.snapshots["indicators"]["ema200"] > 0


def test_sweep_evaluates_only_expired_active_signals(session: Session, real_datadir: Path) -> None:
    alice, bob = _user(session, "alice"), _user(session, "bob")
    expired = generate_signal(session, alice, "ETH/BTC", "1h", datadir=real_datadir, as_of=AS_OF)
    others = generate_signal(session, bob, "LTC/BTC", "1h", datadir=real_datadir, as_of=AS_OF)
    later = generate_signal(
        session, alice, "ETH/BTC", "1h", datadir=real_datadir, as_of=AS_OF + timedelta(days=2)
    )
    no_candles = store_signal(
        session,
        alice,
        parse_signal({
            "symbol": "NOPE/BTC", "timeframe": "1h", "entry": 1.0, "stop_loss": 0.9,
            "take_profits": [{"price": 1.1, "allocation": 1.0}], "confidence": 50, "model_id": "m",
            "generated_at": AS_OF.isoformat(),
        }),
    )
    session.commit()

    done = evaluate_expired_signals(session, now=AS_OF + timedelta(days=1), datadir=real_datadir)

    assert done == [expired.id, others.id]
    session.expire_all()
    for row in (expired, others):
        assert row.status in {"completed_success", "completed_failure", "expired"}
        outcome = session.query(SignalOutcome).filter_by(signal_id=row.id).one()
        assert outcome.outcome["status"] == row.status and outcome.net_pnl_pct is not None
    assert session.get(TradeSignal, later.id).status == "active"  # not expired yet
    assert session.get(TradeSignal, no_candles.id).status == "active"  # retried next sweep
    assert evaluate_expired_signals(session, now=AS_OF + timedelta(days=1), datadir=real_datadir) == []


def test_cli_generate_list_and_stats_on_the_embedded_db(
    tmp_path: Path, real_datadir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENTRADE_USER_DIR", str(tmp_path))  # the embedded SQLite file lives here
    monkeypatch.delenv("GENTRADE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    root = typer.Typer()
    root.callback()(lambda: None)
    register(root)
    runner = CliRunner()
    engine = make_engine(get_settings().resolved_database_url)
    upgrade(engine)
    with make_session_factory(engine)() as db:
        _user(db, "cli")
    engine.dispose()
    try:
        missing = runner.invoke(root, ["signal", "list", "--user", "nobody@example.com"])
        assert missing.exit_code == 1 and "no user" in missing.output
        made = runner.invoke(root, ["signal", "generate", "ETH/BTC", "--timeframe", "1h", "--user",
                                    "cli@example.com", "--datadir", str(real_datadir), "--json"])
        assert made.exit_code == 0, made.output
        stored = json.loads(made.stdout)
        assert stored["status"] == "active" and stored["signal"]["symbol"] == "ETH/BTC"
        assert set(stored["snapshots"]) == {"indicators", "market"}
        listed = runner.invoke(root, ["signal", "list", "--user", "cli@example.com"])
        assert listed.exit_code == 0 and "ETH/BTC" in listed.stdout and "active" in listed.stdout
        stats = runner.invoke(root, ["signal", "stats", "--user", "cli@example.com", "--json"])
        assert stats.exit_code == 0 and json.loads(stats.stdout)["total"] == 0  # nothing evaluated yet
    finally:
        get_settings.cache_clear()
