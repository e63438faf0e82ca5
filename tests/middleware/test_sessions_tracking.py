"""SessionMiddleware with upstream 1.x's ``Session``: the cookie is written only when the session changed,
``Vary: Cookie`` when it was read, and the ``partitioned`` cookie attribute."""

from __future__ import annotations

import copy
import time
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse
from starlette_core.types import Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.sessions import Session, SessionMiddleware

TestClientFactory = Callable[..., Any]

EXPIRED = "expires=Thu, 01 Jan 1970 00:00:00 GMT"


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """``/<action>``: what the endpoint does with the session (see ACTIONS)."""
    request = Request(scope, receive)
    action = request.url.path.strip("/")
    text = ACTIONS[action](request)
    headers = {"Vary": request.query_params["vary"]} if "vary" in request.query_params else None
    await PlainTextResponse(text, headers=headers)(scope, receive, send)


def set_user(request: Request) -> str:
    request.session["user"] = "ada"
    return "set"


def set_same(request: Request) -> str:
    request.session["user"] = request.session.get("user")
    return "same"


def append_in_place(request: Request) -> str:
    request.session.get("items", []).append(1)
    return "in place"


def append_and_mark(request: Request) -> str:
    session: Session = request.scope["session"]
    session.setdefault("items", [])
    session["items"].append(1)
    session.mark_modified()
    return "marked"


def clear(request: Request) -> str:
    request.session.clear()
    return "cleared"


def replace_with_dict(request: Request) -> str:
    request.scope["session"] = {"user": "bob"}
    return "replaced"


def replace_with_empty_dict(request: Request) -> str:
    request.scope["session"] = {}
    return "replaced"


ACTIONS: dict[str, Callable[[Request], str]] = {
    "untouched": lambda request: "untouched",
    "scope-only": lambda request: str(request.scope["session"].get("user")),
    "read": lambda request: str(request.session.get("user")),
    "type": lambda request: type(request.session).__name__,
    "set": set_user,
    "same": set_same,
    "clear": clear,
    "pop-missing": lambda request: str(request.session.pop("missing", None)),
    "in-place": append_in_place,
    "mark": append_and_mark,
    "replace": replace_with_dict,
    "replace-empty": replace_with_empty_dict,
}


def make_client(test_client_factory: TestClientFactory, *, logged_in: bool, **kwargs: Any) -> Any:
    client = test_client_factory(SessionMiddleware(app, secret_key="k", **kwargs))
    if logged_in:
        client.get("/set")
    return client


def cookies_and_vary(response: Any) -> tuple[list[str], list[str]]:
    return response.headers.get_list("set-cookie"), response.headers.get_list("vary")


def test_request_session_is_a_session(test_client_factory: TestClientFactory) -> None:
    assert make_client(test_client_factory, logged_in=False).get("/type").text == "Session"
    assert issubclass(Session, dict)


@pytest.mark.parametrize("logged_in", [False, True])
def test_an_untouched_session_sends_nothing(test_client_factory: TestClientFactory, logged_in: bool) -> None:
    client = make_client(test_client_factory, logged_in=logged_in)
    assert cookies_and_vary(client.get("/untouched")) == ([], [])
    # Reading the scope directly is not watched: only request.session is.
    assert cookies_and_vary(client.get("/scope-only")) == ([], [])


@pytest.mark.parametrize("logged_in", [False, True])
def test_reading_the_session_says_vary_cookie_and_keeps_the_cookie(
    test_client_factory: TestClientFactory, logged_in: bool
) -> None:
    client = make_client(test_client_factory, logged_in=logged_in)
    response = client.get("/read")
    assert response.text == ("ada" if logged_in else "None")
    # 0.47.3 rewrites the cookie on every response while the session has data; upstream 1.x does not.
    assert cookies_and_vary(response) == ([], ["Cookie"])


def test_read_only_requests_do_not_renew_the_max_age(
    test_client_factory: TestClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(test_client_factory, logged_in=True, max_age=60)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 40)
    assert client.get("/read").text == "ada"
    monkeypatch.setattr(time, "time", lambda: now + 80)
    # 60 seconds after it was written, the cookie has expired (0.47.3 would have renewed it at +40).
    assert client.get("/read").text == "None"


def test_a_change_writes_the_cookie(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, logged_in=False)
    cookies, vary = cookies_and_vary(client.get("/set"))
    assert vary == ["Cookie"]
    assert len(cookies) == 1
    assert cookies[0].startswith("session=")
    assert cookies[0].endswith("; path=/; Max-Age=1209600; httponly; samesite=lax")
    assert client.get("/read").text == "ada"
    # Setting a key to the value it has is a change too.
    cookies, vary = cookies_and_vary(client.get("/same"))
    assert len(cookies) == 1
    assert vary == ["Cookie"]


def test_clearing_a_session_expires_the_cookie(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, logged_in=True)
    cookies, vary = cookies_and_vary(client.get("/clear"))
    assert cookies == [f"session=null; path=/; {EXPIRED}; httponly; samesite=lax"]
    assert vary == ["Cookie"]
    assert client.get("/read").text == "None"


def test_emptying_a_session_that_was_empty_sends_no_cookie(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, logged_in=False)
    assert cookies_and_vary(client.get("/clear")) == ([], ["Cookie"])
    assert cookies_and_vary(client.get("/pop-missing")) == ([], ["Cookie"])


def test_a_change_in_place_needs_mark_modified(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, logged_in=True)
    assert cookies_and_vary(client.get("/in-place")) == ([], ["Cookie"])
    response = client.get("/mark")
    assert len(response.headers.get_list("set-cookie")) == 1
    client.get("/mark")
    assert client.get("/type").text == "Session"


def test_vary_cookie_joins_the_app_s_vary(test_client_factory: TestClientFactory) -> None:
    client = make_client(test_client_factory, logged_in=True)
    assert client.get("/read?vary=Accept-Encoding").headers.get_list("vary") == ["Accept-Encoding, Cookie"]
    response = client.get("/set?vary=Accept-Encoding")
    assert response.headers.get_list("vary") == ["Accept-Encoding, Cookie"]
    # The app's Vary is changed where it is; Set-Cookie comes last.
    names = [name for name, _ in response.headers.raw]
    assert names == [b"vary", b"content-length", b"content-type", b"set-cookie"]


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_session_replaced_by_a_plain_dict_is_written_as_0_47_3_does(
    test_client_factory: TestClientFactory, logged_in: bool
) -> None:
    # (Upstream 1.x fails on a plain dict, with an AttributeError: a 500.)
    client = make_client(test_client_factory, logged_in=logged_in)
    cookies, vary = cookies_and_vary(client.get("/replace"))
    assert vary == ["Cookie"]
    assert len(cookies) == 1
    assert client.get("/read").text == "bob"
    cookies, vary = cookies_and_vary(client.get("/replace-empty"))
    assert cookies == [f"session=null; path=/; {EXPIRED}; httponly; samesite=lax"]


def test_partitioned(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        SessionMiddleware(app, secret_key="k", https_only=True, partitioned=True), base_url="https://testserver"
    )
    cookies, _ = cookies_and_vary(client.get("/set"))
    assert cookies[0].endswith("; path=/; Max-Age=1209600; httponly; samesite=lax; secure; partitioned")
    assert client.get("/read").text == "ada"
    cookies, _ = cookies_and_vary(client.get("/clear"))
    assert cookies == [f"session=null; path=/; {EXPIRED}; httponly; samesite=lax; secure; partitioned"]


def test_partitioned_does_not_add_secure(test_client_factory: TestClientFactory) -> None:
    # As upstream: the attribute is added as asked (browsers keep a Partitioned cookie only when it is Secure).
    client = make_client(test_client_factory, logged_in=False, partitioned=True)
    cookies, _ = cookies_and_vary(client.get("/set"))
    assert cookies[0].endswith("; httponly; samesite=lax; partitioned")
    assert make_client(test_client_factory, logged_in=False).get("/set").headers["set-cookie"].endswith("samesite=lax")


def test_max_age_zero_sets_no_max_age_attribute_as_0_47_3(test_client_factory: TestClientFactory) -> None:
    # (Upstream 1.x sends Max-Age=0, which deletes the cookie at once.)
    client = make_client(test_client_factory, logged_in=False, max_age=0)
    assert "Max-Age" not in client.get("/set").headers["set-cookie"]


def test_websocket_session_is_a_session(test_client_factory: TestClientFactory) -> None:
    async def both(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await app(scope, receive, send)
            return
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        websocket.session["seen"] = True
        await websocket.send_json([type(websocket.session).__name__, websocket.session])
        await websocket.close()

    client = test_client_factory(SessionMiddleware(both, secret_key="k"))
    client.get("/set")
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == ["Session", {"user": "ada", "seen": True}]


# Session on its own: which methods mark it.

MODIFYING: list[tuple[str, Callable[[Session], Any]]] = [
    ("setitem", lambda session: session.__setitem__("a", 1)),
    ("setitem new", lambda session: session.__setitem__("new", 1)),
    ("delitem", lambda session: session.__delitem__("a")),
    ("clear", lambda session: session.clear()),
    ("pop", lambda session: session.pop("a")),
    ("pop with default", lambda session: session.pop("a", None)),
    ("popitem", lambda session: session.popitem()),
    ("setdefault new", lambda session: session.setdefault("new", 2)),
    ("update", lambda session: session.update(b=2)),
    ("update nothing", lambda session: session.update()),
    ("update pairs", lambda session: session.update([("b", 2)])),
    ("ior", lambda session: session.__ior__({"b": 2})),
]

NOT_MODIFYING: list[tuple[str, Callable[[Session], Any]]] = [
    ("getitem", lambda session: session["a"]),
    ("get", lambda session: session.get("a")),
    ("len", len),
    ("iter", list),
    ("contains", lambda session: "a" in session),
    ("keys values items", lambda session: (list(session.keys()), list(session.values()), list(session.items()))),
    ("copy", lambda session: session.copy()),
    ("pop missing", lambda session: session.pop("missing", None)),
    ("setdefault existing", lambda session: session.setdefault("a", 2)),
    ("or", lambda session: session | {"b": 2}),
    ("equality", lambda session: session == {"a": 1}),
]


@pytest.mark.parametrize(("name", "change"), MODIFYING, ids=[name for name, _ in MODIFYING])
def test_changes_mark_the_session_modified_and_accessed(name: str, change: Callable[[Session], Any]) -> None:
    session = Session({"a": 1})
    assert (session.accessed, session.modified) == (False, False)
    change(session)
    assert (session.accessed, session.modified) == (True, True)


@pytest.mark.parametrize(("name", "read"), NOT_MODIFYING, ids=[name for name, _ in NOT_MODIFYING])
def test_reads_mark_nothing(name: str, read: Callable[[Session], Any]) -> None:
    session = Session({"a": 1})
    read(session)
    assert (session.accessed, session.modified) == (False, False)
    assert session == {"a": 1}


def test_session_methods_return_what_dict_s_do() -> None:
    session = Session(a=1, b=2)
    assert session.pop("a") == 1
    assert session.pop("a", "default") == "default"
    assert session.popitem() == ("b", 2)
    assert session.setdefault("c", 3) == 3
    assert session.setdefault("c", 4) == 3
    same = session
    same |= {"d": 4}
    assert same is session
    assert session == {"c": 3, "d": 4}
    assert type(session | {}) is dict
    assert type(session.copy()) is dict


def test_failing_changes_fail_as_dict_s_do() -> None:
    session = Session()
    with pytest.raises(KeyError):
        session.popitem()
    with pytest.raises(KeyError):
        session.pop("missing")
    assert (session.accessed, session.modified) == (False, False)
    with pytest.raises(KeyError):
        del session["missing"]
    with pytest.raises(TypeError):
        session |= 5
    with pytest.raises(TypeError):
        session.update(5)


def test_mark_accessed_and_mark_modified() -> None:
    session = Session()
    session.mark_accessed()
    assert (session.accessed, session.modified) == (True, False)
    session = Session()
    session.mark_modified()
    assert (session.accessed, session.modified) == (True, True)


def test_a_copy_is_a_session_with_the_same_data() -> None:
    session = Session({"a": [1]})
    for duplicate in (copy.copy(session), copy.deepcopy(session)):
        assert type(duplicate) is Session
        assert duplicate == {"a": [1]}
    assert (session.accessed, session.modified) == (False, False)
