"""The HTTP client every finlink backend talks through: limits, retries, errors, one 401 refresh.

:class:`ApiClient` wraps an ``httpx.Client`` that the backend (or the host) creates and owns,
and adds what every vendor API needs: the :class:`~finlink.http.RateLimiter` around each
call, the :class:`~finlink.http.RetryPolicy`, the backend's error parser and translation to
finlink errors at the boundary, and an optional "refresh the credentials once on a 401".

The one rule that outranks retrying: a write that **may have reached the server** is never
repeated blindly. A POST (or a PUT the caller marks ``idempotent=False``) that ends in a read
timeout, a dropped connection, a protocol error or a 5xx raises
:class:`~finlink.OutcomeUnknownError` with the caller's ``reference``, so the engine looks
the record up before writing again (exact-online.md §6 quirk 3: retried POSTs create
duplicates). Connection failures (nothing was sent), 408 (the server did not read the whole
request, RFC 9110 §15.5.9) and 429 (refused) are repeated for every method.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from typing import Any

import httpx

from finlink._errors import BackendError, OutcomeUnknownError, RateLimitError, TransportError
from finlink.clock import Clock
from finlink.http._ratelimit import RateLimiter
from finlink.http._retry import RetryPolicy, is_idempotent_method
from finlink.http._translate import ErrorParser, error_for_response

__all__ = ["DEFAULT_TIMEOUT", "ApiClient", "UnauthorizedHook"]

logger = logging.getLogger("finlink.http")

#: Given a 401 response, refresh the credentials and say whether to repeat the call (once).
UnauthorizedHook = Callable[[httpx.Response], bool]

#: Filled in for every timeout the injected client leaves unset (``None``): a call without a
#: timeout can hang a sync worker forever.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)

# Nothing left this machine: safe to repeat whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The request may have been (partly) sent and processed; the answer got lost.
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.CloseError,
)


def _complete(timeout: httpx.Timeout) -> httpx.Timeout:
    return httpx.Timeout(
        connect=DEFAULT_TIMEOUT.connect if timeout.connect is None else timeout.connect,
        read=DEFAULT_TIMEOUT.read if timeout.read is None else timeout.read,
        write=DEFAULT_TIMEOUT.write if timeout.write is None else timeout.write,
        pool=DEFAULT_TIMEOUT.pool if timeout.pool is None else timeout.pool,
    )


class ApiClient:
    """Sends a backend's HTTP calls within limits, with retries and finlink errors.

    Args:
        client: The ``httpx.Client`` to send with, created and closed by the caller (set its
            ``base_url``, ``headers`` and ``transport`` there; tests pass
            ``httpx.MockTransport``). ApiClient never creates a client of its own. Where the
            client has no timeout (``timeout=None``, or a part of it ``None``), ApiClient sets
            :data:`DEFAULT_TIMEOUT`'s value for that part on every request; the client itself
            is left unchanged.
        clock: Where retries and the limiter wait.
        retry: When to repeat a call; :class:`~finlink.http.RetryPolicy` defaults.
        limiter: The administration's rate limiter; ``None`` sends without limits.
        error_parser: Gets the first look at every error response and returns a finlink
            error with the vendor's details, or ``None`` for the translation by status
            (:func:`~finlink.http.error_for_response`). A non-retriable error it returns
            (say a validation error in a 500) is raised at once, never retried.
        auth: An ``httpx.Auth`` for every request (``None``: the client's own).
        on_unauthorized: Called with a 401 response; when it returns ``True`` (it refreshed
            the credentials) the call is repeated once, outside the retry budget. A second
            401 raises :class:`~finlink.AuthenticationError`.
        vendor: The vendor's name in error messages (``"Exact Online"``).
        administration: Put on every error raised, where the parser left it empty.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        clock: Clock,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        error_parser: ErrorParser | None = None,
        auth: httpx.Auth | None = None,
        on_unauthorized: UnauthorizedHook | None = None,
        vendor: str = "the server",
        administration: str | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.retry = retry if retry is not None else RetryPolicy()
        self.limiter = limiter
        self.error_parser = error_parser
        self.auth = auth
        self.on_unauthorized = on_unauthorized
        self.vendor = vendor
        self.administration = administration
        self.timeout = _complete(client.timeout)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        reference: str | None = None,
    ) -> httpx.Response:
        """Send one call, retrying as the policy allows, and return its 2xx response.

        Args:
            method: The HTTP method.
            url: Absolute, or relative to the client's ``base_url``.
            params: Query parameters.
            json: A body to send as JSON.
            content: A raw body.
            data: A form body (token requests).
            headers: Extra headers for this call.
            idempotent: Whether repeating the call is harmless; by default true for GET,
                HEAD, OPTIONS, PUT and DELETE and false for POST and PATCH. Pass ``False`` for
                a PUT that must not be repeated blindly, ``True`` for a POST that may be.
            reference: The deterministic reference a write carries (an invoice number, a
                relation code), put on :class:`~finlink.OutcomeUnknownError` so the engine
                can look the record up.

        Returns:
            The successful (2xx) response, body read.

        Raises:
            TransportError: The server could not be reached (or, for a call safe to repeat,
                did not answer) within the retry budget.
            OutcomeUnknownError: A call not safe to repeat may have reached the server
                without a definite answer.
            RateLimitError: Still refused with 429 when the budget ran out; ``retry_after``
                says how long the server wants us to wait.
            BackendError: Any other error response, translated by the error parser or by
                status (``AuthenticationError``, ``NotFoundError``, ``ServerError``, …).
        """
        method = method.upper()
        repeatable = is_idempotent_method(method) if idempotent is None else idempotent
        attempt = 0
        waited = 0.0
        reauthorized = False
        while True:
            attempt += 1
            request = self.client.build_request(
                method,
                url,
                params=params,
                json=json,
                content=content,
                data=data,
                headers=headers,
                timeout=self.timeout,
            )
            try:
                response = self._send(request)
            except httpx.HTTPError as exc:
                error, retriable = self._transport_error(exc, request, repeatable, reference)
                if not retriable:
                    raise error from exc
                wait = self.retry.backoff(attempt)
                if not self.retry.allows(attempt, waited, wait):
                    raise error from exc
                waited += self._pause(request, type(exc).__name__, attempt, wait)
                continue
            if response.is_success:
                return response
            status = response.status_code
            if status == 401 and self.on_unauthorized is not None and not reauthorized:
                reauthorized = True
                if self.on_unauthorized(response):
                    logger.debug("%s %s: 401, repeating once with new credentials", *_what(request))
                    attempt -= 1
                    continue
            parsed = self._parse(response)
            if parsed is not None and not parsed.retriable:
                raise parsed
            if not self.retry.retries_status(status):
                raise parsed or self._default_error(response)
            if not repeatable and status not in {408, 429}:
                raise self._outcome_unknown(request, f"HTTP {status}", reference, status) from (
                    parsed or self._default_error(response)
                )
            hint = self.retry.server_wait(response.headers, self.clock.now())
            wait = hint if hint is not None else self.retry.backoff(attempt)
            if status == 429 and self.limiter is not None:
                # Other threads on this administration hold back too, not only this call.
                self.limiter.penalize(hint)
            if not self.retry.allows(attempt, waited, wait):
                raise self._final_error(response, parsed, wait)
            waited += self._pause(request, str(status), attempt, wait)

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """:meth:`request`, then the decoded JSON body (``None`` for an empty body).

        Takes the same keyword arguments as :meth:`request`.

        Raises:
            BackendError: When the body is not JSON; otherwise as :meth:`request`.
        """
        response = self.request(method, url, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both are
            method_path = " ".join(_what(response.request))
            raise BackendError(
                f"{self.vendor} answered {method_path} with a body that is not JSON",
                status_code=response.status_code,
                administration=self.administration,
            ) from exc

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``url`` and return the decoded JSON; a :data:`~finlink.http.PageFetcher`.

        Raises:
            BackendError: As :meth:`request_json`.
        """
        return self.request_json("GET", url, params=params)

    def _send(self, request: httpx.Request) -> httpx.Response:
        gate: AbstractContextManager[None] = (
            self.limiter.acquire() if self.limiter is not None else nullcontext()
        )
        with gate:
            response = self.client.send(
                request, auth=self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
            )
        if self.limiter is not None:
            self.limiter.observe(response.headers)
        logger.debug("%s %s -> %d", *_what(request), response.status_code)
        return response

    def _parse(self, response: httpx.Response) -> BackendError | None:
        if self.error_parser is None:
            return None
        error = self.error_parser(response)
        if error is not None and error.administration is None:
            error.administration = self.administration
        return error

    def _default_error(
        self, response: httpx.Response, retry_after: timedelta | None = None
    ) -> BackendError:
        return error_for_response(
            response,
            vendor=self.vendor,
            retry_after=retry_after,
            administration=self.administration,
        )

    def _final_error(
        self, response: httpx.Response, parsed: BackendError | None, wait: float
    ) -> BackendError:
        retry_after = timedelta(seconds=wait)
        if parsed is None:
            return self._default_error(
                response, retry_after if response.status_code == 429 else None
            )
        if isinstance(parsed, RateLimitError) and parsed.retry_after is None:
            parsed.retry_after = retry_after
        return parsed

    def _transport_error(
        self,
        exc: httpx.HTTPError,
        request: httpx.Request,
        repeatable: bool,
        reference: str | None,
    ) -> tuple[BackendError, bool]:
        """The finlink error for a failed send, and whether the policy may retry it."""
        method, path = _what(request)
        kind = type(exc).__name__
        if isinstance(exc, _NOT_SENT):
            message = f"could not reach {self.vendor} for {method} {path} ({kind})"
            return TransportError(message, administration=self.administration), True
        if not repeatable:
            return self._outcome_unknown(request, kind, reference, None), False
        message = f"no answer from {self.vendor} to {method} {path} ({kind})"
        return TransportError(message, administration=self.administration), isinstance(
            exc, _MAYBE_SENT
        )

    def _outcome_unknown(
        self,
        request: httpx.Request,
        cause: str,
        reference: str | None,
        status_code: int | None,
    ) -> OutcomeUnknownError:
        method, path = _what(request)
        about = f" (reference {reference!r})" if reference else ""
        return OutcomeUnknownError(
            f"{method} {path}{about} may or may not have reached {self.vendor} ({cause}); "
            "look the record up before repeating it",
            reference=reference,
            status_code=status_code,
            administration=self.administration,
        )

    def _pause(self, request: httpx.Request, cause: str, attempt: int, wait: float) -> float:
        """Log the retry at DEBUG, wait on the clock, and return the wait."""
        logger.debug(
            "retrying %s %s after %s (attempt %d of %d), waiting %.3f s",
            *_what(request),
            cause,
            attempt,
            self.retry.max_attempts,
            wait,
        )
        self.clock.sleep(wait)
        return wait

    def __repr__(self) -> str:
        return (
            f"ApiClient(vendor={self.vendor!r}, administration={self.administration!r}, "
            f"retry={self.retry!r}, limiter={self.limiter!r})"
        )


def _what(request: httpx.Request) -> tuple[str, str]:
    """The method and the URL path: never the query string, which may carry a key."""
    return request.method, request.url.path
