"""CORSMiddleware(allow_private_network=...): Private Network Access preflights, and the 1.x constructor."""

from __future__ import annotations

import inspect
from typing import Any, Callable

import pytest

from starlette_core.responses import PlainTextResponse
from starlette_middleware.cors import CORSMiddleware

TestClientFactory = Callable[..., Any]

app = PlainTextResponse("app")

ALLOW = "access-control-allow-private-network"


def preflight(origin: str = "https://a.test", method: str = "GET", **extra: str) -> dict[str, str]:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    headers.update({key.replace("_", "-"): value for key, value in extra.items()})
    return headers


def test_the_option_is_a_keyword_after_0_47_3_s_parameters() -> None:
    parameters = list(inspect.signature(CORSMiddleware).parameters)
    assert parameters[-2:] == ["max_age", "allow_private_network"]
    assert inspect.signature(CORSMiddleware).parameters["allow_private_network"].default is False
    assert CORSMiddleware(app).allow_private_network is False
    assert CORSMiddleware(app, allow_private_network=True).allow_private_network is True


def test_0_47_3_positional_calls_keep_their_meaning(test_client_factory: TestClientFactory) -> None:
    # (Upstream 1.x has allow_private_network before expose_headers: there, "X-Exposed" would be that flag.)
    middleware = CORSMiddleware(app, ["https://a.test"], ["GET"], [], True, None, ["X-Exposed"], 30)
    assert middleware.allow_private_network is False
    client = test_client_factory(middleware)
    assert client.get("/", headers={"Origin": "https://a.test"}).headers["access-control-expose-headers"] == (
        "X-Exposed"
    )
    assert client.options("/", headers=preflight()).headers["access-control-max-age"] == "30"


@pytest.mark.parametrize("value", ["true", "TRUE", "false", "", " true"])
@pytest.mark.parametrize("allow_origins", [["*"], ["https://a.test"]])
def test_a_private_network_preflight_is_allowed(
    test_client_factory: TestClientFactory, value: str, allow_origins: list[str]
) -> None:
    # As upstream 1.x: the request header's presence is what counts, whatever its value.
    client = test_client_factory(CORSMiddleware(app, allow_origins=allow_origins, allow_private_network=True))
    response = client.options("/", headers=preflight(access_control_request_private_network=value))
    assert (response.status_code, response.text) == (200, "OK")
    assert response.headers[ALLOW] == "true"
    # Last, after the other preflight headers.
    assert response.headers.raw[-3][0] == ALLOW.encode()


def test_without_the_request_header_nothing_is_said(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_private_network=True))
    response = client.options("/", headers=preflight())
    assert response.status_code == 200
    assert ALLOW not in response.headers
    # Nor on simple requests.
    response = client.get("/", headers={"Origin": "https://a.test", "Access-Control-Request-Private-Network": "true"})
    assert response.text == "app"
    assert ALLOW not in response.headers


def test_a_refused_preflight_still_says_it(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        CORSMiddleware(app, allow_origins=["https://a.test"], allow_headers=["X-Ok"], allow_private_network=True)
    )
    response = client.options(
        "/",
        headers=preflight(
            origin="https://evil.test",
            method="DELETE",
            access_control_request_headers="X-Bad",
            access_control_request_private_network="true",
        ),
    )
    assert (response.status_code, response.text) == (400, "Disallowed CORS origin, method, headers")
    assert response.headers[ALLOW] == "true"
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("allow_origins", [["*"], ["https://a.test"]])
def test_when_not_allowed_the_preflight_is_answered_as_0_47_3_does(
    test_client_factory: TestClientFactory, allow_origins: list[str]
) -> None:
    # (Upstream 1.x answers 400 "Disallowed CORS private-network"; either way the browser refuses, as the allow
    # header is missing.)
    client = test_client_factory(CORSMiddleware(app, allow_origins=allow_origins))
    response = client.options("/", headers=preflight(access_control_request_private_network="true"))
    assert (response.status_code, response.text) == (200, "OK")
    assert ALLOW not in response.headers
    response = client.options("/", headers=preflight(method="PUT", access_control_request_private_network="true"))
    assert (response.status_code, response.text) == (400, "Disallowed CORS method")


def test_query_is_one_of_all_methods(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_methods=["*"]))
    response = client.options("/", headers=preflight(method="QUERY"))
    assert response.status_code == 200
    assert response.headers["access-control-allow-methods"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY"
    # Not allowed unless listed, as any method.
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"]))
    assert client.options("/", headers=preflight(method="QUERY")).status_code == 400
    client = test_client_factory(CORSMiddleware(app, allow_origins=["*"], allow_methods=["QUERY"]))
    assert client.options("/", headers=preflight(method="QUERY")).status_code == 200
