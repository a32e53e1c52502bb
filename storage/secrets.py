"""Platform tokens encrypted at rest: Fernet keys from the environment, rotated with MultiFernet.

`OUTPUTS_SECRET_KEY` holds one or more Fernet keys, comma-separated: the first encrypts,
every one of them decrypts, so a new key can be put first while the old one still opens
what was written with it (`outputs-bot secret rotate` then re-encrypts everything with the
new one). An encrypted value is stored as `fernet:<token>`: the mark tells it from the
plain text that older versions stored, which only the migration that encrypts it reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.secret_keys import KEY_ENV, parse_keys

MARK = "fernet:"


class SecretKeyError(Exception):
    """A stored value cannot be opened: not encrypted, or with none of the keys given."""


class MissingSecretKey(SecretKeyError):
    """Tokens must be encrypted or decrypted and no key was given."""


class UnreadableToken(SecretKeyError):
    """A stored token is encrypted, and none of the keys given opens it: the key that
    sealed it is missing (put back), or lost (`outputs-bot secret forget-unreadable`)."""


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(MARK)


class TokenCipher:
    """Encrypts tokens to marked strings and opens them again."""

    def __init__(self, keys: str | Sequence[Fernet]) -> None:
        fernets = parse_keys(keys) if isinstance(keys, str) else list(keys)
        self._fernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    def seal(self, value: str | None) -> str | None:
        """The token encrypted with the first key; None stays None. A value already sealed
        is left as it is (no Slack token begins with the mark), so sealing twice is harmless."""
        if value is None or is_sealed(value):
            return value
        return MARK + self._fernet.encrypt(value.encode()).decode()

    def open(self, value: str | None) -> str | None:
        """The token a sealed value holds. Plain text is refused: after the migration every
        stored token is sealed, so plain text means something wrote around the store."""
        if value is None:
            return None
        if not is_sealed(value):
            raise SecretKeyError("a stored token is not encrypted; run `outputs-bot secret rotate`")
        try:
            return self._fernet.decrypt(value.removeprefix(MARK).encode()).decode()
        except InvalidToken:
            raise UnreadableToken(
                f"a stored token cannot be decrypted with {KEY_ENV}: the key that encrypted it "
                "is not among the keys given (keep the old key after the new one until "
                "`outputs-bot secret rotate` has run; a lost key means "
                "`outputs-bot secret forget-unreadable`, then reinstalling the app)"
            ) from None

    def opens(self, value: str | None) -> bool:
        """Whether `value` is readable: absent, plain text (older versions; `secret rotate`
        seals it), or sealed with one of the keys. False only for a token no key opens."""
        if not is_sealed(value):
            return True
        try:
            self.open(value)
        except UnreadableToken:
            return False
        return True

    def reseal(self, value: str | None, *, legacy: bool = False) -> str | None:
        """Encrypted again with the first key. `legacy`: plain text (as stored before tokens
        were encrypted) is sealed rather than refused; only the migrations pass it."""
        if value is None:
            return None
        if not is_sealed(value):
            if not legacy:
                raise SecretKeyError("a stored token is not encrypted")
            return self.seal(value)
        try:
            return MARK + self._fernet.rotate(value.removeprefix(MARK).encode()).decode()
        except InvalidToken:
            raise UnreadableToken(
                f"a stored token cannot be decrypted with {KEY_ENV}: the key that encrypted it "
                "is not among the keys given (if it is lost, `outputs-bot secret "
                "forget-unreadable` lists the installations it sealed, and deletes them)"
            ) from None
