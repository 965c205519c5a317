"""Camera passwords encrypted at rest (Fernet), with the key kept outside the database.

The key comes from `GRIDWATCH_CREDENTIALS_KEY` (comma-separated Fernet keys, newest
first) or from `credentials.key` under the data folder (one key per line, newest
first; created on first use with mode 0600). Several keys decrypt; the first encrypts,
which is how `gridwatch credentials rotate-key` moves to a new key without a window
where some rows cannot be read.

The cipher travels with the session factory (`make_session_factory(engine, cipher)`),
so whoever opens the registry opens its secrets with the same handle: the importer
encrypts, the ingest worker and the API's snapshot proxy decrypt.

Rows written before encryption (the plain `password` column) are sealed at the first
start of any `gridwatch` command after the upgrade (`seal_plain_credentials`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from config.settings import Settings
from registry.db import CIPHER_INFO, SessionFactory, make_session_factory, transaction
from registry.keyfiles import read_or_create_key, write_key
from registry.models import CameraCredential

KEY_FILE = "credentials.key"


class CredentialKeyError(RuntimeError):
    """No key, a malformed key, or a stored password no configured key decrypts."""


class CredentialCipher:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise CredentialKeyError("no credentials key configured")
        try:
            self._fernets = [Fernet(key) for key in keys]
        except (ValueError, TypeError) as exc:
            raise CredentialKeyError(
                "a credentials key is not a Fernet key (32 url-safe base64 bytes); "
                "make one with `gridwatch credentials new-key`"
            ) from exc
        self._multi = MultiFernet(self._fernets)
        self.key_count = len(keys)

    @classmethod
    def generate(cls) -> CredentialCipher:
        return cls([Fernet.generate_key()])

    def encrypt(self, password: str) -> str:
        return self._multi.encrypt(password.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode()).decode()
        except InvalidToken:
            raise CredentialKeyError(
                "a stored camera password does not decrypt with the configured keys "
                "(GRIDWATCH_CREDENTIALS_KEY or credentials.key under the data folder)"
            ) from None

    def rotate(self, token: str) -> str:
        """The same password encrypted under the first key."""
        try:
            return self._multi.rotate(token.encode()).decode()
        except InvalidToken:
            raise CredentialKeyError("a stored camera password decrypts with no key") from None

    def __repr__(self) -> str:
        return f"CredentialCipher({self.key_count} keys)"


def parse_keys(text: str) -> list[bytes]:
    return [part.strip().encode() for part in text.replace("\n", ",").split(",") if part.strip()]


def key_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / KEY_FILE


def credential_cipher(settings: Settings) -> CredentialCipher:
    configured = settings.credentials_key
    if configured is not None and configured.get_secret_value().strip():
        return CredentialCipher(parse_keys(configured.get_secret_value()))
    text = read_or_create_key(key_file(settings), Fernet.generate_key).decode()
    return CredentialCipher(parse_keys(text))


def cipher_of(session: Session) -> CredentialCipher:
    cipher = session.info.get(CIPHER_INFO)
    if not isinstance(cipher, CredentialCipher):
        raise CredentialKeyError(
            "this session factory has no credentials cipher: "
            "open the registry with make_session_factory(engine, cipher)"
        )
    return cipher


def cipher_of_factory(factory: SessionFactory) -> CredentialCipher:
    with factory() as session:
        return cipher_of(session)


def stored_password(session: Session, credential: CameraCredential) -> str | None:
    """The clear password of one stored credential (encrypted, or a not yet sealed plain one)."""
    if credential.password_encrypted is not None:
        return cipher_of(session).decrypt(credential.password_encrypted)
    return credential.password


def camera_login(session: Session, camera_id: str) -> tuple[str, str] | None:
    credential = session.get(CameraCredential, camera_id)
    if credential is None:
        return None
    password = stored_password(session, credential)
    return None if password is None else (credential.username, password)


def seal_plain_credentials(factory: SessionFactory) -> int:
    """Encrypt every password still stored in clear; returns how many were sealed."""
    with transaction(factory) as session:
        cipher = cipher_of(session)
        plain = session.execute(
            select(CameraCredential.camera_id, CameraCredential.password).where(
                CameraCredential.password.is_not(None)
            )
        ).all()
        for camera_id, password in plain:
            session.execute(
                update(CameraCredential)
                .where(CameraCredential.camera_id == camera_id)
                .values(password_encrypted=cipher.encrypt(password), password=None)
            )
    return len(plain)


def reencrypt_all(factory: SessionFactory) -> int:
    """Every stored password re-encrypted under the cipher's first key, in one transaction."""
    sealed = seal_plain_credentials(factory)
    with transaction(factory) as session:
        cipher = cipher_of(session)
        rows = session.execute(
            select(CameraCredential.camera_id, CameraCredential.password_encrypted).where(
                CameraCredential.password_encrypted.is_not(None)
            )
        ).all()
        for camera_id, token in rows:
            session.execute(
                update(CameraCredential)
                .where(CameraCredential.camera_id == camera_id)
                .values(password_encrypted=cipher.rotate(token))
            )
    return max(sealed, len(rows))


def rotate_file_key(settings: Settings, engine: Engine) -> int:
    """A new key in `credentials.key`; every password re-encrypted under it.

    The file holds the new key and the old ones while rows are re-encrypted, so a
    process started meanwhile reads both kinds; the old keys are dropped at the end.
    """
    path = key_file(settings)
    old = parse_keys(read_or_create_key(path, Fernet.generate_key).decode())
    new = Fernet.generate_key()
    write_key(path, b"\n".join([new, *old]) + b"\n")
    count = reencrypt_all(make_session_factory(engine, CredentialCipher([new, *old])))
    write_key(path, new + b"\n")
    return count
