"""ApiClient: retries by the rules, never repeats a write blindly, translates errors."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest

from finlink import (
    AuthenticationError,
    BackendError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitError,
    RemoteValidationError,
    ServerError,
    TransportError,
)
from finlink.clock import SimulatedClock
from finlink.http import (
    DEFAULT_TIMEOUT,
    ApiClient,
    RateLimiter,
    RetryPolicy,
    Window,
    parse_exact_error,
)
from tests.http.fakes import Script

URL = "https://start.exactonline.nl/api/v1/42/crm/Accounts"
QUERY = {"$filter": "Code eq 'SECRET-IN-QUERY'"}
POLICY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, random=lambda: 0.5)


def _api(
    script: Script,
    clock: SimulatedClock,
    *,
    client_timeout: httpx.Timeout | None = None,
    **kwargs: object,
) -> ApiClient:
    http = httpx.Client(transport=httpx.MockTransport(script))
    if client_timeout is not None:
        http.timeout = client_timeout
    options: dict[str, object] = {"retry": POLICY, "vendor": "Exact Online", "administration": "42"}
    options.update(kwargs)
    return ApiClient(http, clock=clock, **options)  # type: ignore[arg-type]


def _ok(body: object = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"d": {"results": []}})


def test_success_returns_the_response_and_get_json_decodes_it(clock: SimulatedClock) -> None:
    script = Script([_ok({"d": {"ID": 1}})])
    assert _api(script, clock).get_json(URL, QUERY) == {"d": {"ID": 1}}
    assert script.requests[0].url.params["$filter"] == QUERY["$filter"]


def test_empty_body_decodes_to_none(clock: SimulatedClock) -> None:
    script = Script([httpx.Response(204)])
    assert _api(script, clock).request_json("PUT", URL, json={"Name": "x"}) is None


def test_body_that_is_not_json_is_a_backend_error(clock: SimulatedClock) -> None:
    script = Script([httpx.Response(200, text="<html>maintenance</html>")])
    with pytest.raises(
        BackendError, match="answered GET /api/v1/42/crm/Accounts with a body that is not JSON"
    ):
        _api(script, clock).get_json(URL)


def test_server_error_on_a_read_is_retried_with_backoff_and_logged(
    clock: SimulatedClock, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script([httpx.Response(503), httpx.Response(502), _ok()])
    with caplog.at_level(logging.DEBUG, logger="finlink"):
        _api(script, clock).get_json(URL, QUERY)
    assert script.calls == 3
    assert clock.slept == pytest.approx(0.5 + 1.0)  # full jitter at 0.5 of 1 s, then of 2 s
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert retries == [
        "retrying GET /api/v1/42/crm/Accounts after 503 (attempt 1 of 4), waiting 0.500 s",
        "retrying GET /api/v1/42/crm/Accounts after 502 (attempt 2 of 4), waiting 1.000 s",
    ]
    assert all(r.levelno == logging.DEBUG for r in caplog.records)
    assert not any("SECRET-IN-QUERY" in r.getMessage() for r in caplog.records)


def test_server_error_after_the_last_attempt_is_raised(clock: SimulatedClock) -> None:
    script = Script([httpx.Response(500)] * 4)
    with pytest.raises(ServerError) as caught:
        _api(script, clock).get_json(URL)
    assert script.calls == 4
    assert caught.value.status_code == 500
    assert caught.value.administration == "42"
    assert (
        str(caught.value)
        == "Exact Online answered HTTP 500 Internal Server Error to GET /api/v1/42/crm/Accounts"
    )


def test_429_waits_as_long_as_retry_after_says_and_tells_the_limiter(clock: SimulatedClock) -> None:
    limiter = RateLimiter([Window.per_minute(60)], clock=clock)
    script = Script([httpx.Response(429, headers={"Retry-After": "7"}), _ok()])
    _api(script, clock, limiter=limiter).get_json(URL)
    assert script.calls == 2
    assert clock.slept == pytest.approx(7.0)


def test_429_with_exact_reset_header_waits_for_the_reset(clock: SimulatedClock) -> None:
    clock.advance(25)
    reset_ms = str(int((clock.now().timestamp() + 35) * 1000))
    script = Script([httpx.Response(429, headers={"X-RateLimit-Minutely-Reset": reset_ms}), _ok()])
    _api(script, clock).get_json(URL)
    assert clock.slept == pytest.approx(36.0)


def test_429_without_any_header_backs_off_and_the_limiter_waits_for_the_minute(
    clock: SimulatedClock,
) -> None:
    limiter = RateLimiter([Window.per_minute(60)], clock=clock)
    script = Script([httpx.Response(429), _ok()])
    _api(script, clock, limiter=limiter).get_json(URL)
    assert script.calls == 2
    # Backoff of 0.5 s by the retry, then the limiter holds the call to the next clock minute.
    assert clock.now().second == 0
    assert clock.slept == pytest.approx(60.0)


def test_rate_limit_beyond_the_wait_budget_raises_at_once_with_the_wait(
    clock: SimulatedClock,
) -> None:
    midnight_ms = str(int((clock.now() + timedelta(hours=15)).timestamp() * 1000))
    daily_spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": midnight_ms}
    script = Script([httpx.Response(429, headers=daily_spent)])
    with pytest.raises(RateLimitError) as caught:
        _api(script, clock).get_json(URL)
    assert script.calls == 1
    assert clock.slept == 0
    assert caught.value.retry_after == timedelta(hours=15, seconds=1)


def test_429_after_the_last_attempt_carries_the_wait(clock: SimulatedClock) -> None:
    script = Script([httpx.Response(429, headers={"Retry-After": "2"})] * 4)
    with pytest.raises(RateLimitError) as caught:
        _api(script, clock).request("POST", URL, json={})
    assert script.calls == 4
    assert caught.value.retry_after == timedelta(seconds=2)


def test_connect_errors_are_retried_for_any_method(clock: SimulatedClock) -> None:
    script = Script([httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), _ok()])
    response = _api(script, clock).request("POST", URL, json={"Name": "x"}, reference="C-1")
    assert response.status_code == 200
    assert script.calls == 3


def test_connect_errors_after_the_last_attempt_are_a_transport_error(clock: SimulatedClock) -> None:
    script = Script([httpx.ConnectError("refused")] * 4)
    with pytest.raises(
        TransportError,
        match=r"could not reach Exact Online for GET /api/v1/42/crm/Accounts \(ConnectError\)",
    ) as caught:
        _api(script, clock).get_json(URL)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.retriable


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read"),
        httpx.WriteTimeout("write"),
        httpx.ReadError("reset"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_post_that_may_have_arrived_is_never_repeated(
    clock: SimulatedClock, failure: Exception
) -> None:
    script = Script([failure])
    with pytest.raises(OutcomeUnknownError) as caught:
        _api(script, clock).request("POST", URL, json={"Code": "C-1"}, reference="C-1")
    assert script.calls == 1
    error = caught.value
    assert error.reference == "C-1"
    assert error.administration == "42"
    assert not error.retriable
    assert error.__cause__ is failure
    assert str(error) == (
        f"POST /api/v1/42/crm/Accounts (reference 'C-1') may or may not have reached Exact Online "
        f"({type(failure).__name__}); look the record up before repeating it"
    )


def test_put_marked_non_idempotent_is_not_repeated_either(clock: SimulatedClock) -> None:
    script = Script([httpx.ReadTimeout("read")])
    with pytest.raises(OutcomeUnknownError) as caught:
        _api(script, clock).request("PUT", URL, json={}, idempotent=False)
    assert caught.value.reference is None
    assert "PUT /api/v1/42/crm/Accounts may or may not" in str(caught.value)


def test_read_timeouts_on_reads_are_retried_then_a_transport_error(clock: SimulatedClock) -> None:
    script = Script([httpx.ReadTimeout("read"), _ok()])
    assert _api(script, clock).get_json(URL) is not None
    script = Script([httpx.ReadTimeout("read")] * 4)
    with pytest.raises(
        TransportError, match=r"no answer from Exact Online to GET .* \(ReadTimeout\)"
    ):
        _api(script, clock).get_json(URL)
    assert script.calls == 4


def test_post_the_caller_declares_idempotent_is_retried(clock: SimulatedClock) -> None:
    script = Script([httpx.ReadTimeout("read"), _ok()])
    _api(script, clock).request("POST", URL, json={}, idempotent=True)
    assert script.calls == 2


def test_server_error_on_a_post_is_outcome_unknown_with_the_cause(clock: SimulatedClock) -> None:
    script = Script([httpx.Response(502)])
    with pytest.raises(OutcomeUnknownError) as caught:
        _api(script, clock).request("POST", URL, json={}, reference="INV-7")
    assert script.calls == 1
    assert caught.value.status_code == 502
    assert caught.value.reference == "INV-7"
    assert isinstance(caught.value.__cause__, ServerError)


@pytest.mark.parametrize("status", [408, 429])
def test_refusals_before_processing_are_retried_for_a_post(
    clock: SimulatedClock, status: int
) -> None:
    script = Script([httpx.Response(status), _ok()])
    _api(script, clock).request("POST", URL, json={})
    assert script.calls == 2


def test_other_httpx_failures_are_not_retried(clock: SimulatedClock) -> None:
    script = Script([httpx.LocalProtocolError("bad header")])
    with pytest.raises(TransportError, match="LocalProtocolError"):
        _api(script, clock).get_json(URL)
    assert script.calls == 1
    script = Script([httpx.DecodingError("bad gzip")])
    with pytest.raises(OutcomeUnknownError):
        _api(script, clock).request("POST", URL, json={})


def test_client_errors_are_translated_by_status_and_not_retried(clock: SimulatedClock) -> None:
    script = Script([httpx.Response(404)])
    with pytest.raises(NotFoundError) as caught:
        _api(script, clock).get_json(URL)
    assert script.calls == 1
    assert caught.value.status_code == 404


def test_error_parser_gets_the_first_look_and_a_refusal_in_a_500_is_not_retried(
    clock: SimulatedClock,
) -> None:
    body = {
        "error": {"code": "", "message": {"lang": "nl", "value": "Ongeldig: Factuur voor (Type)"}}
    }
    script = Script([httpx.Response(500, json=body)])
    with pytest.raises(RemoteValidationError) as caught:
        _api(script, clock, error_parser=parse_exact_error).request("POST", URL, json={})
    assert script.calls == 1
    assert caught.value.vendor_message == "Ongeldig: Factuur voor (Type)"
    assert caught.value.administration == "42"


def test_retriable_error_from_the_parser_is_retried_and_raised_at_the_end(
    clock: SimulatedClock,
) -> None:
    def parser(response: httpx.Response) -> BackendError | None:
        return ServerError("vendor hiccup", status_code=response.status_code)

    script = Script([httpx.Response(503)] * 4)
    with pytest.raises(ServerError, match="vendor hiccup") as caught:
        _api(script, clock, error_parser=parser).get_json(URL)
    assert script.calls == 4
    assert caught.value.administration == "42"


def test_parser_rate_limit_error_gets_the_wait_filled_in(clock: SimulatedClock) -> None:
    def parser(response: httpx.Response) -> BackendError | None:
        return RateLimitError("APIM: Rate limit is exceeded", administration="kept")

    script = Script([httpx.Response(429, headers={"Retry-After": "5"})] * 4)
    with pytest.raises(RateLimitError) as caught:
        _api(script, clock, error_parser=parser).get_json(URL)
    assert caught.value.retry_after == timedelta(seconds=5)
    assert caught.value.administration == "kept"


def test_401_refreshes_once_and_repeats_once(clock: SimulatedClock) -> None:
    refreshed: list[int] = []

    def on_unauthorized(response: httpx.Response) -> bool:
        refreshed.append(response.status_code)
        return True

    script = Script([httpx.Response(401), _ok()])
    _api(script, clock, on_unauthorized=on_unauthorized, retry=RetryPolicy.never()).get_json(URL)
    assert refreshed == [401]
    assert script.calls == 2

    script = Script([httpx.Response(401), httpx.Response(401)])
    with pytest.raises(AuthenticationError):
        _api(script, clock, on_unauthorized=on_unauthorized).get_json(URL)
    assert refreshed == [401, 401]
    assert script.calls == 2


def test_401_without_a_refresh_is_an_authentication_error(clock: SimulatedClock) -> None:
    script = Script([httpx.Response(401)])
    with pytest.raises(AuthenticationError):
        _api(script, clock, on_unauthorized=lambda response: False).get_json(URL)
    script = Script([httpx.Response(401)])
    with pytest.raises(AuthenticationError):
        _api(script, clock).get_json(URL)


def test_client_without_timeout_gets_the_default_per_request(clock: SimulatedClock) -> None:
    seen: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return _ok()

    http = httpx.Client(transport=httpx.MockTransport(handler), timeout=None)
    ApiClient(http, clock=clock).get_json(URL)
    assert seen == [DEFAULT_TIMEOUT.as_dict()]
    assert http.timeout == httpx.Timeout(None)  # the caller's client is left alone

    http = httpx.Client(
        transport=httpx.MockTransport(handler), timeout=httpx.Timeout(5.0, read=None)
    )
    ApiClient(http, clock=clock).get_json(URL)
    assert seen[-1] == {"connect": 5.0, "read": 60.0, "write": 5.0, "pool": 5.0}


def test_auth_passed_to_the_api_client_is_used_and_the_clients_own_otherwise(
    clock: SimulatedClock,
) -> None:
    script = Script([_ok(), _ok()])
    http = httpx.Client(transport=httpx.MockTransport(script), auth=httpx.BasicAuth("u", "p"))
    ApiClient(http, clock=clock).get_json(URL)
    ApiClient(http, clock=clock, auth=httpx.BasicAuth("other", "q")).get_json(URL)
    assert script.requests[0].headers["Authorization"] == httpx.BasicAuth("u", "p")._auth_header
    assert script.requests[1].headers["Authorization"] == httpx.BasicAuth("other", "q")._auth_header


def test_repr_names_vendor_administration_and_policies(clock: SimulatedClock) -> None:
    api = _api(Script([]), clock)
    assert repr(api).startswith(
        "ApiClient(vendor='Exact Online', administration='42', retry=RetryPolicy("
    )
