"""Instructions per request for each layer of the request path: where a scenario's cost goes.

    python3 benchmarks/layers.py                       # hello, ours and the reference
    python3 benchmarks/layers.py --scenario query_headers --impl ours -n 500

For one scenario of apps.py, one request is served through the whole app first (which builds the middleware
stack), then the same request is sent in at each layer in turn, from the application down to the endpoint's ASGI
app: ``Starlette.__call__``, ``ServerErrorMiddleware``, ``ExceptionMiddleware``, ``Router.__call__``, the
router's own app, the matched route's ``handle()`` and the route's app (``request_response``'s, which builds the
Request, awaits the endpoint and its response). Each entry is counted under valgrind (``--tool=callgrind``),
n requests minus none, so the difference between one row and the next is what that layer itself costs.

The requests are driven without an event loop (``coroutine.send(None)``): the harness costs a few thousand
instructions (the "harness" row: a coroutine that does nothing), and only scenarios whose request never waits
can be counted (hello, params_20, query_headers, json_body, form10; not the streaming or websocket ones).
Needs the venvs that run.py builds and valgrind. Standard library only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import typing
from pathlib import Path

import run  # its venvs, callgrind environment and output parsing (this script sits beside it)

HERE = Path(__file__).resolve().parent


# Entry points from the harness's side (their numbers on the child's command line).
_LIST_LAYERS = -2  # print the layers' names
_HARNESS = -1  # a coroutine that does nothing


def _layers(app: typing.Any, scope: dict[str, typing.Any]) -> list[tuple[str, typing.Any, bool]]:
    """(name, ASGI callable, whether it expects the scope as the router leaves it) from the application down to the
    matched route's app. ``scope`` is updated as the router updates it (the route's endpoint and params)."""
    server_errors = app.middleware_stack
    exceptions = server_errors.app
    router = exceptions.app
    layers = [
        ("Starlette.__call__", app, False),
        (type(server_errors).__name__, server_errors, False),
        (type(exceptions).__name__, exceptions, False),
        ("Router.__call__", router, False),
        ("Router.app (picks the route)", router.app, False),
    ]
    from starlette.routing import Match

    for route in router.routes:
        match, child_scope = route.matches(scope)
        if match == Match.FULL:
            scope.update(child_scope)
            layers += [
                ("route.handle", route.handle, True),
                ("route.app (request, endpoint, response)", route.app, True),
            ]
            break
    return layers


def _child(scenario: str, entry: int, n: int) -> None:
    """Run inside a venv: serve one request, then n requests entered at layer ``entry`` (or the harness)."""
    import asyncio

    sys.path.insert(0, str(HERE))
    import worker

    app, _spec, scope, channel = worker.setup(scenario)
    send = worker.sender(channel, worker._noop_send)

    async def first() -> None:
        await worker.start(app)
        await app(scope.copy(), channel.receive, send)

    asyncio.run(first())

    async def harness(scope: typing.Any, receive: typing.Any, send: typing.Any) -> None:
        return None

    routed = scope.copy()
    layers = _layers(app, routed)
    if entry == _LIST_LAYERS:
        print("\n".join(name for name, _, _ in layers))
        return
    target, base = (harness, scope) if entry == _HARNESS else (layers[entry][1], routed if layers[entry][2] else scope)
    for _ in range(n):
        channel.i = 0
        coroutine = target(base.copy(), channel.receive, send)
        try:
            coroutine.send(None)
        except StopIteration:
            continue
        coroutine.close()
        raise SystemExit(f"{scenario}: the request waited at layer {entry}; it cannot be counted this way")


def _instructions(impl: str, scenario: str, entry: int, n: int) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(run.venv_python(impl)), __file__]
    command += ["child", scenario, str(entry), str(n)]
    out = subprocess.run(command, capture_output=True, text=True, env=run.CALLGRIND_ENV)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return run._collected(out.stderr)


def _per_request(impl: str, scenario: str, entry: int, n: int) -> float:
    return (_instructions(impl, scenario, entry, n) - _instructions(impl, scenario, entry, 0)) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="hello")
    parser.add_argument("--impl", default="ours,reference", help="comma-separated: ours, reference")
    parser.add_argument("-n", type=int, default=500, help="requests per count")
    args = parser.parse_args()
    for impl in args.impl.split(","):
        names = subprocess.run(
            [run.venv_python(impl), __file__, "child", args.scenario, str(_LIST_LAYERS), "0"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        counts = [_per_request(impl, args.scenario, entry, args.n) for entry in range(len(names))]
        harness = _per_request(impl, args.scenario, _HARNESS, args.n)
        print(f"\n{impl}, {args.scenario} (instructions per request, entered at each layer; n={args.n})\n")
        print("| entered at | instructions | this layer's own |")
        print("|---|---:|---:|")
        for i, (name, count) in enumerate(zip(names, counts)):
            below = counts[i + 1] if i + 1 < len(counts) else harness
            print(f"| {name} | {count:,.0f} | {count - below:,.0f} |")
        print(f"| harness (a coroutine doing nothing) | {harness:,.0f} | |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
