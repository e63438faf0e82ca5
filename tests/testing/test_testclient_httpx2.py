"""The TestClient on httpx2 when httpx itself is not installed (upstream 1.2 added httpx2 support).

httpx is a dependency of starlette-testing, so it is always installed here: each test runs a script in a fresh
interpreter whose import system refuses ``httpx``, the way an environment with only httpx2 would. httpx2 needs
Python 3.11, so the tests exist there only (the dev group installs it from 3.11 on).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

from starlette_testing.testclient import TestClient

# Installed before anything else in the child: `import httpx` (and its submodules) fails as if it were not installed.
HIDE_HTTPX = """
import importlib.abc, sys

class HideHttpx(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "httpx" or name.startswith("httpx."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideHttpx())
"""


def run_without_httpx(script: str) -> str:
    source = HIDE_HTTPX + textwrap.dedent(script)
    done = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_httpx_is_used_when_it_is_installed() -> None:
    assert issubclass(TestClient, httpx.Client)


def test_the_child_really_has_no_httpx() -> None:
    out = run_without_httpx(
        """
        try:
            import httpx
        except ModuleNotFoundError:
            print("hidden")
        """
    )
    assert out.split() == ["hidden"]


if sys.version_info >= (3, 11):

    def test_http_requests_go_through_httpx2() -> None:
        out = run_without_httpx(
            """
            import sys
            from starlette_core.requests import Request
            from starlette_core.responses import JSONResponse, PlainTextResponse
            from starlette_testing.testclient import TestClient

            async def app(scope, receive, send):
                request = Request(scope, receive)
                if scope["path"] == "/echo":
                    response = JSONResponse({"got": await request.json(), "cookie": request.cookies.get("c")})
                    response.set_cookie("seen", "yes")
                elif scope["path"] == "/":
                    response = PlainTextResponse(f"hello {request.query_params['name']}")
                else:
                    response = PlainTextResponse("missing", status_code=404)
                await response(scope, receive, send)

            client = TestClient(app)
            first = client.get("/", params={"name": "there"})
            second = client.post("/echo", json={"a": [1, 2]}, cookies={"c": "v"})
            missing = client.get("/nowhere")
            print(type(first).__module__.split(".")[0], "httpx" in sys.modules)
            print(first.status_code, first.text)
            print(second.status_code, second.json(), client.cookies.get("seen"))
            print(missing.status_code)
            """
        )
        assert out.splitlines() == [
            "httpx2 False",
            "200 hello there",
            "200 {'got': {'a': [1, 2]}, 'cookie': 'v'} yes",
            "404",
        ]

    def test_websockets_and_server_errors_work_on_httpx2() -> None:
        out = run_without_httpx(
            """
            from starlette_core.websockets import WebSocket
            from starlette_testing.testclient import TestClient

            async def app(scope, receive, send):
                if scope["type"] == "websocket":
                    websocket = WebSocket(scope, receive, send)
                    await websocket.accept()
                    await websocket.send_text("echo " + await websocket.receive_text())
                    await websocket.close()
                else:
                    raise ValueError("boom")

            client = TestClient(app)
            with client.websocket_connect("/ws") as websocket:
                websocket.send_text("hi")
                print(websocket.receive_text())
            try:
                client.get("/broken")
            except ValueError as error:
                print("raised", error)
            print(TestClient(app, raise_server_exceptions=False).get("/broken").status_code)
            """
        )
        assert out.splitlines() == ["echo hi", "raised boom", "500"]
