"""`Idempotency-Key` on every POST (api.md): `service` answers through the stored first answer,
`repository` holds the SQL of the `idempotency_keys` table."""

from switchhub.hub.idempotency.service import IDEMPOTENCY_KEY, MAX_KEY_LENGTH, Producer, idempotent

__all__ = ["IDEMPOTENCY_KEY", "MAX_KEY_LENGTH", "Producer", "idempotent"]
