"""The caller's notification webhook: stored encrypted, shown as scheme and host only, per user."""

from __future__ import annotations

from api_support import Api
from sqlalchemy import select

from gentrade.db.models import User

SECRET_URL = "https://hooks.example.com/services/T000/B000/s3cr3tT0ken?key=abc123"


def test_webhook_is_set_shown_by_host_only_and_deleted(api: Api) -> None:
    me, other = api.user(), api.user()
    assert api.client.get("/api/v1/users/me/webhook", headers=me).json() == {
        "configured": False,
        "target": None,
    }
    stored = api.client.put("/api/v1/users/me/webhook", json={"url": SECRET_URL}, headers=me)
    assert stored.status_code == 200, stored.text
    assert stored.json() == {"configured": True, "target": "https://hooks.example.com"}
    shown = api.client.get("/api/v1/users/me/webhook", headers=me)
    assert "s3cr3t" not in shown.text and shown.json()["configured"] is True
    assert api.client.get("/api/v1/users/me/webhook", headers=other).json()["configured"] is False

    email = api.client.get("/api/v1/users/me", headers=me).json()["email"]
    with api.sessions() as session:
        row = session.scalars(select(User).where(User.email == email)).one()
        assert row.webhook_url_encrypted is not None and b"s3cr3t" not in row.webhook_url_encrypted

    assert api.client.delete("/api/v1/users/me/webhook", headers=me).status_code == 204
    assert api.client.get("/api/v1/users/me/webhook", headers=me).json()["configured"] is False


def test_a_bad_webhook_url_is_a_422_and_stores_nothing(api: Api) -> None:
    me = api.user()
    unsplittable = ("http://[", "http://example.com:99999/x")
    for bad in ("ftp://example.com/x", "not a url", *unsplittable, {"url": "https://x.example", "extra": 1}):
        body = bad if isinstance(bad, dict) else {"url": bad}
        reply = api.client.put("/api/v1/users/me/webhook", json=body, headers=me)
        assert reply.status_code == 422, (bad, reply.text)
    assert api.client.get("/api/v1/users/me/webhook", headers=me).json()["configured"] is False
