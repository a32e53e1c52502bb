"""The secret key setting (`OUTPUTS_SECRET_KEY`): Fernet keys, comma-separated.

Read by the settings (a malformed key is refused at start, with how to make one) and by
the storage that seals platform tokens with them (storage.secrets).
"""

from __future__ import annotations

from cryptography.fernet import Fernet

KEY_ENV = "OUTPUTS_SECRET_KEY"
MAKE_A_KEY = (
    "make one with `outputs-bot secret new` (or: python -c "
    '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")'
)


def new_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(text: str) -> list[Fernet]:
    """`key1,key2,…` → their Fernets, first first. The message never echoes a key."""
    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise ValueError(f"no key given; {MAKE_A_KEY}")
    fernets = []
    for n, part in enumerate(parts, 1):
        try:
            fernets.append(Fernet(part.encode()))
        except (ValueError, TypeError):
            which = f"key {n} of {len(parts)}" if len(parts) > 1 else "the key"
            raise ValueError(
                f"{which} is not a Fernet key (32 url-safe base64-encoded bytes); {MAKE_A_KEY}"
            ) from None
    return fernets
