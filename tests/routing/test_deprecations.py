"""Every deprecated (or warned-about) entry point of upstream 0.47.3 warns as upstream does: the same category, the
same message, at the same moment (a decorator when it is made, not when it is applied; a module when it is first
imported), and attributed to the library's module (upstream's default ``stacklevel``), so the same warning filters
apply; and nothing else warns."""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Callable

import anyio
import pytest

import starlette_middleware
from starlette_core import concurrency
from starlette_core.config import Config
from starlette_core.exceptions import StarletteDeprecationWarning
from starlette_core.requests import Request
from starlette_core.responses import FileResponse, PlainTextResponse, Response
from starlette_core.websockets import WebSocket
from starlette_routing import routing
from starlette_routing.applications import Starlette
from starlette_routing.routing import Route, Router
from starlette_routing.templating import Jinja2Templates
from starlette_testing.testclient import TestClient

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette_middleware import wsgi

DOCS = "https://www.starlette.io"


async def endpoint(request: Request) -> Response:
    return PlainTextResponse("ok")


async def ws_endpoint(websocket: WebSocket) -> None:
    pass  # pragma: no cover


async def handler(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("handled")  # pragma: no cover


async def dispatch(request: Request, call_next: Any) -> Response:
    return await call_next(request)  # type: ignore[no-any-return]  # pragma: no cover


def startup() -> None:
    pass  # pragma: no cover


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    yield  # pragma: no cover


async def async_generator_lifespan(app: Any) -> AsyncIterator[None]:
    yield  # pragma: no cover


def generator_lifespan(app: Any) -> Iterator[None]:
    yield  # pragma: no cover


def deprecated(lifespan: Callable[[Any], Any]) -> Any:
    """A (deprecated) generator lifespan, typed as what the lifespan parameter takes."""
    return lifespan


async def first() -> None:
    pass


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Jinja2Templates:
    directory = tmp_path_factory.mktemp("templates")
    (directory / "page.html").write_text("{{ request.url.path }}")
    return Jinja2Templates(directory=directory)


def request() -> Request:
    app = Starlette()
    return Request({"type": "http", "method": "GET", "path": "/page", "headers": [], "app": app})


def import_wsgi_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # (The warning is the module's, at its first import: put the module back as it was afterwards.)
    monkeypatch.setattr(starlette_middleware, "wsgi", wsgi)
    monkeypatch.delitem(sys.modules, "starlette_middleware.wsgi")
    importlib.import_module("starlette_middleware.wsgi")


ON_STARTUP = (
    "The on_startup and on_shutdown parameters are deprecated, and they will be removed on version 1.0. "
    f"Use the lifespan parameter instead. See more about it on {DOCS}/lifespan/."
)
ON_EVENT = (
    "The `on_event` decorator is deprecated, and will be removed in version 1.0.0. "
    f"Refer to {DOCS}/lifespan/ for recommended approach."
)
AGEN = "async generator function lifespans are deprecated, use an @contextlib.asynccontextmanager function instead"
GEN = "generator function lifespans are deprecated, use an @contextlib.asynccontextmanager function instead"
NAME_FIRST = (
    "The `name` is not the first parameter anymore. The first parameter should be the `Request` instance.\n"
    'Replace `TemplateResponse(name, {"request": request})` by `TemplateResponse(request, name)`.'
)
REQUEST_REQUIRED = (
    "The `TemplateResponse` now requires the `request` argument.\n"
    'Replace `TemplateResponse(name, {"context": context})` by `TemplateResponse(request, name)`.'
)
TIMEOUT = (
    "You should not use the 'timeout' argument with the TestClient. "
    "See https://github.com/encode/starlette/issues/1108 for more information."
)

D = DeprecationWarning
# What upstream 1.x still warns about, it warns about with this category (a DeprecationWarning too in ours, so code
# written for 0.47.3 catches it as before).
S = StarletteDeprecationWarning
# (id, what to do, [(category, message, the module file it is attributed to)])
ENTRY_POINTS: list[tuple[str, Callable[..., Any], list[tuple[type[Warning], str, str]]]] = [
    (
        "Starlette.route",
        lambda env: Starlette().route("/"),
        [
            (
                D,
                "The `route` decorator is deprecated, and will be removed in version 1.0.0. "
                f"Refer to {DOCS}/routing/ for the recommended approach.",
                "applications.py",
            )
        ],
    ),
    (
        "Starlette.websocket_route",
        lambda env: Starlette().websocket_route("/ws"),
        [
            (
                D,
                "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. "
                f"Refer to {DOCS}/routing/#websocket-routing for the recommended approach.",
                "applications.py",
            )
        ],
    ),
    (
        "Starlette.middleware",
        lambda env: Starlette().middleware("http"),
        [
            (
                D,
                "The `middleware` decorator is deprecated, and will be removed in version 1.0.0. "
                f"Refer to {DOCS}/middleware/#using-middleware for recommended approach.",
                "applications.py",
            )
        ],
    ),
    (
        "Starlette.exception_handler",
        lambda env: Starlette().exception_handler(404),
        [
            (
                D,
                "The `exception_handler` decorator is deprecated, and will be removed in version 1.0.0. "
                f"Refer to {DOCS}/exceptions/ for the recommended approach.",
                "applications.py",
            )
        ],
    ),
    ("Starlette.on_event", lambda env: Starlette().on_event("startup"), [(D, ON_EVENT, "routing.py")]),
    ("Starlette(on_startup=)", lambda env: Starlette(on_startup=[startup]), [(D, ON_STARTUP, "routing.py")]),
    ("Starlette(on_shutdown=)", lambda env: Starlette(on_shutdown=[startup]), [(D, ON_STARTUP, "routing.py")]),
    (
        "Starlette(lifespan=async gen)",
        lambda env: Starlette(lifespan=deprecated(async_generator_lifespan)),
        [(S, AGEN, "routing.py")],
    ),
    (
        "Starlette(lifespan=gen)",
        lambda env: Starlette(lifespan=deprecated(generator_lifespan)),
        [(S, GEN, "routing.py")],
    ),
    (
        "Router.route",
        lambda env: Router().route("/"),
        [
            (
                D,
                # (no space after the first sentence, as upstream)
                "The `route` decorator is deprecated, and will be removed in version 1.0.0."
                f"Refer to {DOCS}/routing/#http-routing for the recommended approach.",
                "routing.py",
            )
        ],
    ),
    (
        "Router.websocket_route",
        lambda env: Router().websocket_route("/ws"),
        [
            (
                D,
                "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. Refer to "
                f"{DOCS}/routing/#websocket-routing for the recommended approach.",
                "routing.py",
            )
        ],
    ),
    ("Router.on_event", lambda env: Router().on_event("shutdown"), [(D, ON_EVENT, "routing.py")]),
    ("Router(on_startup=)", lambda env: Router(on_startup=[startup]), [(D, ON_STARTUP, "routing.py")]),
    ("Router(on_shutdown=)", lambda env: Router(on_shutdown=[startup]), [(D, ON_STARTUP, "routing.py")]),
    (
        "Router(on_startup=, lifespan=)",
        lambda env: Router(on_startup=[startup], lifespan=lifespan),
        [
            (D, ON_STARTUP, "routing.py"),
            (
                UserWarning,
                "The `lifespan` parameter cannot be used with `on_startup` or `on_shutdown`. "
                "Both `on_startup` and `on_shutdown` will be ignored.",
                "routing.py",
            ),
        ],
    ),
    (
        "Router(lifespan=async gen)",
        lambda env: Router(lifespan=deprecated(async_generator_lifespan)),
        [(S, AGEN, "routing.py")],
    ),
    ("Router(lifespan=gen)", lambda env: Router(lifespan=deprecated(generator_lifespan)), [(S, GEN, "routing.py")]),
    (
        "iscoroutinefunction_or_partial",
        lambda env: routing.iscoroutinefunction_or_partial(endpoint),
        [(D, "iscoroutinefunction_or_partial is deprecated, and will be removed in a future release.", "routing.py")],
    ),
    (
        "run_until_first_complete",
        lambda env: anyio.run(concurrency.run_until_first_complete, (first, {}), backend=env["backend"]),
        [(S, "run_until_first_complete is deprecated and will be removed in a future version.", "concurrency.py")],
    ),
    (
        "FileResponse(method=)",
        lambda env: FileResponse(__file__, method="GET"),
        [(D, "The 'method' parameter is not used, and it will be removed.", "responses.py")],
    ),
    (
        "Config(env_file=missing)",
        lambda env: Config(env["tmp_path"] / "missing.env"),
        [(UserWarning, f"Config file '{{tmp_path}}{Path('/missing.env')}' not found.", "config.py")],
    ),
    (
        "Jinja2Templates(directory, **env_options)",
        lambda env: Jinja2Templates(env["tmp_path"], autoescape=False),
        [
            (
                D,
                "Extra environment options are deprecated. Use a preconfigured jinja2.Environment instead.",
                "templating.py",
            )
        ],
    ),
    (
        "TemplateResponse(name, {'request': request})",
        lambda env: env["templates"].TemplateResponse("page.html", {"request": request()}),
        [(D, NAME_FIRST, "templating.py")],
    ),
    (
        "TemplateResponse(name, context={'request': request}, status_code=)",
        lambda env: env["templates"].TemplateResponse("page.html", context={"request": request()}, status_code=201),
        [(D, NAME_FIRST, "templating.py")],
    ),
    (
        "TemplateResponse(name=, context={'request': request})",
        lambda env: env["templates"].TemplateResponse(name="page.html", context={"request": request()}),
        [(D, REQUEST_REQUIRED, "templating.py")],
    ),
    (
        "TestClient.get(timeout=)",
        lambda env: TestClient(Router([Route("/", endpoint)])).get("/", timeout=5),
        [(D, TIMEOUT, "testclient.py")],
    ),
    (
        "TestClient.request(timeout=None)",
        lambda env: TestClient(Router([Route("/", endpoint)])).request("GET", "/", timeout=None),
        [(D, TIMEOUT, "testclient.py")],
    ),
    (
        "import starlette.middleware.wsgi",
        lambda env: import_wsgi_again(env["monkeypatch"]),
        [
            (
                S,
                "starlette.middleware.wsgi is deprecated and will be removed in a future release. "
                "Please refer to https://github.com/abersheeran/a2wsgi as a replacement.",
                "wsgi.py",
            )
        ],
    ),
]


def upstream_module(filename: str) -> str:
    """The name of upstream's module that the file of ours stands for (what upstream's warnings are attributed to)."""
    return "starlette.middleware.wsgi" if filename == "wsgi.py" else "starlette." + filename.removesuffix(".py")


@pytest.mark.parametrize(
    ("action", "expected"), [entry[1:] for entry in ENTRY_POINTS], ids=[entry[0] for entry in ENTRY_POINTS]
)
def test_warns_as_upstream(
    action: Callable[..., Any],
    expected: list[tuple[type[Warning], str, str]],
    anyio_backend: str,
    tmp_path: Path,
    templates: Jinja2Templates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"backend": anyio_backend, "tmp_path": tmp_path, "templates": templates, "monkeypatch": monkeypatch}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        action(env)
    found = [(warning.category, str(warning.message), Path(warning.filename).name) for warning in record]
    assert found == [
        (category, message.replace("{tmp_path}", str(tmp_path)), filename) for category, message, filename in expected
    ]
    # Attributed to the library's module (as upstream), not to the caller.
    assert all(Path(warning.filename).resolve() != Path(__file__).resolve() for warning in record)
    # ... by upstream's module name: warnings are errors, except those of upstream's module as `-W
    # action::category:module` names it (an exact name: the filter's pattern is anchored). Ours runs as
    # starlette_routing.routing and so on, and the warning is still attributed to starlette.routing.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for category, _, filename in expected:
            warnings.filterwarnings("ignore", category=category, module=re.escape(upstream_module(filename)) + r"\Z")
        action(env)


def test_decorators_warn_when_made_not_when_applied(test_client_factory: Any) -> None:
    app = Starlette()
    router = Router()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        decorators = [
            (app.route("/"), endpoint),
            (app.websocket_route("/ws"), ws_endpoint),
            (app.middleware("http"), dispatch),
            (app.exception_handler(418), handler),
            (app.on_event("startup"), startup),
            (router.route("/"), endpoint),
            (router.websocket_route("/ws"), ws_endpoint),
            (router.on_event("startup"), startup),
        ]
    assert len(record) == len(decorators)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for decorator, function in decorators:
            assert decorator(function) is function
    assert app.exception_handlers[418] is handler
    assert test_client_factory(app).get("/").text == "ok"


@pytest.mark.parametrize(
    "action",
    [
        lambda: Starlette().add_event_handler("startup", startup),
        lambda: Router().add_event_handler("startup", startup),
        lambda: Starlette().add_exception_handler(404, handler),
        lambda: Starlette().add_route("/", endpoint),
        lambda: Starlette().add_websocket_route("/ws", ws_endpoint),
        lambda: Router(on_startup=[], on_shutdown=[]),
        lambda: FileResponse(__file__, method=None),
        lambda: TestClient(Router([Route("/", endpoint)])).get("/"),
    ],
    ids=[
        "Starlette.add_event_handler",
        "Router.add_event_handler",
        "add_exception_handler",
        "add_route",
        "add_websocket_route",
        "Router(on_startup=[])",
        "FileResponse(method=None)",
        "TestClient.get()",
    ],
)
def test_what_does_not_warn(action: Callable[[], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        action()


def test_template_response_new_style_does_not_warn(templates: Jinja2Templates) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert templates.TemplateResponse(request(), "page.html").body == b"/page"
        assert templates.TemplateResponse(request=request(), name="page.html").body == b"/page"


def test_a_filter_by_our_module_name_does_not_match(tmp_path: Path) -> None:
    # As upstream: a filter naming the module the code lives in here (starlette_core.config) is no filter for it.
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="not found"):
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", module=r"starlette_core\.config\Z")
        Config(tmp_path / "missing.env")


def test_the_default_action_shows_a_warning_once_per_location(tmp_path: Path) -> None:
    # warnings.warn's once-per-location registry is kept: the same warning from the same line shows once.
    missing = tmp_path / "missing.env"
    with warnings.catch_warnings(record=True) as record:
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for _ in range(3):
            Config(missing)
    assert [str(warning.message) for warning in record] == [f"Config file '{missing}' not found."]
    assert Path(record[0].filename).name == "config.py"
