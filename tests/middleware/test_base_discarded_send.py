"""BaseHTTPMiddleware: an app whose response ``dispatch`` discarded, still sending, never spins.

Once ``dispatch`` has sent a response of its own, what the app sends is dropped; such a send still goes through
the event loop (as a send on a closed stream does upstream), so that the app's other tasks run: the one watching
``receive`` sees the "http.disconnect" and ends the app. A send that returned at once would keep the loop busy
forever without ever letting that task run (no timeout could fire either: the test counts the sends instead).
"""

from __future__ import annotations

import anyio
import pytest

from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from ._helpers import Recorder, http_scope, receiver

# Far more sends than the app makes before the disconnect reaches it (a handful), far fewer than a spinning
# send makes in a blink.
MAX_SENDS = 1000


class EndlessApp:
    """Starts a response, then sends body chunks until a task watching ``receive`` sees the disconnect."""

    def __init__(self) -> None:
        self.sends = 0
        self.ended_by_disconnect = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        async with anyio.create_task_group() as task_group:

            async def watch_for_disconnect(*, task_status: anyio.abc.TaskStatus[None]) -> None:
                task_status.started()
                while (await receive())["type"] != "http.disconnect":
                    pass  # pragma: no cover (the request has no body left to read)
                task_group.cancel_scope.cancel()

            await task_group.start(watch_for_disconnect)
            while True:
                self.sends += 1
                if self.sends > MAX_SENDS:
                    raise AssertionError("send() kept returning without letting the disconnect through")
                await send({"type": "http.response.body", "body": b"chunk ", "more_body": True})
        self.ended_by_disconnect = True


async def read_one_chunk_then_replace(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    body = response.body_iterator  # type: ignore[attr-defined]
    try:
        assert await body.__anext__() == b"chunk "
    finally:
        await body.aclose()
    return PlainTextResponse("replaced")


async def replace_at_once(request: Request, call_next: RequestResponseEndpoint) -> Response:
    await call_next(request)
    return PlainTextResponse("replaced")


@pytest.mark.anyio
@pytest.mark.parametrize("dispatch", [read_one_chunk_then_replace, replace_at_once])
async def test_discarded_app_still_sending_sees_the_disconnect(dispatch: object) -> None:
    app = EndlessApp()
    middleware = BaseHTTPMiddleware(app, dispatch=dispatch)  # type: ignore[arg-type]
    response_done = anyio.Event()
    recorder = Recorder()

    async def send(message: Message) -> None:
        await recorder(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            response_done.set()  # the server then reports the client gone, as after any complete response

    with anyio.fail_after(30):  # generous: a hang fails, it is not a measure of speed
        await middleware(http_scope(), receiver(disconnect=False, done=response_done), send)

    assert recorder.body == b"replaced"
    assert app.ended_by_disconnect
    assert app.sends < MAX_SENDS


@pytest.mark.anyio
async def test_discarded_sends_are_dropped_and_the_app_finishes() -> None:
    sends_returned = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal sends_returned
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for _ in range(100):
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
            sends_returned += 1
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    recorder = Recorder()
    with anyio.fail_after(30):
        await BaseHTTPMiddleware(app, dispatch=replace_at_once)(http_scope(), receiver(), recorder)
    assert recorder.body == b"replaced"
    assert sends_returned == 100
