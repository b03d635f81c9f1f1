"""Shared HTTP plumbing for backends: retries, rate limits, paging, tokens, errors, secrets.

Every HTTP backend (Exact Online, SnelStart, a vendor's own) is built from these pieces:

- :class:`ApiClient` wraps an injected ``httpx.Client`` and sends each call through a
  :class:`RateLimiter` and a :class:`RetryPolicy`, translating error responses into finlink
  errors (with a backend's :data:`ErrorParser` first: :func:`parse_exact_error`,
  :func:`parse_snelstart_error`).
- :func:`iter_odata` / :func:`iter_skip_top` read every page of a list, with loop detection.
- :class:`TokenSet` and the :class:`TokenStore` protocol (:class:`MemoryTokenStore`,
  :class:`FileTokenStore`) keep OAuth tokens, refreshed under a lock.
- :class:`PostgresRateLimitState` and :class:`PostgresTokenStore` (extra ``finlink[postgres]``)
  share the rate budget and the tokens between workers on several machines.
- :class:`Secret` and :class:`RedactingFilter` keep credentials out of logs and reprs.

See ``docs/http.md`` for how a backend wires them together.
"""

from finlink.http._client import DEFAULT_TIMEOUT, ApiClient, UnauthorizedHook
from finlink.http._filestore import FileTokenStore
from finlink.http._paging import (
    PageFetcher,
    iter_odata,
    iter_odata_pages,
    iter_skip_top,
    iter_skip_top_pages,
    odata_page,
)
from finlink.http._pgbudget import PostgresRateLimitState
from finlink.http._pgtokens import PostgresTokenStore
from finlink.http._ratelimit import RateLimiter, WindowBudget, rate_budget
from finlink.http._ratelimit_state import (
    ConcurrencySlots,
    MemoryRateLimitState,
    RateLimitState,
    Window,
    WindowKind,
)
from finlink.http._retry import (
    IDEMPOTENT_METHODS,
    RetryPolicy,
    is_idempotent_method,
    parse_retry_after,
    vendor_reset_wait,
)
from finlink.http._secrets import MASK, RedactingFilter, Secret
from finlink.http._tokens import MemoryTokenStore, TokenSet, TokenStore
from finlink.http._translate import (
    ErrorParser,
    error_for_response,
    error_for_status,
    parse_exact_error,
    parse_snelstart_error,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "MASK",
    "ApiClient",
    "ConcurrencySlots",
    "ErrorParser",
    "FileTokenStore",
    "MemoryRateLimitState",
    "MemoryTokenStore",
    "PageFetcher",
    "PostgresRateLimitState",
    "PostgresTokenStore",
    "RateLimitState",
    "RateLimiter",
    "RedactingFilter",
    "RetryPolicy",
    "Secret",
    "TokenSet",
    "TokenStore",
    "UnauthorizedHook",
    "Window",
    "WindowBudget",
    "WindowKind",
    "error_for_response",
    "error_for_status",
    "is_idempotent_method",
    "iter_odata",
    "iter_odata_pages",
    "iter_skip_top",
    "iter_skip_top_pages",
    "odata_page",
    "parse_exact_error",
    "parse_retry_after",
    "parse_snelstart_error",
    "rate_budget",
    "vendor_reset_wait",
]
