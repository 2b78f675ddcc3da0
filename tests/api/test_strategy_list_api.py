"""The strategy list's read path (user check and page in one statement, JSON without per-row models),
checked against an independent reading of the same rows: ORM objects through the ``StrategyPage`` model.

Every sort, the cursor (with ties on the sort key), the name filter (with LIKE's wildcards in it), the
admin's view and a token whose user is gone, on both backends.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from api_support import Api
from sqlalchemy import insert, select

from gentrade.api.schemas.strategies import StrategyPage
from gentrade.api.security import create_access_token
from gentrade.db.models import Strategy

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ODD_NAMES = ['Quote"d', "back\\slash", "Ünïcode", "a_b", "a%b", "AXB", "ab", "slash/ed", "tab\tbed"]


def _user_id(api: Api, headers: dict[str, str]) -> int:
    return int(api.client.get("/api/v1/users/me", headers=headers).json()["id"])


def _seed(api: Api, owner_id: int, names: list[str]) -> None:
    """Rows whose times have whole and fractional seconds, and two pairs that tie on ``created_at``."""
    rows = [
        {
            "owner_id": owner_id,
            "name": name,
            "current_version": 1 + i % 3,
            "created_at": START + timedelta(seconds=i // 2 * 2, microseconds=(i % 3) * 250_001),
            "updated_at": START + timedelta(days=1, microseconds=i * 10 if i % 2 else 0),
        }
        for i, name in enumerate(names)
    ]
    with api.sessions() as session:
        session.execute(insert(Strategy), rows)
        session.commit()


def _model_bytes(api: Api, ids: list[int], next_cursor: str | None) -> bytes:
    """The page as FastAPI's own ``response_model`` serialization of ORM rows would give it."""
    with api.sessions() as session:
        rows = [session.get(Strategy, row_id) for row_id in ids]
    page = StrategyPage.model_validate({"items": rows, "next_cursor": next_cursor}, from_attributes=True)
    return page.model_dump_json().encode()


def _pages(api: Api, headers: dict[str, str], limit: int, **params: Any) -> list[int]:
    """Follows the cursor to the end; every page's bytes must be the model's for the same rows."""
    seen: list[int] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        reply = api.client.get("/api/v1/strategies", params=query, headers=headers)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        ids = [row["id"] for row in body["items"]]
        assert reply.content == _model_bytes(api, ids, body["next_cursor"])
        seen += ids
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def _expected(api: Api, sort: str, owner_id: int | None = None, prefix: str = "") -> list[int]:
    key = Strategy.created_at if sort.lstrip("-") == "created_at" else Strategy.name
    order = (key.desc(), Strategy.id.desc()) if sort.startswith("-") else (key.asc(), Strategy.id.asc())
    stmt = select(Strategy.id).where(Strategy.name.startswith(prefix)).order_by(*order)
    if owner_id is not None:
        stmt = stmt.where(Strategy.owner_id == owner_id)
    with api.sessions() as session:
        return list(session.scalars(stmt))


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "name", "-name"])
def test_every_sort_pages_through_every_row_in_order_as_the_model_serializes_it(api: Api, sort: str) -> None:
    headers = api.user()
    owner = _user_id(api, headers)
    _seed(api, owner, ODD_NAMES)
    expected = _expected(api, sort, owner)
    assert len(expected) == len(ODD_NAMES)
    for limit in (1, 2, 4, len(ODD_NAMES), 200):
        assert _pages(api, headers, limit, sort=sort) == expected


def test_name_filter_is_a_case_insensitive_substring_with_wildcards_taken_literally(api: Api) -> None:
    headers = api.user()
    _seed(api, _user_id(api, headers), ODD_NAMES)

    def names(fragment: str) -> set[str]:
        ids = _pages(api, headers, 1, name=fragment)
        with api.sessions() as session:
            return {session.get(Strategy, row_id).name for row_id in ids}  # type: ignore[union-attr]

    assert names("a_b") == {"a_b"}
    assert names("a%") == {"a%b"}
    assert names("x") == {"AXB"}
    assert names("\\") == {"back\\slash"}
    assert names("/") == {"slash/ed"}
    assert names('"') == {'Quote"d'}
    assert names("nomatch") == set()


def test_admin_pages_through_every_owners_rows(api: Api) -> None:
    prefix = f"Adm{uuid.uuid4().hex[:6]}"
    alice, bob, admin = api.user(), api.user(), api.user("admin")
    _seed(api, _user_id(api, alice), [f"{prefix}-a{i}" for i in range(4)])
    _seed(api, _user_id(api, bob), [f"{prefix}-b{i}" for i in range(3)])
    for sort in ("-created_at", "name"):
        seen = _pages(api, admin, 2, sort=sort, name=prefix)
        assert seen == _expected(api, sort, prefix=prefix) and len(seen) == 7
    assert len(_pages(api, alice, 2, name=prefix)) == 4


@pytest.mark.parametrize(
    "params",
    [{}, {"cursor": "!!!"}, {"cursor": "WyIyMDI0LTAxLTAxVDAwOjAwOjAwIiwgNV0"}, {"name": "x", "sort": "name"}],
)
def test_a_valid_token_for_a_user_that_is_gone_is_a_401(api: Api, params: dict[str, str]) -> None:
    secret = api.settings.secret_key.get_secret_value()  # type: ignore[union-attr]
    token = create_access_token(2_000_000_000, secret, 5)
    reply = api.client.get("/api/v1/strategies", params=params, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 401 and reply.json()["code"] == "unauthorized"


def _cursor(value: object, row_id: object) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, row_id]).encode()).decode().rstrip("=")


FORGED = [
    ("-created_at", _cursor("2024-01-01T00:00:00", 5)),  # naive: the UTC column refuses it
    ("-created_at", _cursor("0001-01-01T00:00:00+01:00", 5)),  # before year 1 in UTC
    ("-created_at", _cursor("2024-01-01T00:00:00+00:00", True)),
    ("-created_at", _cursor("2024-01-01T00:00:00+00:00", 2**63)),
    ("-created_at", _cursor("2024-01-01T00:00:00+00:00", 0)),
    ("created_at", _cursor(1704067200, 5)),
    ("name", _cursor("a\u0000b", 5)),
    ("name", _cursor("\ud800", 5)),
    ("name", _cursor("2024-01-01T00:00:00+00:00", 2**31)),
    ("-name", _cursor(None, 5)),
    ("-name", base64.urlsafe_b64encode(b'["a", 5, 6]').decode()),
]


@pytest.mark.parametrize(("sort", "cursor"), FORGED)
def test_a_forged_cursor_is_a_400_never_a_500(api: Api, sort: str, cursor: str) -> None:
    """What a cursor carries ends up in bound parameters, so a forged one must fail in the decoder."""
    headers = api.user()
    _seed(api, _user_id(api, headers), ["Forged"])
    reply = api.client.get("/api/v1/strategies", params={"sort": sort, "cursor": cursor}, headers=headers)
    assert reply.status_code == 400, reply.text
    assert reply.json()["code"] == "invalid_request"


def test_a_cursor_with_another_offset_reads_as_the_same_instant(api: Api) -> None:
    """A cursor's time is compared in UTC, whatever offset it is written with."""
    headers = api.user()
    _seed(api, _user_id(api, headers), ["Offset0", "Offset1", "Offset2"])
    first = api.client.get("/api/v1/strategies", params={"limit": 1}, headers=headers).json()
    value, row_id = json.loads(base64.urlsafe_b64decode(first["next_cursor"] + "=="))
    shifted = datetime.fromisoformat(value).astimezone(timezone(timedelta(hours=-5))).isoformat()
    pages = [
        api.client.get("/api/v1/strategies", params={"limit": 1, "cursor": cursor}, headers=headers).json()
        for cursor in (first["next_cursor"], _cursor(shifted, row_id))
    ]
    assert pages[0] == pages[1] and pages[0]["items"]
