#!/usr/bin/env python3
"""Compare our Starlette implementation with the reference (starlette==0.47.3), side by side.

    python3 benchmarks/run.py            # everything: in-process, over the wire, import time, memory
    python3 benchmarks/run.py --quick    # shorter runs
    python3 benchmarks/run.py --only hello,params_20 --no-wire
    python3 benchmarks/run.py --profile basehttp     # cProfile our implementation on one scenario
    python3 benchmarks/run.py --issue21 --out /tmp/bench21.md   # everything issue 21 asks for (README)

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
# Installed in the reference's and our venvs only: the second server of the over-the-wire comparison (--servers).
SERVER_EXTRA = ["granian==2.8.9"]

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
        reqs = ["starlette==0.47.3", *THIRD_PARTY, *SERVER_EXTRA]
    elif impl == "ours":
        reqs = [*THIRD_PARTY, *SERVER_EXTRA]
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
    if not rebuild and marker.exists() and venv_python(impl).exists():
        old = json.loads(marker.read_text())
        if old == json.loads(spec):
            return
        added = [r for r in reqs if r not in old["reqs"]]
        if old["python"] == python and set(old["reqs"]) <= set(reqs) and "-e" not in added:
            # Only new pins (granian): installed beside the others, so a venv in use by someone else stays up.
            log(f"[setup] adding {added} to {path}")
            subprocess.run(
                [uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(venv_python(impl)), *added],
                check=True,
            )
            marker.write_text(spec)
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


def wrk(
    url: str,
    seconds: float,
    connections: int,
    headers: list[str] = (),  # type: ignore[assignment]
    threads: int = 1,
) -> tuple[float, int]:
    """Requests per second and the number of requests completed."""
    extra = [arg for header in headers for arg in ("-H", header)]
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", *extra, url],
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
    """User + system CPU time so far of a process and its live descendants (server workers; Linux /proc)."""
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{current}/task/{current}/children") as f:
                todo += [int(child) for child in f.read().split()]
        except FileNotFoundError:  # exited meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident memory of a process now (VmRSS, KiB)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"no VmRSS for {pid}")


# The URL path of each scenario served over the wire ("bare": the hand-written floor, peers/bare_app.py).
WIRE_PATHS = {
    "bare": "/",
    "hello": "/",
    "params_20": "/r19/widget/42",
    "middleware4": "/",
    "basehttp": "/",
    "streaming": "/stream",
}
SERVERS = ("uvicorn", "granian")


def start_server(
    impl: str, name: str, server: str = "uvicorn", workers: int = 1, command: list[str] | None = None
) -> tuple[subprocess.Popen[str], int]:
    """A server (uvicorn or granian) serving one scenario on a free port, once it accepts connections; the port.

    In a process group of its own (stop_server ends the group: server workers included). ``command``: the
    command prefix to run worker.py with (valgrind) instead of the venv's python.
    """
    port = free_port()
    proc = subprocess.Popen(
        [*(command or [str(venv_python(impl)), str(WORKER)]), "serve", name, str(port), server, str(workers)],
        cwd=str(HERE),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=impl_env(impl, CALLGRIND_ENV if command else dict(os.environ)),
        start_new_session=True,
    )
    try:
        wait_port(port, proc, timeout=180 if command else 20)
    except BaseException:
        stop_server(proc, signal.SIGKILL)
        raise
    return proc, port


def stop_server(proc: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 10) -> str:
    """Signal the server's process group, wait for the server; its stderr (valgrind's totals, if any)."""
    try:
        os.killpg(proc.pid, sig)
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    except ProcessLookupError:
        _, err = proc.communicate()
    return err or ""


def run_wire_one(impl: str, name: str, seconds: float, connections: int) -> tuple[float, float]:
    """Requests per second, and the server's CPU microseconds per request (robust to other load)."""
    proc, port = start_server(impl, name)
    try:
        url = f"http://127.0.0.1:{port}{WIRE_PATHS[name]}"
        headers = WIRE_HEADERS.get(name, [])
        wrk(url, 1, connections, headers)  # warm-up
        cpu_before = cpu_seconds(proc.pid)
        rate, total = wrk(url, seconds, connections, headers)
        cpu = cpu_seconds(proc.pid) - cpu_before
        return rate, cpu / total * 1e6
    finally:
        stop_server(proc)


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


Server = tuple[subprocess.Popen[str], int]


def quartile_summary(values: list[float]) -> dict[str, float]:
    middle = statistics.median(values)
    low, _, high = statistics.quantiles(values, n=4) if len(values) > 1 else (middle, middle, middle)
    return {"rate": middle, "rate_low": low, "rate_high": high}


def slice_pairs(
    servers: dict[str, tuple[Server, str]],
    ratios: list[tuple[str, str]],
    pairs: int,
    connections: int,
    threads: int = 1,
) -> dict[str, dict[str, float]]:
    """Ratios of request rates (and of server CPU per request) from back-to-back 1-second wrk slices.

    ``servers``: label -> (running server, URL path). Each round gives every server a slice, in an order that
    reverses from round to round; ``ratios`` (numerator, denominator labels) are taken within each round, and
    the median and quartiles over the rounds reported: a slow spell of the machine hits both sides of a ratio.
    """
    urls = {label: f"http://127.0.0.1:{port}{path}" for label, ((_proc, port), path) in servers.items()}
    for url in urls.values():
        wrk(url, 1, connections, threads=threads)  # warm-up
    rate_ratios: dict[str, list[float]] = {num: [] for num, _ in ratios}
    cpu_ratios: dict[str, list[float]] = {num: [] for num, _ in ratios}
    labels = list(servers)
    for i in range(pairs):
        rate: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for label in labels if i % 2 == 0 else labels[::-1]:
            proc = servers[label][0][0]
            before = cpu_seconds(proc.pid)
            rate[label], total = wrk(urls[label], 1, connections, threads=threads)
            cpu[label] = (cpu_seconds(proc.pid) - before) / total
        for num, den in ratios:
            rate_ratios[num].append(rate[num] / rate[den])
            cpu_ratios[num].append(cpu[den] / cpu[num] if cpu[num] else float("nan"))
    return {
        num: {**quartile_summary(rate_ratios[num]), "cpu": statistics.median(cpu_ratios[num])} for num in rate_ratios
    }


def wire_pairs_one(
    impl: str, server: str, scenarios: list[str], pairs: int, connections: int
) -> dict[str, dict[str, float]]:
    """scenario / bare for one implementation on one server (every app in that implementation's venv)."""
    servers: dict[str, tuple[Server, str]] = {}
    try:
        for name in ["bare", *scenarios]:
            servers[name] = (start_server(impl, name, server), WIRE_PATHS[name])
        return slice_pairs(servers, [(name, "bare") for name in scenarios], pairs, connections)
    finally:
        for (proc, _port), _path in servers.values():
            stop_server(proc)


def run_wire_pairs(
    pairs: int, connections: int, servers: list[str], scenarios: list[str], peers: dict[str, list[str]] | None = None
) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """scenario / bare over the wire, from short back-to-back slices with the servers kept running.

    Best-of-N rates of separate 3-second runs, each on a fresh server, moved between 65% and 128% for the same
    code on this shared machine. Here the bare app and the scenarios stay up (one implementation at a time) and
    1-second wrk slices alternate between them (see slice_pairs). results[server][impl][scenario]. Peers
    (``peers``: name -> scenarios it has) run on uvicorn only (granian is installed in our and the reference's
    venvs).
    """
    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for server in servers:
        jobs = dict.fromkeys(IMPLS, scenarios)
        if server == "uvicorn":
            jobs.update({p: [s for s in scenarios if s in has] for p, has in (peers or {}).items() if p != "bare"})
        results[server] = {}
        for impl, names in jobs.items():
            if not names:
                continue
            got = results[server][impl] = wire_pairs_one(impl, server, names, pairs, connections)
            for name, r in got.items():
                log(
                    f"[pairs]  {server:8s} {impl:13s} {name}/bare: {r['rate']:.1%} by rate "
                    f"(quartiles {r['rate_low']:.1%}-{r['rate_high']:.1%}), {r['cpu']:.1%} by CPU"
                )
    return results


def run_worker_pairs(pairs: int, connections: int, scenarios: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Rate with 2 uvicorn workers / with 1, per implementation and scenario (wrk with 2 threads for both)."""
    results: dict[str, dict[str, dict[str, float]]] = {}
    for impl in IMPLS:
        servers: dict[str, tuple[Server, str]] = {}
        try:
            for name in scenarios:
                for workers in (1, 2):
                    servers[f"{name}@{workers}"] = (start_server(impl, name, "uvicorn", workers), WIRE_PATHS[name])
            got = slice_pairs(servers, [(f"{n}@2", f"{n}@1") for n in scenarios], pairs, connections, threads=2)
        finally:
            for (proc, _port), _path in servers.values():
                stop_server(proc)
        results[impl] = {name.split("@")[0]: r for name, r in got.items()}
        for name, r in results[impl].items():
            log(f"[workers] {impl:9s} {name}: 2 workers / 1 = {r['rate']:.2f} by rate, {r['cpu']:.2f} CPU/request 1/2")
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
    """The instruction total that callgrind printed on ``stderr``, summed over the processes it followed."""
    counts = [int(line.split()[-1]) for line in stderr.splitlines() if "Collected :" in line]
    if not counts:
        raise SystemExit(f"no instruction count from valgrind:\n{stderr[-2000:]}")
    return sum(counts)


def _server_instructions(impl: str, name: str, n: int, server: str) -> int:
    """Instructions the server runs in all, start-up and shut-down included, to answer n requests.

    granian runs its worker in a forked process: callgrind follows it and prints a total for each process.
    """
    proc, port = start_server(impl, name, server, command=_callgrind_worker(impl))
    try:
        keepalive_requests(port, n, WIRE_PATHS[name])
    finally:  # SIGINT: the server shuts down, and valgrind prints its totals
        err = stop_server(proc, signal.SIGINT, timeout=180)
    return _collected(err)


WIRE_ICOUNT_REQUESTS = (200, 1200)


def _wire_icount_one(job: tuple[str, str, str]) -> tuple[str, str, str, float]:
    impl, server, name = job
    small, large = WIRE_ICOUNT_REQUESTS
    # The difference between two runs is (large - small) requests' worth, without start-up and shut-down.
    full = _server_instructions(impl, name, large, server)
    base = _server_instructions(impl, name, small, server)
    return impl, server, name, (full - base) / (large - small)


def run_wire_icount(
    jobs: int, servers: list[str], scenarios: list[str], peers: dict[str, list[str]] | None = None
) -> dict[str, dict[str, dict[str, float]]]:
    """Server instructions per request (valgrind/callgrind), for the bare ASGI app and ``scenarios``.

    results[server][scenario][impl]. The over-the-wire rate on a shared machine moves by more than the
    difference it measures; this does not. Left in: the servers' timer ticks, whose number follows the
    (valgrind-slowed) wall time, a few hundred instructions per request at most. Peers: on uvicorn only.
    """
    if shutil.which("valgrind") is None:
        log("[wire-icount] valgrind not found; skipping")
        return {}
    from concurrent.futures import ThreadPoolExecutor

    names = ["bare", *scenarios]
    work = [(impl, server, name) for server in servers for name in names for impl in IMPLS]
    for peer, has in (peers or {}).items():
        work += [(peer, "uvicorn", name) for name in scenarios if name in has and peer != "bare"]
    results: dict[str, dict[str, dict[str, float]]] = {server: {name: {} for name in names} for server in servers}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for impl, server, name, per_request in pool.map(_wire_icount_one, work):
            results[server][name][impl] = per_request
            log(f"[wire-icount] {server:8s} {name:10s} {impl:13s} {per_request:>10.0f}")
    return results


# Requests per instruction-count run: the heavy scenarios need fewer to be measured precisely.
ICOUNT_REQUESTS = {"upload_1mib": 40, "form10": 500, "streaming": 300, "basehttp": 300, "params_2000": 100}
# Left out of --icount: Litestar builds its 2,000 routes in about 10 s of CPU, several minutes under valgrind.
ICOUNT_SKIP = {("litestar", "params_2000")}


def _callgrind_instructions(impl: str, name: str, n: int) -> int:
    out = subprocess.run(
        _callgrind_worker(impl, "count", name, str(n)),
        capture_output=True,
        text=True,
        cwd=str(HERE),
        env=impl_env(impl, CALLGRIND_ENV),
    )
    if out.returncode:
        raise SystemExit(f"{impl}: worker.py count {name} {n} under valgrind failed:\n{out.stderr[-3000:]}")
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
        if (impl in IMPLS or name in (peers or {})[impl]) and (impl, name) not in ICOUNT_SKIP
    ]
    for impl, name, _n in work:  # two requests without valgrind first: fail in seconds, not an hour in
        worker(impl, "count", name, "2")
    results: dict[str, dict[str, float]] = {name: {} for name in scenarios}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for impl, name, per_request in pool.map(_icount_one, work):
            results[name][impl] = per_request
            if impl not in IMPLS:
                log(f"[icount] {name:14s} {impl:13s} {per_request:>10.0f}")
    for name, r in results.items():
        ratio = r["reference"] / r["ours"]
        log(f"[icount] {name:14s} ref {r['reference']:>10.0f}  ours {r['ours']:>10.0f}  x{ratio:.2f}")
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


def run_memory(n: int, peers: list[str]) -> dict[str, float]:
    """Peak RSS (ru_maxrss, MiB) of a process that imports, builds the hello app and serves n requests in-process."""
    res = {impl: worker(impl, "memory", str(n))["maxrss_kib"] / 1024 for impl in [*IMPLS, *peers]}
    log("[memory] " + "  ".join(f"{impl} {mib:.1f} MiB" for impl, mib in res.items()))
    return res


def ws_client(port: int, n: int, messages: int) -> subprocess.Popen[str]:
    """worker.py wsclient in our venv (it has `websockets`): n connections, held open until a line on stdin."""
    return subprocess.Popen(
        [str(venv_python("ours")), str(WORKER), "wsclient", str(port), str(n), str(messages)],
        cwd=str(HERE),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def hold_connections(port: int, n: int, messages: int, pid: int) -> int:
    """Open n WebSocket connections, echo on each, and read the server's RSS (KiB) while all are open."""
    client = ws_client(port, n, messages)
    try:
        assert client.stdout is not None and client.stdin is not None
        opened = json.loads(client.stdout.readline() or "{}").get("open")
        if opened != n:
            raise SystemExit(f"WebSocket soak: {opened} of {n} connections opened")
        time.sleep(0.5)
        held = rss_kib(pid)
        client.stdin.write("\n")
        client.stdin.flush()
        client.wait(timeout=120)
        return held
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()


def run_ws_soak(n: int, impls: list[str], messages: int = 3) -> dict[str, dict[str, float]]:
    """RSS per open WebSocket connection on uvicorn serving the echo app: (RSS with n open - RSS idle) / n.

    "Idle" is after a first round of 10 connections (so lazily imported code and first-use caches are in).
    """
    results: dict[str, dict[str, float]] = {}
    for impl in impls:
        proc, port = start_server(impl, "websocket")
        try:
            hold_connections(port, 10, messages, proc.pid)
            time.sleep(0.5)
            idle = rss_kib(proc.pid)
            held = hold_connections(port, n, messages, proc.pid)
        finally:
            stop_server(proc)
        results[impl] = {"idle_mib": idle / 1024, "held_mib": held / 1024, "per_conn_kib": (held - idle) / n}
        per = (held - idle) / n
        log(f"[ws-soak] {impl:13s} idle {idle / 1024:.1f} MiB, {n} open {held / 1024:.1f} MiB: {per:.1f} KiB each")
    return results


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
    extras: dict[str, typing.Any],
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
    rates = {n: {i: v["rate"] for i, v in r.items()} for n, r in peers["inproc"].items()} if peers else inproc
    if "params_2000" in rates or "params_2000" in icount:
        lines.extend(scale_report(rates, icount))
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
        add("")
    lines.extend(wire_pairs_report(args, wire_pairs))
    lines.extend(wire_icount_report(wire_icount))
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
    lines.extend(extras_report(args, extras))
    return "\n".join(lines)


LABELS = {"reference": "reference (starlette 0.47.3)", "ours": "ours"} | {p: v["label"] for p, v in PEERS.items()}


def table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table: first column left-aligned, the others right-aligned."""
    return [
        "| " + " | ".join(head) + " |",
        "|---|" + "---:|" * (len(head) - 1),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


# Over the wire, ours as a share of the bare ASGI callable's requests/s on the same server (issue 21).
WIRE_TARGETS = {"hello": 0.90, "params_20": 0.85}


def wire_target(impl: str, name: str, ratio: float) -> str:
    target = WIRE_TARGETS.get(name)
    if impl != "ours" or target is None:
        return ""
    return f"≥ {target:.0%}: {'yes' if ratio >= target else '**NO**'}"


def wire_pairs_report(args: argparse.Namespace, wire_pairs: dict[str, typing.Any]) -> list[str]:
    """scenario / bare from the paired slices, per server and implementation; the 1 vs 2 workers ratios."""
    lines: list[str] = []
    for server, by_impl in wire_pairs.get("servers", {}).items():
        lines += [
            f"#### {server} ({'httptools, uvloop' if server == 'uvicorn' else '--interface asgi, uvloop, HTTP/1'}): "
            f"scenario vs the bare ASGI callable, {args.wire_pairs} rounds of back-to-back 1-second wrk slices",
            "",
            "Median of the rounds' ratios (requests/s), the middle half of the rounds in brackets, and the bare "
            "app's server CPU per request over the scenario's (from /proc, the server's process tree).",
            "",
        ]
        rows = [
            [
                f"{LABELS[impl]}: {'json_param (params_20)' if name == 'params_20' else name}",
                f"{r['rate']:.1%} ({r['rate_low']:.1%} to {r['rate_high']:.1%})",
                f"{r['cpu']:.1%}",
                wire_target(impl, name, r["rate"]),
            ]
            for impl, by_name in by_impl.items()
            for name, r in by_name.items()
        ]
        head = ["implementation: scenario", "scenario / bare, requests/s", "bare / scenario, CPU", "target (ours)"]
        lines += table(head, rows)
    workers = wire_pairs.get("workers", {})
    if workers:
        lines += [
            f"#### uvicorn with 2 worker processes vs 1 ({args.wire_pairs} rounds of paired 1-second slices, "
            f"wrk -t2 -c{args.connections})",
            "",
        ]
        rows = [
            [f"{LABELS[impl]}: {name}", f"{r['rate']:.2f}{X} ({r['rate_low']:.2f} to {r['rate_high']:.2f})"]
            for impl, by_name in workers.items()
            for name, r in by_name.items()
        ]
        lines += table(["implementation: scenario", "requests/s, 2 workers / 1"], rows)
    return lines


def wire_icount_report(wire_icount: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """Server instructions per request, per server: each app's count and, for a scenario, bare / scenario."""
    lines: list[str] = []
    small, large = WIRE_ICOUNT_REQUESTS
    for server, by_name in wire_icount.items():
        lines += [
            f"#### Server instructions per request over the wire ({server}, valgrind --tool=callgrind)",
            "",
            f"One keep-alive connection, requests one after another; runs of {small} and {large} requests, the "
            "difference divided by theirs (every process of the server counted). In brackets: the bare ASGI "
            "callable's count over the scenario's (ours' bare count for the peers: the same server and pins).",
            "",
        ]
        impls = [i for i in LABELS if any(i in r for r in by_name.values())]
        bare = by_name.get("bare", {})
        rows = []
        for name, r in by_name.items():
            cells = []
            for impl in impls:
                floor = bare.get(impl, bare.get("ours"))
                ratio = "" if name == "bare" or impl not in r or not floor else f" ({floor / r[impl]:.1%})"
                cells.append(f"{r[impl]:,.0f}{ratio}" if impl in r else "—")
            rows.append(["json_param (params_20)" if name == "params_20" else name, *cells])
        lines += table(["app", *(LABELS[i] for i in impls)], rows)
    return lines


def scale_report(rates: dict[str, dict[str, float]], icount: dict[str, dict[str, float]]) -> list[str]:
    """json_param with 20, 200 and 2,000 routes: rate and instructions relative to 20 routes (1.00 = flat)."""
    sizes = [s for s in ("params_200", "params_2000") if s in rates or s in icount]
    impls = [i for i in LABELS if i in rates.get("params_20", {}) or i in icount.get("params_20", {})]
    rows = []
    for impl in impls:
        cells = []
        for size in sizes:
            by_rate = rates.get(size, {}).get(impl), rates.get("params_20", {}).get(impl)
            by_count = icount.get("params_20", {}).get(impl), icount.get(size, {}).get(impl)
            cells.append(f"{by_rate[0] / by_rate[1]:.2f}" if all(by_rate) else "—")  # type: ignore[operator]
            cells.append(f"{by_count[0] / by_count[1]:.2f}" if all(by_count) else "—")  # type: ignore[operator]
        rows.append([LABELS[impl], *cells])
    head = [f"{n} routes / 20: {what}" for n in (s.split("_")[1] for s in sizes) for what in ("rate", "instr. 20/n")]
    return [
        "### Scale: json_param with 20, 200 and 2,000 routes (the last route matches; 1.00 = flat)",
        "",
        "Rate with n routes over the rate with 20 (in-process, per CPU second), and instructions per request with "
        "20 routes over those with n (callgrind).",
        "",
        *table(["implementation", *head], rows),
    ]


def extras_report(args: argparse.Namespace, extras: dict[str, typing.Any]) -> list[str]:
    """Peak RSS after n hello requests per framework; RSS per open WebSocket connection."""
    lines: list[str] = []
    mem = extras.get("memory", {})
    if mem:
        lines += [
            f"### Peak memory (ru_maxrss after importing and serving {args.memory_requests:,} hello requests)",
            "",
        ]
        lines += table([LABELS[i] for i in mem], [[f"{v:.1f} MiB" for v in mem.values()]])
    soak = extras.get("ws_soak", {})
    if soak:
        lines += [
            f"### WebSocket soak: {args.ws_soak:,} connections open at once on uvicorn (loopback, echo app, "
            "3 messages each)",
            "",
            "Server RSS (VmRSS) with every connection open, minus its RSS idle (after a first round of 10), "
            "divided by the number of connections.",
            "",
        ]
        rows = [
            [LABELS[i], f"{r['idle_mib']:.1f} MiB", f"{r['held_mib']:.1f} MiB", f"{r['per_conn_kib']:.1f} KiB"]
            for i, r in soak.items()
        ]
        lines += table(["implementation", "idle", f"{args.ws_soak:,} open", "per connection"], rows)
    return lines


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


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--python", default=sys.executable, help="interpreter for both venvs (default: this one)")
    p.add_argument("--rebuild", action="store_true", help="recreate the venvs")
    p.add_argument("--only", help="comma-separated scenarios (default: all but params_2000)")
    p.add_argument("--seconds", type=float, default=1.0, help="in-process measuring time per run")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds per scenario (best is kept)")
    p.add_argument("--no-inproc", action="store_true")
    p.add_argument("--no-wire", action="store_true")
    p.add_argument("--wire-seconds", type=float, default=3.0)
    p.add_argument("--wire-rounds", type=int, default=2)
    p.add_argument("--wire-pairs", type=int, default=40, help="rounds of back-to-back slices for scenario vs bare")
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
        help=f"add columns for other frameworks (in-process, --icount, memory, the uvicorn slice pairs, the "
        f"WebSocket soak): all, or {','.join(PEERS)}",
    )
    p.add_argument(
        "--servers", default="uvicorn", help="servers for the slice pairs and server instructions: uvicorn,granian"
    )
    p.add_argument(
        "--pair-scenarios", default="hello", help="scenarios compared with the bare app over the wire: hello,params_20"
    )
    p.add_argument("--workers-compare", action="store_true", help="uvicorn with 2 workers vs 1 (the pair scenarios)")
    p.add_argument("--scale", action="store_true", help="add params_2000: json_param with 20, 200 and 2,000 routes")
    p.add_argument("--ws-soak", type=int, default=0, metavar="N", help="hold N WebSocket connections, RSS per one")
    p.add_argument(
        "--issue21",
        action="store_true",
        help="everything issue 21 asks for: --icount --scale --servers uvicorn,granian --pair-scenarios "
        "hello,params_20 --workers-compare --ws-soak 1000, and --peers all unless --peers is given",
    )
    p.add_argument("--profile", metavar="SCENARIO", help="cProfile ours (or --impl) on one scenario and exit")
    p.add_argument("--impl", default="ours", choices=IMPLS, help="implementation for --profile")
    p.add_argument("--sort", default="tottime", help="pstats sort key for --profile")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    args = p.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.wire_seconds, args.wire_rounds, args.import_runs = 0.5, 2, 2.0, 1, 7
        args.wire_pairs = 3
    if args.issue21:
        args.icount = args.scale = args.workers_compare = True
        args.servers, args.pair_scenarios = "uvicorn,granian", "hello,params_20"
        args.ws_soak = args.ws_soak or 1000
        args.peers = args.peers or "all"
    unknown = [s for s in args.servers.split(",") if s not in SERVERS]
    if unknown:
        raise SystemExit(f"unknown servers {unknown}; known: {', '.join(SERVERS)}")
    return args


# Scenarios a run leaves out unless asked for (--only, --scale): 2,000 routes take the reference 5 ms a request.
EXTRA_SCENARIOS = ["params_2000"]
SCALE_SCENARIOS = ["params_20", "params_200", "params_2000"]


def pick_scenarios(args: argparse.Namespace, units: dict[str, str]) -> list[str]:
    scenarios = [s for s in units if s not in EXTRA_SCENARIOS]
    if args.only:
        scenarios = args.only.split(",")
        unknown = [s for s in scenarios if s not in units]
        if unknown:
            raise SystemExit(f"unknown scenarios {unknown}; known: {', '.join(units)}")
    if args.scale:
        scenarios += [s for s in SCALE_SCENARIOS if s not in scenarios]
    return scenarios


def run_wire_modes(
    args: argparse.Namespace, scenarios: list[str], has: dict[str, list[str]] | None
) -> tuple[dict[str, typing.Any], dict[str, typing.Any], dict[str, typing.Any]]:
    """The over-the-wire measurements: best-of rates, the slice pairs (and workers), server instructions."""
    if args.no_wire:
        return {}, {}, {}
    wire_scen = [s for s in WIRE_SCENARIOS if s in scenarios]
    pair_scen = [s for s in args.pair_scenarios.split(",") if s in scenarios]
    servers = args.servers.split(",")
    wire = run_wire(wire_scen, args.wire_seconds, args.wire_rounds, args.connections) if wire_scen else {}
    pairs: dict[str, typing.Any] = {}
    if pair_scen and shutil.which("wrk"):
        pairs["servers"] = run_wire_pairs(args.wire_pairs, args.connections, servers, pair_scen, has)
        if args.workers_compare:
            pairs["workers"] = run_worker_pairs(args.wire_pairs, args.connections, pair_scen)
    wire_icount = run_wire_icount(args.jobs, servers, pair_scen, has) if args.icount and pair_scen else {}
    return wire, pairs, wire_icount


def main() -> None:
    args = parse_args()
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
    scenarios = pick_scenarios(args, units)

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
    wire, wire_pairs, wire_icount = run_wire_modes(args, scenarios, peers.get("has"))
    imp = {} if args.no_extras else run_import(args.import_runs)
    extras: dict[str, typing.Any] = {}
    if not args.no_extras:
        extras["memory"] = run_memory(args.memory_requests, peer_names)
    if args.ws_soak:
        soaked = [p for p in peer_names if "websocket" in worker(p, "list")]
        extras["ws_soak"] = run_ws_soak(args.ws_soak, [*IMPLS, *soaked])

    text = report(args, units, inproc, icount, wire, wire_pairs, wire_icount, imp, extras, peers)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
