#!/usr/bin/env python3
"""Compare our Starlette implementation with the reference (starlette==0.47.3), side by side.

    python3 benchmarks/run.py            # everything: in-process, over the wire, import time, memory
    python3 benchmarks/run.py --quick    # shorter runs
    python3 benchmarks/run.py --only hello,params_20 --no-wire
    python3 benchmarks/run.py --profile basehttp     # cProfile our implementation on one scenario

Standard library only. It creates two virtual environments with uv under benchmarks/.venvs/:
"reference" (starlette==0.47.3 from PyPI) and "ours" (the six workspace packages, editable), both with the
same pinned third-party versions, then runs benchmarks/worker.py (which imports benchmarks/apps.py, written
only against ``starlette.*``) in each, alternating the two implementations scenario by scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import typing
from pathlib import Path

X = "\u00d7"  # multiplication sign

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = HERE / ".venvs"
WORKER = HERE / "worker.py"

THIRD_PARTY = [
    "anyio==4.16.0",
    "python-multipart==0.0.34",
    "httpx==0.28.1",
    "uvicorn[standard]==0.54.0",
    "httptools==0.9.0",
    "uvloop==0.23.0",
    "itsdangerous==2.2.0",
]
OUR_PACKAGES = [
    "starlette-core",
    "starlette-middleware",
    "starlette-routing",
    "starlette-auth",
    "starlette-testing",
    "starlette",
]
IMPLS = ("reference", "ours")

# Optional peer columns (--peers): other ASGI frameworks, each in its own venv under .venvs/<name>, driven by the
# same worker.py with its own app module (BENCH_APPS). "apps" is apps.py itself (the starlette.* API).
FASTAPI = ["fastapi==0.116.1", "pydantic==2.14.4", "pydantic-core==2.50.5"]
PEERS: dict[str, dict[str, typing.Any]] = {
    "starlette110": {"label": "starlette 1.10.0", "reqs": ["starlette==1.10.0"], "apps": "apps"},
    "fastapi_ref": {
        "label": "FastAPI 0.116.1 on reference",
        "reqs": ["starlette==0.47.3", *FASTAPI],
        "apps": "peers.fastapi_app",
    },
    "fastapi_ours": {"label": "FastAPI 0.116.1 on ours", "reqs": [*FASTAPI], "ours": True, "apps": "peers.fastapi_app"},
    "falcon": {
        "label": "Falcon 4.4.0",
        "reqs": ["falcon==4.4.0"],
        "apps": "peers.falcon_app",
        # The PyPI wheel's compiled parts (falcon.util uses them when they import): say which are in use.
        "probe": "import falcon.cyutil.misc as m, falcon.cyutil.uri as u, falcon.cyutil.reader as r, falcon.app as a; "
        "print('Falcon wheel: cyutil misc/uri/reader compiled: ' + str(all(x.__file__.endswith('.so') for x in "
        "(m, u, r))) + '; falcon.app (the app, router, request and response) is ' "
        "+ ('compiled' if a.__file__.endswith('.so') else 'pure Python (as the 4.x wheels ship it)'))",
    },
    "blacksheep": {
        "label": "BlackSheep 2.6.4",
        "reqs": ["blacksheep==2.6.4"],
        "apps": "peers.blacksheep_app",
        "probe": "import blacksheep.baseapp as b, blacksheep.messages as m; "
        "print('BlackSheep wheel: baseapp/messages compiled (Cython): ' + str(all(x.__file__.endswith('.so') "
        "for x in (b, m))))",
    },
    "litestar": {
        "label": "Litestar 2.25.0",
        "reqs": ["litestar==2.25.0", "msgspec==0.23.0", "multipart==2.0.1"],
        "apps": "peers.litestar_app",
    },
    "bare": {"label": "bare ASGI callable", "reqs": [], "apps": "peers.bare_app"},
}
# Response headers a peer's answer must carry where the reference's does (the scenario's middleware ran).
REQUIRED_HEADERS = {"middleware4": ["access-control-allow-origin", "x-custom"], "basehttp": ["x-processed"]}

# (scenario, target ratio ours/reference) for the in-process mode
TARGETS = {
    "hello": 3.5,
    "params_20": 3.0,
    "params_200": 3.0,
    "middleware4": 3.0,
    "basehttp": 3.0,
    "json_body": 1.5,
    "form10": 2.0,
    "query_headers": 2.5,
}
WIRE_SCENARIOS = ["hello", "params_20", "middleware4", "basehttp", "streaming"]


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- environments


def venv_python(impl: str) -> Path:
    return VENVS / impl / "bin" / "python"


def ensure_venv(impl: str, python: str, rebuild: bool) -> None:
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is required (https://docs.astral.sh/uv/)")
    path = VENVS / impl
    if impl == "reference":
        reqs = ["starlette==0.47.3", *THIRD_PARTY]
    elif impl == "ours":
        reqs = [*THIRD_PARTY]
        for pkg in OUR_PACKAGES:
            reqs += ["-e", str(ROOT / "packages" / pkg)]
    else:
        peer = PEERS[impl]
        reqs = [*peer["reqs"], *THIRD_PARTY]
        if peer.get("ours"):
            for pkg in OUR_PACKAGES:
                reqs += ["-e", str(ROOT / "packages" / pkg)]
    spec = json.dumps({"python": python, "reqs": reqs})
    marker = path / ".bench-spec"
    if not rebuild and marker.exists() and marker.read_text() == spec and venv_python(impl).exists():
        return
    log(f"[setup] creating {path} ...")
    if path.exists():
        shutil.rmtree(path)
    subprocess.run([uv, "venv", "-q", "--python", python, str(path)], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(venv_python(impl)), *reqs], check=True
    )
    marker.write_text(spec)


# Set by main() when --peers is given: then every implementation's requests get a fresh scope["state"].
PEER_RUN = False


def impl_env(impl: str, env: dict[str, str]) -> dict[str, str]:
    """``env`` plus, for a peer, the app module its worker imports instead of apps.py."""
    env = dict(env)
    env.pop("BENCH_APPS", None)
    env.pop("BENCH_FRESH_STATE", None)
    if PEER_RUN:
        env["BENCH_FRESH_STATE"] = "1"
    if impl in PEERS:
        env["BENCH_APPS"] = PEERS[impl]["apps"]
    return env


def worker(impl: str, *args: str, timeout: float = 300) -> dict:
    env = impl_env(impl, dict(os.environ))
    for name in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"):
        env.pop(name, None)  # byte-code caches are written and used, as in a normal deployment
    out = subprocess.run(
        [str(venv_python(impl)), str(WORKER), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(HERE),
    )
    if out.returncode:
        raise SystemExit(f"{impl}: worker.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- measurements


def run_inproc(scenarios: list[str], seconds: float, rounds: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name in scenarios:
        checks = {impl: worker(impl, "check", name) for impl in IMPLS}
        for impl, c in checks.items():
            if not c["ok"]:
                raise SystemExit(f"{name}: {impl} answered {c}")
        if checks["reference"]["digest"] != checks["ours"]["digest"]:
            log(f"[warn] {name}: response bodies differ:\n  ref:  {checks['reference']}\n  ours: {checks['ours']}")
        best = dict.fromkeys(IMPLS, 0.0)
        for r in range(rounds):
            order = IMPLS if r % 2 == 0 else IMPLS[::-1]
            for impl in order:
                rate = worker(impl, "inproc", name, str(seconds))["rate"]
                best[impl] = max(best[impl], rate)
        results[name] = best
        log(
            f"[inproc] {name:14s} ref {best['reference']:>10.0f}  ours {best['ours']:>10.0f}  "
            f"x{best['ours'] / best['reference']:.2f}"
        )
    return results


def peer_scenarios(peers: list[str], scenarios: list[str]) -> dict[str, list[str]]:
    """Which of the scenarios each peer's app module has (a peer leaves out what it cannot express)."""
    return {peer: [s for s in scenarios if s in worker(peer, "list")] for peer in peers}


def check_peers(name: str, impls: list[str]) -> None:
    """One request each, checked against the reference's answer before anything is timed.

    The status must be the scenario's; the body must mean the same (JSON compared as data: the frameworks'
    encoders space it differently); the headers the scenario's middleware adds must be there.
    """
    ref = worker("reference", "check", name)
    for impl in impls:
        c = worker(impl, "check", name)
        problems = []
        if not c["ok"]:
            problems.append(f"status {c['status']}")
        if c.get("meaning", c["digest"]) != ref.get("meaning", ref["digest"]):
            problems.append(f"body {c.get('body', '')[:120]!r}, reference {ref.get('body', '')[:120]!r}")
        missing = [h for h in REQUIRED_HEADERS.get(name, []) if h not in c.get("headers", [])]
        if missing:
            problems.append(f"missing headers {missing}")
        if problems:
            raise SystemExit(f"{name}: {impl} answered wrongly: {'; '.join(problems)}")


def run_peers_inproc(
    scenarios: list[str], has: dict[str, list[str]], seconds: float, rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    """The in-process loop for reference, ours and the peers: results[scenario][impl] = best rate and its CPU.

    The order of the implementations rotates from round to round, so a slow spell of the machine does not
    always hit the same one. ``user_us``/``sys_us``: user and system CPU microseconds per request of the best
    round (resource.getrusage in the worker).
    """
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in scenarios:
        impls = [*IMPLS, *(p for p in has if name in has[p])]
        check_peers(name, impls)
        best: dict[str, dict[str, float]] = {impl: {"rate": 0.0} for impl in impls}
        for r in range(rounds):
            k = r % len(impls)
            for impl in impls[k:] + impls[:k]:
                out = worker(impl, "inproc", name, str(seconds))
                if out["rate"] > best[impl]["rate"]:
                    best[impl] = {"rate": out["rate"], "user_us": out["user_us"], "sys_us": out["sys_us"]}
        results[name] = best
        ref = best["reference"]["rate"]
        rates = "  ".join(f"{i} {v['rate']:.0f} (x{v['rate'] / ref:.2f})" for i, v in best.items())
        log(f"[inproc] {name:14s} {rates}")
    return results


def check_specs(scenarios: list[str]) -> None:
    """The peers' requests (peers/common.py) must be the very ones apps.py builds; checked in our venv."""
    out = worker("ours", "specs", *scenarios)
    if out["differ"]:
        raise SystemExit(f"peers/common.py and apps.py build different requests for {out['differ']}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


# Request headers the over-the-wire scenarios need (the same ones the in-process requests carry).
WIRE_HEADERS = {
    "middleware4": ["Host: example.com", "Origin: https://app.example.org", "Accept-Encoding: gzip, deflate"],
}


def wrk(url: str, seconds: float, connections: int, headers: list[str] = ()) -> tuple[float, int]:  # type: ignore[assignment]
    """Requests per second and the number of requests completed."""
    extra = [arg for header in headers for arg in ("-H", header)]
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", *extra, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = None
    total = 0
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            rate = float(line.split()[1])
        elif " requests in " in line:
            total = int(line.split()[0])
        if "Non-2xx" in line or "Socket errors" in line:
            raise SystemExit(f"wrk {url}: {line.strip()} (the benchmark app must answer 2xx)")
    if rate is None or not total:
        raise SystemExit(f"could not parse wrk output:\n{out}")
    return rate, total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(impl: str, name: str) -> tuple[subprocess.Popen[str], int]:
    """A uvicorn worker serving one scenario on a free port, once it accepts connections; and the port."""
    port = free_port()
    proc = subprocess.Popen(
        [str(venv_python(impl)), str(WORKER), "serve", name, str(port)],
        cwd=str(HERE),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_port(port, proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc, port


def run_wire_one(impl: str, name: str, seconds: float, connections: int) -> tuple[float, float]:
    """Requests per second, and the server's CPU microseconds per request (robust to other load)."""
    proc, port = start_server(impl, name)
    try:
        path = {
            "hello": "/",
            "params_20": "/r19/widget/42",
            "middleware4": "/",
            "basehttp": "/",
            "streaming": "/stream",
            "bare": "/",
        }[name]
        url = f"http://127.0.0.1:{port}{path}"
        headers = WIRE_HEADERS.get(name, [])
        wrk(url, 1, connections, headers)  # warm-up
        cpu_before = cpu_seconds(proc.pid)
        rate, total = wrk(url, seconds, connections, headers)
        cpu = cpu_seconds(proc.pid) - cpu_before
        return rate, cpu / total * 1e6
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_wire(
    scenarios: list[str], seconds: float, rounds: int, connections: int
) -> dict[str, dict[str, dict[str, float]]]:
    if shutil.which("wrk") is None:
        log("[wire] wrk not found (apt-get install -y wrk); skipping over-the-wire runs")
        return {}
    names = ["bare", *scenarios]
    results = {name: {impl: {"rate": 0.0, "cpu": float("inf")} for impl in IMPLS} for name in names}
    # Every round visits the bare app and every scenario, so a slow spell of the machine hits them all alike
    # (the bare app is what hello is compared with).
    for r in range(rounds):
        order = IMPLS if r % 2 == 0 else IMPLS[::-1]
        for name in names:
            for impl in order:
                rate, cpu = run_wire_one(impl, name, seconds, connections)
                best = results[name][impl]
                best["rate"] = max(best["rate"], rate)
                best["cpu"] = min(best["cpu"], cpu)
    for name in names:
        ref, ours = results[name]["reference"], results[name]["ours"]
        log(
            f"[wire]   {name:14s} ref {ref['rate']:>8.0f} req/s {ref['cpu']:>6.1f} us  "
            f"ours {ours['rate']:>8.0f} req/s {ours['cpu']:>6.1f} us"
        )
    return results


def run_wire_pairs(pairs: int, connections: int) -> dict[str, dict[str, float]]:
    """hello / bare over the wire, from short back-to-back slices with both servers kept running.

    Best-of-N rates of separate 3-second runs, each on a fresh server, moved between 65% and 128% for the same
    code on this shared machine. Here both servers stay up (one per implementation at a time) and 1-second
    wrk slices alternate between them; each pair of adjacent slices gives a ratio, and the median over the
    pairs is reported, for the request rate and for the server CPU time per request.
    """
    results: dict[str, dict[str, float]] = {}
    for impl in IMPLS:
        servers: dict[str, tuple[subprocess.Popen[str], int]] = {}
        try:
            for name in ("bare", "hello"):
                servers[name] = start_server(impl, name)
            for _, port in servers.values():
                wrk(f"http://127.0.0.1:{port}/", 1, connections)  # warm-up
            rate_ratios: list[float] = []
            cpu_ratios: list[float] = []
            for i in range(pairs):
                rate: dict[str, float] = {}
                cpu: dict[str, float] = {}
                for name in ("bare", "hello") if i % 2 == 0 else ("hello", "bare"):
                    proc, port = servers[name]
                    before = cpu_seconds(proc.pid)
                    rate[name], total = wrk(f"http://127.0.0.1:{port}/", 1, connections)
                    cpu[name] = (cpu_seconds(proc.pid) - before) / total
                rate_ratios.append(rate["hello"] / rate["bare"])
                cpu_ratios.append(cpu["bare"] / cpu["hello"])
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait()
        middle = statistics.median(rate_ratios)
        low, _, high = statistics.quantiles(rate_ratios, n=4) if len(rate_ratios) > 1 else (middle, middle, middle)
        results[impl] = {
            "rate": middle,
            "rate_low": low,
            "rate_high": high,
            "cpu": statistics.median(cpu_ratios),
        }
        log(
            f"[pairs]  {impl:9s} hello / bare: {results[impl]['rate']:.1%} by rate (quartiles {low:.1%}-{high:.1%}), "
            f"{results[impl]['cpu']:.1%} by CPU"
        )
    return results


def keepalive_requests(port: int, n: int, path: str) -> None:
    """n GET requests, one after another, on one keep-alive connection (each answer read in full)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench/1.0\r\n\r\n".encode()
    buffer = b""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        for _ in range(n):
            conn.sendall(request)
            while True:
                head_end = buffer.find(b"\r\n\r\n")
                if head_end >= 0:
                    head = buffer[:head_end].lower()
                    if not head.startswith(b"http/1.1 200"):
                        raise SystemExit(f"unexpected answer: {buffer[:200]!r}")
                    length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                    end = head_end + 4 + length
                    if len(buffer) >= end:
                        buffer = buffer[end:]
                        break
                chunk = conn.recv(65536)
                if not chunk:
                    raise SystemExit("the server closed the connection")
                buffer += chunk


# A fixed hash seed: with random ones, dict layouts (and so the counts) vary by a few hundred instructions.
CALLGRIND_ENV = {**os.environ, "PYTHONHASHSEED": "0"}


def _callgrind_worker(impl: str, *args: str) -> list[str]:
    """The command that runs ``worker.py *args`` in ``impl``'s venv under callgrind (totals only, on stderr)."""
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    return [*valgrind, str(venv_python(impl)), str(WORKER), *args]


def _collected(stderr: str) -> int:
    """The instruction total that callgrind printed on ``stderr``."""
    for line in stderr.splitlines():
        if "Collected :" in line:
            return int(line.split()[-1])
    raise SystemExit(f"no instruction count from valgrind:\n{stderr[-2000:]}")


def _server_instructions(impl: str, name: str, n: int) -> int:
    """Instructions the uvicorn process runs in all, start-up and shut-down included, to answer n requests."""
    port = free_port()
    proc = subprocess.Popen(
        _callgrind_worker(impl, "serve", name, str(port)),
        cwd=str(HERE),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=CALLGRIND_ENV,
    )
    try:
        wait_port(port, proc, timeout=180)  # (its one connection is a request-less one for uvicorn)
        keepalive_requests(port, n, "/")
    finally:
        proc.send_signal(signal.SIGINT)  # uvicorn shuts down; valgrind then prints its totals
        _, err = proc.communicate(timeout=180)
    return _collected(err)


WIRE_ICOUNT_REQUESTS = (200, 1200)


def _wire_icount_one(job: tuple[str, str]) -> tuple[str, str, float]:
    impl, name = job
    small, large = WIRE_ICOUNT_REQUESTS
    # The difference between two runs is (large - small) requests' worth, without start-up and shut-down.
    return (
        impl,
        name,
        (_server_instructions(impl, name, large) - _server_instructions(impl, name, small)) / (large - small),
    )


def run_wire_icount(jobs: int) -> dict[str, dict[str, float]]:
    """Server instructions per request under uvicorn, for the bare ASGI app and hello (valgrind/callgrind).

    The over-the-wire rate on a shared machine moves by more than the difference it measures; this does not.
    Left in: uvicorn's 0.1 s ticks, whose number follows the (valgrind-slowed) wall time, a few hundred
    instructions per request at most.
    """
    if shutil.which("valgrind") is None:
        log("[wire-icount] valgrind not found; skipping")
        return {}
    from concurrent.futures import ThreadPoolExecutor

    work = [(impl, name) for name in ("bare", "hello") for impl in IMPLS]
    results: dict[str, dict[str, float]] = {"bare": {}, "hello": {}}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for impl, name, per_request in pool.map(_wire_icount_one, work):
            results[name][impl] = per_request
    for name, r in results.items():
        log(f"[wire-icount] {name:8s} ref {r['reference']:>10.0f}  ours {r['ours']:>10.0f}")
    return results


# Requests per instruction-count run: the heavy scenarios need fewer to be measured precisely.
ICOUNT_REQUESTS = {"upload_1mib": 40, "form10": 500, "streaming": 300, "basehttp": 300}


def _callgrind_instructions(impl: str, name: str, n: int) -> int:
    out = subprocess.run(
        _callgrind_worker(impl, "count", name, str(n)),
        check=True,
        capture_output=True,
        text=True,
        cwd=str(HERE),
        env=impl_env(impl, CALLGRIND_ENV),
    )
    return _collected(out.stderr)


def _icount_one(job: tuple[str, str, int]) -> tuple[str, str, float]:
    impl, name, n = job
    # Two runs, 1 and n+1 requests: the difference is n requests' worth, without start-up and imports.
    base = _callgrind_instructions(impl, name, 1)
    full = _callgrind_instructions(impl, name, n + 1)
    return impl, name, (full - base) / n


def run_icount(
    scenarios: list[str], jobs: int, peers: dict[str, list[str]] | None = None
) -> dict[str, dict[str, float]]:
    """Instructions per request (valgrind/callgrind): deterministic, unaffected by other load on the machine.

    ``peers``: peer name -> the scenarios it has; those are counted too (results[scenario][peer]).
    """
    if shutil.which("valgrind") is None:
        log("[icount] valgrind not found (apt-get install -y valgrind); skipping")
        return {}
    from concurrent.futures import ThreadPoolExecutor

    impls = [*IMPLS, *(peers or {})]
    work = [
        (impl, name, ICOUNT_REQUESTS.get(name, 2000))
        for name in scenarios
        for impl in impls
        if impl in IMPLS or name in (peers or {})[impl]
    ]
    results: dict[str, dict[str, float]] = {name: {} for name in scenarios}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for impl, name, per_request in pool.map(_icount_one, work):
            results[name][impl] = per_request
    for name, r in results.items():
        ratio = r["reference"] / r["ours"]
        others = "".join(f"  {p} {r[p]:>10.0f}" for p in peers or {} if p in r)
        log(f"[icount] {name:14s} ref {r['reference']:>10.0f}  ours {r['ours']:>10.0f}  x{ratio:.2f}{others}")
    return results


def run_import(n: int) -> dict[str, float]:
    for impl in IMPLS:
        worker(impl, "import")  # warm-up: byte-code caches of freshly edited sources get written
    best = {impl: float("inf") for impl in IMPLS}
    for r in range(n):
        order = IMPLS if r % 2 == 0 else IMPLS[::-1]
        for impl in order:
            best[impl] = min(best[impl], worker(impl, "import")["seconds"])
    log(f"[import] ref {best['reference'] * 1000:.1f} ms  ours {best['ours'] * 1000:.1f} ms")
    return best


def run_memory(n: int) -> dict[str, float]:
    res = {impl: worker(impl, "memory", str(n))["maxrss_kib"] / 1024 for impl in IMPLS}
    log(f"[memory] ref {res['reference']:.1f} MiB  ours {res['ours']:.1f} MiB")
    return res


# --------------------------------------------------------------------------- report


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def report(
    args: argparse.Namespace,
    units: dict[str, str],
    inproc: dict,
    icount: dict,
    wire: dict,
    wire_pairs: dict,
    wire_icount: dict,
    imp: dict,
    mem: dict,
    peers: dict[str, typing.Any] | None = None,
) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"Command: `{' '.join(['python3', 'benchmarks/run.py', *sys.argv[1:]])}`  ")
    add(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M')}; "
        f"best of {args.rounds} alternating rounds of {args.seconds}s per implementation and scenario."
    )
    add("")
    if inproc:
        add("### In-process (app(scope, receive, send) in a loop, no server)")
        add("")
        add("| scenario | unit | reference | ours | ours / ref | target | met |")
        add("|---|---|---:|---:|---:|---:|:---:|")
        for name, r in inproc.items():
            ratio = r["ours"] / r["reference"]
            target = TARGETS.get(name)
            met = "" if target is None else ("yes" if ratio >= target else "**NO**")
            tgt = "" if target is None else f"≥ {target:g}{X}"
            add(
                f"| {name} | {units[name]} | {fmt_rate(r['reference'])} | {fmt_rate(r['ours'])} | "
                f"{ratio:.2f}{X} | {tgt} | {met} |"
            )
        if "params_20" in inproc and "params_200" in inproc:
            flat = inproc["params_200"]["ours"] / inproc["params_20"]["ours"]
            ref_flat = inproc["params_200"]["reference"] / inproc["params_20"]["reference"]
            add("")
            add(
                f"Route-count flatness, rate with 200 routes / rate with 20 routes: ours {flat:.2f}, "
                f"reference {ref_flat:.2f} (target: ours ≥ 0.90 — {'yes' if flat >= 0.9 else '**NO**'})."
            )
        add("")
    if icount:
        add("### Instructions per request (valgrind --tool=callgrind, in-process, same loop as above)")
        add("")
        add("Deterministic: counts CPU instructions, so other load on the machine cannot skew it. Ratio is")
        add("reference / ours, i.e. how many times less work ours does per request.")
        add("")
        add("| scenario | reference | ours | ref / ours | target | met |")
        add("|---|---:|---:|---:|---:|:---:|")
        for name, r in icount.items():
            ratio = r["reference"] / r["ours"]
            target = TARGETS.get(name)
            met = "" if target is None else ("yes" if ratio >= target else "**NO**")
            tgt = "" if target is None else f"≥ {target:g}{X}"
            add(f"| {name} | {r['reference']:,.0f} | {r['ours']:,.0f} | {ratio:.2f}{X} | {tgt} | {met} |")
        if "params_20" in icount and "params_200" in icount:
            flat = icount["params_20"]["ours"] / icount["params_200"]["ours"]
            add("")
            add(f"Flatness by instructions, 20 routes / 200 routes: ours {flat:.2f} (1.00 = no extra work per route).")
        add("")
    if peers:
        lines.extend(peer_report(args, units, peers, icount))
    if wire:
        add(
            f"### Over the wire (uvicorn, httptools + uvloop, 127.0.0.1; wrk -t1 -c{args.connections} "
            f"-d{max(1, round(args.wire_seconds))}s, best of {args.wire_rounds} alternating rounds)"
        )
        add("")
        add("Requests per second, and the server process's CPU time per request (user + system, from /proc):")
        add("on a shared machine the CPU time is the steadier figure; on a dedicated core, throughput is its inverse.")
        add("")
        add("| scenario | ref req/s | ours req/s | ours / ref | ref CPU µs/req | ours CPU µs/req | bare / ours (CPU) |")
        add("|---|---:|---:|---:|---:|---:|---:|")
        bare_cpu = min(v["cpu"] for v in wire["bare"].values())
        for name, r in wire.items():
            ref, ours = r["reference"], r["ours"]
            label = "bare ASGI callable" if name == "bare" else name
            ratio = ours["rate"] / ref["rate"]
            add(
                f"| {label} | {fmt_rate(ref['rate'])} | {fmt_rate(ours['rate'])} | {ratio:.2f}{X} | "
                f"{ref['cpu']:.1f} | {ours['cpu']:.1f} | {bare_cpu / ours['cpu']:.0%} |"
            )
        if "hello" in wire:
            bare_rate = max(v["rate"] for v in wire["bare"].values())
            by_rate = wire["hello"]["ours"]["rate"] / bare_rate
            by_cpu = bare_cpu / wire["hello"]["ours"]["cpu"]
            add("")
            add(
                f"hello vs the bare ASGI callable on the same uvicorn, from the best rounds above: {by_rate:.0%} of "
                f"its requests/s; {by_cpu:.0%} by the server's CPU time per request."
            )
        if wire_pairs:
            add("")
            add(
                f"hello vs the bare ASGI callable, both servers kept running, {args.wire_pairs} pairs of back-to-back "
                "1-second wrk slices (median of the pairs' ratios; see `run_wire_pairs`):"
            )
            add("")
            add(
                "| implementation | hello / bare, requests/s | the pairs' middle half (quartiles) "
                "| bare / hello, server CPU per request |"
            )
            add("|---|---:|---:|---:|")
            for impl in IMPLS:
                pair = wire_pairs[impl]
                add(
                    f"| {impl} | {pair['rate']:.1%} | {pair['rate_low']:.1%} to {pair['rate_high']:.1%} "
                    f"| {pair['cpu']:.1%} |"
                )
            ours = wire_pairs["ours"]["rate"]
            add("")
            met = "yes" if ours >= 0.85 else "**NO**"
            add(f"Target: hello ≥ 85% of the bare app's requests/s — {met} ({ours:.1%}).")
        add("")
    if wire_icount:
        small, large = WIRE_ICOUNT_REQUESTS
        add("### Server instructions per request over the wire (valgrind --tool=callgrind on the uvicorn process)")
        add("")
        add(
            f"One keep-alive connection, requests sent one after another; runs of {small} and {large} requests, "
            "the difference divided by their difference. Deterministic but for uvicorn's 0.1 s ticks, whose number "
            "follows the slowed-down wall time (a few hundred instructions per request at most)."
        )
        add("")
        add("| app | reference | ours |")
        add("|---|---:|---:|")
        for name, r in wire_icount.items():
            label = "bare ASGI callable" if name == "bare" else name
            add(f"| {label} | {r['reference']:,.0f} | {r['ours']:,.0f} |")
        by_instructions = wire_icount["bare"]["ours"] / wire_icount["hello"]["ours"]
        add("")
        add(
            f"hello vs the bare ASGI callable, by server instructions per request: {by_instructions:.1%} "
            f"(target ≥ 85% — {'yes' if by_instructions >= 0.85 else '**NO**'})."
        )
        add("")
    if imp:
        ratio = imp["ours"] / imp["reference"]
        add(f"### Import time of `starlette.applications` (fresh process, best of {args.import_runs})")
        add("")
        add("| reference | ours | ours / ref | target | met |")
        add("|---:|---:|---:|---:|:---:|")
        add(
            f"| {imp['reference'] * 1000:.1f} ms | {imp['ours'] * 1000:.1f} ms | {ratio:.2f} | ≤ 0.50 | "
            f"{'yes' if ratio <= 0.5 else '**NO**'} |"
        )
        add("")
    if mem:
        add(f"### Peak memory (ru_maxrss after importing and serving {args.memory_requests:,} hello requests)")
        add("")
        add("| reference | ours |")
        add("|---:|---:|")
        add(f"| {mem['reference']:.1f} MiB | {mem['ours']:.1f} MiB |")
        add("")
    return "\n".join(lines)


def peer_report(
    args: argparse.Namespace, units: dict[str, str], peers: dict[str, typing.Any], icount: dict[str, dict[str, float]]
) -> list[str]:
    """The side-by-side tables: one column per implementation, "—" where a peer has no such scenario."""
    lines: list[str] = []
    add = lines.append
    impls = [*IMPLS, *peers["has"]]
    labels = {"reference": "reference (starlette 0.47.3)", "ours": "ours"}
    labels.update({p: PEERS[p]["label"] for p in peers["has"]})
    head = "| scenario | " + " | ".join(labels[i] for i in impls) + " |"
    rule = "|---|" + "---:|" * len(impls)
    inproc = peers["inproc"]
    if inproc:
        add("### Side by side with other ASGI frameworks: in-process")
        add("")
        add(
            f"Same driver and loop as above (`app(scope, receive, send)`, rate per CPU second, best of {args.rounds} "
            "round(s), the order rotating each round); each cell is the rate and, in brackets, the ratio to the "
            "reference. —: the framework has no such scenario here (see the README)."
        )
        add("")
        add(head)
        add(rule)
        for name, r in inproc.items():
            ref = r["reference"]["rate"]
            cells = [f"{fmt_rate(r[i]['rate'])} ({r[i]['rate'] / ref:.2f}{X})" if i in r else "—" for i in impls]
            add(f"| {name} ({units[name]}) | " + " | ".join(cells) + " |")
        if "upload_1mib" in inproc:
            r = inproc["upload_1mib"]
            add("")
            add("upload_1mib, CPU microseconds per request from `resource.getrusage` (user + system):")
            add("")
            add(head.replace("| scenario |", "| |"))
            add(rule)
            cells = [
                f"{r[i]['user_us'] + r[i]['sys_us']:,.0f} ({r[i]['user_us']:,.0f} + {r[i]['sys_us']:,.0f})"
                if i in r
                else "—"
                for i in impls
            ]
            add("| CPU µs per request: total (user + system) | " + " | ".join(cells) + " |")
        add("")
    if icount and any(p in r for r in icount.values() for p in peers["has"]):
        add("### Side by side with other ASGI frameworks: instructions per request (callgrind)")
        add("")
        add(
            "Thousands of instructions per request (per session of 10 messages for websocket), and the ratio to "
            "the reference."
        )
        add("")
        add(head)
        add(rule)
        for name, r in icount.items():
            ref = r["reference"]
            cells = [f"{r[i] / 1000:,.1f}k ({r[i] / ref:.2f}{X})" if i in r else "—" for i in impls]
            add(f"| {name} | " + " | ".join(cells) + " |")
        add("")
    for line in peers["probes"].values():
        add(f"- {line}")
    if peers["probes"]:
        add("")
    return lines


def parse_peers(value: str | None) -> list[str]:
    if not value:
        return []
    names = list(PEERS) if value == "all" else value.split(",")
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        raise SystemExit(f"unknown peers {unknown}; known: all, {', '.join(PEERS)}")
    return names


def probe(peer: str) -> str | None:
    code = PEERS[peer].get("probe")
    if code is None:
        return None
    out = subprocess.run([str(venv_python(peer)), "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--python", default=sys.executable, help="interpreter for both venvs (default: this one)")
    p.add_argument("--rebuild", action="store_true", help="recreate the venvs")
    p.add_argument("--only", help="comma-separated scenarios (default: all)")
    p.add_argument("--seconds", type=float, default=1.0, help="in-process measuring time per run")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per scenario (best is kept)")
    p.add_argument("--no-inproc", action="store_true")
    p.add_argument("--no-wire", action="store_true")
    p.add_argument("--wire-seconds", type=float, default=3.0)
    p.add_argument("--wire-rounds", type=int, default=2)
    p.add_argument("--wire-pairs", type=int, default=40, help="back-to-back slice pairs for hello vs bare")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--import-runs", type=int, default=15)
    p.add_argument("--memory-requests", type=int, default=10000)
    p.add_argument("--no-extras", action="store_true", help="skip import-time and memory")
    p.add_argument("--icount", action="store_true", help="also count instructions per request with valgrind")
    p.add_argument("--jobs", type=int, default=2, help="parallel valgrind runs for --icount")
    p.add_argument("--quick", action="store_true", help="short runs (0.5 s, 2 rounds, 2 s over the wire)")
    p.add_argument("--out", help="also write the markdown report to this file")
    p.add_argument(
        "--peers",
        help=f"add columns for other frameworks to the in-process and --icount modes: all, or {','.join(PEERS)}",
    )
    p.add_argument("--profile", metavar="SCENARIO", help="cProfile ours (or --impl) on one scenario and exit")
    p.add_argument("--impl", default="ours", choices=IMPLS, help="implementation for --profile")
    p.add_argument("--sort", default="tottime", help="pstats sort key for --profile")
    args = p.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.wire_seconds, args.wire_rounds, args.import_runs = 0.5, 2, 2.0, 1, 7
        args.wire_pairs = 3

    peer_names = parse_peers(args.peers)
    global PEER_RUN
    PEER_RUN = bool(peer_names)
    VENVS.mkdir(exist_ok=True)
    for impl in [*IMPLS, *peer_names]:
        ensure_venv(impl, args.python, args.rebuild)

    if args.profile:
        subprocess.run(
            [str(venv_python(args.impl)), str(WORKER), "profile", args.profile, str(args.seconds * 2), args.sort],
            check=True,
            cwd=str(HERE),
        )
        return

    units: dict[str, str] = worker("ours", "list")
    scenarios = list(units)
    if args.only:
        wanted = args.only.split(",")
        unknown = [s for s in wanted if s not in units]
        if unknown:
            raise SystemExit(f"unknown scenarios {unknown}; known: {', '.join(units)}")
        scenarios = wanted

    peers: dict[str, typing.Any] = {}
    if peer_names:
        check_specs(scenarios)
        has = peer_scenarios(peer_names, scenarios)
        probes = {p: line for p in peer_names if (line := probe(p))}
        # With peers, one rotation covers all the columns; the reference/ours table comes from the same runs.
        both = {} if args.no_inproc else run_peers_inproc(scenarios, has, args.seconds, args.rounds)
        inproc = {name: {impl: r[impl]["rate"] for impl in IMPLS} for name, r in both.items()}
        peers = {"has": has, "inproc": both, "probes": probes}
    else:
        inproc = {} if args.no_inproc else run_inproc(scenarios, args.seconds, args.rounds)
    icount = run_icount(scenarios, args.jobs, peers.get("has")) if args.icount else {}
    wire_scen = [s for s in WIRE_SCENARIOS if s in scenarios]
    wire = (
        {}
        if args.no_wire or not wire_scen
        else run_wire(wire_scen, args.wire_seconds, args.wire_rounds, args.connections)
    )
    wire_pairs = run_wire_pairs(args.wire_pairs, args.connections) if wire and "hello" in wire_scen else {}
    wire_icount = run_wire_icount(args.jobs) if args.icount and not args.no_wire and "hello" in wire_scen else {}
    imp = {} if args.no_extras else run_import(args.import_runs)
    mem = {} if args.no_extras else run_memory(args.memory_requests)

    text = report(args, units, inproc, icount, wire, wire_pairs, wire_icount, imp, mem, peers)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
