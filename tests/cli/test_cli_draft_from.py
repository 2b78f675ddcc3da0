"""`gentrade draft --from SPEC -o FILE`: improve an existing spec from text, offline, and keep the rest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gentrade.examples import load_example
from gentrade.spec import parse_spec, spec_json


def gentrade(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gentrade.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_change_in_words_amends_the_spec_and_writes_it(tmp_path: Path) -> None:
    before = load_example("trend_following")
    (tmp_path / "in.json").write_text(spec_json(before))
    run = gentrade(
        "draft", "use a 3% stop", "--from", str(tmp_path / "in.json"), "-o", str(tmp_path / "out.json")
    )
    assert run.returncode == 0, run.stderr
    after = parse_spec(json.loads((tmp_path / "out.json").read_text()))
    assert after.stop.initial.model_dump() == {"percent": 3.0}
    assert after.entry_long == before.entry_long and after.exit_long == before.exit_long
    assert after.indicators == before.indicators and after.take_profit == before.take_profit
    assert after.stop.trailing == before.stop.trailing


def test_a_text_that_names_no_change_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(spec_json(load_example("trend_following")))
    run = gentrade(
        "draft", "make it better please", "--from", str(tmp_path / "in.json"), "-o", str(tmp_path / "o")
    )
    assert run.returncode == 1 and run.stderr.startswith("error[")
    assert not (tmp_path / "o").exists()


def test_an_added_filter_and_a_new_stop_keep_the_entry_and_print_the_diff(tmp_path: Path) -> None:
    from agents.offline import draft

    before = draft("buy BTC/USDT when EMA 20 crosses above EMA 50, 3% stop").spec
    (tmp_path / "in.json").write_text(spec_json(before))
    text = "change the stop to 2 ATR and add RSI below 40 as a filter"
    run = gentrade("draft", text, "--from", str(tmp_path / "in.json"), "-o", str(tmp_path / "out.json"))
    assert run.returncode == 0, run.stderr
    assert "stop.initial: 3% -> 2 ATR" in run.stdout and "entry_long: + rsi < 40" in run.stdout
    after = parse_spec(json.loads((tmp_path / "out.json").read_text()))
    entry = after.model_dump(mode="json")["entry_long"]
    assert entry["all"][0] == before.model_dump(mode="json")["entry_long"]
    assert entry["all"][1]["op"] == "<" and entry["all"][1]["right"] == {"value": 40.0}


def test_a_partly_understood_change_writes_nothing_and_names_the_rest(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(spec_json(load_example("trend_following")))
    run = gentrade(
        "draft",
        "use a 3% stop and make it purple",
        "--from",
        str(tmp_path / "in.json"),
        "-o",
        str(tmp_path / "o"),
    )
    assert run.returncode == 1 and run.stderr.startswith("error[draft_not_understood]")
    assert "make it purple" in run.stderr and not (tmp_path / "o").exists()
