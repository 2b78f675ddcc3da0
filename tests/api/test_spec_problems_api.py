"""A bad spec is answered with every bad field at once, field errors and cross-field problems together.
(Before: the API named ``spec.name``; after that was fixed, ``spec.entry_long``; then the ladder.)"""

from __future__ import annotations

from api_support import Api

BAD = {
    "name": "bad name!",
    "pairs": ["ETH/BTC", "ETH/BTC"],
    "entry_long": {"left": "rsi", "op": "<", "right": 30},
    "exit_long": {"left": "ema", "op": ">", "right": 1},
    "stop": {"initial": {"percent": 2}},
    "take_profit": [
        {"target": {"percent": 1}, "fraction": 0.5},
        {"target": {"percent": 1}, "fraction": 0.4},
    ],
}


def test_every_bad_field_of_a_spec_is_named_in_one_answer(api: Api) -> None:
    reply = api.client.post("/api/v1/strategies", json={"spec": BAD}, headers=api.user())
    assert reply.status_code == 422 and reply.json()["code"] == "validation_error"
    assert [p["path"] for p in reply.json()["details"]] == [
        "spec.name",
        "spec.pairs",
        "spec.entry_long",
        "spec.exit_long",
        "spec.take_profit",
    ]


def test_a_structural_error_still_reports_what_it_can(api: Api) -> None:
    """A malformed rule leaves nothing to cross-check the rules against: its own error is the answer."""
    broken = {**BAD, "entry_long": {"left": "rsi", "op": "~", "right": 30}}
    reply = api.client.post("/api/v1/strategies", json={"spec": broken}, headers=api.user())
    paths = [p["path"] for p in reply.json()["details"]]
    assert reply.status_code == 422 and paths[:2] == ["spec.name", "spec.pairs"], paths
    assert any(path.startswith("spec.entry_long") for path in paths), paths
