"""Runs inside one benchmark venv (reference or ours); driven by run.py.

Commands (argv[1]):
  list                         print the scenarios as JSON
  check <scenario>             run one request, print status/body digest as JSON
  inproc <scenario> <seconds>  drive app(scope, receive, send) in a tight loop, print the rate as JSON
  serve <scenario|bare> <port> [server] [workers]
                               run the app on 127.0.0.1 under uvicorn (httptools, uvloop; the default) or
                               granian (--interface asgi, uvloop), with 1 (default) or more worker processes
  wsclient <port> <n> <messages>  hold n WebSocket connections to /ws, each echoing <messages> texts (see below)
  import                       time `import starlette.applications` (this process must be fresh)
  memory <n>                   import, build the hello app, serve n requests in-process, print ru_maxrss
  specs <scenario>...          (our venv) the scenarios whose peers/common.py request differs from apps.py's
  count <scenario> <n>         serve n requests in-process and exit (for instruction counting under valgrind);
                               prints {"requests": n}
  profile <scenario> <seconds> [sort]  cProfile the in-process loop and print the top functions
"""

from __future__ import annotations

import sys
import time

if sys.argv[1:2] == ["import"]:
    # Measure before anything else gets imported (the harness itself imports nothing heavy).
    t0 = time.perf_counter()
    import starlette.applications  # noqa: F401

    elapsed = time.perf_counter() - t0
    import json

    print(json.dumps({"seconds": elapsed, "modules": len(sys.modules)}))
    raise SystemExit(0)

import asyncio
import hashlib
import json
import os
import typing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if os.environ.get("BENCH_APPS", "apps") == "apps":
    import apps
else:  # a peer framework's scenarios (run.py --peers): benchmarks/peers/<framework>_app.py
    import importlib

    apps = importlib.import_module(os.environ["BENCH_APPS"])


# run.py --peers sets this for every implementation in the run: each request gets a scope with a state dict of
# its own, as under uvicorn (which copies the lifespan state per request). Litestar caches the parsed request
# (body, form, headers) in scope["state"]; with the plain shallow scope.copy() every request after the first would
# reuse the first one's. Without --peers the loops are as they were (scope.copy()).
FRESH_STATE = os.environ.get("BENCH_FRESH_STATE") == "1"


def build_scope(spec: dict[str, typing.Any]) -> dict[str, typing.Any]:
    """A scope shaped like the one uvicorn's httptools protocol builds."""
    scope: dict[str, typing.Any] = {
        "type": spec["kind"],
        "asgi": {"version": "3.0", "spec_version": "2.3" if spec["kind"] == "http" else "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 54321),
        "scheme": "http" if spec["kind"] == "http" else "ws",
        "root_path": "",
        "headers": spec["headers"],
        "state": {},
        "path": spec["path"],
        "raw_path": spec["path"].encode(),
        "query_string": spec["query"].encode(),
    }
    if spec["kind"] == "http":
        scope["method"] = spec["method"]
    else:
        scope["subprotocols"] = []
    return scope


def build_messages(spec: dict[str, typing.Any]) -> list[dict[str, typing.Any]]:
    if spec["kind"] == "websocket":
        msgs: list[dict[str, typing.Any]] = [{"type": "websocket.connect"}]
        msgs += [{"type": "websocket.receive", "text": f"message {i}"} for i in range(spec["messages"])]
        msgs.append({"type": "websocket.disconnect", "code": 1000})
        return msgs
    body: bytes = spec["body"]
    chunk: int = spec["chunk"]
    if not body:
        return [{"type": "http.request", "body": b"", "more_body": False}]
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    return [{"type": "http.request", "body": piece, "more_body": i < len(pieces) - 1} for i, piece in enumerate(pieces)]


class Channel:
    """receive(): hands out the request messages, then blocks (like a live connection) until cancelled."""

    __slots__ = ("i", "msgs", "n")

    def __init__(self, msgs: list[dict[str, typing.Any]]) -> None:
        self.msgs = msgs
        self.n = len(msgs)
        self.i = 0

    async def receive(self) -> dict[str, typing.Any]:
        i = self.i
        if i < self.n:
            self.i = i + 1
            # A fresh dict each time: apps may keep or mutate messages.
            return dict(self.msgs[i])
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")  # pragma: no cover


async def _noop_send(message: typing.Any) -> None:
    return None


class UvicornChannel(Channel):
    """Like Channel, but once the response is complete a blocked receive() gets http.disconnect, as under uvicorn.

    For peer apps that wait for that message before returning (Litestar's streaming response listens for the
    disconnect until it comes). Used only where an app module asks for it (DISCONNECT_AFTER_RESPONSE); it costs
    the app one wrapped send per message.
    """

    __slots__ = ("waiter",)

    def __init__(self, msgs: list[dict[str, typing.Any]]) -> None:
        super().__init__(msgs)
        self.waiter: asyncio.Future[dict[str, typing.Any]] | None = None

    async def receive(self) -> dict[str, typing.Any]:
        i = self.i
        if i < self.n:
            self.i = i + 1
            return dict(self.msgs[i])
        self.waiter = asyncio.get_running_loop().create_future()
        return await self.waiter

    def wrap(self, send: typing.Any) -> typing.Any:
        async def wrapped(message: typing.Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                waiter, self.waiter = self.waiter, None
                if waiter is not None and not waiter.done():
                    waiter.set_result({"type": "http.disconnect"})

        return wrapped


def setup(name: str) -> tuple[typing.Any, dict[str, typing.Any], dict[str, typing.Any], Channel]:
    builder, _unit = apps.SCENARIOS[name]
    app, spec = builder()
    if name in getattr(apps, "DISCONNECT_AFTER_RESPONSE", ()):
        return app, spec, build_scope(spec), UvicornChannel(build_messages(spec))
    return app, spec, build_scope(spec), Channel(build_messages(spec))


def sender(ch: Channel, send: typing.Any) -> typing.Any:
    return ch.wrap(send) if isinstance(ch, UvicornChannel) else send


_lifespans: list[typing.Any] = []


async def start(app: typing.Any) -> None:
    """ASGI lifespan startup, for app modules that ask for it (LIFESPAN = True: peers whose apps need it).

    The lifespan task is kept waiting for shutdown, as under a server, until the process ends.
    """
    if not getattr(apps, "LIFESPAN", False):
        return
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[dict[str, typing.Any]] = asyncio.Queue()
    started = loop.create_future()
    inbox.put_nowait({"type": "lifespan.startup"})

    async def send(message: typing.Any) -> None:
        if not started.done():
            started.set_result(message["type"])

    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}, "state": {}}
    _lifespans.append(loop.create_task(app(scope, inbox.get, send)))
    outcome = await started
    if outcome != "lifespan.startup.complete":
        raise SystemExit(f"lifespan startup answered {outcome}")


async def check(name: str) -> dict[str, typing.Any]:
    app, spec, scope, ch = setup(name)
    sent: list[dict[str, typing.Any]] = []

    async def send(message: typing.Any) -> None:
        sent.append(dict(message))

    await start(app)
    await app(dict(scope), ch.receive, sender(ch, send))
    if spec["kind"] == "websocket":
        types = [m["type"] for m in sent]
        texts = [m.get("text") for m in sent if m["type"] == "websocket.send"]
        ok = types[0] == "websocket.accept" and len(texts) == spec["messages"]
        return {"ok": ok, "status": 101 if ok else 0, "digest": hashlib.sha1(repr(texts).encode()).hexdigest()}
    first = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode().lower(): v.decode() for k, v in first.get("headers", [])}
    try:  # the same JSON document, however it is spaced (peers' JSON encoders differ)
        meaning = json.dumps(json.loads(body), sort_keys=True).encode()
    except ValueError:
        meaning = body
    return {
        "ok": first["status"] == spec["expect"],
        "status": first["status"],
        "digest": hashlib.sha1(body).hexdigest(),
        "meaning": hashlib.sha1(meaning).hexdigest(),
        "body": body[:200].decode("latin-1"),
        "headers": sorted(headers),
    }


async def inproc(name: str, seconds: float) -> dict[str, typing.Any]:
    import resource

    app, spec, scope, ch = setup(name)
    await start(app)
    receive = ch.receive
    send = sender(ch, _noop_send)
    # CPU time of this process: other load on the machine (a shared box) does not count against either side.
    perf = time.process_time

    async def run_batch(n: int) -> None:
        if FRESH_STATE:
            for _ in range(n):
                ch.i = 0
                await app({**scope, "state": {}}, receive, send)
            return
        for _ in range(n):
            ch.i = 0
            await app(scope.copy(), receive, send)

    # Warm up and calibrate a batch of roughly 5 ms.
    batch = 1
    t0 = perf()
    while True:
        t = perf()
        await run_batch(batch)
        dt = perf() - t
        if dt < 0.005:
            batch *= 2
        if perf() - t0 > min(0.3, seconds / 3):
            break
    count = 0
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = perf()
    end = t0 + seconds
    while True:
        await run_batch(batch)
        count += batch
        now = perf()
        if now >= end:
            break
    elapsed = now - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    per = spec["messages"] if spec["kind"] == "websocket" else 1
    return {
        "rate": count * per / elapsed,
        "count": count,
        "elapsed": elapsed,
        # user and system CPU microseconds per request (uploads spend much of theirs in the kernel)
        "user_us": (usage.ru_utime - usage0.ru_utime) / count * 1e6,
        "sys_us": (usage.ru_stime - usage0.ru_stime) / count * 1e6,
    }


def profile(name: str, seconds: float, sort: str) -> None:
    import cProfile
    import pstats

    app, _spec, scope, ch = setup(name)
    receive = ch.receive
    send = sender(ch, _noop_send)

    async def loop() -> int:
        await start(app)
        count = 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            for _ in range(50):
                ch.i = 0
                await app({**scope, "state": {}} if FRESH_STATE else scope.copy(), receive, send)
            count += 50
        return count

    asyncio.run(loop())  # warm-up run, same length
    prof = cProfile.Profile()
    prof.enable()
    count = asyncio.run(loop())
    prof.disable()
    print(f"{count} requests")
    pstats.Stats(prof).sort_stats(sort).print_stats(45)


def count(name: str, n: int) -> None:
    """Serve n requests (after one warm-up request) and nothing else: run under valgrind by run.py --icount."""
    app, _spec, scope, ch = setup(name)

    async def go() -> None:
        await start(app)
        send = sender(ch, _noop_send)
        if FRESH_STATE:
            for _ in range(n):
                ch.i = 0
                await app({**scope, "state": {}}, ch.receive, send)
            return
        for _ in range(n):
            ch.i = 0
            await app(scope.copy(), ch.receive, send)

    asyncio.run(go())


def memory(n: int) -> dict[str, typing.Any]:
    import resource

    app, _spec, scope, ch = setup("hello")

    async def go() -> None:
        await start(app)
        for _ in range(n):
            ch.i = 0
            await app({**scope, "state": {}} if FRESH_STATE else scope.copy(), ch.receive, _noop_send)

    asyncio.run(go())
    return {"maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "requests": n}


def raise_fd_limit() -> None:
    """Soft limit on open files up to the hard one: the WebSocket soak holds a thousand connections."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def served_app() -> typing.Any:
    """The app a server serves (an app factory: uvicorn with workers and granian import it by name).

    BENCH_SERVE names the scenario; "bare" is the hand-written floor (peers/bare_app.py), the same in every venv.
    """
    name = os.environ["BENCH_SERVE"]
    if name == "bare":
        from peers.bare_app import floor_app

        return floor_app()
    return apps.SCENARIOS[name][0]()[0]


def serve(name: str, port: int, server: str = "uvicorn", workers: int = 1) -> None:
    raise_fd_limit()
    os.environ["BENCH_SERVE"] = name
    if server == "granian":
        from pathlib import Path

        from granian import Granian
        from granian.constants import HTTPModes, Interfaces, Loops

        Granian(
            "worker:served_app",
            address="127.0.0.1",
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            loop=Loops.uvloop,
            http=HTTPModes.http1,
            log_enabled=False,
            factory=True,
            working_dir=Path(__file__).resolve().parent,
        ).serve()
        return
    import uvicorn

    options: dict[str, typing.Any] = {
        "host": "127.0.0.1",
        "port": port,
        "http": "httptools",
        "loop": "uvloop",
        "log_level": "warning",
        "access_log": False,
        "lifespan": "auto",
    }
    if workers > 1:  # uvicorn's multiprocess supervisor wants an import string
        uvicorn.run("worker:served_app", factory=True, workers=workers, **options)
        return
    uvicorn.Server(uvicorn.Config(served_app(), **options)).run()


async def ws_soak(port: int, n: int, messages: int) -> None:
    """Open n WebSocket connections to /ws, echo `messages` texts on each, and hold them all open.

    Prints {"open": n} once every connection has echoed its messages, then waits for a line on stdin and closes
    them (run.py reads the server's memory in between).
    """
    from websockets.asyncio.client import connect

    async def one(i: int) -> typing.Any:
        ws = await connect(f"ws://127.0.0.1:{port}/ws", open_timeout=120, ping_interval=None, max_queue=4)
        for k in range(messages):
            await ws.send(f"message {i}.{k}")
            if await ws.recv() != f"message {i}.{k}":
                raise SystemExit("wrong echo")
        return ws

    sockets = []
    for start_at in range(0, n, 100):  # batches of 100, so the server's accept backlog is never the limit
        sockets += await asyncio.gather(*(one(i) for i in range(start_at, min(n, start_at + 100))))
    print(json.dumps({"open": len(sockets)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(ws.close() for ws in sockets))


def main() -> None:
    cmd = sys.argv[1]
    if cmd == "list":
        print(json.dumps({name: unit for name, (_, unit) in apps.SCENARIOS.items()}))
    elif cmd == "specs":  # run.py --peers: the peers' requests are apps.py's (this venv has both modules)
        from peers.common import SPECS

        differ = [name for name in sys.argv[2:] if name in SPECS and SPECS[name]() != apps.SCENARIOS[name][0]()[1]]
        print(json.dumps({"differ": differ}))
    elif cmd == "check":
        print(json.dumps(asyncio.run(check(sys.argv[2]))))
    elif cmd == "inproc":
        print(json.dumps(asyncio.run(inproc(sys.argv[2], float(sys.argv[3])))))
    elif cmd == "profile":
        profile(sys.argv[2], float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "tottime")
    elif cmd == "count":
        count(sys.argv[2], int(sys.argv[3]))
        print(json.dumps({"requests": int(sys.argv[3])}))
    elif cmd == "memory":
        print(json.dumps(memory(int(sys.argv[2]))))
    elif cmd == "serve":
        server = sys.argv[4] if len(sys.argv) > 4 else "uvicorn"
        serve(sys.argv[2], int(sys.argv[3]), server, int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    elif cmd == "wsclient":
        raise_fd_limit()
        asyncio.run(ws_soak(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
    else:  # pragma: no cover
        raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main()
