"""The DB-facing signal service on SQLite and PostgreSQL: generation reads only candles closed by ``as_of``
and dates the signal at that close; the expiry sweep evaluates exactly the active signals past expiry, of
every user, a group at a time with the batch evaluator, storing what ``evaluate_row`` stores, and a signal
it cannot evaluate stays active without stopping the sweep."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from agents.offline import analyze
from gentrade.cli.signal import register
from gentrade.data import store
from gentrade.db import upgrade
from gentrade.db.engine import make_engine, make_session_factory
from gentrade.db.models import SignalOutcome, TradeSignal, User
from gentrade.db.repositories.users import create_user
from gentrade.db.testing import fresh_database
from gentrade.errors import DataMissingError
from gentrade.services.signals import (
    evaluate_expired_signals,
    evaluate_row,
    generate_signal,
    signal_arrays,
    signal_of,
    store_signal,
)
from gentrade.settings import get_settings
from gentrade.signals import SignalArrays, load_candles_arrays
from gentrade.signals.candles import to_ns
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
    candles = store.load_candles_frame(real_datadir, "ETH/BTC", "1h", resample=True)
    closed = candles[candles["date"] < AS_OF].reset_index(drop=True)  # the 23:00 candle closes at AS_OF
    expected = analyze(closed, "ETH/BTC", "1h").signal
    assert row.generated_at == AS_OF and row.expires_at == AS_OF + timedelta(hours=6)
    stored = signal_of(row)
    assert (stored.entry, stored.stop_loss, stored.take_profits) == (
        expected.entry,
        expected.stop_loss,
        expected.take_profits,
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
        parse_signal(
            {
                "symbol": "NOPE/BTC",
                "timeframe": "1h",
                "entry": 1.0,
                "stop_loss": 0.9,
                "take_profits": [{"price": 1.1, "allocation": 1.0}],
                "confidence": 50,
                "model_id": "m",
                "generated_at": AS_OF.isoformat(),
            }
        ),
    )
    session.commit()

    done = evaluate_expired_signals(session, now=AS_OF + timedelta(days=1), datadir=real_datadir)

    assert done == [expired.id, others.id]
    session.expire_all()
    for row in (expired, others):
        assert row.status in {"completed_success", "completed_failure", "expired"}
        outcome = session.query(SignalOutcome).filter_by(signal_id=row.id).one()
        assert outcome.outcome["status"] == row.status and outcome.net_pnl_pct is not None
    assert session.get_one(TradeSignal, later.id).status == "active"  # not expired yet
    assert session.get_one(TradeSignal, no_candles.id).status == "active"  # retried next sweep
    assert evaluate_expired_signals(session, now=AS_OF + timedelta(days=1), datadir=real_datadir) == []


def test_a_damaged_row_holds_back_its_group_only(session: Session, real_datadir: Path) -> None:
    """Rows are read without validation (they were validated when stored): one damaged outside the API
    must not stop the sweep, nor lose anything; its group stays active, the other groups are evaluated."""
    alice = _user(session, "alice")
    damaged = generate_signal(session, alice, "ETH/BTC", "1h", datadir=real_datadir, as_of=AS_OF)
    healthy = generate_signal(session, alice, "LTC/BTC", "1h", datadir=real_datadir, as_of=AS_OF)
    damaged.take_profits = [{"price": "not a price", "allocation": 1.0}]
    session.commit()

    done = evaluate_expired_signals(session, now=AS_OF + timedelta(days=1), datadir=real_datadir)

    assert done == [healthy.id]
    session.expire_all()
    assert session.get_one(TradeSignal, damaged.id).status == "active"
    assert session.query(SignalOutcome).filter_by(signal_id=damaged.id).one_or_none() is None
    assert session.get_one(TradeSignal, healthy.id).status != "active"


SWEEP_AT = datetime(2018, 2, 10, tzinfo=UTC)
MIX = [  # symbol, signal timeframe, generated at, level spread; UNITTEST/BTC reads 1m candles, the others 5m
    *(
        ("ETH/BTC", tf, datetime(2018, 1, 12, tzinfo=UTC) + timedelta(hours=29 * k), 1.0)
        for k, tf in enumerate(["1h", "4h", "1h", "1d", "1h", "4h", "1h", "1h", "4h", "1h"])
    ),
    *(("LTC/BTC", "1h", datetime(2018, 1, 15, tzinfo=UTC) + timedelta(hours=41 * k), 1.0) for k in range(6)),
    *(
        ("UNITTEST/BTC", tf, datetime(2017, 11, 6, tzinfo=UTC) + timedelta(hours=37 * k), 1.0)
        for k, tf in enumerate(["1h", "4h", "1h", "1d", "1h"])
    ),
    ("ETH/BTC", "1h", datetime(2018, 1, 30, 2, tzinfo=UTC), 10.0),  # untouched when the candles end: active
]


def _store_mix(session: Session, real_datadir: Path) -> list[TradeSignal]:
    """Longs and shorts, break-even on and off, 1-4 targets 0.4 % apart, stops 0.8-2.4 % away (× spread)."""
    alice, bob = _user(session, "alice"), _user(session, "bob")
    rows = []
    for k, (symbol, timeframe, at, spread) in enumerate(MIX):
        candles = load_candles_arrays(real_datadir, symbol, "1m" if symbol == "UNITTEST/BTC" else "5m")
        entry = float(candles.open[np.searchsorted(candles.time, to_ns(at))])
        s = 1 if k % 2 == 0 else -1
        count = 1 + k % 4
        signal = parse_signal(
            {
                "symbol": symbol,
                "direction": "long" if s == 1 else "short",
                "timeframe": timeframe,
                "entry": entry,
                "stop_loss": entry * (1 - s * spread * 0.008 * (1 + k % 3)),
                "take_profits": [
                    {"price": entry * (1 + s * spread * 0.004 * (j + 1)), "allocation": 1 / count}
                    for j in range(count)
                ],
                "breakeven_after_tp1": k % 3 != 1,
                "confidence": 50,
                "model_id": "m",
                "generated_at": at.isoformat(),
            }
        )
        rows.append(store_signal(session, alice if k % 2 else bob, signal))
    session.commit()
    return rows


def _stored(session: Session, row: TradeSignal) -> tuple[str, object]:
    outcome = session.query(SignalOutcome).filter_by(signal_id=row.id).one_or_none()
    kept = None if outcome is None else (outcome.outcome, outcome.net_pnl_pct, outcome.net_pnl_abs)
    return session.get_one(TradeSignal, row.id).status, kept


def test_sweep_stores_what_evaluate_row_stores(session: Session, real_datadir: Path) -> None:
    """Groups of several symbols and timeframes go through the batch evaluator; each outcome (JSON, P/L
    columns, status) is the one ``evaluate_row`` stores for that signal; the group without candles stays
    active, an earlier (still active) outcome is replaced, and signals not due are left alone."""
    rows = _store_mix(session, real_datadir)
    carol = _user(session, "carol")
    missing = [
        store_signal(
            session,
            carol,
            parse_signal(
                {
                    "symbol": "NOPE/BTC",
                    "direction": direction,
                    "timeframe": "1h",
                    "entry": 1.0,
                    "stop_loss": 0.9 if direction == "long" else 1.1,
                    "take_profits": [{"price": 1.1 if direction == "long" else 0.9, "allocation": 1.0}],
                    "confidence": 50,
                    "model_id": "m",
                    "generated_at": AS_OF.isoformat(),
                }
            ),
        )
        for direction in ("long", "short")
    ]
    not_due = store_signal(session, carol, signal_of(rows[0]).model_copy(update={"generated_at": SWEEP_AT}))
    done_before = store_signal(session, carol, signal_of(rows[1]))
    done_before.status = "completed_success"
    session.commit()
    # A long far below the market when the candles end (2018-01-30 04:55; ETH/BTC is near .104 there):
    # evaluated on demand it is pending, and the sweep must look at it again like an active one.
    waiting = store_signal(
        session,
        carol,
        parse_signal(
            {
                "symbol": "ETH/BTC",
                "timeframe": "1h",
                "entry": 0.05,
                "stop_loss": 0.04,
                "take_profits": [{"price": 0.06, "allocation": 1.0}],
                "confidence": 50,
                "model_id": "m",
                "generated_at": "2018-01-30T02:00:00+00:00",
            }
        ),
    )
    session.commit()
    for row in (rows[-1], waiting):  # on demand, before the data reached their expiry
        evaluate_row(session, row, datadir=real_datadir)
    session.commit()
    assert (_stored(session, rows[-1])[0], _stored(session, waiting)[0]) == ("active", "pending")

    done = evaluate_expired_signals(session, now=SWEEP_AT, datadir=real_datadir)

    assert done == sorted([row.id for row in rows] + [waiting.id])
    assert _stored(session, waiting)[0] == "pending"
    session.expire_all()
    swept = {row.id: _stored(session, row) for row in rows + missing + [not_due, done_before]}
    statuses = {status for status, _ in swept.values()}
    assert {"completed_success", "completed_failure", "active", "incomplete_data"} <= statuses
    for row in missing + [not_due]:
        assert swept[row.id] == ("active", None)
    assert swept[done_before.id] == ("completed_success", None)
    for row in rows:
        evaluate_row(session, row, datadir=real_datadir)
        session.commit()
        session.expire_all()
        assert swept[row.id][1] is not None and swept[row.id] == _stored(session, row), row.id
    with pytest.raises(DataMissingError):
        evaluate_row(session, missing[0], datadir=real_datadir)


def test_signal_arrays_of_rows_equal_those_of_their_signals(session: Session, real_datadir: Path) -> None:
    """The sweep's columns read from the rows equal ``SignalArrays.from_signals`` of ``signal_of`` them,
    field for field (a row without ``expires_at`` included: its validity is the default 6 candles)."""
    rows = _store_mix(session, real_datadir)
    rows[3].expires_at = None
    session.commit()
    session.expire_all()
    mine, theirs = signal_arrays(rows), SignalArrays.from_signals([signal_of(row) for row in rows])
    for field in fields(SignalArrays):
        a, b = getattr(mine, field.name), getattr(theirs, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), field.name
        else:
            assert a == b, field.name


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
        made = runner.invoke(
            root,
            [
                "signal",
                "generate",
                "ETH/BTC",
                "--timeframe",
                "1h",
                "--user",
                "cli@example.com",
                "--datadir",
                str(real_datadir),
                "--json",
            ],
        )
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
