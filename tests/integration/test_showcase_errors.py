"""The showcase answers every mistake the way a real site would.

- The JSON API: any JSON body is a 201 or a clean 400 with the usual error body (never a 500), and a server error
  is a JSON 500.
- The HTML pages: a 404 (and any other HTTP error) is a small HTML page in the site's layout, a server error a
  standalone HTML 500 page; an upload refused by its limits shows the upload form again with the reason inline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Callable, NoReturn

import examples.showcase.app as showcase
import pytest
from examples.showcase.app import EVENTS, ItemStore, ShowcaseBackend, app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette.requests import HTTPConnection

TestClientFactory = Callable[..., Any]


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(showcase, "ITEMS", ItemStore([("Lamp", 25.0), ("Chair", 49.5)]))
    EVENTS.clear()


def broken(*args: object, **kwargs: object) -> NoReturn:
    raise RuntimeError("the store is broken")


# --- The JSON API: prices, any JSON, server errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    "price",
    [
        b"1" + b"0" * 400,  # an integer too large for a float: math.isfinite() raised OverflowError (a 500)
        b"-1" + b"0" * 400,
        b"1e400",  # JSON's float overflow: infinity
        b"-1e400",
        b"1000000000.01",
        b"Infinity",
    ],
)
def test_api_refuses_prices_out_of_range(test_client_factory: TestClientFactory, price: bytes) -> None:
    client = test_client_factory(app)
    response = client.post("/api/items", content=b'{"name": "a", "price": ' + price + b"}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["detail"] == "Invalid item"
    assert set(body["errors"]) == {"price"}
    assert len(client.get("/api/items").json()) == 2
    assert list(EVENTS) == []


def test_api_price_limit_messages(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.post("/api/items", json={"name": "a", "price": 10**400})
    assert response.json() == {"detail": "Invalid item", "errors": {"price": "at most 1000000000"}}
    response = client.post("/api/items", json={"name": "a", "price": -(10**400)})
    assert response.json() == {"detail": "Invalid item", "errors": {"price": "required: a number, 0 or more"}}
    # The limit itself is a valid price.
    response = client.post("/api/items", json={"name": "dear", "price": 10**9})
    assert (response.status_code, response.json()["price"]) == (201, 1e9)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**1000), max_value=10**1000)
    | st.floats()  # NaN and infinities included: Python's json sends and reads them
    | st.text(max_size=120),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
ITEM_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "name": JSON_VALUES | st.text(max_size=120),
        "price": JSON_VALUES | st.integers() | st.floats(),
        "colour": JSON_VALUES,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=ITEM_LIKE | JSON_VALUES)
def test_api_answers_any_json_with_201_or_400(test_client_factory: TestClientFactory, payload: object) -> None:
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.post("/api/items", content=json.dumps(payload).encode())
    assert response.status_code in (201, 400), response.text
    assert response.headers["content-type"] == "application/json"
    if response.status_code == 400:
        body = response.json()
        assert body["detail"] == "Invalid item"
        assert body["errors"] and all(isinstance(reason, str) for reason in body["errors"].values())
    else:
        assert isinstance(payload, dict)
        assert response.json()["name"] == payload["name"].strip()


def test_api_server_error_is_json(test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(showcase.ITEMS, "all", broken)
    client = test_client_factory(app, raise_server_exceptions=False)
    for path in ("/api/items", "/api/items/export"):
        response = client.get(path)
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"detail": "Internal Server Error"}
    # The exception still reaches the server (which logs it): here, the test client raises it.
    with pytest.raises(RuntimeError, match="the store is broken"):
        test_client_factory(app).get("/api/items")


# --- The HTML pages: 404, other HTTP errors, 500 -----------------------------------------------------------------


def test_page_not_found_is_an_html_page(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    for path in ("/nowhere", "/static/missing.css", "/chat/nowhere"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.template.name == "error.html"
        assert response.context["status_code"] == 404
        assert "<title>Not Found · starlette</title>" in response.text
        assert "<h1>404 · Not Found</h1>" in response.text
        assert 'href="http://testserver/">Back to the home page</a>' in response.text
        assert "<nav>" in response.text  # the site's layout
    # The API keeps its JSON errors.
    assert client.get("/api/nowhere").json() == {"detail": "Not Found"}


def test_page_errors_show_their_reason(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    response = client.get("/chat", params={"room": "<no spaces>"})
    assert response.status_code == 400
    assert response.template.name == "error.html"
    assert "<h1>400 · Bad Request</h1>" in response.text
    assert "A room name has 1 to 32 letters, digits, &#39;-&#39; or &#39;_&#39;" in response.text
    response = client.delete("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert "<h1>405 · Method Not Allowed</h1>" in response.text
    # A logged-in user still sees who they are on an error page.
    client.post("/login", data={"username": "ada", "password": "starlette"})
    assert "ada" in client.get("/nowhere").text


def test_page_server_error_is_an_html_page(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(showcase.ITEMS, "all", broken)
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.template.name == "500.html"
    assert "<h1>Something went wrong</h1>" in response.text
    assert "the store is broken" not in response.text  # no details leak without debug
    assert 'href="http://testserver/"' in response.text


def test_server_error_page_needs_no_user(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error before the authentication middleware set the user still gets the 500 page (not a second error)."""

    async def authenticate(self: ShowcaseBackend, conn: HTTPConnection) -> NoReturn:
        raise RuntimeError("the backend is down")

    monkeypatch.setattr(ShowcaseBackend, "authenticate", authenticate)
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.text


# --- Uploads: the limits' errors inline --------------------------------------------------------------------------


def assert_upload_page_with_error(response: Any, status_code: int, error: str) -> None:
    assert response.status_code == status_code
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.template.name == "upload.html"
    assert response.context["error"] == error
    assert f'<p class="error">{error}</p>' in response.text
    assert 'enctype="multipart/form-data"' in response.text  # the form, to try again
    assert list(EVENTS) == []


def test_upload_too_many_files_is_shown_inline(test_client_factory: TestClientFactory) -> None:
    too_many = [("files", (f"{n}.txt", b"x", "text/plain")) for n in range(4)]
    response = test_client_factory(app).post("/upload", files=too_many)
    assert_upload_page_with_error(response, 400, "Too many files. Maximum number of files is 3.")


def test_upload_long_note_is_shown_inline(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(app).post(
        "/upload", files={"files": ("a.txt", b"x")}, data={"note": "x" * (16 * 1024 + 1)}
    )
    assert_upload_page_with_error(response, 400, "Part exceeded maximum size of 16KB.")


def test_upload_too_large_is_shown_inline(test_client_factory: TestClientFactory) -> None:
    # Its Content-Length says so: refused before the endpoint runs.
    response = test_client_factory(app).post("/upload", files={"files": ("big.bin", bytes(2 * 1024 * 1024))})
    assert_upload_page_with_error(response, 413, "The upload is too large: at most 1 MiB in all.")
    assert response.headers["connection"] == "close"


def test_upload_too_large_while_streaming_is_shown_inline(test_client_factory: TestClientFactory) -> None:
    # No Content-Length (chunked): refused as soon as the bytes read go over the limit, while the form is parsed.
    boundary = "showcase-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(32):
            yield bytes(64 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = test_client_factory(app).post(
        "/upload", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert_upload_page_with_error(response, 413, "The upload is too large: at most 1 MiB in all.")
