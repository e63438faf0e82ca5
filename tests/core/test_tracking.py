"""``send_after_start``: past every tracker that has noted the response's start, to the first send that is not one
(the equivalence of the messages through an app is in ``tests/routing/test_streaming_after_start.py``).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core._tracking import TrackingSend, send_after_start, track_response_start
from starlette_core.types import Message, Send


async def server_send(message: Message) -> None:  # pragma: no cover (never called)
    pass


def started(send: Send) -> TrackingSend:
    """A tracker that has seen a start go through it."""
    tracker = TrackingSend(send)
    tracker.response_started = True
    return tracker


def test_a_started_tracker_gives_the_send_it_wraps() -> None:
    assert send_after_start(started(server_send).forward) is server_send


def test_a_chain_of_started_trackers_gives_the_innermost_send() -> None:
    inner = started(server_send)
    outer = started(inner.forward)
    assert send_after_start(outer.forward) is server_send


def test_the_unwrapping_stops_at_a_tracker_that_has_not_seen_the_start() -> None:
    waiting = track_response_start(server_send)
    outer = started(waiting.forward)
    assert send_after_start(outer.forward) == waiting.forward


@pytest.mark.parametrize("how", ["not started", "a plain function", "the tracker itself", "a subclass"])
def test_any_other_send_is_kept(how: str) -> None:
    class Subclass(TrackingSend):
        pass

    send: Callable[[Message], Any]
    if how == "not started":
        send = track_response_start(server_send).forward
    elif how == "a plain function":
        send = server_send
    elif how == "the tracker itself":
        send = started(server_send)
    else:
        subclass = Subclass(server_send)
        subclass.response_started = True
        send = subclass.forward
    assert send_after_start(send) is send
