"""The response-started tracker the error-handling layers wrap ``send`` in.

A layer that answers exceptions (ServerErrorMiddleware, ExceptionMiddleware, each route) must know whether the
response has started: a handler's response can only be sent before. Each hands the app ``tracker.forward``, which
notes "http.response.start" on its way through. This module is separate from :mod:`starlette_core._exception_handler`
(which re-exports these names) so that responses can use ``send_after_start`` without importing the handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette_core.types import Message, Send

__all__ = ["TrackingSend", "send_after_start", "track_response_start"]


class TrackingSend:
    """Notes whether the HTTP response has started; ``forward`` is the send to hand down.

    Layers pass the bound method ``tracker.forward`` rather than the tracker itself: calling a bound Python method
    is one cheap call where calling an instance goes through ``__call__``'s slot (about 650 instructions more per
    message, which a streamed response pays for every chunk). The instance stays callable the same way.
    """

    __slots__ = ("response_started", "send")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.response_started = False

    def forward(self, message: Message) -> Awaitable[None]:
        # Not a coroutine of its own: it notes the start and hands back the wrapped send's awaitable (callers
        # await it at once, as ASGI sends are).
        if message["type"] == "http.response.start":
            self.response_started = True
        return self.send(message)

    __call__ = forward


def track_response_start(send: Send) -> TrackingSend:
    """A tracker recording whether the response started; pass its ``forward`` on as the send.

    A tracker's ``forward`` handed down unchanged from an enclosing layer, through which nothing has been sent
    yet, gives back that tracker: it sees exactly the messages a new one would, so one tracker serves a chain of
    adjacent layers.
    """
    tracker = getattr(send, "__self__", None)
    if type(tracker) is TrackingSend and not tracker.response_started:
        return tracker
    return TrackingSend(send)


def send_after_start(send: Send) -> Send:
    """The send to use for a response's messages after its "http.response.start" has gone through ``send``.

    A tracker that has noted the start forwards every later message unchanged, so past it the send it wraps gets
    the same messages one call sooner. A response that sends many messages (``StreamingResponse``, a chunk each)
    asks for this once, after its start, rather than paying a Python call per message per tracker. Any other send
    (an app's own wrapper, a tracker that has not seen the start) is returned as it is.
    """
    tracker = getattr(send, "__self__", None)
    while type(tracker) is TrackingSend and tracker.response_started:
        send = tracker.send
        tracker = getattr(send, "__self__", None)
    return send
