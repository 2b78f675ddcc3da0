"""Register, login, who am I, personal API tokens; every failure is a 401 in the one problem shape."""

from __future__ import annotations

from api_support import PASSWORD, Api


def test_register_login_me(api: Api) -> None:
    headers = api.user()
    me = api.client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "user"
    assert "password" not in me.text and "hash" not in me.text


def test_duplicate_email_conflicts_case_insensitively(api: Api) -> None:
    body = {"email": "Dup-Person@Example.com", "password": PASSWORD}
    first = api.client.post("/api/v1/auth/register", json=body)
    again = api.client.post("/api/v1/auth/register", json={**body, "email": body["email"].lower()})
    assert first.status_code == 201
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_wrong_password_and_bad_tokens_are_401(api: Api) -> None:
    api.user()
    wrong = api.client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "x" * 10})
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthorized"
    for header in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Bearer gtp_forged"}):
        reply = api.client.get("/api/v1/users/me", headers=header)
        assert reply.status_code == 401, header
        assert set(reply.json()) >= {"code", "message", "request_id"}
        assert reply.headers["www-authenticate"] == "Bearer"


def test_personal_token_lifecycle(api: Api) -> None:
    headers = api.user()
    created = api.client.post("/api/v1/users/me/tokens", json={"name": "script"}, headers=headers)
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("gtp_") and created.json()["prefix"] == token[:10]
    as_script = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/users/me", headers=as_script).status_code == 200
    listed = api.client.get("/api/v1/users/me/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["script"]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None
    token_id = created.json()["id"]
    assert api.client.delete(f"/api/v1/users/me/tokens/{token_id}", headers=headers).status_code == 204
    assert api.client.get("/api/v1/users/me", headers=as_script).status_code == 401


def test_validation_errors_list_every_field(api: Api) -> None:
    reply = api.client.post("/api/v1/auth/register", json={"email": "not-an-email", "password": "short"})
    assert reply.status_code == 422
    body = reply.json()
    assert body["code"] == "validation_error"
    assert {p["path"] for p in body["details"]} == {"email", "password"}
