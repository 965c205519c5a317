"""HTTP Basic and Digest (RFC 7616, MD5, qop=auth) checks, as IP cameras demand them."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from ingest.simulator.catalog import SimCamera

REALM = "gridwatch-sim"
NONCE_MAX_AGE_S = 300.0
_DIGEST_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


class AuthScheme(StrEnum):
    BASIC = "basic"
    DIGEST = "digest"
    ANY = "any"  # accept either; challenge with both


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class NonceSigner:
    """Stateless nonces: the issue time plus an HMAC, so any nonce we issued can be checked."""

    secret: bytes = field(default_factory=lambda: secrets.token_bytes(16), repr=False)

    def issue(self, now: float) -> str:
        stamp = f"{int(now):x}"
        mac = hmac.new(self.secret, stamp.encode(), "sha256").hexdigest()[:24]
        return f"{stamp}-{mac}"

    def valid(self, nonce: str, now: float) -> bool:
        stamp, _, mac = nonce.partition("-")
        expected = hmac.new(self.secret, stamp.encode(), "sha256").hexdigest()[:24]
        if not hmac.compare_digest(mac.encode(), expected.encode()):
            return False
        try:
            issued = int(stamp, 16)
        except ValueError:
            return False
        return 0 <= now - issued <= NONCE_MAX_AGE_S


def challenges(scheme: AuthScheme, signer: NonceSigner, now: float) -> list[str]:
    """`WWW-Authenticate` values for a 401."""
    out = []
    if scheme in (AuthScheme.DIGEST, AuthScheme.ANY):
        nonce = signer.issue(now)
        out.append(f'Digest realm="{REALM}", qop="auth", algorithm=MD5, nonce="{nonce}"')
    if scheme in (AuthScheme.BASIC, AuthScheme.ANY):
        out.append(f'Basic realm="{REALM}"')
    return out


def parse_digest(value: str) -> dict[str, str]:
    return {
        m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _DIGEST_PARAM.finditer(value)
    }


def _digest_ok(
    params: dict[str, str], camera: SimCamera, method: str, signer: NonceSigner, now: float
) -> bool:
    needed = ("username", "realm", "nonce", "uri", "response")
    if any(name not in params for name in needed) or params["realm"] != REALM:
        return False
    if params.get("algorithm", "MD5").upper() != "MD5" or not signer.valid(params["nonce"], now):
        return False
    if not hmac.compare_digest(params["username"].encode(), camera.username.encode()):
        return False
    ha1 = _md5(f"{camera.username}:{REALM}:{camera.password}")
    ha2 = _md5(f"{method}:{params['uri']}")
    if params.get("qop") == "auth":
        chain = f"{params['nonce']}:{params.get('nc', '')}:{params.get('cnonce', '')}:auth"
        expected = _md5(f"{ha1}:{chain}:{ha2}")
    else:
        expected = _md5(f"{ha1}:{params['nonce']}:{ha2}")
    return hmac.compare_digest(params["response"].encode(), expected.encode())


def authorized(
    header: str | None,
    camera: SimCamera,
    *,
    method: str,
    path: str,
    scheme: AuthScheme,
    signer: NonceSigner,
    now: float,
) -> bool:
    """Whether an `Authorization` header carries this camera's credentials.

    `path` is the request target; a Digest `uri` must name it.
    """
    if not camera.needs_auth:
        return True
    if header is None:
        return False
    kind, _, rest = header.partition(" ")
    kind = kind.lower()
    if kind == "basic" and scheme is not AuthScheme.DIGEST:
        return hmac.compare_digest(rest.strip().encode(), camera.basic_credentials())
    if kind == "digest" and scheme is not AuthScheme.BASIC:
        params = parse_digest(rest)
        return params.get("uri") == path and _digest_ok(params, camera, method, signer, now)
    return False
