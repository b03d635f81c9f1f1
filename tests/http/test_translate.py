"""Error responses become finlink errors: by status, and by the vendors' own body shapes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from finlink import (
    AuthenticationError,
    BackendError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RemoteValidationError,
    ServerError,
)
from finlink.http import (
    error_for_response,
    error_for_status,
    parse_exact_error,
    parse_snelstart_error,
)

EXACT_URL = "https://start.exactonline.nl/api/v1/123/crm/Accounts?$filter=Code%20eq%20'1'"
SNEL_URL = "https://b2bapi.snelstart.nl/v2/relaties?subscription-key=KEY-IN-QUERY"


def _response(
    status: int, body: Any = None, *, url: str = EXACT_URL, text: str = ""
) -> httpx.Response:
    request = httpx.Request("POST", url)
    if body is not None:
        return httpx.Response(status, json=body, request=request)
    return httpx.Response(status, text=text, request=request)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, RemoteValidationError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (410, NotFoundError),
        (413, RemoteValidationError),
        (422, RemoteValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, BackendError),
    ],
)
def test_status_maps_to_the_error_class(status: int, cls: type[BackendError]) -> None:
    error = error_for_status(status, "boom", administration="adm")
    assert type(error) is cls
    assert error.status_code == status
    assert error.administration == "adm"


def test_rate_limit_error_carries_the_wait() -> None:
    error = error_for_status(429, "slow down", retry_after=timedelta(seconds=7))
    assert isinstance(error, RateLimitError)
    assert error.retry_after == timedelta(seconds=7)


def test_default_translation_names_method_and_path_but_not_the_query() -> None:
    error = error_for_response(_response(404, url=SNEL_URL), vendor="SnelStart")
    assert isinstance(error, NotFoundError)
    assert str(error) == "SnelStart answered HTTP 404 Not Found to POST /v2/relaties"
    assert "KEY-IN-QUERY" not in str(error)


def test_default_translation_of_a_response_without_request() -> None:
    error = error_for_response(httpx.Response(500))
    assert "to request" in str(error)


def test_exact_validation_error_body_is_read() -> None:
    body = {
        "error": {"code": "", "message": {"lang": "", "value": "Error processing request stream."}}
    }
    error = parse_exact_error(_response(400, body))
    assert isinstance(error, RemoteValidationError)
    assert error.vendor_message == "Error processing request stream."
    assert error.vendor_code is None
    assert str(error) == (
        "Exact Online refused POST /api/v1/123/crm/Accounts: Error processing request stream."
    )


def test_exact_500_with_an_error_message_is_a_refusal_not_a_server_failure() -> None:
    body = {
        "error": {"code": "X1", "message": {"lang": "nl", "value": "Ongeldig: Factuur voor (Type)"}}
    }
    error = parse_exact_error(_response(500, body))
    assert isinstance(error, RemoteValidationError)
    assert error.vendor_code == "X1"
    assert not error.retriable
    assert "[X1] Ongeldig" in str(error)


def test_exact_message_as_plain_string_is_read() -> None:
    error = parse_exact_error(_response(404, {"error": {"message": "not here"}}))
    assert isinstance(error, NotFoundError)
    assert error.vendor_code is None


def test_exact_oauth_error_is_an_authentication_error() -> None:
    body = {"error": "invalid_request", "error_description": "The refresh token expired at …"}
    error = parse_exact_error(_response(400, body))
    assert isinstance(error, AuthenticationError)
    assert error.vendor_code == "invalid_request"
    assert "refresh token expired" in str(error)


def test_exact_oauth_error_without_description_uses_the_code() -> None:
    error = parse_exact_error(_response(401, {"error": "invalid_grant"}))
    assert isinstance(error, AuthenticationError)
    assert str(error).endswith("[invalid_grant] invalid_grant")


@pytest.mark.parametrize(
    "response",
    [
        _response(200, {"d": {}}),
        _response(429, {"error": {"message": {"value": "too many"}}}),
        _response(400, text="<html>bad</html>"),
        _response(400, ["a list"]),
        _response(400, {"other": 1}),
        _response(400, {"error": {"code": "", "message": {"value": "  "}}}),
        _response(400, {"error": 5}),
    ],
)
def test_exact_parser_leaves_unreadable_or_irrelevant_bodies_to_the_default(
    response: httpx.Response,
) -> None:
    assert parse_exact_error(response) is None


def test_long_vendor_texts_are_clipped() -> None:
    body = {"error": {"message": {"value": "x" * 2000}}}
    error = parse_exact_error(_response(400, body))
    assert error is not None
    assert len(str(error)) == 500
    assert str(error).endswith("…")


def test_snelstart_error_list_keeps_every_message_and_field() -> None:
    body = [
        {
            "errorCode": "REL-0008",
            "message": "Relatiecode reeds in gebruik",
            "propertyName": "relatiecode",
        },
        {"errorCode": "REL-0007", "message": "Naam moet gevuld zijn", "propertyName": None},
        "junk",
    ]
    error = parse_snelstart_error(_response(400, body, url=SNEL_URL))
    assert isinstance(error, RemoteValidationError)
    assert error.vendor_code == "REL-0008"
    assert error.vendor_message == "Relatiecode reeds in gebruik; Naam moet gevuld zijn"
    assert error.fields == ("relatiecode",)
    assert str(error) == (
        "SnelStart refused POST /v2/relaties: [REL-0008, REL-0007] "
        "Relatiecode reeds in gebruik; Naam moet gevuld zijn"
    )


def test_snelstart_model_state_body_is_read() -> None:
    body = {
        "Message": "The request is invalid.",
        "ModelState": {"model.naam": ["Required", "Too long"], "x": "one"},
    }
    error = parse_snelstart_error(_response(400, body, url=SNEL_URL))
    assert isinstance(error, RemoteValidationError)
    assert error.fields == ("model.naam", "x")
    assert error.vendor_message == "Required; Too long; one"


def test_snelstart_plain_message_body_keeps_the_status_class() -> None:
    error = parse_snelstart_error(
        _response(404, {"Message": "Relatie niet gevonden"}, url=SNEL_URL)
    )
    assert isinstance(error, NotFoundError)
    assert str(error) == "SnelStart refused POST /v2/relaties: Relatie niet gevonden"


def test_snelstart_apim_401_message_is_an_authentication_error() -> None:
    body = {"statusCode": 401, "message": "Access denied due to invalid subscription key."}
    error = parse_snelstart_error(_response(401, body, url=SNEL_URL))
    assert isinstance(error, AuthenticationError)
    assert "KEY-IN-QUERY" not in str(error)


@pytest.mark.parametrize(
    "response",
    [
        _response(201, [], url=SNEL_URL),
        _response(429, {"message": "Rate limit is exceeded."}, url=SNEL_URL),
        _response(400, text="not json", url=SNEL_URL),
        _response(400, [], url=SNEL_URL),
        _response(400, {"unrelated": True}, url=SNEL_URL),
        _response(400, 42, url=SNEL_URL),
    ],
)
def test_snelstart_parser_leaves_unreadable_or_irrelevant_bodies_to_the_default(
    response: httpx.Response,
) -> None:
    assert parse_snelstart_error(response) is None
