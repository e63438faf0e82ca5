"""CORSMiddleware: a simple request gives exactly the same messages whether it takes the raw-header fast path or
the general one (Headers, MutableHeaders, ``send()``), which subclasses that override a step still take; a request
without Origin gets what ``MutableHeaders.add_vary_header("Origin")`` gives, whatever the class."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from starlette_core.datastructures import Headers, MutableHeaders
from starlette_core.types import Message, Receive, Scope, Send
from starlette_middleware.cors import CORSMiddleware

from ._helpers import Recorder, disconnected_receiver, http_scope


class SendOverridden(CORSMiddleware):
    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        await super().send(message, send, request_headers)


class SimpleResponseOverridden(CORSMiddleware):
    async def simple_response(self, scope: Scope, receive: Receive, send: Send, request_headers: Headers) -> None:
        await super().simple_response(scope, receive, send, request_headers)


class AllowExplicitOriginOverridden(CORSMiddleware):
    @staticmethod
    def allow_explicit_origin(headers: MutableHeaders, origin: str) -> None:
        CORSMiddleware.allow_explicit_origin(headers, origin)


class IsAllowedOriginOverridden(CORSMiddleware):
    def is_allowed_origin(self, origin: str) -> bool:
        return origin.endswith(".good") or super().is_allowed_origin(origin)


GENERAL = (SendOverridden, SimpleResponseOverridden, AllowExplicitOriginOverridden)

CONFIGS: list[dict[str, Any]] = [
    {"allow_origins": ["https://a.test"]},
    {"allow_origins": ["https://a.test", "https://\u00e9.test"], "allow_credentials": True, "expose_headers": ["X-A"]},
    {"allow_origins": ["*"]},
    {"allow_origins": ["*"], "allow_credentials": True, "expose_headers": ["X-A", "X-B"]},
    {"allow_origins": ["*"], "allow_credentials": True, "allow_private_network": True},
    {"allow_origins": ["*"], "expose_headers": ["X-A"], "allow_private_network": True},
    {"allow_origin_regex": r"https://\w+\.b\.test", "allow_origins": ["https://a.test"]},
    # An origin no raw header can spell (not latin-1): it matches nothing.
    {"allow_origins": ["https://\u4f8b\u3048.jp", "https://a.test"]},
]

REQUESTS: list[list[tuple[bytes, bytes]]] = [
    [(b"origin", b"https://a.test")],
    [(b"cookie", b"a=b"), (b"origin", b"https://a.test")],
    [(b"origin", b"https://a.test"), (b"cookie", b"a=b")],
    [(b"origin", b"https://x.b.test")],
    [(b"origin", b"https://x.good")],
    [(b"origin", b"https://evil.test"), (b"cookie", b"a=b")],
    [(b"origin", "https://\u00e9.test".encode("latin-1"))],
    [(b"origin", "https://\u4f8b\u3048.jp".encode())],
    [(b"origin", b"\xff\xfe")],
    # The first Origin header counts.
    [(b"origin", b"https://evil.test"), (b"origin", b"https://a.test")],
    [(b"origin", b"https://a.test"), (b"origin", b"https://evil.test")],
]

START_HEADERS: list[Any] = [
    [],
    None,  # no "headers" key
    ((b"content-type", b"text/plain"),),
    [(b"content-type", b"text/plain"), (b"content-length", b"2")],
    [(b"vary", b"Accept-Encoding")],
    [(b"vary", b"A"), (b"x-other", b"1"), (b"vary", b"B")],
    [(b"access-control-allow-origin", b"*"), (b"x-other", b"1")],
    [(b"x", b"1"), (b"access-control-allow-origin", b"*"), (b"vary", b"Cookie"), (b"access-control-allow-origin", b"")],
    [(b"access-control-allow-credentials", b"no"), (b"x", b"1"), (b"access-control-allow-credentials", b"no")],
    [(b"access-control-expose-headers", b"X-Old")],
]


def responding_app(start_headers: Any) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {"type": "http.response.start", "status": 200}
        if start_headers is not None:
            start["headers"] = copy.copy(start_headers)
        await send(start)
        await send({"type": "http.response.body", "body": b"ok", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


async def run(middleware_class: type[CORSMiddleware], config: dict[str, Any], app: Any, request: Any) -> Any:
    scope = http_scope(headers=request)
    original = scope["headers"]
    sent = Recorder()
    await middleware_class(app, **config)(scope, disconnected_receiver(), sent)
    # Either way the scope gets a list of its own.
    assert scope["headers"] == original
    assert scope["headers"] is not original
    return sent.messages


@pytest.mark.anyio
@pytest.mark.parametrize("config", CONFIGS)
async def test_fast_path_sends_what_the_general_path_sends(config: dict[str, Any]) -> None:
    for request in REQUESTS:
        for start_headers in START_HEADERS:
            app = responding_app(start_headers)
            expected = await run(SendOverridden, config, app, request)
            assert await run(CORSMiddleware, config, app, request) == expected, (request, start_headers)
            for general in GENERAL[1:]:
                assert await run(general, config, app, request) == expected, (general, request, start_headers)
            custom = await run(IsAllowedOriginOverridden, config, app, request)
            origin = Headers(raw=request)["origin"]
            if origin.endswith(".good") and "*" not in config["allow_origins"]:
                assert (b"access-control-allow-origin", origin.encode("latin-1")) in custom[0]["headers"]
            else:
                assert custom == expected


@pytest.mark.anyio
@pytest.mark.parametrize("config", CONFIGS)
async def test_a_request_without_origin_gets_vary_origin_only(config: dict[str, Any]) -> None:
    for request in ([], [(b"cookie", b"a=b"), (b"access-control-request-method", b"GET")]):
        for start_headers in START_HEADERS:
            app = responding_app(start_headers)
            # The model: what MutableHeaders gives the start message.
            start: Message = {"type": "http.response.start", "status": 200, "headers": list(start_headers or [])}
            MutableHeaders(scope=start).add_vary_header("Origin")
            expected = [
                start,
                {"type": "http.response.body", "body": b"ok", "more_body": True},
                {"type": "http.response.body", "body": b""},
            ]
            for middleware_class in (CORSMiddleware, *GENERAL, IsAllowedOriginOverridden):
                scope = http_scope(headers=request)
                sent = Recorder()
                await middleware_class(app, **config)(scope, disconnected_receiver(), sent)
                assert sent.messages == expected, (middleware_class, request, start_headers)


@pytest.mark.anyio
async def test_the_general_path_gets_the_request_headers() -> None:
    seen: list[Any] = []

    class Spy(CORSMiddleware):
        async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
            seen.append(request_headers)
            await super().send(message, send, request_headers)

    scope = http_scope(headers=[(b"origin", b"https://a.test")])
    await Spy(responding_app([]), allow_origins=["https://a.test"])(scope, disconnected_receiver(), Recorder())
    assert len(seen) == 3
    assert all(isinstance(headers, Headers) and headers["origin"] == "https://a.test" for headers in seen)


@pytest.mark.anyio
async def test_a_start_message_with_bad_headers_fails_as_before() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": None})

    for middleware_class in (CORSMiddleware, SendOverridden):
        for request in ([(b"origin", b"https://a.test")], []):
            scope = http_scope(headers=request)
            with pytest.raises(TypeError):
                await middleware_class(app, allow_origins=["*"])(scope, disconnected_receiver(), Recorder())
