"""Exchange credentials: stored encrypted, listed masked, never decrypted on the way to a client."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, load_only

from gentrade.db.keys import CredentialCipher, mask
from gentrade.db.models import ExchangeCredential, User
from gentrade.db.repositories.scope import get_owned, scoped


def create(
    session: Session,
    owner: User,
    cipher: CredentialCipher,
    *,
    exchange: str,
    label: str,
    api_key: str,
    api_secret: str,
) -> ExchangeCredential:
    credential = ExchangeCredential(
        owner_id=owner.id,
        exchange=exchange,
        label=label,
        api_key_encrypted=cipher.encrypt(api_key),
        api_secret_encrypted=cipher.encrypt(api_secret),
        key_hint=mask(api_key),
    )
    session.add(credential)
    session.flush()
    return credential


def listing(session: Session, actor: User) -> list[ExchangeCredential]:
    """Rows without the ciphertext columns: a listing has no reason to load them."""
    columns = load_only(
        ExchangeCredential.id,
        ExchangeCredential.owner_id,
        ExchangeCredential.exchange,
        ExchangeCredential.label,
        ExchangeCredential.key_hint,
        ExchangeCredential.created_at,
    )
    stmt = scoped(select(ExchangeCredential), ExchangeCredential, actor).options(columns)
    return list(session.scalars(stmt.order_by(ExchangeCredential.id)))


def get(session: Session, credential_id: int, actor: User) -> ExchangeCredential:
    return get_owned(session, ExchangeCredential, credential_id, actor)


def remove(session: Session, credential: ExchangeCredential) -> None:
    session.execute(delete(ExchangeCredential).where(ExchangeCredential.id == credential.id))
