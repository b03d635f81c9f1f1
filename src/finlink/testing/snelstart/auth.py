"""Keys and tokens (reference §1).

Subscription keys per product, a koppelsleutel per administration, bearer tokens:


* ``POST https://auth.snelstart.nl/b2b/token`` with form ``grant_type=clientkey&clientkey=…``
  answers ``{"access_token": …, "token_type": "bearer", "expires_in": 3599}`` (P-AUTH, §1.2).
  ``grant_type=password`` with the username and password the koppelsleutel encodes works too
  (§1.3: the koppelsleutel is Base64 of ``username:password``).
* A koppelsleutel reaches exactly one administration (P-AUTH, §1.1).
* Every data call needs ``Authorization: Bearer …`` **and** ``Ocp-Apim-Subscription-Key``
  (or the ``subscription-key`` query parameter); a token lives 3599 s on the sandbox's clock.
* Token errors are UNVERIFIED (§1.2); the sandbox answers OAuth2-style ``{"error": …}`` with
  400, which is what KIOUI and PHP check for.

Keys are derived from the sandbox's ``seed`` and the administration's name, so a test gets the
same keys on every run. They are secrets in form only; never log them anyway (§1.3).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Mapping

import attrs

from finlink.clock import Clock
from finlink.testing.snelstart.limits import Product

__all__ = ["TOKEN_LIFETIME", "Credentials", "TokenGrant"]

#: ``expires_in`` of every token (P-AUTH).
TOKEN_LIFETIME = 3599


def _digest(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()


@attrs.frozen(kw_only=True)
class TokenGrant:
    """The outcome of a token request: a JSON body and its status."""

    status: int
    body: Mapping[str, object]


@attrs.define(kw_only=True)
class _Token:
    administration: str
    expires_at: float


class Credentials:
    """Issues and checks keys and tokens; safe to share between threads.

    Args:
        seed: Makes the generated keys differ between sandboxes that want them to.
        clock: Decides when tokens expire.
    """

    def __init__(self, seed: str, clock: Clock) -> None:
        self._seed = seed
        self._clock = clock
        self._lock = threading.Lock()
        self._koppelsleutels: dict[str, str] = {}  # koppelsleutel -> administration
        self._tokens: dict[str, _Token] = {}
        self._issued = 0

    def subscription_key(self, product: Product, *, secondary: bool = False) -> str:
        """The primary (or secondary) subscription key of ``product``: 32 hex characters."""
        slot = "secondary" if secondary else "primary"
        return _digest(self._seed, "subscription", product.value, slot)[:32]

    def product_of(self, key: str) -> Product | None:
        """The product a subscription key belongs to, or None for an unknown key."""
        for product in Product:
            if key in (
                self.subscription_key(product),
                self.subscription_key(product, secondary=True),
            ):
                return product
        return None

    def register(self, administration: str) -> str:
        """Create the koppelsleutel of ``administration`` (Base64 of ``username:password``)."""
        username = f"sandbox-{_digest(self._seed, 'user', administration)[:12]}"
        password = _digest(self._seed, "password", administration)[:32]
        key = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        with self._lock:
            self._koppelsleutels[key] = administration
        return key

    def forget(self, administration: str) -> None:
        """Revoke the koppelsleutel and tokens of ``administration``."""
        with self._lock:
            self._koppelsleutels = {
                k: a for k, a in self._koppelsleutels.items() if a != administration
            }
            self._tokens = {
                t: v for t, v in self._tokens.items() if v.administration != administration
            }

    def revoke_tokens(self) -> None:
        """Invalidate every issued token (koppelsleutels stay valid)."""
        with self._lock:
            self._tokens.clear()

    def grant(self, form: Mapping[str, str]) -> TokenGrant:
        """Answer a token request with the given form fields."""
        grant_type = form.get("grant_type")
        if grant_type == "clientkey":
            key = form.get("clientkey", "")
        elif grant_type == "password":
            pair = f"{form.get('username', '')}:{form.get('password', '')}"
            key = base64.b64encode(pair.encode()).decode("ascii")
        else:
            return TokenGrant(status=400, body={"error": "unsupported_grant_type"})
        with self._lock:
            administration = self._koppelsleutels.get(key)
            if administration is None:
                return TokenGrant(status=400, body={"error": "invalid_grant"})
            self._issued += 1
            token = base64.urlsafe_b64encode(
                bytes.fromhex(_digest(self._seed, "token", str(self._issued)))
            ).decode("ascii").rstrip("=")  # fmt: skip
            expires_at = self._clock.monotonic() + TOKEN_LIFETIME
            self._tokens[token] = _Token(administration=administration, expires_at=expires_at)
        body = {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME}
        return TokenGrant(status=200, body=body)

    def administration_of(self, token: str) -> str | None:
        """The administration a live token reaches, or None (unknown or expired)."""
        with self._lock:
            found = self._tokens.get(token)
            if found is None or found.expires_at <= self._clock.monotonic():
                return None
            return found.administration
