"""Random bearer secrets (player API tokens, title keys) and their at-rest form.

A secret is ``<kind>_<43 url-safe chars>`` (256 bits). Only its SHA-256 digest is stored:
with that much entropy a fast hash cannot be brute-forced, and lookup by digest is one indexed
query instead of a password-hasher run per request. The first characters are kept as a
``prefix`` so people can tell keys apart in lists without the key being recoverable.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX_LENGTH = 12


@dataclass(frozen=True)
class IssuedSecret:
    secret: str
    prefix: str
    digest: str


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_issue(*, kind: str) -> IssuedSecret:
    secret = f"{kind}_{secrets.token_urlsafe(32)}"
    return IssuedSecret(secret=secret, prefix=secret[:PREFIX_LENGTH], digest=secret_digest(secret))


def secret_matches(*, secret: str, digest: str) -> bool:
    return hmac.compare_digest(secret_digest(secret), digest)
